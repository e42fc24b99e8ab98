"""Notebook 07's 2-D experiment: its settings and its runner (gh.course.nb07 re-exports them).

Every method is trained as one ensemble (gh.ensemble): `members` independent runs on the ring and
as many on the grid at once, each member with its own initial weights and batches. Every method
gets the same treatment: the same networks, batch, number of discriminator (critic) updates,
final low-learning-rate phase and EMA of the generator for evaluation. The benchmarks import
SETTINGS from here too, so the numbers they time are the ones the notebook reports.
"""
from __future__ import annotations

import math
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace

import torch
from tqdm.auto import tqdm

from .. import data, ensemble, metrics, models, training, utils


@dataclass(frozen=True)
class Settings:
    """The 2-D experiment of notebook 07 (sizes, budget, schedule)."""

    width: int = 64  # hidden units of G and D (3 hidden layers each)
    depth: int = 3
    latent_dim: int = 2
    batch: int = 64  # samples per batch (PacGAN2: packs per batch, i.e. 2 x batch samples)
    lr: float = 1e-3  # Adam learning rate of both players (the WGAN-GP rows use their papers' values)
    d_updates: int = 1500  # discriminator / critic updates of every run
    final_fraction: float = 0.3  # the last 30 % of the steps run at final_lr_factor x the learning rates
    final_lr_factor: float = 0.1
    ema_decay: float = 0.99  # samples for evaluation come from this moving average of G's weights
    members: int = 5  # runs per method and data set
    n_eval: int = 2500  # samples scored at every checkpoint (as PacGAN and VEEGAN)
    checkpoints: int = 20  # metric checkpoints per run
    unroll_steps: int = 3  # unrolled GAN: look-ahead steps of D (Metz et al. 2017 used 1 to 10)
    unroll_lr: float = 0.002  # plain gradient step size of those look-ahead steps
    unroll_batch: int = 16  # samples per look-ahead step (a cheaper estimate of D's next moves)


SETTINGS = Settings()
METHODS = ("GAN", "PacGAN2", "MBStd", "Unrolled", "WGAN-GP (toy)", "WGAN-GP (paper)")
# Relative cost of training one method's ensemble (trainer time plus evaluation, one thread, measured
# on a 2-core x86 CPU). Used only to share the methods evenly between worker processes.
COST = {"GAN": 1.0, "PacGAN2": 1.2, "MBStd": 1.2, "Unrolled": 3.35, "WGAN-GP (toy)": 0.97,
        "WGAN-GP (paper)": 1.0}
DESCRIPTIONS = {
    "GAN": "non-saturating GAN, Adam 1e-3, betas (0.5, 0.999)",
    "PacGAN2": "GAN whose D scores packs of 2 samples (Lin et al. 2018); 2 x batch samples per step",
    "MBStd": "GAN whose D sees the minibatch standard deviation as a feature (Karras et al. 2018)",
    "Unrolled": "GAN whose G steps against D unrolled 3 look-ahead steps (Metz et al. 2017)",
    "WGAN-GP (toy)": "Gulrajani et al.'s toy script: lambda 0.1, Adam 1e-4, betas (0.5, 0.9), n_critic 5",
    "WGAN-GP (paper)": "Gulrajani et al.'s image settings: lambda 10, Adam 1e-4, betas (0, 0.9), n_critic 5",
}


def build(method: str, members: int, s: Settings = SETTINGS) -> tuple:
    """Ensemble G, D and TrainConfig for one method: members independent runs at once."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; valid: {METHODS}")
    G = models.MLPGenerator(s.latent_dim, 2, s.width, s.depth, ensemble=members)
    batch, common = s.batch, {"log_grad_norms": False, "ema_decay": s.ema_decay}
    if method == "PacGAN2":  # as the paper: D sees `batch` packs, each of 2 samples from their own z
        D = models.PackedDiscriminator(models.MLPDiscriminator(4, s.width, s.depth, ensemble=members), 2)
        batch = 2 * s.batch
    else:
        D = models.MLPDiscriminator(2, s.width, s.depth, ensemble=members, minibatch_std=method == "MBStd")
    steps = max(1, s.d_updates // 5)  # WGAN-GP: 5 critic updates per generator step
    if method == "WGAN-GP (toy)":
        cfg = training.TrainConfig.wgan_gp(steps=steps, batch_size=batch, gp_lambda=0.1, lr_g=1e-4,
                                           lr_d=1e-4, betas=(0.5, 0.9), **common)
    elif method == "WGAN-GP (paper)":
        cfg = training.TrainConfig.wgan_gp(steps=steps, batch_size=batch, **common)
    else:
        unroll = {"unroll_steps": s.unroll_steps, "unroll_lr": s.unroll_lr,
                                  "unroll_batch": s.unroll_batch} if method == "Unrolled" else {}
        cfg = training.TrainConfig.dcgan(steps=s.d_updates, batch_size=batch, lr_g=s.lr, lr_d=s.lr,
                                         **unroll, **common)
    return G, D, cfg


def train_method(method: str, mixtures: list, seed: int, s: Settings = SETTINGS,
                 progress: bool = True) -> list[dict]:
    """Train s.members runs on each mixture at once; return one record per run (tracks, snapshots, final)."""
    utils.manual_seed(seed)  # initial weights of every member
    g = utils.make_generator(seed)
    groups = [mix for mix in mixtures for _ in range(s.members)]
    E = len(groups)
    G, D, cfg = build(method, E, s)
    sampler = ensemble.per_member([mix.sample for mix in groups], E)
    trainer = training.Trainer(G, D, sampler, cfg, generator=g)
    z_eval = training.latent(s.n_eval, s.latent_dim, utils.make_generator(1000 + seed), members=E)
    runs = [{"method": method, "data": mix.name, "member": k % s.members, "d_updates": [], "modes": [],
             "hq": [], "kl": [], "top2": [], "snapshots": []} for k, mix in enumerate(groups)]

    def record(step: int, tr: training.Trainer) -> None:
        x = training.sample(tr.G_ema, s.n_eval, z=z_eval)
        for run, mix, xk in zip(runs, groups, x):
            m = metrics.mode_metrics(xk, mix)
            run["d_updates"].append(step * cfg.n_critic)
            run["modes"].append(m["modes"])
            run["hq"].append(m["hq_percent"])
            run["kl"].append(m["reverse_kl"])
            run["top2"].append(top2_share(xk, mix))
            run["snapshots"].append(xk[:500])

    every = max(1, cfg.steps // s.checkpoints)
    n_first = round(cfg.steps * (1 - s.final_fraction))
    bar = tqdm(total=cfg.steps, desc=f"{method} ({E} runs at once)", disable=not progress, mininterval=1.0)
    bar_cb = _with_bar(record, bar, every)
    trainer.run(n_first, callback=bar_cb, callback_every=every, progress=False)
    trainer.scale_learning_rates(s.final_lr_factor)  # final phase: small steps settle samples on the modes
    trainer.run(cfg.steps - n_first, callback=bar_cb, callback_every=every, progress=False)
    bar.close()
    if runs[0]["d_updates"][-1] != trainer.steps_done * cfg.n_critic:
        record(trainer.steps_done, trainer)
    seconds = trainer.history.wall_time[-1] if trainer.history.wall_time else math.nan
    for run in runs:
        run["final"] = {"modes": run["modes"][-1], "hq_percent": run["hq"][-1], "reverse_kl": run["kl"][-1]}
        run["train_seconds"] = seconds / E  # the ensemble's training time, shared by its members
        run["g_steps"], run["d_per_g"] = cfg.steps, cfg.n_critic
    return runs


def _worker_init(parent: int) -> None:
    """Worker set-up: one torch thread, and exit as soon as the parent process is gone (a restarted
    kernel must not leave workers training in the background)."""
    torch.set_num_threads(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def train_methods(methods: tuple[str, ...] | list[str], mixtures: list, seed: int, s: Settings = SETTINGS,
                  workers: int | None = None, progress: bool = True) -> list[dict]:
    """train_method for several methods, in parallel worker processes (one CPU thread each); runs in order.

    workers defaults to min(number of methods, CPU cores), and to 1 (this process) in smoke mode,
    where starting the workers would take longer than the tiny runs. Each worker is a fresh
    ("spawn") process, so the runs are exactly those train_method gives in this process.
    """
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ValueError(f"unknown methods {unknown}; valid: {METHODS}")
    if workers is None:
        workers = 1 if utils.smoke_mode() else min(len(methods), os.cpu_count() or 1)
    if not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be None or an int >= 1, got {workers!r}")
    if workers == 1 or len(methods) == 1:
        return [r for m in methods for r in train_method(m, mixtures, seed, s, progress)]
    results: dict[str, list[dict]] = {}
    ctx = multiprocessing.get_context("spawn")
    # One single-process pool per worker, each with its own share of the methods (balanced by COST):
    # a fixed split finishes sooner than a shared queue, which cannot plan around the slowest method.
    pools = [ProcessPoolExecutor(1, mp_context=ctx, initializer=_worker_init, initargs=(os.getpid(),))
             for _ in range(workers)]
    try:
        futures = {pool.submit(train_method, m, mixtures, seed, s, False): m
                   for pool, group in zip(pools, balanced_groups(methods, workers)) for m in group}
        with tqdm(total=len(methods), desc=f"{len(methods)} methods on {workers} processes",
                  disable=not progress) as bar:
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                bar.update(1)
    finally:
        for pool in pools:
            pool.shutdown(cancel_futures=True)
    return [r for m in methods for r in results[m]]


def balanced_groups(methods: tuple[str, ...] | list[str], workers: int) -> list[list[str]]:
    """Split methods into `workers` groups of nearly equal summed COST (longest processing time first)."""
    order = sorted(methods, key=lambda m: -COST[m])
    loads, best = [0.0] * workers, []  # longest first, each to the least loaded worker
    for m in order:
        w = loads.index(min(loads))
        loads[w] += COST[m]
        best.append(w)
    groups: list[list[str]] = [[] for _ in range(workers)]
    for m, w in zip(order, best):
        groups[w].append(m)
    return [g for g in groups if g]


def _with_bar(record, bar, every: int):
    def callback(step: int, tr: training.Trainer) -> None:
        bar.update(every)
        record(step, tr)
    return callback


def top2_share(x: torch.Tensor, mixture) -> float:
    """Share of ALL samples x (n, 2) whose nearest mode is one of the two most popular nearest modes."""
    idx, _ = metrics.nearest_mode(x, mixture.centers)
    counts = torch.bincount(idx, minlength=len(mixture.centers)).sort(descending=True).values
    return float(counts[:2].sum()) / len(x)


def mixtures() -> list:
    """The two benchmarks of notebook 07: the ring of 8 and the 5x5 grid (PacGAN's definitions)."""
    return [data.ring8(), data.grid25()]


def with_budget(s: Settings = SETTINGS, smoke_steps: int = 10) -> Settings:
    """SETTINGS, with a tiny budget in smoke mode (utils.budget) for testing student builds."""
    return replace(s, d_updates=utils.budget(s.d_updates, smoke_steps), checkpoints=min(s.checkpoints, 2)) \
        if utils.smoke_mode() else s
