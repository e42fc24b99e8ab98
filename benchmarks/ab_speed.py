"""Images/s of notebook 05's recipe at two commits, interleaved in one run:  python -m benchmarks.ab_speed

Checks the old commit out into a temporary git worktree and starts one child process per tree (the
old one imports gan_helpers from the worktree). Each child builds the recipe its commit's notebook 05
trains (gh.models.dcgan_mnist + TrainConfig.dcgan_mnist at DCGAN_MNIST_THREADS where they exist,
else DCGANGenerator(64, 32), DCGANDiscriminator(32), TrainConfig.dcgan(batch_size=64) on one thread),
warms up, then waits. The parent asks them in turn, old, new, old, new, ..., to train for --chunk
seconds and report images/s, so both see the same machine state; only one trains at a time.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OLD = "145574a"  # main before issue 14
CHILD = r"""
import json, os, sys, time, torch
import gan_helpers as gh
os.environ.setdefault("GAN_DATA_DIR", sys.argv[1])
images = gh.data.load_mnist(verbose=False).images
gen = torch.Generator().manual_seed(0); torch.manual_seed(0)
if hasattr(gh.models, "dcgan_mnist"):
    G, D = gh.models.dcgan_mnist(); config = gh.training.TrainConfig.dcgan_mnist()
    threads = gh.training.DCGAN_MNIST_THREADS
else:
    G, D = gh.models.DCGANGenerator(64, 32), gh.models.DCGANDiscriminator(32)
    config = gh.training.TrainConfig.dcgan(batch_size=64); threads = 1
torch.set_num_threads(threads)
trainer = gh.training.Trainer(G, D, gh.data.TensorBatcher(images, gen), config, generator=gen)
for _ in range(5):
    trainer.step()
print(json.dumps({"ready": True, "threads": threads, "batch": config.batch_size}), flush=True)
for line in sys.stdin:
    chunk = float(line)
    for _ in range(3):  # untimed: wake the thread pool and warm the caches after the other child's turn
        trainer.step()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < chunk:
        trainer.step(); n += 1
    trainer.flush()
    print(json.dumps({"images_per_s": n * config.batch_size / (time.perf_counter() - t0)}), flush=True)
"""


def _child(src: Path, data_dir: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(src) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen([sys.executable, "-c", CHILD, data_dir], cwd=src, env=env, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)


def main(argv: list[str] | None = None) -> dict:
    """Interleave --rounds chunks of the old and the new commit; print and return the medians and the ratio."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--old", default=OLD, help=f"the commit to compare against (default {OLD})")
    ap.add_argument("--rounds", type=int, default=6, help="chunks per commit (default 6)")
    ap.add_argument("--chunk", type=float, default=3.0, help="seconds per chunk (default 3)")
    ap.add_argument("--data", default=os.environ.get("GAN_DATA_DIR", str(REPO.parent / "shared" / "data")),
                    help="folder holding MNIST/raw (default $GAN_DATA_DIR or ../shared/data)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        old_tree = Path(tmp) / "old"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(old_tree), args.old],
                       check=True, capture_output=True)
        kids: dict[str, subprocess.Popen] = {}
        try:
            kids = {"old": _child(old_tree, args.data), "new": _child(REPO, args.data)}
            setup = {k: json.loads(p.stdout.readline()) for k, p in kids.items()}
            rates: dict[str, list[float]] = {"old": [], "new": []}
            for _ in range(args.rounds):
                for k, p in kids.items():
                    p.stdin.write(f"{args.chunk}\n")
                    p.stdin.flush()
                    rates[k].append(json.loads(p.stdout.readline())["images_per_s"])
            for p in kids.values():
                p.stdin.close()
                p.wait(timeout=30)
        finally:
            for p in kids.values():  # a child that failed or hangs must not outlive the comparison
                if p.poll() is None:
                    p.kill()
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(old_tree)],
                           capture_output=True)
    out = {k: {**setup[k], "median": round(statistics.median(v), 1), "chunks": [round(x, 1) for x in v]}
           for k, v in rates.items()}
    out["ratio"] = round(out["new"]["median"] / out["old"]["median"], 2)
    out["old_commit"] = args.old
    print(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main()
