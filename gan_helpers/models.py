"""Generators and discriminators: small MLPs for 1-D/2-D toys, a DCGAN pair for 28x28 MNIST.

Every discriminator (and critic) returns a raw LOGIT / score of shape (B, 1): no sigmoid in any
model, because the losses in gh.losses work on logits (stable log-sigmoid / softplus forms).
Every generator has the attribute ``latent_dim`` and takes z of shape (B, latent_dim).
"""
from __future__ import annotations

import torch
from torch import nn

from .ensemble import EnsembleLinear


def _check_positive(**sizes: int) -> None:
    for name, value in sizes.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")


def _check_latent(z: torch.Tensor, latent_dim: int, members: int | None = None) -> None:
    if members is None and (z.ndim != 2 or z.shape[1] != latent_dim):
        raise ValueError(f"z must have shape (B, {latent_dim}), got {tuple(z.shape)}")
    if members is not None and (z.ndim != 3 or z.shape[0] != members or z.shape[2] != latent_dim):
        raise ValueError(f"z must have shape ({members}, B, {latent_dim}) (ensemble members first), "
                         f"got {tuple(z.shape)}")


def _check_ensemble(ensemble: int | None) -> None:
    if ensemble is not None and (not isinstance(ensemble, int) or isinstance(ensemble, bool) or ensemble < 1):
        raise ValueError(f"ensemble must be None (one network) or a positive int, got {ensemble!r}")


class MinibatchStd(nn.Module):
    """Minibatch standard deviation feature (Karras et al. 2018): x (..., B, d) -> (..., B, d + 1).

    The std of each feature over the batch, averaged over features, is appended to every sample.
    A collapsed generator's batch has a small std, which the discriminator can see and reject.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, d) or (E, B, d) -> (B, d + 1) or (E, B, d + 1)."""
        if x.ndim not in (2, 3) or x.shape[-2] < 2:
            raise ValueError(f"x must have shape (B, d) or (E, B, d) with B >= 2, got {tuple(x.shape)}")
        std = torch.sqrt(x.var(dim=-2, unbiased=False, keepdim=True) + 1e-8).mean(dim=-1, keepdim=True)
        return torch.cat([x, std.expand(*x.shape[:-1], 1)], dim=-1)


def _mlp(d_in: int, d_out: int, hidden: int, depth: int, act: type[nn.Module] | nn.Module,
         ensemble: int | None = None, minibatch_std: bool = False) -> nn.Sequential:
    """depth hidden layers of width hidden, each followed by act, then a linear output layer.

    ensemble=E builds E independent copies as EnsembleLinear layers (inputs (E, B, d));
    minibatch_std appends the minibatch-std feature before the last hidden layer.
    """
    def linear(a: int, b: int) -> nn.Module:
        return nn.Linear(a, b) if ensemble is None else EnsembleLinear(ensemble, a, b)

    layers: list[nn.Module] = []
    width = d_in
    for i in range(depth):
        if minibatch_std and i == depth - 1:
            layers.append(MinibatchStd())
            width += 1
        layers += [linear(width, hidden), act() if isinstance(act, type) else act]
        width = hidden
    layers.append(linear(width, d_out))
    return nn.Sequential(*layers)


class MLPGenerator(nn.Module):
    """MLP generator for toy data: z (B, latent_dim) -> x (B, out_dim); ReLU hidden layers, linear output.

    ensemble=E makes E independent generators at once: z (E, B, latent_dim) -> x (E, B, out_dim).
    """

    def __init__(self, latent_dim: int = 1, out_dim: int = 1, hidden: int = 32, depth: int = 2,
                 ensemble: int | None = None) -> None:
        super().__init__()
        _check_positive(latent_dim=latent_dim, out_dim=out_dim, hidden=hidden)
        _check_ensemble(ensemble)
        if not isinstance(depth, int) or depth < 0:
            raise ValueError(f"depth (number of hidden layers) must be an int >= 0, got {depth!r}")
        self.latent_dim, self.out_dim, self.ensemble_size = latent_dim, out_dim, ensemble
        self.net = _mlp(latent_dim, out_dim, hidden, depth, nn.ReLU, ensemble)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """z: (B, latent_dim) -> samples (B, out_dim); for an ensemble (E, B, latent_dim) -> (E, B, out_dim)."""
        _check_latent(z, self.latent_dim, self.ensemble_size)
        return self.net(z)


class MLPDiscriminator(nn.Module):
    """MLP discriminator for toy data: x (B, in_dim) -> logit (B, 1); LeakyReLU(0.2) hidden layers.

    ensemble=E: x (E, B, in_dim) -> (E, B, 1); minibatch_std=True adds the MinibatchStd feature
    before the last hidden layer (needs depth >= 1).
    """

    def __init__(self, in_dim: int = 1, hidden: int = 32, depth: int = 2, ensemble: int | None = None,
                 minibatch_std: bool = False) -> None:
        super().__init__()
        _check_positive(in_dim=in_dim, hidden=hidden)
        _check_ensemble(ensemble)
        if not isinstance(depth, int) or depth < 0:
            raise ValueError(f"depth (number of hidden layers) must be an int >= 0, got {depth!r}")
        if minibatch_std and depth < 1:
            raise ValueError("minibatch_std needs at least one hidden layer (depth >= 1)")
        self.in_dim, self.ensemble_size = in_dim, ensemble
        self.net = _mlp(in_dim, 1, hidden, depth, nn.LeakyReLU(0.2), ensemble, bool(minibatch_std))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, in_dim) -> logits (B, 1) (apply torch.sigmoid for D(x)); ensembles (E, B, in_dim) -> (E, B, 1)."""
        e = self.ensemble_size
        if (e is None and (x.ndim != 2 or x.shape[1] != self.in_dim)) or (
                e is not None and (x.ndim != 3 or x.shape[0] != e or x.shape[2] != self.in_dim)):
            want = f"(B, {self.in_dim})" if e is None else f"({e}, B, {self.in_dim})"
            raise ValueError(f"x must have shape {want}, got {tuple(x.shape)}")
        return self.net(x)


# --------------------------------------------------------------------------- DCGAN (28x28x1)


def init_dcgan_weights(module: nn.Module) -> None:
    """DCGAN init (Radford et al. 2015): conv/linear weights ~ N(0, 0.02), norm scales ~ N(1, 0.02), biases 0.

    Use as ``model.apply(init_dcgan_weights)``; the DCGAN classes below already call it.
    """
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, (nn.BatchNorm2d, nn.BatchNorm1d, nn.GroupNorm, nn.LayerNorm)):
        if module.weight is not None:
            nn.init.normal_(module.weight, 1.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)


class DCGANGenerator(nn.Module):
    """DCGAN generator: z (B, latent_dim) -> images (B, 1, 28, 28) in [-1, 1].

    1x1 -> 7x7 (transposed conv = "project and reshape") -> 14x14 -> 28x28 with stride-2 transposed
    convolutions; batch norm + ReLU after every layer except the output, which is tanh. ngf28 > 0
    (notebook 05's recipe) adds a 28x28 stage: the last transposed conv gives ngf28 feature maps
    (batch norm + ReLU) and a 3x3 convolution turns them into the image.
    """

    def __init__(self, latent_dim: int = 64, ngf: int = 32, ngf28: int = 0) -> None:
        super().__init__()
        _check_positive(latent_dim=latent_dim, ngf=ngf)
        if not isinstance(ngf28, int) or isinstance(ngf28, bool) or ngf28 < 0:
            raise ValueError(f"ngf28 must be an int >= 0 (0: no 28x28 stage), got {ngf28!r}")
        self.latent_dim, self.ngf, self.ngf28 = latent_dim, ngf, ngf28
        if ngf28:
            out = [nn.ConvTranspose2d(ngf, ngf28, 4, 2, 1, bias=False),  # (ngf28, 28, 28)
                   nn.BatchNorm2d(ngf28), nn.ReLU(True), nn.Conv2d(ngf28, 1, 3, 1, 1)]  # (1, 28, 28)
        else:
            out = [nn.ConvTranspose2d(ngf, 1, 4, 2, 1)]  # (1, 28, 28), no batch norm on the output
        self.net = nn.Sequential(
            nn.ConvTranspose2d(latent_dim, 2 * ngf, 7, 1, 0, bias=False),  # (2ngf, 7, 7)
            nn.BatchNorm2d(2 * ngf), nn.ReLU(True),
            nn.ConvTranspose2d(2 * ngf, ngf, 4, 2, 1, bias=False),  # (ngf, 14, 14)
            nn.BatchNorm2d(ngf), nn.ReLU(True),
            *out, nn.Tanh(),
        )
        self.apply(init_dcgan_weights)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """z: (B, latent_dim) -> images (B, 1, 28, 28)."""
        _check_latent(z, self.latent_dim)
        return self.net(z[:, :, None, None])


class DCGANDiscriminator(nn.Module):
    """DCGAN discriminator: images (B, 1, 28, 28) -> logits (B, 1).

    28x28 -> 14x14 -> 7x7 with stride-2 convolutions (no pooling), LeakyReLU(0.2), no norm on the
    input layer, a 7x7 convolution to one score. critic=True gives the WGAN-GP critic: batch norm is
    replaced by layer norm over (C, H, W) (GroupNorm with one group), since a gradient penalty on
    each sample is meaningless when the score depends on the rest of the batch.
    """

    def __init__(self, ndf: int = 32, critic: bool = False) -> None:
        super().__init__()
        _check_positive(ndf=ndf)
        self.ndf, self.critic = ndf, bool(critic)
        norm = nn.GroupNorm(1, 2 * ndf) if critic else nn.BatchNorm2d(2 * ndf)
        self.net = nn.Sequential(
            nn.Conv2d(1, ndf, 4, 2, 1),  # (ndf, 14, 14), no norm on the input layer
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(ndf, 2 * ndf, 4, 2, 1, bias=False),  # (2ndf, 7, 7)
            norm, nn.LeakyReLU(0.2, True),
            nn.Conv2d(2 * ndf, 1, 7, 1, 0),  # (1, 1, 1): the logit / critic score
        )
        self.apply(init_dcgan_weights)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, 1, 28, 28) -> logits or critic scores (B, 1)."""
        if x.ndim != 4 or tuple(x.shape[1:]) != (1, 28, 28):
            raise ValueError(f"x must have shape (B, 1, 28, 28), got {tuple(x.shape)}")
        return self.net(x).flatten(1)


def dcgan_mnist(latent_dim: int = 64) -> tuple[DCGANGenerator, DCGANDiscriminator]:
    """The course's MNIST DCGAN pair (notebook 05, with TrainConfig.dcgan_mnist): z (B, latent_dim) -> (B, 1, 28, 28).

    DCGANGenerator(latent_dim, 32, ngf28=16) (a 28x28 stage of 16 maps) and DCGANDiscriminator(32).
    """
    return DCGANGenerator(latent_dim, ngf=32, ngf28=16), DCGANDiscriminator(ndf=32)


# --------------------------------------------------------------------------- PacGAN packing


def pack_samples(x: torch.Tensor, pack: int) -> torch.Tensor:
    """PacGAN packing: (B * pack, C, ...) -> (B, pack * C, ...); row i packs samples i*pack .. i*pack+pack-1.

    The pack samples are concatenated along dim 1 (features for (N, d), channels for images), in
    order: for 2-D points, row i is [x_{i*pack}, x_{i*pack+1}, ...] flattened to pack * d numbers.
    """
    if not isinstance(pack, int) or isinstance(pack, bool) or pack < 1:
        raise ValueError(f"pack must be a positive int, got {pack!r}")
    if not isinstance(x, torch.Tensor) or x.ndim < 2:
        raise ValueError(f"x must be a tensor of shape (B * pack, C, ...), got "
                         f"{tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__}")
    n = x.shape[0]
    if n == 0 or n % pack:
        raise ValueError(f"the batch size {n} must be a positive multiple of pack = {pack}")
    return x.reshape(n // pack, pack * x.shape[1], *x.shape[2:])


class PackedDiscriminator(nn.Module):
    """PacGAN discriminator (Lin et al. 2018): x (B * pack, d) -> pack_samples -> inner D -> logits (B, 1).

    The inner discriminator must accept packed inputs, e.g. MLPDiscriminator(in_dim=pack * d).
    A generator trained against it is scored on pack independent samples at once, so a batch
    with too little variety (a collapsed generator) is easier to reject.
    """

    def __init__(self, inner: nn.Module, pack: int) -> None:
        super().__init__()
        if not isinstance(inner, nn.Module):
            raise ValueError(f"inner must be an nn.Module discriminator, got {type(inner).__name__}")
        _check_positive(pack=pack)
        self.inner, self.pack = inner, pack
        self.ensemble_size = getattr(inner, "ensemble_size", None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B * pack, d) (or (B * pack, C, H, W)) -> logits (B, 1); ensembles (E, B * pack, d) -> (E, B, 1)."""
        if self.ensemble_size is None:
            return self.inner(pack_samples(x, self.pack))
        if x.ndim != 3 or x.shape[0] != self.ensemble_size:
            raise ValueError(f"x must have shape ({self.ensemble_size}, B * {self.pack}, d), got {tuple(x.shape)}")
        return self.inner(torch.stack([pack_samples(member, self.pack) for member in x]))
