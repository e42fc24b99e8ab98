"""The generator's costs against a fixed D (minimax, non-saturating, maximum likelihood) and gradient
descent-ascent on the bilinear game f(x, y) = x*y."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.special import expit

GENERATOR_COSTS = ("minimax", "non-saturating", "maximum-likelihood")  # the names gh.losses uses


_COSTS = {  # kind: (cost J(d), dJ/dlogit as a function of d); maximum likelihood = -exp(logit), Goodfellow 2016
    "minimax": (lambda d: np.log1p(-d), lambda d: -d),
    "non-saturating": (lambda d: -np.log(d), lambda d: d - 1),
    "maximum-likelihood": (lambda d: -d / (1 - d), lambda d: -d / (1 - d)),
}


def _cost(d, kind: str) -> tuple[np.ndarray, tuple[Callable, Callable]]:
    d = np.asarray(d, dtype=float)
    if not ((d > 0) & (d < 1)).all():
        raise ValueError("d = D(G(z)) must lie strictly inside (0, 1)")
    if kind not in _COSTS:
        raise ValueError(f"kind must be one of {GENERATOR_COSTS}, got {kind!r}")
    return d, _COSTS[kind]


def generator_cost(d, kind: str) -> np.ndarray:
    """Generator cost per sample vs d = D(G(z)) (n,) -> (n,): minimax, non-saturating or maximum-likelihood."""
    d, (cost, _) = _cost(d, kind)
    return cost(d)


def generator_grad_logit(d, kind: str) -> np.ndarray:
    """d cost / d logit, where d = sigmoid(logit) (n,) -> (n,): -d, -(1 - d), -d/(1 - d)."""
    d, (_, grad) = _cost(d, kind)
    return grad(d)


def non_saturating_grad(logit) -> np.ndarray:
    """d/dlogit of -log sigmoid(logit): (n,) -> (n,) (the non-saturating cost's gradient)."""
    return expit(np.asarray(logit, dtype=float)) - 1.0


def gda_step(x: float, y: float, lr: float, alternating: bool = False) -> tuple[float, float]:
    """One gradient step on f(x, y) = x*y: x descends, y ascends (simultaneous, or alternating x first)."""
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr}")
    x_new = x - lr * y
    return x_new, y + lr * (x_new if alternating else x)


def gda_trajectory(x0: float, y0: float, lr: float, steps: int, alternating: bool = False) -> np.ndarray:
    """Iterates of gda_step from (x0, y0): (steps + 1, 2)."""
    path = [(float(x0), float(y0))]
    for _ in range(steps):
        path.append(gda_step(*path[-1], lr, alternating))
    return np.asarray(path)
