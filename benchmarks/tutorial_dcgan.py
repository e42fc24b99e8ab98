"""The FOIL: a DCGAN written the way common tutorials write it (not course code; do not teach from it).

What makes it typical: a torch Dataset that turns every image into a PIL image and back through
torchvision transforms (Resize to 64x64, ToTensor, Normalize) on every access, a DataLoader with
worker processes, the PyTorch DCGAN tutorial's 64x64 architecture (ngf = ndf = 64, nz = 100, a
sigmoid in D with nn.BCELoss), batch 64, Adam 2e-4 with beta1 0.5, and .item() calls every step.
The benchmark times it against the course's 28x28 DCGAN on the same digits and the same quality bar.
"""
from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

NZ, NGF, NDF, IMAGE_SIZE, BATCH = 100, 64, 64, 64, 64


class DigitDataset(torch.utils.data.Dataset):
    """uint8 digits (N, 28, 28) -> per-item PIL image -> Resize(64) -> ToTensor -> Normalize: (1, 64, 64)."""

    def __init__(self, images_uint8: torch.Tensor, image_size: int = IMAGE_SIZE) -> None:
        from torchvision import transforms  # deferred: torchvision costs ~1 s to import; only the foil needs it

        self.images = images_uint8.numpy()
        self.transform = transforms.Compose([
            transforms.Resize(image_size), transforms.CenterCrop(image_size),
            transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        return self.transform(Image.fromarray(self.images[i])), 0  # uint8 (28, 28) -> mode "L"


def _init(m: nn.Module) -> None:
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def _up(c_in: int, c_out: int, first: bool = False) -> list[nn.Module]:
    stride, pad = (1, 0) if first else (2, 1)  # the first layer maps 1x1 to 4x4, the others double
    conv = nn.ConvTranspose2d(c_in, c_out, 4, stride, pad, bias=False)
    return [conv, nn.BatchNorm2d(c_out), nn.ReLU(True)]


def _down(c_in: int, c_out: int, norm: bool = True) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, 4, 2, 1, bias=False)] + ([nn.BatchNorm2d(c_out)] if norm else []) + [
        nn.LeakyReLU(0.2, inplace=True)]


def make_generator(nz: int = NZ, ngf: int = NGF) -> nn.Module:
    """z (B, nz, 1, 1) -> (B, 1, 64, 64): 4 -> 8 -> 16 -> 32 -> 64 with transposed convolutions."""
    g = nn.Sequential(*_up(nz, ngf * 8, first=True), *_up(ngf * 8, ngf * 4), *_up(ngf * 4, ngf * 2),
                      *_up(ngf * 2, ngf), nn.ConvTranspose2d(ngf, 1, 4, 2, 1, bias=False), nn.Tanh())
    g.apply(_init)
    return g


def make_discriminator(ndf: int = NDF) -> nn.Module:
    """(B, 1, 64, 64) -> probabilities (B, 1, 1, 1) through a final sigmoid (as the tutorial)."""
    d = nn.Sequential(*_down(1, ndf, norm=False), *_down(ndf, ndf * 2), *_down(ndf * 2, ndf * 4),
                      *_down(ndf * 4, ndf * 8), nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False), nn.Sigmoid())
    d.apply(_init)
    return d


class TutorialDCGAN:
    """The tutorial's training loop, one batch per step(); the loader restarts when an epoch ends."""

    def __init__(self, images_uint8: torch.Tensor, seed: int = 0, workers: int = 2) -> None:
        torch.manual_seed(seed)
        self.G, self.D = make_generator(), make_discriminator()
        self.loader = torch.utils.data.DataLoader(
            DigitDataset(images_uint8), batch_size=BATCH, shuffle=True, num_workers=workers,
            drop_last=True, generator=torch.Generator().manual_seed(seed))
        self.batches = iter(self.loader)
        self.criterion = nn.BCELoss()
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.log: list[tuple[float, float, float]] = []

    def _next_batch(self) -> torch.Tensor:
        try:
            return next(self.batches)[0]
        except StopIteration:
            self.batches = iter(self.loader)
            return next(self.batches)[0]

    def step(self) -> None:
        """One D step on real + detached fake, one G step reusing the same fakes (tutorial order)."""
        real = self._next_batch()
        b = real.size(0)
        self.D.zero_grad()
        out = self.D(real).view(-1)
        err_real = self.criterion(out, torch.full((b,), 1.0))
        err_real.backward()
        d_x = out.mean().item()
        fake = self.G(torch.randn(b, NZ, 1, 1))
        out = self.D(fake.detach()).view(-1)
        err_fake = self.criterion(out, torch.full((b,), 0.0))
        err_fake.backward()
        self.opt_d.step()
        self.G.zero_grad()
        out = self.D(fake).view(-1)
        err_g = self.criterion(out, torch.full((b,), 1.0))
        err_g.backward()
        self.opt_g.step()
        self.log.append((err_real.item() + err_fake.item(), err_g.item(), d_x))

    @torch.no_grad()
    def sample28(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n samples in eval mode, downsampled 64x64 -> 28x28 (antialiased) for the classifier: (n, 1, 28, 28)."""
        self.G.eval()
        try:
            x = self.G(torch.randn(n, NZ, 1, 1, generator=generator))
        finally:
            self.G.train()
        return downsample28(x)


def downsample28(x: torch.Tensor) -> torch.Tensor:
    """(B, 1, H, W) in [-1, 1] -> (B, 1, 28, 28), bilinear with antialiasing, clamped to [-1, 1]."""
    return F.interpolate(x, size=(28, 28), mode="bilinear", antialias=True, align_corners=False).clamp(-1, 1)


def as_uint8(images: torch.Tensor) -> torch.Tensor:
    """Course images (N, 1, 28, 28) in [-1, 1] -> uint8 (N, 28, 28), what a tutorial's dataset reads."""
    return ((images[:, 0] + 1) * 127.5).round().clamp(0, 255).to(torch.uint8)


def stats(run: TutorialDCGAN) -> dict[str, Any]:
    """Parameter counts of the foil's networks."""
    def count(m: nn.Module) -> int:
        return sum(p.numel() for p in m.parameters())

    return {"G_params": count(run.G), "D_params": count(run.D)}
