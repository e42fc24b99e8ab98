"""The benchmark machinery (benchmarks/): quality predicates, the training clock, summaries, reports."""
import json
import math
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # benchmarks/ is a folder, not installed
from benchmarks import core, run, suites, tutorial_dcgan

# ------------------------------------------------------------------ quality predicates


def test_classes_found_counts_only_classes_above_the_minimum():
    counts = torch.tensor([100, 100, 100, 100, 100, 100, 100, 100, 191, 9])  # class 9: 9 < 10 samples
    assert core.classes_found(counts) == 9
    assert core.classes_found(counts, min_count=1) == 10
    assert core.classes_found(torch.zeros(10, dtype=torch.long)) == 0
    with pytest.raises(ValueError):
        core.classes_found(torch.tensor([[1, 2]]))


@pytest.mark.parametrize("classes, confident, good", [
    (9, 0.80, True), (10, 0.99, True),  # on the bar, well above it
    (8, 0.99, False),  # one class too few
    (10, 0.7999, False),  # just under the confident fraction
])
def test_mnist_quality_bar(classes, confident, good):
    assert core.mnist_quality({"classes": classes, "confident": confident}) is good


@pytest.mark.parametrize("modes, hq, good", [(8, 80.0, True), (8, 99.0, True), (7, 99.0, False), (8, 79.9, False)])
def test_ring_quality_bar(modes, hq, good):
    assert core.ring_quality({"modes": modes, "hq_percent": hq, "reverse_kl": 0.0}) is good


def test_predicates_reject_missing_keys():
    with pytest.raises(ValueError):
        core.mnist_quality({"classes": 10})
    with pytest.raises(ValueError):
        core.ring_quality({"modes": 8})


def test_ring_predicate_on_constructed_samples():
    """Exact mode centres pass; all samples on one mode, or spread 10 std away, fail."""
    import gan_helpers as gh

    ring = gh.data.ring8()
    centres = ring.centers.repeat(50, 1)  # 400 samples, 50 per mode, exactly on the modes
    assert core.ring_quality(gh.metrics.mode_metrics(centres, ring))
    one_mode = ring.centers[:1].repeat(400, 1)
    assert not core.ring_quality(gh.metrics.mode_metrics(one_mode, ring))
    off = centres + 10 * ring.std  # every sample 10 * sqrt(2) std from its mode: none high quality
    assert not core.ring_quality(gh.metrics.mode_metrics(off, ring))


def test_mnist_metrics_on_real_and_blank_digits(mnist):
    """Real digits meet the bar; 1,000 blank images give one class and fail it."""
    import gan_helpers as gh

    classifier = gh.metrics.get_classifier("cpu", verbose=False)
    real = core.mnist_metrics(mnist.images[-1000:], classifier)
    assert real["classes"] == 10 and real["confident"] > 0.95 and core.mnist_quality(real)
    blank = core.mnist_metrics(-torch.ones(1000, 1, 28, 28), classifier)
    assert blank["classes"] <= 1 and not core.mnist_quality(blank)
    assert sum(blank["counts"]) == 1000


def test_foil_downsampling_keeps_real_digits_recognisable(mnist):
    """The foil's 64x64 -> 28x28 path is not what makes it miss the bar: real digits survive it."""
    import gan_helpers as gh

    classifier = gh.metrics.get_classifier("cpu", verbose=False)
    ref = suites.real_reference(mnist.images, classifier)
    assert ref["real 28x28"]["good"] and ref["real via 64x64"]["good"]
    u8 = tutorial_dcgan.as_uint8(mnist.images[:3])
    assert u8.dtype == torch.uint8 and u8.shape == (3, 28, 28)
    x64 = tutorial_dcgan.DigitDataset(u8)[0][0]
    assert x64.shape == (1, 64, 64) and -1.0 <= float(x64.min()) and float(x64.max()) <= 1.0


# ------------------------------------------------------------------ the training clock


class FakeClock:
    """A clock that advances only when a fake training step 'runs': evaluation costs no time."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _fake_run(step_cost: float, good_from_step: int | None, cap_s: float, eval_every: int, eval_cost: float = 5.0):
    clock, state = FakeClock(), {"steps": 0}

    def step() -> None:
        clock.now += step_cost
        state["steps"] += 1

    def evaluate() -> dict:
        clock.now += eval_cost  # must NOT count: the clock is read only around step()
        return {"score": state["steps"]}

    def is_good(m: dict) -> bool:
        return good_from_step is not None and m["score"] >= good_from_step

    return core.time_to_quality(step, evaluate, is_good, cap_s, eval_every, items_per_step=64, clock=clock)


def test_time_to_quality_reached_at_first_passing_evaluation():
    r = _fake_run(step_cost=0.5, good_from_step=25, cap_s=100.0, eval_every=10)
    assert r.reached and r.steps == 30  # evaluations at 10, 20, 30: the first >= 25 is step 30
    assert r.seconds == pytest.approx(15.0)  # 30 steps x 0.5 s; evaluation time excluded
    assert r.throughput == pytest.approx(30 * 64 / 15.0)
    assert [e["step"] for e in r.evals] == [10, 20, 30] and r.evals[-1]["good"]


def test_time_to_quality_not_reached_within_cap():
    r = _fake_run(step_cost=1.0, good_from_step=None, cap_s=12.0, eval_every=5)
    assert not r.reached and r.seconds is None and r.steps is None
    assert r.total_steps == 12 and r.train_seconds == pytest.approx(12.0)
    assert [e["step"] for e in r.evals] == [5, 10, 12]  # the cap triggers a final evaluation


def test_time_to_quality_good_only_after_the_cap_is_not_reached():
    r = _fake_run(step_cost=1.0, good_from_step=50, cap_s=20.0, eval_every=10)
    assert not r.reached and r.total_steps == 20


def test_time_to_quality_rejects_bad_arguments():
    with pytest.raises(ValueError):
        core.time_to_quality(lambda: None, dict, bool, cap_s=0.0, eval_every=1)
    with pytest.raises(ValueError):
        core.time_to_quality(lambda: None, dict, bool, cap_s=1.0, eval_every=0)


def test_summarize_median_counts_misses_as_infinite():
    hit = lambda s: core.Run(True, s, 10, s, 10, 64, 60.0)  # noqa: E731
    miss = core.Run(False, None, None, 60.0, 99, 64, 60.0)
    assert core.summarize([hit(10.0), hit(30.0), miss])["median_s"] == 30.0
    s = core.summarize([hit(10.0), miss, miss])
    assert s["median_s"] is None and s["reached"] == 1 and core.seconds_text(s).startswith("not reached")
    foil, ours = core.summarize([miss]), core.summarize([hit(12.0)])
    assert core.ratio_text(foil, ours) == "at least 5.0"  # 60 s cap / 12 s
    assert core.ratio_text(core.summarize([hit(24.0)]), ours) == "2.0"
    assert core.ratio_text(foil, foil) == "n/a"


# ------------------------------------------------------------------ reports


def test_write_report_files_and_keys(tmp_path):
    report = {"machine": core.machine_info(), "notes": ["a note"], "load_average_end": core.load_average(),
              "tables": [{"title": "T", "columns": ["a", "b"], "rows": [{"a": 1, "b": "x"}, {"a": 2}]}],
              "raw": {"run": core.Run(False, None, None, 1.0, 3, 64, 1.0), "inf": math.inf}}
    json_path, md_path = core.write_report(report, tmp_path / "reports", "t")
    data = json.loads(json_path.read_text())
    assert set(core.REPORT_KEYS) <= set(data) and data["raw"]["run"]["throughput"] == pytest.approx(192.0)
    text = md_path.read_text()
    assert "| a | b |" in text and "| 1 | x |" in text and "| 2 |  |" in text and "- a note" in text
    with pytest.raises(ValueError):
        core.write_report({"notes": []}, tmp_path)


def test_runner_end_to_end_on_a_tiny_budget(tmp_path):
    """run.main on the ring section with a few seconds of budget writes both files with the expected keys."""
    report = run.main(["--only", "ring", "--quick", "--budget", "6", "--seeds", "1", "--out", str(tmp_path),
                       "--name", "tiny"])
    data = json.loads((tmp_path / "tiny.json").read_text())
    for key in ("date", "machine", "tables", "notes", "load_average_end", "wall_seconds", "raw"):
        assert key in data
    assert {"ring-gan", "ring-wgan-gp"} <= set(data["raw"])
    for section in ("ring-gan", "ring-wgan-gp"):
        summary = data["raw"][section]["summary"]
        assert summary["runs"] == 1 and {"median_s", "cap_s", "throughput", "reached"} <= set(summary)
        assert summary["median_s"] is None or summary["median_s"] <= summary["cap_s"]
    rows = data["tables"][0]["rows"]
    assert [r["benchmark"] for r in rows] == ["ring8", "ring8"]
    assert "time to quality (s)" in data["tables"][0]["columns"]
    assert (tmp_path / "tiny.md").read_text().startswith("# GAN course benchmark")
    assert report["wall_seconds"] < 20
