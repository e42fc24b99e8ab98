"""Ensemble speed, side by side: E runs of notebook 07's GAN at once vs the same E runs one after another.

    python -m benchmarks.ensemble_speed [--members 10] [--steps 150] [--rounds 3] [--threads 1]

Both sides train the same networks (gh.course.nb07.SETTINGS: 3 x 64 MLPs, batch 64) for the same
number of steps; rounds alternate the two sides so that a change in machine load hits both. Prints
member-steps per second for each side, per round, and the median ratio.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch

import gan_helpers as gh
from gan_helpers.course import nb07


def _trainer(members: int | None, seed: int) -> gh.training.Trainer:
    s, ring = nb07.SETTINGS, gh.data.ring8()
    G, D, cfg = nb07.build("GAN", members or 1, s)
    sampler = gh.ensemble.per_member(ring.sample, members) if members else ring.sample
    if members is None:  # a single network of the same sizes
        G = gh.models.MLPGenerator(s.latent_dim, 2, s.width, s.depth)
        D = gh.models.MLPDiscriminator(2, s.width, s.depth)
    return gh.training.Trainer(G, D, sampler, cfg, generator=torch.Generator().manual_seed(seed))


def member_steps_per_second(members: int, steps: int, ensemble: bool) -> float:
    """Train `members` runs for `steps` steps, as one ensemble or one after another; member-steps / s."""
    trainers = [_trainer(members, 0)] if ensemble else [_trainer(None, k) for k in range(members)]
    for tr in trainers:
        tr.run(3, progress=False)  # warm-up (allocations, first kernels)
    start = time.perf_counter()
    for tr in trainers:
        tr.run(steps, progress=False)
    return members * steps / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--members", type=int, default=10)
    ap.add_argument("--steps", type=int, default=150)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    if min(args.members, args.steps, args.rounds, args.threads) < 1:
        ap.error("--members, --steps, --rounds and --threads must be >= 1")
    gh.utils.cpu_threads("cpu", args.threads)
    ratios = []
    for r in range(args.rounds):
        sep = member_steps_per_second(args.members, args.steps, ensemble=False)
        ens = member_steps_per_second(args.members, args.steps, ensemble=True)
        ratios.append(ens / sep)
        print(f"round {r + 1}: {args.members} separate runs {sep:7.0f} member-steps/s | one ensemble "
              f"{ens:7.0f} member-steps/s | x{ens / sep:.2f}", flush=True)
    print(f"median speed-up of the ensemble: x{statistics.median(ratios):.2f} "
          f"({args.threads} torch thread(s), torch {torch.__version__})")


if __name__ == "__main__":
    main()
