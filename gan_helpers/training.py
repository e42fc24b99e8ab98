"""One training loop for GAN, WGAN and WGAN-GP: TrainConfig, a steppable Trainer, History, train_gan.

The loop is Algorithm 1 of Goodfellow et al. (2014): n_critic discriminator (critic) steps, then one
generator step. What differs between objectives (loss functions, clipping, gradient penalty) comes
from the OBJECTIVES table and gh.losses, never from a second copy of the loop.
"""
from __future__ import annotations

import copy
import inspect
import math
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Callable

import torch
from torch import nn
from torch.func import functional_call

from . import losses

# objective -> (discriminator loss, generator loss or None = config.g_loss, clip weights?, penalty?)
OBJECTIVES: dict[str, tuple[str, str | None, bool, bool]] = {
    "gan": ("bce", None, False, False),
    "wgan": ("wasserstein", "wasserstein", True, False),
    "wgan-gp": ("wasserstein", "wasserstein", False, True),
}
OPTIMIZERS: dict[str, Callable[..., torch.optim.Optimizer]] = {
    "adam": lambda params, lr, betas, fused=None: torch.optim.Adam(params, lr=lr, betas=betas, fused=fused),
    "rmsprop": lambda params, lr, betas, fused=None: torch.optim.RMSprop(params, lr=lr),  # no fused kernel
    "sgd": lambda params, lr, betas, fused=None: torch.optim.SGD(params, lr=lr, fused=fused),
}
_FUSED_CPU = tuple(int(v) for v in torch.__version__.split(".")[:2]) >= (2, 4)  # fused CPU kernels: torch 2.4+


@dataclass
class TrainConfig:
    """Hyper-parameters of a run; the presets dcgan(), wgan(), wgan_gp() give the papers' values."""

    objective: str = "gan"  # "gan" (Goodfellow et al. 2014), "wgan" (clipping), "wgan-gp" (penalty)
    g_loss: str = "non-saturating"  # objective "gan" only: "minimax" | "non-saturating" | "maximum-likelihood"
    steps: int = 1000  # generator steps (outer iterations of Algorithm 1)
    batch_size: int = 64  # m in Algorithm 1; DCGAN used 128, WGAN 64
    n_critic: int = 1  # k in Algorithm 1: D steps per G step (Goodfellow used k = 1; WGAN 5)
    lr_g: float = 2e-4  # DCGAN: Adam 2e-4
    lr_d: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)  # DCGAN: beta1 = 0.5 (0.9 oscillated)
    optimizer: str = "adam"  # "adam" | "rmsprop" (WGAN) | "sgd" (Goodfellow et al. used momentum SGD)
    clip: float | None = None  # WGAN weight clipping c (0.01 in the paper); objective "wgan" needs it
    gp_lambda: float = 10.0  # WGAN-GP penalty weight lambda (10 in the paper)
    log_every: int = 10  # move the logged numbers from the device to the host every log_every steps
    # Speed knob, left out of the repr: the G step reuses the last D step's fakes (as the PyTorch DCGAN
    # example) instead of drawing fresh z (Algorithm 1); one generator forward fewer per iteration.
    reuse_fakes: bool = field(default=False, repr=False)
    # Options shown by repr only when they differ from their defaults (so printed configs stay short):
    log_grad_norms: bool = field(default=True, repr=False)  # False: no per-step gradient norms (NaN), faster
    ema_decay: float | None = field(default=None, repr=False)  # keep an EMA of G's weights in trainer.G_ema
    unroll_steps: int = field(default=0, repr=False)  # unrolled GAN (Metz et al. 2017): D look-ahead steps
    unroll_lr: float = field(default=1e-2, repr=False)  # step size of those (plain, differentiable) steps
    unroll_batch: int | None = field(default=None, repr=False)  # samples per look-ahead step (default batch)

    def __repr__(self) -> str:
        shown = [f"{f.name}={getattr(self, f.name)!r}" for f in fields(self) if f.repr]
        shown += [f"{f.name}={getattr(self, f.name)!r}" for f in fields(self)
                  if not f.repr and getattr(self, f.name) != f.default]
        return f"TrainConfig({', '.join(shown)})"

    def __post_init__(self) -> None:
        self.betas = tuple(float(b) for b in self.betas)  # type: ignore[assignment]
        if self.objective not in OBJECTIVES:
            raise ValueError(f"unknown objective {self.objective!r}; valid: {sorted(OBJECTIVES)}")
        losses.get_generator_loss(self.g_loss)  # raises ValueError listing the valid names
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.optimizer!r}; valid: {sorted(OPTIMIZERS)}")
        for name in ("steps", "batch_size", "n_critic", "log_every"):
            value = getattr(self, name)
            low = 0 if name == "steps" else 1
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
        if not (self.lr_g > 0 and self.lr_d > 0):
            raise ValueError(f"learning rates must be > 0, got lr_g={self.lr_g}, lr_d={self.lr_d}")
        if len(self.betas) != 2 or not all(0 <= b < 1 for b in self.betas):
            raise ValueError(f"betas must be two numbers in [0, 1), got {self.betas}")
        if self.clip is not None and not self.clip > 0:
            raise ValueError(f"clip must be None or > 0, got {self.clip}")
        if self.objective == "wgan" and self.clip is None:
            raise ValueError("objective 'wgan' needs a clip value (the paper uses 0.01); "
                             "use objective 'wgan-gp' for the gradient penalty instead")
        if self.gp_lambda < 0:
            raise ValueError(f"gp_lambda must be >= 0, got {self.gp_lambda}")
        for name in ("reuse_fakes", "log_grad_norms"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be True or False, got {getattr(self, name)!r}")
        if self.ema_decay is not None and not 0 < self.ema_decay < 1:
            raise ValueError(f"ema_decay must be None or in (0, 1) (e.g. 0.999), got {self.ema_decay!r}")
        if not isinstance(self.unroll_steps, int) or isinstance(self.unroll_steps, bool) or self.unroll_steps < 0:
            raise ValueError(f"unroll_steps must be an int >= 0, got {self.unroll_steps!r}")
        if self.unroll_steps and (self.objective != "gan" or self.reuse_fakes):
            raise ValueError("unroll_steps needs objective 'gan' and reuse_fakes=False")
        if self.unroll_batch is not None and (not isinstance(self.unroll_batch, int) or self.unroll_batch < 1):
            raise ValueError(f"unroll_batch must be None or an int >= 1, got {self.unroll_batch!r}")
        if not self.unroll_lr > 0:
            raise ValueError(f"unroll_lr must be > 0, got {self.unroll_lr!r}")

    @classmethod
    def dcgan(cls, **overrides) -> "TrainConfig":
        """DCGAN (Radford et al. 2015): non-saturating loss, Adam lr 2e-4, betas (0.5, 0.999), k = 1."""
        return cls(**{"objective": "gan", "g_loss": "non-saturating", "lr_g": 2e-4, "lr_d": 2e-4,
                      "betas": (0.5, 0.999), "optimizer": "adam", "n_critic": 1, **overrides})

    @classmethod
    def wgan(cls, **overrides) -> "TrainConfig":
        """WGAN (Arjovsky et al. 2017, Algorithm 1): RMSProp 5e-5, clip c = 0.01, n_critic 5, batch 64."""
        return cls(**{"objective": "wgan", "optimizer": "rmsprop", "lr_g": 5e-5, "lr_d": 5e-5,
                      "clip": 0.01, "n_critic": 5, "batch_size": 64, **overrides})

    @classmethod
    def wgan_gp(cls, **overrides) -> "TrainConfig":
        """WGAN-GP (Gulrajani et al. 2017): lambda 10, n_critic 5, Adam 1e-4, betas (0.0, 0.9)."""
        return cls(**{"objective": "wgan-gp", "gp_lambda": 10.0, "n_critic": 5, "optimizer": "adam",
                      "lr_g": 1e-4, "lr_d": 1e-4, "betas": (0.0, 0.9), "batch_size": 64, **overrides})


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


_TENSOR_FIELDS = ("d_loss", "g_loss", "d_real", "d_fake", "w_estimate", "g_grad_norm",
                  "d_grad_norm", "gp")


def latent(n: int, latent_dim: int, generator: torch.Generator | None = None,
           device: torch.device | str | None = None, members: int | None = None) -> torch.Tensor:
    """Standard-normal latent codes (n, latent_dim) from generator (on its device), moved to device.

    members=E gives (E, n, latent_dim) for an ensemble generator: member k gets rows k*n..(k+1)*n-1.
    """
    if n < 1 or latent_dim < 1 or (members is not None and members < 1):
        raise ValueError(f"n, latent_dim and members must be >= 1, got n={n}, latent_dim={latent_dim}, "
                         f"members={members}")
    gen_device = generator.device if generator is not None else device
    z = torch.randn((members or 1) * n, latent_dim, generator=generator, device=gen_device)
    z = z if members is None else z.reshape(members, n, latent_dim)
    return z if device is None else z.to(device)


@torch.no_grad()
def sample(G: nn.Module, n: int, device: torch.device | str | None = None,
           generator: torch.Generator | None = None, z: torch.Tensor | None = None) -> torch.Tensor:
    """n samples of G in eval mode (batch norm uses running stats), on the CPU: (n, *out_shape).

    Pass z (n, latent_dim) to reuse fixed noise (for sample grids over training). An ensemble
    generator gives (E, n, *out_shape) (z of shape (E, n, latent_dim)).
    """
    device = device if device is not None else next(G.parameters()).device
    members = getattr(G, "ensemble_size", None)
    z = latent(n, G.latent_dim, generator, device, members) if z is None else z.to(device)
    was_training = G.training
    G.eval()
    try:
        return G(z).cpu()
    finally:
        G.train(was_training)


def slerp(z0: torch.Tensor, z1: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation from z0 (d,) to z1 (d,) at fractions t (T,) -> (T, d) (White 2016).

    Unlike the straight line, it keeps the norm near that of typical N(0, I) samples.
    """
    if z0.ndim != 1 or z0.shape != z1.shape or t.ndim != 1:
        raise ValueError(f"need z0, z1 of the same shape (d,) and t of shape (T,), got "
                         f"{tuple(z0.shape)}, {tuple(z1.shape)}, {tuple(t.shape)}")
    cos = torch.dot(z0, z1) / (z0.norm() * z1.norm())
    omega = torch.arccos(cos.clamp(-1.0, 1.0))
    t = t[:, None].to(z0.dtype)
    if torch.sin(omega).abs() < 1e-6:  # (anti)parallel ends: sin(omega) = 0, use the straight line
        return (1 - t) * z0 + t * z1
    return (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / torch.sin(omega)


def _grad_norm(params: list[nn.Parameter]) -> torch.Tensor:
    grads = [p.grad.detach().flatten() for p in params if p.grad is not None]
    return torch.linalg.vector_norm(torch.cat(grads)) if grads else torch.tensor(float("nan"))


class Trainer:
    """Steppable GAN trainer: .step() runs one generator iteration, .run(steps) many; logs into .history.

    An ensemble pair (gh.ensemble; G.ensemble_size = D.ensemble_size = E, sample_real(n) -> (E, n, ...))
    trains E independent GANs at once: every loss is scaled by E, so each member gets the gradient
    of its own mean loss; the History then logs the mean over members.
    """

    def __init__(self, G: nn.Module, D: nn.Module, sample_real: Callable[[int], torch.Tensor],
                 config: TrainConfig | None = None, device: torch.device | str | None = None,
                 generator: torch.Generator | None = None) -> None:
        if not hasattr(G, "latent_dim"):
            raise ValueError("G needs an attribute latent_dim (the size of z)")
        self.members = getattr(G, "ensemble_size", None)
        if getattr(D, "ensemble_size", None) != self.members:
            raise ValueError(f"G and D must both be single networks or ensembles of the same size, got "
                             f"G.ensemble_size={self.members}, D.ensemble_size={getattr(D, 'ensemble_size', None)}")
        self.config = config if config is not None else TrainConfig()
        cfg = self.config
        self.device = torch.device(device) if device is not None else next(G.parameters()).device
        self.G, self.D = G.to(self.device), D.to(self.device)
        if self.device.type == "cpu":  # Speed: oneDNN CPU convolutions run faster in NHWC (channels_last)
            for net in (G, D):
                net.to(memory_format=torch.channels_last)  # changes 4-D conv weights only; MLPs untouched
        self.sample_real, self.generator = sample_real, generator
        # Samplers that accept generator= (gh.data.GaussianMixture.sample) draw from the trainer's.
        try:
            self._pass_gen = "generator" in inspect.signature(sample_real).parameters
        except (TypeError, ValueError):
            self._pass_gen = False
        d_name, g_name, self.clip_weights, self.use_gp = OBJECTIVES[cfg.objective]
        self.d_loss_fn = losses.get_discriminator_loss(d_name)
        self.g_loss_fn = losses.get_generator_loss(g_name or cfg.g_loss)
        self._scale = float(self.members or 1)  # sum of the members' mean losses
        # Speed: one fused kernel per optimizer step instead of ~10 small ops per tensor (same update rule).
        fused = True if self.device.type == "cuda" or (self.device.type == "cpu" and _FUSED_CPU) else None
        self.opt_g = OPTIMIZERS[cfg.optimizer](G.parameters(), cfg.lr_g, cfg.betas, fused=fused)
        self.opt_d = OPTIMIZERS[cfg.optimizer](D.parameters(), cfg.lr_d, cfg.betas, fused=fused)
        self.G_ema = copy.deepcopy(G).requires_grad_(False) if cfg.ema_decay else None
        self.history = History()
        self.steps_done = 0
        self._pending: list[tuple[int, float, list[torch.Tensor]]] = []
        self._train_time = 0.0

    def real_batch(self, n: int) -> torch.Tensor:
        """n real samples on the trainer's device ((E, n, ...) for an ensemble)."""
        x = self.sample_real(n, generator=self.generator) if self._pass_gen else self.sample_real(n)
        return x.to(self.device)

    def noise(self, n: int) -> torch.Tensor:
        """n latent codes (n, G.latent_dim) ((E, n, latent_dim) for an ensemble) from the trainer's generator."""
        return latent(n, self.G.latent_dim, self.generator, self.device, self.members)

    def scale_learning_rates(self, factor: float) -> None:
        """Multiply both players' learning rates by factor (e.g. 0.1 for a final, precise phase)."""
        if not factor > 0:
            raise ValueError(f"factor must be > 0, got {factor!r}")
        for opt in (self.opt_g, self.opt_d):
            for group in opt.param_groups:
                group["lr"] *= factor

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
            real = self.real_batch(m)
            keep_graph = cfg.reuse_fakes and i == cfg.n_critic - 1  # speed: these fakes serve the G step too
            with torch.set_grad_enabled(keep_graph):
                fake = G(self.noise(m))
            real_out, fake_out = D(real), D(fake.detach())
            d_loss = self.d_loss_fn(real_out, fake_out)
            gp = (losses.gradient_penalty(D, real, fake, cfg.gp_lambda, self.generator,
                                          batch_dims=1 if self.members is None else 2)
                  if self.use_gp else torch.zeros((), device=self.device))
            self.opt_d.zero_grad(set_to_none=True)
            (self._scale * (d_loss + gp)).backward()
            d_grad = _grad_norm(list(D.parameters())) if cfg.log_grad_norms else nan
            self.opt_d.step()
            if self.clip_weights:
                losses.clip_weights_(D, cfg.clip)
        D.requires_grad_(False)  # --- generator: one step; D's weights are held fixed
        fake_g = fake if cfg.reuse_fakes else G(self.noise(m))  # Algorithm 1 draws fresh z
        fake_out_g = self._unrolled_scores(fake_g) if cfg.unroll_steps else D(fake_g)
        g_loss = self.g_loss_fn(fake_out_g)
        self.opt_g.zero_grad(set_to_none=True)
        (self._scale * g_loss).backward()
        g_grad = _grad_norm(list(G.parameters())) if cfg.log_grad_norms else nan
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
            logged = {"d_loss": d_loss + gp, "g_loss": g_loss, "gp": gp, "g_grad_norm": g_grad,
                      "d_grad_norm": d_grad,
                      "d_real": torch.sigmoid(real_out).mean() if is_gan else nan,
                      "d_fake": torch.sigmoid(fake_out).mean() if is_gan else nan,
                      "w_estimate": nan if is_gan else real_out.mean() - fake_out.mean()}
        self.steps_done += 1
        self._train_time += time.perf_counter() - t0
        self._pending.append((self.steps_done, self._train_time, [logged[k].detach() for k in _TENSOR_FIELDS]))
        if len(self._pending) >= cfg.log_every:
            self.flush()

    def flush(self) -> None:
        """Copy the pending logged tensors to the host (one sync) and append them to history."""
        if not self._pending:
            return
        # One .tolist() per log_every steps: a .item() per step would stall the GPU pipeline each time.
        table = torch.stack([torch.stack(v) for _, _, v in self._pending]).cpu().tolist()
        for (step, wall, _), row in zip(self._pending, table):
            self.history.step.append(step)
            self.history.wall_time.append(wall)
            for name, value in zip(_TENSOR_FIELDS, row):
                getattr(self.history, name).append(value)
        self._pending.clear()

    def run(self, steps: int | None = None, callback: Callable[[int, "Trainer"], None] | None = None,
            callback_every: int = 100, progress: bool = True) -> History:
        """Run steps generator iterations (default config.steps); callback(step, trainer) every callback_every."""
        from tqdm.auto import tqdm

        steps = self.config.steps if steps is None else steps
        if not isinstance(steps, int) or steps < 0:
            raise ValueError(f"steps must be an int >= 0, got {steps!r}")
        if callback_every < 1:
            raise ValueError(f"callback_every must be >= 1, got {callback_every}")
        bar = tqdm(total=steps, disable=not progress, desc=f"{self.config.objective} training")
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


def train_gan(G: nn.Module, D: nn.Module, sample_real: Callable[[int], torch.Tensor],
              config: TrainConfig | None = None, device: torch.device | str | None = None,
              callback: Callable[[int, Trainer], None] | None = None, callback_every: int = 100,
              progress: bool = True, generator: torch.Generator | None = None) -> History:
    """Train G against D on batches sample_real(n) -> (n, ...) for config.steps generator steps; return History."""
    trainer = Trainer(G, D, sample_real, config, device=device, generator=generator)
    return trainer.run(trainer.config.steps, callback=callback, callback_every=callback_every,
                       progress=progress)


# --------------------------------------------------------------------------- a critic alone (notebook 06)


def fit_critic(D: nn.Module, sample_p: Callable[[int], torch.Tensor], sample_q: Callable[[int], torch.Tensor],
               config: TrainConfig | None = None, steps: int = 500,
               generator: torch.Generator | None = None) -> list[float]:
    """Train D alone to tell P (real, sample_p(n) -> (n, ...)) from a FIXED Q (sample_q); return its loss per step.

    No generator: the discriminator/critic half of Trainer.step with config's loss, optimizer, lr_d,
    betas, clipping or gradient penalty and batch_size (default TrainConfig.wgan_gp()). Samplers that
    accept generator= draw from `generator`.
    """
    cfg = config if config is not None else TrainConfig.wgan_gp()
    if not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be an int >= 0, got {steps!r}")
    d_name, _, clip, use_gp = OBJECTIVES[cfg.objective]
    d_loss_fn = losses.get_discriminator_loss(d_name)
    opt = OPTIMIZERS[cfg.optimizer](D.parameters(), cfg.lr_d, cfg.betas)
    device = next(D.parameters()).device

    def draw(sampler: Callable, n: int) -> torch.Tensor:
        try:
            takes_gen = "generator" in inspect.signature(sampler).parameters
        except (TypeError, ValueError):
            takes_gen = False
        return (sampler(n, generator=generator) if takes_gen else sampler(n)).to(device)

    out = []
    for _ in range(steps):
        real, fake = draw(sample_p, cfg.batch_size), draw(sample_q, cfg.batch_size)
        loss = d_loss_fn(D(real), D(fake))
        if use_gp:
            loss = loss + losses.gradient_penalty(D, real, fake, cfg.gp_lambda, generator)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if clip:
            losses.clip_weights_(D, cfg.clip)
        out.append(loss.detach())
    return torch.stack(out).cpu().tolist() if out else []
