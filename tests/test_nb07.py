"""Notebook 07's course module (gh.course.nb07): settings, method builders, runner and collapse measures."""
from dataclasses import replace

import numpy as np
import pytest
import torch

import gan_helpers as gh
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
