"""The discriminator (critic) update, shared by Trainer.step and fit_critic (a critic trained alone)."""
from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import torch
from torch import nn

from .. import losses
from .config import OBJECTIVES, OPTIMIZERS, TrainConfig
from .sampling import as_sampler


class CriticStep(NamedTuple):
    """What one critic_step computed: D's outputs on the batches, its loss, the penalty and grad norm."""

    real_out: torch.Tensor
    fake_out: torch.Tensor
    loss: torch.Tensor  # the discriminator/critic loss, without the penalty
    gp: torch.Tensor  # the gradient penalty (0 when there is none)
    grad_norm: torch.Tensor | None  # total L2 norm of D's gradients (None unless asked for)


def grad_norm(params: list[nn.Parameter]) -> torch.Tensor:
    """Total L2 norm of the parameters' gradients (NaN when none has one)."""
    grads = [p.grad.detach().flatten() for p in params if p.grad is not None]
    return torch.linalg.vector_norm(torch.cat(grads)) if grads else torch.tensor(float("nan"))


def critic_step(D: nn.Module, opt: torch.optim.Optimizer, loss_fn: Callable, real: torch.Tensor,
                fake: torch.Tensor, clip: float | None = None, gp_lambda: float | None = None,
                generator: torch.Generator | None = None, batch_dims: int = 1, scale: float = 1.0,
                log_grad_norm: bool = False) -> CriticStep:
    """One update of D on a real and a (detached) fake batch: loss (+ gradient penalty when gp_lambda
    is given), backward of scale * total, optimizer step, then weight clipping into [-clip, clip]."""
    real_out, fake_out = D(real), D(fake)
    loss = loss_fn(real_out, fake_out)
    gp = (losses.gradient_penalty(D, real, fake, gp_lambda, generator, batch_dims=batch_dims)
          if gp_lambda is not None else torch.zeros((), device=real.device))
    opt.zero_grad(set_to_none=True)
    (scale * (loss + gp)).backward()
    norm = grad_norm(list(D.parameters())) if log_grad_norm else None
    opt.step()
    if clip is not None:
        losses.clip_weights_(D, clip)
    return CriticStep(real_out, fake_out, loss, gp, norm)


def fit_critic(D: nn.Module, sample_p: Callable[..., torch.Tensor], sample_q: Callable[..., torch.Tensor],
               config: TrainConfig | None = None, steps: int = 500,
               generator: torch.Generator | None = None) -> list[float]:
    """Train D alone to tell P (real, sample_p(n) -> (n, ...)) from a FIXED Q (sample_q); return its loss per step.

    No generator: the discriminator/critic half of Trainer.step (critic_step) with config's loss,
    optimizer, lr_d, betas, clipping or gradient penalty and batch_size (default
    TrainConfig.wgan_gp()). Samplers that accept generator= draw from `generator`.
    """
    cfg = config if config is not None else TrainConfig.wgan_gp()
    if not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be an int >= 0, got {steps!r}")
    d_name, _, clip, use_gp = OBJECTIVES[cfg.objective]
    d_loss_fn = losses.get_discriminator_loss(d_name)
    opt = OPTIMIZERS[cfg.optimizer](D.parameters(), cfg.lr_d, cfg.betas)
    device = next(D.parameters()).device
    sample_p, sample_q = as_sampler(sample_p), as_sampler(sample_q)
    out = []
    for _ in range(steps):
        real = sample_p(cfg.batch_size, generator=generator).to(device)
        fake = sample_q(cfg.batch_size, generator=generator).to(device)
        done = critic_step(D, opt, d_loss_fn, real, fake, clip=cfg.clip if clip else None,
                           gp_lambda=cfg.gp_lambda if use_gp else None, generator=generator)
        out.append((done.loss + done.gp).detach())
    return torch.stack(out).cpu().tolist() if out else []
