"""Notebook 04 (JSD and the GAN objective): the exercise checkers and the divergence widget.

References: gh.theory.js_divergence_discrete and gh.theory.gda_step (the package's own); the
extragradient step and the generator's best response are this notebook's answers only, so they stay
private here.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from .. import plotting, theory
from ..checks.core import Result, run_check
from ..widgets import Answer


def check_js_from_kl(fn: Callable) -> Result:
    """Check fn(p (k,), q (k,)) -> JSD(p || q) for probability vectors, as a float."""
    kl = theory.kl_divergence_discrete

    def cases() -> list[tuple]:
        rng = np.random.default_rng(401)
        out = [(np.array([0.5, 0.5, 0.0]), np.array([0.0, 0.5, 0.5])),
               (np.array([1.0, 0.0]), np.array([0.0, 1.0])), (np.full(4, 0.25), np.full(4, 0.25))]
        out += [(rng.dirichlet(np.ones(6)), rng.dirichlet(np.ones(6))) for _ in range(4)]
        return out

    def mid(p: np.ndarray, q: np.ndarray) -> np.ndarray:
        return (p + q) / 2

    wrong = {"no 1/2": (lambda p, q: kl(p, mid(p, q)) + kl(q, mid(p, q)),
                        "JSD averages the two KL terms: each gets a factor 1/2."),
             "symmetrised KL": (lambda p, q: 0.5 * kl(p, q) + 0.5 * kl(q, p),
                                "compare each distribution with the mixture m = (p + q)/2, not with the other one."),
             "one-sided": (lambda p, q: kl(p, mid(p, q)),
                           "JSD is symmetric: it needs both KL(p || m) and KL(q || m).")}
    return run_check("js_from_kl", lambda p, q: float(fn(p, q)), theory.js_divergence_discrete, cases,
                     "JSD(p || q) = KL(p || m)/2 + KL(q || m)/2 with m = (p + q)/2.", known_wrong=wrong,
                     submitted=fn, allow=[theory.kl_divergence_discrete])


def _as_pair(v: Any) -> Any:
    """A returned point as a tuple of floats (a tuple, list or array of two numbers); anything else as is."""
    try:
        return tuple(float(t) for t in np.asarray(v, dtype=float).ravel())
    except (TypeError, ValueError):
        return v


def check_gda_step(fn: Callable) -> Result:
    """Check fn(x, y, lr, alternating) -> (x_new, y_new) for f(x, y) = x*y (x descends, y ascends)."""
    def cases() -> list[tuple]:
        rng = np.random.default_rng(403)
        return [(float(rng.normal()), float(rng.normal()), float(rng.uniform(0.05, 0.5)), alt)
                for alt in (False, True, False, True, True)]

    wrong = {"roles swapped": (lambda x, y, lr, a: (x + lr * y, y - lr * (x + lr * y if a else x)),
                               "x minimises f (gradient DEscent), y maximises it (gradient AScent)."),
             "both descend": (lambda x, y, lr, a: (x - lr * y, y - lr * (x - lr * y if a else x)),
                              "y is the maximising player: it moves along +df/dy."),
             "never alternates": (lambda x, y, lr, a: theory.gda_step(x, y, lr, False),
                                  "alternating: y's step uses the NEW x."),
             "always alternates": (lambda x, y, lr, a: theory.gda_step(x, y, lr, True),
                                   "simultaneous: both players use the OLD point.")}
    return run_check("gda_step", lambda *c: _as_pair(fn(*c)), theory.gda_step, cases,
                     "df/dx = y and df/dy = x; x takes a descent step, y an ascent step.", known_wrong=wrong,
                     submitted=fn, answers=[theory.gda_trajectory])


def _ref_extragradient_step(x: float, y: float, lr: float) -> tuple[float, float]:
    """Extragradient (Korpelevich 1976) on f = x*y: look ahead one GDA step, step from (x, y) with its gradients."""
    x_half, y_half = x - lr * y, y + lr * x
    return x - lr * y_half, y + lr * x_half


def check_extragradient_step(fn: Callable) -> Result:
    """Check fn(x, y, lr) -> (x_new, y_new), one extragradient step on f(x, y) = x*y (x min, y max)."""
    def cases() -> list[tuple]:
        rng = np.random.default_rng(404)
        out = [(float(rng.normal()), float(rng.normal()), float(rng.uniform(0.05, 0.8))) for _ in range(4)]
        return out + [(1.0, 0.0, 0.1), (0.0, 0.0, 0.3), (-2.0, 3.0, 1.0)]

    def look_ahead_from(x: float, y: float, lr: float, alternating: bool = False,
                        sign: float = 1.0) -> tuple[float, float]:
        x_half = x - lr * y
        return x_half, y + sign * lr * (x_half if alternating else x)

    def from_look_ahead(x, y, lr):
        xh, yh = look_ahead_from(x, y, lr)
        return xh - lr * yh, yh + lr * xh

    def y_descends(x, y, lr):
        xh, yh = look_ahead_from(x, y, lr, sign=-1.0)
        return x - lr * yh, y - lr * xh

    def y_descends_last(x, y, lr):
        xh, yh = look_ahead_from(x, y, lr)
        return x - lr * yh, y - lr * xh

    def alternating_look_ahead(x, y, lr):
        xh, yh = look_ahead_from(x, y, lr, alternating=True)
        return x - lr * yh, y + lr * xh

    def alternating_real_step(x, y, lr):
        xh, yh = look_ahead_from(x, y, lr)
        x_new = x - lr * yh
        return x_new, y + lr * x_new

    origin = "the real step starts from the ORIGINAL point (x, y), not from the look-ahead point."
    wrong = {"plain GDA": (look_ahead_from, "that is one simultaneous GDA step, only the look-ahead; the real "
                           "step then uses the gradients found at the look-ahead point."),
             "from the look-ahead point": (from_look_ahead, origin),
             "y descends": (y_descends, "y maximises f: both of its steps go along +df/dy."),
             "y descends in the real step": (y_descends_last, "y maximises f: both of its steps go along +df/dy."),
             "alternating look-ahead": (alternating_look_ahead, "the look-ahead is a SIMULTANEOUS GDA step: both "
                                        "players look ahead from (x, y)."),
             "alternating real step": (alternating_real_step, "in the real step both players use the gradients "
                                       "at the look-ahead point, not each other's new value.")}
    return run_check("extragradient_step", lambda *c: _as_pair(fn(*c)), _ref_extragradient_step, cases,
                     "look ahead with one simultaneous GDA step; then, from (x, y), step with the gradients "
                     "df/dx, df/dy evaluated at the look-ahead point.", known_wrong=wrong, submitted=fn,
                     answers=[theory.gda_step, theory.gda_trajectory], rtol=1e-10, atol=1e-12)


def _ref_best_response(d_values) -> np.ndarray:
    """argmin over distributions p_g (k,) of sum_i p_g[i] log(1 - d[i]), for D values d (k,) in (0, 1).

    All mass on the points where D is largest (ties: np.isclose to the max, rtol=1e-12, atol=0),
    split equally: the cost is linear in p_g, so a vertex (or a face) of the simplex minimises it.
    """
    d = np.asarray(d_values, dtype=float)
    best = np.isclose(d, d.max(), rtol=1e-12, atol=0)
    return best / best.sum()


def check_best_response(fn: Callable) -> Result:
    """Check fn(d_values (k,)) -> p_g (k,) minimising E_{p_g}[log(1 - D)], ties split equally."""
    def cases() -> list[tuple]:
        rng = np.random.default_rng(405)
        tie_late = rng.uniform(0.05, 0.7, 9)
        tie_late[[3, 7]] = 0.85                       # two best points, neither the first entry
        triple = np.round(rng.uniform(0.1, 0.6, 12), 3)
        triple[[0, 5, 11]] = 0.75                     # three best points, one of them first
        low_tie = np.array([0.2, 0.2, 0.6, 0.4])      # a tie at the minimum only
        return [(rng.uniform(0.01, 0.99, 6),), (tie_late,), (triple,), (low_tie,), (np.full(5, 0.3),),
                (np.array([0.5]),), (np.array([1e-9, 0.5, 1 - 1e-9, 0.999]),)]

    def first_argmax(d):
        out = np.zeros(len(d))
        out[int(np.argmax(d))] = 1.0
        return out

    linear = ("the cost sum_i p_i log(1 - D(x_i)) is a weighted average of the points' costs: what does "
              "moving a little mass from one point to another do to it?")
    wrong = {"proportional to D": (lambda d: d / d.sum(), linear),
             "proportional to D/(1 - D)": (lambda d: d / (1 - d) / np.sum(d / (1 - d)), linear),
             "argmin D": (lambda d: _ref_best_response(-d), "check the direction: the generator MINIMISES "
                          "log(1 - D(x)); at which points is that smallest?"),
             "ties not split": (first_argmax, "when several points tie for the best value, split the mass "
                                "equally among them."),
             "uniform": (lambda d: np.full(len(d), 1 / len(d)), linear)}
    return run_check("best_response", lambda d: np.asarray(fn(d), dtype=float), _ref_best_response, cases,
                     "minimise sum_i p_i log(1 - d_i) over p_i >= 0 with sum_i p_i = 1.", known_wrong=wrong,
                     submitted=fn, rtol=1e-9, atol=1e-12)


# --- the divergence explorer ----------------------------------------------------------------------


def divergence_table(family: str, shift: float, sigma: float = 1.0) -> dict[str, float]:
    """KL(p||q), KL(q||p), JSD, TV and W1 of gh.theory.shifted_pair(family, shift, sigma)."""
    p, q = theory.shifted_pair(family, shift, sigma)
    lo, hi = min(0.0, shift) - 12 * sigma, max(0.0, shift) + 12 * sigma
    return {"KL(p||q)": theory.kl_divergence(p, q, lo, hi), "KL(q||p)": theory.kl_divergence(q, p, lo, hi),
            "JSD": theory.js_divergence(p, q, lo, hi), "TV": theory.total_variation(p, q, lo, hi),
            "W1": theory.wasserstein1(p, q, lo, hi)}


def divergence_view(family: str, shift: float, sigma: float = 1.0) -> None:
    """Widget callback: p = base density, q = p shifted; print KL, JSD, TV, W1 and draw p, q."""
    table = divergence_table(family, shift, sigma)
    print("   ".join(f"{k} = {v:.4f}" for k, v in table.items()) + f"   (log 2 = {theory.LOG2:.4f})")
    p, q = theory.shifted_pair(family, shift, sigma)
    lo, hi = min(0.0, shift) - 4 * sigma, max(0.0, shift) + 4 * sigma
    plotting.plot_densities_1d({f"p = {p.name}": p, f"q = {q.name}": q}, xlim=(lo, hi),
                               ax=plt.subplots(figsize=(7, 3))[1],
                               title=f"JSD = {table['JSD']:.3f} (max log 2),  W1 = {table['W1']:.3f}")
    plt.show()


# --- the quiz's answer keys (kept out of the notebook's cells: the student build does not show them) ---

QUIZ = {
    "q1": Answer({1}, [  # p_data = U[0, 1] and p_g = U[2, 3]. The discriminator is optimal. ...
        "-log 4 is the value when p_g = p_data, where the JSD is 0.",
        ("Right: disjoint supports give JSD = log 2, so V = -log 4 + 2 log 2 = 0, and it stays 0 while they remain "
         "disjoint: no gradient."),
        "V only changes once the supports overlap; U[1.5, 2.5] still misses [0, 1].",
        "V(G, D*) = 2 JSD - log 4; with JSD = log 2 that is 0, not log 2."]),
    "q2": Answer({1}, [  # Early in training, D(G(z)) is close to 0 for most fakes. Which ...
        "Its gradient with respect to the logit is -D(G(z)), which goes to 0: it saturates.",
        "Yes: its gradient with respect to the logit is -(1 - D(G(z))), close to -1.",
        "Its gradient is -D/(1 - D), which also goes to 0 as D(G(z)) -> 0.",
        "They share the minimum but not the gradients: compare the right panel of the figure."]),
    "q3": Answer({0, 1, 3}, [  # You fit one Gaussian q to a two-mode density p. Which statements are ...
        "True: forward KL blows up where p > 0 and q is tiny, so q spreads out (here mu = 0, sigma = sqrt(Var p)).",
        "True: reverse KL punishes mass where p is small, such as the gap between modes.",
        "False: we found mu = 0 for one and mu = ±1 for the other.",
        "True: it compares both with their average m = (p + q)/2."]),
}
