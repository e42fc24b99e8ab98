"""The study behind notebook 05's recipe:  python -m benchmarks.recipe [--seeds 3] [--steps 1000]

Trains a ladder of DCGANs on the MNIST digits, each rung one change on top of the previous one, from
the DCGAN guidelines as the course used them before issue 14 to the recipe notebook 05 trains
(gh.models.dcgan_mnist + TrainConfig.dcgan_mnist). Every rung runs on the same seeds; at steps 250,
500 and the last, 1,000 samples from fixed latent codes are scored by the course classifier:
confident fraction (top class probability >= 0.9), classes with >= 10 samples, and the Frechet
distance on its features against 1,000 real digits. The runs count generator steps, not seconds, so
they run two at a time (one per core, one torch thread each). Writes the medians and every run to
gan_helpers/course/nb05_recipe_study.json, which notebook 05 shows.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
import multiprocessing
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import torch

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


def _recipe() -> tuple:
    G, D = gh.models.dcgan_mnist()
    return G, D, gh.training.TrainConfig.dcgan_mnist()


# rung -> (what changes, builder of (G, D, TrainConfig)); each rung adds its change to the one above
LADDER: dict[str, tuple[str, Callable[[], tuple]]] = {
    "before": ("DCGAN guidelines as before: batch 64, Adam 2e-4, beta1 0.5", _old),
    "batch 128, lr 1.5e-3": ("DCGAN's batch of 128, both learning rates 7.5x larger", _fast),
    "+ 28x28 stage in G": ("G gets a 28x28 stage of 16 maps and a 3x3 output convolution", _stage),
    "+ reuse fakes (recipe)": ("G's step reuses the D step's fakes: one G forward fewer (speed)", _recipe),
}


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
    G, D, config = LADDER[rung][1]()
    trainer = gh.training.Trainer(G, D, gh.data.TensorBatcher(images, gen), config, generator=gen)
    z = gh.training.latent(core.MNIST_EVAL_SAMPLES, G.latent_dim, torch.Generator().manual_seed(10_000 + seed))
    evals, t0 = {}, time.perf_counter()
    for step in range(1, steps + 1):
        trainer.step()
        if step in EVAL_AT or step == steps:
            m = core.mnist_metrics(gh.training.sample(trainer.G, len(z), z=z), classifier, real)
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
    args = ap.parse_args(argv)
    from benchmarks.run import find_mnist

    if not find_mnist():
        ap.error("MNIST not found: set GAN_DATA_DIR to a folder holding MNIST/raw")
    jobs = [(rung, seed) for seed in range(1, args.seeds + 1) for rung in LADDER]
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
    study = {"ladder": {k: v[0] for k, v in LADDER.items()}, "seeds": list(range(1, args.seeds + 1)),
             "steps": args.steps, "median": medians(runs), "runs": runs, "torch": torch.__version__,
             "date": time.strftime("%Y-%m-%d"), "wall_s": round(time.perf_counter() - t0)}
    Path(args.out).write_text(json.dumps(study, indent=1) + "\n", encoding="utf-8")
    for rung, by_step in study["median"].items():
        print(f"{rung:28s} " + " | ".join(f"step {s}: conf {m['confident']:.3f} cls {m['classes']:g} fd {m['fd']:.1f}"
                                         for s, m in by_step.items()))
    print(f"wrote {args.out} in {study['wall_s']} s")
    return study


if __name__ == "__main__":
    sys.exit(main() and 0)
