"""1-D densities and the distances between them: KL, JSD, TV, W1, the optimal discriminator D*, V(G, D).

Pure numpy/scipy. Densities are callables on (n,) arrays; Density objects also give exact log densities.
Also the discrete divergences (probability vectors) and WGAN's Example 1 in closed form.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from scipy import integrate, stats

from ..utils import check_probabilities

LOG2, LOG4 = math.log(2.0), math.log(4.0)


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
    check_probabilities(w, "weights", tol=1e-9)

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
        mass = _quad(lambda t, f=f: float(np.exp(_logpdf(f, np.array([t])))[0]), lo, hi, f)
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


def kl_divergence_discrete(p, q) -> float:
    """KL(p || q) for probability vectors p, q (k,): sum p log(p/q), 0 log 0 = 0, +inf if p > 0 = q."""
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    if p.shape != q.shape or p.ndim != 1 or (p < 0).any() or (q < 0).any():
        raise ValueError(f"p and q must be non-negative vectors of one shape (k,), got {p.shape}, {q.shape}")
    check_probabilities(p, "p")
    check_probabilities(q, "q")
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
