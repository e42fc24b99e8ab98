"""Notebook 07's course module (gh.course.nb07): settings, method builders, runner, collapse measures
and the exercise checkers (CORRECT on independent solutions, WRONG on plausible mistakes,
NOT_ATTEMPTED on an untouched exercise)."""
import math
from dataclasses import replace

import numpy as np
import pytest
import torch

import gan_helpers as gh
from gan_helpers.checks import Result
from gan_helpers.course import nb07

TINY = replace(nb07.SETTINGS, width=8, d_updates=10, members=2, n_eval=50, checkpoints=2)


@pytest.mark.parametrize("method", nb07.METHODS)
def test_every_method_builds_an_ensemble_with_the_stated_settings(method):
    G, D, cfg = nb07.build(method, 4, TINY)
    assert G.ensemble_size == D.ensemble_size == 4
    x = G(torch.zeros(4, cfg.batch_size, TINY.latent_dim))
    assert D(x).shape[:2] == (4, cfg.batch_size // (2 if method == "PacGAN2" else 1))
    assert cfg.ema_decay == TINY.ema_decay and not cfg.log_grad_norms
    if method.startswith("WGAN-GP"):
        assert cfg.n_critic == 5 and cfg.steps * 5 == TINY.d_updates
        assert cfg.gp_lambda == (0.1 if "toy" in method else 10.0)
        assert cfg.betas == ((0.5, 0.9) if "toy" in method else (0.0, 0.9))
    else:
        assert cfg.steps == TINY.d_updates and cfg.lr_g == cfg.lr_d == TINY.lr
    assert cfg.unroll_steps == (TINY.unroll_steps if method == "Unrolled" else 0)
    assert cfg.batch_size == (2 * TINY.batch if method == "PacGAN2" else TINY.batch)
    with pytest.raises(ValueError, match="unknown method"):
        nb07.build("VEEGAN", 2, TINY)


def test_train_method_returns_one_record_per_run_and_data_set():
    runs = nb07.train_method("GAN", nb07.mixtures(), seed=0, s=TINY, progress=False)
    assert [r["data"] for r in runs] == ["ring8"] * 2 + ["grid25"] * 2
    assert [r["member"] for r in runs] == [0, 1, 0, 1]
    for r in runs:
        assert len(r["modes"]) == len(r["hq"]) == len(r["snapshots"]) == len(r["d_updates"]) >= 2
        assert r["d_updates"][-1] == TINY.d_updates and r["snapshots"][-1].shape == (50, 2)
        assert set(r["final"]) == {"modes", "hq_percent", "reverse_kl"}
    again = nb07.train_method("GAN", nb07.mixtures(), seed=0, s=TINY, progress=False)
    assert [r["modes"] for r in again] == [r["modes"] for r in runs]  # seeded: repeats exactly
    mean, std = nb07.summarise(runs, "GAN", "ring8", "hq_percent")
    assert 0 <= mean <= 100 and std >= 0
    with pytest.raises(ValueError, match="no runs"):
        nb07.summarise(runs, "PacGAN2", "ring8", "modes")


def test_collapsed_share_counts_checkpoints_with_samples_on_two_modes_after_warmup():
    run = {"d_updates": list(range(100, 1100, 100)), "modes": [0, 0, 0, 1, 2, 8, 8, 1, 0, 8],
           "top2": [1.0, 1.0, 1.0, 0.95, 0.9, 0.3, 0.25, 0.99, 0.5, 0.3]}
    # after the first 30 % (d_updates > 300): checkpoints 4..10; collapsed (top2 >= 0.9): 3 of 7
    assert nb07.collapsed_share(run) == pytest.approx(3 / 7)
    np.testing.assert_array_equal(nb07.after_warmup(run, "modes"), [1, 2, 8, 8, 1, 0, 8])
    ring = gh.data.ring8()
    g = torch.Generator().manual_seed(0)
    assert nb07.top2_share(ring.sample(1000, generator=g), ring) < 0.35  # the data: 2/8 = 0.25
    between = torch.tensor([[0.92, 0.38]]).repeat(100, 1)  # a point between modes 0 and 1: no HQ sample
    assert nb07.top2_share(between, ring) == 1.0
    angle = 2 * torch.pi * torch.rand(2000, generator=g)
    blur = torch.stack([angle.cos(), angle.sin()], 1) + 0.1 * torch.randn(2000, 2, generator=g)
    assert nb07.top2_share(blur, ring) < 0.35  # a blur spread around the ring is not a collapse


def test_smoke_budget(monkeypatch):
    monkeypatch.setenv(gh.utils.SMOKE_ENV, "1")
    s = nb07.with_budget()
    assert s.d_updates <= 10 and s.checkpoints <= 2
    monkeypatch.delenv(gh.utils.SMOKE_ENV)
    assert nb07.with_budget() == nb07.SETTINGS


def test_train_methods_in_worker_processes_equals_one_process():
    """Two spawned workers give exactly the runs of train_method in this process, in method order."""
    methods = ("MBStd", "GAN")
    par = nb07.train_methods(methods, [gh.data.ring8()], seed=3, s=TINY, workers=2, progress=False)
    seq = [r for m in methods for r in nb07.train_method(m, [gh.data.ring8()], seed=3, s=TINY, progress=False)]
    assert [r["method"] for r in par] == ["MBStd"] * 2 + ["GAN"] * 2
    for a, b in zip(par, seq):
        assert a["modes"] == b["modes"] and a["hq"] == pytest.approx(b["hq"])
        torch.testing.assert_close(a["snapshots"][-1], b["snapshots"][-1])
    with pytest.raises(ValueError, match="unknown methods"):
        nb07.train_methods(("GAN", "BigGAN"), [gh.data.ring8()], seed=0, s=TINY)
    with pytest.raises(ValueError, match="workers"):
        nb07.train_methods(("GAN",), [gh.data.ring8()], seed=0, s=TINY, workers=0)


def test_balanced_groups_split_every_method_once_and_evenly():
    assert set(nb07.COST) == set(nb07.METHODS)
    for workers in (1, 2, 3, 4, 6, 16):
        groups = nb07.balanced_groups(nb07.METHODS, workers)
        assert sorted(m for g in groups for m in g) == sorted(nb07.METHODS)
        assert len(groups) <= workers and all(groups)
        loads = [sum(nb07.COST[m] for m in g) for g in groups]
        ideal = sum(nb07.COST.values()) / min(workers, len(nb07.METHODS))
        assert max(loads) <= max(ideal, max(nb07.COST.values())) + min(nb07.COST.values())
    two = [sum(nb07.COST[m] for m in g) for g in nb07.balanced_groups(nb07.METHODS, 2)]
    assert max(two) - min(two) <= 0.05 + 1e-9  # the best split of the six measured costs


# --------------------------------------------------------------------------- the exercise checkers


def not_done(*args):
    raise NotImplementedError()


def coverage_numpy(samples, centers, std):
    """An independent solution in numpy."""
    x, c = np.asarray(samples, dtype=float), np.asarray(centers, dtype=float)
    d = np.sqrt(((x[:, None, :] - c[None]) ** 2).sum(-1))
    idx, dmin = d.argmin(1), d.min(1)
    good = dmin < 3 * std
    return len(set(idx[good].tolist())), 100.0 * good.mean()


def reverse_kl_numpy(samples, centers, std):
    x, c = np.asarray(samples, dtype=float), np.asarray(centers, dtype=float)
    d = np.sqrt(((x[:, None, :] - c[None]) ** 2).sum(-1))
    idx, good = d.argmin(1), d.min(1) < 3 * std
    if not good.any():
        return math.inf
    q = np.bincount(idx[good], minlength=len(c)) / good.sum()
    return float(sum(qi * math.log(qi * len(c)) for qi in q if qi > 0))


def test_cases_exercise_every_rule():
    cases = nb07._mode_cases()
    assert len(cases) == 3
    for x, c, s in cases[:2]:
        modes, hq = coverage_numpy(x, c, s)
        assert 0 < hq < 100 and 0 < modes < len(c)  # partly collapsed: some but not all modes
    assert coverage_numpy(*cases[2]) == (0, 0.0) and math.isinf(reverse_kl_numpy(*cases[2]))


def test_check_mode_coverage():
    assert nb07.check_mode_coverage(coverage_numpy) is Result.CORRECT
    assert nb07.check_mode_coverage(not_done) is Result.NOT_ATTEMPTED

    def inclusive_fraction(x, c, s):
        m, hq = coverage_numpy(x, c, s)
        return m, hq / 100

    def sqrt_2_rule(x, c, s):  # within 3 std per coordinate, i.e. a square instead of a disc
        x, c = np.asarray(x, dtype=float), np.asarray(c, dtype=float)
        d = np.sqrt(((x[:, None, :] - c[None]) ** 2).sum(-1))
        idx = d.argmin(1)
        good = (np.abs(x - c[idx]) < 3 * s).all(1)
        return len(set(idx[good].tolist())), 100.0 * good.mean()

    def all_cover(x, c, s):
        x, c = np.asarray(x, dtype=float), np.asarray(c, dtype=float)
        d = np.sqrt(((x[:, None, :] - c[None]) ** 2).sum(-1))
        return len(set(d.argmin(1).tolist())), coverage_numpy(x, c, s)[1]

    for wrong in (inclusive_fraction, sqrt_2_rule, all_cover, lambda x, c, s: (len(c), 100.0)):
        assert nb07.check_mode_coverage(wrong) is Result.WRONG


def test_check_reverse_kl():
    assert nb07.check_reverse_kl(reverse_kl_numpy) is Result.CORRECT
    assert nb07.check_reverse_kl(not_done) is Result.NOT_ATTEMPTED

    def no_hq_nan(x, c, s):  # forgets the no-high-quality case: 0/0 gives nan
        with np.errstate(all="ignore"):
            xx, cc = np.asarray(x, dtype=float), np.asarray(c, dtype=float)
            d = np.sqrt(((xx[:, None, :] - cc[None]) ** 2).sum(-1))
            if not (d.min(1) < 3 * s).any():
                return float("nan")
        return reverse_kl_numpy(x, c, s)

    def log2(x, c, s):
        return reverse_kl_numpy(x, c, s) / math.log(2)

    def forward(x, c, s):
        return math.inf if reverse_kl_numpy(x, c, s) > 0 else 0.0

    def all_samples(x, c, s):  # histogram over every sample, high quality or not
        xx, cc = np.asarray(x, dtype=float), np.asarray(c, dtype=float)
        idx = np.sqrt(((xx[:, None, :] - cc[None]) ** 2).sum(-1)).argmin(1)
        q = np.bincount(idx, minlength=len(cc)) / len(idx)
        return float(sum(qi * math.log(qi * len(cc)) for qi in q if qi > 0))

    for wrong in (no_hq_nan, log2, forward, all_samples):
        assert nb07.check_reverse_kl(wrong) is Result.WRONG


def test_check_pack_samples():
    assert nb07.check_pack_samples(lambda x, p: x.reshape(len(x) // p, -1)) is Result.CORRECT
    assert nb07.check_pack_samples(
        lambda x, p: torch.stack([torch.cat(list(x[i:i + p])) for i in range(0, len(x), p)])) is Result.CORRECT
    assert nb07.check_pack_samples(not_done) is Result.NOT_ATTEMPTED
    assert nb07.check_pack_samples(lambda x, p: torch.cat(x.chunk(p), dim=1)) is Result.WRONG
    assert nb07.check_pack_samples(lambda x, p: x.reshape(-1, p, x.shape[1])) is Result.WRONG
    assert nb07.check_pack_samples(lambda x, p: x) is Result.WRONG


# --------------------------------------------------------------------------- minibatch standard deviation


def mbstd_solution(x):
    """Independent: the population variance written out, the scalar broadcast by multiplication."""
    centred = x - x.mean(dim=0, keepdim=True)
    s = ((centred**2).mean(dim=0) + 1e-8).sqrt().mean()
    return torch.cat([x, s * torch.ones(x.shape[0], 1, dtype=x.dtype)], dim=1)


def mbstd_with(stat):
    """x with stat(x) appended: stat returns one number (broadcast) or one per sample (B,)."""
    def fn(x):
        s = stat(x)
        s = torch.as_tensor(s, dtype=x.dtype)
        return torch.cat([x, s.expand(x.shape[0]).unsqueeze(1) if s.ndim == 0 else s.unsqueeze(1)], dim=1)
    return fn


def test_minibatch_std_reference_by_hand():
    x = torch.tensor([[0.0, 1.0], [2.0, 5.0]], dtype=torch.float64)  # population stds 1 and 2: mean 1.5
    out = gh.models.MinibatchStd()(x)
    assert out.shape == (2, 3) and torch.allclose(out[:, 2], torch.full((2,), math.sqrt(1 + 1e-8) / 2
                                                                        + math.sqrt(4 + 1e-8) / 2, dtype=torch.float64))
    same = gh.models.MinibatchStd()(torch.ones(4, 3, dtype=torch.float64))
    assert torch.allclose(same[:, 3], torch.full((4,), 1e-4, dtype=torch.float64))  # sqrt(1e-8)


def test_minibatch_std_cases_include_a_collapsed_batch():
    cases = [x for (x,) in nb07._mbstd_cases()]
    assert any((x == x[0]).all() for x in cases) and all(x.dtype == torch.float64 and len(x) >= 2 for x in cases)
    assert any(x.shape[1] == 1 for x in cases)


def test_check_minibatch_stddev(capsys):
    assert nb07.check_minibatch_stddev(mbstd_solution) is Result.CORRECT
    assert nb07.check_minibatch_stddev(
        mbstd_with(lambda x: torch.sqrt(x.var(dim=0, unbiased=False) + 1e-8).mean())) is Result.CORRECT
    capsys.readouterr()
    mistakes = {
        "correction=0": [mbstd_with(lambda x: torch.sqrt(x.var(dim=0) + 1e-8).mean())],
        "over the BATCH": [mbstd_with(lambda x: torch.sqrt(x.var(dim=1, unbiased=False) + 1e-8)),
                           mbstd_with(lambda x: torch.sqrt(x.var(dim=1, unbiased=False) + 1e-8).mean())],
        "d + 1 columns": [lambda x: torch.cat([x, torch.sqrt(x.var(0, unbiased=False) + 1e-8).expand_as(x)], 1)],
        "inside the square root": [mbstd_with(lambda x: x.std(dim=0, unbiased=False).mean()),
                                   mbstd_with(lambda x: x.var(dim=0, unbiased=False).sqrt().mean()),
                                   mbstd_with(lambda x: x.std(dim=0, unbiased=False).mean() + 1e-8)],
        "differentiable": [mbstd_with(lambda x: torch.sqrt(x.var(dim=0, unbiased=False) + 1e-8).mean().item()),
                           mbstd_with(lambda x: float(np.sqrt(x.detach().numpy().var(axis=0) + 1e-8).mean()))],
        "not the variances": [mbstd_with(lambda x: torch.sqrt(x.var(dim=0, unbiased=False).mean() + 1e-8))],
        "B * d entries": [mbstd_with(lambda x: torch.sqrt(x.var(unbiased=False) + 1e-8))],
    }
    for hint, fns in mistakes.items():
        for fn in fns:
            assert nb07.check_minibatch_stddev(fn) is Result.WRONG, hint
            assert hint in capsys.readouterr().out
    no_broadcast = lambda x: torch.cat([x, torch.sqrt(x.var(0, unbiased=False) + 1e-8).mean().view(1, 1)], 1)  # noqa: E731
    assert nb07.check_minibatch_stddev(no_broadcast) is Result.WRONG
    assert "raised RuntimeError" in capsys.readouterr().out
    assert nb07.check_minibatch_stddev(not_done) is Result.NOT_ATTEMPTED


def test_minibatch_stddev_delegation_is_refused(capsys):
    for fn in (lambda x: gh.models.MinibatchStd()(x), gh.models.MinibatchStd(), gh.models.MinibatchStd):
        assert nb07.check_minibatch_stddev(fn) is Result.WRONG
        assert "write it yourself; calling gh.models.MinibatchStd" in capsys.readouterr().out
