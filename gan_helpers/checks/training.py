"""Checkers for notebooks 05 (GAN, DCGAN), 06 (WGAN) and 07 (mode collapse)."""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from .core import Result, run_check


# --- notebook 05 ---------------------------------------------------------------------------
# (notebook 05's discriminator-loss exercise reuses check_d_loss from notebook 03's section)


def check_g_loss_non_saturating(fn: Callable) -> Result:
    """Check fn(fake_logits (B, 1)) -> -mean log D(G(z)), the non-saturating generator loss of gh.losses."""
    from .. import losses

    def cases() -> list[tuple]:
        g = torch.Generator().manual_seed(501)
        return [(3 * torch.randn(16, 1, generator=g),),
                (torch.tensor([[-150.0], [-3.0], [0.0], [40.0]]),)]  # a confidently rejected fake

    wrong = {
        "minimax": (losses.g_loss_minimax,
                    "that is the saturating cost log(1 - D(G(z))); the non-saturating one uses log D(G(z))."),
        "sign": (lambda l: -losses.g_loss_non_saturating(l),
                 "check the sign: the generator MINIMISES this loss, and wants D(G(z)) close to 1."),
        "maximum-likelihood": (losses.g_loss_maximum_likelihood,
                               "that is the maximum-likelihood cost -D/(1 - D), not -log D."),
        "naive log": (lambda l: -torch.log(torch.sigmoid(l)).mean(),
                      "log(sigmoid(l)) underflows to log(0) = -inf for very negative l: use F.logsigmoid "
                      "or F.softplus(-l)."),
        "sum": (lambda l: torch.nn.functional.softplus(-l).sum(),
                "average over the batch (mean), do not sum."),
    }
    return run_check("g_loss_non_saturating", fn, losses.g_loss_non_saturating, cases,
                     "loss = mean over the batch of -log sigmoid(logit), computed stably.", known_wrong=wrong)


def check_slerp(fn: Callable) -> Result:
    """Check fn(z0 (d,), z1 (d,), t (T,)) -> (T, d) spherical interpolation, as gh.training.slerp."""
    from .. import training

    def cases() -> list[tuple]:
        g = torch.Generator().manual_seed(502)
        t = torch.linspace(0, 1, 7)
        return [(torch.randn(64, generator=g), torch.randn(64, generator=g), t),
                (torch.tensor([1.0, 0.0]), torch.tensor([0.0, 2.0]), torch.tensor([0.0, 0.25, 0.5, 1.0]))]

    wrong = {
        "straight line": (lambda a, b, t: (1 - t[:, None]) * a + t[:, None] * b,
                          "that is linear interpolation; weight z0 and z1 by sin((1 - t) omega) / sin omega "
                          "and sin(t omega) / sin omega."),
        "ends swapped": (lambda a, b, t: training.slerp(b, a, t), "at t = 0 the path must start at z0."),
        "unit vectors": (lambda a, b, t: training.slerp(a / a.norm(), b / b.norm(), t),
                         "do not normalise z0 and z1: only the angle omega uses unit vectors."),
    }
    return run_check("slerp", fn, training.slerp, cases,
                     "omega = arccos(z0 . z1 / (|z0| |z1|)); z(t) = [sin((1 - t) omega) z0 + sin(t omega) z1] "
                     "/ sin omega, one row per t.", known_wrong=wrong, rtol=1e-4, atol=1e-5)

# --- notebook 06 ---------------------------------------------------------------------------
# References: gh.losses.gradient_penalty and gh.losses.critic_loss_wasserstein (the package's own).


def _gp_cases() -> list[tuple]:
    """(critic, real, fake, gp_lambda, seed): a 2-D toy batch and a 4-D image-like batch."""
    from torch import nn

    cases = []
    for seed, shape, lam in ((601, (8, 3), 10.0), (602, (6, 2, 4, 4), 5.0)):
        with torch.random.fork_rng(devices=[]):  # building the critic must not move the global RNG
            torch.manual_seed(seed)
            width = int(np.prod(shape[1:]))
            critic = nn.Sequential(nn.Flatten(), nn.Linear(width, 16), nn.Tanh(), nn.Linear(16, 1))
        g = torch.Generator().manual_seed(seed)
        real, fake = torch.randn(shape, generator=g), 2 + torch.randn(shape, generator=g)
        cases.append((critic, real, fake, lam, seed))
    return cases


def _gp_outcome(fn: Callable) -> Callable:
    """Wrap a penalty fn(critic, real, fake, gp_lambda, generator) -> (value, gradient it sends to the critic)."""
    def run(critic, real, fake, gp_lambda, seed):
        penalty = fn(critic, real.clone(), fake.clone(), gp_lambda, torch.Generator().manual_seed(seed))
        if not isinstance(penalty, torch.Tensor) or penalty.numel() != 1:
            raise ValueError(f"return a scalar tensor, got {type(penalty).__name__} "
                             f"{tuple(getattr(penalty, 'shape', ()))}")
        params = list(critic.parameters())
        if penalty.requires_grad:  # what (critic_loss + penalty).backward() would add to the weights
            grads = torch.autograd.grad(penalty.sum(), params, allow_unused=True)
            grads = [torch.zeros_like(p) if g is None else g for p, g in zip(params, grads)]
        else:
            grads = [torch.zeros_like(p) for p in params]
        return penalty.detach().reshape(()), torch.cat([g.flatten() for g in grads])
    return run


def _gp_variant(norm_dims: str = "flat", create_graph: bool = True, use_lambda: bool = True,
                minus_one: bool = True) -> Callable:
    """A gradient penalty with one deliberate mistake (for the checker's targeted hints)."""
    def fn(critic, real, fake, gp_lambda, generator):
        eps = torch.rand((real.shape[0],) + (1,) * (real.ndim - 1), generator=generator)
        x = (eps * real + (1 - eps) * fake).requires_grad_(True)
        (grad,) = torch.autograd.grad(critic(x).sum(), x, create_graph=create_graph)
        norms = grad.flatten(1).norm(2, dim=1) if norm_dims == "flat" else grad.norm(2, dim=1)
        pen = ((norms - 1) ** 2 if minus_one else norms**2).mean()
        return (gp_lambda if use_lambda else 1.0) * pen
    return fn


def check_gradient_penalty(fn: Callable) -> Result:
    """Check fn(critic, real, fake, gp_lambda, generator) -> scalar WGAN-GP penalty (B, ...) batches."""
    from .. import losses

    wrong = {
        "norm over dim=1": (_gp_outcome(_gp_variant(norm_dims="dim1")),
                            "for images the gradient has shape (B, C, H, W): .norm(dim=1) takes norms over "
                            "channels only. Flatten each sample first: grad.flatten(1).norm(2, dim=1)."),
        "no create_graph": (_gp_outcome(_gp_variant(create_graph=False)),
                            "the value is right but no gradient reaches the critic's weights: pass "
                            "create_graph=True to torch.autograd.grad."),
        "no lambda": (_gp_outcome(_gp_variant(use_lambda=False)), "multiply by gp_lambda."),
        "no -1": (_gp_outcome(_gp_variant(minus_one=False)),
                  "the penalty pushes the gradient norm towards 1: (||grad|| - 1)^2, not ||grad||^2."),
    }
    return run_check("gradient_penalty", _gp_outcome(fn), _gp_outcome(losses.gradient_penalty), _gp_cases,
                     "draw ONE eps per sample with torch.rand(B, 1, ..., generator=generator), "
                     "interpolate x_hat = eps * real + (1 - eps) * fake, take the gradient of "
                     "critic(x_hat).sum() w.r.t. x_hat, one L2 norm per sample, then "
                     "gp_lambda * mean((norm - 1)^2).", known_wrong=wrong)


def _score_cases() -> list[tuple]:
    """(real_scores (B, 1), fake_scores (B, 1)) with scores well outside [-1, 1]."""
    g = torch.Generator().manual_seed(603)
    return [(3 * torch.randn(16, 1, generator=g) + 1.5, 3 * torch.randn(16, 1, generator=g) - 2.0),
            (torch.randn(7, 1, generator=g), torch.randn(7, 1, generator=g) + 0.5)]


def check_critic_loss(fn: Callable) -> Result:
    """Check fn(real_scores (B, 1), fake_scores (B, 1)) -> the WGAN critic loss to MINIMISE (scalar)."""
    from .. import losses

    relu = torch.nn.functional.relu
    wrong = {
        "sign flipped": (lambda r, f: r.mean() - f.mean(),
                         "that is the quantity the critic MAXIMISES; an optimizer minimises, so return "
                         "its negative."),
        "hinge": (lambda r, f: relu(1 - r).mean() + relu(1 + f).mean(),
                  "that is the hinge loss (SNGAN / geometric GAN), not the Wasserstein critic loss: no "
                  "margins, no relu."),
        "bce": (losses.d_loss_bce, "a critic has no sigmoid and no logarithms: use the raw scores."),
    }
    return run_check("critic_loss", fn, losses.critic_loss_wasserstein, _score_cases,
                     "the critic maximises mean f(real) - mean f(fake); the loss to minimise is "
                     "mean f(fake) - mean f(real).", known_wrong=wrong)


# --- notebook 07 ---------------------------------------------------------------------------


def _mode_cases_07() -> list[tuple]:
    """Seeded (samples (n, 2), centers (k, 2), std) of a partly collapsed generator on ring8 / grid25.

    Each case mixes sharp samples on a few modes, blurred ones (2.5 std: some in, some out of the
    3-std disc), junk far from every mode, and points 5 std from modes that nothing else visits.
    """
    from ..data import grid25, ring8

    g = torch.Generator().manual_seed(707)
    cases = []
    for mix, used, far in ((ring8(), [0, 1, 5], [3]), (grid25(), [0, 6, 12, 13, 24], [2, 20])):
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
    return cases + [(far_only, ring8().centers.double(), ring8().std)]


def _ref_coverage(samples, centers, std) -> tuple[int, float]:
    from .. import metrics

    return (metrics.modes_covered(samples, centers, std),
            metrics.high_quality_percent(samples, centers, std))


def check_mode_coverage(fn: Callable) -> Result:
    """Check fn(samples (n, 2), centers (k, 2), std) -> (modes covered: int, % high quality: float)."""
    from .. import metrics

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
    return run_check("mode_coverage", fn, _ref_coverage, _mode_cases_07,
                     "nearest mode by Euclidean distance; high quality if that distance < 3 * std; "
                     "covered = modes nearest to at least one high-quality sample.", known_wrong=wrong)


def check_reverse_kl(fn: Callable) -> Result:
    """Check fn(samples (n, 2), centers (k, 2), std) -> KL(q || uniform) of the high-quality mode histogram."""
    from .. import metrics

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
    return run_check("reverse_kl", fn, lambda x, c, s: metrics.reverse_kl(x, c, s), _mode_cases_07,
                     "q_i = (high-quality samples nearest to mode i) / (all high-quality samples); "
                     "KL = sum over modes with q_i > 0 of q_i log(q_i k); return math.inf when no "
                     "sample is high quality.", known_wrong=wrong)


def check_pack_samples(fn: Callable) -> Result:
    """Check fn(x (B * pack, d), pack) -> packed batch (B, pack * d), consecutive rows together."""
    from ..models import pack_samples

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
    return run_check("pack_samples", fn, pack_samples, cases,
                     "(B * pack, d) -> (B, pack * d): a reshape does it.", known_wrong=wrong)
