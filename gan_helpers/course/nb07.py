"""Notebook 07 (mode collapse): the experiment's runner (from nb07_experiment), the measures of
collapse over training, and the exercise checkers.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from .. import data, metrics, models
from ..checks.core import Result, run_check
from .nb07_experiment import (
    COST,
    DESCRIPTIONS,
    METHODS,
    SETTINGS,
    Settings,
    balanced_groups,
    build,
    mixtures,
    top2_share,
    train_method,
    train_methods,
    with_budget,
)

__all__ = ["COST", "DESCRIPTIONS", "METHODS", "SETTINGS", "Settings", "after_warmup", "balanced_groups", "build",
           "check_mode_coverage", "check_pack_samples", "check_reverse_kl", "collapsed_share", "mixtures",
           "summarise", "top2_share", "train_method", "train_methods", "with_budget"]


def after_warmup(run: dict, key: str, skip: float = 0.3) -> np.ndarray:
    """A run's metric track with the first `skip` fraction of training left out."""
    d = np.asarray(run["d_updates"], dtype=float)
    return np.asarray(run[key], dtype=float)[d > skip * d[-1]]


def collapsed_share(run: dict, share: float = 0.9, skip: float = 0.3) -> float:
    """Share of a run's checkpoints (after the first 30 %) that are collapsed: at least `share` of ALL
    samples lie nearest to just 2 modes. Unlike "modes covered", this sees a generator that piles its
    samples between two modes (no HQ sample at all) as collapsed, and a wide blur as not collapsed."""
    return float((after_warmup(run, "top2", skip) >= share).mean())


def summarise(runs: list[dict], method: str, data_name: str, key: str) -> tuple[float, float]:
    """Mean and standard deviation (ddof 1) over the runs of one method on one data set of final[key]."""
    v = np.array([r["final"][key] for r in runs if r["method"] == method and r["data"] == data_name], float)
    if len(v) == 0:
        raise ValueError(f"no runs of {method!r} on {data_name!r}")
    return float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else 0.0


# --- the exercise checkers -------------------------------------------------------------------


def _mode_cases() -> list[tuple]:
    """Seeded (samples (n, 2), centers (k, 2), std) of a partly collapsed generator on ring8 / grid25.

    Each case mixes sharp samples on a few modes, blurred ones (2.5 std: some in, some out of the
    3-std disc), junk far from every mode, and points 5 std from modes that nothing else visits.
    """
    g = torch.Generator().manual_seed(707)
    cases = []
    for mix, used, far in ((data.ring8(), [0, 1, 5], [3]), (data.grid25(), [0, 6, 12, 13, 24], [2, 20])):
        c, s = mix.centers.double(), mix.std
        sharp = c[torch.tensor(used * 40)] + s * torch.randn(40 * len(used), 2, generator=g, dtype=torch.float64)
        blur = c[torch.tensor(used * 20)] + 2.5 * s * torch.randn(20 * len(used), 2, generator=g,
                                                                   dtype=torch.float64)
        angle = 2 * np.pi * torch.rand(len(far), generator=g, dtype=torch.float64)
        ring = c[torch.tensor(far)] + 5 * s * torch.stack([angle.cos(), angle.sin()], 1)
        junk = 1.5 * c.abs().max() * (2 * torch.rand(30, 2, generator=g, dtype=torch.float64) - 1)
        x = torch.cat([sharp, blur, ring, junk])
        cases.append((x[torch.randperm(len(x), generator=g)], c, s))
    far_only = 10.0 + torch.rand(20, 2, generator=g, dtype=torch.float64)  # no high-quality sample
    return cases + [(far_only, data.ring8().centers.double(), data.ring8().std)]


def _ref_coverage(samples, centers, std) -> tuple[int, float]:
    return (metrics.modes_covered(samples, centers, std),
            metrics.high_quality_percent(samples, centers, std))


def check_mode_coverage(fn: Callable) -> Result:
    """Check fn(samples (n, 2), centers (k, 2), std) -> (modes covered: int, % high quality: float)."""
    def nearest(x, c):
        d = torch.cdist(torch.as_tensor(x).double(), torch.as_tensor(c).double())
        return d.min(1)

    def per_coordinate(x, c, s):  # the 1-D 3-sigma rule applied to each coordinate separately
        _, idx = nearest(x, c)
        good = ((x - c[idx]).abs() < 3 * s).all(1)
        return int(idx[good].unique().numel()), 100.0 * float(good.double().mean())

    def variance(x, c, s):  # threshold 3 * std^2 instead of 3 * std
        dist, idx = nearest(x, c)
        good = dist < 3 * s**2
        return int(idx[good].unique().numel()), 100.0 * float(good.double().mean())

    wrong = {
        "per coordinate": (per_coordinate, "measure the Euclidean distance ||x - mu|| to the nearest "
                                           "mode, not each coordinate separately."),
        "all samples cover": (lambda x, c, s: (int(nearest(x, c)[1].unique().numel()),
                                               metrics.high_quality_percent(x, c, s)),
                              "a mode is covered only by a HIGH-QUALITY sample nearest to it."),
        "fraction": (lambda x, c, s: (metrics.modes_covered(x, c, s),
                                      metrics.high_quality_percent(x, c, s) / 100),
                     "return a percentage (0..100), not a fraction."),
        "variance": (variance, "the threshold is 3 standard deviations: 3 * std, not 3 * std**2."),
    }
    return run_check("mode_coverage", fn, _ref_coverage, _mode_cases,
                     "nearest mode by Euclidean distance; high quality if that distance < 3 * std; "
                     "covered = modes nearest to at least one high-quality sample.", known_wrong=wrong,
                     answers=[metrics.modes_covered, metrics.high_quality_percent, metrics.high_quality_mask,
                              metrics.mode_metrics])


def check_reverse_kl(fn: Callable) -> Result:
    """Check fn(samples (n, 2), centers (k, 2), std) -> KL(q || uniform) of the high-quality mode histogram."""
    def hist_all(x, c):
        idx = torch.cdist(torch.as_tensor(x).double(), torch.as_tensor(c).double()).argmin(1)
        return torch.bincount(idx, minlength=len(c)).double()

    def kl(q, p):
        on = q > 0
        return float((q[on] * (q[on] / p[on]).log()).sum())

    def forward_kl(x, c, s):
        q = metrics.mode_histogram(x, c, s).double()
        if q.sum() == 0:
            return np.inf  # as the reference: this mistake shows only when some samples are good
        q = q / q.sum()
        return float((torch.log(1 / (len(c) * q)) / len(c)).sum())  # inf where q = 0

    uniform = lambda c: torch.full((len(c),), 1 / len(c), dtype=torch.float64)  # noqa: E731
    wrong = {
        "all samples": (lambda x, c, s: kl(hist_all(x, c) / len(x), uniform(c)),
                        "build the histogram from the HIGH-QUALITY samples only."),
        "forward KL": (forward_kl, "reverse KL is KL(q || p) = sum q log(q / p), q the model's histogram; "
                                   "KL(p || q) is infinite as soon as one mode is empty."),
        "bits": (lambda x, c, s: metrics.reverse_kl(x, c, s) / np.log(2),
                 "use the natural logarithm (nats), not log2."),
    }
    return run_check("reverse_kl", fn, lambda x, c, s: metrics.reverse_kl(x, c, s), _mode_cases,
                     "q_i = (high-quality samples nearest to mode i) / (all high-quality samples); "
                     "KL = sum over modes with q_i > 0 of q_i log(q_i k); return math.inf when no "
                     "sample is high quality.", known_wrong=wrong,
                     answers=[metrics.reverse_kl, metrics.mode_histogram, metrics.mode_metrics])


def check_pack_samples(fn: Callable) -> Result:
    """Check fn(x (B * pack, d), pack) -> packed batch (B, pack * d), consecutive rows together."""
    def cases() -> list[tuple]:
        g = torch.Generator().manual_seed(708)
        return [(torch.randn(12, 2, generator=g), 2), (torch.randn(12, 2, generator=g), 3),
                (torch.randn(8, 3, generator=g), 4), (torch.randn(5, 2, generator=g), 1)]

    wrong = {
        "strided": (lambda x, p: torch.cat(x.chunk(p, dim=0), dim=1),
                    "pack CONSECUTIVE rows: packed row i holds rows i*pack, ..., i*pack + pack - 1 "
                    "(rows i and i + B would also be a valid packing, but then real and fake batches "
                    "must be packed the same way: follow the convention)."),
        "not flattened": (lambda x, p: x.reshape(-1, p, x.shape[1]),
                          "the discriminator takes a matrix: flatten each pack to pack * d numbers."),
        "transposed": (lambda x, p: x.reshape(-1, p, x.shape[1]).transpose(1, 2).reshape(-1, p * x.shape[1]),
                       "keep each sample's coordinates together: [x_1, y_1, x_2, y_2], not [x_1, x_2, y_1, y_2]."),
    }
    return run_check("pack_samples", fn, models.pack_samples, cases,
                     "(B * pack, d) -> (B, pack * d): a reshape does it.", known_wrong=wrong)
