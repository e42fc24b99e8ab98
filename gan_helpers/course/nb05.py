"""Notebook 05 (vanilla GAN, DCGAN): the exercise checkers and the stored recipe study.

References: gh.losses.g_loss_non_saturating and gh.training.slerp (the package's own). One iteration
of Algorithm 1 (train_step) and the label-smoothed discriminator loss are this notebook's answers
only, so they stay private here.
"""
from __future__ import annotations

import copy
import json
from collections.abc import Callable
from importlib import resources
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .. import losses, training
from ..checks.core import Result, run_check
from ..widgets import Answer

__all__ = ["check_d_loss_smoothed", "check_g_loss_non_saturating", "check_slerp", "check_train_step", "recipe_study"]


# --- Exercise 1: one iteration of Algorithm 1 ----------------------------------------------------


def _ref_train_step(G: nn.Module, D: nn.Module, opt_g: torch.optim.Optimizer, opt_d: torch.optim.Optimizer,
                    x: torch.Tensor, z: torch.Tensor) -> tuple[float, float]:
    """One iteration of Algorithm 1 on logits: a D step on x (B, d) and G(z).detach(), then a G step
    (non-saturating loss, the same z (B', k), through the updated D); returns (d_loss, g_loss)."""
    d_loss = F.softplus(-D(x)).mean() + F.softplus(D(G(z).detach())).mean()
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
    g_loss = F.softplus(-D(G(z))).mean()
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    return d_loss.item(), g_loss.item()


def _wrong_train_step(G, D, opt_g, opt_d, x, z, *, stale_d=False, g_first=False, detach=True, zero_g=True,
                      zero_g_early=False, zero_d=True, flip_labels=False, one_mean=False,
                      g_cost="non-saturating") -> tuple[float, float]:
    """Algorithm 1 with one of the plausible mistakes switched on (the checker's known wrongs)."""
    def d_step() -> torch.Tensor:
        real_l, fake_l = D(x), D(G(z).detach() if detach else G(z))
        if one_mean:  # one BCE over the concatenated batch
            loss = F.binary_cross_entropy_with_logits(torch.cat([real_l, fake_l]), torch.cat(
                [torch.ones_like(real_l), torch.zeros_like(fake_l)]))
        else:  # flip_labels: real -> 0, fake -> 1
            sign = -1.0 if flip_labels else 1.0
            loss = F.softplus(-sign * real_l).mean() + F.softplus(sign * fake_l).mean()
        for opt, zero in ((opt_d, zero_d), (opt_g, zero_g_early)):
            if zero:
                opt.zero_grad()
        loss.backward()
        opt_d.step()
        return loss

    def g_step(D_used: nn.Module) -> torch.Tensor:
        logits = D_used(G(z))
        loss = {"non-saturating": F.softplus(-logits).mean(), "flipped": -F.softplus(-logits).mean(),
                "minimax": -F.softplus(logits).mean()}[g_cost]
        if zero_g:
            opt_g.zero_grad()
        loss.backward()
        opt_g.step()
        return loss

    if g_first:
        g_loss = g_step(D)
        d_loss = d_step()
    else:
        D_before = copy.deepcopy(D) if stale_d else D
        d_loss = d_step()
        g_loss = g_step(D_before)
    return d_loss.item(), g_loss.item()


def _models(seed: int) -> tuple[nn.Module, nn.Module, torch.Tensor, torch.Tensor]:
    """Small float64 MLPs G (2 -> 2) and D (2 -> 1 logit), and batches x (12, 2), z (20, 2), from seed."""
    g = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):  # building the layers leaves the notebook's global RNG alone
        G = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2)).double()
        D = nn.Sequential(nn.Linear(2, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1)).double()
    with torch.no_grad():  # the weights from the case's own seed
        for p in [*G.parameters(), *D.parameters()]:
            p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64) * 0.7)
    x = 1.5 + 0.5 * torch.randn(12, 2, generator=g, dtype=torch.float64)
    return G, D, x, torch.randn(20, 2, generator=g, dtype=torch.float64)


def _run_step(fn: Callable, G0: nn.Module, D0: nn.Module, x: torch.Tensor, z: torch.Tensor,
              optimizer: str, seed: int) -> tuple[Any, ...]:
    """fn(G, D, opt_g, opt_d, x, z) on fresh copies, with junk in every .grad; -> (G and D params, d, g)."""
    G, D = copy.deepcopy(G0), copy.deepcopy(D0)
    g = torch.Generator().manual_seed(seed)
    for p in [*G.parameters(), *D.parameters()]:
        p.grad = torch.randn(p.shape, generator=g, dtype=p.dtype)  # a missing zero_grad shows
    if optimizer == "sgd":
        opt_g, opt_d = torch.optim.SGD(G.parameters(), lr=0.1), torch.optim.SGD(D.parameters(), lr=0.1)
    else:
        opt_g = torch.optim.Adam(G.parameters(), lr=0.01, betas=(0.5, 0.999))
        opt_d = torch.optim.Adam(D.parameters(), lr=0.01, betas=(0.5, 0.999))
    try:
        out = fn(G, D, opt_g, opt_d, x.clone(), z.clone())
    except RuntimeError as err:
        if "inplace operation" not in str(err):
            raise
        raise RuntimeError("a backward went through weights that an optimizer step had already changed "
                           "(G's step uses D after its update: compute G's loss after opt_d.step())") from None
    params = torch.cat([p.detach().flatten() for p in [*G.parameters(), *D.parameters()]])
    try:
        d_loss, g_loss = (float(v.detach() if isinstance(v, torch.Tensor) else v) for v in out)
    except (TypeError, ValueError, RuntimeError):
        return params, out
    return params, d_loss, g_loss


def check_train_step(fn: Callable) -> Result:
    """Check fn(G, D, opt_g, opt_d, x (B, 2), z (B', 2)) -> (d_loss, g_loss): one iteration of Algorithm 1."""
    def cases() -> list[tuple]:
        return [(*_models(seed), opt, seed) for seed, opt in ((511, "sgd"), (512, "sgd"), (513, "adam"))]

    def wrong(**flags: Any) -> Callable:
        return lambda *c: _run_step(lambda *a: _wrong_train_step(*a, **flags), *c)

    no_detach = ("G's parameters picked up gradients from D's loss: detach the fakes in D's step, "
                 "or zero G's gradients right before G's backward.")
    known = {
        "stale D": (wrong(stale_d=True), "G's step uses D after its update: compute the fakes' logits for "
                    "G's loss after opt_d.step()."),
        "G first": (wrong(g_first=True), "Algorithm 1 updates D first, then G."),
        "no detach, no G zero_grad": (wrong(detach=False, zero_g=False), no_detach),
        "no detach, G zeroed too early": (wrong(detach=False, zero_g=False, zero_g_early=True), no_detach),
        "no G zero_grad": (wrong(zero_g=False), "zero G's gradients before G's backward: .grad accumulates "
                           "(here it held old values)."),
        "no D zero_grad": (wrong(zero_d=False), "zero D's gradients before D's backward: .grad accumulates "
                           "(here it held old values)."),
        "G loss sign": (wrong(g_cost="flipped"), "check the sign of G's loss: G wants D(G(z)) close to 1, "
                        "so it minimises -log D(G(z))."),
        "minimax G loss": (wrong(g_cost="minimax"), "that is the minimax (saturating) generator loss "
                           "log(1 - D(G(z))); use the non-saturating one."),
        "D labels flipped": (wrong(flip_labels=True), "real samples have label 1 and fakes label 0 in D's loss."),
        "one mean": (wrong(one_mean=True), "D's loss is the mean over the real batch PLUS the mean over the "
                     "fake batch (one mean over both weights them by batch size)."),
        "losses swapped": (lambda *c: (lambda r: (r[0], r[2], r[1]))(_run_step(_ref_train_step, *c)),
                           "return (d_loss, g_loss), in that order."),
    }
    return run_check("train_step", lambda *c: _run_step(fn, *c), lambda *c: _run_step(_ref_train_step, *c),
                     cases, "a D step on x and the detached G(z), then a G step on the same z through the "
                     "updated D, zeroing gradients before each backward; return the two losses as floats "
                     "(loss.item()).", known_wrong=known, rtol=1e-7, atol=1e-10, submitted=fn,
                     allow=[losses.d_loss_bce, losses.g_loss_non_saturating],
                     answers=[_ref_train_step, training.critic_step])


# --- Exercises 2 and 3 ---------------------------------------------------------------------------


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


# --- Exercise 4: one-sided label smoothing -------------------------------------------------------


def _ref_d_loss_smoothed(real_logits: torch.Tensor, fake_logits: torch.Tensor, smooth: float = 0.9) -> torch.Tensor:
    """D's BCE on logits (B, 1), (B', 1) with real targets `smooth`, fake targets 0 (Salimans et al. 2016)."""
    real = smooth * F.softplus(-real_logits) + (1 - smooth) * F.softplus(real_logits)
    return real.mean() + F.softplus(fake_logits).mean()


def check_d_loss_smoothed(fn: Callable) -> Result:
    """Check fn(real_logits (B, 1), fake_logits (B', 1), smooth) -> one-sided label-smoothed D loss (scalar)."""
    def cases() -> list[tuple]:
        g = torch.Generator().manual_seed(503)
        return [(3 * torch.randn(10, 1, generator=g), 3 * torch.randn(14, 1, generator=g), 0.9),
                (torch.tensor([[150.0], [-150.0], [2.0]]), torch.tensor([[150.0], [-150.0], [0.5], [-1.0]]), 0.9),
                (2 * torch.randn(8, 1, generator=g), 2 * torch.randn(5, 1, generator=g), 0.8),
                (torch.randn(6, 1, generator=g), torch.randn(9, 1, generator=g)),          # the default smooth
                (torch.randn(7, 1, generator=g), torch.randn(4, 1, generator=g), 1.0)]     # no smoothing

    def bce(logits: torch.Tensor, target: float) -> torch.Tensor:
        return target * F.softplus(-logits) + (1 - target) * F.softplus(logits)

    def naive(r, f, s=0.9):
        sig_r, sig_f = torch.sigmoid(r), torch.sigmoid(f)
        return (-(s * torch.log(sig_r) + (1 - s) * torch.log(1 - sig_r))).mean() - torch.log(1 - sig_f).mean()

    def one_mean(r, f, s=0.9):
        return torch.cat([bce(r, s), bce(f, 0.0)]).mean()

    wrong = {
        "two-sided": (lambda r, f, s=0.9: bce(r, s).mean() + bce(f, 1 - s).mean(),
                      "one-sided: only the REAL targets are smoothed; the fakes keep target 0."),
        "1 - smooth": (lambda r, f, s=0.9: bce(r, 1 - s).mean() + bce(f, 0.0).mean(),
                       "the real samples' target is `smooth` (e.g. 0.9), not 1 - smooth."),
        "not smoothed": (lambda r, f, s=0.9: bce(r, 1.0).mean() + bce(f, 0.0).mean(),
                         "the real samples' target is `smooth`, not 1: the real term has two parts."),
        "fixed 0.9": (lambda r, f, s=0.9: bce(r, 0.9).mean() + bce(f, 0.0).mean(),
                      "use the argument `smooth`, not a fixed 0.9."),
        "naive logs": (naive, "log(sigmoid(l)) and log(1 - sigmoid(l)) overflow for large |l|: write both "
                       "with F.softplus (or F.logsigmoid)."),
        "one mean": (one_mean, "take the mean over real and the mean over fake separately, then ADD them."),
    }
    return run_check("d_loss_smoothed", fn, _ref_d_loss_smoothed, cases,
                     "BCE with target `smooth` on each real logit and target 0 on each fake logit, on logits "
                     "(softplus), as the sum of the real mean and the fake mean.", known_wrong=wrong,
                     answers=[losses.d_loss_bce])


# --- the quiz's answer keys (kept out of the notebook's cells: the student build does not show them) ---

def recipe_study() -> dict:
    """The stored study behind TrainConfig.dcgan_mnist (python -m benchmarks.recipe): ladder, medians, runs."""
    return json.loads(resources.files(__package__).joinpath("nb05_recipe_study.json").read_text(encoding="utf-8"))


QUIZ = {
    "q1": Answer({0}, [  # At the end of the 1-D run the discriminator loss ...
        "Each of the two BCE terms is -log(1/2) = log 2, and the loss is their sum: 2 log 2.",
        "0.5 is the equilibrium OUTPUT D(x), not the loss; the lecture code's summed loss sits at 2 log 2.",
        "A confident, correct D has a loss near 0.",
        "A collapsed generator is easy to spot for D, whose loss would then fall below 2 log 2."]),
    "q2": Answer({0}, [  # Why train G with -log D(G(z)) instead of the minimax log(1 - D(G(z)))?
        "d/dlogit is -(1 - D) instead of -D: near D(G(z)) = 0 that is about -1 instead of about 0.",
        "Both losses are smallest when D(G(z)) is large; the fixed point p_g = p_data is the same.",
        "The losses still pull against each other, as Part 1 showed.",
        "The generator's loss is computed through D: there is no GAN without it."]),
    "q3": Answer({0, 1, 3}, [  # Which of these are DCGAN guidelines?
        "The networks learn their own down- and up-sampling.",
        "Batch norm on those two layers made samples oscillate and training unstable.",
        "G ends with tanh, and images are scaled to [-1, 1].",
        "LeakyReLU(0.2), so D passes gradient for negative inputs too.",
        "DCGAN removes pooling layers."]),
}
