"""The benchmarks themselves: seeded time-to-quality runs and a step-throughput probe.

Each *_run function builds fresh models from a seed and returns a core.Run; run.py chooses caps,
seeds and the order, and writes the report.
"""
from __future__ import annotations

import os
import statistics
import time
from typing import Any

import torch

import gan_helpers as gh

from . import core, tutorial_dcgan


def _eval_noise(n: int, latent_dim: int, seed: int) -> torch.Tensor:
    """Fixed evaluation codes (n, latent_dim) from their own generator: evaluation never moves training RNGs."""
    return gh.training.latent(n, latent_dim, torch.Generator().manual_seed(10_000 + seed))


_TORCH_DEFAULT_THREADS = torch.get_num_threads()  # read when the benchmark starts, before it sets any


def default_threads() -> int:
    """The thread count torch starts with on this machine (what a tutorial runs with)."""
    return max(1, _TORCH_DEFAULT_THREADS)


def course_dcgan_run(images: torch.Tensor, classifier: torch.nn.Module, real: torch.Tensor, seed: int,
                     cap_s: float, eval_every: int = 50, max_steps: int | None = None) -> core.Run:
    """Notebook 05's recipe (gh.models.dcgan_mnist, TrainConfig.dcgan_mnist) on images (N, 1, 28, 28) until the bar."""
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)  # weight init
    G, D = gh.models.dcgan_mnist()
    config = gh.training.TrainConfig.dcgan_mnist()
    trainer = gh.training.Trainer(G, D, gh.data.TensorBatcher(images, gen), config, generator=gen)
    z = _eval_noise(core.MNIST_EVAL_SAMPLES, G.latent_dim, seed)
    evaluate = lambda: core.mnist_metrics(  # noqa: E731
        gh.training.sample(trainer.G, len(z), z=z), classifier, real)
    with gh.utils.torch_threads(gh.training.DCGAN_MNIST_THREADS):
        return core.time_to_quality(trainer.step, evaluate, core.mnist_quality, cap_s, eval_every,
                                    items_per_step=config.batch_size, max_steps=max_steps, hold=core.MNIST_HOLD)


FOILS = {"same-recipe": tutorial_dcgan.same_recipe, "pytorch-tutorial": tutorial_dcgan.pytorch_tutorial}


def tutorial_run(kind: str, images: torch.Tensor, classifier: torch.nn.Module, real: torch.Tensor, seed: int,
                 cap_s: float, eval_every: int = 50, workers: int = 2, max_steps: int | None = None) -> core.Run:
    """A foil (FOILS[kind]: DataLoader + PIL transforms, default threads) on the same digits until the same bar."""
    if kind not in FOILS:
        raise ValueError(f"kind must be one of {sorted(FOILS)}, got {kind!r}")
    foil = FOILS[kind](tutorial_dcgan.as_uint8(images), seed=seed, workers=workers)
    gen_seed = 10_000 + seed
    evaluate = lambda: core.mnist_metrics(  # noqa: E731
        foil.sample28(core.MNIST_EVAL_SAMPLES, torch.Generator().manual_seed(gen_seed)), classifier, real)
    try:
        with gh.utils.torch_threads(default_threads()):
            return core.time_to_quality(foil.step, evaluate, core.mnist_quality, cap_s, eval_every,
                                        items_per_step=foil.loader.batch_size, max_steps=max_steps,
                                        hold=core.MNIST_HOLD)
    finally:
        foil.close()


RING_METHODS = ("GAN", "WGAN-GP (paper)")  # of notebook 07's methods (gh.course.nb07.METHODS)


def ring_final(method: str, seed: int, settings: Any = None) -> dict[str, Any]:
    """Notebook 07's runs of one method on the ring (its SETTINGS: members, schedule, EMA), scored on the
    final samples: {"runs": [{"modes", "hq_percent", "good"}], "train_s": training seconds, "g_steps"}."""
    from gan_helpers.course import nb07

    s = nb07.SETTINGS if settings is None else settings
    with gh.utils.torch_threads(1):  # as notebook 07's worker processes
        runs = nb07.train_method(method, [gh.data.ring8()], seed, s, progress=False)
    scored = [{"modes": r["final"]["modes"], "hq_percent": round(r["final"]["hq_percent"], 1),
               "good": core.ring_quality(r["final"])} for r in runs]
    return {"runs": scored, "train_s": round(runs[0]["train_seconds"] * len(runs), 2),
            "g_steps": runs[0]["g_steps"], "d_per_g": runs[0]["d_per_g"]}


def real_reference(images: torch.Tensor, classifier: torch.nn.Module, real: torch.Tensor) -> dict[str, Any]:
    """The bar on REAL digits: the first 1,000 at 28x28, and the same through the 64x64 foil's 64 -> 28 path.

    real: the (disjoint) reference digits the FD is computed against, e.g. images[-1000:].
    """
    x = images[:core.MNIST_EVAL_SAMPLES]
    up = torch.nn.functional.interpolate(x, size=(64, 64), mode="bilinear", align_corners=False)
    out = {}
    for name, batch in (("real 28x28", x), ("real via 64x64", tutorial_dcgan.downsample28(up))):
        m = core.mnist_metrics(batch, classifier, real)
        out[name] = {**m, "good": core.mnist_quality(m)}
    return out


def recipe_trainer(images: torch.Tensor, seed: int = 0, old: bool = False) -> gh.training.Trainer:
    """A Trainer of notebook 05's recipe on images (N, 1, 28, 28); old=True: the recipe before issue 14
    (DCGANGenerator(64, 32), DCGANDiscriminator(32), TrainConfig.dcgan(batch_size=64))."""
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    if old:
        G, D = gh.models.DCGANGenerator(64, 32), gh.models.DCGANDiscriminator(32)
        config = gh.training.TrainConfig.dcgan(batch_size=64)
    else:
        G, D = gh.models.dcgan_mnist()
        config = gh.training.TrainConfig.dcgan_mnist()
    return gh.training.Trainer(G, D, gh.data.TensorBatcher(images, gen), config, generator=gen)


def step_speed(contenders: dict[str, tuple[Any, int]], rounds: int = 3,
               chunk_s: float = 1.0) -> dict[str, dict[str, float]]:
    """Images/s of several (trainer, threads) contenders, interleaved round by round (a shared CPU drifts).

    Each timed chunk runs trainer.step() for about chunk_s seconds at its thread count.
    Returns {label: {"per_s": median over rounds, "best_per_s": best chunk, "threads": n}}.
    """
    if not contenders:
        raise ValueError("step_speed needs at least one contender")
    times: dict[str, list[float]] = {k: [] for k in contenders}
    for trainer, threads in contenders.values():  # warm-up (oneDNN picks kernels on first use)
        with gh.utils.torch_threads(threads):
            for _ in range(3):
                trainer.step()
    for _ in range(rounds):
        for label, (trainer, threads) in contenders.items():
            with gh.utils.torch_threads(threads):
                n, t0 = 0, time.perf_counter()
                while time.perf_counter() - t0 < chunk_s:
                    trainer.step()
                    n += 1
                trainer.flush()
                times[label].append((time.perf_counter() - t0) / n)
    return {k: {"per_s": round(contenders[k][0].config.batch_size / statistics.median(ts), 1),
                "best_per_s": round(contenders[k][0].config.batch_size / min(ts), 1),
                "threads": contenders[k][1]} for k, ts in times.items()}


def data_loading_speed(images: torch.Tensor, batches: int = 30,
                       workers: tuple[int, ...] = (0, 2)) -> dict[str, float]:
    """Real batches of 64 per second: the course's TensorBatcher vs the foil's DataLoader (per-image PIL path)."""
    out = {}
    batcher = gh.data.TensorBatcher(images, torch.Generator().manual_seed(0))
    t0 = time.perf_counter()
    for _ in range(batches):
        batcher(tutorial_dcgan.BATCH)
    out["TensorBatcher, 28x28"] = batches / (time.perf_counter() - t0)
    data = tutorial_dcgan.DigitDataset(tutorial_dcgan.as_uint8(images))
    for w in workers:
        loader = torch.utils.data.DataLoader(data, batch_size=tutorial_dcgan.BATCH, shuffle=True, num_workers=w)
        it = iter(loader)
        next(it)  # worker start-up is not counted
        t0 = time.perf_counter()
        for _ in range(batches):
            next(it)
        out[f"DataLoader + PIL transforms, 64x64, {w} workers"] = batches / (time.perf_counter() - t0)
        del it
    return {k: round(v, 1) for k, v in out.items()}


def omp_wait_policy() -> str:
    """The OpenMP wait policy in force ($OMP_WAIT_POLICY, or 'unset' = libgomp spins before sleeping)."""
    return os.environ.get("OMP_WAIT_POLICY", "unset")
