"""Notebook 04's checkers and its divergence explorer (called without a browser)."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
from scipy import stats

from gan_helpers import plotting
from gan_helpers.checks import Result
from gan_helpers.course import nb04

INF = math.inf


def not_done(*args):
    raise NotImplementedError()


def kl(p, q):
    m = p > 0
    return np.inf if np.any(q[m] == 0) else float(np.sum(p[m] * np.log(p[m] / q[m])))


def test_js_from_kl_checker(capsys):
    def solution(p, q):
        m = (p + q) / 2
        return 0.5 * kl(p, m) + 0.5 * kl(q, m)

    def scipy_solution(p, q):  # KL via scipy.stats.entropy (nats)
        return stats.entropy(p, (p + q) / 2) / 2 + stats.entropy(q, (p + q) / 2) / 2

    assert nb04.check_js_from_kl(solution) == Result.CORRECT
    assert nb04.check_js_from_kl(scipy_solution) == Result.CORRECT
    assert nb04.check_js_from_kl(not_done) == Result.NOT_ATTEMPTED
    assert nb04.check_js_from_kl(lambda p, q: 2 * solution(p, q)) == Result.WRONG
    assert "factor 1/2" in capsys.readouterr().out
    assert nb04.check_js_from_kl(lambda p, q: 0.5 * kl(p, q) + 0.5 * kl(q, p)) == Result.WRONG


def test_non_saturating_grad_checker(capsys):
    sigmoid = lambda l: 1 / (1 + np.exp(-l))  # noqa: E731
    assert nb04.check_non_saturating_grad(lambda l: -(1 - sigmoid(l))) == Result.CORRECT
    assert nb04.check_non_saturating_grad(lambda l: -np.exp(-l) / (1 + np.exp(-l))) == Result.CORRECT
    assert nb04.check_non_saturating_grad(not_done) == Result.NOT_ATTEMPTED
    assert nb04.check_non_saturating_grad(lambda l: -sigmoid(l)) == Result.WRONG
    assert "saturating cost" in capsys.readouterr().out
    assert nb04.check_non_saturating_grad(lambda l: -1 / sigmoid(l)) == Result.WRONG


def test_gda_step_checker(capsys):
    def solution(x, y, lr, alternating):
        x_new = x - lr * y
        y_new = y + lr * (x_new if alternating else x)
        return x_new, y_new

    assert nb04.check_gda_step(solution) == Result.CORRECT
    assert nb04.check_gda_step(lambda *a: np.array(solution(*a))) == Result.CORRECT
    assert nb04.check_gda_step(not_done) == Result.NOT_ATTEMPTED
    assert nb04.check_gda_step(lambda x, y, lr, a: (x - lr * y, y + lr * x)) == Result.WRONG
    assert "NEW x" in capsys.readouterr().out
    assert nb04.check_gda_step(lambda x, y, lr, a: (x + lr * y, y - lr * x)) == Result.WRONG


def test_divergence_view(capsys):
    nb04.divergence_view("uniform", 3.0, 1.0)
    out = capsys.readouterr().out
    assert "JSD = 0.6931" in out and "KL(p||q) = inf" in out and "W1 = 3.00" in out
    nb04.divergence_view("gaussian", 1.0, 1.0)
    assert "KL(p||q) = 0.5000" in capsys.readouterr().out
    ax = plotting.plot_densities_1d({"a": lambda x: 0 * x + 0.1, "b": lambda x: 0 * x + 0.2}, xlim=(0, 1))
    assert len(ax.get_lines()) == 2
    plt.close("all")


def test_wasserstein_and_table():
    for family in ("gaussian", "uniform"):
        for shift in (0.0, 0.3, 2.0):
            tab = nb04.divergence_table(family, shift, 1.0)
            assert tab["W1"] == pytest.approx(abs(shift), abs=2e-3)
    g = nb04.divergence_table("gaussian", 2.0, 1.0)
    assert g["KL(p||q)"] == pytest.approx(2.0, rel=1e-8) and g["TV"] == pytest.approx(2 * stats.norm.cdf(1) - 1)
    u = nb04.divergence_table("uniform", 2.0, 1.0)
    assert u["JSD"] == pytest.approx(math.log(2)) and u["TV"] == pytest.approx(1) and u["KL(p||q)"] == INF
