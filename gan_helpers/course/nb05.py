"""Notebook 05 (vanilla GAN, DCGAN): the exercise checkers.

The discriminator-loss exercise reuses notebook 03's checker (check_d_loss, re-exported here).
References: gh.losses.g_loss_non_saturating and gh.training.slerp (the package's own).
"""
from __future__ import annotations

from collections.abc import Callable

import torch

from .. import losses, training
from ..checks.core import Result, run_check
from .nb03 import check_d_loss

__all__ = ["check_d_loss", "check_g_loss_non_saturating", "check_slerp"]


def check_g_loss_non_saturating(fn: Callable) -> Result:
    """Check fn(fake_logits (B, 1)) -> -mean log D(G(z)), the non-saturating generator loss of gh.losses."""
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
                     "loss = mean over the batch of -log sigmoid(logit), computed stably.", known_wrong=wrong,
                     answers=[losses.get_generator_loss])


def check_slerp(fn: Callable) -> Result:
    """Check fn(z0 (d,), z1 (d,), t (T,)) -> (T, d) spherical interpolation, as gh.training.slerp."""
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
