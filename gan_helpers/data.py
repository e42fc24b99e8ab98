"""Toy distributions (1-D bimodal, 8-Gaussian ring, 5x5 grid) and MNIST as in-memory tensors."""
from __future__ import annotations

import gzip
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

from .utils import check_probabilities, repo_root, short_path

# --------------------------------------------------------------------------- toy distributions


class GaussianMixture:
    """Equal-std isotropic Gaussian mixture; sample(n) returns float32 (n, d)."""

    def __init__(self, centers, std: float, weights=None, name: str = "mixture") -> None:
        centers = torch.as_tensor(centers, dtype=torch.float32)
        if centers.ndim != 2:
            raise ValueError(f"centers must have shape (k, d), got {tuple(centers.shape)}")
        if not std > 0:
            raise ValueError(f"std must be positive, got {std}")
        k = centers.shape[0]
        w = torch.full((k,), 1.0 / k) if weights is None else torch.as_tensor(weights, dtype=torch.float32)
        if w.shape != (k,):
            raise ValueError(f"weights must be {k} non-negative numbers that sum to 1, got {weights}")
        check_probabilities(w, "weights")
        self.centers, self.std, self.weights, self.name = centers, float(std), w, name

    @property
    def dim(self) -> int:
        """Dimension d of a sample."""
        return self.centers.shape[1]

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw n samples: (n, d) float32."""
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        idx = torch.multinomial(self.weights, n, replacement=True, generator=generator)
        noise = torch.randn(n, self.dim, generator=generator)
        return self.centers[idx] + self.std * noise

    __call__ = sample

    def pdf(self, x) -> np.ndarray:
        """Density at points x: (n, d) or (n,) for d = 1 -> (n,) numpy array."""
        x = np.asarray(x, dtype=np.float64).reshape(-1, self.dim)
        c = self.centers.double().numpy()
        sq = ((x[:, None, :] - c[None]) ** 2).sum(-1)
        norm = (2 * math.pi * self.std**2) ** (-self.dim / 2)
        return (self.weights.double().numpy()[None] * norm * np.exp(-sq / (2 * self.std**2))).sum(1)

    def __repr__(self) -> str:
        return f"GaussianMixture({self.name!r}, k={len(self.centers)}, d={self.dim}, std={self.std})"


def bimodal_1d(std: float = 0.2) -> GaussianMixture:
    """The 1-D target of the course's first GAN: modes at -1 and +1, std 0.2."""
    return GaussianMixture([[-1.0], [1.0]], std, name="bimodal-1d")


def ring8(radius: float = 1.0, std: float = 0.01, n_modes: int = 8) -> GaussianMixture:
    """Ring of n_modes Gaussians at the distinct angles 2*pi*i/n (not linspace(0, 2*pi, n))."""
    angles = 2 * math.pi * torch.arange(n_modes, dtype=torch.float64) / n_modes
    centers = radius * torch.stack([torch.cos(angles), torch.sin(angles)], dim=1)
    return GaussianMixture(centers, std, name=f"ring{n_modes}")


def grid25(std: float = 0.05, spacing: float = 2.0) -> GaussianMixture:
    """5x5 grid of Gaussians with means in {-4, -2, 0, 2, 4}^2."""
    ticks = spacing * torch.arange(-2, 3, dtype=torch.float32)
    centers = torch.cartesian_prod(ticks, ticks)
    return GaussianMixture(centers, std, name="grid25")


def two_moons(n: int, noise: float = 0.05, generator: torch.Generator | None = None) -> torch.Tensor:
    """Two interleaving half circles: (n, 2) float32, centred near the origin."""
    if n < 2:
        raise ValueError(f"n must be >= 2, got {n}")
    t = math.pi * torch.rand(n, generator=generator)
    upper = torch.rand(n, generator=generator) < 0.5
    x = torch.where(upper, torch.cos(t), 1 - torch.cos(t)) - 0.5
    y = torch.where(upper, torch.sin(t), 0.5 - torch.sin(t)) - 0.25
    pts = torch.stack([x, y], 1)
    return pts + noise * torch.randn(n, 2, generator=generator)


# --------------------------------------------------------------------------- MNIST

MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


class MNIST(NamedTuple):
    """MNIST in memory: images (N, 1, 28, 28) float32 in [-1, 1], labels (N,) int64."""

    images: torch.Tensor
    labels: torch.Tensor
    split: str
    source: str


def data_root(root: str | os.PathLike | None = None) -> Path:
    """Resolve the data root: explicit argument, else $GAN_DATA_DIR, else data/ in the repo."""
    if root is not None:
        return Path(root)
    env = os.environ.get("GAN_DATA_DIR")
    return Path(env) if env else repo_root() / "data"


def _find_raw(raw: Path, name: str) -> Path | None:
    for candidate in (raw / name, raw / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _read_idx(path: Path) -> np.ndarray:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[0:4], "big")
    if magic >> 8 != 0x08:  # 0x08 = unsigned byte
        raise ValueError(f"{path.name} is not an IDX file of unsigned bytes (magic {magic:#x})")
    ndim = magic & 0xFF
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def find_mnist(root: str | os.PathLike | None = None) -> dict[str, tuple[Path, Path]]:
    """Return {split: (images_file, labels_file)} for the MNIST splits present under root/MNIST/raw."""
    raw = data_root(root) / "MNIST" / "raw"
    found = {}
    for split, (img, lab) in MNIST_FILES.items():
        pi, pl = _find_raw(raw, img), _find_raw(raw, lab)
        if pi and pl:
            found[split] = (pi, pl)
    return found


def download_mnist(root: str | os.PathLike | None = None) -> Path:
    """Download and md5-verify MNIST (both splits) with torchvision into root/MNIST/raw."""
    from torchvision.datasets import MNIST as TorchvisionMNIST  # deferred: only to download, ~1 s to import

    root = data_root(root)
    try:
        TorchvisionMNIST(str(root), train=True, download=True)
        TorchvisionMNIST(str(root), train=False, download=True)
    except Exception as err:  # offline, read-only folder, mirror down...
        raise RuntimeError(
            f"Could not download MNIST into {short_path(root)}/MNIST/raw ({type(err).__name__}: {err}).\n"
            "Offline? Copy the four files train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
            "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz (the 10k test pair alone also works) "
            "into that folder, or set GAN_DATA_DIR to a folder that has MNIST/raw/ inside."
        ) from err
    return root / "MNIST" / "raw"


def load_mnist(root: str | os.PathLike | None = None, split: str = "auto",
               download: bool = True, verbose: bool = True) -> MNIST:
    """Load MNIST into memory: images (N, 1, 28, 28) in [-1, 1], labels (N,) int64.

    split="auto" uses the 60k training split when present, else the official 10k test split (the
    offline copy), else downloads through torchvision. It never substitutes synthetic data.
    """
    if split not in ("auto", "train", "test"):
        raise ValueError(f"split must be 'auto', 'train' or 'test', got {split!r}")
    root = data_root(root)
    found = find_mnist(root)
    wanted = ("train", "test") if split == "auto" else (split,)
    chosen = next((s for s in wanted if s in found), None)
    if chosen is None:
        if not download:
            raise FileNotFoundError(
                f"No MNIST files for split {split!r} in {short_path(root)}/MNIST/raw. Put the IDX files "
                "(e.g. t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz) there, set GAN_DATA_DIR, "
                "or call load_mnist(download=True) with internet access.")
        download_mnist(root)
        found = find_mnist(root)
        chosen = next(s for s in wanted if s in found)
    img_path, lab_path = found[chosen]
    images = _read_idx(img_path)
    labels = _read_idx(lab_path)
    if images.shape[1:] != (28, 28) or len(images) != len(labels):
        raise ValueError(f"unexpected MNIST shapes {images.shape} / {labels.shape} in {short_path(img_path)}")
    x = torch.from_numpy(images.copy()).float().div_(127.5).sub_(1.0).unsqueeze(1)
    y = torch.from_numpy(labels.astype(np.int64))
    source = short_path(img_path.parent)
    if verbose:
        note = " (the official 10k test split: the offline copy)" if chosen == "test" else ""
        print(f"MNIST: {len(x):,} images from the {chosen} split{note}")
    return MNIST(x, y, chosen, source)


@dataclass
class TensorBatcher:
    """Hand out random batches from in-memory tensors, one shuffled epoch after another."""

    data: torch.Tensor
    generator: torch.Generator | None = None

    def __post_init__(self) -> None:
        if len(self.data) == 0:
            raise ValueError("TensorBatcher needs a non-empty tensor")
        self._perm = torch.randperm(len(self.data), generator=self.generator)
        self._pos = 0

    def __call__(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Return the next n items: (n, *data.shape[1:]).

        A sampler (gh.training.Sampler): `generator` is accepted and ignored, as the batcher
        shuffles with its own generator (the one it was made with).
        """
        if not 1 <= n <= len(self.data):
            raise ValueError(f"batch size must be in [1, {len(self.data)}], got {n}")
        if self._pos + n > len(self.data):
            self._perm = torch.randperm(len(self.data), generator=self.generator)
            self._pos = 0
        idx = self._perm[self._pos:self._pos + n]
        self._pos += n
        return self.data[idx]
