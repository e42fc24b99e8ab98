"""The FOILS: DCGAN training written the way common tutorials write it (not course code; do not teach from it).

What makes it typical: a torch Dataset that turns every image into a PIL image and back through
torchvision transforms (ToTensor, Normalize; Resize for 64x64) on every access, a DataLoader with
worker processes, the tutorial's step order (one D step on real + fake, one G step on the same
fakes), plain (unfused) Adam, torch's default thread count and .item() calls every step.

Two foils use that loop (TutorialLoop):
- same_recipe(): the course's own 28x28 networks and hyper-parameters (gh.models.dcgan_mnist,
  TrainConfig.dcgan_mnist): only the engineering differs from the course's Trainer.
- pytorch_tutorial(): the PyTorch DCGAN tutorial's 64x64 setup (ngf = ndf = 64, nz = 100, a sigmoid
  in D with nn.BCELoss, batch 128, Adam 2e-4, beta1 0.5): what a user would pick instead.
"""
from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

NZ, NGF, NDF, IMAGE_SIZE, BATCH = 100, 64, 64, 64, 128  # the PyTorch DCGAN tutorial's values


class DigitDataset(torch.utils.data.Dataset):
    """uint8 digits (N, 28, 28) -> per-item PIL image -> [Resize] -> ToTensor -> Normalize: (1, size, size)."""

    def __init__(self, images_uint8: torch.Tensor, image_size: int = IMAGE_SIZE) -> None:
        from torchvision import transforms  # deferred: torchvision costs ~1 s to import; only the foil needs it

        self.images = images_uint8.numpy()
        resize = [transforms.Resize(image_size), transforms.CenterCrop(image_size)] if image_size != 28 else []
        self.transform = transforms.Compose([*resize, transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])

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


class TutorialLoop:
    """A tutorial's training loop around G (z -> images) and D, one batch per step(); the loader restarts each epoch.

    criterion: nn.BCELoss() for a D that ends in a sigmoid, nn.BCEWithLogitsLoss() for one that gives logits.
    z_shape: the shape of one latent code ((nz, 1, 1) for the tutorial's G, (nz,) for the course's).
    """

    def __init__(self, G: nn.Module, D: nn.Module, dataset: torch.utils.data.Dataset, z_shape: tuple[int, ...],
                 criterion: nn.Module, batch: int, lr_g: float, lr_d: float, betas: tuple[float, float],
                 seed: int = 0, workers: int = 2) -> None:
        self.G, self.D, self.z_shape, self.criterion = G, D, tuple(z_shape), criterion
        self.loader = torch.utils.data.DataLoader(
            dataset, batch_size=batch, shuffle=True, num_workers=workers,
            drop_last=True, generator=torch.Generator().manual_seed(seed))
        self.batches = iter(self.loader)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=lr_d, betas=betas)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=lr_g, betas=betas)
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
        fake = self.G(torch.randn(b, *self.z_shape))
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
        """n samples in eval mode, at 28x28 for the classifier (64x64 is downsampled, antialiased): (n, 1, 28, 28)."""
        self.G.eval()
        try:
            x = self.G(torch.randn(n, *self.z_shape, generator=generator))
        finally:
            self.G.train()
        return x if x.shape[-1] == 28 else downsample28(x)

    def close(self) -> None:
        """Shut the loader's worker processes down now."""
        self.batches = None


def pytorch_tutorial(images_uint8: torch.Tensor, seed: int = 0, workers: int = 2) -> TutorialLoop:
    """Foil (b): the PyTorch DCGAN tutorial's 64x64 networks and settings on the digits."""
    torch.manual_seed(seed)
    G, D = make_generator(), make_discriminator()
    return TutorialLoop(G, D, DigitDataset(images_uint8, IMAGE_SIZE), (NZ, 1, 1), nn.BCELoss(), BATCH,
                        2e-4, 2e-4, (0.5, 0.999), seed, workers)


def same_recipe(images_uint8: torch.Tensor, seed: int = 0, workers: int = 2) -> TutorialLoop:
    """Foil (a): the course's 28x28 networks and hyper-parameters, trained the tutorial way."""
    import gan_helpers as gh

    torch.manual_seed(seed)
    G, D = gh.models.dcgan_mnist()
    cfg = gh.training.TrainConfig.dcgan_mnist()
    return TutorialLoop(G, D, DigitDataset(images_uint8, 28), (G.latent_dim,), nn.BCEWithLogitsLoss(),
                        cfg.batch_size, cfg.lr_g, cfg.lr_d, cfg.betas, seed, workers)


def downsample28(x: torch.Tensor) -> torch.Tensor:
    """(B, 1, H, W) in [-1, 1] -> (B, 1, 28, 28), bilinear with antialiasing, clamped to [-1, 1]."""
    return F.interpolate(x, size=(28, 28), mode="bilinear", antialias=True, align_corners=False).clamp(-1, 1)


def as_uint8(images: torch.Tensor) -> torch.Tensor:
    """Course images (N, 1, 28, 28) in [-1, 1] -> uint8 (N, 28, 28), what a tutorial's dataset reads."""
    return ((images[:, 0] + 1) * 127.5).round().clamp(0, 255).to(torch.uint8)


def stats(run: TutorialLoop) -> dict[str, Any]:
    """Parameter counts of the foil's networks."""
    def count(m: nn.Module) -> int:
        return sum(p.numel() for p in m.parameters())

    return {"G_params": count(run.G), "D_params": count(run.D)}
