"""The live 2-D GAN trainer ("GAN Lab"): GANLab state driven by gh.training.Trainer, and its widget."""
from __future__ import annotations

import contextlib
import io
import time
from dataclasses import replace as _replace

import ipywidgets as W
import torch

from .plotting import LAB_DYNAMIC, draw_lab_frame, update_lab_frame

# GANLab holds the state and does the work, so tests drive it without a browser; gan_lab() only wires
# it to ipywidgets. Training is gh.training.Trainer: the lab calls its .step(), it has no loop of its own.

LAB_TARGETS = ("ring", "grid", "two moons")
LAB_LOSSES = ("minimax", "non-saturating", "wgan-gp")
LAB_LIMITS = {"ring": 1.6, "grid": 5.5, "two moons": 1.7}  # half-width of the plotted square
LAB_N_CRITIC = {"minimax": 1, "non-saturating": 1, "wgan-gp": 5}  # the papers' defaults


def _lab_target(name: str):
    """Return (sample_real(n, generator) -> (n, 2), GaussianMixture or None) for a target name."""
    from . import data

    if name == "ring":
        mix = data.ring8()
    elif name == "grid":
        mix = data.grid25()
    elif name == "two moons":
        def moons(n: int, generator: torch.Generator | None = None) -> torch.Tensor:
            return data.two_moons(n, generator=generator)
        return moons, None
    else:
        raise ValueError(f"target must be one of {LAB_TARGETS}, got {name!r}")
    return mix.sample, mix


@contextlib.contextmanager
def _torch_threads(n: int | None):
    """Run torch on n threads inside the block, then restore (tiny nets thrash on 2 busy cores)."""
    old = torch.get_num_threads()
    if n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


class GANLab:
    """Live 2-D GAN: step(n), reset(), set_loss/set_lr/set_n_critic/set_target, frame() -> dict of arrays."""

    def __init__(self, target: str = "ring", loss: str = "non-saturating", lr_g: float = 1e-3,
                 lr_d: float = 1e-3, n_critic: int | None = None, batch_size: int = 128, hidden: int = 128,
                 depth: int = 2, latent_dim: int = 2, seed: int = 0, n_show: int = 500,
                 n_metric: int = 2500, grid_size: int = 60, threads: int | None = 1) -> None:
        if loss not in LAB_LOSSES:
            raise ValueError(f"loss must be one of {LAB_LOSSES}, got {loss!r}")
        _lab_target(target)  # validates the name
        if not 1 <= n_show <= n_metric:
            raise ValueError(f"need 1 <= n_show <= n_metric, got n_show={n_show}, n_metric={n_metric}")
        if grid_size < 2:
            raise ValueError(f"grid_size must be >= 2, got {grid_size}")
        self.target, self.loss, self.lr_g, self.lr_d = target, loss, float(lr_g), float(lr_d)
        self.n_critic = LAB_N_CRITIC[loss] if n_critic is None else n_critic
        self.batch_size, self.hidden, self.depth, self.latent_dim = batch_size, hidden, depth, latent_dim
        self.seed, self.n_show, self.n_metric, self.grid_size, self.threads = seed, n_show, n_metric, grid_size, threads
        self.train_seconds = 0.0  # wall time spent in step(), for the steps/s readout
        self.reset()

    def _config(self):
        from .training import TrainConfig

        common = dict(lr_g=self.lr_g, lr_d=self.lr_d, n_critic=self.n_critic, batch_size=self.batch_size)
        if self.loss == "wgan-gp":  # Adam betas (0, 0.9), lambda 10 (Gulrajani et al. 2017)
            return TrainConfig.wgan_gp(**common)
        return TrainConfig.dcgan(g_loss=self.loss, **common)  # Adam betas (0.5, 0.999)

    def reset(self) -> None:
        """Fresh networks and optimisers from the seed; same target, loss and settings."""
        from .models import MLPDiscriminator, MLPGenerator
        from .training import Trainer

        with torch.random.fork_rng(devices=[]):  # seeded init that leaves the global RNG alone
            torch.manual_seed(self.seed)
            G = MLPGenerator(self.latent_dim, 2, self.hidden, self.depth)
            D = MLPDiscriminator(2, self.hidden, self.depth)
        self.sample_real, self.mixture = _lab_target(self.target)
        self.trainer = Trainer(G, D, self.sample_real, self._config(), device="cpu",
                               generator=torch.Generator().manual_seed(self.seed))
        fixed = torch.Generator().manual_seed(self.seed + 1)
        self.z = torch.randn(self.n_metric, self.latent_dim, generator=fixed)  # fixed noise: points move smoothly
        self.real = self.sample_real(self.n_show, generator=fixed).numpy()
        self.metrics_log: list[tuple[int, dict]] = []
        self.train_seconds = 0.0

    @property
    def steps(self) -> int:
        """Generator steps done since the last reset."""
        return self.trainer.steps_done

    def step(self, n: int = 1) -> int:
        """Run n generator iterations of the Trainer (each with n_critic D steps); return the step count."""
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be an int >= 1, got {n!r}")
        t0 = time.perf_counter()
        with _torch_threads(self.threads):
            for _ in range(n):
                self.trainer.step()
        self.train_seconds += time.perf_counter() - t0
        return self.steps

    def set_loss(self, name: str) -> None:
        """Switch the loss, keeping the networks (and the Adam state when the betas agree)."""
        from .training import Trainer

        if name not in LAB_LOSSES:
            raise ValueError(f"loss must be one of {LAB_LOSSES}, got {name!r}")
        old = self.trainer
        old.flush()
        self.loss = name
        new = Trainer(old.G, old.D, self.sample_real, self._config(), device="cpu", generator=old.generator)
        if new.config.betas == old.config.betas:
            new.opt_g.load_state_dict(old.opt_g.state_dict())
            new.opt_d.load_state_dict(old.opt_d.state_dict())
        new.history, new.steps_done = old.history, old.steps_done
        self.trainer = new

    def set_lr(self, lr_g: float | None = None, lr_d: float | None = None) -> None:
        """Change the learning rates of G and/or D in place (optimiser state kept)."""
        lr_g = self.lr_g if lr_g is None else float(lr_g)
        lr_d = self.lr_d if lr_d is None else float(lr_d)
        self.trainer.config = _replace(self.trainer.config, lr_g=lr_g, lr_d=lr_d)  # validates
        self.lr_g, self.lr_d = lr_g, lr_d
        for opt, lr in ((self.trainer.opt_g, lr_g), (self.trainer.opt_d, lr_d)):
            for group in opt.param_groups:
                group["lr"] = lr

    def set_n_critic(self, k: int) -> None:
        """Discriminator (critic) steps per generator step."""
        self.trainer.config = _replace(self.trainer.config, n_critic=k)  # validates
        self.n_critic = k

    def set_target(self, name: str) -> None:
        """Switch the target distribution and reset."""
        _lab_target(name)
        self.target = name
        self.reset()

    def frame(self) -> dict:
        """Everything one picture needs, as numpy arrays (see the keys); logs the mode metrics."""
        from . import metrics
        from .training import sample

        tr = self.trainer
        tr.flush()
        lim, m = LAB_LIMITS[self.target], self.grid_size
        gan = self.loss != "wgan-gp"
        with _torch_threads(self.threads):
            fake_all = sample(tr.G, self.n_metric, z=self.z)  # (n_metric, 2)
            axis = torch.linspace(-lim, lim, m)
            yy, xx = torch.meshgrid(axis, axis, indexing="ij")
            with torch.no_grad():
                out = tr.D(torch.stack([xx.reshape(-1), yy.reshape(-1)], 1)).reshape(m, m)
            values = torch.sigmoid(out) if gan else out
            # The generator loss is a batch mean, so scale by n: row i is then d loss_i / d x_i.
            x = fake_all[:self.n_show].clone().requires_grad_(True)
            (grad,) = torch.autograd.grad(tr.g_loss_fn(tr.D(x)) * len(x), x)
            mm = metrics.mode_metrics(fake_all, self.mixture) if self.mixture is not None else None
        if mm is not None and (not self.metrics_log or self.metrics_log[-1][0] != self.steps):
            self.metrics_log.append((self.steps, mm))
        h = tr.history
        return {
            "step": self.steps, "loss": self.loss, "target": self.target, "lim": lim,
            "axis": axis.numpy(),  # (m,) grid coordinates, the same for x1 and x2
            "values": values.numpy(),  # (m, m): values[i, j] at (x1 = axis[j], x2 = axis[i])
            "value_label": "D(x) = sigmoid(logit)" if gan else "critic f(x)",
            "real": self.real, "fake": fake_all[:self.n_show].numpy(),  # (n_show, 2) each
            "arrows": (-grad).numpy(),  # (n_show, 2): -grad_x of the generator loss, moves the fakes
            "metrics": mm,  # {modes, hq_percent, reverse_kl} on n_metric samples, None for two moons
            "n_modes": None if self.mixture is None else len(self.mixture.centers),
            "d_loss": h.d_loss[-1] if h.d_loss else float("nan"),
            "g_loss": h.g_loss[-1] if h.g_loss else float("nan"),
        }


class LabCanvas:
    """An off-screen figure (no pyplot: nothing auto-displays) that renders frames to PNG bytes.

    The static parts (axes, ticks, colour bar, real points) are drawn once; each frame restores that
    background and draws only the moving artists (blitting), which is several times faster.
    """

    def __init__(self, figsize: tuple[float, float] = (6.0, 5.0), dpi: int = 72) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.fig = Figure(figsize=figsize, dpi=dpi)
        self.canvas = FigureCanvasAgg(self.fig)
        self.ax = self.fig.add_axes((0.1, 0.1, 0.72, 0.82))
        self.cax = self.fig.add_axes((0.85, 0.1, 0.03, 0.82))
        self._background = None

    def render(self, frame: dict) -> bytes:
        """Draw the frame and return it as PNG bytes."""
        from PIL import Image

        art = getattr(self.ax, "gan_lab", None)
        key = (frame["target"], len(frame["fake"]), frame["loss"] != "wgan-gp", id(frame["real"]))
        if art is None or art["key"] != key or self._background is None:
            self.ax.clear()
            self.cax.clear()
            art = draw_lab_frame(frame, ax=self.ax, cax=self.cax).gan_lab
            for name in LAB_DYNAMIC:
                art[name].set_animated(True)  # left out of the background
            self.canvas.draw()
            self._background = self.canvas.copy_from_bbox(self.fig.bbox)
        else:
            update_lab_frame(frame, self.ax)
        self.canvas.restore_region(self._background)
        for name in LAB_DYNAMIC:
            self.ax.draw_artist(art[name])
        buf = io.BytesIO()
        rgba = Image.frombuffer("RGBA", self.canvas.get_width_height(), self.canvas.buffer_rgba())
        rgba.convert("RGB").save(buf, format="png", compress_level=1)  # fast to encode, ~40-100 KB
        return buf.getvalue()


def lab_status(frame: dict, steps_per_s: float, redraw_ms: float) -> str:
    """One HTML line under the figure: step, losses, mode metrics, speed."""
    mm = frame["metrics"]
    modes = "" if mm is None else (f" · modes {mm['modes']}/{frame['n_modes']} · HQ {mm['hq_percent']:.1f}%"
                                   f" · reverse KL {mm['reverse_kl']:.3f}")
    return (f"<code>step {frame['step']} · D loss {frame['d_loss']:.3f} · G loss {frame['g_loss']:.3f}{modes}"
            f" · {steps_per_s:.0f} steps/s · redraw {redraw_ms:.0f} ms</code>")


def gan_lab(target: str = "ring", loss: str = "non-saturating", steps_per_frame: int = 10,
            **lab_kwargs) -> W.VBox:
    """The live trainer widget: play/pause (W.Play), step, reset, target, loss, learning rates, n_critic."""
    lab = GANLab(target, loss, **lab_kwargs)
    canvas = LabCanvas()
    image, status = W.Image(format="png"), W.HTML()
    play = W.Play(value=0, min=0, max=10**9, step=1, interval=200, show_repeat=False,
                  tooltip="play / pause")
    step_btn = W.Button(description="Step", icon="step-forward", tooltip="train steps/frame steps")
    reset_btn = W.Button(description="Reset", icon="refresh", tooltip="new networks from the seed")
    short = dict(style={"description_width": "70px"}, layout=W.Layout(width="250px"))
    target_dd = W.Dropdown(options=LAB_TARGETS, value=target, description="target", **short)
    loss_dd = W.Dropdown(options=LAB_LOSSES, value=loss, description="loss", **short)
    lr_g = W.FloatLogSlider(value=lab.lr_g, base=10, min=-5, max=-1.5, description="lr G",
                            readout_format=".0e", **short)
    lr_d = W.FloatLogSlider(value=lab.lr_d, base=10, min=-5, max=-1.5, description="lr D",
                            readout_format=".0e", **short)
    n_critic = W.IntSlider(value=lab.n_critic, min=1, max=10, description="n_critic", **short)
    spf = W.IntSlider(value=steps_per_frame, min=1, max=100, description="steps/frame", **short)
    speed = {"steps_per_s": 0.0, "redraw_ms": 0.0}

    def redraw() -> None:
        t0 = time.perf_counter()
        f = lab.frame()
        image.value = canvas.render(f)
        speed["redraw_ms"] = 1000 * (time.perf_counter() - t0)
        status.value = lab_status(f, speed["steps_per_s"], speed["redraw_ms"])

    def guarded(fn):  # a callback error shows under the figure instead of vanishing into the log
        def run(*args) -> None:
            try:
                fn(*args)
            except Exception as err:
                play.playing = False
                status.value = f"<b style='color:#d62728'>{type(err).__name__}: {err}</b>"
        return run

    @guarded
    def on_step(_=None) -> None:
        t0, n = time.perf_counter(), spf.value
        lab.step(n)
        speed["steps_per_s"] = n / max(time.perf_counter() - t0, 1e-9)
        redraw()

    @guarded
    def on_tick(change: dict) -> None:
        if change["new"] <= change["old"]:  # the stop button rewinds to 0: no step
            return
        t0 = time.perf_counter()
        on_step()
        # Tick no faster than the kernel can serve, so pause acts at once (no queue of ticks).
        play.interval = max(50, int(1200 * (time.perf_counter() - t0)))

    @guarded
    def on_reset(_=None) -> None:
        play.playing = False
        lab.reset()
        redraw()

    @guarded
    def on_target(change: dict) -> None:
        lab.set_target(change["new"])
        redraw()

    @guarded
    def on_loss(change: dict) -> None:
        lab.set_loss(change["new"])
        n_critic.value = LAB_N_CRITIC[change["new"]]  # triggers on_n_critic
        redraw()

    @guarded
    def on_lr(_=None) -> None:
        lab.set_lr(lr_g.value, lr_d.value)

    @guarded
    def on_n_critic(change: dict) -> None:
        lab.set_n_critic(change["new"])

    play.observe(on_tick, "value")
    step_btn.on_click(on_step)
    reset_btn.on_click(on_reset)
    target_dd.observe(on_target, "value")
    loss_dd.observe(on_loss, "value")
    lr_g.observe(on_lr, "value")
    lr_d.observe(on_lr, "value")
    n_critic.observe(on_n_critic, "value")
    redraw()
    buttons = W.HBox([play, step_btn, reset_btn])
    controls = W.VBox([buttons, target_dd, loss_dd, lr_g, lr_d, n_critic, spf])
    box = W.VBox([W.HBox([image, controls]), status])
    box.lab, box.redraw = lab, redraw  # for tests and for scripting the widget from a cell
    box.controls = dict(play=play, step=step_btn, reset=reset_btn, target=target_dd, loss=loss_dd,
                        lr_g=lr_g, lr_d=lr_d, n_critic=n_critic, steps_per_frame=spf, image=image, status=status)
    return box