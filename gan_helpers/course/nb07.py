"""Notebook 07 (mode collapse): the experiment's runner (from nb07_experiment), the measures of
collapse over training, and the exercise checkers (references: gh.metrics, gh.models.pack_samples and
gh.models.MinibatchStd).
"""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

from .. import data, metrics, models
from ..checks.core import Result, run_check
from ..widgets import Answer
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
           "check_minibatch_stddev", "check_mode_coverage", "check_pack_samples",
           "check_reverse_kl", "collapsed_share", "mixtures",
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


def _mbstd_cases() -> list[tuple]:
    """Seeded float64 batches (B, d): features of different scales, identical rows (std 0), B = 2, d = 1,
    and a nearly collapsed batch (one sample plus 1e-3 noise)."""
    g = torch.Generator().manual_seed(709)
    f64 = torch.float64
    spread = torch.randn(16, 4, generator=g, dtype=f64) * torch.tensor([1.0, 2.0, 0.5, 3.0], dtype=f64) + 1.0
    same = torch.randn(1, 3, generator=g, dtype=f64).repeat(6, 1)
    near = torch.randn(1, 5, generator=g, dtype=f64) + 1e-3 * torch.randn(8, 5, generator=g, dtype=f64)
    return [(spread,), (same,), (torch.randn(2, 1, generator=g, dtype=f64),), (near,)]


def _mbstd_outcome(fn: Callable) -> Callable:
    """Wrap fn(x (B, d)) -> (its output, gradient of the output's sum of squares w.r.t. x); a NaN or
    infinite gradient entry becomes +inf, so that every such gradient compares equal."""
    def run(x):
        x = x.clone().requires_grad_(True)
        out = fn(x)
        if not isinstance(out, torch.Tensor):
            raise TypeError(f"return a torch tensor of shape (B, d + 1), got {type(out).__name__}")
        grad = None
        if out.requires_grad:
            (grad,) = torch.autograd.grad((out**2).sum(), x, allow_unused=True)
        grad = torch.zeros_like(x) if grad is None else grad
        return out.detach(), torch.where(torch.isfinite(grad), grad, torch.full_like(grad, math.inf))
    return run


def check_minibatch_stddev(fn: Callable) -> Result:
    """Check fn(x (B, d)) -> (B, d + 1): x with the batch's mean feature std appended to every sample."""
    def append(x, s):
        s = torch.as_tensor(s, dtype=x.dtype)  # one number for the batch, or one per sample (B,)
        return torch.cat([x, s.reshape(-1, 1).expand(len(x), 1) if s.numel() == 1 else s.reshape(-1, 1)], dim=1)

    def per_feature(x, correction=0, eps=1e-8, inside=True):
        v = x.var(dim=0, correction=correction)
        return torch.sqrt(v + eps) if inside else torch.sqrt(v) + eps

    eps_hint = ("a fully collapsed batch (identical rows) has standard deviation 0, and the square root has an "
                "infinite slope at 0: your value or gradient is wrong there. Take sqrt(variance + 1e-8), the "
                "1e-8 inside the square root.")
    wrong = {
        "unbiased": (lambda x: append(x, per_feature(x, correction=1).mean()),
                     "use the population standard deviation over the batch (divide by B: correction=0)."),
        "over features": (lambda x: append(x, torch.sqrt(x.var(dim=1, correction=0) + 1e-8)),
                          "each feature's standard deviation is taken over the BATCH (dim 0), not over a "
                          "sample's own features."),
        "over features, then batch": (lambda x: append(x, torch.sqrt(x.var(dim=1, correction=0) + 1e-8).mean()),
                                      "each feature's standard deviation is taken over the BATCH (dim 0), not "
                                      "over a sample's own features."),
        "all entries": (lambda x: append(x, torch.sqrt(x.var(correction=0) + 1e-8)),
                        "one standard deviation PER FEATURE, then their mean: the std of all B * d entries "
                        "also counts the differences between the features' means."),
        "mean variance": (lambda x: append(x, torch.sqrt(x.var(dim=0, correction=0).mean() + 1e-8)),
                          "average the d standard deviations, not the variances."),
        "no averaging": (lambda x: torch.cat([x, per_feature(x).expand_as(x)], dim=1),
                         "average the d standard deviations into ONE number: the output has d + 1 columns."),
        "no eps": (lambda x: append(x, per_feature(x, eps=0.0).mean()), eps_hint),
        "no eps (std)": (lambda x: append(x, x.std(dim=0, correction=0).mean()), eps_hint),
        "eps outside": (lambda x: append(x, per_feature(x, inside=False).mean()), eps_hint),
        "eps outside (std)": (lambda x: append(x, x.std(dim=0, correction=0).mean() + 1e-8), eps_hint),
        "detached": (lambda x: append(x, per_feature(x).mean().item()),
                     "keep the appended value differentiable (no .item(), numpy or .detach()): the "
                     "discriminator's gradient must flow through it to the generator."),
    }
    return run_check("minibatch_stddev", _mbstd_outcome(fn), _mbstd_outcome(models.MinibatchStd()),
                     _mbstd_cases, "for each feature j, s_j = sqrt(population variance of column j over the "
                     "batch + 1e-8); append the mean of the s_j to every sample: (B, d) -> (B, d + 1).",
                     known_wrong={k: (_mbstd_outcome(f), h) for k, (f, h) in wrong.items()},
                     rtol=1e-6, atol=1e-9, submitted=fn, answers=[models.MinibatchStd])


# --- the quiz's answer keys (kept out of the notebook's cells: the student build does not show them) ---

QUIZ = {
    "q1": Answer({0}, [  # A generator puts every sample exactly on 3 of the 8 ring centres, ...
        "Right: all samples are HQ, q = 1/3 on 3 modes, KL = 3 * (1/3) log((1/3) / (1/8)).",
        "HQ measures closeness to the nearest mode, not coverage: every sample is HQ.",
        "Only 3 modes have HQ samples nearest to them.",
        "Empty modes contribute 0 to KL(q || p) (q log q -> 0). It is KL(p || q) that would be infinite."]),
    "q2": Answer({1}, [  # Samples drawn from the true ring itself: what fraction is high ...
        "That is the 1-D rule; in 2-D the squared distance is chi-square with 2 degrees of freedom.",
        "Right: 1 - exp(-9/2).",
        "A Gaussian has tails: some true samples fall outside any disc.",
        ("That is the probability that both coordinates are within 3 std (a square), not the disc PacGAN's code "
         "uses.")]),
    "q3": Answer({1}, [  # Why can a packed discriminator (PacGAN) detect mode collapse that an ...
        "Only the first layer grows; capacity is not the point.",
        ("Right: one sample on a real mode looks real; two samples on the same mode, every time, do not look like "
         "two independent real samples."),
        "That is WGAN; PacGAN keeps the original GAN loss.",
        "PacGAN keeps one discriminator step per generator step."]),
}
