"""Checkers of notebook 06 (gradient penalty, Wasserstein critic loss): CORRECT on independent solutions,
WRONG on the classic mistakes, NOT_ATTEMPTED on an untouched exercise."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from gan_helpers.checks import Result
from gan_helpers.course import nb06


def not_done(*args):
    raise NotImplementedError()


# ------------------------------------------------------------------ gradient penalty


def gp_solution(critic, real, fake, gp_lambda, generator):
    """Written independently of gh.losses: eps drawn as (B,), grad_outputs instead of .sum()."""
    b = real.shape[0]
    eps = torch.rand(b, generator=generator).view(b, *([1] * (real.dim() - 1)))
    x_hat = torch.lerp(fake, real, eps).detach().requires_grad_()
    scores = critic(x_hat)
    grad = torch.autograd.grad(scores, x_hat, grad_outputs=torch.ones_like(scores), create_graph=True)[0]
    norms = torch.sqrt((grad.reshape(b, -1) ** 2).sum(dim=1))
    return gp_lambda * torch.mean((norms - 1.0) ** 2)


def gp_dim1_bug(critic, real, fake, gp_lambda, generator):
    """The classic bug: norm over dim=1 of (B, C, H, W) gradients."""
    eps = torch.rand((real.shape[0],) + (1,) * (real.ndim - 1), generator=generator)
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    grad = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)[0]
    return gp_lambda * ((grad.norm(2, dim=1) - 1) ** 2).mean()


def gp_per_pixel_eps(critic, real, fake, gp_lambda, generator):
    eps = torch.rand(real.shape, generator=generator)
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    grad = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)[0]
    return gp_lambda * ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()


def gp_no_graph(critic, real, fake, gp_lambda, generator):
    with torch.no_grad():
        pass
    pen = gp_solution(critic, real, fake, gp_lambda, generator)
    return pen.detach()


def test_reference_value_by_hand():
    # a linear critic f(x) = w . x has gradient w everywhere: penalty = lambda (||w|| - 1)^2
    critic = torch.nn.Linear(4, 1, bias=False)
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([[3.0, 0.0, 4.0, 0.0]]))  # ||w|| = 5
    real, fake = torch.randn(5, 4), torch.randn(5, 4)
    pen = gp_solution(critic, real, fake, 10.0, torch.Generator().manual_seed(0))
    assert abs(pen.item() - 10.0 * 16.0) < 1e-4


def test_check_gradient_penalty():
    assert nb06.check_gradient_penalty(gp_solution) is Result.CORRECT
    assert nb06.check_gradient_penalty(gp_dim1_bug) is Result.WRONG
    assert nb06.check_gradient_penalty(gp_per_pixel_eps) is Result.WRONG
    assert nb06.check_gradient_penalty(gp_no_graph) is Result.WRONG
    assert nb06.check_gradient_penalty(lambda c, r, f, lam, g: gp_solution(c, r, f, 1.0, g)) is Result.WRONG
    assert nb06.check_gradient_penalty(not_done) is Result.NOT_ATTEMPTED


def test_gradient_penalty_hints_are_targeted(capsys):
    nb06.check_gradient_penalty(gp_dim1_bug)
    assert "flatten" in capsys.readouterr().out.lower()
    nb06.check_gradient_penalty(gp_no_graph)
    assert "create_graph" in capsys.readouterr().out


def test_gradient_penalty_checker_leaves_global_rng_alone():
    torch.manual_seed(3)
    want = torch.rand(2)
    torch.manual_seed(3)
    nb06.check_gradient_penalty(gp_solution)
    assert torch.equal(torch.rand(2), want)


# ------------------------------------------------------------------ critic loss


def test_check_critic_loss(capsys):
    assert nb06.check_critic_loss(lambda r, f: -(r.mean() - f.mean())) is Result.CORRECT
    assert nb06.check_critic_loss(lambda r, f: torch.mean(f) - torch.mean(r)) is Result.CORRECT
    assert nb06.check_critic_loss(lambda r, f: r.mean() - f.mean()) is Result.WRONG
    assert "MAXIMISES" in capsys.readouterr().out
    assert nb06.check_critic_loss(lambda r, f: F.relu(1 - r).mean() + F.relu(1 + f).mean()) is Result.WRONG
    assert "hinge" in capsys.readouterr().out
    assert nb06.check_critic_loss(lambda r, f: f.sum() - r.sum()) is Result.WRONG  # sums, not means
    assert nb06.check_critic_loss(not_done) is Result.NOT_ATTEMPTED
