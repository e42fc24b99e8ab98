"""gh.training.fit_critic (notebook 06): a critic or discriminator trained alone between two fixed laws."""
import math

import pytest
import torch

import gan_helpers as gh

T = gh.training


def gaussian(mu: float):
    def sample(n, generator=None):
        return mu + torch.randn(n, 1, generator=generator)
    return sample


def test_linear_gp_critic_reaches_the_penalised_optimum():
    # f(x) = w x + b between N(0, 1) and N(d, 1): the objective -|w| d + lambda (|w| - 1)^2 is minimised
    # at |w| = 1 + d / (2 lambda), so the critic's estimate is d + d^2 / (2 lambda) (2.2 for d = 2, lambda = 10)
    torch.manual_seed(0)
    critic = torch.nn.Linear(1, 1)
    cfg = T.TrainConfig.wgan_gp(lr_d=1e-2, batch_size=512)
    losses = T.fit_critic(critic, gaussian(0.0), gaussian(2.0), cfg, steps=600,
                          generator=torch.Generator().manual_seed(1))
    assert len(losses) == 600
    w = critic.weight.item()
    assert abs(w - (-1.1)) < 0.03  # the real law sits at 0 < 2: the critic slopes down
    assert losses[-1] < losses[0]


def test_bce_discriminator_learns_the_log_density_ratio():
    # logit*(x) = log N(x; 0, 1) - log N(x; 2, 1) = -2 x + 2 (Goodfellow et al. 2014, Proposition 1)
    torch.manual_seed(0)
    disc = torch.nn.Linear(1, 1)
    cfg = T.TrainConfig.dcgan(lr_d=2e-2, batch_size=1024)
    T.fit_critic(disc, gaussian(0.0), gaussian(2.0), cfg, steps=800, generator=torch.Generator().manual_seed(2))
    assert abs(disc.weight.item() + 2.0) < 0.2 and abs(disc.bias.item() - 2.0) < 0.2


def test_clipping_keeps_weights_in_the_box():
    torch.manual_seed(0)
    critic = gh.models.MLPDiscriminator(in_dim=1, hidden=8)
    T.fit_critic(critic, gaussian(0.0), gaussian(1.0), T.TrainConfig.wgan(), steps=5)
    assert max(p.abs().max().item() for p in critic.parameters()) <= 0.01 + 1e-9


def test_samplers_without_generator_and_bad_steps():
    critic = torch.nn.Linear(1, 1)
    assert len(T.fit_critic(critic, lambda n: torch.zeros(n, 1), lambda n: torch.ones(n, 1), steps=3)) == 3
    assert T.fit_critic(critic, gaussian(0.0), gaussian(1.0), steps=0) == []
    with pytest.raises(ValueError, match="steps"):
        T.fit_critic(critic, gaussian(0.0), gaussian(1.0), steps=-1)
    assert math.isfinite(critic.weight.item())
