"""The benchmark machinery (benchmarks/): quality predicates, the training clock, summaries, reports."""
import dataclasses
import json
import math
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # benchmarks/ is a folder, not installed
import gan_helpers as gh  # noqa: E402
from benchmarks import ab_speed, core, readme, recipe, run, suites, tutorial_dcgan

# ------------------------------------------------------------------ quality predicates


def test_classes_found_counts_only_classes_above_the_minimum():
    counts = torch.tensor([100, 100, 100, 100, 100, 100, 100, 100, 191, 9])  # class 9: 9 < 10 samples
    assert core.classes_found(counts) == 9
    assert core.classes_found(counts, min_count=1) == 10
    assert core.classes_found(torch.zeros(10, dtype=torch.long)) == 0
    with pytest.raises(ValueError):
        core.classes_found(torch.tensor([[1, 2]]))


@pytest.mark.parametrize("classes, confident, good", [
    (10, 0.50, True), (10, 0.99, True),  # on the bar, well above it
    (9, 0.99, False),  # one class too few: the bar asks for all ten
    (10, 0.4999, False),  # just under the confident fraction
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
    real = core.mnist_metrics(mnist.images[:1000], classifier, mnist.images[-1000:])
    assert real["classes"] == 10 and real["confident"] > 0.9 and core.mnist_quality(real)
    assert 0 < real["fd"] < 40  # two sets of real digits: the small-sample floor (about 24)
    blank = core.mnist_metrics(-torch.ones(1000, 1, 28, 28) + 0.01 * torch.rand(1000, 1, 28, 28), classifier,
                               mnist.images[-1000:])
    assert blank["classes"] <= 1 and not core.mnist_quality(blank) and blank["fd"] > 10 * real["fd"]
    assert sum(blank["counts"]) == 1000


def test_foil_downsampling_keeps_real_digits_recognisable(mnist):
    """The foil's 64x64 -> 28x28 path is not what makes it miss the bar: real digits survive it."""
    import gan_helpers as gh

    classifier = gh.metrics.get_classifier("cpu", verbose=False)
    ref = suites.real_reference(mnist.images, classifier, mnist.images[-1000:])
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


def test_time_to_quality_needs_consecutive_good_evaluations():
    """hold=2: one good evaluation between bad ones does not count; the second of two in a row does."""
    clock, state = FakeClock(), {"steps": 0}

    def step() -> None:
        clock.now += 1.0
        state["steps"] += 1

    verdicts = {10: False, 20: True, 30: False, 40: True, 50: True, 60: True}
    r = core.time_to_quality(step, lambda: {"s": state["steps"]}, lambda m: verdicts[m["s"]], 100.0, 10,
                             hold=2, clock=clock)
    assert r.reached and r.steps == 50 and r.seconds == pytest.approx(50.0)
    assert [e["good"] for e in r.evals] == [False, True, False, True, True]
    with pytest.raises(ValueError):
        core.time_to_quality(step, dict, bool, cap_s=1.0, eval_every=1, hold=0)


def test_steps_text_for_hits_and_misses():
    hit = core.Run(True, 5.0, 300, 5.0, 300, 128, 60.0)
    miss = core.Run(False, None, None, 60.0, 410, 128, 60.0)
    assert core.steps_text(core.summarize([hit, hit, miss])) == "300"
    assert core.steps_text(core.summarize([miss, hit, miss])) == "not reached (> 410)"


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


def _tiny_report() -> dict:
    return {"date": "2026-12-03 10:00", "wall_seconds": 12.5, "machine": core.machine_info(), "notes": ["a note"],
            "load_average_end": [1.0, 1.0, 1.0], "args": {"quick": False},
            "tables": [{"title": "T", "columns": ["a", "b"], "rows": [{"a": 1, "b": "x"}]}]}


def test_readme_section_is_rewritten_only_between_the_markers(tmp_path):
    old = f"# Title\n\nprose before\n{readme.BEGIN}\n| stale | table |\n{readme.END}\nprose after\n"
    new = readme.replace_section(old, _tiny_report())
    assert new.startswith("# Title\n\nprose before\n") and new.endswith(f"{readme.END}\nprose after\n")
    assert "stale" not in new and "| 1 | x |" in new and "- a note" in new and "12.5 s wall" in new
    assert readme.replace_section(new, _tiny_report()) == new  # idempotent
    quick = readme.section_text({**_tiny_report(), "args": {"quick": True}})
    assert "smoke run" in quick
    for broken in ("no markers", f"{readme.END}\n{readme.BEGIN}", f"{readme.BEGIN}{readme.BEGIN}{readme.END}"):
        with pytest.raises(ValueError, match="bench:begin"):
            readme.replace_section(broken, _tiny_report())
    with pytest.raises(ValueError, match="tables"):
        readme.section_text({"notes": []})


def test_readme_cli_rewrites_the_file_from_the_report(tmp_path):
    report_path, readme_path = tmp_path / "bench.json", tmp_path / "README.md"
    report_path.write_text(json.dumps(_tiny_report()))
    readme_path.write_text(f"top\n{readme.BEGIN}\nold\n{readme.END}\n")
    readme.main(["--report", str(report_path), "--readme", str(readme_path)])
    assert "| 1 | x |" in readme_path.read_text() and "old" not in readme_path.read_text()
    with pytest.raises(SystemExit, match="make bench"):
        readme.main(["--report", str(tmp_path / "missing.json"), "--readme", str(readme_path)])


def test_project_readme_has_one_generated_section():
    text = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert text.count(readme.BEGIN) == 1 and text.count(readme.END) == 1


def test_runner_end_to_end_on_a_tiny_budget(tmp_path):
    """run.main on the ring section (notebook 07's runs, tiny budget) writes both files with the expected keys."""
    report = run.main(["--only", "ring", "--quick", "--budget", "6", "--seeds", "1", "--out", str(tmp_path),
                       "--name", "tiny"])
    data = json.loads((tmp_path / "tiny.json").read_text())
    for key in ("date", "machine", "tables", "notes", "load_average_end", "wall_seconds", "raw"):
        assert key in data
    assert {"ring/GAN", "ring/WGAN-GP (paper)"} <= set(data["raw"])
    for method in suites.RING_METHODS:
        (result,) = data["raw"][f"ring/{method}"]
        assert len(result["runs"]) == 2 and {"modes", "hq_percent", "good"} <= set(result["runs"][0])
    rows = data["tables"][0]["rows"]
    assert [r["method"] for r in rows] == list(suites.RING_METHODS)
    assert "runs meeting the bar" in data["tables"][0]["columns"]
    assert (tmp_path / "tiny.md").read_text().startswith("# GAN course benchmark")
    assert report["wall_seconds"] < 20


def test_ring_benchmark_takes_notebook_07s_settings(monkeypatch):
    """The ring rows train exactly what nb07.train_method trains with nb07.SETTINGS (no copy of the settings)."""
    from gan_helpers.course import nb07

    seen = {}

    def fake_train_method(method, mixtures, seed, s, progress=True):
        seen.update(method=method, settings=s, names=[m.name for m in mixtures])
        run = {"final": {"modes": 8, "hq_percent": 90.0, "reverse_kl": 0.0}, "train_seconds": 1.0,
               "g_steps": s.d_updates, "d_per_g": 1}
        return [run] * s.members

    monkeypatch.setattr(nb07, "train_method", fake_train_method)
    out = suites.ring_final("GAN", 0)
    assert seen["settings"] is nb07.SETTINGS and seen["names"] == [gh_ring_name()]
    assert len(out["runs"]) == nb07.SETTINGS.members and all(r["good"] for r in out["runs"])


def gh_ring_name() -> str:
    import gan_helpers as gh

    return gh.data.ring8().name


def test_foils_train_and_sample(mnist):
    """Both tutorial-style foils take a step on the digits and give 28x28 samples in [-1, 1]."""
    u8 = tutorial_dcgan.as_uint8(mnist.images[:512])
    for kind, make in suites.FOILS.items():
        foil = make(u8, seed=0, workers=0)
        foil.step()
        x = foil.sample28(8, torch.Generator().manual_seed(0))
        assert x.shape == (8, 1, 28, 28) and float(x.abs().max()) <= 1.0, kind
        assert len(foil.log) == 1 and all(math.isfinite(v) for v in foil.log[0])
        foil.close()


def test_same_recipe_foil_uses_the_course_networks_and_hyper_parameters(mnist):
    import gan_helpers as gh

    foil = tutorial_dcgan.same_recipe(tutorial_dcgan.as_uint8(mnist.images[:256]), workers=0)
    cfg = gh.training.TrainConfig.dcgan_mnist()
    G, D = gh.models.dcgan_mnist()
    assert type(foil.G) is type(G) and type(foil.D) is type(D)
    assert [p.shape for p in foil.G.parameters()] == [p.shape for p in G.parameters()]
    assert foil.loader.batch_size == cfg.batch_size
    assert foil.opt_g.param_groups[0]["lr"] == cfg.lr_g and foil.opt_d.param_groups[0]["lr"] == cfg.lr_d
    assert foil.opt_g.param_groups[0]["betas"] == cfg.betas
    assert not foil.opt_g.param_groups[0].get("fused")  # the tutorial way: no fused optimizer


def test_step_speed_reports_every_contender(mnist):
    res = suites.step_speed({"old": (suites.recipe_trainer(mnist.images[:512], old=True), 1),
                             "new": (suites.recipe_trainer(mnist.images[:512]), 1)}, rounds=1, chunk_s=0.05)
    assert set(res) == {"old", "new"} and all(r["per_s"] > 0 and r["threads"] == 1 for r in res.values())
    with pytest.raises(ValueError):
        suites.step_speed({})


def test_commit_ab_speed_runs_both_trees_interleaved(mnist, capsys):
    """ab_speed trains the recipe of an old commit (here HEAD: this tree's) and of this tree, one chunk each."""
    root = Path(__file__).resolve().parent.parent
    if not (root / ".git").exists():
        pytest.skip("not a git checkout")
    def worktrees() -> list[str]:
        return ab_speed.subprocess.run(["git", "-C", str(root), "worktree", "list"], capture_output=True,
                                       text=True, check=True).stdout.splitlines()

    before = worktrees()
    out = ab_speed.main(["--old", "HEAD", "--rounds", "2", "--chunk", "0.2"])
    assert out["old_commit"] == "HEAD" and set(out) == {"old", "new", "ratio", "old_commit"}
    for side in ("old", "new"):
        assert len(out[side]["chunks"]) == 2 and all(c > 0 for c in out[side]["chunks"])
        assert out[side]["batch"] == 128 and out[side]["threads"] == gh.training.DCGAN_MNIST_THREADS
    assert out["ratio"] == round(out["new"]["median"] / out["old"]["median"], 2)
    assert json.loads(capsys.readouterr().out)["ratio"] == out["ratio"]
    assert worktrees() == before  # the temporary checkout of the old commit is gone


def test_samples_cli_saves_1000_samples_in_range(mnist, tmp_path, capsys):
    """python -m benchmarks dcgan --seconds S --seed K --save-samples PATH saves a (1000, 1, 28, 28) tensor."""
    from benchmarks import samples

    path = tmp_path / "s.pt"
    with torch_threads_restored():
        out = samples.main(["--seconds", "0.3", "--seed", "1", "--save-samples", str(path)])
    x = torch.load(path)
    assert x.shape == (1000, 1, 28, 28) and x.dtype == torch.float32
    assert float(x.min()) >= -1.0 and float(x.max()) <= 1.0 and float(x.std()) > 0
    assert out["steps"] >= 1 and out["images_per_s"] > 0
    assert "generator steps" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        samples.main(["--seconds", "0", "--save-samples", str(path)])


def torch_threads_restored():
    from gan_helpers.utils import torch_threads

    return torch_threads(torch.get_num_threads())


# ------------------------------------------------------------------ the recipe study (benchmarks/recipe.py)


def test_recipe_ladder_ends_at_the_course_recipe():
    G, D, config = list(recipe.LADDER.values())[-1][1]()
    assert config == gh.training.TrainConfig.dcgan_mnist()
    G_ref, D_ref = gh.models.dcgan_mnist()
    assert repr(G) == repr(G_ref) and repr(D) == repr(D_ref)
    # every alternative differs from its reference rung ('+ reuse fakes') in exactly what it names
    ref_config = recipe.LADDER["+ reuse fakes"][1]()[2]
    assert ref_config.betas == (0.5, 0.999) and ref_config.reuse_fakes
    assert recipe.ALTERNATIVES["+ hinge loss"][1]()[2] == dataclasses.replace(ref_config, objective="hinge")
    assert recipe.ALTERNATIVES["+ two time-scale rates"][1]()[2] == dataclasses.replace(ref_config, lr_g=5e-4)


def test_stored_recipe_study_matches_the_code():
    study = gh.course.nb05.recipe_study()
    assert list(study["ladder"]) == list(recipe.LADDER) == list(study["median"])
    assert list(study["alternatives"]["median"]) == list(recipe.ALTERNATIVES)
    assert study["alternatives"]["reference"] in recipe.LADDER
    for r in study["runs"] + study["alternatives"]["runs"]:
        assert set(r["evals"]) == {"250", "500", str(study["steps"])} and r["seed"] in study["seeds"]
    assert recipe.medians(study["runs"]) == study["median"]  # the stored medians are those of the stored runs


def test_diffaugment_shifts_and_cuts_differentiably():
    x = torch.rand(64, 1, 28, 28, requires_grad=True)
    assert torch.allclose(recipe.DiffAugment(torch.nn.Identity(), shift=0, cut=0)(x), x, atol=1e-6)  # identity
    torch.manual_seed(0)
    y = recipe.DiffAugment(torch.nn.Identity(), shift=0, cut=14)(x)
    cut = (y == -1).sum(dim=(1, 2, 3))
    assert y.shape == x.shape and int(cut.max()) == 14 * 14 and int(cut.min()) >= 7 * 7  # clipped at the border
    y.sum().backward()
    assert x.grad is not None and (x.grad == 0).sum(dim=(1, 2, 3)).equal(cut)  # no gradient through the cutout
    torch.manual_seed(0)
    shifted = recipe.DiffAugment(torch.nn.Identity(), shift=3, cut=0)(torch.ones(32, 1, 28, 28))
    blank = (shifted == -1).sum(dim=(1, 2, 3))
    assert int(blank.max()) <= 28 * 28 - 25 * 25 and int(blank.max()) > 0  # at most 3 px off on each axis


def test_spectral_discriminator_has_no_batch_norm():
    D = recipe._spectral(gh.models.dcgan_mnist()[1])
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in D.modules())
    assert sum(torch.nn.utils.parametrize.is_parametrized(m) for m in D.net) == 3
    assert D(torch.zeros(2, 1, 28, 28)).shape == (2, 1)
