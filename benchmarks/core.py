"""Benchmark machinery: a training clock that excludes evaluation, quality predicates, medians, reports.

Nothing here knows about a particular model: time_to_quality() takes a step function, an evaluation
function and a predicate, so the same clock times the course's Trainer, the tutorial foil and the
tests' fakes.
"""
from __future__ import annotations

import json
import math
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

import gan_helpers as gh

# --------------------------------------------------------------------------- quality bars

# The MNIST bar, fixed before measuring (issue 14): on 1,000 samples, all 10 classes (each predicted
# for >= 1 % of them) and >= 50 % of the samples with top class probability >= 0.9, held at two
# consecutive evaluations. Real digits: 10 classes and about 96 % confident.
MNIST_MIN_CLASSES = 10
MNIST_CLASS_MIN_COUNT = 10  # samples per class, of 1,000
MNIST_MIN_CONFIDENT = 0.50
MNIST_CONFIDENCE = 0.9
MNIST_HOLD = 2  # consecutive evaluations that must meet the bar
MNIST_EVAL_SAMPLES = 1000
RING_MODES = 8  # all modes covered ...
RING_MIN_HQ_PERCENT = 80.0  # ... and at least this % of samples within 3 std of their nearest mode
RING_EVAL_SAMPLES = 2500


def classes_found(counts: torch.Tensor, min_count: int = MNIST_CLASS_MIN_COUNT) -> int:
    """Number of classes predicted for at least min_count samples: counts (10,) -> int."""
    counts = torch.as_tensor(counts)
    if counts.ndim != 1 or len(counts) == 0 or (counts < 0).any():
        raise ValueError(f"counts must be a 1-D tensor of non-negative class counts, got {counts!r}")
    return int((counts >= min_count).sum())


def mnist_quality(metrics: dict[str, float], min_classes: int = MNIST_MIN_CLASSES,
                  min_confident: float = MNIST_MIN_CONFIDENT) -> bool:
    """True when metrics {"classes": int, "confident": fraction in [0, 1]} meet the MNIST bar."""
    if not {"classes", "confident"} <= set(metrics):
        raise ValueError(f"metrics need the keys 'classes' and 'confident', got {sorted(metrics)}")
    return metrics["classes"] >= min_classes and metrics["confident"] >= min_confident


def ring_quality(metrics: dict[str, float], modes: int = RING_MODES,
                 min_hq_percent: float = RING_MIN_HQ_PERCENT) -> bool:
    """True when gh.metrics.mode_metrics output {"modes", "hq_percent", ...} covers all modes with enough HQ."""
    if not {"modes", "hq_percent"} <= set(metrics):
        raise ValueError(f"metrics need the keys 'modes' and 'hq_percent', got {sorted(metrics)}")
    return metrics["modes"] >= modes and metrics["hq_percent"] >= min_hq_percent


def mnist_metrics(images: torch.Tensor, classifier: torch.nn.Module, real: torch.Tensor | None = None,
                  threshold: float = MNIST_CONFIDENCE) -> dict[str, Any]:
    """Classifier verdict on images (B, 1, 28, 28) in [-1, 1].

    Returns {"classes": classes_found, "confident": fraction at threshold, "counts": (10,) class counts
    as a list} and, given real digits (N, 1, 28, 28), "fd": the Frechet distance on the classifier's
    features (gh.metrics.frechet_classifier_distance).
    """
    counts = gh.metrics.class_histogram(images, classifier)
    out = {"classes": classes_found(counts), "counts": counts.tolist(),
           "confident": round(gh.metrics.confident_fraction(images, classifier, threshold), 4)}
    if real is not None:
        out["fd"] = round(gh.metrics.frechet_classifier_distance(images, real, classifier), 2)
    return out


# --------------------------------------------------------------------------- the clock


@dataclass
class Run:
    """One timed run: whether and when the bar was reached, on the training clock (evaluation excluded)."""

    reached: bool
    seconds: float | None  # training seconds at the first evaluation that met the bar; None if never
    steps: int | None  # steps done at that evaluation
    train_seconds: float  # training seconds of the whole run (up to the bar or the cap)
    total_steps: int
    items_per_step: int  # images (or samples) consumed per step, for the throughput
    cap_s: float
    evals: list[dict[str, Any]] = field(default_factory=list)

    @property
    def throughput(self) -> float:
        """Items per training second (images/s for a GAN step with batch m: m per G step)."""
        return self.total_steps * self.items_per_step / self.train_seconds if self.train_seconds > 0 else math.nan


def time_to_quality(step: Callable[[], None], evaluate: Callable[[], dict[str, Any]],
                    is_good: Callable[[dict[str, Any]], bool], cap_s: float, eval_every: int,
                    items_per_step: int = 1, max_steps: int | None = None, hold: int = 1,
                    clock: Callable[[], float] = time.perf_counter) -> Run:
    """Call step() until is_good(evaluate()) holds at `hold` consecutive evaluations, or the training
    clock passes cap_s; return a Run.

    evaluate() runs every eval_every steps and once more when the cap (or max_steps) stops the run;
    its time is NOT on the training clock. The bar counts as reached at the evaluation that completes
    the run of `hold` good ones (its step and training seconds go into the Run); Run.seconds is None
    when the bar was not reached.
    """
    if not cap_s > 0 or not isinstance(eval_every, int) or eval_every < 1:
        raise ValueError(f"need cap_s > 0 and an int eval_every >= 1, got {cap_s!r}, {eval_every!r}")
    if not isinstance(hold, int) or hold < 1:
        raise ValueError(f"hold must be an int >= 1 (consecutive good evaluations), got {hold!r}")
    train_s, steps, evals, streak = 0.0, 0, [], 0

    def check() -> bool:
        nonlocal streak
        metrics = evaluate()
        good = bool(is_good(metrics))
        streak = streak + 1 if good else 0
        evals.append({"step": steps, "train_s": round(train_s, 3), "good": good, **metrics})
        return streak >= hold

    while True:
        t0 = clock()
        step()
        train_s += clock() - t0
        steps += 1
        out_of_budget = train_s >= cap_s or (max_steps is not None and steps >= max_steps)
        if steps % eval_every == 0 or out_of_budget:
            if check():
                return Run(True, train_s, steps, train_s, steps, items_per_step, cap_s, evals)
            if out_of_budget:
                return Run(False, None, None, train_s, steps, items_per_step, cap_s, evals)


def summarize(runs: list[Run]) -> dict[str, Any]:
    """Median over seeded runs; a run that missed the bar counts as +inf seconds (it needs more than its cap)."""
    if not runs:
        raise ValueError("summarize needs at least one Run")
    secs = [r.seconds if r.reached else math.inf for r in runs]
    med = statistics.median(secs)
    return {
        "runs": len(runs),
        "reached": sum(r.reached for r in runs),
        "median_s": None if math.isinf(med) else round(med, 2),
        "cap_s": max(r.cap_s for r in runs),
        "median_steps": (statistics.median([r.steps if r.reached else math.inf for r in runs])
                         if not math.isinf(med) else None),
        "seconds": [None if math.isinf(s) else round(s, 2) for s in secs],
        "total_steps": [r.total_steps for r in runs],
        "throughput": round(statistics.median([r.throughput for r in runs]), 1),
    }


def ratio_text(foil: dict[str, Any], ours: dict[str, Any]) -> str:
    """'x.x' (foil median / our median), 'at least x.x' when the foil missed its cap, 'n/a' if we missed ours."""
    if ours.get("median_s") is None or not ours["median_s"] > 0:
        return "n/a"
    if foil.get("median_s") is None:
        return f"at least {foil['cap_s'] / ours['median_s']:.1f}"
    return f"{foil['median_s'] / ours['median_s']:.1f}"


def steps_text(summary: dict[str, Any]) -> str:
    """Median steps to the bar for a table cell, or 'not reached (> n)' with the fewest steps a miss made."""
    if summary.get("median_steps") is None:
        missed = [n for n, s in zip(summary["total_steps"], summary["seconds"]) if s is None]
        return f"not reached (> {min(missed)})"
    return f"{summary['median_steps']:.0f}"


def seconds_text(summary: dict[str, Any]) -> str:
    """Median seconds for a table cell, or 'not reached (> cap s)'."""
    if summary.get("median_s") is None:
        return f"not reached (> {summary['cap_s']:.0f} s)"
    return f"{summary['median_s']:.1f}"


def load_average() -> list[float] | None:
    """1, 5 and 15-minute load averages rounded to 2 decimals (None where the OS has none)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def machine_info() -> dict[str, Any]:
    """What the numbers were measured on: torch version, threads, CPU count, load average."""
    return {"torch": torch.__version__, "threads": torch.get_num_threads(), "cpus": os.cpu_count(),
            "platform": platform.platform(terse=True), "python": platform.python_version(),
            "load_average": load_average()}


# --------------------------------------------------------------------------- report

def markdown_table(columns: list[str], rows: list[dict[str, Any]]) -> str:
    """Rows {column: value} -> a GitHub markdown table with the given columns (missing cells empty)."""
    if not columns:
        raise ValueError("markdown_table needs at least one column")
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(str(row.get(c, "")) for c in columns) + " |")
    return "\n".join(lines)


REPORT_KEYS = ("tables", "notes", "machine")


def write_report(report: dict[str, Any], out_dir: str | os.PathLike, name: str = "bench") -> tuple[Path, Path]:
    """Write out_dir/name.json (everything) and out_dir/name.md (tables + notes); return both paths.

    report: {"tables": [{"title", "columns", "rows"}], "notes": [str], "machine": machine_info(), ...}.
    """
    if not set(REPORT_KEYS) <= set(report):
        raise ValueError(f"report needs the keys {REPORT_KEYS}, got {sorted(report)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out / f"{name}.json", out / f"{name}.md"
    json_path.write_text(json.dumps(report, indent=2, default=_jsonable), encoding="utf-8")
    md_path.write_text(report_markdown(report), encoding="utf-8")
    return json_path, md_path


def report_markdown(report: dict[str, Any]) -> str:
    """The markdown text of a report: a heading per table, then the machine line and the notes."""
    m = report["machine"]
    md = [f"# GAN course benchmark ({report.get('date', time.strftime('%Y-%m-%d %H:%M'))})", ""]
    for table in report["tables"]:
        md += [f"## {table['title']}", "", markdown_table(table["columns"], table["rows"]), ""]
    md += [f"Machine: torch {m['torch']}, {m['threads']} torch thread(s), {m['cpus']} CPUs, "
           f"{m['platform']}; load average (1, 5, 15 min) {m.get('load_average')} at the start, "
           f"{report.get('load_average_end')} at the end.", ""]
    md += [f"- {note}" for note in report["notes"]]
    return "\n".join(md) + "\n"


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, Run):
        return {**asdict(obj), "throughput": obj.throughput}
    if isinstance(obj, torch.Tensor):
        return obj.tolist()
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
