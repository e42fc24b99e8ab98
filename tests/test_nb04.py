"""Notebook 04's checkers and its divergence explorer (called without a browser)."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
from scipy import stats

import gan_helpers as gh
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


def eg_solution(x, y, lr):
    # written out: gradients of f = xy at the look-ahead point (u, v)
    u, v = x - lr * y, y + lr * x
    return x - lr * v, y + lr * u


def eg_matrix_solution(x, y, lr):
    # the same map written as a matrix (an independent correct form)
    m = np.array([[1 - lr**2, -lr], [lr, 1 - lr**2]])
    return m @ np.array([x, y])


def test_extragradient_reference_contracts():
    # the EG map is [[1 - lr^2, -lr], [lr, 1 - lr^2]]: |(x, y)| shrinks by sqrt(1 - lr^2 + lr^4) per step
    point = (1.0, 0.0)
    for _ in range(100):
        point = nb04._ref_extragradient_step(*point, 0.1)
    assert math.hypot(*point) == pytest.approx((1 - 0.1**2 + 0.1**4) ** 50, rel=1e-12)
    assert nb04._ref_extragradient_step(0.0, 0.0, 0.5) == (0.0, 0.0)


def test_extragradient_step_checker(capsys):
    check = nb04.check_extragradient_step
    assert check(eg_solution) == Result.CORRECT
    assert check(eg_matrix_solution) == Result.CORRECT           # a numpy array of two numbers is accepted
    assert check(not_done) == Result.NOT_ATTEMPTED
    capsys.readouterr()

    def plain_gda(x, y, lr):
        return x - lr * y, y + lr * x

    def from_look_ahead(x, y, lr):
        u, v = x - lr * y, y + lr * x
        return u - lr * v, v + lr * u

    def y_descends(x, y, lr):
        u, v = x - lr * y, y - lr * x
        return x - lr * v, y - lr * u

    def y_descends_last(x, y, lr):
        u, v = x - lr * y, y + lr * x
        return x - lr * v, y - lr * u

    def alternating_look_ahead(x, y, lr):
        u = x - lr * y
        v = y + lr * u
        return x - lr * v, y + lr * u

    def alternating_real(x, y, lr):
        v = y + lr * x
        x_new = x - lr * v
        return x_new, y + lr * x_new

    for wrong, hint in ((plain_gda, "only the look-ahead"), (from_look_ahead, "ORIGINAL point"),
                        (y_descends, "y maximises f"), (y_descends_last, "y maximises f"),
                        (alternating_look_ahead, "SIMULTANEOUS GDA step"),
                        (alternating_real, "not each other's new value")):
        assert check(wrong) == Result.WRONG, wrong.__name__
        assert hint in capsys.readouterr().out, wrong.__name__
    assert check(lambda x, y, lr: (x, y)) == Result.WRONG
    assert "look ahead with one simultaneous GDA step" in capsys.readouterr().out


def test_extragradient_step_rejects_delegation(capsys):
    assert nb04.check_extragradient_step(lambda x, y, lr: nb04._ref_extragradient_step(x, y, lr)) == Result.WRONG
    assert "write it yourself" in capsys.readouterr().out

    def via_library(x, y, lr):
        u, v = gh.theory.gda_step(x, y, lr)
        return x - lr * v, y + lr * u
    assert nb04.check_extragradient_step(via_library) == Result.WRONG
    assert "calling gh.theory.gda_step is not accepted" in capsys.readouterr().out


def br_solution(d_values):
    d = np.asarray(d_values, dtype=float)
    cost = np.log1p(-d)                       # the cost of each point; a vertex of the simplex wins
    best = cost == cost.min()                 # exact ties (the checker has no near-ties)
    return best / best.sum()


def br_loop(d_values):
    winners = [i for i, v in enumerate(d_values) if v == max(d_values)]
    return [1 / len(winners) if i in winners else 0.0 for i in range(len(d_values))]


def test_best_response_reference_beats_random_distributions():
    rng = np.random.default_rng(0)
    d = np.array([0.3, 0.8, 0.1, 0.8, 0.5])
    best = nb04._ref_best_response(d)
    assert np.allclose(best, [0, 0.5, 0, 0.5, 0])
    cost = lambda p: float(p @ np.log1p(-d))  # noqa: E731
    assert all(cost(best) <= cost(rng.dirichlet(np.ones(5))) + 1e-12 for _ in range(200))


def test_best_response_checker(capsys):
    check = nb04.check_best_response
    assert check(br_solution) == Result.CORRECT
    assert check(br_loop) == Result.CORRECT                   # a list is accepted
    assert check(not_done) == Result.NOT_ATTEMPTED
    capsys.readouterr()

    def first_argmax(d):
        p = np.zeros(len(d))
        p[np.argmax(d)] = 1.0
        return p

    def argmin(d):
        return br_solution(1 - np.asarray(d))

    for wrong, hint in ((lambda d: d / d.sum(), "weighted average"),
                        (lambda d: (d / (1 - d)) / (d / (1 - d)).sum(), "weighted average"),
                        (argmin, "MINIMISES"), (first_argmax, "split the mass"),
                        (lambda d: np.ones(len(d)) / len(d), "weighted average")):
        assert check(wrong) == Result.WRONG
        assert hint in capsys.readouterr().out
    assert check(lambda d: br_solution(d) * 2) == Result.WRONG   # not a distribution
    assert "minimise sum_i p_i log(1 - d_i)" in capsys.readouterr().out
    assert check(lambda d: nb04._ref_best_response(d)) == Result.WRONG
    assert "write it yourself" in capsys.readouterr().out


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
