"""The live 2-D GAN's state: GANLab drives a gh.training.Trainer and describes each picture as a Frame.

GANLab holds the state and does the work, so tests drive it without a browser (the widget in ui.py
only wires it to ipywidgets). Training is gh.training.Trainer: the lab calls its .step(); it has no
loop of its own, and it changes the loss, learning rates and n_critic through the Trainer's methods.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
import torch

from .. import data, metrics, models, training, utils

LAB_TARGETS = ("ring", "grid", "two moons")
LAB_LOSSES = ("minimax", "non-saturating", "wgan-gp")
LAB_LIMITS = {"ring": 1.6, "grid": 5.5, "two moons": 1.7}  # half-width of the plotted square
LAB_N_CRITIC = {"minimax": 1, "non-saturating": 1, "wgan-gp": 5}  # the papers' defaults


def is_critic(loss: str) -> bool:
    """True when the lab's loss trains a WGAN critic (raw scores), False for a discriminator (logits)."""
    return loss == "wgan-gp"


def _moons(n: int, generator: torch.Generator | None = None) -> torch.Tensor:
    return data.two_moons(n, generator=generator)


def lab_target(name: str) -> tuple[training.Sampler, data.GaussianMixture | None]:
    """Return (sample_real(n, generator=None) -> (n, 2), GaussianMixture or None) for a target name."""
    if name == "ring":
        mix = data.ring8()
    elif name == "grid":
        mix = data.grid25()
    elif name == "two moons":
        return _moons, None
    else:
        raise ValueError(f"target must be one of {LAB_TARGETS}, got {name!r}")
    return mix.sample, mix


@dataclass(frozen=True, eq=False)
class Frame:
    """Everything one picture of the lab needs, as numpy arrays (m = grid size, n = points shown)."""

    step: int  # generator steps since the last reset
    loss: str  # one of LAB_LOSSES
    target: str  # one of LAB_TARGETS
    lim: float  # half-width of the plotted square
    axis: np.ndarray  # (m,) grid coordinates, the same for x1 and x2
    values: np.ndarray  # (m, m): D(x) (or the critic f(x)) at (x1 = axis[j], x2 = axis[i]) in values[i, j]
    real: np.ndarray  # (n, 2) real points (the same array until the next reset)
    fake: np.ndarray  # (n, 2) generated points
    arrows: np.ndarray  # (n, 2): -grad_x of the generator loss, the direction each fake moves
    metrics: dict | None  # {modes, hq_percent, reverse_kl} on n_metric samples; None for two moons
    n_modes: int | None  # modes of the target; None for two moons
    d_loss: float  # last logged losses (NaN before the first step)
    g_loss: float

    @property
    def critic(self) -> bool:
        """True for a WGAN critic (scores), False for a discriminator (probabilities)."""
        return is_critic(self.loss)

    @property
    def value_label(self) -> str:
        return "critic f(x)" if self.critic else "D(x) = sigmoid(logit)"

    @property
    def layout_key(self) -> tuple:
        """Frames with equal keys share the static parts of a picture (axes, colour bar, real points)."""
        return (self.target, len(self.fake), self.critic, id(self.real))

    def __getitem__(self, name: str):
        """Read a field by name (frame["fake"] is frame.fake)."""
        return getattr(self, name)


class GANLab:
    """Live 2-D GAN: step(n), reset(), set_loss/set_lr/set_n_critic/set_target, frame() -> Frame."""

    def __init__(self, target: str = "ring", loss: str = "non-saturating", lr_g: float = 1e-3,
                 lr_d: float = 1e-3, n_critic: int | None = None, batch_size: int = 128, hidden: int = 128,
                 depth: int = 2, latent_dim: int = 2, seed: int = 0, n_show: int = 500,
                 n_metric: int = 2500, grid_size: int = 60, threads: int | None = 1) -> None:
        if loss not in LAB_LOSSES:
            raise ValueError(f"loss must be one of {LAB_LOSSES}, got {loss!r}")
        lab_target(target)  # validates the name
        if not 1 <= n_show <= n_metric:
            raise ValueError(f"need 1 <= n_show <= n_metric, got n_show={n_show}, n_metric={n_metric}")
        if grid_size < 2:
            raise ValueError(f"grid_size must be >= 2, got {grid_size}")
        self.target, self.loss, self.lr_g, self.lr_d = target, loss, float(lr_g), float(lr_d)
        self.n_critic = LAB_N_CRITIC[loss] if n_critic is None else n_critic
        self.batch_size, self.hidden, self.depth, self.latent_dim = batch_size, hidden, depth, latent_dim
        self.seed, self.n_show, self.n_metric, self.grid_size = seed, n_show, n_metric, grid_size
        self.threads = threads
        self.train_seconds = 0.0  # wall time spent in step(), for the steps/s readout
        self.reset()

    def _config(self) -> training.TrainConfig:
        common = dict(lr_g=self.lr_g, lr_d=self.lr_d, n_critic=self.n_critic, batch_size=self.batch_size)
        if is_critic(self.loss):  # Adam betas (0, 0.9), lambda 10 (Gulrajani et al. 2017)
            return training.TrainConfig.wgan_gp(**common)
        return training.TrainConfig.dcgan(g_loss=self.loss, **common)  # Adam betas (0.5, 0.999)

    def reset(self) -> None:
        """Fresh networks and optimisers from the seed; same target, loss and settings."""
        with utils.seeded(self.seed):  # seeded init that leaves the global RNG alone
            G = models.MLPGenerator(self.latent_dim, 2, self.hidden, self.depth)
            D = models.MLPDiscriminator(2, self.hidden, self.depth)
        self.sample_real, self.mixture = lab_target(self.target)
        self.trainer = training.Trainer(G, D, self.sample_real, self._config(), device="cpu",
                                        generator=torch.Generator().manual_seed(self.seed))
        fixed = torch.Generator().manual_seed(self.seed + 1)
        self.z = torch.randn(self.n_metric, self.latent_dim, generator=fixed)  # fixed noise: smooth motion
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
        with utils.torch_threads(self.threads):
            for _ in range(n):
                self.trainer.step()
        self.train_seconds += time.perf_counter() - t0
        return self.steps

    def set_loss(self, name: str) -> None:
        """Switch the loss, keeping the networks and history (and the Adam state when the betas agree)."""
        if name not in LAB_LOSSES:
            raise ValueError(f"loss must be one of {LAB_LOSSES}, got {name!r}")
        old = self.loss
        self.loss = name
        try:
            self.trainer.set_config(self._config())
        except Exception:
            self.loss = old
            raise

    def set_lr(self, lr_g: float | None = None, lr_d: float | None = None) -> None:
        """Change the learning rates of G and/or D in place (optimiser state kept)."""
        lr_g = self.lr_g if lr_g is None else float(lr_g)
        lr_d = self.lr_d if lr_d is None else float(lr_d)
        self.trainer.set_learning_rates(lr_g, lr_d)  # validates
        self.lr_g, self.lr_d = lr_g, lr_d

    def set_n_critic(self, k: int) -> None:
        """Discriminator (critic) steps per generator step."""
        self.trainer.set_config(replace(self.trainer.config, n_critic=k))  # validates
        self.n_critic = k

    def set_target(self, name: str) -> None:
        """Switch the target distribution and reset."""
        lab_target(name)
        self.target = name
        self.reset()

    def frame(self) -> Frame:
        """Everything one picture needs (see Frame); logs the mode metrics once per step."""
        tr = self.trainer
        tr.flush()
        lim, m = LAB_LIMITS[self.target], self.grid_size
        with utils.torch_threads(self.threads):
            fake_all = training.sample(tr.G, self.n_metric, z=self.z)  # (n_metric, 2)
            axis = torch.linspace(-lim, lim, m)
            yy, xx = torch.meshgrid(axis, axis, indexing="ij")
            with torch.no_grad():
                out = tr.D(torch.stack([xx.reshape(-1), yy.reshape(-1)], 1)).reshape(m, m)
            values = out if is_critic(self.loss) else torch.sigmoid(out)
            # The generator loss is a batch mean, so scale by n: row i is then d loss_i / d x_i.
            x = fake_all[:self.n_show].clone().requires_grad_(True)
            (grad,) = torch.autograd.grad(tr.g_loss_fn(tr.D(x)) * len(x), x)
            mm = metrics.mode_metrics(fake_all, self.mixture) if self.mixture is not None else None
        if mm is not None and (not self.metrics_log or self.metrics_log[-1][0] != self.steps):
            self.metrics_log.append((self.steps, mm))
        h = tr.history
        return Frame(step=self.steps, loss=self.loss, target=self.target, lim=lim, axis=axis.numpy(),
                     values=values.numpy(), real=self.real, fake=fake_all[:self.n_show].numpy(),
                     arrows=(-grad).numpy(), metrics=mm,
                     n_modes=None if self.mixture is None else len(self.mixture.centers),
                     d_loss=h.d_loss[-1] if h.d_loss else float("nan"),
                     g_loss=h.g_loss[-1] if h.g_loss else float("nan"))
