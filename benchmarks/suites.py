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

# The 2-D ring runs use the course's MLP classes configured as notebook 07 does: two hidden layers
# of 128 units, a 2-D latent code, batch 256, Adam lr 1e-3 (betas of each preset).
RING_LATENT, RING_HIDDEN, RING_DEPTH, RING_BATCH, RING_LR = 2, 128, 2, 256, 1e-3
RING_CONFIGS = {  # objective label -> TrainConfig factory
    "GAN (non-saturating)": lambda: gh.training.TrainConfig.dcgan(
        batch_size=RING_BATCH, lr_g=RING_LR, lr_d=RING_LR),
    "WGAN-GP": lambda: gh.training.TrainConfig.wgan_gp(batch_size=RING_BATCH, lr_g=RING_LR, lr_d=RING_LR),
}


def _eval_noise(n: int, latent_dim: int, seed: int) -> torch.Tensor:
    """Fixed evaluation codes (n, latent_dim) from their own generator: evaluation never moves training RNGs."""
    return gh.training.latent(n, latent_dim, torch.Generator().manual_seed(10_000 + seed))


def course_dcgan_run(images: torch.Tensor, classifier: torch.nn.Module, seed: int, cap_s: float,
                     eval_every: int = 50, reuse_fakes: bool = False, max_steps: int | None = None) -> core.Run:
    """The course's default DCGAN (TrainConfig.dcgan(), default G/D) on images (N, 1, 28, 28) until the MNIST bar."""
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)  # weight init
    G, D = gh.models.DCGANGenerator(), gh.models.DCGANDiscriminator()
    config = gh.training.TrainConfig.dcgan(reuse_fakes=reuse_fakes)
    trainer = gh.training.Trainer(G, D, gh.data.TensorBatcher(images, gen), config, generator=gen)
    z = _eval_noise(core.MNIST_EVAL_SAMPLES, G.latent_dim, seed)
    evaluate = lambda: core.mnist_metrics(gh.training.sample(G, len(z), z=z), classifier)  # noqa: E731
    return core.time_to_quality(trainer.step, evaluate, core.mnist_quality, cap_s, eval_every,
                                items_per_step=config.batch_size, max_steps=max_steps)


def tutorial_dcgan_run(images: torch.Tensor, classifier: torch.nn.Module, seed: int, cap_s: float,
                       eval_every: int = 25, workers: int = 2, max_steps: int | None = None) -> core.Run:
    """The tutorial foil (64x64, DataLoader + PIL transforms) on the same digits until the same bar."""
    foil = tutorial_dcgan.TutorialDCGAN(tutorial_dcgan.as_uint8(images), seed=seed, workers=workers)
    gen_seed = 10_000 + seed
    evaluate = lambda: core.mnist_metrics(  # noqa: E731
        foil.sample28(core.MNIST_EVAL_SAMPLES, torch.Generator().manual_seed(gen_seed)), classifier)
    try:
        return core.time_to_quality(foil.step, evaluate, core.mnist_quality, cap_s, eval_every,
                                    items_per_step=tutorial_dcgan.BATCH, max_steps=max_steps)
    finally:
        foil.batches = None  # shut the loader's worker processes down now


def ring_run(label: str, seed: int, cap_s: float, eval_every: int = 200,
             max_steps: int | None = None) -> core.Run:
    """A course MLP GAN on gh.data.ring8() with RING_CONFIGS[label] until all 8 modes are covered with enough HQ."""
    ring = gh.data.ring8()
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    G = gh.models.MLPGenerator(RING_LATENT, 2, RING_HIDDEN, RING_DEPTH)
    D = gh.models.MLPDiscriminator(2, RING_HIDDEN, RING_DEPTH)
    config = RING_CONFIGS[label]()
    trainer = gh.training.Trainer(G, D, ring.sample, config, generator=gen)
    z = _eval_noise(core.RING_EVAL_SAMPLES, G.latent_dim, seed)
    evaluate = lambda: gh.metrics.mode_metrics(gh.training.sample(G, len(z), z=z), ring)  # noqa: E731
    return core.time_to_quality(trainer.step, evaluate, core.ring_quality, cap_s, eval_every,
                                items_per_step=1, max_steps=max_steps)


def real_reference(images: torch.Tensor, classifier: torch.nn.Module) -> dict[str, Any]:
    """The bar on REAL digits: 1,000 at 28x28, and the same 1,000 through the foil's 64x64 -> 28x28 path."""
    x = images[:core.MNIST_EVAL_SAMPLES]
    up = torch.nn.functional.interpolate(x, size=(64, 64), mode="bilinear", align_corners=False)
    out = {}
    for name, batch in (("real 28x28", x), ("real via 64x64", tutorial_dcgan.downsample28(up))):
        m = core.mnist_metrics(batch, classifier)
        out[name] = {**m, "good": core.mnist_quality(m)}
    return out


def step_speed(kind: str, threads: tuple[int, ...] = (1, 2), rounds: int = 3, chunk_s: float = 1.0,
               reuse_fakes: bool = False, images: torch.Tensor | None = None) -> dict[int, dict[str, float]]:
    """Throughput of Trainer.step for kind "dcgan" (images/s) or "ring-gan" (steps/s) at each thread count.

    Thread counts are interleaved round by round (a shared CPU drifts); each timed chunk runs steps
    for about chunk_s seconds. Returns {threads: {"per_s": median, "best_per_s": best chunk}}.
    """
    if kind not in ("dcgan", "ring-gan"):
        raise ValueError(f"kind must be 'dcgan' or 'ring-gan', got {kind!r}")
    gen = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    if kind == "dcgan":
        if images is None:
            raise ValueError("kind 'dcgan' needs images (N, 1, 28, 28)")
        G, D = gh.models.DCGANGenerator(), gh.models.DCGANDiscriminator()
        sampler = gh.data.TensorBatcher(images, gen)
        config = gh.training.TrainConfig.dcgan(reuse_fakes=reuse_fakes)
    else:
        G = gh.models.MLPGenerator(RING_LATENT, 2, RING_HIDDEN, RING_DEPTH)
        D, sampler = gh.models.MLPDiscriminator(2, RING_HIDDEN, RING_DEPTH), gh.data.ring8().sample
        config = RING_CONFIGS["GAN (non-saturating)"]()
        config.reuse_fakes = reuse_fakes
    trainer = gh.training.Trainer(G, D, sampler, config, generator=gen)
    per_item = config.batch_size if kind == "dcgan" else 1
    times: dict[int, list[float]] = {t: [] for t in threads}
    for t in threads:  # warm-up at every thread count (oneDNN picks kernels on first use)
        with gh.utils.torch_threads(t):
            for _ in range(3):
                trainer.step()
    for _ in range(rounds):
        for t in threads:
            with gh.utils.torch_threads(t):
                n, t0 = 0, time.perf_counter()
                while time.perf_counter() - t0 < chunk_s:
                    trainer.step()
                    n += 1
                trainer.flush()
                times[t].append((time.perf_counter() - t0) / n)
    return {t: {"per_s": round(per_item / statistics.median(ts), 1), "best_per_s": round(per_item / min(ts), 1)}
            for t, ts in times.items()}


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
