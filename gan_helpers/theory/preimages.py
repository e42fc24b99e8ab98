"""Sets of z and the non-invertible generator: unions of intervals, Toronto's G(z), change of variables.

Sets of z are unions of closed intervals: sorted, disjoint lists of (lo, hi) with lo <= hi; lo may be
-inf and hi +inf (unbounded ends).
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats

Interval = tuple[float, float]


def _vector(x, n: int, name: str = "x") -> np.ndarray:
    """Validate a point of R^n (no NaN; +-inf allowed): -> float array (n,)."""
    arr = np.asarray(x, dtype=float)
    if arr.shape != (n,) or np.isnan(arr).any():
        raise ValueError(f"{name} must be {n} numbers (no NaN; +-inf allowed), got {x!r}")
    return arr


def normalize_intervals(intervals: Sequence[Interval]) -> list[Interval]:
    """Sort and merge closed intervals [(lo, hi), ...] -> disjoint sorted list; drops empty ones."""
    keep = []
    for lo, hi in intervals:
        lo, hi = float(lo) + 0.0, float(hi) + 0.0  # + 0.0 turns -0.0 into 0.0
        if math.isnan(lo) or math.isnan(hi):
            raise ValueError(f"interval endpoints must not be NaN, got {(lo, hi)}")
        if lo <= hi and not (lo == hi and math.isinf(lo)):  # [inf, inf] holds no real number
            keep.append((lo, hi))
    merged: list[Interval] = []
    for lo, hi in sorted(keep):
        if merged and lo <= merged[-1][1]:  # closed intervals that touch merge
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def intersect_intervals(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    """Intersection of two unions of closed intervals -> normalised list."""
    return normalize_intervals([(max(l1, l2), min(h1, h2)) for l1, h1 in a for l2, h2 in b])


def gaussian_interval_mass(intervals: Sequence[Interval], mu: float = 0.0, sigma: float = 1.0) -> float:
    """P(z in union of intervals) for z ~ N(mu, sigma^2); intervals are normalised first."""
    if not sigma > 0:
        raise ValueError(f"sigma must be positive, got {sigma}")
    total = 0.0
    for lo, hi in normalize_intervals(intervals):
        a, b = (lo - mu) / sigma, (hi - mu) / sigma
        total += stats.norm.sf(a) - stats.norm.sf(b) if a > 0 else stats.norm.cdf(b) - stats.norm.cdf(a)
    return float(total)


def toronto_generator(z, w: float = 1.0) -> np.ndarray:
    """Toronto's non-invertible generator G(z) = [-z^2, exp(-w z), z] (w = 1 in the slides): z (n,) -> x (n, 3)."""
    z = np.asarray(z, dtype=float)
    if z.ndim != 1:
        raise ValueError(f"z must have shape (n,), got {z.shape}")
    return np.stack([-z**2, np.exp(-w * z), z], axis=1)


def toronto_preimage(x, w: float = 1.0) -> list[Interval]:
    """Z(x) = {z in R : G(z) <= x componentwise} for x (3,), w > 0: exact normalised list of closed intervals."""
    x1, x2, x3 = _vector(x, 3)
    if not (w > 0 and math.isfinite(w)):
        raise ValueError(f"w must be a positive number, got {w}")
    r = math.sqrt(-x1) if x1 < 0 else 0.0
    c1 = [(-math.inf, math.inf)] if x1 >= 0 else [(-math.inf, -r), (r, math.inf)]  # z^2 >= -x1
    c2 = [] if x2 <= 0 else [(-math.log(x2) / w, math.inf)]  # exp(-w z) <= x2 needs x2 > 0
    c3 = [(-math.inf, x3)]                                   # z <= x3
    return intersect_intervals(intersect_intervals(c1, c2), c3)


def toronto_cdf(x, w: float = 1.0) -> float:
    """CDF of x = G(z), z ~ N(0, 1), at x (3,): the Gaussian mass of Z(x)."""
    return gaussian_interval_mass(toronto_preimage(x, w))


def square_neg_preimage(x) -> list[Interval]:
    """Z(x) for the exercise generator G(z) = [z^2, -z], x (2,): normalised list of closed intervals."""
    x1, x2 = _vector(x, 2)
    if x1 < 0:
        return []
    r = math.sqrt(x1)
    return intersect_intervals([(-r, r)], [(-x2, math.inf)])


def format_intervals(intervals: Sequence[Interval], digits: int = 3) -> str:
    """Readable text for a union of intervals, e.g. '[-2, -1] ∪ [1, 2]' or '∅'."""
    def num(v: float) -> str:
        return ("-∞" if v < 0 else "+∞") if math.isinf(v) else f"{v:.{digits}g}"
    parts = [("(" if math.isinf(lo) else "[") + f"{num(lo)}, {num(hi)}" + (")" if math.isinf(hi) else "]")
             for lo, hi in normalize_intervals(intervals)]
    return " ∪ ".join(parts) if parts else "∅"



def lognormal_pdf(x) -> np.ndarray:
    """Density of x = exp(z), z ~ N(0, 1), by change of variables: x (n,) -> (n,), 0 for x <= 0."""
    x = np.asarray(x, dtype=float)
    out = np.zeros_like(x)
    pos = x > 0
    out[pos] = stats.norm.pdf(np.log(x[pos])) / x[pos]
    return out
