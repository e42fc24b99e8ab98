"""GAN theory in numbers: the non-invertible generator, 1-D divergences, D*, WGAN Example 1, losses, GDA.

Pure numpy/scipy. Sets of z are unions of closed intervals: sorted, disjoint lists of (lo, hi) with
lo <= hi; lo may be -inf and hi +inf (unbounded ends). Densities are callables on (n,) arrays.
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np
from scipy import integrate, stats
from scipy.special import expit

Interval = tuple[float, float]
LOG2, LOG4 = math.log(2.0), math.log(4.0)
GENERATOR_COSTS = ("minimax", "non_saturating", "max_likelihood")

# --------------------------------------------------------------------------- intervals and G(z)


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


def preimage_summary(x1: float, x2: float, x3: float) -> str:
    """Widget text for notebook 02: Z(x) and CDF(x) of the Toronto generator at x = [x1, x2, x3]."""
    intervals = toronto_preimage([x1, x2, x3])
    return (f"x = [{x1:.3g}, {x2:.3g}, {x3:.3g}]   Z(x) = {format_intervals(intervals)}   "
            f"CDF(x) = {gaussian_interval_mass(intervals):.6f}")


def lognormal_pdf(x) -> np.ndarray:
    """Density of x = exp(z), z ~ N(0, 1), by change of variables: x (n,) -> (n,), 0 for x <= 0."""
    x = np.asarray(x, dtype=float)
    out = np.zeros_like(x)
    pos = x > 0
    out[pos] = stats.norm.pdf(np.log(x[pos])) / x[pos]
    return out

# --------------------------------------------------------------------------- 1-D densities


class Density:
    """A 1-D density: call on x (n,) -> (n,); logpdf(x) is exact (-inf where the density is 0)."""

    def __init__(self, logpdf: Callable[[np.ndarray], np.ndarray], breakpoints: Sequence[float], name: str):
        self.logpdf, self.breakpoints, self.name = logpdf, tuple(breakpoints), name

    def __call__(self, x) -> np.ndarray:
        return np.exp(self.logpdf(np.asarray(x, dtype=float)))

    def __repr__(self) -> str:
        return f"Density({self.name})"


def gaussian_pdf(mu: float, sigma: float) -> Density:
    """Density of N(mu, sigma^2)."""
    return mixture_pdf([mu], [sigma], name=f"N({mu:g}, {sigma:g}^2)")


def mixture_pdf(mus: Sequence[float], sigmas: Sequence[float] | float,
                weights: Sequence[float] | None = None, name: str | None = None) -> Density:
    """Density of the Gaussian mixture sum_k w_k N(mu_k, sigma_k^2) (equal weights by default)."""
    mus = np.atleast_1d(np.asarray(mus, dtype=float))
    sigmas = np.broadcast_to(np.asarray(sigmas, dtype=float), mus.shape).copy()
    w = np.full(mus.shape, 1.0 / mus.size) if weights is None else np.asarray(weights, dtype=float)
    if mus.ndim != 1 or mus.size == 0 or w.shape != mus.shape:
        raise ValueError(f"need k >= 1 means and k weights, got mus {mus.shape}, weights {w.shape}")
    if not (sigmas > 0).all():
        raise ValueError(f"standard deviations must be positive, got {sigmas}")
    if (w < 0).any() or abs(w.sum() - 1) > 1e-9:
        raise ValueError(f"weights must be non-negative and sum to 1, got {w}")

    with np.errstate(divide="ignore"):
        logc = np.log(w) - np.log(sigmas) - 0.5 * math.log(2 * math.pi)

    def logpdf(x: np.ndarray) -> np.ndarray:
        t = logc - 0.5 * ((np.asarray(x, dtype=float)[..., None] - mus) / sigmas) ** 2
        top = t.max(axis=-1, keepdims=True)  # log-sum-exp, finite since some weight is > 0
        return (top + np.log(np.exp(t - top).sum(axis=-1, keepdims=True)))[..., 0]
    return Density(logpdf, mus, name or f"mixture(mus={mus.tolist()}, sigmas={sigmas.tolist()})")


def uniform_pdf(a: float, b: float) -> Density:
    """Density of U[a, b] (a < b)."""
    if not a < b:
        raise ValueError(f"uniform needs a < b, got a={a}, b={b}")
    return Density(lambda x: np.where((x >= a) & (x <= b), -math.log(b - a), -np.inf), (a, b),
                   f"U[{a:g}, {b:g}]")


def _logpdf(f: Callable, x: np.ndarray) -> np.ndarray:
    """log f(x): exact for Density objects, np.log of the values for plain callables."""
    if isinstance(f, Density):
        return f.logpdf(x)
    with np.errstate(divide="ignore"):
        return np.log(np.asarray(f(x), dtype=float))


def _quad(fn: Callable[[float], float], lo: float, hi: float, *dens) -> float:
    """Integral of a scalar function over [lo, hi] with the densities' breakpoints as hints."""
    pts = sorted({p for d in dens for p in getattr(d, "breakpoints", ()) if lo < p < hi})
    return integrate.quad(fn, lo, hi, points=pts or None, limit=400, epsabs=1e-11, epsrel=1e-11)[0]


def _check(lo: float, hi: float, tol: float, *dens: Callable) -> None:
    """Raise ValueError unless lo < hi are finite and every density integrates to 1 on [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"need finite lo < hi (an interval holding the mass), got lo={lo}, hi={hi}")
    for f in dens:
        mass = _quad(lambda t: float(np.exp(_logpdf(f, np.array([t])))[0]), lo, hi, f)
        if abs(mass - 1) > tol:
            raise ValueError(f"{f!r} integrates to {mass:.6f} on [{lo}, {hi}], not 1 (tol {tol}): "
                             "not a density, or [lo, hi] misses part of its mass")


def kl_divergence(p: Callable, q: Callable, lo: float, hi: float, tol: float = 1e-4) -> float:
    """KL(p || q) = int p log(p/q) over [lo, hi] (0 log 0 = 0); +inf when p has mass where q = 0."""
    _check(lo, hi, tol, p, q)
    grid = np.linspace(lo, hi, 20001)
    if ((_logpdf(p, grid) > -np.inf) & (_logpdf(q, grid) == -np.inf)).any():
        return math.inf

    def f(t: float) -> float:
        lp, lq = _logpdf(p, np.array([t]))[0], _logpdf(q, np.array([t]))[0]
        return 0.0 if lp == -np.inf else (math.inf if lq == -np.inf else math.exp(lp) * (lp - lq))
    return float(_quad(f, lo, hi, p, q))


def js_divergence(p: Callable, q: Callable, lo: float, hi: float, tol: float = 1e-4) -> float:
    """JSD(p || q) = KL(p || m)/2 + KL(q || m)/2 with m = (p + q)/2; in [0, log 2]."""
    _check(lo, hi, tol, p, q)

    def f(t: float) -> float:
        lp, lq = _logpdf(p, np.array([t]))[0], _logpdf(q, np.array([t]))[0]
        lm = np.logaddexp(lp, lq) - LOG2
        return 0.5 * sum(math.exp(l) * (l - lm) for l in (lp, lq) if l > -np.inf)
    return float(_quad(f, lo, hi, p, q))


def total_variation(p: Callable, q: Callable, lo: float, hi: float, tol: float = 1e-4) -> float:
    """TV(p, q) = (1/2) int |p - q| over [lo, hi]; in [0, 1]."""
    _check(lo, hi, tol, p, q)
    return float(_quad(lambda t: 0.5 * abs(p(np.array([t]))[0] - q(np.array([t]))[0]), lo, hi, p, q))


class OptimalDiscriminator:
    """D*(x) = p_data / (p_data + p_g), 1/2 where both are 0: call on x (n,) -> (n,)."""

    def __init__(self, p_data: Callable, p_g: Callable):
        self.p_data, self.p_g = p_data, p_g

    def logs(self, x) -> tuple[np.ndarray, np.ndarray]:
        """(log D*(x), log(1 - D*(x))), computed stably from log densities: x (n,) -> two (n,)."""
        lp, lq = _logpdf(self.p_data, np.asarray(x, dtype=float)), _logpdf(self.p_g, np.asarray(x, dtype=float))
        both0 = (lp == -np.inf) & (lq == -np.inf)
        lp, lq = np.where(both0, 0.0, lp), np.where(both0, 0.0, lq)  # 0/0 -> 1/2 by definition
        return lp - np.logaddexp(lp, lq), lq - np.logaddexp(lp, lq)

    def __call__(self, x) -> np.ndarray:
        return np.exp(self.logs(x)[0])


def optimal_discriminator(p_data: Callable, p_g: Callable) -> OptimalDiscriminator:
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)); defined as 1/2 where both densities are 0."""
    return OptimalDiscriminator(p_data, p_g)


def gan_value(p_data: Callable, p_g: Callable, D: Callable, lo: float, hi: float, tol: float = 1e-4) -> float:
    """V(G, D) = E_{p_data} log D(x) + E_{p_g} log(1 - D(x)), by quadrature over [lo, hi]."""
    _check(lo, hi, tol, p_data, p_g)

    def logs(x: np.ndarray) -> tuple[float, float]:
        if isinstance(D, OptimalDiscriminator):
            return tuple(v[0] for v in D.logs(x))
        d = float(np.asarray(D(x), dtype=float).ravel()[0])
        return (math.log(d) if d > 0 else -math.inf), (math.log1p(-d) if d < 1 else -math.inf)

    def f(t: float) -> float:
        x = np.array([t])
        lp, lq = _logpdf(p_data, x)[0], _logpdf(p_g, x)[0]
        log_d, log_1md = logs(x)
        return ((math.exp(lp) * log_d if lp > -np.inf else 0.0)  # 0 * log 0 = 0
                + (math.exp(lq) * log_1md if lq > -np.inf else 0.0))
    return float(_quad(f, lo, hi, p_data, p_g))


def wasserstein1(p: Callable, q: Callable, lo: float, hi: float, n: int = 20001, tol: float = 1e-4) -> float:
    """W1(p, q) on a fine grid of [lo, hi] via scipy.stats.wasserstein_distance (error ~ grid step)."""
    _check(lo, hi, tol, p, q)
    grid = np.linspace(lo, hi, n)
    return float(stats.wasserstein_distance(grid, grid, p(grid), q(grid)))


def shifted_pair(family: str, shift: float, sigma: float = 1.0) -> tuple[Density, Density]:
    """(p, q) = (N(0, s^2), N(shift, s^2)) or (U[0, s], U[shift, shift + s]); W1 = |shift| for both."""
    if not sigma > 0:
        raise ValueError(f"sigma must be positive, got {sigma}")
    if family == "gaussian":
        return gaussian_pdf(0.0, sigma), gaussian_pdf(shift, sigma)
    if family == "uniform":
        return uniform_pdf(0.0, sigma), uniform_pdf(shift, shift + sigma)
    raise ValueError(f"family must be 'gaussian' or 'uniform', got {family!r}")


def divergence_table(family: str, shift: float, sigma: float = 1.0) -> dict[str, float]:
    """KL(p||q), KL(q||p), JSD, TV and W1 of shifted_pair(family, shift, sigma) (widget of notebook 04)."""
    p, q = shifted_pair(family, shift, sigma)
    lo, hi = min(0.0, shift) - 12 * sigma, max(0.0, shift) + 12 * sigma
    return {"KL(p||q)": kl_divergence(p, q, lo, hi), "KL(q||p)": kl_divergence(q, p, lo, hi),
            "JSD": js_divergence(p, q, lo, hi), "TV": total_variation(p, q, lo, hi),
            "W1": wasserstein1(p, q, lo, hi)}


def kl_divergence_discrete(p, q) -> float:
    """KL(p || q) for probability vectors p, q (k,): sum p log(p/q), 0 log 0 = 0, +inf if p > 0 = q."""
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    if p.shape != q.shape or p.ndim != 1 or (p < 0).any() or (q < 0).any():
        raise ValueError(f"p and q must be non-negative vectors of one shape (k,), got {p.shape}, {q.shape}")
    if abs(p.sum() - 1) > 1e-6 or abs(q.sum() - 1) > 1e-6:
        raise ValueError(f"p and q must each sum to 1, got {p.sum():.6f} and {q.sum():.6f}")
    if ((p > 0) & (q == 0)).any():
        return math.inf
    m = p > 0
    return float(np.sum(p[m] * np.log(p[m] / q[m])))


def js_divergence_discrete(p, q) -> float:
    """JSD(p || q) for probability vectors (k,): KL to the mixture m = (p + q)/2, averaged."""
    m = (np.asarray(p, dtype=float) + np.asarray(q, dtype=float)) / 2
    return 0.5 * kl_divergence_discrete(p, m) + 0.5 * kl_divergence_discrete(q, m)

# --------------------------------------------------------------------------- WGAN Example 1


def example1_distances(theta: float) -> dict[str, float]:
    """Closed forms for P_0 = law of (0, Z), P_theta = law of (theta, Z), Z ~ U[0, 1] (Arjovsky et al. 2017)."""
    if not math.isfinite(theta):
        raise ValueError(f"theta must be a finite number, got {theta}")
    moved = theta != 0
    return {"W": abs(theta), "JS": LOG2 if moved else 0.0, "KL": math.inf if moved else 0.0,
            "TV": 1.0 if moved else 0.0}


def example1_samples(theta: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """n samples of P_theta = law of (theta, Z), Z ~ U[0, 1]: (n, 2)."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    return np.stack([np.full(n, float(theta)), rng.uniform(0.0, 1.0, n)], axis=1)

# --------------------------------------------------------------------------- generator costs, GDA


_COSTS = {  # kind: (cost J(d), dJ/dlogit as a function of d); max_likelihood = -exp(logit), Goodfellow 2016
    "minimax": (lambda d: np.log1p(-d), lambda d: -d),
    "non_saturating": (lambda d: -np.log(d), lambda d: d - 1),
    "max_likelihood": (lambda d: -d / (1 - d), lambda d: -d / (1 - d)),
}


def _cost(d, kind: str) -> tuple[np.ndarray, tuple[Callable, Callable]]:
    d = np.asarray(d, dtype=float)
    if not ((d > 0) & (d < 1)).all():
        raise ValueError("d = D(G(z)) must lie strictly inside (0, 1)")
    if kind not in _COSTS:
        raise ValueError(f"kind must be one of {GENERATOR_COSTS}, got {kind!r}")
    return d, _COSTS[kind]


def generator_cost(d, kind: str) -> np.ndarray:
    """Generator cost per sample vs d = D(G(z)) (n,) -> (n,): minimax, non_saturating or max_likelihood."""
    d, (cost, _) = _cost(d, kind)
    return cost(d)


def generator_grad_logit(d, kind: str) -> np.ndarray:
    """d cost / d logit, where d = sigmoid(logit) (n,) -> (n,): -d, -(1 - d), -d/(1 - d)."""
    d, (_, grad) = _cost(d, kind)
    return grad(d)


def non_saturating_grad(logit) -> np.ndarray:
    """d/dlogit of -log sigmoid(logit): (n,) -> (n,) (reference of notebook 04's exercise)."""
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
