"""The live trainer's widget: LabWidget wires a GANLab and a LabCanvas to ipywidgets controls.

Every callback is a method of LabWidget, so tests (and a notebook cell) drive the widget through
its .controls without a browser; displaying a LabWidget shows its ipywidgets box (.view).
"""
from __future__ import annotations

import time
from collections.abc import Callable

import ipywidgets as W

from .canvas import LabCanvas
from .state import LAB_LOSSES, LAB_N_CRITIC, LAB_TARGETS, Frame, GANLab


def lab_status(frame: Frame, steps_per_s: float, redraw_ms: float) -> str:
    """One HTML line under the figure: step, losses, mode metrics, speed."""
    mm = frame.metrics
    modes = "" if mm is None else (f" · modes {mm['modes']}/{frame.n_modes} · HQ {mm['hq_percent']:.1f}%"
                                   f" · reverse KL {mm['reverse_kl']:.3f}")
    return (f"<code>step {frame.step} · D loss {frame.d_loss:.3f} · G loss {frame.g_loss:.3f}{modes}"
            f" · {steps_per_s:.0f} steps/s · redraw {redraw_ms:.0f} ms</code>")


class LabWidget:
    """Play/pause (W.Play), step, reset, target, loss, learning rates and n_critic for one GANLab.

    .lab is the GANLab, .canvas its LabCanvas, .controls the control widgets by name, .view the box
    shown in the notebook; .redraw() shows the lab's current frame.
    """

    def __init__(self, lab: GANLab, steps_per_frame: int = 10) -> None:
        self.lab, self.canvas = lab, LabCanvas()
        self.steps_per_s, self.redraw_ms = 0.0, 0.0
        short = dict(style={"description_width": "70px"}, layout=W.Layout(width="250px"))
        c = self.controls = dict(
            play=W.Play(value=0, min=0, max=10**9, step=1, interval=200, show_repeat=False,
                        tooltip="play / pause"),
            step=W.Button(description="Step", icon="step-forward", tooltip="train steps/frame steps"),
            reset=W.Button(description="Reset", icon="refresh", tooltip="new networks from the seed"),
            target=W.Dropdown(options=LAB_TARGETS, value=lab.target, description="target", **short),
            loss=W.Dropdown(options=LAB_LOSSES, value=lab.loss, description="loss", **short),
            lr_g=W.FloatLogSlider(value=lab.lr_g, base=10, min=-5, max=-1.5, description="lr G",
                                  readout_format=".0e", **short),
            lr_d=W.FloatLogSlider(value=lab.lr_d, base=10, min=-5, max=-1.5, description="lr D",
                                  readout_format=".0e", **short),
            n_critic=W.IntSlider(value=lab.n_critic, min=1, max=10, description="n_critic", **short),
            steps_per_frame=W.IntSlider(value=steps_per_frame, min=1, max=100, description="steps/frame",
                                        **short),
            image=W.Image(format="png"), status=W.HTML())
        c["play"].observe(self._guarded(self.on_tick), "value")
        c["step"].on_click(self._guarded(self.on_step))
        c["reset"].on_click(self._guarded(self.on_reset))
        c["target"].observe(self._guarded(self.on_target), "value")
        c["loss"].observe(self._guarded(self.on_loss), "value")
        c["lr_g"].observe(self._guarded(self.on_lr), "value")
        c["lr_d"].observe(self._guarded(self.on_lr), "value")
        c["n_critic"].observe(self._guarded(self.on_n_critic), "value")
        self.redraw()
        buttons = W.HBox([c["play"], c["step"], c["reset"]])
        panel = W.VBox([buttons] + [c[k] for k in ("target", "loss", "lr_g", "lr_d", "n_critic",
                                                   "steps_per_frame")])
        self.view = W.VBox([W.HBox([c["image"], panel]), c["status"]])

    def _repr_mimebundle_(self, **kwargs):
        return self.view._repr_mimebundle_(**kwargs)

    def redraw(self) -> None:
        """Render the lab's current frame into the image and update the status line."""
        t0 = time.perf_counter()
        frame = self.lab.frame()
        self.controls["image"].value = self.canvas.render(frame)
        self.redraw_ms = 1000 * (time.perf_counter() - t0)
        self.controls["status"].value = lab_status(frame, self.steps_per_s, self.redraw_ms)

    def _guarded(self, fn: Callable) -> Callable:
        """A callback whose error shows under the figure instead of vanishing into the log."""
        def run(*args) -> None:
            try:
                fn(*args)
            except Exception as err:
                self.controls["play"].playing = False
                self.controls["status"].value = f"<b style='color:#d62728'>{type(err).__name__}: {err}</b>"
        return run

    def on_step(self, _=None) -> None:
        t0, n = time.perf_counter(), self.controls["steps_per_frame"].value
        self.lab.step(n)
        self.steps_per_s = n / max(time.perf_counter() - t0, 1e-9)
        self.redraw()

    def on_tick(self, change: dict) -> None:
        if change["new"] <= change["old"]:  # the stop button rewinds to 0: no step
            return
        t0 = time.perf_counter()
        self.on_step()
        # Tick no faster than the kernel can serve, so pause acts at once (no queue of ticks).
        self.controls["play"].interval = max(50, int(1200 * (time.perf_counter() - t0)))

    def on_reset(self, _=None) -> None:
        self.controls["play"].playing = False
        self.lab.reset()
        self.redraw()

    def on_target(self, change: dict) -> None:
        self.lab.set_target(change["new"])
        self.redraw()

    def on_loss(self, change: dict) -> None:
        self.lab.set_loss(change["new"])
        self.controls["n_critic"].value = LAB_N_CRITIC[change["new"]]  # triggers on_n_critic
        self.redraw()

    def on_lr(self, _=None) -> None:
        self.lab.set_lr(self.controls["lr_g"].value, self.controls["lr_d"].value)

    def on_n_critic(self, change: dict) -> None:
        self.lab.set_n_critic(change["new"])


def gan_lab(target: str = "ring", loss: str = "non-saturating", steps_per_frame: int = 10,
            **lab_kwargs) -> LabWidget:
    """The live trainer widget for GANLab(target, loss, **lab_kwargs); display it (last line of a cell)."""
    return LabWidget(GANLab(target, loss, **lab_kwargs), steps_per_frame)
