"""Figures for the course: drawing only (each function takes data and an optional ax, returns the ax)."""
from __future__ import annotations

from typing import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch

REAL_COLOR, FAKE_COLOR, D_COLOR = "#1f77b4", "#d62728", "#2ca02c"
COURSE_STYLE = {
    "figure.figsize": (6.0, 4.0), "figure.dpi": 80, "axes.grid": True, "grid.alpha": 0.3,
    "axes.spines.top": False, "axes.spines.right": False, "legend.frameon": False,
    "axes.titlesize": 11, "axes.labelsize": 10, "image.cmap": "viridis",
}


def setup_style() -> None:
    """Apply the course's matplotlib style (call once, in a notebook's first cell)."""
    plt.rcParams.update(COURSE_STYLE)


def _ax(ax: plt.Axes | None) -> plt.Axes:
    return ax if ax is not None else plt.subplots()[1]


def _np(x) -> np.ndarray:
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def show_images(images: torch.Tensor, nrow: int = 8, ax: plt.Axes | None = None,
                title: str | None = None) -> plt.Axes:
    """Draw a grid of images (B, C, H, W) with values in [-1, 1]."""
    from torchvision.utils import make_grid

    if images.ndim != 4:
        raise ValueError(f"images must have shape (B, C, H, W), got {tuple(images.shape)}")
    grid = make_grid(images.detach().cpu().float(), nrow=nrow, padding=2,
                     normalize=True, value_range=(-1, 1), pad_value=1.0)
    ax = _ax(ax)
    ax.imshow(grid.permute(1, 2, 0).numpy(), interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


def plot_density_1d(samples=None, pdf: Callable | None = None, xlim: tuple[float, float] = (-2.5, 2.5),
                    ax: plt.Axes | None = None, sample_label: str = "samples",
                    pdf_label: str = "target density", color: str = FAKE_COLOR, bins: int = 60,
                    title: str | None = None) -> plt.Axes:
    """Histogram of 1-D samples (n,) or (n, 1) over a density curve pdf(x: (m,)) -> (m,)."""
    ax = _ax(ax)
    if pdf is not None:
        xs = np.linspace(*xlim, 400)
        ax.plot(xs, _np(pdf(xs)).ravel(), color=REAL_COLOR, lw=2, label=pdf_label)
    if samples is not None:
        ax.hist(_np(samples).ravel(), bins=bins, range=xlim, density=True, alpha=0.5,
                color=color, label=sample_label)
    ax.set(xlim=xlim, xlabel="x", ylabel="density", title=title or "")
    ax.legend()
    return ax


def plot_samples_2d(samples=None, centers=None, real=None, ax: plt.Axes | None = None,
                    title: str | None = None, lim: float | None = None,
                    sample_label: str = "generated", s: float = 4.0) -> plt.Axes:
    """Scatter 2-D samples (n, 2), optional real points (m, 2) and mode centres (k, 2)."""
    ax = _ax(ax)
    if real is not None:
        r = _np(real)
        ax.scatter(r[:, 0], r[:, 1], s=s, c=REAL_COLOR, alpha=0.4, label="real")
    if samples is not None:
        g = _np(samples)
        ax.scatter(g[:, 0], g[:, 1], s=s, c=FAKE_COLOR, alpha=0.5, label=sample_label)
    if centers is not None:
        c = _np(centers)
        ax.scatter(c[:, 0], c[:, 1], marker="x", s=60, c="k", label="mode centres")
    if lim is not None:
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.set(xlabel="$x_1$", ylabel="$x_2$", title=title or "")
    ax.legend(loc="upper right", markerscale=2)
    return ax


def plot_curves(curves: dict[str, Sequence[float]], x: Sequence[float] | None = None,
                ax: plt.Axes | None = None, title: str | None = None, xlabel: str = "step",
                ylabel: str = "value", smooth: int = 1) -> plt.Axes:
    """Plot named curves {label: values}; smooth > 1 applies a moving average of that width."""
    ax = _ax(ax)
    for label, values in curves.items():
        v = np.asarray(values, dtype=float)
        xs = np.arange(len(v)) if x is None else np.asarray(x, dtype=float)
        if smooth > 1 and len(v) >= smooth:
            v = np.convolve(v, np.ones(smooth) / smooth, mode="valid")
            xs = xs[smooth - 1:]
        ax.plot(xs, v, label=label)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title or "")
    ax.legend()
    return ax
