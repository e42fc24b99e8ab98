"""gh.losses against hand-computed values, signs, and the gradient penalty on a linear critic."""
import math

import pytest
import torch
from torch import nn

from gan_helpers import losses

LOG2 = math.log(2.0)


def test_bce_at_logit_zero_is_two_log_two():
    zeros = torch.zeros(7, 1)
    assert losses.d_loss_bce(zeros, zeros).item() == pytest.approx(2 * LOG2, abs=1e-6)
    # equals the mean BCE over the concatenated batch times 2
    r, f = torch.randn(5, 1), torch.randn(5, 1)
    bce = nn.BCEWithLogitsLoss()(torch.cat([r, f]), torch.cat([torch.ones(5, 1), torch.zeros(5, 1)]))
    assert losses.d_loss_bce(r, f).item() == pytest.approx(2 * bce.item(), rel=1e-6)


def test_bce_hand_values_and_stability():
    # real logit 2, fake logit -1: -log sigmoid(2) - log(1 - sigmoid(-1)) = log(1+e^-2) + log(1+e^-1)
    want = math.log1p(math.exp(-2)) + math.log1p(math.exp(-1))
    got = losses.d_loss_bce(torch.tensor([[2.0]]), torch.tensor([[-1.0]]))
    assert got.item() == pytest.approx(want, rel=1e-6)
    # extreme logits stay finite (a naive log(sigmoid) would give inf)
    big = losses.d_loss_bce(torch.tensor([[-200.0]]), torch.tensor([[200.0]]))
    assert big.item() == pytest.approx(400.0, rel=1e-6)


def test_generator_losses_at_zero_and_hand_values():
    z = torch.zeros(4, 1)
    assert losses.g_loss_minimax(z).item() == pytest.approx(-LOG2, abs=1e-6)
    assert losses.g_loss_non_saturating(z).item() == pytest.approx(LOG2, abs=1e-6)
    assert losses.g_loss_maximum_likelihood(z).item() == pytest.approx(-1.0, abs=1e-6)
    l = torch.tensor([[-3.0], [1.0]])
    d = torch.sigmoid(l)
    assert losses.g_loss_minimax(l).item() == pytest.approx(torch.log(1 - d).mean().item(), rel=1e-5)
    assert losses.g_loss_non_saturating(l).item() == pytest.approx(-torch.log(d).mean().item(), rel=1e-5)
    assert losses.g_loss_maximum_likelihood(l).item() == pytest.approx(
        -(d / (1 - d)).mean().item(), rel=1e-5)


def test_saturating_gradient_vanishes_non_saturating_does_not():
    """At D(G(z)) ~ 0 (logit -10): d/dl of log(1 - D) is -D ~ -4.5e-5; of -log D it is -(1 - D) ~ -1."""
    l = torch.tensor([[-10.0]], requires_grad=True)
    (g_sat,) = torch.autograd.grad(losses.g_loss_minimax(l), l)
    (g_ns,) = torch.autograd.grad(losses.g_loss_non_saturating(l), l)
    assert g_sat.item() == pytest.approx(-torch.sigmoid(torch.tensor(-10.0)).item(), rel=1e-4)
    assert g_ns.item() == pytest.approx(-(1 - torch.sigmoid(torch.tensor(-10.0))).item(), rel=1e-4)


def test_wasserstein_signs():
    real, fake = torch.tensor([[1.0], [3.0]]), torch.tensor([[0.5], [-0.5]])
    assert losses.critic_loss_wasserstein(real, fake).item() == pytest.approx(0.0 - 2.0)
    # raising the real scores lowers the critic loss; the generator wants high fake scores
    assert losses.critic_loss_wasserstein(real + 1, fake) < losses.critic_loss_wasserstein(real, fake)
    assert losses.g_loss_wasserstein(fake + 1) < losses.g_loss_wasserstein(fake)
    assert losses.g_loss_wasserstein(fake).item() == pytest.approx(0.0)


class Linear(nn.Module):
    """Critic f(x) = <w, x> over all non-batch dims: gradient w everywhere, norm |w| per sample."""

    def __init__(self, w: torch.Tensor):
        super().__init__()
        self.w = nn.Parameter(w)

    def forward(self, x):
        return (x.flatten(1) * self.w.flatten()).sum(1, keepdim=True)


@pytest.mark.parametrize("shape", [(8, 2), (5, 1, 28, 28)])
def test_gradient_penalty_linear_critic(shape):
    g = torch.Generator().manual_seed(0)
    w = torch.randn(shape[1:], generator=g)
    critic = Linear(w)
    real, fake = torch.randn(shape, generator=g), torch.randn(shape, generator=g)
    gp = losses.gradient_penalty(critic, real, fake, gp_lambda=10.0, generator=g)
    want = 10.0 * (w.norm().item() - 1) ** 2
    assert gp.item() == pytest.approx(want, rel=1e-4)
    # create_graph=True: the penalty is differentiable w.r.t. the critic's weights
    (grad_w,) = torch.autograd.grad(gp, critic.w)
    want_grad = 10.0 * 2 * (w.norm() - 1) * w / w.norm()
    torch.testing.assert_close(grad_w, want_grad, rtol=1e-4, atol=1e-5)


def test_gradient_penalty_is_per_sample_not_per_row():
    """A norm over dim=1 of 4-D gradients (a known bug) would give a different value."""
    w = torch.zeros(1, 28, 28)
    w[0, 0, :3] = torch.tensor([0.3, 0.4, 1.2])  # per-sample norm 1.3 -> penalty (0.3)^2
    gp = losses.gradient_penalty(Linear(w), torch.randn(3, 1, 28, 28), torch.randn(3, 1, 28, 28),
                                 gp_lambda=1.0)
    assert gp.item() == pytest.approx(0.09, rel=1e-4)


def test_gradient_penalty_bad_shapes():
    with pytest.raises(ValueError):
        losses.gradient_penalty(Linear(torch.ones(2)), torch.zeros(4, 2), torch.zeros(3, 2))


def test_clip_weights():
    m = nn.Linear(3, 3)
    with torch.no_grad():
        m.weight.mul_(100)
    losses.clip_weights_(m, 0.01)
    assert all(p.abs().max() <= 0.01 + 1e-9 for p in m.parameters())
    assert m.weight.abs().max().item() == pytest.approx(0.01)
    with pytest.raises(ValueError):
        losses.clip_weights_(m, 0.0)


def test_tables_and_lookup():
    assert set(losses.GENERATOR_LOSSES) >= {"minimax", "non-saturating", "maximum-likelihood"}
    assert losses.get_generator_loss("minimax") is losses.g_loss_minimax
    assert losses.get_discriminator_loss("bce") is losses.d_loss_bce
    with pytest.raises(ValueError, match="non-saturating"):
        losses.get_generator_loss("nonsaturating")
    assert losses.get_discriminator_loss("hinge") is losses.d_loss_hinge
    with pytest.raises(ValueError, match="hinge"):  # the message lists the valid names
        losses.get_discriminator_loss("least-squares")
