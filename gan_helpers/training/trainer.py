"""One training loop for GAN, WGAN and WGAN-GP: History, a steppable Trainer, train_gan.

The loop is Algorithm 1 of Goodfellow et al. (2014): n_critic discriminator (critic) steps, then one
generator step. The Trainer owns its state: set_config switches the objective, loss or any other
setting, set_learning_rates / scale_learning_rates change the rates, keeping optimizer state and history.
"""
from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace

import torch
from torch import nn
from torch.func import functional_call
from tqdm.auto import tqdm

from .. import losses
from ..conditional import WithLabels
from ..utils import keep_freed_memory
from .config import _FUSED_CPU, OBJECTIVES, OPTIMIZERS, TrainConfig
from .critic import critic_step, grad_norm
from .sampling import as_sampler, latent


@dataclass
class History:
    """Per-generator-step logs; NaN where a quantity does not apply (d_real for WGAN, w_estimate for GAN)."""

    step: list[int] = field(default_factory=list)
    d_loss: list[float] = field(default_factory=list)  # last D/critic step of the iteration (incl. gp)
    g_loss: list[float] = field(default_factory=list)
    d_real: list[float] = field(default_factory=list)  # mean sigmoid(D(x))
    d_fake: list[float] = field(default_factory=list)  # mean sigmoid(D(G(z))), fakes of the D step
    w_estimate: list[float] = field(default_factory=list)  # mean f(x) - mean f(G(z)) (wgan objectives)
    g_grad_norm: list[float] = field(default_factory=list)  # total L2 norm of G's parameter gradients
    d_grad_norm: list[float] = field(default_factory=list)
    gp: list[float] = field(default_factory=list)
    wall_time: list[float] = field(default_factory=list)  # seconds of training so far

    def as_dict(self) -> dict[str, list]:
        """Return {field name: list of values}."""
        return asdict(self)

    def __len__(self) -> int:
        return len(self.step)


# The History fields a step logs as tensors (all but the step number and the wall time), by name.
LOGGED_FIELDS = tuple(f.name for f in fields(History) if f.name not in ("step", "wall_time"))


class Trainer:
    """Steppable GAN trainer: .step() runs one generator iteration, .run(steps) many; logs into .history.

    An ensemble pair (gh.ensemble; G.ensemble_size = D.ensemble_size = E, sample_real(n) -> (E, n, ...))
    trains E independent GANs at once: every loss is scaled by E, so each member gets the gradient
    of its own mean loss; the History then logs the mean over members.
    """

    def __init__(self, G: nn.Module, D: nn.Module, sample_real: Callable[..., torch.Tensor],
                 config: TrainConfig | None = None, device: torch.device | str | None = None,
                 generator: torch.Generator | None = None) -> None:
        if not hasattr(G, "latent_dim"):
            raise ValueError("G needs an attribute latent_dim (the size of z)")
        self.members = getattr(G, "ensemble_size", None)
        if getattr(D, "ensemble_size", None) != self.members:
            raise ValueError(f"G and D must both be single networks or ensembles of the same size, got "
                             f"G.ensemble_size={self.members}, D.ensemble_size={getattr(D, 'ensemble_size', None)}")
        self.config = config if config is not None else TrainConfig()
        self.device = torch.device(device) if device is not None else next(G.parameters()).device
        self.G, self.D = G.to(self.device), D.to(self.device)
        if self.device.type == "cpu":  # Speed: oneDNN CPU convolutions run faster in NHWC (channels_last)
            for net in (G, D):
                net.to(memory_format=torch.channels_last)  # changes 4-D conv weights only; MLPs untouched
            keep_freed_memory()  # Speed: reuse freed activation memory instead of page-faulting it back
        # Samplers that accept generator= (gh.data.GaussianMixture.sample) draw from the trainer's.
        self.sample_real, self.generator = as_sampler(sample_real), generator
        self._scale = float(self.members or 1)  # sum of the members' mean losses
        self._use_objective()
        self._build_optimizers()
        self.G_ema = copy.deepcopy(G).requires_grad_(False) if self.config.ema_decay else None
        self.history = History()
        self.steps_done = 0
        self._pending: list[tuple[int, float, dict[str, torch.Tensor]]] = []
        self._train_time = 0.0

    def _use_objective(self) -> None:
        """Loss functions, clipping and penalty of self.config's objective."""
        d_name, g_name, self.clip_weights, self.use_gp = OBJECTIVES[self.config.objective]
        self.d_loss_fn = losses.get_discriminator_loss(d_name)
        self.g_loss_fn = losses.get_generator_loss(g_name or self.config.g_loss)

    def _build_optimizers(self) -> None:
        """Fresh optimizers for G and D from self.config (no state)."""
        cfg = self.config
        # Speed: one fused kernel per optimizer step instead of ~10 small ops per tensor (same update rule).
        fused = True if self.device.type == "cuda" or (self.device.type == "cpu" and _FUSED_CPU) else None
        self.opt_g = OPTIMIZERS[cfg.optimizer](self.G.parameters(), cfg.lr_g, cfg.betas, fused=fused)
        self.opt_d = OPTIMIZERS[cfg.optimizer](self.D.parameters(), cfg.lr_d, cfg.betas, fused=fused)

    def set_config(self, config: TrainConfig) -> None:
        """Switch to another config (objective, generator loss, n_critic, learning rates, ...) mid-run.

        The networks, history and step count stay. The optimizers keep their state (e.g. Adam's
        moments) and take the new learning rates when the optimizer and its betas are unchanged;
        otherwise they start afresh with the new settings.
        """
        if not isinstance(config, TrainConfig):
            raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}")
        self.flush()
        old, self.config = self.config, config
        self._use_objective()
        if (config.optimizer, config.betas) == (old.optimizer, old.betas):
            self._set_lrs(config.lr_g, config.lr_d)
        else:
            self._build_optimizers()
        if not config.ema_decay:
            self.G_ema = None
        elif self.G_ema is None:
            self.G_ema = copy.deepcopy(self.G).requires_grad_(False)

    def _set_lrs(self, lr_g: float, lr_d: float) -> None:
        for opt, lr in ((self.opt_g, lr_g), (self.opt_d, lr_d)):
            for group in opt.param_groups:
                group["lr"] = lr

    def set_learning_rates(self, lr_g: float | None = None, lr_d: float | None = None) -> None:
        """Set G's and/or D's learning rate (config and optimizers; optimizer state kept)."""
        cfg = self.config
        self.config = replace(cfg, lr_g=cfg.lr_g if lr_g is None else float(lr_g),
                              lr_d=cfg.lr_d if lr_d is None else float(lr_d))  # validates
        self._set_lrs(self.config.lr_g, self.config.lr_d)

    def scale_learning_rates(self, factor: float) -> None:
        """Multiply both players' learning rates by factor (e.g. 0.1 for a final, precise phase).

        The optimizers change; self.config keeps the base rates (a later set_config or
        set_learning_rates sets the rates from the config again).
        """
        if not factor > 0:
            raise ValueError(f"factor must be > 0, got {factor!r}")
        for opt in (self.opt_g, self.opt_d):
            for group in opt.param_groups:
                group["lr"] *= factor

    def real_batch(self, n: int) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """n real samples on the trainer's device ((E, n, ...) for an ensemble; (x, labels) if conditional)."""
        batch = self.sample_real(n, generator=self.generator)
        if isinstance(batch, (tuple, list)):  # a labelled batch: G(z, y) and D(x, y) (gh.conditional)
            return tuple(t.to(self.device) for t in batch)
        return batch.to(self.device)

    def _conditioned(self, batch) -> tuple[torch.Tensor, Callable, nn.Module]:
        """(real x, z -> fakes, D) for this batch: for (x, y), G(z, y) and D(., y) use the real labels y."""
        if not isinstance(batch, tuple):
            return batch, self.G, self.D
        if self.config.unroll_steps:
            raise ValueError("unrolled steps are not supported for conditional models")
        x, y = batch
        return x, lambda z: self.G(z, y), WithLabels(self.D, y)

    def noise(self, n: int) -> torch.Tensor:
        """n latent codes (n, G.latent_dim) ((E, n, latent_dim) for an ensemble) from the trainer's generator."""
        return latent(n, self.G.latent_dim, self.generator, self.device, self.members)

    def _unrolled_scores(self, fake: torch.Tensor) -> torch.Tensor:
        """D's scores of fake (B, ...) after unroll_steps differentiable gradient steps of D (Metz et al. 2017).

        The steps run on a functional copy of D's weights (torch.func.functional_call); the
        generator's gradient flows through them, so G anticipates how D would react. D itself
        is not changed.
        """
        cfg = self.config
        m = cfg.unroll_batch or cfg.batch_size
        params = {k: p.detach().requires_grad_(True) for k, p in self.D.named_parameters()}
        buffers = dict(self.D.named_buffers())
        for _ in range(cfg.unroll_steps):
            real, fake_u = self.real_batch(m), self.G(self.noise(m))
            loss = self.d_loss_fn(functional_call(self.D, (params, buffers), (real,)),
                                  functional_call(self.D, (params, buffers), (fake_u,)))
            grads = torch.autograd.grad(self._scale * loss, list(params.values()), create_graph=True)
            params = {k: p - cfg.unroll_lr * g for (k, p), g in zip(params.items(), grads)}
        return functional_call(self.D, (params, buffers), (fake,))

    def step(self) -> None:
        """One generator iteration: n_critic D/critic steps, then one G step (Algorithm 1)."""
        t0 = time.perf_counter()
        cfg, G, D, m = self.config, self.G, self.D, self.config.batch_size
        nan = torch.full((), math.nan, device=self.device)
        D.requires_grad_(True)
        for i in range(cfg.n_critic):  # --- discriminator / critic: k steps
            real, G_y, D_y = self._conditioned(self.real_batch(m))  # G_y, D_y = G, D unless labelled
            keep_graph = cfg.reuse_fakes and i == cfg.n_critic - 1  # speed: these fakes serve the G step too
            with torch.set_grad_enabled(keep_graph):
                fake = G_y(self.noise(m))
            d = critic_step(D_y, self.opt_d, self.d_loss_fn, real, fake.detach(),
                            clip=cfg.clip if self.clip_weights else None,
                            gp_lambda=cfg.gp_lambda if self.use_gp else None, generator=self.generator,
                            batch_dims=1 if self.members is None else 2, scale=self._scale,
                            log_grad_norm=cfg.log_grad_norms)
        D.requires_grad_(False)  # --- generator: one step; D's weights are held fixed
        fake_g = fake if cfg.reuse_fakes else G_y(self.noise(m))  # Algorithm 1 draws fresh z
        fake_out_g = self._unrolled_scores(fake_g) if cfg.unroll_steps else D_y(fake_g)
        g_loss = self.g_loss_fn(fake_out_g)
        self.opt_g.zero_grad(set_to_none=True)
        (self._scale * g_loss).backward()
        g_grad = grad_norm(list(G.parameters())) if cfg.log_grad_norms else nan
        self.opt_g.step()
        D.requires_grad_(True)
        if self.G_ema is not None:
            with torch.no_grad():  # G_ema <- decay * G_ema + (1 - decay) * G
                for p_ema, p in zip(self.G_ema.parameters(), G.parameters()):
                    p_ema.lerp_(p, 1.0 - cfg.ema_decay)
                for b_ema, b in zip(self.G_ema.buffers(), G.buffers()):
                    b_ema.copy_(b)

        with torch.no_grad():
            is_gan = cfg.objective == "gan"
            logged = {"d_loss": d.loss + d.gp, "g_loss": g_loss, "gp": d.gp, "g_grad_norm": g_grad,
                      "d_grad_norm": d.grad_norm if cfg.log_grad_norms else nan,
                      "d_real": torch.sigmoid(d.real_out).mean() if is_gan else nan,
                      "d_fake": torch.sigmoid(d.fake_out).mean() if is_gan else nan,
                      "w_estimate": nan if is_gan else d.real_out.mean() - d.fake_out.mean()}
        self.steps_done += 1
        self._train_time += time.perf_counter() - t0
        self._pending.append((self.steps_done, self._train_time,
                              {name: logged[name].detach() for name in LOGGED_FIELDS}))
        if len(self._pending) >= cfg.log_every:
            self.flush()

    def flush(self) -> None:
        """Copy the pending logged tensors to the host (one sync) and append them to history."""
        if not self._pending:
            return
        # One .tolist() per log_every steps: a .item() per step would stall the GPU pipeline each time.
        table = torch.stack([torch.stack([v[name] for name in LOGGED_FIELDS])
                             for _, _, v in self._pending]).cpu().tolist()
        for (step, wall, _), row in zip(self._pending, table):
            self.history.step.append(step)
            self.history.wall_time.append(wall)
            for name, value in zip(LOGGED_FIELDS, row):
                getattr(self.history, name).append(value)
        self._pending.clear()

    def run(self, steps: int | None = None, callback: Callable[[int, Trainer], None] | None = None,
            callback_every: int = 100, progress: bool = True) -> History:
        """Run steps generator iterations (default config.steps); callback(step, trainer) every callback_every."""
        steps = self.config.steps if steps is None else steps
        if not isinstance(steps, int) or steps < 0:
            raise ValueError(f"steps must be an int >= 0, got {steps!r}")
        if callback_every < 1:
            raise ValueError(f"callback_every must be >= 1, got {callback_every}")
        # mininterval 1 s: a notebook bar sends a message per refresh, and a runner that reads them only
        # after the cell (nbval) loses messages beyond ZeroMQ's queue of 1,000 in a long cell.
        bar = tqdm(total=steps, disable=not progress, desc=f"{self.config.objective} training", mininterval=1.0)
        try:
            for _ in range(steps):
                self.step()
                bar.update(1)
                if self.steps_done % self.config.log_every == 0 and self.history.step:
                    bar.set_postfix(d_loss=f"{self.history.d_loss[-1]:.3f}",
                                    g_loss=f"{self.history.g_loss[-1]:.3f}", refresh=False)
                if callback is not None and self.steps_done % callback_every == 0:
                    self.flush()
                    callback(self.steps_done, self)
        finally:
            bar.close()
            self.flush()
        return self.history


def train_gan(G: nn.Module, D: nn.Module, sample_real: Callable[..., torch.Tensor],
              config: TrainConfig | None = None, device: torch.device | str | None = None,
              callback: Callable[[int, Trainer], None] | None = None, callback_every: int = 100,
              progress: bool = True, generator: torch.Generator | None = None) -> History:
    """Train G against D on batches sample_real(n) -> (n, ...) for config.steps generator steps; return History."""
    trainer = Trainer(G, D, sample_real, config, device=device, generator=generator)
    return trainer.run(trainer.config.steps, callback=callback, callback_every=callback_every,
                       progress=progress)
