"""Drawing the live 2-D GAN: a Frame as a heat map of D (or the critic), real and generated points and
-grad arrows; LabCanvas renders frames to PNG bytes off-screen, redrawing only what moves (blitting)."""
from __future__ import annotations

import io
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from ..plotting import FAKE_COLOR, REAL_COLOR
from .state import Frame

# Drawn on every frame, in this order (the heat map must stay under the points and the legend).
DYNAMIC = ("image", "real", "fake", "arrows", "text", "legend", "title")


@dataclass
class LabArtists:
    """The artists of one drawn frame, so update_frame can move them without a full redraw."""

    ax: Axes
    key: tuple  # Frame.layout_key of the frame they were drawn for
    every: int  # one arrow per `every` points
    image: Artist
    real: Artist
    fake: Artist
    arrows: Artist
    text: Artist
    title: Artist
    legend: Artist

    def dynamic(self) -> list[Artist]:
        """The artists redrawn on every frame, bottom first."""
        return [getattr(self, name) for name in DYNAMIC]


def draw_frame(frame: Frame, ax: Axes | None = None, cax: Axes | None = None,
               max_arrows: int = 150) -> LabArtists:
    """Draw a GANLab frame on ax (a new figure by default), its colour bar on cax; return the artists."""
    ax = ax if ax is not None else plt.subplots(figsize=(5.5, 5))[1]
    lim, f, critic = frame.lim, frame.fake, frame.critic
    k = max(1, len(f) // max_arrows)
    image = ax.imshow(frame.values, origin="lower", extent=(-lim, lim, -lim, lim), cmap="RdBu", alpha=0.75,
                      interpolation="bilinear", vmin=-1.0 if critic else 0.0, vmax=1.0)
    label = "critic f(x), rescaled to [-1, 1]" if critic else frame.value_label
    ax.figure.colorbar(image, cax=cax, ax=None if cax is not None else ax, label=label)
    real = ax.scatter(frame.real[:, 0], frame.real[:, 1], s=5, c=REAL_COLOR, label="real")
    fake = ax.scatter(f[:, 0], f[:, 1], s=7, c=FAKE_COLOR, label="generated")
    arrows = ax.quiver(f[::k, 0], f[::k, 1], np.zeros(len(f[::k])), np.zeros(len(f[::k])), angles="xy",
                       scale_units="xy", scale=1.0, width=0.004, color="k", alpha=0.7,
                       label="$-\\nabla_x$ G loss")
    text = ax.text(0.02, 0.02, "", transform=ax.transAxes, fontsize=8, va="bottom",
                   bbox=dict(boxstyle="round", fc="white", alpha=0.8))
    ax.set(xlim=(-lim, lim), ylim=(-lim, lim), xlabel="$x_1$", ylabel="$x_2$", aspect="equal")
    ax.grid(False)
    legend = ax.legend(loc="upper right", fontsize=8, markerscale=2, framealpha=0.8)
    art = LabArtists(ax=ax, key=frame.layout_key, every=k, image=image, real=real, fake=fake, arrows=arrows,
                     text=text, title=ax.title, legend=legend)
    return update_frame(frame, art)


def update_frame(frame: Frame, art: LabArtists) -> LabArtists:
    """Move the artists drawn by draw_frame to a new frame (same layout_key); return them."""
    lim, v, f, k = frame.lim, frame.values, frame.fake, art.every
    finite = v[np.isfinite(v)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    # A critic is defined up to a constant and its scale drifts: show it rescaled to [-1, 1].
    art.image.set_data((v - (lo + hi) / 2) / max((hi - lo) / 2, 1e-12) if frame.critic else v)
    art.fake.set_offsets(f)
    a = frame.arrows[::k]
    norms = np.linalg.norm(a, axis=1)
    top = float(norms[np.isfinite(norms)].max(initial=0.0))
    scale = 0.15 * lim / top if top > 0 else 0.0  # the longest arrow is 15 % of the half-width
    art.arrows.set_offsets(f[::k])
    art.arrows.set_UVC(a[:, 0] * scale, a[:, 1] * scale)
    mm = frame.metrics
    text = "" if mm is None else (f"modes {mm['modes']}/{frame.n_modes}   HQ {mm['hq_percent']:.1f}%   "
                                  f"rev. KL {mm['reverse_kl']:.2f}\n")
    text += f"critic from {lo:.3g} to {hi:.3g}\n" if frame.critic else ""
    art.text.set_text(f"{text}longest arrow |grad| = {top:.2e}")
    art.ax.set_title(f"step {frame.step} · {frame.loss} · {frame.target}", fontsize=11)
    return art


class LabCanvas:
    """An off-screen figure (no pyplot: nothing auto-displays) that renders frames to PNG bytes.

    The static parts (axes, ticks, colour bar, real points) are drawn once per layout; each frame
    restores that background and draws only the moving artists (blitting), which is several times faster.
    """

    def __init__(self, figsize: tuple[float, float] = (6.0, 5.0), dpi: int = 72) -> None:
        self.fig = Figure(figsize=figsize, dpi=dpi)
        self.canvas = FigureCanvasAgg(self.fig)
        self.ax = self.fig.add_axes((0.1, 0.1, 0.72, 0.82))
        self.cax = self.fig.add_axes((0.85, 0.1, 0.03, 0.82))
        self.artists: LabArtists | None = None
        self._background = None

    def render(self, frame: Frame) -> bytes:
        """Draw the frame and return it as PNG bytes."""
        if self.artists is None or self.artists.key != frame.layout_key or self._background is None:
            self.ax.clear()
            self.cax.clear()
            self.artists = draw_frame(frame, ax=self.ax, cax=self.cax)
            for artist in self.artists.dynamic():
                artist.set_animated(True)  # left out of the background
            self.canvas.draw()
            self._background = self.canvas.copy_from_bbox(self.fig.bbox)
        else:
            update_frame(frame, self.artists)
        self.canvas.restore_region(self._background)
        for artist in self.artists.dynamic():
            self.ax.draw_artist(artist)
        buf = io.BytesIO()
        rgba = Image.frombuffer("RGBA", self.canvas.get_width_height(), self.canvas.buffer_rgba())
        rgba.convert("RGB").save(buf, format="png", compress_level=1)  # fast to encode, ~40-100 KB
        return buf.getvalue()
