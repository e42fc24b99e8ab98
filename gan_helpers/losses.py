"""GAN losses as plain functions on logits (or critic scores), chosen by name from one table.

Notation: a logit l gives D = sigmoid(l), so log D = logsigmoid(l) = -softplus(-l) and
log(1 - D) = logsigmoid(-l) = -softplus(l). These forms never take the log of a rounded 0.
Every loss is a scalar to be MINIMISED by the player it belongs to.
"""
from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn


def _check_logits(**tensors: torch.Tensor) -> None:
    for name, t in tensors.items():
        if not isinstance(t, torch.Tensor) or t.numel() == 0:
            raise ValueError(f"{name} must be a non-empty tensor of logits, e.g. shape (B, 1)")


# --------------------------------------------------------------------------- discriminator


def d_loss_bce(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Discriminator BCE: mean(-log D(x)) + mean(-log(1 - D(G(z)))); logits (B, 1) -> scalar.

    It is the SUM of the two means (real labelled 1, fake labelled 0), i.e. -V(D, G) of Goodfellow
    et al. 2014. When D cannot tell real from fake (D = 1/2) it equals 2 log 2 = 1.386; the mean over
    the concatenated batch (what nn.BCEWithLogitsLoss on torch.cat gives) would be half: log 2.
    """
    _check_logits(real_logits=real_logits, fake_logits=fake_logits)
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def d_loss_hinge(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Hinge discriminator loss (Lim and Ye 2017; Miyato et al. 2018): mean relu(1 - D(x)) + mean relu(1 + D(G(z))).

    Logits (B, 1) -> scalar. D is only pushed until a real logit exceeds +1 and a fake one is below -1.
    """
    _check_logits(real_logits=real_logits, fake_logits=fake_logits)
    return F.relu(1.0 - real_logits).mean() + F.relu(1.0 + fake_logits).mean()


def critic_loss_wasserstein(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """WGAN critic loss: mean f(G(z)) - mean f(x) (scores (B, 1) -> scalar); minimising it raises real scores."""
    _check_logits(real_scores=real_scores, fake_scores=fake_scores)
    return fake_scores.mean() - real_scores.mean()


# --------------------------------------------------------------------------- generator


def g_loss_minimax(fake_logits: torch.Tensor) -> torch.Tensor:
    """Saturating (minimax) generator loss: mean log(1 - D(G(z))) = -mean softplus(l); (B, 1) -> scalar.

    Its gradient vanishes when D confidently rejects the fakes (D(G(z)) -> 0).
    """
    _check_logits(fake_logits=fake_logits)
    return F.logsigmoid(-fake_logits).mean()


def g_loss_non_saturating(fake_logits: torch.Tensor) -> torch.Tensor:
    """Non-saturating generator loss: -mean log D(G(z)) = mean softplus(-l); (B, 1) -> scalar."""
    _check_logits(fake_logits=fake_logits)
    return F.softplus(-fake_logits).mean()


def g_loss_maximum_likelihood(fake_logits: torch.Tensor) -> torch.Tensor:
    """Maximum-likelihood generator cost: -mean D/(1 - D) = -mean exp(l); (B, 1) -> scalar.

    Goodfellow 2016 (NIPS tutorial, eq. 8) writes -1/2 E exp(sigmoid^-1(D(G(z)))); like the other
    losses here we drop the tutorial's common factor 1/2. With the optimal D, its expected gradient
    equals that of KL(p_data || p_g) (the maximum-likelihood direction).
    """
    _check_logits(fake_logits=fake_logits)
    return -torch.exp(fake_logits).mean()


def g_loss_wasserstein(fake_scores: torch.Tensor) -> torch.Tensor:
    """WGAN generator loss: -mean f(G(z)); scores (B, 1) -> scalar."""
    _check_logits(fake_scores=fake_scores)
    return -fake_scores.mean()


# --------------------------------------------------------------------------- Lipschitz constraints


def gradient_penalty(critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor,
                     fake: torch.Tensor, gp_lambda: float = 10.0,
                     generator: torch.Generator | None = None, batch_dims: int = 1) -> torch.Tensor:
    """WGAN-GP penalty lambda * mean_i (||grad_x f(x_i)|| - 1)^2 at random interpolates; (B, ...) -> scalar.

    x_i = eps_i real_i + (1 - eps_i) fake_i with one eps_i ~ U[0, 1] per sample. Each sample's
    gradient is FLATTENED, so the norm runs over all non-batch dims (works for (B, 2) and
    (B, 1, 28, 28)). batch_dims=2 treats (E, B, ...) inputs of an ensemble critic as E * B samples.
    create_graph=True so the penalty itself can be differentiated.
    """
    if batch_dims not in (1, 2):
        raise ValueError(f"batch_dims must be 1 (B, ...) or 2 (E, B, ...), got {batch_dims!r}")
    if real.shape != fake.shape or real.ndim < batch_dims + 1:
        raise ValueError(f"real and fake must have the same shape {'(B, ...)' if batch_dims == 1 else '(E, B, ...)'}, "
                         f"got {tuple(real.shape)} and {tuple(fake.shape)}")
    if gp_lambda < 0:
        raise ValueError(f"gp_lambda must be >= 0, got {gp_lambda}")
    shape = tuple(real.shape[:batch_dims]) + (1,) * (real.ndim - batch_dims)
    gen_device = generator.device if generator is not None else real.device
    eps = torch.rand(shape, generator=generator, device=gen_device).to(real.device, real.dtype)
    x = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)
    scores = critic(x)
    (grad,) = torch.autograd.grad(scores.sum(), x, create_graph=True)
    norms = grad.flatten(batch_dims).norm(2, dim=-1)  # one norm per sample, over all non-batch dims
    return gp_lambda * ((norms - 1) ** 2).mean()


@torch.no_grad()
def clip_weights_(module: nn.Module, c: float) -> nn.Module:
    """WGAN weight clipping: clamp every parameter of module into [-c, c] in place; returns module."""
    if not c > 0:
        raise ValueError(f"clip value c must be > 0, got {c}")
    for p in module.parameters():
        p.clamp_(-c, c)
    return module


# --------------------------------------------------------------------------- tables

GENERATOR_LOSSES: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "minimax": g_loss_minimax,  # saturating: mean log(1 - D(G(z)))
    "non-saturating": g_loss_non_saturating,  # -mean log D(G(z))
    "maximum-likelihood": g_loss_maximum_likelihood,  # -mean D / (1 - D)
    "wasserstein": g_loss_wasserstein,  # -mean f(G(z))
    "hinge": g_loss_wasserstein,  # the hinge GAN's generator loss is also -mean D(G(z)) (on logits)
}
DISCRIMINATOR_LOSSES: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "bce": d_loss_bce,
    "wasserstein": critic_loss_wasserstein,
    "hinge": d_loss_hinge,
}


def _lookup(table: dict, name: str, what: str) -> Callable:
    try:
        return table[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown {what} {name!r}; valid names: {sorted(table)}") from None


def get_generator_loss(name: str) -> Callable[[torch.Tensor], torch.Tensor]:
    """Return the generator loss called name (a key of GENERATOR_LOSSES); ValueError otherwise."""
    return _lookup(GENERATOR_LOSSES, name, "generator loss")


def get_discriminator_loss(name: str) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """Return the discriminator/critic loss called name (a key of DISCRIMINATOR_LOSSES); ValueError otherwise."""
    return _lookup(DISCRIMINATOR_LOSSES, name, "discriminator loss")
