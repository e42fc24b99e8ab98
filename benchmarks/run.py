"""Run the course benchmark and write reports/bench.md + reports/bench.json:  python benchmarks/run.py

Sections (each with a wall-clock budget; unused time rolls over to the next, so the whole run stays
under --budget seconds):
  speed     Trainer.step throughput at 1 and 2 torch threads, and real-batch loading speed;
  mnist     time to quality of the course's DCGAN (and with reuse_fakes) vs a tutorial-style DCGAN;
  ring      time to cover the 8-Gaussian ring with a vanilla GAN and WGAN-GP (the course's MLPs).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import gan_helpers as gh
from benchmarks import core, suites

REPO = Path(__file__).resolve().parent.parent
# section -> wall seconds (planned); the full plan fits in 9 minutes on a quiet 2-core CPU
BUDGETS = {"speed": 40.0, "mnist-course": 110.0, "mnist-reuse": 90.0, "mnist-foil": 160.0,
           "ring-gan": 80.0, "ring-wgan-gp": 100.0}
CAPS = {"mnist-course": 90.0, "mnist-reuse": 90.0, "mnist-foil": 120.0, "ring-gan": 45.0, "ring-wgan-gp": 30.0}
EVAL_EVERY = {"mnist-course": 50, "mnist-reuse": 50, "mnist-foil": 25, "ring-gan": 250, "ring-wgan-gp": 100}
EVAL_SHARE = {"mnist-foil": 0.75}  # fraction of a section's wall time left for training (the rest: evaluation)
DEFAULT_BUDGET = 540.0  # wall seconds: `make bench` ends within 10 minutes, start-up included
QUICK = {"budget": 60.0, "seeds": 1, "scale": 0.08}  # --quick: a smoke run of every section


class Clock:
    """Rolling deadlines: section k may run until start + sum of the budgets of sections 0..k."""

    def __init__(self, budgets: dict[str, float], total: float) -> None:
        scale = min(1.0, total / sum(budgets.values()))
        self.start, self.ends, acc = time.perf_counter(), {}, 0.0
        for name, seconds in budgets.items():
            acc += seconds * scale
            self.ends[name] = acc

    def left(self, section: str) -> float:
        """Wall seconds left for section (its deadline minus now)."""
        return self.ends[section] - (time.perf_counter() - self.start)


def _seeded_runs(section: str, make_run: Callable[[int, float], core.Run], seeds: int, clock: Clock,
                 scale: float, notes: list[str]) -> list[core.Run]:
    """Run seeds 0..seeds-1 while the section's wall budget lasts; each run's cap shrinks to fit."""
    runs = []
    for seed in range(seeds):
        left = clock.left(section)
        cap = min(CAPS[section] * scale, left * EVAL_SHARE.get(section, 0.85) / max(1, seeds - seed))
        if cap < 0.25 * CAPS[section] * scale and runs:  # too little time for a fair run: stop here
            notes.append(f"{section}: ran {len(runs)} of {seeds} seeds (wall budget used up)")
            break
        cap = max(cap, 1.0)
        runs.append(make_run(seed, cap))
        print(f"  {section} seed {seed}: " + (f"reached at {runs[-1].seconds:.1f} s (step {runs[-1].steps})"
              if runs[-1].reached else f"not reached within {cap:.0f} s ({runs[-1].total_steps} steps)"),
              f"| {runs[-1].throughput:.1f}/s | load {core.load_average()}", flush=True)
    return runs


def _best(runs: list[core.Run], keys: tuple[str, ...]) -> str:
    """The best evaluation over all runs (by the first key, then the second), for the table."""
    evals = _evals(runs)
    if not evals:
        return ""
    best = max(evals, key=lambda e: tuple(e[k] for k in keys))
    return ", ".join(f"{k} {best[k]:.2f}" if isinstance(best[k], float) else f"{k} {best[k]}" for k in keys)


def find_mnist() -> bool:
    """True when MNIST is available; falls back to ../shared/data like the CI script."""
    if gh.data.find_mnist():
        return True
    shared = REPO.parent / "shared" / "data"
    if "GAN_DATA_DIR" not in os.environ and (shared / "MNIST" / "raw").is_dir():
        os.environ["GAN_DATA_DIR"] = str(shared)
    return bool(gh.data.find_mnist())


@dataclass
class Bench:
    """What every section needs: options, the clock, the digits, and where results and notes go."""

    args: argparse.Namespace
    clock: Clock
    scale: float
    mnist: Any  # gh.data.MNIST or None
    notes: list[str] = field(default_factory=list)
    tables: list[dict[str, Any]] = field(default_factory=list)
    ttq_rows: list[dict[str, Any]] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)

    def runs(self, section: str, make_run: Callable[[int, float], core.Run], seeds: int) -> dict[str, Any]:
        """Seeded runs of one section; stores them with their summary and the elapsed time; returns the summary."""
        runs = _seeded_runs(section, make_run, seeds, self.clock, self.scale, self.notes)
        summary = core.summarize(runs)
        self.raw[section] = {"summary": summary, "runs": runs}
        self.raw[f"elapsed_s/{section}"] = round(time.perf_counter() - self.clock.start, 1)
        return summary


def speed_section(b: Bench) -> None:
    """Trainer.step throughput at 1 and 2 threads (with and without reuse_fakes), and real-batch loading."""
    print("== speed: Trainer.step throughput, interleaved 1 and 2 threads", flush=True)
    rows, rounds, chunk = [], 2 if b.args.quick else 3, 0.2 if b.args.quick else 1.0
    load0 = core.load_average()
    for kind, label, unit in (("dcgan", "DCGAN step (batch 64)", "images/s"),
                              ("ring-gan", "2-D MLP GAN step (ring, batch 256)", "steps/s")):
        if kind == "dcgan" and b.mnist is None:
            continue
        for reuse in (False, True):
            res = suites.step_speed(kind, (1, 2), rounds, chunk, reuse, b.mnist.images if b.mnist else None)
            b.raw[f"speed/{kind}/reuse={reuse}"] = res
            rows.append({"step": label + (" + reuse_fakes" if reuse else ""), "unit": unit,
                         "1 thread": res[1]["per_s"], "2 threads": res[2]["per_s"],
                         "1 thread (best)": res[1]["best_per_s"], "2 threads (best)": res[2]["best_per_s"]})
            print(f"  {rows[-1]}", flush=True)
    if b.mnist is not None:
        loading = suites.data_loading_speed(b.mnist.images, batches=10 if b.args.quick else 30)
        b.raw["speed/data_loading"] = loading
        rows += [{"step": f"real batches: {name}", "unit": "batches/s", "1 thread": per_s}
                 for name, per_s in loading.items()]
    b.raw["elapsed_s/speed"] = round(time.perf_counter() - b.clock.start, 1)
    b.tables.append({"title": "Step throughput (median of interleaved chunks)",
                     "columns": ["step", "unit", "1 thread", "2 threads", "1 thread (best)", "2 threads (best)"],
                     "rows": rows})
    b.notes.append(f"Step throughput measured with OMP_WAIT_POLICY={suites.omp_wait_policy()}; load average "
                   f"{load0} before, {core.load_average()} after. On a CPU shared with other jobs, 2 threads "
                   "can be many times slower than 1 (OpenMP threads spin while waiting for a descheduled peer).")


def mnist_section(b: Bench) -> None:
    """Time to quality on MNIST: the course's DCGAN, the same with reuse_fakes, and the tutorial foil."""
    images = b.mnist.images
    classifier = gh.metrics.get_classifier("cpu", verbose=False)
    ref = b.raw["mnist/real_reference"] = suites.real_reference(images, classifier)
    specs = [
        ("mnist-course", "course DCGAN: TrainConfig.dcgan(), DCGANGenerator/Discriminator defaults, 28x28",
         lambda seed, cap: suites.course_dcgan_run(images, classifier, seed, cap, EVAL_EVERY["mnist-course"])),
        ("mnist-reuse", "course DCGAN + reuse_fakes=True",
         lambda seed, cap: suites.course_dcgan_run(images, classifier, seed, cap, EVAL_EVERY["mnist-reuse"],
                                                   reuse_fakes=True)),
        ("mnist-foil", "tutorial-style DCGAN: DataLoader + PIL transforms, 64x64, ngf = ndf = 64",
         lambda seed, cap: suites.tutorial_dcgan_run(images, classifier, seed, cap, EVAL_EVERY["mnist-foil"])),
    ]
    summaries, rows = {}, {}
    for section, setup, make_run in specs:
        print(f"== {section}: {setup}", flush=True)
        s = summaries[section] = b.runs(section, make_run, 1 if section == "mnist-foil" else b.args.seeds)
        rows[section] = {"benchmark": "MNIST", "setup": setup, "throughput": f"{s['throughput']:.0f} images/s",
                         "time to quality (s)": core.seconds_text(s), "reached": f"{s['reached']}/{s['runs']}",
                         "best evaluation": _best(b.raw[section]["runs"], ("confident", "classes"))}
    for section in ("mnist-reuse", "mnist-foil"):  # this row's time / the course DCGAN's time
        rows[section]["time ratio vs course"] = core.ratio_text(summaries[section], summaries["mnist-course"])
    b.ttq_rows += rows.values()
    strict = max((e["confident_strict"] for e in _evals(b.raw["mnist-course"]["runs"])), default=float("nan"))
    b.notes.append(
        f"MNIST bar: >= {core.MNIST_MIN_CLASSES} of 10 classes (each >= {core.MNIST_CLASS_MIN_COUNT} of "
        f"{core.MNIST_EVAL_SAMPLES:,} samples) and >= {core.MNIST_MIN_CONFIDENT:.0%} of the samples with top class "
        f"probability >= {core.MNIST_CONFIDENCE}. Real digits pass it: {ref['real 28x28']['confident']:.3f} "
        f"confident at 28x28, {ref['real via 64x64']['confident']:.3f} after the foil's 64x64 -> 28x28 path. At "
        f"the stricter threshold {core.MNIST_STRICT_CONFIDENCE}, real digits score "
        f"{ref['real 28x28']['confident_strict']:.3f} and the best course-DCGAN evaluation of this run {strict:.3f}.")
    b.notes.append(f"Evaluation every {EVAL_EVERY['mnist-course']} steps (course) / {EVAL_EVERY['mnist-foil']} "
                   "steps (foil), off the training clock; foil samples are downsampled 64x64 -> 28x28 "
                   "(bilinear, antialiased) for the classifier. A run that misses the bar counts as "
                   "'more than its cap' in the median; 'at least x' ratios use the foil's cap.")


def ring_section(b: Bench) -> None:
    """Time to cover the 8-Gaussian ring with enough high-quality samples: vanilla GAN and WGAN-GP."""
    for section, label in (("ring-gan", "GAN (non-saturating)"), ("ring-wgan-gp", "WGAN-GP")):
        print(f"== {section}", flush=True)
        s = b.runs(section, lambda seed, cap, label=label, section=section: suites.ring_run(
            label, seed, cap, EVAL_EVERY[section]), b.args.seeds)
        cfg = suites.RING_CONFIGS[label]()
        b.ttq_rows.append({
            "benchmark": "ring8", "reached": f"{s['reached']}/{s['runs']}",
            "setup": f"{label}: MLP {suites.RING_HIDDEN}x{suites.RING_DEPTH}, batch {cfg.batch_size}, "
                     f"lr {cfg.lr_d:g}, n_critic {cfg.n_critic}",
            "throughput": f"{s['throughput']:.0f} G steps/s", "time to quality (s)": core.seconds_text(s),
            "best evaluation": _best(b.raw[section]["runs"], ("modes", "hq_percent"))})
    b.notes.append(f"Ring bar: all {core.RING_MODES} modes covered and >= {core.RING_MIN_HQ_PERCENT:.0f} % "
                   f"high-quality samples (gh.metrics.mode_metrics, {core.RING_EVAL_SAMPLES:,} samples; high "
                   f"quality = within 3 std = 0.03 of a mode), evaluated every {EVAL_EVERY['ring-gan']} (GAN) / "
                   f"{EVAL_EVERY['ring-wgan-gp']} (WGAN-GP) generator steps. Models and optimiser settings as "
                   "notebook 07.")


def _evals(runs: list[core.Run]) -> list[dict[str, Any]]:
    return [e for r in runs for e in r.evals]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Parse the command line, run the sections, write the report, print the tables; return the report."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--budget", type=float, default=None, help="total wall seconds for all sections (default 540)")
    ap.add_argument("--seeds", type=int, default=3, help="seeded runs per time-to-quality row (default 3)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads for the time-to-quality runs (default 1)")
    ap.add_argument("--only", default="speed,mnist,ring", help="comma-separated sections: speed, mnist, ring")
    ap.add_argument("--out", default=str(REPO / "reports"), help="output folder (default reports/)")
    ap.add_argument("--name", default="bench", help="report file name without extension (default bench)")
    ap.add_argument("--quick", action="store_true", help="a ~1-minute smoke run with tiny caps (numbers meaningless)")
    args = ap.parse_args(argv)
    only = {s.strip() for s in args.only.split(",")}
    if not only <= {"speed", "mnist", "ring"}:
        ap.error(f"--only takes speed, mnist, ring; got {args.only}")
    if args.quick:
        args.seeds = min(args.seeds, QUICK["seeds"])
    if args.budget is None:
        args.budget = QUICK["budget"] if args.quick else DEFAULT_BUDGET
    gh.utils.cpu_threads("cpu", args.threads)  # the course helper: n torch threads on the CPU
    machine = core.machine_info()
    clock = Clock({k: v for k, v in BUDGETS.items() if k.split("-")[0] in only}, args.budget)
    mnist = gh.data.load_mnist(verbose=False) if only & {"mnist", "speed"} and find_mnist() else None
    b = Bench(args, clock, QUICK["scale"] if args.quick else 1.0, mnist)
    if mnist is not None:
        b.notes.append(f"MNIST: {len(mnist.images):,} images of the {mnist.split} split" + (
            " (offline only the official 10k test split exists; the GANs train on it, and the judging "
            "classifier was trained on its first 8,000 digits)" if mnist.split == "test" else ""))
    elif only & {"mnist", "speed"}:
        b.notes.append("MNIST not found (set GAN_DATA_DIR): the MNIST rows were skipped")
    if "speed" in only:
        speed_section(b)
    if "mnist" in only and mnist is not None:
        mnist_section(b)
    if "ring" in only:
        ring_section(b)
    if b.ttq_rows:
        b.tables.insert(0, {"title": f"Time to quality ({args.threads} torch thread(s), median over seeds, "
                                     "training clock without evaluation)",
                            "columns": ["benchmark", "setup", "throughput", "time to quality (s)", "reached",
                                        "time ratio vs course", "best evaluation"], "rows": b.ttq_rows})
    if args.quick:
        b.notes.insert(0, "QUICK smoke run: tiny caps, numbers meaningless.")
    report = {"date": time.strftime("%Y-%m-%d %H:%M"), "machine": machine, "tables": b.tables, "notes": b.notes,
              "load_average_end": core.load_average(), "wall_seconds": round(time.perf_counter() - clock.start, 1),
              "args": vars(args), "raw": b.raw}
    json_path, md_path = core.write_report(report, args.out, args.name)
    print()
    print(core.report_markdown(report))
    print(f"wrote {gh.utils.short_path(md_path)} and {gh.utils.short_path(json_path)} "
          f"in {report['wall_seconds']:.0f} s")
    return report


if __name__ == "__main__":
    main()
