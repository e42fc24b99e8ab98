"""Figures for the course: drawing only (each function takes data and an optional ax, returns the ax)."""
from __future__ import annotations

from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from scipy import stats

from .utils import moving_average

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
    from torchvision.utils import make_grid  # deferred: importing torchvision costs ~1 s

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
            v, xs = moving_average(v, smooth), xs[smooth - 1:]
        ax.plot(xs, v, label=label)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title or "")
    ax.legend()
    return ax


def plot_preimage(intervals: Sequence[tuple[float, float]], zlim: tuple[float, float] = (-4.0, 4.0),
                  ax: plt.Axes | None = None, title: str | None = None) -> plt.Axes:
    """Shade a union of z-intervals [(lo, hi), ...] under the N(0, 1) density on the z axis."""
    ax = _ax(ax)
    zs = np.linspace(*zlim, 801)
    ax.plot(zs, stats.norm.pdf(zs), color="k", lw=1.5, label="N(0, 1) density of z")
    for i, (lo, hi) in enumerate(intervals):
        a, b = max(lo, zlim[0]), min(hi, zlim[1])
        if a > b:
            continue
        seg = np.linspace(a, b, 200)
        ax.fill_between(seg, stats.norm.pdf(seg), color=FAKE_COLOR, alpha=0.4,
                        label="Z(x)" if i == 0 else None)
        ax.plot([a, b], [0, 0], color=FAKE_COLOR, lw=5, solid_capstyle="butt")
    ax.set(xlim=zlim, ylim=(0, 0.45), xlabel="z", ylabel="density of z", title=title or "")
    ax.legend(loc="upper right")
    return ax


def plot_densities_1d(pdfs: dict[str, Callable], xlim: tuple[float, float] = (-4.0, 4.0),
                      ax: plt.Axes | None = None, title: str | None = None) -> plt.Axes:
    """Draw named 1-D densities {label: pdf(x: (m,)) -> (m,)} on one axis."""
    ax = _ax(ax)
    xs = np.linspace(*xlim, 801)
    colors = [REAL_COLOR, FAKE_COLOR, D_COLOR, "#9467bd", "#ff7f0e"]
    for i, (label, pdf) in enumerate(pdfs.items()):
        ys = _np(pdf(xs)).ravel()
        ax.plot(xs, ys, lw=2, color=colors[i % len(colors)], label=label)
        ax.fill_between(xs, ys, color=colors[i % len(colors)], alpha=0.15)
    ax.set(xlim=xlim, xlabel="x", ylabel="density", title=title or "")
    ax.legend(loc="upper right")
    return ax


def plot_discriminator_1d(p_data: Callable, p_g: Callable, curves: dict[str, Callable] | None = None,
                          xlim: tuple[float, float] = (-4.0, 4.0), ax: plt.Axes | None = None,
                          title: str | None = None, legend_loc: str = "upper left") -> plt.Axes:
    """Densities p_data, p_g (x: (m,) -> (m,)) on ax; curves {label: D(x: (m,)) -> (m,)} on a twin axis."""
    ax = _ax(ax)
    xs = np.linspace(*xlim, 801)
    for label, pdf, color in (("$p_{data}$", p_data, REAL_COLOR), ("$p_g$", p_g, FAKE_COLOR)):
        ys = _np(pdf(xs)).ravel()
        ax.plot(xs, ys, color=color, lw=2, label=label)
        ax.fill_between(xs, ys, color=color, alpha=0.12)
    ax.set(xlim=xlim, xlabel="x", ylabel="density", title=title or "")
    twin = ax.twinx()
    twin.spines["right"].set_visible(True)
    twin.grid(False)
    styles = ["-", "--", "-.", ":"]
    for i, (label, d) in enumerate((curves or {}).items()):
        twin.plot(xs, _np(d(xs)).ravel(), color=D_COLOR if i == 0 else "k", lw=2 if i == 0 else 1.5,
                  ls=styles[i % len(styles)], label=label)
    twin.axhline(0.5, color="gray", lw=0.8, ls=":")
    twin.set(ylim=(-0.02, 1.02), ylabel="D(x)")
    handles = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    ax.legend(handles, [h.get_label() for h in handles], loc=legend_loc, fontsize=8)
    return ax


def plot_field_2d(xx, yy, values, real=None, fake=None, ax: plt.Axes | None = None,
                  title: str | None = None, label: str = "critic f(x)", levels: int = 20,
                  s: float = 3.0) -> plt.Axes:
    """Filled contours of a scalar field values (n, m) on a meshgrid xx, yy (n, m), over real/fake points (k, 2)."""
    ax = _ax(ax)
    cs = ax.contourf(_np(xx), _np(yy), _np(values), levels=levels, cmap="coolwarm_r", alpha=0.8)
    ax.contour(_np(xx), _np(yy), _np(values), levels=levels, colors="k", linewidths=0.3, alpha=0.5)
    ax.figure.colorbar(cs, ax=ax, label=label, shrink=0.85)
    for pts, color, name in ((real, REAL_COLOR, "real"), (fake, FAKE_COLOR, "generated")):
        if pts is not None:
            p = _np(pts)
            ax.scatter(p[:, 0], p[:, 1], s=s, c=color, edgecolors="white", linewidths=0.2, label=name)
    ax.set_aspect("equal")
    ax.set(xlabel="$x_1$", ylabel="$x_2$", title=title or "")
    if real is not None or fake is not None:
        ax.legend(loc="upper right", markerscale=3)
    return ax
