"""Notebook 02 (the non-invertible generator): the exercise checkers and the preimage widget.

The references live in gh.theory (square_neg_preimage, lognormal_pdf, gaussian_interval_mass).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from scipy import stats

from .. import plotting, theory
from ..checks.core import Result, run_check


def _as_intervals(got: Any) -> Any:
    """A student's union of intervals as a list of (float, float); anything else is returned as is."""
    try:
        return [(float(lo), float(hi)) for lo, hi in got]
    except (TypeError, ValueError):
        return got


def check_square_neg_preimage(fn: Callable) -> Result:
    """Check fn(x (2,)) -> Z(x) for G(z) = [z^2, -z] as a sorted list of (lo, hi) tuples ([] if empty)."""
    def cases() -> list[tuple]:
        rng = np.random.default_rng(201)
        xs = [[4.0, 1.0], [4.0, 5.0], [-1.0, 3.0], [4.0, -3.0], [0.25, 10.0], [9.0, -2.5]]
        xs += [[rng.uniform(0.1, 9.0), rng.uniform(-4.0, 4.0)] for _ in range(6)]
        return [(np.array(x),) for x in xs]

    def sqrt_or_nan(v: float) -> float:
        return float(np.sqrt(v)) if v >= 0 else float("nan")

    wrong = {
        "flipped inequality": (lambda x: theory.intersect_intervals(
            [(-sqrt_or_nan(x[0]), sqrt_or_nan(x[0]))], [(-np.inf, -x[1])]) if x[0] >= 0 else [],
            "-z <= x2 means z >= -x2: multiplying by -1 flips the inequality."),
        "x1 < 0 not handled": (lambda x: [(max(-sqrt_or_nan(x[0]), -x[1]), sqrt_or_nan(x[0]))]
                               if x[0] < 0 else theory.square_neg_preimage(x),
                               "z^2 <= x1 has no solution when x1 < 0: return [] there."),
        "empty case kept": (lambda x: [] if x[0] < 0 else [(max(-np.sqrt(x[0]), -x[1]), np.sqrt(x[0]))],
                            "when -x2 > sqrt(x1) no z satisfies both constraints: return []."),
    }
    return run_check("square_neg_preimage", lambda x: _as_intervals(fn(x)), theory.square_neg_preimage,
                     cases, "solve each constraint for z, then intersect: z^2 <= x1 gives an interval "
                     "(or nothing), -z <= x2 a half-line. Return a list of (lo, hi) tuples.",
                     known_wrong=wrong, submitted=fn, answers=[theory.toronto_preimage])


def check_lognormal_pdf(fn: Callable) -> Result:
    """Check fn(x (n,)) -> density (n,) of x = exp(z), z ~ N(0, 1), with 0 for x <= 0."""

    def cases() -> list[tuple]:
        rng = np.random.default_rng(202)
        return [(np.concatenate([[-1.0, 0.0], rng.uniform(0.01, 6.0, 20)]),), (rng.uniform(0.05, 3.0, 10),)]

    def on_pos(f: Callable) -> Callable:
        def g(x: np.ndarray) -> np.ndarray:
            out = np.zeros_like(x)
            out[x > 0] = f(x[x > 0])
            return out
        return g

    wrong = {
        "no Jacobian": (on_pos(lambda x: stats.norm.pdf(np.log(x))),
                        "change of variables: multiply the latent density by |dz/dx|."),
        "Jacobian upside down": (on_pos(lambda x: stats.norm.pdf(np.log(x)) * x),
                                 "z = log x, so |dz/dx| = 1/x (not dx/dz)."),
        "nan for x <= 0": (lambda x: stats.norm.pdf(np.log(np.where(x > 0, x, np.nan))) / x,
                           "exp(z) > 0 always: the density is 0 for x <= 0 (no log of those x)."),
    }
    return run_check("lognormal_pdf", fn, theory.lognormal_pdf, cases,
                     "p_x(x) = p_z(g^{-1}(x)) |d g^{-1}/dx| with g(z) = exp(z).", known_wrong=wrong,
                     rtol=1e-6, atol=1e-9)


def check_gaussian_interval_mass(fn: Callable) -> Result:
    """Check fn(intervals, mu, sigma) -> P(z in the union) for z ~ N(mu, sigma^2), as a float."""

    inf = float("inf")

    def cases() -> list[tuple]:
        return [([(-1.0, 1.0)], 0.0, 1.0), ([(-inf, -1.0), (1.0, inf)], 0.0, 1.0), ([], 0.0, 1.0),
                ([(0.0, 2.0), (3.0, inf)], 1.0, 2.0), ([(-inf, inf)], 5.0, 3.0), ([(-2.0, -1.0), (1.0, 2.0)], 0.5, 0.5)]

    def standard(iv: list, mu: float, sigma: float) -> float:
        return float(sum(stats.norm.cdf(b) - stats.norm.cdf(a) for a, b in iv))

    def var_not_std(iv: list, mu: float, sigma: float) -> float:
        return float(sum(stats.norm.cdf((b - mu) / sigma**2) - stats.norm.cdf((a - mu) / sigma**2) for a, b in iv))

    def pdf_not_cdf(iv: list, mu: float, sigma: float) -> float:
        return float(sum(stats.norm.pdf((b - mu) / sigma) - stats.norm.pdf((a - mu) / sigma) for a, b in iv))

    wrong = {"not standardised": (standard, "standardise each endpoint: (b - mu) / sigma."),
             "divided by the variance": (var_not_std, "divide by the standard deviation sigma, not sigma^2."),
             "pdf instead of cdf": (pdf_not_cdf, "the mass of [a, b] is Phi(b') - Phi(a'): use the CDF.")}
    return run_check("gaussian_interval_mass", lambda iv, mu, s: float(fn(iv, mu, s)),
                     theory.gaussian_interval_mass, cases,
                     "sum over the intervals of Phi((b - mu)/sigma) - Phi((a - mu)/sigma).", known_wrong=wrong,
                     submitted=fn, answers=[theory.toronto_cdf])


# --- the preimage explorer ---------------------------------------------------------------------


def preimage_summary(x1: float, x2: float, x3: float) -> str:
    """Widget text: Z(x) and CDF(x) of the Toronto generator at x = [x1, x2, x3]."""
    intervals = theory.toronto_preimage([x1, x2, x3])
    return (f"x = [{x1:.3g}, {x2:.3g}, {x3:.3g}]   Z(x) = {theory.format_intervals(intervals)}   "
            f"CDF(x) = {theory.gaussian_interval_mass(intervals):.6f}")


def preimage_view(x1: float, x2: float, x3: float) -> None:
    """Widget callback: print Z(x) and CDF(x) of G(z) = [-z^2, exp(-z), z]; shade Z(x) on the z axis."""
    summary = preimage_summary(x1, x2, x3)
    print(summary)
    plotting.plot_preimage(theory.toronto_preimage([x1, x2, x3]), ax=plt.subplots(figsize=(7, 3))[1],
                           title=summary.split("   ", 1)[1])
    plt.show()
