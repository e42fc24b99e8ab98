"""Notebook 04 (JSD and the GAN objective): the exercise checkers and the divergence widget.

References live in gh.theory (js_divergence_discrete, non_saturating_grad, gda_step).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from scipy.special import expit

from .. import plotting, theory
from ..checks.core import Result, run_check


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


def check_non_saturating_grad(fn: Callable) -> Result:
    """Check fn(logit (n,)) -> d/dlogit of -log sigmoid(logit), as an (n,) array."""

    def cases() -> list[tuple]:
        rng = np.random.default_rng(402)
        return [(np.array([-8.0, -2.0, 0.0, 2.0, 8.0]),), (rng.uniform(-6, 6, 12),)]

    wrong = {"minimax gradient": (lambda l: -expit(l), "that is the gradient of log(1 - D), the saturating cost."),
             "gradient w.r.t. D": (lambda l: -1 / expit(l),
                                   "differentiate w.r.t. the logit: chain rule with dD/dlogit = D (1 - D)."),
             "sign": (lambda l: 1 - expit(l), "check the sign: raising the logit must lower -log D.")}
    return run_check("non_saturating_grad", lambda l: np.asarray(fn(l), dtype=float), theory.non_saturating_grad,
                     cases, "write -log sigmoid(l) = log(1 + exp(-l)) and differentiate.", known_wrong=wrong,
                     submitted=fn, answers=[theory.generator_grad_logit])


def check_gda_step(fn: Callable) -> Result:
    """Check fn(x, y, lr, alternating) -> (x_new, y_new) for f(x, y) = x*y (x descends, y ascends)."""
    def cases() -> list[tuple]:
        rng = np.random.default_rng(403)
        return [(float(rng.normal()), float(rng.normal()), float(rng.uniform(0.05, 0.5)), alt)
                for alt in (False, True, False, True, True)]

    def as_pair(v: Any) -> Any:
        try:
            return tuple(float(t) for t in np.asarray(v, dtype=float).ravel())
        except (TypeError, ValueError):
            return v

    wrong = {"roles swapped": (lambda x, y, lr, a: (x + lr * y, y - lr * (x + lr * y if a else x)),
                               "x minimises f (gradient DEscent), y maximises it (gradient AScent)."),
             "both descend": (lambda x, y, lr, a: (x - lr * y, y - lr * (x - lr * y if a else x)),
                              "y is the maximising player: it moves along +df/dy."),
             "never alternates": (lambda x, y, lr, a: theory.gda_step(x, y, lr, False),
                                  "alternating: y's step uses the NEW x."),
             "always alternates": (lambda x, y, lr, a: theory.gda_step(x, y, lr, True),
                                   "simultaneous: both players use the OLD point.")}
    return run_check("gda_step", lambda *c: as_pair(fn(*c)), theory.gda_step, cases,
                     "df/dx = y and df/dy = x; x takes a descent step, y an ascent step.", known_wrong=wrong,
                     submitted=fn, answers=[theory.gda_trajectory])


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
