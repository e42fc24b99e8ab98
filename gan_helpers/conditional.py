"""Class-conditional GANs on 28x28 MNIST: a generator that takes a label, a projection discriminator.

G(z, y) embeds the label and feeds [z, embedding] to the DCGAN stack of gh.models. The projection
discriminator (Miyato and Koyama 2018) scores an image x for a label y as

    D(x, y) = psi(phi(x)) + <V[y], phi(x)>,

with phi a convolutional feature extractor, psi a linear map to one number and V one embedding row
per class: the inner product is the class-dependent part of log p_data(x, y) / p_g(x, y). With
spectral_norm=True every layer of D (convolutions, psi and V) is spectrally normalised
(torch.nn.utils.parametrizations.spectral_norm). gh.training.Trainer trains a conditional pair when
its sampler returns (images, labels) batches, e.g. LabelledBatcher.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as _sn

from .data import TensorBatcher
from .models import _check_positive, init_dcgan_weights


def _check_labels(y: torch.Tensor, n: int, n_classes: int) -> None:
    if not isinstance(y, torch.Tensor) or y.dtype != torch.long or y.shape != (n,):
        raise ValueError(f"y must be an int64 tensor of shape ({n},) (one label per sample), got "
                         f"{getattr(y, 'dtype', type(y).__name__)} {tuple(getattr(y, 'shape', ()))}")
    if n and (int(y.min()) < 0 or int(y.max()) >= n_classes):
        raise ValueError(f"labels must be in [0, {n_classes}), got values in [{int(y.min())}, {int(y.max())}]")


class ConditionalDCGANGenerator(nn.Module):
    """Conditional DCGAN generator: z (B, latent_dim), labels y (B,) -> images (B, 1, 28, 28) in [-1, 1].

    The label's learned embedding (embed_dim numbers) is concatenated with z; the rest is the DCGAN
    stack of gh.models.DCGANGenerator (7x7 -> 14x14 -> 28x28, batch norm + ReLU, tanh output).
    """

    def __init__(self, latent_dim: int = 64, ngf: int = 32, n_classes: int = 10, embed_dim: int = 16) -> None:
        super().__init__()
        _check_positive(latent_dim=latent_dim, ngf=ngf, n_classes=n_classes, embed_dim=embed_dim)
        self.latent_dim, self.ngf, self.n_classes = latent_dim, ngf, n_classes
        self.embed = nn.Embedding(n_classes, embed_dim)
        self.net = nn.Sequential(
            nn.ConvTranspose2d(latent_dim + embed_dim, 2 * ngf, 7, 1, 0, bias=False),  # (2ngf, 7, 7)
            nn.BatchNorm2d(2 * ngf), nn.ReLU(True),
            nn.ConvTranspose2d(2 * ngf, ngf, 4, 2, 1, bias=False),  # (ngf, 14, 14)
            nn.BatchNorm2d(ngf), nn.ReLU(True),
            nn.ConvTranspose2d(ngf, 1, 4, 2, 1),  # (1, 28, 28)
            nn.Tanh(),
        )
        self.apply(init_dcgan_weights)
        nn.init.normal_(self.embed.weight, 0.0, 1.0)  # on the scale of z

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """z: (B, latent_dim), y: (B,) int64 in [0, n_classes) -> images (B, 1, 28, 28)."""
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have shape (B, {self.latent_dim}), got {tuple(z.shape)}")
        _check_labels(y, len(z), self.n_classes)
        h = torch.cat([z, self.embed(y)], dim=1)
        return self.net(h[:, :, None, None])


class ProjectionDiscriminator(nn.Module):
    """Projection discriminator: images (B, 1, 28, 28), labels y (B,) -> logits (B, 1).

    phi: the DCGAN discriminator's convolutions (28x28 -> 14x14 -> 7x7, LeakyReLU(0.2), batch norm on
    the second; none with spectral_norm=True), then a 7x7 convolution to 2 ndf features instead of one
    logit. logit = psi(phi) + <V[y], phi>.
    """

    def __init__(self, ndf: int = 32, n_classes: int = 10, spectral_norm: bool = False) -> None:
        super().__init__()
        _check_positive(ndf=ndf, n_classes=n_classes)
        self.ndf, self.n_classes, self.spectral_norm = ndf, n_classes, bool(spectral_norm)
        wrap = _sn if spectral_norm else (lambda m: m)
        norm = nn.Identity() if spectral_norm else nn.BatchNorm2d(2 * ndf)  # SN replaces batch norm
        self.phi = nn.Sequential(
            wrap(nn.Conv2d(1, ndf, 4, 2, 1)), nn.LeakyReLU(0.2, True),                   # (ndf, 14, 14)
            wrap(nn.Conv2d(ndf, 2 * ndf, 4, 2, 1)), norm, nn.LeakyReLU(0.2, True),       # (2ndf, 7, 7)
            wrap(nn.Conv2d(2 * ndf, 2 * ndf, 7, 1, 0)), nn.LeakyReLU(0.2, True),         # (2ndf, 1, 1)
        )
        self.psi = nn.Linear(2 * ndf, 1)
        self.embed = nn.Embedding(n_classes, 2 * ndf)
        self.apply(init_dcgan_weights)
        nn.init.normal_(self.embed.weight, 0.0, 0.02)
        if spectral_norm:  # after the init: the parametrisation captures the initial weights
            self.psi, self.embed = _sn(self.psi), _sn(self.embed)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """phi(x): images (B, 1, 28, 28) -> features (B, 2 ndf)."""
        if x.ndim != 4 or tuple(x.shape[1:]) != (1, 28, 28):
            raise ValueError(f"x must have shape (B, 1, 28, 28), got {tuple(x.shape)}")
        return self.phi(x).flatten(1)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """x: (B, 1, 28, 28), y: (B,) int64 -> logits (B, 1) = psi(phi(x)) + <V[y], phi(x)>."""
        _check_labels(y, len(x), self.n_classes)
        h = self.features(x)
        return self.psi(h) + (self.embed(y) * h).sum(dim=1, keepdim=True)

    @torch.no_grad()
    def lipschitz_bound(self, iters: int = 100, generator: torch.Generator | None = None) -> float:
        """An upper bound on the Lipschitz constant of every x -> D(x, y) (l2 norm): a float.

        The product of the convolutions' operator norms (power iteration on the linear maps at their
        real input sizes) and the largest |psi + V[y]| over the classes; LeakyReLU has slope <= 1.
        """
        if not self.spectral_norm:
            raise ValueError("lipschitz_bound needs spectral_norm=True: batch norm's slope depends on the batch")
        convs = [m for m in self.phi if isinstance(m, nn.Conv2d)]
        bound = 1.0
        for conv, shape in zip(convs, [(1, 28, 28), (self.ndf, 14, 14), (2 * self.ndf, 7, 7)]):
            bound *= conv_operator_norm(conv, shape, iters, generator)
        head = self.psi.weight[0][None, :] + self.embed.weight  # (K, 2 ndf): the linear map per class
        return float(bound * head.norm(dim=1).max())


def conv_operator_norm(conv: nn.Conv2d, in_shape: tuple[int, int, int], iters: int = 100,
                       generator: torch.Generator | None = None) -> float:
    """Largest singular value of the linear map v -> conv(v) without bias on inputs (1, *in_shape)."""
    w = conv.weight.detach()  # with spectral_norm: the normalised weight

    def apply(v: torch.Tensor) -> torch.Tensor:
        return nn.functional.conv2d(v, w, None, conv.stride, conv.padding)

    v = torch.randn(1, *in_shape, generator=generator, dtype=w.dtype).to(w.device)
    v /= v.norm()
    sigma = 0.0
    for _ in range(iters):
        with torch.enable_grad():  # the adjoint map (transposed convolution) by autograd
            v_ = v.detach().requires_grad_(True)
            u = apply(v_)
            sigma = float(u.detach().norm())
            (v,) = torch.autograd.grad(u, v_, u / u.norm())
        v = v / v.norm()
    return sigma


def input_gradient_norms(D: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """|grad_x D(x, y)| per sample: images (B, 1, 28, 28), labels (B,) -> (B,); lower bounds on D's slope."""
    x = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        (g,) = torch.autograd.grad(D(x, y).sum(), x)
    return g.flatten(1).norm(dim=1).detach()


class WithLabels(nn.Module):
    """D with its labels bound: x (B, ...) -> D(x, y) (B, 1). Its parameters are D's (for clipping, norms)."""

    def __init__(self, D: nn.Module, y: torch.Tensor) -> None:
        super().__init__()
        self.D, self.y = D, y

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, ...) -> D(x, y): (B, 1)."""
        return self.D(x, self.y)


@dataclass
class LabelledBatcher:
    """Random (images, labels) batches from in-memory tensors: gh.data.TensorBatcher over their indices."""

    images: torch.Tensor
    labels: torch.Tensor
    generator: torch.Generator | None = None

    def __post_init__(self) -> None:
        if len(self.images) == 0 or len(self.images) != len(self.labels):
            raise ValueError(f"need as many labels as images (and at least one), got {len(self.images)} "
                             f"images and {len(self.labels)} labels")
        self.labels = self.labels.long()
        self._indices = TensorBatcher(torch.arange(len(self.images)), self.generator)

    def __call__(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """The next n pairs: images (n, ...), labels (n,). `generator` is ignored (the batcher has its own)."""
        idx = self._indices(n)
        return self.images[idx], self.labels[idx]


def class_grid_labels(n_classes: int = 10, per_class: int = 8) -> torch.Tensor:
    """Labels 0, 0, ..., 1, 1, ... (n_classes * per_class,): one row of a grid per class."""
    _check_positive(n_classes=n_classes, per_class=per_class)
    return torch.arange(n_classes).repeat_interleave(per_class)
