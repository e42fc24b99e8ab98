"""Samplers and latent codes: the sampler protocol, standard-normal z, sampling G, spherical interpolation."""
from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Protocol

import torch
from torch import nn


class Sampler(Protocol):
    """What the Trainer and fit_critic draw batches from: sample(n, generator=None) -> (n, ...).

    gh.data.GaussianMixture.sample, gh.data.TensorBatcher and gh.ensemble.per_member follow it;
    a sampler that owns its randomness (TensorBatcher) may ignore `generator`.
    """

    def __call__(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor: ...


def as_sampler(fn: Callable[..., torch.Tensor]) -> Sampler:
    """fn as a Sampler: fn itself when it takes generator=, else a wrapper that calls fn(n).

    The one place that looks at a sampler's signature (once, when a Trainer or fit_critic starts):
    plain callables fn(n) (e.g. lambdas over a fixed data set) keep working, drawing from their own
    randomness.
    """
    try:
        takes_generator = "generator" in inspect.signature(fn).parameters
    except (TypeError, ValueError):  # no signature (some builtins): call it as fn(n)
        takes_generator = False
    if takes_generator:
        return fn

    def sample(n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        return fn(n)

    return sample


def latent(n: int, latent_dim: int, generator: torch.Generator | None = None,
           device: torch.device | str | None = None, members: int | None = None) -> torch.Tensor:
    """Standard-normal latent codes (n, latent_dim) from generator (on its device), moved to device.

    members=E gives (E, n, latent_dim) for an ensemble generator: member k gets rows k*n..(k+1)*n-1.
    """
    if n < 1 or latent_dim < 1 or (members is not None and members < 1):
        raise ValueError(f"n, latent_dim and members must be >= 1, got n={n}, latent_dim={latent_dim}, "
                         f"members={members}")
    gen_device = generator.device if generator is not None else device
    z = torch.randn((members or 1) * n, latent_dim, generator=generator, device=gen_device)
    z = z if members is None else z.reshape(members, n, latent_dim)
    return z if device is None else z.to(device)


@torch.no_grad()
def sample(G: nn.Module, n: int, device: torch.device | str | None = None,
           generator: torch.Generator | None = None, z: torch.Tensor | None = None,
           labels: torch.Tensor | None = None) -> torch.Tensor:
    """n samples of G in eval mode (batch norm uses running stats), on the CPU: (n, *out_shape).

    Pass z (n, latent_dim) to reuse fixed noise (for sample grids over training). An ensemble
    generator gives (E, n, *out_shape) (z of shape (E, n, latent_dim)). A conditional generator
    (gh.conditional) needs labels (n,): G(z, labels).
    """
    device = device if device is not None else next(G.parameters()).device
    members = getattr(G, "ensemble_size", None)
    z = latent(n, G.latent_dim, generator, device, members) if z is None else z.to(device)
    was_training = G.training
    G.eval()
    try:
        return (G(z) if labels is None else G(z, labels.to(device))).cpu()
    finally:
        G.train(was_training)


def slerp(z0: torch.Tensor, z1: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation from z0 (d,) to z1 (d,) at fractions t (T,) -> (T, d) (White 2016).

    Unlike the straight line, it keeps the norm near that of typical N(0, I) samples.
    """
    if z0.ndim != 1 or z0.shape != z1.shape or t.ndim != 1:
        raise ValueError(f"need z0, z1 of the same shape (d,) and t of shape (T,), got "
                         f"{tuple(z0.shape)}, {tuple(z1.shape)}, {tuple(t.shape)}")
    cos = torch.dot(z0, z1) / (z0.norm() * z1.norm())
    omega = torch.arccos(cos.clamp(-1.0, 1.0))
    t = t[:, None].to(z0.dtype)
    if torch.sin(omega).abs() < 1e-6:  # (anti)parallel ends: sin(omega) = 0, use the straight line
        return (1 - t) * z0 + t * z1
    return (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / torch.sin(omega)
