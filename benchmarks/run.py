"""Run the course benchmark and write reports/bench.md + reports/bench.json:  python benchmarks/run.py

Sections (each with a wall-clock budget; unused time rolls over to the next, so the whole run stays
under --budget seconds):
  speed     images/s of notebook 05's recipe at 1 and 2 torch threads beside the recipe before issue 14,
            interleaved; real-batch loading speed;
  mnist     steps and seconds to a fixed MNIST bar: the recipe (gh.models.dcgan_mnist +
            TrainConfig.dcgan_mnist) vs two foils trained the way tutorials do it: (a) the same 28x28
            networks and hyper-parameters, (b) the PyTorch DCGAN tutorial's 64x64 setup;
  ring      notebook 07's vanilla GAN and WGAN-GP runs on the ring of 8 (its SETTINGS), scored on the
            final samples.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import gan_helpers as gh
from benchmarks import ab_speed, core, suites

REPO = Path(__file__).resolve().parent.parent
# section -> wall seconds (planned); the full plan fits in 9 minutes on a quiet 2-core CPU
BUDGETS = {"speed": 70.0, "mnist-course": 150.0, "mnist-same-recipe": 150.0, "mnist-pytorch-tutorial": 130.0,
           "ring": 40.0}
CAPS = {"mnist-course": 60.0, "mnist-same-recipe": 50.0, "mnist-pytorch-tutorial": 38.0}  # training s per seed
EVAL_EVERY = {"mnist-course": 50, "mnist-same-recipe": 50, "mnist-pytorch-tutorial": 10}
EVAL_SHARE = {"mnist-course": 0.85, "mnist-same-recipe": 0.9, "mnist-pytorch-tutorial": 0.85}
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


def commit_speed_section(b: Bench) -> None:
    """Images/s of notebook 05's recipe at the commit before issue 14 and at this one, each in its own
    process, interleaved (benchmarks.ab_speed); skipped with a note where git or the old commit is missing."""
    print("== speed: the commit before issue 14 vs this one, separate processes, interleaved", flush=True)
    rounds, chunk = (1, 0.3) if b.args.quick else (6, 2.0)
    try:
        res = ab_speed.main(["--rounds", str(rounds), "--chunk", str(chunk),
                             "--data", os.environ.get("GAN_DATA_DIR", str(REPO.parent / "shared" / "data"))])
    except (subprocess.SubprocessError, OSError, ValueError) as e:  # no git, no old commit, a child failed
        b.notes.append(f"The old-commit speed comparison was skipped: {type(e).__name__}: {e}")
        return
    b.raw["speed/commits"] = res
    old, new = res["old"], res["new"]
    rows = [{"code": f"commit {res['old_commit']} (before issue 14): DCGAN(64, 32), TrainConfig.dcgan(batch_size=64), "
                     f"{old['threads']} thread", "images/s": old["median"], "best chunk": max(old["chunks"]),
             "vs before": "1.00x"},
            {"code": f"this commit: notebook 05 recipe, {new['threads']} threads", "images/s": new["median"],
             "best chunk": max(new["chunks"]), "vs before": f"{res['ratio']:.2f}x"}]
    b.tables.append({"title": f"Step throughput, old commit vs this one (each in its own process, {rounds} "
                              f"interleaved chunks of {chunk:g} s each, medians)",
                     "columns": ["code", "images/s", "best chunk", "vs before"], "rows": rows})
    print(json.dumps(rows), flush=True)


def speed_section(b: Bench) -> None:
    """The old commit vs this one (commit_speed_section); then, in this process, images/s of the recipe at 1 and
    2 threads and of the networks and config before issue 14, interleaved; real-batch loading."""
    if b.mnist is not None:
        commit_speed_section(b)
    print("== speed: Trainer.step images/s, interleaved", flush=True)
    rounds, chunk = (2, 0.2) if b.args.quick else (3, 1.0)
    load0 = core.load_average()
    rows = []
    if b.mnist is not None:
        images = b.mnist.images
        contenders = {
            "networks and config before issue 14 (DCGAN(64, 32), TrainConfig.dcgan(batch_size=64)) on this "
            "commit's Trainer, 1 thread": (suites.recipe_trainer(images, old=True), 1),
            "notebook 05 recipe (dcgan_mnist, TrainConfig.dcgan_mnist()), 1 thread": (suites.recipe_trainer(images), 1),
            "notebook 05 recipe, 2 threads": (suites.recipe_trainer(images), 2),
        }
        res = suites.step_speed(contenders, rounds, chunk)
        b.raw["speed/steps"] = res
        base = next(iter(res.values()))["per_s"]
        rows += [{"step": label, "unit": "images/s", "median": r["per_s"], "best chunk": r["best_per_s"],
                  "vs before": f"{r['per_s'] / base:.2f}x"} for label, r in res.items()]
        loading = suites.data_loading_speed(images, batches=10 if b.args.quick else 30)
        b.raw["speed/data_loading"] = loading
        rows += [{"step": f"real batches of 128: {name}", "unit": "batches/s", "median": per_s}
                 for name, per_s in loading.items()]
        for row in rows:
            print(f"  {row}", flush=True)
    b.raw["elapsed_s/speed"] = round(time.perf_counter() - b.clock.start, 1)
    b.tables.append({"title": "Step throughput in this process (median of interleaved chunks of about 1 s)",
                     "columns": ["step", "unit", "median", "best chunk", "vs before"], "rows": rows})
    b.notes.append(f"Step throughput measured with OMP_WAIT_POLICY={suites.omp_wait_policy()}; load average "
                   f"{load0} before, {core.load_average()} after. On a CPU shared with other jobs, 2 threads "
                   "can be many times slower than 1 (OpenMP threads spin while waiting for a descheduled peer).")
    b.notes.append("The Trainer asks glibc's malloc to keep freed memory (gh.utils.keep_freed_memory); the setting "
                   "is process-wide, so from the in-process rows on, the foils below run with it too.")


def _ttq_row(b: Bench, section: str, setup: str, summary: dict[str, Any]) -> dict[str, Any]:
    """A row of the time-to-bar table from a section's summary."""
    return {"benchmark": "MNIST", "setup": setup, "images/s": f"{summary['throughput']:.0f}",
            "steps to bar": core.steps_text(summary), "time to bar (s)": core.seconds_text(summary),
            "reached": f"{summary['reached']}/{summary['runs']}",
            "best evaluation": _best(b.raw[section]["runs"], ("confident", "classes", "fd"))}


def mnist_section(b: Bench) -> None:
    """Steps and seconds to the MNIST bar: the recipe, and the two tutorial-style foils, each over the seeds."""
    images = b.mnist.images
    classifier = gh.metrics.get_classifier("cpu", verbose=False)
    real = images[-core.MNIST_EVAL_SAMPLES:]  # FD reference; the real row below scores images[:1000]
    ref = b.raw["mnist/real_reference"] = suites.real_reference(images, classifier, real)
    cfg = gh.training.TrainConfig.dcgan_mnist()
    specs = [
        ("mnist-course", f"notebook 05 recipe: gh.models.dcgan_mnist(), TrainConfig.dcgan_mnist() (batch "
                         f"{cfg.batch_size}), TensorBatcher, {gh.training.DCGAN_MNIST_THREADS} thread(s)",
         lambda seed, cap: suites.course_dcgan_run(images, classifier, real, seed, cap, EVAL_EVERY["mnist-course"])),
        ("mnist-same-recipe", "foil (a): the same 28x28 networks and hyper-parameters, tutorial-style: DataLoader "
                              f"+ PIL transforms, .item() each step, unfused Adam, {suites.default_threads()} threads",
         lambda seed, cap: suites.tutorial_run("same-recipe", images, classifier, real, seed, cap,
                                               EVAL_EVERY["mnist-same-recipe"])),
        ("mnist-pytorch-tutorial", "foil (b): the PyTorch DCGAN tutorial, 64x64, ngf = ndf = 64, nz 100, batch "
                                   f"{suites.tutorial_dcgan.BATCH}, {suites.default_threads()} threads",
         lambda seed, cap: suites.tutorial_run("pytorch-tutorial", images, classifier, real, seed, cap,
                                               EVAL_EVERY["mnist-pytorch-tutorial"])),
    ]
    summaries, rows = {}, {}
    for section, setup, make_run in specs:
        print(f"== {section}: {setup}", flush=True)
        summaries[section] = b.runs(section, make_run, b.args.seeds)
        rows[section] = _ttq_row(b, section, setup, summaries[section])
    for section in ("mnist-same-recipe", "mnist-pytorch-tutorial"):  # this row's time / the recipe's time
        rows[section]["time ratio vs recipe"] = core.ratio_text(summaries[section], summaries["mnist-course"])
    real_row = ref["real 28x28"]
    rows["real"] = {"benchmark": "MNIST", "setup": "real digits (1,000 of the split; FD against 1,000 others)",
                    "best evaluation": f"confident {real_row['confident']:.2f}, classes {real_row['classes']}, "
                                       f"fd {real_row['fd']:.2f}"}
    b.ttq_rows += rows.values()
    b.notes.append(
        f"MNIST bar (fixed before measuring): all {core.MNIST_MIN_CLASSES} classes (each predicted for >= "
        f"{core.MNIST_CLASS_MIN_COUNT} of {core.MNIST_EVAL_SAMPLES:,} samples) and >= {core.MNIST_MIN_CONFIDENT:.0%} "
        f"of the samples with top class probability >= {core.MNIST_CONFIDENCE}, at {core.MNIST_HOLD} consecutive "
        f"evaluations; the time and steps are those of the second. Real digits: "
        f"{ref['real 28x28']['confident']:.3f} confident at 28x28, {ref['real via 64x64']['confident']:.3f} after "
        "the 64x64 foil's 64 -> 28 path (so that path does not cost the foil the bar).")
    b.notes.append(f"Evaluation every {EVAL_EVERY['mnist-course']} steps (recipe, foil (a)) / "
                   f"{EVAL_EVERY['mnist-pytorch-tutorial']} steps (foil (b)), off the training clock, on 1,000 "
                   "samples from fixed latent codes; fd = Frechet distance on the course classifier's features "
                   "against 1,000 real digits. A run that misses the bar counts as 'more than its cap' in the "
                   "median; 'at least x' ratios use the foil's cap.")


def ring_section(b: Bench) -> None:
    """Notebook 07's ring runs (its SETTINGS) for the vanilla GAN and WGAN-GP, scored on the final samples."""
    from gan_helpers.course import nb07

    s = nb07.SETTINGS
    if b.args.quick:
        s = dataclasses.replace(s, d_updates=max(10, round(s.d_updates * QUICK["scale"])), checkpoints=2, members=2)
    rows = []
    for method in suites.RING_METHODS:
        print(f"== ring: {method}", flush=True)
        results = []
        for seed in range(b.args.seeds):
            if b.clock.left("ring") <= 0 and results:
                b.notes.append(f"ring {method}: ran {len(results)} of {b.args.seeds} seeds (wall budget used up)")
                break
            results.append(suites.ring_final(method, seed, s))
            print(f"  seed {seed}: {results[-1]}", flush=True)
        b.raw[f"ring/{method}"] = results
        runs = [r for res in results for r in res["runs"]]
        modes = [r["modes"] for r in runs]
        rows.append({"method": method, "setup": nb07.DESCRIPTIONS[method],
                     "updates": f"{results[0]['g_steps']} G / {results[0]['g_steps'] * results[0]['d_per_g']} D",
                     "training s per run":
                         f"{statistics.median(r['train_s'] for r in results) / len(results[0]['runs']):.2f}",
                     "final modes (median, min-max)": f"{statistics.median(modes):g} ({min(modes)}-{max(modes)})",
                     "final HQ % (median)": f"{statistics.median(r['hq_percent'] for r in runs):.1f}",
                     "runs meeting the bar": f"{sum(r['good'] for r in runs)}/{len(runs)}"})
    b.raw["elapsed_s/ring"] = round(time.perf_counter() - b.clock.start, 1)
    b.tables.append({"title": f"Ring of 8: notebook 07's runs ({s.members} per seed x {b.args.seeds} seeds, "
                              f"{s.d_updates} D updates, final samples of the EMA generator)",
                     "columns": list(rows[0]) if rows else [], "rows": rows})
    b.notes.append(f"Ring bar: all {core.RING_MODES} modes covered and >= {core.RING_MIN_HQ_PERCENT:.0f} % "
                   f"high-quality samples (within 3 std of a mode) among {s.n_eval:,} final samples. Settings, "
                   "models and schedule are gh.course.nb07.SETTINGS and nb07.build, the ones notebook 07 runs; "
                   "training seconds are the ensemble's (all members at once) divided by its members.")


def _evals(runs: list[core.Run]) -> list[dict[str, Any]]:
    return [e for r in runs for e in r.evals]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Parse the command line, run the sections, write the report, print the tables; return the report."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--budget", type=float, default=None, help="total wall seconds for all sections (default 540)")
    ap.add_argument("--seeds", type=int, default=3, help="seeded runs per time-to-quality row (default 3)")
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
    gh.utils.cpu_threads("cpu", 1)  # each section sets its own threads (the recipe's, the foils' defaults)
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
        b.tables.insert(0, {"title": "MNIST: steps and seconds to the bar (median over seeds, training clock "
                                     "without evaluation)",
                            "columns": ["benchmark", "setup", "images/s", "steps to bar", "time to bar (s)",
                                        "reached", "time ratio vs recipe", "best evaluation"], "rows": b.ttq_rows})
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
