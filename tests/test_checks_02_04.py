"""Checkers of notebooks 02 and 04: CORRECT on independent solutions, WRONG on plausible mistakes,
NOT_ATTEMPTED on an untouched exercise."""
from __future__ import annotations

import math

import numpy as np
from scipy import stats

from gan_helpers import checks
from gan_helpers.checks import Result


def not_done(*args):
    raise NotImplementedError()


# ------------------------------------------------------------------ notebook 02

def preimage_solution(x):
    x1, x2 = x
    if x1 < 0:
        return []
    lo, hi = max(-math.sqrt(x1), -x2), math.sqrt(x1)
    return [(lo, hi)] if lo <= hi else []


def preimage_no_empty_check(x):
    r = math.sqrt(max(x[0], 0))
    return [(max(-r, -x[1]), r)]


def preimage_flipped(x):
    if x[0] < 0:
        return []
    r = math.sqrt(x[0])
    lo, hi = -r, min(r, -x[1])
    return [(lo, hi)] if lo <= hi else []


def test_square_neg_preimage_checker(capsys):
    assert checks.check_square_neg_preimage(preimage_solution) == Result.CORRECT
    assert checks.check_square_neg_preimage(lambda x: tuple(preimage_solution(x))) == Result.CORRECT
    assert checks.check_square_neg_preimage(not_done) == Result.NOT_ATTEMPTED
    assert checks.check_square_neg_preimage(preimage_no_empty_check) == Result.WRONG
    assert checks.check_square_neg_preimage(preimage_flipped) == Result.WRONG
    assert "flips the inequality" in capsys.readouterr().out
    assert checks.check_square_neg_preimage(lambda x: None) == Result.WRONG


def test_lognormal_pdf_checker(capsys):
    def solution(x):
        return np.where(x > 0, stats.lognorm(s=1).pdf(np.where(x > 0, x, 1.0)), 0.0)

    def no_jacobian(x):
        return np.where(x > 0, stats.norm.pdf(np.log(np.where(x > 0, x, 1.0))), 0.0)

    assert checks.check_lognormal_pdf(solution) == Result.CORRECT
    assert checks.check_lognormal_pdf(not_done) == Result.NOT_ATTEMPTED
    assert checks.check_lognormal_pdf(no_jacobian) == Result.WRONG
    assert "|dz/dx|" in capsys.readouterr().out


def test_gaussian_interval_mass_checker(capsys):
    def solution(intervals, mu, sigma):
        return sum(stats.norm(mu, sigma).cdf(b) - stats.norm(mu, sigma).cdf(a) for a, b in intervals)

    def unstandardised(intervals, mu, sigma):
        return sum(stats.norm.cdf(b) - stats.norm.cdf(a) for a, b in intervals)

    assert checks.check_gaussian_interval_mass(solution) == Result.CORRECT
    assert checks.check_gaussian_interval_mass(not_done) == Result.NOT_ATTEMPTED
    assert checks.check_gaussian_interval_mass(unstandardised) == Result.WRONG
    assert "standardise" in capsys.readouterr().out


# ------------------------------------------------------------------ notebook 04

def kl(p, q):
    m = p > 0
    return np.inf if np.any(q[m] == 0) else float(np.sum(p[m] * np.log(p[m] / q[m])))


def test_js_from_kl_checker(capsys):
    def solution(p, q):
        m = (p + q) / 2
        return 0.5 * kl(p, m) + 0.5 * kl(q, m)

    def scipy_solution(p, q):  # KL via scipy.stats.entropy (nats)
        return stats.entropy(p, (p + q) / 2) / 2 + stats.entropy(q, (p + q) / 2) / 2

    assert checks.check_js_from_kl(solution) == Result.CORRECT
    assert checks.check_js_from_kl(scipy_solution) == Result.CORRECT
    assert checks.check_js_from_kl(not_done) == Result.NOT_ATTEMPTED
    assert checks.check_js_from_kl(lambda p, q: 2 * solution(p, q)) == Result.WRONG
    assert "factor 1/2" in capsys.readouterr().out
    assert checks.check_js_from_kl(lambda p, q: 0.5 * kl(p, q) + 0.5 * kl(q, p)) == Result.WRONG


def test_non_saturating_grad_checker(capsys):
    sigmoid = lambda l: 1 / (1 + np.exp(-l))  # noqa: E731
    assert checks.check_non_saturating_grad(lambda l: -(1 - sigmoid(l))) == Result.CORRECT
    assert checks.check_non_saturating_grad(lambda l: -np.exp(-l) / (1 + np.exp(-l))) == Result.CORRECT
    assert checks.check_non_saturating_grad(not_done) == Result.NOT_ATTEMPTED
    assert checks.check_non_saturating_grad(lambda l: -sigmoid(l)) == Result.WRONG
    assert "saturating cost" in capsys.readouterr().out
    assert checks.check_non_saturating_grad(lambda l: -1 / sigmoid(l)) == Result.WRONG


def test_gda_step_checker(capsys):
    def solution(x, y, lr, alternating):
        x_new = x - lr * y
        y_new = y + lr * (x_new if alternating else x)
        return x_new, y_new

    assert checks.check_gda_step(solution) == Result.CORRECT
    assert checks.check_gda_step(lambda *a: np.array(solution(*a))) == Result.CORRECT
    assert checks.check_gda_step(not_done) == Result.NOT_ATTEMPTED
    assert checks.check_gda_step(lambda x, y, lr, a: (x - lr * y, y + lr * x)) == Result.WRONG
    assert "NEW x" in capsys.readouterr().out
    assert checks.check_gda_step(lambda x, y, lr, a: (x + lr * y, y - lr * x)) == Result.WRONG
