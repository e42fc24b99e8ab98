"""Notebook 03's checkers (CORRECT on an independent solution, WRONG on plausible mistakes,
NOT_ATTEMPTED on an untouched exercise) and its optimal-discriminator explorer."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from scipy.special import xlogy
from scipy.stats import norm

from gan_helpers import losses
from gan_helpers.checks import Result
from gan_helpers.course import nb03


def not_done(*args):
    raise NotImplementedError()


def d_prior_good(p_data, p_g, prior_real):
    a, b = prior_real * np.asarray(p_data), (1 - prior_real) * np.asarray(p_g)
    with np.errstate(invalid="ignore"):
        return np.where(a + b > 0, a / np.where(a + b > 0, a + b, 1.0), prior_real)


def test_optimal_d_with_prior_reference_by_hand():
    # p_data = 1, p_g = 3: equal priors 1/4; prior 0.75 gives 0.75 / (0.75 + 0.75) = 1/2
    ref = nb03._ref_optimal_d_with_prior
    assert np.allclose(ref([1.0, 0.0, 0.0], [3.0, 2.0, 0.0], 0.5), [0.25, 0.0, 0.5])
    assert np.allclose(ref([1.0], [3.0], 0.75), [0.5])


def test_check_optimal_d_with_prior():
    assert nb03.check_optimal_d_with_prior(d_prior_good) is Result.CORRECT
    assert nb03.check_optimal_d_with_prior(lambda a, b, pi: d_prior_good(a, b, 0.5)) is Result.WRONG
    assert nb03.check_optimal_d_with_prior(lambda a, b, pi: 1 - d_prior_good(a, b, pi)) is Result.WRONG

    def nan_at_zero(a, b, pi):
        with np.errstate(invalid="ignore"):
            return pi * a / (pi * a + (1 - pi) * b)
    assert nb03.check_optimal_d_with_prior(nan_at_zero) is Result.WRONG
    assert nb03.check_optimal_d_with_prior(not_done) is Result.NOT_ATTEMPTED


def d_loss_good(real_logits, fake_logits):
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    return bce(real_logits, torch.ones_like(real_logits)) + bce(fake_logits, torch.zeros_like(fake_logits))


def test_check_d_loss():
    assert nb03.check_d_loss(d_loss_good) is Result.CORRECT
    concat = lambda r, f: torch.nn.functional.binary_cross_entropy_with_logits(  # noqa: E731
        torch.cat([r, f]), torch.cat([torch.ones_like(r), torch.zeros_like(f)]))
    assert nb03.check_d_loss(concat) is Result.WRONG
    assert nb03.check_d_loss(lambda r, f: d_loss_good(f, r)) is Result.WRONG
    naive = lambda r, f: -torch.log(torch.sigmoid(r)).mean() - torch.log(1 - torch.sigmoid(f)).mean()  # noqa: E731
    assert nb03.check_d_loss(naive) is Result.WRONG
    assert nb03.check_d_loss(not_done) is Result.NOT_ATTEMPTED


def test_d_loss_reference_is_2log2_at_half():
    zero = torch.zeros(5, 1)
    assert abs(losses.d_loss_bce(zero, zero[:3]).item() - 2 * math.log(2)) < 1e-6


def best_value_grid(a, b):
    # brute force: maximise on a fine grid of y (plus the end points, needed when a or b is 0)
    y = np.concatenate([[0.0], np.linspace(1e-9, 1 - 1e-9, 200001), [1.0]])
    return np.array([np.max(xlogy(ai, y) + xlogy(bi, 1 - y)) for ai, bi in zip(a, b)])


def test_best_value_reference_matches_brute_force():
    for a, b in nb03._density_cases(7):
        assert np.allclose(nb03._ref_best_value(a, b), best_value_grid(a, b), atol=1e-6)


def test_check_best_value():

    def good(a, b):
        s = np.where(a + b > 0, a + b, 1.0)
        return xlogy(a, a / s) + xlogy(b, b / s)
    assert nb03.check_best_value(good) is Result.CORRECT
    assert nb03.check_best_value(best_value_grid) is Result.CORRECT   # 1e-6 tolerance is met
    assert nb03.check_best_value(lambda a, b: -(a + b) * math.log(2)) is Result.WRONG

    def naive(a, b):
        with np.errstate(divide="ignore", invalid="ignore"):
            return a * np.log(a / (a + b)) + b * np.log(b / (a + b))
    assert nb03.check_best_value(naive) is Result.WRONG
    assert nb03.check_best_value(not_done) is Result.NOT_ATTEMPTED


# ------------------------------------------------------------------ notebook 03: widget and plot

def test_optimal_discriminator_summary_known_values():

    same = nb03.optimal_discriminator_summary(0.0, 1.0, "gaussian")
    assert abs(same["JSD"]) < 1e-9 and abs(same["TV"]) < 1e-9
    assert abs(same["V(G, D*)"] + math.log(4)) < 1e-8
    shifted = nb03.optimal_discriminator_summary(2.0, 1.0, "gaussian")
    assert abs(shifted["TV"] - (2 * norm.cdf(1.0) - 1)) < 1e-7          # TV of N(0,1), N(2,1)
    assert abs(shifted["V(G, D*)"] - (-math.log(4) + 2 * shifted["JSD"])) < 1e-7
    bimodal = nb03.optimal_discriminator_summary(0.0, 1.0, "bimodal")
    assert 0 < bimodal["JSD"] < math.log(2)
    with pytest.raises(ValueError):
        nb03.optimal_discriminator_summary(0.0, 0.0)
    with pytest.raises(ValueError):
        nb03.optimal_discriminator_summary(0.0, 1.0, "trimodal")


def test_optimal_discriminator_view_prints_and_draws(capsys):

    plt.close("all")
    nb03.optimal_discriminator_view(0.0, 1.0, "gaussian")
    out = capsys.readouterr().out
    assert "JSD = 0.0000" in out and "V(G, D*) = -1.3863" in out
    fig = plt.gcf()
    assert len(fig.axes) == 2                                        # densities + twin axis for D*
    d_line = fig.axes[1].get_lines()[0].get_ydata()
    assert np.allclose(d_line, 0.5)                                  # p_g = p_data: D* = 1/2
    plt.close("all")


# ------------------------------------------------------------------ exercise 4: lsgan_optimal_d

def lsgan_good(p_data, p_g, a, b):
    # an independent solution: minimise the parabola pd (y - b)^2 + pg (y - a)^2, vertex at -B / 2A
    A, B = p_data + p_g, -2 * (b * p_data + a * p_g)
    safe = np.where(A > 0, A, 1.0)
    return np.where(A > 0, -B / (2 * safe), (a + b) / 2)


def test_lsgan_optimal_d_reference():
    ref = nb03._ref_lsgan_optimal_d
    # p_data = 1, p_g = 3, a = -1, b = 1: (1 - 3) / 4 = -1/2; nothing seen: the midpoint
    assert np.allclose(ref([1.0, 0.0, 2.0, 0.0], [3.0, 0.0, 0.0, 5.0], -1.0, 1.0), [-0.5, 0.0, 1.0, -1.0])
    # brute force on a grid of D values, and a = 0, b = 1 is the BCE D*
    for (p, q), (a, b) in zip(nb03._density_cases(8), ((-1.0, 1.0), (0.3, 2.0))):
        ys = np.linspace(-3, 3, 60001)
        loss = 0.5 * p[:, None] * (ys - b) ** 2 + 0.5 * q[:, None] * (ys - a) ** 2
        seen = p + q > 0
        assert np.allclose(ref(p, q, a, b)[seen], ys[loss.argmin(1)][seen], atol=1e-4)
        assert np.allclose(ref(p, q, 0.0, 1.0), nb03._ref_optimal_d_with_prior(p, q, 0.5))


def test_check_lsgan_optimal_d(capsys):
    assert nb03.check_lsgan_optimal_d(lsgan_good) is Result.CORRECT
    # written as the midpoint plus a correction: the same optimum
    mid = lambda p, q, a, b: (a + b) / 2 + (b - a) / 2 * np.divide(  # noqa: E731
        p - q, p + q, out=np.zeros_like(p), where=p + q > 0)
    assert nb03.check_lsgan_optimal_d(mid) is Result.CORRECT
    capsys.readouterr()

    def swapped(p, q, a, b):
        return lsgan_good(p, q, b, a)

    def bce(p, q, a, b):
        return d_prior_good(p, q, 0.5)

    def bce_nan(p, q, a, b):
        with np.errstate(invalid="ignore"):
            return p / (p + q)

    def nan_at_zero(p, q, a, b):
        with np.errstate(invalid="ignore"):
            return (b * p + a * q) / (p + q)

    def not_normalised(p, q, a, b):
        return b * p + a * q

    for fn, hint in ((swapped, "target of REAL points"), (bce, "BCE discriminator"), (bce_nan, "BCE discriminator"),
                     (nan_at_zero, "return (a + b)/2"), (not_normalised, "a = b = 1")):
        assert nb03.check_lsgan_optimal_d(fn) is Result.WRONG
        assert hint in capsys.readouterr().out, fn.__name__
    assert nb03.check_lsgan_optimal_d(lambda p, q, a, b: lsgan_good(p, q, a, b) + 0.1) is Result.WRONG
    assert "it is a parabola in y" in capsys.readouterr().out          # the generic hint
    assert nb03.check_lsgan_optimal_d(not_done) is Result.NOT_ATTEMPTED
    assert nb03.check_lsgan_optimal_d(lambda *a: nb03._ref_lsgan_optimal_d(*a)) is Result.WRONG
    assert "write it yourself; calling gh.course.nb03._ref_lsgan_optimal_d" in capsys.readouterr().out
