"""Training: TrainConfig (config.py), the Trainer and History (trainer.py), the critic step and
fit_critic (critic.py), samplers, latent codes and interpolation (sampling.py).

Every public name is re-exported here, so notebooks write gh.training.Trainer, gh.training.sample, ...
"""
from .config import _FUSED_CPU, DCGAN_MNIST_THREADS, OBJECTIVES, OPTIMIZERS, TrainConfig
from .critic import CriticStep, critic_step, fit_critic, grad_norm
from .sampling import Sampler, as_sampler, latent, sample, slerp
from .trainer import LOGGED_FIELDS, History, Trainer, train_gan

__all__ = ["DCGAN_MNIST_THREADS", "LOGGED_FIELDS", "OBJECTIVES", "OPTIMIZERS", "CriticStep", "History", "Sampler",
           "TrainConfig", "Trainer", "_FUSED_CPU", "as_sampler", "critic_step", "fit_critic", "grad_norm", "latent",
           "sample", "slerp", "train_gan"]
