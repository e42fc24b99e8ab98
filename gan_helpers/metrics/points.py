"""Point-cloud metrics: exact W1 between two clouds, and the 2-D mixture metrics (nearest mode, high
quality, modes covered, reverse KL) of VEEGAN and PacGAN."""
from __future__ import annotations

import math

import numpy as np
import torch
from scipy import optimize

from ..theory import kl_divergence_discrete
from ..utils import check_probabilities


def wasserstein1_points(a, b) -> float:
    """Exact W1 between two equal-size point clouds (n, d), (n, d): optimal assignment of a to b."""
    a = torch.as_tensor(a, dtype=torch.float64).reshape(len(a), -1)
    b = torch.as_tensor(b, dtype=torch.float64).reshape(len(b), -1)
    if a.shape != b.shape or len(a) == 0:
        raise ValueError(f"need two non-empty point clouds of the same shape (n, d), got "
                         f"{tuple(a.shape)} and {tuple(b.shape)}")
    cost = torch.cdist(a, b).numpy()
    rows, cols = optimize.linear_sum_assignment(cost)  # W1 of two n-point empirical laws
    return float(cost[rows, cols].mean())


# --- 2-D mixture metrics (nearest mode, high quality, modes covered, reverse KL) -------------
# Definitions as in VEEGAN (Srivastava et al. 2017) and PacGAN's code (Lin et al. 2018): a sample
# is assigned to its nearest mode; it is "high quality" when its distance to that mode is STRICTLY
# below n_std = 3 standard deviations, measured as the Euclidean norm ||x - mu|| / std (PacGAN's
# MetricLogger: sqrt(sum((x - mu)^2 / var)) < 3 with var = std^2 per coordinate). For an isotropic
# d-dimensional Gaussian ||x - mu||^2 / std^2 is chi-square with d degrees of freedom, so a true
# sample is high quality with probability 1 - exp(-9/2) = 98.9 % in 2-D (not the 1-D 99.7 %).
HQ_N_STD = 3.0


def _as_points(x, name: str) -> torch.Tensor:
    t = torch.as_tensor(x.detach().cpu() if isinstance(x, torch.Tensor) else x, dtype=torch.float64)
    if t.ndim != 2 or t.shape[0] == 0 or t.shape[1] == 0:
        raise ValueError(f"{name} must have shape (n, d) with n, d >= 1, got {tuple(t.shape)}")
    return t


def _check_inputs(samples, centers, std: float | None = None,
                  n_std: float = HQ_N_STD) -> tuple[torch.Tensor, torch.Tensor]:
    x, c = _as_points(samples, "samples"), _as_points(centers, "centers")
    if x.shape[1] != c.shape[1]:
        raise ValueError(f"samples (n, {x.shape[1]}) and centers (k, {c.shape[1]}) must have the same "
                         "dimension d")
    if std is not None and not (isinstance(std, (int, float)) and std > 0 and math.isfinite(std)):
        raise ValueError(f"std must be a positive finite number, got {std!r}")
    if not n_std > 0:
        raise ValueError(f"n_std must be positive, got {n_std!r}")
    return x, c


def nearest_mode(samples, centers) -> tuple[torch.Tensor, torch.Tensor]:
    """Nearest centre of each sample: samples (n, d), centers (k, d) -> (index (n,) int64, distance (n,))."""
    x, c = _check_inputs(samples, centers)
    dist = torch.cdist(x, c)  # (n, k) Euclidean distances
    d_min, idx = dist.min(dim=1)
    return idx, d_min


def high_quality_mask(samples, centers, std: float, n_std: float = HQ_N_STD) -> torch.Tensor:
    """High-quality mask: samples (n, d) -> (n,) bool, True when ||x - nearest centre|| < n_std * std."""
    _check_inputs(samples, centers, std, n_std)
    _, d_min = nearest_mode(samples, centers)
    return d_min < n_std * std  # NaN / inf samples are never high quality


def mode_histogram(samples, centers, std: float, n_std: float = HQ_N_STD) -> torch.Tensor:
    """Counts of high-quality samples per nearest mode: samples (n, d), centers (k, d) -> (k,) int64."""
    _check_inputs(samples, centers, std, n_std)
    idx, _ = nearest_mode(samples, centers)
    good = high_quality_mask(samples, centers, std, n_std)
    return torch.bincount(idx[good], minlength=len(_as_points(centers, "centers")))


def modes_covered(samples, centers, std: float, n_std: float = HQ_N_STD) -> int:
    """Number of modes that are the nearest mode of at least one high-quality sample (0..k)."""
    return int((mode_histogram(samples, centers, std, n_std) > 0).sum())


def high_quality_percent(samples, centers, std: float, n_std: float = HQ_N_STD) -> float:
    """Percentage (0..100) of samples (n, d) within n_std standard deviations of their nearest mode."""
    return 100.0 * float(high_quality_mask(samples, centers, std, n_std).double().mean())


def reverse_kl(samples, centers, std: float, weights=None, n_std: float = HQ_N_STD) -> float:
    """KL(q || p) in nats: q = mode histogram of the high-quality samples, p = weights (default uniform).

    Empty modes (q_i = 0) contribute 0 (the limit of q log q). If no sample is high quality, q is
    undefined (0/0) and the function returns +inf: no usable sample is the worst case, worse than
    all good samples on one mode (which gives log k for uniform p).
    """
    hist = mode_histogram(samples, centers, std, n_std).double()
    k = len(hist)
    p = np.full(k, 1.0 / k) if weights is None else check_probabilities(weights, "weights", size=k)
    if hist.sum() == 0:
        return math.inf
    return kl_divergence_discrete((hist / hist.sum()).numpy(), p)  # +inf where p = 0 < q


def mode_metrics(samples, mixture, n_std: float = HQ_N_STD) -> dict[str, float]:
    """Modes covered, % high quality and reverse KL of samples (n, d) against a GaussianMixture."""
    for attr in ("centers", "std"):
        if not hasattr(mixture, attr):
            raise ValueError(f"mixture must expose .centers (k, d) and .std (e.g. gh.data.ring8()), "
                             f"got {type(mixture).__name__} without .{attr}")
    weights = getattr(mixture, "weights", None)
    return {
        "modes": modes_covered(samples, mixture.centers, mixture.std, n_std),
        "hq_percent": high_quality_percent(samples, mixture.centers, mixture.std, n_std),
        "reverse_kl": reverse_kl(samples, mixture.centers, mixture.std, weights, n_std),
    }
