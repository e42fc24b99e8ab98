"""Notebook 02 (the non-invertible generator): the exercise checkers and the preimage widget.

The references live in gh.theory (square_neg_preimage, lognormal_pdf, gaussian_interval_mass), except
the Exp(1) generator's, an exercise answer needed by no other notebook, which stays private here.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from scipy import special, stats

from .. import plotting, theory
from ..checks.core import Result, run_check
from ..widgets import Answer


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


def _ref_exponential_generator(z: np.ndarray) -> np.ndarray:
    """The increasing G with G(z) ~ Exp(1) for z ~ N(0, 1): -log(1 - Phi(z)) = -log Phi(-z), (...) -> (...)."""
    return -special.log_ndtr(-np.asarray(z, dtype=float))


def check_exponential_generator(fn: Callable) -> Result:
    """Check fn(z (...)) -> G(z) (...), the increasing map sending N(0, 1) to Exp(1), stable for large z."""
    def cases() -> list[tuple]:
        rng = np.random.default_rng(204)
        edges = np.array([-9.0, -3.0, -0.5, 0.0, 0.5, 1.0, 2.5, 6.0, 8.5, 9.0, 12.0])
        return [(rng.standard_normal(20),), (edges,), (rng.normal(0.0, 3.0, size=(3, 4)),)]

    def naive_uniform(z: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return -np.log(1 - z)

    def unstable(z: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return -np.log(1 - stats.norm.cdf(z))

    wrong = {
        "decreasing": (lambda z: -special.log_ndtr(z), "that map is decreasing (large z gives small x): "
                                                       "G must be increasing."),
        "z not made uniform": (naive_uniform, "z is Gaussian, not uniform on (0, 1): map it to a uniform "
                                              "first (with which function?)."),
        "unstable": (unstable, "1 - Phi(z) rounds to 0 or loses its digits for large z (try z = 9, which "
                               "should give about 43.6): compute the log of the tail probability directly "
                               "(stats.norm.logsf or scipy.special.log_ndtr)."),
        "uniform only": (lambda z: stats.norm.cdf(z), "Phi(z) is uniform on (0, 1), not Exp(1): one more "
                                                       "step, the inverse of the Exp(1) CDF."),
    }
    return run_check("exponential_generator", fn, _ref_exponential_generator, cases,
                     "for an increasing G, P(G(z) <= G(t)) = Phi(t); set it equal to the Exp(1) CDF "
                     "1 - exp(-G(t)) and solve for G(t), in a form that is stable for large t.",
                     known_wrong=wrong, rtol=1e-6, atol=1e-9)


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


# --- the quiz's answer keys (kept out of the notebook's cells: the student build does not show them) ---

QUIZ = {
    "q1": Answer({1}, [  # For G(z) = [-z^2, exp(-z), z] and x = [0.5, 1, 2], what is Z(x)?
        "This is the lecture's answer, but -z^2 <= 0.5 holds for every z: the first constraint removes nothing.",
        "Yes: z >= -log 1 = 0 and z <= 2; the first constraint is void when x1 >= 0.",
        "That is Z(x) for x = [-1, e^2, 2].",
        "That is Z(x) for x = [-1, 1, 2]: it needs x1 < 0 to cut out (-1, 1)."]),
    "q2": Answer({1}, [  # Why can't we fit G_w(z) = [-z^2, exp(-wz), z] to data by maximum ...
        "We computed it exactly above; the problem is its derivative, not the CDF.",
        "Right: a 1-D latent gives a distribution concentrated on a curve of zero volume.",
        "Sampling costs one function evaluation: that is why GANs use samples.",
        "There is no finite likelihood to differentiate in the first place."]),
    "q3": Answer({1}, [  # z ~ N(0, 1) and x = z^2. Which is the density of x for x > 0 (phi = ...
        "Only one preimage: this integrates to 1/2.",
        "Yes: one change-of-variables term per preimage z = ±sqrt x, each with |dz/dx| = 1/(2 sqrt x).",
        "The Jacobian factor is |dz/dx| = 1/(2 sqrt x), not dx/dz.",
        "Here dim z = dim x = 1 and the map is smooth with two branches: the density exists (chi-square, 1 dof)."]),
}
