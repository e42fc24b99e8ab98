"""Notebook 06 (WGAN): the exercise checkers.

References: gh.losses.gradient_penalty and gh.losses.critic_loss_wasserstein (the package's own).
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from .. import losses, utils
from ..checks.core import Result, run_check


def _gp_cases() -> list[tuple]:
    """(critic, real, fake, gp_lambda, seed): a 2-D toy batch and a 4-D image-like batch."""
    cases = []
    for seed, shape, lam in ((601, (8, 3), 10.0), (602, (6, 2, 4, 4), 5.0)):
        with utils.seeded(seed):  # building the critic must not move the global RNG
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
                     "gp_lambda * mean((norm - 1)^2).", known_wrong=wrong,
                     submitted=fn, answers=[losses.gradient_penalty])


def _score_cases() -> list[tuple]:
    """(real_scores (B, 1), fake_scores (B, 1)) with scores well outside [-1, 1]."""
    g = torch.Generator().manual_seed(603)
    return [(3 * torch.randn(16, 1, generator=g) + 1.5, 3 * torch.randn(16, 1, generator=g) - 2.0),
            (torch.randn(7, 1, generator=g), torch.randn(7, 1, generator=g) + 0.5)]


def check_critic_loss(fn: Callable) -> Result:
    """Check fn(real_scores (B, 1), fake_scores (B, 1)) -> the WGAN critic loss to MINIMISE (scalar)."""
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
