"""Image metrics: the course's MNIST classifier (trained once, cached), class histogram, confidence,
and the Frechet distance on its features.

A compact CNN trained once on real MNIST digits (cached in data/cache/) judges generated digits.
frechet_classifier_distance is FID computed on THIS classifier's 64-d penultimate features: useful
to compare runs inside the course, NOT comparable to Inception-v3 FID numbers in papers.
"""
from __future__ import annotations

import hashlib
import os
import time
import warnings

import numpy as np
import torch
import torch.nn.functional as F
from scipy import linalg
from torch import nn

from ..data import load_mnist
from ..utils import cache_dir, get_device, seeded, short_path, torch_threads

CLASSIFIER_VERSION = 2  # bump when the architecture or the training recipe changes (2: one CPU thread)
CLASSIFIER_SEED = 0
CLASSIFIER_EPOCHS = 5  # epochs of the 8,000-image split; the 60k split gets the same number of steps
CLASSIFIER_FILE = "mnist_classifier.pt"


class MnistClassifier(nn.Module):
    """Two conv blocks and a 64-unit hidden layer: (B, 1, 28, 28) in [-1, 1] -> (B, 10) logits."""

    feature_dim = 64

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 16 x 14 x 14
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 32 x 7 x 7
            nn.Flatten(), nn.Linear(32 * 7 * 7, self.feature_dim), nn.ReLU())
        self.head = nn.Sequential(nn.Dropout(0.2), nn.Linear(self.feature_dim, 10))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate features: (B, 1, 28, 28) -> (B, 64)."""
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits: (B, 1, 28, 28) -> (B, 10)."""
        return self.head(self.body(x))


def _classifier_data(verbose: bool) -> tuple[dict, tuple[torch.Tensor, ...]]:
    """Pick train / held-out digits and describe them: (config, (x_train, y_train, x_test, y_test))."""
    mnist = load_mnist(verbose=verbose)
    if mnist.split == "test":  # offline copy: the official 10k test split only
        x_tr, y_tr, x_te, y_te, held = mnist.images[:8000], mnist.labels[:8000], \
            mnist.images[8000:], mnist.labels[8000:], "test[8000:]"
    else:
        x_tr, y_tr = mnist.images, mnist.labels
        try:
            test = load_mnist(split="test", download=False, verbose=False)
            x_te, y_te, held = test.images, test.labels, "test"
        except FileNotFoundError:  # no test split: hold out the last 5,000 training digits
            x_tr, y_tr, x_te, y_te = x_tr[:-5000], y_tr[:-5000], x_tr[-5000:], y_tr[-5000:]
            held = "train[-5000:]"
    digest = hashlib.sha1(y_tr.numpy().tobytes() + y_te.numpy().tobytes()).hexdigest()[:12]
    config = {"version": CLASSIFIER_VERSION, "seed": CLASSIFIER_SEED, "epochs": CLASSIFIER_EPOCHS,
              "split": mnist.split, "n_train": len(x_tr), "held_out": held, "labels_sha1": digest}
    return config, (x_tr, y_tr, x_te, y_te)


def _train_classifier(config: dict, data: tuple, device: torch.device) -> tuple[nn.Module, float]:
    """Seeded training (global RNG state is restored afterwards): returns (model, held-out accuracy)."""
    cuda = [device.index if device.index is not None else torch.cuda.current_device()] \
        if device.type == "cuda" else []
    # one CPU thread: as fast when idle, 5x faster on a busy CPU, reproducible
    with torch_threads(1 if device.type == "cpu" else None):
        return _train_loop(config, data, device, cuda)


def _train_loop(config: dict, data: tuple, device: torch.device, cuda: list) -> tuple[nn.Module, float]:
    x_tr, y_tr, x_te, y_te = data
    batch, steps = 64, CLASSIFIER_EPOCHS * (8000 // 64)
    with seeded(config["seed"], devices=cuda):
        gen = torch.Generator().manual_seed(config["seed"])
        model = MnistClassifier().to(device)
        opt = torch.optim.Adam(model.parameters(), lr=2e-3)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps)
        perm, pos = torch.randperm(len(x_tr), generator=gen), 0
        model.train()
        for _ in range(steps):
            if pos + batch > len(perm):
                perm, pos = torch.randperm(len(x_tr), generator=gen), 0
            idx, pos = perm[pos:pos + batch], pos + batch
            loss = F.cross_entropy(model(x_tr[idx].to(device)), y_tr[idx].to(device))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    pred = _run(model, x_te).argmax(1)
    return model, float((pred == y_te).float().mean())


def _load_cached(path, config: dict, device: torch.device) -> tuple[nn.Module, float] | None:
    """Return (model, accuracy) from a cache file made for this config, else None (missing/corrupt/stale)."""
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(blob, dict) or blob.get("config") != config:
            return None
        with torch.random.fork_rng(devices=[]):  # building the model must not move the global RNG
            model = MnistClassifier()
        model.load_state_dict(blob["state_dict"])
        return model.to(device), float(blob["accuracy"])
    except Exception:  # corrupt, truncated or foreign file: retrain instead of trusting it
        return None


def get_classifier(device: str | torch.device | None = None, retrain: bool = False,
                   verbose: bool = True) -> nn.Module:
    """Return the course's MNIST classifier in eval mode, (B, 1, 28, 28) in [-1, 1] -> (B, 10) logits.

    Trained once (seeded, on one CPU thread: about 10 s on a laptop) and cached in data/cache/ with its
    config; a cache file that is corrupt or was made for another config is retrained.
    `model.heldout_accuracy` holds its accuracy on held-out real digits.
    """
    device = get_device("auto") if device is None else torch.device(device)
    config, data = _classifier_data(verbose=False)
    path = cache_dir() / CLASSIFIER_FILE
    loaded = None if retrain or not path.is_file() else _load_cached(path, config, device)
    if loaded is None:
        start = time.perf_counter()
        model, acc = _train_classifier(config, data, device)
        state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        torch.save({"config": config, "state_dict": state, "accuracy": acc}, tmp)
        tmp.replace(path)  # atomic: a concurrent reader never sees half a file
        if verbose:
            print(f"trained the MNIST classifier in {time.perf_counter() - start:.1f} s: held-out "
                  f"accuracy {acc:.4f} on {len(data[3]):,} digits ({config['held_out']}); "
                  f"cached in {short_path(path)}")
    else:
        model, acc = loaded
        if verbose:
            print(f"loaded the MNIST classifier from {short_path(path)}: held-out accuracy {acc:.4f}")
    model.eval().requires_grad_(False)
    model.heldout_accuracy = acc
    return model


def _check_images(images: torch.Tensor) -> torch.Tensor:
    if not isinstance(images, torch.Tensor) or images.ndim != 4 or tuple(images.shape[1:]) != (1, 28, 28):
        shape = tuple(images.shape) if hasattr(images, "shape") else type(images).__name__
        raise ValueError(f"images must be a tensor of shape (B, 1, 28, 28), got {shape}")
    if len(images) == 0:
        raise ValueError("images is empty: need at least one image")
    lo, hi = float(images.min()), float(images.max())
    if lo < -1.01 or hi > 1.01:
        raise ValueError(f"images must lie in [-1, 1] (like tanh outputs and load_mnist), got values in "
                         f"[{lo:.3g}, {hi:.3g}]; rescale (e.g. x / 127.5 - 1) or clamp first")
    return images.detach().float()


def _run(classifier: nn.Module, images: torch.Tensor, features: bool = False,
         chunk: int = 1000) -> torch.Tensor:
    """Apply the classifier in eval mode, in chunks, without gradients: (B, 10) logits or (B, F)."""
    images = _check_images(images)
    device = next(classifier.parameters()).device
    was_training = classifier.training
    classifier.eval()
    with torch.no_grad():
        fn = classifier.features if features else classifier
        out = torch.cat([fn(xb.to(device)).cpu() for xb in images.split(chunk)])
    classifier.train(was_training)
    return out


def class_histogram(images: torch.Tensor, classifier: nn.Module) -> torch.Tensor:
    """Count predicted classes: images (B, 1, 28, 28) in [-1, 1] -> (10,) int64 counts summing to B."""
    return torch.bincount(_run(classifier, images).argmax(1), minlength=10)


def confident_fraction(images: torch.Tensor, classifier: nn.Module, threshold: float = 0.9) -> float:
    """Fraction of images (B, 1, 28, 28) whose top softmax probability is >= threshold (in (0, 1))."""
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must be in (0, 1), got {threshold}")
    probs = _run(classifier, images).softmax(1)
    return float((probs.max(1).values >= threshold).float().mean())


def classifier_features(images: torch.Tensor, classifier: nn.Module) -> torch.Tensor:
    """Penultimate-layer features of the classifier: (B, 1, 28, 28) in [-1, 1] -> (B, F)."""
    return _run(classifier, images, features=True)


def frechet_distance(mu1, sigma1, mu2, sigma2, eps: float = 1e-6, imag_tol: float = 1e-3) -> float:
    """Frechet distance between N(mu1, sigma1) and N(mu2, sigma2): means (d,), covariances (d, d).

    ||mu1 - mu2||^2 + tr(sigma1 + sigma2 - 2 (sigma1 sigma2)^(1/2)), with pytorch-fid's safeguards:
    eps * I is added to both covariances when the product is singular or its root not finite; a
    complex root whose diagonal imaginary part exceeds imag_tol raises ValueError, else its real part
    is used.
    """
    mu1, mu2 = (np.atleast_1d(np.asarray(m, dtype=np.float64)) for m in (mu1, mu2))
    s1, s2 = (np.atleast_2d(np.asarray(s, dtype=np.float64)) for s in (sigma1, sigma2))
    d = mu1.shape[0]
    if mu1.ndim != 1 or mu2.shape != (d,):
        raise ValueError(f"means must be vectors of the same length, got {mu1.shape} and {mu2.shape}")
    if s1.shape != (d, d) or s2.shape != (d, d):
        raise ValueError(f"covariances must have shape ({d}, {d}) to match the means, "
                         f"got {s1.shape} and {s2.shape}")
    if not all(np.isfinite(a).all() for a in (mu1, mu2, s1, s2)):
        raise ValueError("means and covariances must be finite (no NaN or inf)")
    with warnings.catch_warnings(record=True) as caught:  # scipy warns when the product is singular
        warnings.simplefilter("always", linalg.LinAlgWarning)
        covmean = linalg.sqrtm(s1 @ s2)
    if caught or not np.isfinite(covmean).all():
        offset = np.eye(d) * eps
        covmean = linalg.sqrtm((s1 + offset) @ (s2 + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=imag_tol):
            worst = float(np.max(np.abs(np.diagonal(covmean).imag)))
            raise ValueError(f"sqrt(sigma1 @ sigma2) has imaginary part {worst:.3g} > {imag_tol}: "
                             "are the covariances symmetric positive semi-definite?")
        covmean = covmean.real
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def feature_statistics(features: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Mean (F,) and covariance (F, F) in float64 of features (B, F), B >= 2."""
    f = (features.detach().cpu().double().numpy() if isinstance(features, torch.Tensor)
         else np.asarray(features, dtype=float))
    if f.ndim != 2 or f.shape[0] < 2:
        raise ValueError(f"features must have shape (B, F) with B >= 2, got {f.shape}")
    return f.mean(0), np.cov(f, rowvar=False)


def frechet_classifier_distance(images_a: torch.Tensor, images_b: torch.Tensor,
                                classifier: nn.Module) -> float:
    """FID on the course classifier's features between two image sets (B, 1, 28, 28), B >= 2 each.

    Not comparable to Inception FID (other network, 64-d features, MNIST only). Like FID it is biased
    upwards for small B: compare values computed with the same numbers of images (>= 500 advised).
    """
    mu_a, s_a = feature_statistics(classifier_features(images_a, classifier))
    mu_b, s_b = feature_statistics(classifier_features(images_b, classifier))
    return frechet_distance(mu_a, s_a, mu_b, s_b)
