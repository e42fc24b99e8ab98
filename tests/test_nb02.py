"""Notebook 02's checkers and its preimage explorer (called without a browser)."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
from scipy import stats

from gan_helpers.checks import Result
from gan_helpers.course import nb02


def not_done(*args):
    raise NotImplementedError()


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
    assert nb02.check_square_neg_preimage(preimage_solution) == Result.CORRECT
    assert nb02.check_square_neg_preimage(lambda x: tuple(preimage_solution(x))) == Result.CORRECT
    assert nb02.check_square_neg_preimage(not_done) == Result.NOT_ATTEMPTED
    assert nb02.check_square_neg_preimage(preimage_no_empty_check) == Result.WRONG
    assert nb02.check_square_neg_preimage(preimage_flipped) == Result.WRONG
    assert "flips the inequality" in capsys.readouterr().out
    assert nb02.check_square_neg_preimage(lambda x: None) == Result.WRONG


def test_lognormal_pdf_checker(capsys):
    def solution(x):
        return np.where(x > 0, stats.lognorm(s=1).pdf(np.where(x > 0, x, 1.0)), 0.0)

    def no_jacobian(x):
        return np.where(x > 0, stats.norm.pdf(np.log(np.where(x > 0, x, 1.0))), 0.0)

    assert nb02.check_lognormal_pdf(solution) == Result.CORRECT
    assert nb02.check_lognormal_pdf(not_done) == Result.NOT_ATTEMPTED
    assert nb02.check_lognormal_pdf(no_jacobian) == Result.WRONG
    assert "|dz/dx|" in capsys.readouterr().out


def test_gaussian_interval_mass_checker(capsys):
    def solution(intervals, mu, sigma):
        return sum(stats.norm(mu, sigma).cdf(b) - stats.norm(mu, sigma).cdf(a) for a, b in intervals)

    def unstandardised(intervals, mu, sigma):
        return sum(stats.norm.cdf(b) - stats.norm.cdf(a) for a, b in intervals)

    assert nb02.check_gaussian_interval_mass(solution) == Result.CORRECT
    assert nb02.check_gaussian_interval_mass(not_done) == Result.NOT_ATTEMPTED
    assert nb02.check_gaussian_interval_mass(unstandardised) == Result.WRONG
    assert "standardise" in capsys.readouterr().out


def test_preimage_view_prints_the_exact_answer(capsys):
    nb02.preimage_view(-1.0, math.e**2, 2.0)
    out = capsys.readouterr().out
    assert "[-2, -1] ∪ [1, 2]" in out and "0.271810" in out
    nb02.preimage_view(0.5, 1.0, 2.0)          # the slides' a > 0 case: [0, 2], not empty
    assert "[0, 2]" in capsys.readouterr().out
    nb02.preimage_view(-1.0, -1.0, 2.0)
    assert "∅" in capsys.readouterr().out
    plt.close("all")


def test_preimage_summary():
    text = nb02.preimage_summary(-1, math.e**2, 2)
    assert "[-2, -1] ∪ [1, 2]" in text and f"{2 * (stats.norm.cdf(2) - stats.norm.cdf(1)):.6f}" in text
    assert "[0, 2]" in nb02.preimage_summary(0.5, 1, 2)


# ------------------------------------------------------------------ exercise 4: exponential_generator

def exp_good(z):
    return -stats.norm.logsf(z)                     # an independent, stable solution


def exp_via_sf(z):
    return -np.log(stats.norm.cdf(-z))              # also stable for |z| < 37 (Phi(-z) is computed directly)


def test_exponential_generator_reference():
    ref = nb02._ref_exponential_generator
    z = np.array([-2.0, 0.0, 1.0, 9.0, 12.0])
    assert np.allclose(ref(z), -np.log(stats.norm.sf(z)), rtol=1e-12)
    assert abs(ref(np.array([0.0]))[0] - math.log(2)) < 1e-15        # the median of Exp(1)
    assert abs(ref(np.array([9.0]))[0] - 43.63) < 0.01 and np.isfinite(ref(np.array([12.0]))).all()
    u = stats.norm.cdf(np.linspace(-3, 3, 13))                       # F_Exp(G(z)) = Phi(z)
    assert np.allclose(1 - np.exp(-ref(np.linspace(-3, 3, 13))), u, atol=1e-12)
    assert np.all(np.diff(ref(np.linspace(-8, 12, 200))) > 0)        # increasing
    assert stats.kstest(ref(np.random.default_rng(0).standard_normal(5000)), "expon").pvalue > 0.01


def test_check_exponential_generator_correct():
    assert nb02.check_exponential_generator(exp_good) == Result.CORRECT
    assert nb02.check_exponential_generator(exp_via_sf) == Result.CORRECT
    assert nb02.check_exponential_generator(lambda z: -np.log(stats.norm.sf(z))) == Result.CORRECT


def test_check_exponential_generator_known_wrongs(capsys):
    def unstable(z):
        return -np.log(1 - stats.norm.cdf(z))

    def uniform_first_forgotten(z):
        return -np.log1p(-z)

    cases = [(lambda z: -stats.norm.logcdf(z), "must be increasing"),
             (uniform_first_forgotten, "map it to a uniform"),
             (unstable, "z = 9"),
             (stats.norm.cdf, "inverse of the Exp(1) CDF")]
    for fn, hint in cases:
        with np.errstate(all="ignore"):
            assert nb02.check_exponential_generator(fn) == Result.WRONG
        assert hint in capsys.readouterr().out, hint


def test_check_exponential_generator_other_failures(capsys):
    assert nb02.check_exponential_generator(not_done) == Result.NOT_ATTEMPTED
    assert nb02.check_exponential_generator(lambda z: -np.log(stats.norm.sf(z)) + 1) == Result.WRONG
    assert "stable for large t" in capsys.readouterr().out       # the generic hint
    assert nb02.check_exponential_generator(lambda z: nb02._ref_exponential_generator(z)) == Result.WRONG
    assert "write it yourself; calling gh.course.nb02._ref_exponential_generator" in capsys.readouterr().out
