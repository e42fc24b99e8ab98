"""The study behind notebook 05's recipe:  python -m benchmarks.recipe [--seeds 3] [--steps 1000]

Trains a ladder of DCGANs on the MNIST digits, each rung one change on top of the previous one, from
the DCGAN guidelines as the course used them before issue 14 to the recipe notebook 05 trains
(gh.models.dcgan_mnist + TrainConfig.dcgan_mnist). --alternatives instead runs the changes tried on
top of the rung '+ reuse fakes' and not kept (hinge loss, spectral norm in D, an EMA of G,
DiffAugment, two time-scale rates) and adds them to the same file. Every run uses the same seeds; at steps 250,
500 and the last, 1,000 samples from fixed latent codes are scored by the course classifier:
confident fraction (top class probability >= 0.9), classes with >= 10 samples, and the Frechet
distance on its features against 1,000 real digits. The runs count generator steps, not seconds, so
they run two at a time (one per core, one torch thread each). Writes the medians and every run to
gan_helpers/course/nb05_recipe_study.json, which notebook 05 shows.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

import gan_helpers as gh

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "gan_helpers" / "course" / "nb05_recipe_study.json"
EVAL_AT = (250, 500)  # plus the last step


def _old() -> tuple:
    return gh.models.DCGANGenerator(64, 32), gh.models.DCGANDiscriminator(32), gh.training.TrainConfig.dcgan()


def _fast() -> tuple:
    G, D = _old()[:2]
    return G, D, gh.training.TrainConfig.dcgan_mnist(reuse_fakes=False)


def _stage() -> tuple:
    G, D = gh.models.dcgan_mnist()
    return G, D, gh.training.TrainConfig.dcgan_mnist(reuse_fakes=False)


def _reuse() -> tuple:
    G, D = gh.models.dcgan_mnist()
    return G, D, gh.training.TrainConfig.dcgan_mnist(betas=(0.5, 0.999))


def _recipe() -> tuple:
    G, D = gh.models.dcgan_mnist()
    return G, D, gh.training.TrainConfig.dcgan_mnist()


# rung -> (what changes, builder of (G, D, TrainConfig)); each rung adds its change to the one above
LADDER: dict[str, tuple[str, Callable[[], tuple]]] = {
    "before": ("DCGAN guidelines as before: batch 64, Adam 2e-4, beta1 0.5", _old),
    "batch 128, lr 1.5e-3": ("DCGAN's batch of 128, both learning rates 7.5x larger", _fast),
    "+ 28x28 stage in G": ("G gets a 28x28 stage of 16 maps and a 3x3 output convolution", _stage),
    "+ reuse fakes": ("G's step reuses the D step's fakes: one G forward fewer (speed)", _reuse),
    "+ Adam betas (0, 0.99) (recipe)": ("no momentum in Adam: beta1 0 instead of 0.5, beta2 0.99", _recipe),
}


class DiffAugment(nn.Module):
    """D behind differentiable augmentation (Zhao et al. 2020): (B, 1, 28, 28) -> D's logits (B, 1).

    Every batch D sees, real or fake, in the D step and the G step, is shifted by up to 3 pixels
    (1/8 of the side) and gets a 14x14 cutout, both per image and differentiable in the pixels.
    """

    def __init__(self, D: nn.Module, shift: int = 3, cut: int = 14) -> None:
        super().__init__()
        self.D, self.shift, self.cut = D, shift, cut

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        move = torch.randint(-self.shift, self.shift + 1, (b, 2), device=x.device).float()
        theta = torch.zeros(b, 2, 3, device=x.device)
        theta[:, 0, 0] = theta[:, 1, 1] = 1.0
        theta[:, :, 2] = 2 * move / torch.tensor([w, h], device=x.device)
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        x = F.grid_sample(x + 1, grid, mode="nearest", padding_mode="zeros", align_corners=False) - 1  # pad -1
        top, left = (torch.randint(0, n, (b, 1, 1), device=x.device) - self.cut // 2 for n in (h, w))
        rows, cols = torch.arange(h, device=x.device)[None, :, None], torch.arange(w, device=x.device)[None, None, :]
        inside = (rows >= top) & (rows < top + self.cut) & (cols >= left) & (cols < left + self.cut)
        keep = ~inside  # a cut x cut square (clipped at the border) centred at a random pixel
        return self.D((x + 1) * keep[:, None] - 1)


def _with(config: dict[str, Any] | None = None,
          d: Callable[[nn.Module], nn.Module] | None = None) -> Callable[[], tuple]:
    """A builder: the rung '+ reuse fakes' with TrainConfig fields replaced and/or D transformed."""
    def build() -> tuple:
        G, D = gh.models.dcgan_mnist()
        return G, (d(D) if d else D), gh.training.TrainConfig.dcgan_mnist(**{"betas": (0.5, 0.999), **(config or {})})
    return build


def _spectral(D: nn.Module) -> nn.Module:
    """D with every convolution spectrally normalised and its batch norm removed."""
    for i, layer in enumerate(D.net):
        if isinstance(layer, nn.Conv2d):
            D.net[i] = nn.utils.parametrizations.spectral_norm(layer)
        elif isinstance(layer, nn.BatchNorm2d):
            D.net[i] = nn.Identity()
    return D


# changes tried on top of the rung '+ reuse fakes' (python -m benchmarks.recipe --alternatives); one of
# them, Adam without momentum, helped on every seed and became the last rung of the ladder
ALTERNATIVES: dict[str, tuple[str, Callable[[], tuple]]] = {
    "+ hinge loss": ("objective 'hinge' (SN-GAN, BigGAN) instead of the non-saturating GAN loss",
                     _with({"objective": "hinge"})),
    "+ spectral norm in D": ("every conv of D spectrally normalised, D's batch norm removed", _with(d=_spectral)),
    "+ EMA of G (0.995)": ("samples from an exponential moving average of G's weights", _with({"ema_decay": 0.995})),
    "+ DiffAugment": ("D sees every batch shifted by up to 3 px with a 14x14 cutout", _with(d=DiffAugment)),
    "+ two time-scale rates": ("lr_g 5e-4, lr_d 1.5e-3 (TTUR) instead of 1.5e-3 for both", _with({"lr_g": 5e-4})),
}
RUNGS = {**LADDER, **ALTERNATIVES}


def run_one(rung: str, seed: int, steps: int, data_dir: str | None = None) -> dict[str, Any]:
    """Train one rung from one seed for `steps` generator steps; -> {"rung", "seed", "evals": {step: metrics}}."""
    from benchmarks import core

    torch.set_num_threads(1)
    if data_dir:
        os.environ.setdefault("GAN_DATA_DIR", data_dir)
    images = gh.data.load_mnist(verbose=False).images
    classifier = gh.metrics.get_classifier("cpu", verbose=False)
    real = images[-core.MNIST_EVAL_SAMPLES:]
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    G, D, config = RUNGS[rung][1]()
    trainer = gh.training.Trainer(G, D, gh.data.TensorBatcher(images, gen), config, generator=gen)
    z = gh.training.latent(core.MNIST_EVAL_SAMPLES, G.latent_dim, torch.Generator().manual_seed(10_000 + seed))
    evals, t0 = {}, time.perf_counter()
    for step in range(1, steps + 1):
        trainer.step()
        if step in EVAL_AT or step == steps:
            sampler = trainer.G_ema if trainer.G_ema is not None else trainer.G
            m = core.mnist_metrics(gh.training.sample(sampler, len(z), z=z), classifier, real)
            evals[step] = {k: m[k] for k in ("confident", "classes", "fd")}
    trainer.flush()
    return {"rung": rung, "seed": seed, "batch_size": config.batch_size, "evals": evals,
            "wall_s": round(time.perf_counter() - t0, 1)}


def medians(runs: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, float]]]:
    """{rung: {step: {metric: median over seeds}}} of run_one results."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for rung in dict.fromkeys(r["rung"] for r in runs):
        mine = [r for r in runs if r["rung"] == rung]
        out[rung] = {str(step): {k: round(statistics.median(r["evals"][step][k] for r in mine), 3)
                                 for k in ("confident", "classes", "fd")} for step in mine[0]["evals"]}
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run every rung on every seed (two processes), write OUT, print the medians; return the study."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=3, help="seeds 1..n per rung (default 3)")
    ap.add_argument("--steps", type=int, default=1000, help="generator steps per run (default 1000)")
    ap.add_argument("--workers", type=int, default=2, help="processes (default 2: one per core)")
    ap.add_argument("--out", default=str(OUT), help=f"output JSON (default {OUT.relative_to(REPO)})")
    ap.add_argument("--alternatives", action="store_true",
                    help="run the alternatives on top of the recipe and add them to the existing --out file")
    args = ap.parse_args(argv)
    rungs = ALTERNATIVES if args.alternatives else LADDER
    from benchmarks.run import find_mnist

    if not find_mnist():
        ap.error("MNIST not found: set GAN_DATA_DIR to a folder holding MNIST/raw")
    jobs = [(rung, seed) for seed in range(1, args.seeds + 1) for rung in rungs]
    t0 = time.perf_counter()
    runs = []
    # spawn, not fork: a forked child inherits the parent's OpenMP state and can hang
    with ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(run_one, rung, seed, args.steps, os.environ.get("GAN_DATA_DIR"))
                   for rung, seed in jobs]
        for done in as_completed(futures):
            r = done.result()
            runs.append(r)
            last = r["evals"][max(r["evals"])]
            print(f"[{len(runs)}/{len(jobs)}] {r['rung']} seed {r['seed']}: conf {last['confident']:.3f} "
                  f"fd {last['fd']:.1f} ({r['wall_s']} s)", flush=True)
    order = {job: i for i, job in enumerate(jobs)}
    runs.sort(key=lambda r: order[(r["rung"], r["seed"])])
    for r in runs:
        r["evals"] = {int(k): v for k, v in r["evals"].items()}
    if args.alternatives:  # keep the ladder; its rung '+ reuse fakes' is the alternatives' reference
        study = json.loads(Path(args.out).read_text(encoding="utf-8"))
        study["alternatives"] = {"what": {k: v[0] for k, v in ALTERNATIVES.items()}, "reference": "+ reuse fakes",
                                 "median": medians(runs),
                                 "runs": runs, "torch": torch.__version__, "date": time.strftime("%Y-%m-%d"),
                                 "wall_s": round(time.perf_counter() - t0)}
        shown = study["alternatives"]["median"]
    else:
        study = {"ladder": {k: v[0] for k, v in LADDER.items()}, "seeds": list(range(1, args.seeds + 1)),
                 "steps": args.steps, "median": medians(runs), "runs": runs, "torch": torch.__version__,
                 "date": time.strftime("%Y-%m-%d"), "wall_s": round(time.perf_counter() - t0)}
        shown = study["median"]
    Path(args.out).write_text(json.dumps(study, indent=1) + "\n", encoding="utf-8")
    for rung, by_step in shown.items():
        print(f"{rung:28s} " + " | ".join(f"step {s}: conf {m['confident']:.3f} cls {m['classes']:g} fd {m['fd']:.1f}"
                                         for s, m in by_step.items()))
    print(f"wrote {args.out} in {round(time.perf_counter() - t0)} s")
    return study


if __name__ == "__main__":
    sys.exit(main() and 0)
