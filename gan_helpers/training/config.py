"""A run's hyper-parameters: TrainConfig (with the papers' presets) and the tables it picks from.

What differs between objectives (loss functions, clipping, gradient penalty) comes from the
OBJECTIVES table and gh.losses, never from a second copy of the training loop.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields

import torch

from .. import losses

# objective -> (discriminator loss, generator loss or None = config.g_loss, clip weights?, penalty?)
OBJECTIVES: dict[str, tuple[str, str | None, bool, bool]] = {
    "gan": ("bce", None, False, False),
    "wgan": ("wasserstein", "wasserstein", True, False),
    "wgan-gp": ("wasserstein", "wasserstein", False, True),
    "hinge": ("hinge", "hinge", False, False),  # hinge D loss, G loss -mean D(G(z)) (SN-GAN, BigGAN)
}
OPTIMIZERS: dict[str, Callable[..., torch.optim.Optimizer]] = {
    "adam": lambda params, lr, betas, fused=None: torch.optim.Adam(params, lr=lr, betas=betas, fused=fused),
    "rmsprop": lambda params, lr, betas, fused=None: torch.optim.RMSprop(params, lr=lr),  # no fused kernel
    "sgd": lambda params, lr, betas, fused=None: torch.optim.SGD(params, lr=lr, fused=fused),
}
# Torch threads for notebook 05's convolutional recipe on the CPU (gh.utils.cpu_threads(device, n)):
# its nets are big enough for a second thread to pay off on a quiet 2-core machine (measured in 05).
DCGAN_MNIST_THREADS = 2
_FUSED_CPU = tuple(int(v) for v in torch.__version__.split(".")[:2]) >= (2, 4)  # fused CPU kernels: torch 2.4+


@dataclass
class TrainConfig:
    """Hyper-parameters of a run; the presets dcgan(), wgan(), wgan_gp() give the papers' values."""

    objective: str = "gan"  # "gan" (Goodfellow et al. 2014), "wgan" (clipping), "wgan-gp" (penalty), "hinge"
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
    def dcgan(cls, **overrides) -> TrainConfig:
        """DCGAN (Radford et al. 2015): non-saturating loss, Adam lr 2e-4, betas (0.5, 0.999), k = 1."""
        return cls(**{"objective": "gan", "g_loss": "non-saturating", "lr_g": 2e-4, "lr_d": 2e-4,
                      "betas": (0.5, 0.999), "optimizer": "adam", "n_critic": 1, **overrides})

    @classmethod
    def dcgan_mnist(cls, **overrides) -> TrainConfig:
        """The course's MNIST recipe (notebook 05, with gh.models.dcgan_mnist): DCGAN with batch 128, Adam 1.5e-3
        for both players (7.5x DCGAN's) without momentum (betas (0, 0.99)), and G's step reusing the D step's
        fakes (one G forward fewer)."""
        return cls.dcgan(**{"batch_size": 128, "lr_g": 1.5e-3, "lr_d": 1.5e-3, "betas": (0.0, 0.99),
                            "reuse_fakes": True, **overrides})

    @classmethod
    def wgan(cls, **overrides) -> TrainConfig:
        """WGAN (Arjovsky et al. 2017, Algorithm 1): RMSProp 5e-5, clip c = 0.01, n_critic 5, batch 64."""
        return cls(**{"objective": "wgan", "optimizer": "rmsprop", "lr_g": 5e-5, "lr_d": 5e-5,
                      "clip": 0.01, "n_critic": 5, "batch_size": 64, **overrides})

    @classmethod
    def wgan_gp(cls, **overrides) -> TrainConfig:
        """WGAN-GP (Gulrajani et al. 2017): lambda 10, n_critic 5, Adam 1e-4, betas (0.0, 0.9)."""
        return cls(**{"objective": "wgan-gp", "gp_lambda": 10.0, "n_critic": 5, "optimizer": "adam",
                      "lr_g": 1e-4, "lr_d": 1e-4, "betas": (0.0, 0.9), "batch_size": 64, **overrides})
