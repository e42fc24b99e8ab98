"""Notebook 06 (WGAN): the exercise checkers.

References: gh.losses.gradient_penalty and gh.losses.critic_loss_wasserstein (the package's own);
the clipped critic step and the Lipschitz bound of a clipped MLP are the exercises' answers, needed
by no other notebook, so their references stay private here.
"""
from __future__ import annotations

import copy
import math
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from .. import losses, training, utils
from ..checks.core import Result, run_check
from ..widgets import Answer


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


# --- weight clipping (WGAN, Arjovsky et al. 2017, Algorithm 1) ---------------------------------


def _ref_clipped_critic_step(critic: nn.Module, opt: torch.optim.Optimizer, real: torch.Tensor,
                             fake: torch.Tensor, clip: float) -> float:
    """One WGAN critic update on real (B, ...) and fake (B', ...); returns E f(real) - E f(fake) before it."""
    opt.zero_grad()
    real_scores, fake_scores = critic(real), critic(fake)
    estimate = (real_scores.mean() - fake_scores.mean()).item()
    (fake_scores.mean() - real_scores.mean()).backward()
    opt.step()
    with torch.no_grad():
        for p in critic.parameters():
            p.clamp_(-clip, clip)
    return estimate


def _step_variant(clip_when: str = "after", what: str = "all", sign: float = 1.0, zero_grad: bool = True,
                  estimate_after: bool = False) -> Callable:
    """A critic step with one deliberate mistake (for the checker's targeted hints)."""
    def clamp(critic, clip):
        with torch.no_grad():
            for name, p in critic.named_parameters():
                if what == "all" or name.endswith("weight"):
                    p.clamp_(-clip, clip)

    def fn(critic, opt, real, fake, clip):
        if clip_when == "first":
            clamp(critic, clip)
        if zero_grad:
            opt.zero_grad()
        r, f = critic(real).mean(), critic(fake).mean()
        (sign * (f - r)).backward()
        if clip_when == "before step":
            clamp(critic, clip)
        if clip_when == "gradients":
            nn.utils.clip_grad_value_(critic.parameters(), clip)
        opt.step()
        if clip_when == "after":
            clamp(critic, clip)
        if estimate_after:
            with torch.no_grad():
                return (critic(real).mean() - critic(fake).mean()).item()
        return (r - f).item()
    return fn


def _step_cases() -> list[tuple]:
    """(critic, real, fake, clip, lr, seed): float64 MLP critics, some parameters beyond +-clip."""
    cases = []
    for seed, widths, clip, lr, (n_real, n_fake) in ((611, (2, 16, 1), 0.01, 5e-5, (32, 32)),
                                                      (612, (3, 8, 8, 1), 0.05, 5e-2, (24, 40)),
                                                      (613, (2, 16, 1), 0.01, 5e-5, (16, 48))):
        g = torch.Generator().manual_seed(seed)
        layers: list[nn.Module] = []
        for a, b in zip(widths[:-1], widths[1:]):
            layers += [nn.Linear(a, b, dtype=torch.float64), nn.LeakyReLU(0.2)]
        critic = nn.Sequential(*layers[:-1])
        with torch.no_grad():
            for p in critic.parameters():
                p.copy_(clip * (4 * torch.rand(p.shape, generator=g, dtype=torch.float64) - 2))  # in [-2c, 2c]
        shift = torch.zeros(widths[0], dtype=torch.float64)
        shift[0] = 2.0
        real = torch.randn(n_real, widths[0], generator=g, dtype=torch.float64) + shift
        fake = torch.randn(n_fake, widths[0], generator=g, dtype=torch.float64)
        cases.append((critic, real, fake, clip, lr, seed))
    return cases


def _step_outcome(fn: Callable) -> Callable:
    """Run fn(critic, opt, real, fake, clip) on a copy of the critic, with RMSprop(lr) and stale
    gradients in .grad; return (the value it returned, every parameter after the step, flattened)."""
    def run(critic, real, fake, clip, lr, seed):
        net = copy.deepcopy(critic)
        g = torch.Generator().manual_seed(seed + 1000)
        for p in net.parameters():  # left over from an earlier step: a missing zero_grad() adds them
            p.grad = torch.randn(p.shape, generator=g, dtype=p.dtype)
        opt = torch.optim.RMSprop(net.parameters(), lr=lr)
        value = fn(net, opt, real.clone(), fake.clone(), clip)
        if isinstance(value, torch.Tensor) or not isinstance(value, (int, float)):
            raise TypeError(f"return the estimate as a Python float (use .item()), got {type(value).__name__}")
        return (torch.tensor(float(value), dtype=torch.float64),
                torch.cat([p.detach().flatten() for p in net.parameters()]))
    return run


def check_clipped_critic_step(fn: Callable) -> Result:
    """Check fn(critic, opt, real (B, d), fake (B', d), clip) -> E f(real) - E f(fake) (float), one WGAN update."""
    wrong = {
        "clip first": (_step_outcome(_step_variant(clip_when="first")),
                       "the optimizer step can push parameters out of [-clip, clip]: clamp AFTER opt.step()."),
        "clip before step": (_step_outcome(_step_variant(clip_when="before step")),
                             "the optimizer step can push parameters out of [-clip, clip]: clamp AFTER opt.step()."),
        "weights only": (_step_outcome(_step_variant(what="weights")),
                         "WGAN clamps EVERY parameter of the critic, biases included: critic.parameters()."),
        "sign flipped": (_step_outcome(_step_variant(sign=-1.0)),
                         "the critic MAXIMISES E f(real) - E f(fake); the optimizer minimises the loss, "
                         "so the loss is its negative."),
        "no zero_grad": (_step_outcome(_step_variant(zero_grad=False)),
                         ".grad still holds gradients of an earlier step, and backward() adds to them: "
                         "zero them first (opt.zero_grad())."),
        "gradient clipping": (_step_outcome(_step_variant(clip_when="gradients")),
                              "WGAN clips the critic's WEIGHTS (its parameters), not its gradients: clipping "
                              "gradients does not bound the critic's slope."),
        "estimate after": (_step_outcome(_step_variant(estimate_after=True)),
                           "return the estimate of the critic you were given, computed BEFORE the update "
                           "(from the same scores as the loss)."),
        "loss returned": (lambda *case: (-_step_outcome(_ref_clipped_critic_step)(*case)[0],
                                         _step_outcome(_ref_clipped_critic_step)(*case)[1]),
                          "return the Wasserstein estimate E f(real) - E f(fake), not the loss."),
    }
    return run_check("clipped_critic_step", _step_outcome(fn), _step_outcome(_ref_clipped_critic_step),
                     _step_cases, "zero the gradients; loss = mean f(fake) - mean f(real); backward; opt.step(); "
                     "then clamp every parameter into [-clip, clip] in place (under torch.no_grad()); return "
                     "mean f(real) - mean f(fake) of the scores before the update, as a float.",
                     known_wrong=wrong, rtol=1e-7, atol=1e-10, submitted=fn,
                     allow=[losses.critic_loss_wasserstein],
                     answers=[_ref_clipped_critic_step, losses.clip_weights_, training.critic_step])


# --- the Lipschitz bound of a clipped MLP ------------------------------------------------------


def _ref_clipped_lipschitz_bound(widths, clip: float) -> float:
    """Smallest K with every MLP of layer widths [d_0, ..., d_L], weights in [-clip, clip], K-Lipschitz."""
    return float(math.prod(clip * math.sqrt(a * b) for a, b in zip(widths[:-1], widths[1:])))


def _bound_cases() -> list[tuple]:
    """(widths, clip): the notebook's critic, narrow and wide stacks, a single layer, a 784-input critic."""
    return [([2, 64, 64, 1], 0.01), ([2, 16, 1], 0.01), ([3, 5, 7, 2], 0.1), ([4, 9], 0.5),
            ([784, 512, 256, 1], 0.01), ([1, 3, 1], 2.0)]


def check_clipped_lipschitz_bound(fn: Callable) -> Result:
    """Check fn(widths [d_0, ..., d_L], clip) -> the l2 Lipschitz bound of a weight-clipped MLP (float)."""
    def per_layer(norm: Callable) -> Callable:
        return lambda w, c: float(math.prod(norm(a, b, c) for a, b in zip(w[:-1], w[1:])))
    wider = ("is a valid bound, but not the smallest: which d_out x d_in matrix with entries in [-c, c] has "
             "the largest spectral norm, and what is that norm?")
    wrong = {
        "entry sum": (per_layer(lambda a, b, c: c * a * b), f"c * d_in * d_out per layer {wider}"),
        "row sum": (per_layer(lambda a, b, c: c * a),
                    f"c * d_in per layer (the largest row sum, a bound in the max-norm) {wider}"),
        "d_in only": (per_layer(lambda a, b, c: c * math.sqrt(a)),
                      "the spectral norm of a layer depends on both of its dimensions, d_in AND d_out."),
        "d_out only": (per_layer(lambda a, b, c: c * math.sqrt(b)),
                       "the spectral norm of a layer depends on both of its dimensions, d_in AND d_out."),
        "clip^L": (lambda w, c: float(c ** (len(w) - 1)),
                   "the widths matter: think of a wide layer whose entries all equal c."),
        "sum": (lambda w, c: float(sum(c * math.sqrt(a * b) for a, b in zip(w[:-1], w[1:]))),
                "Lipschitz constants of composed maps multiply; they do not add."),
    }
    return run_check("clipped_lipschitz_bound", fn, _ref_clipped_lipschitz_bound, _bound_cases,
                     "bound each layer's spectral norm by its largest possible value for entries in [-c, c], "
                     "and combine the layers as composed maps.", known_wrong=wrong,
                     answers=[_ref_clipped_lipschitz_bound])


# --- the quiz's answer keys (kept out of the notebook's cells: the student build does not show them) ---

QUIZ = {
    "q1": Answer({1}, [  # How does the original WGAN keep its critic Lipschitz?
        ("No. Some slides say this, but clipping gradients only limits the optimizer's step; it does not bound the "
         "slope of f. WGAN clips weights."),
        "Yes: bounded weights give a K-Lipschitz critic for some K (Arjovsky et al., 2017, Algorithm 1).",
        "No. A critic has no sigmoid: its output is an unbounded score.",
        "That is WGAN-GP (Gulrajani et al., 2017), the successor of WGAN."]),
    "q2": Answer({0, 1}, [  # P_0 = law of (0, Z) and P_theta = law of (theta, Z), Z ~ U[0, 1]. For ...
        "True: the supports are disjoint for any theta != 0, so JS saturates at log 2.",
        "True: every point moves horizontally by |theta|.",
        "False: it separates the segments perfectly for any theta != 0; JS is flat in theta.",
        "False: P_0 puts mass where P_theta has none, so KL is +infinity."]),
    "q3": Answer({0}, [  # A WGAN-GP critic gets a batch of images of shape (B, 1, 28, 28). ...
        "Yes: flatten each sample's gradient, then take its L2 norm.",
        ("No: this classic bug takes norms over the single channel, i.e. |df/dx| per pixel, and pushes the whole "
         "gradient towards norm 28."),
        "No: the penalty asks for norm 1 at every interpolate, so it needs one norm per sample.",
        "No: that mixes different samples."]),
}
