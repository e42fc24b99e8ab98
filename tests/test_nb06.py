"""Checkers of notebook 06 (gradient penalty, Wasserstein critic loss, clipped critic step, Lipschitz bound
of a clipped MLP): CORRECT on independent solutions, WRONG on the classic mistakes, NOT_ATTEMPTED on an
untouched exercise."""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

import gan_helpers as gh
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


# ------------------------------------------------------------------ clipped critic step (WGAN)


def step_solution(critic, opt, real, fake, clip):
    """Written independently of the reference: zero_grad(set_to_none), .data clamps, loss via sums."""
    opt.zero_grad(set_to_none=True)
    r, f = critic(real), critic(fake)
    loss = f.sum() / len(f) - r.sum() / len(r)
    estimate = -loss.item()
    loss.backward()
    opt.step()
    for p in critic.parameters():
        p.data.clamp_(min=-clip, max=clip)
    return estimate


def step_variant(clip_first=False, clip_before_step=False, weights_only=False, sign=1.0, zero_grad=True,
                 grad_clip=False, estimate_after=False, return_loss=False):
    """One WGAN critic step with the chosen mistake, written in the test (not the checker's own variants)."""
    def clamp(critic, clip):
        with torch.no_grad():
            for m in critic.modules():
                if isinstance(m, torch.nn.Linear):
                    m.weight.clamp_(-clip, clip)
                    if not weights_only:
                        m.bias.clamp_(-clip, clip)

    def fn(critic, opt, real, fake, clip):
        if clip_first:
            clamp(critic, clip)
        if zero_grad:
            opt.zero_grad()
        gap = critic(real).mean() - critic(fake).mean()
        (-sign * gap).backward()
        if clip_before_step:
            clamp(critic, clip)
        if grad_clip:
            torch.nn.utils.clip_grad_value_(critic.parameters(), clip)
        opt.step()
        if not (clip_first or clip_before_step or grad_clip):
            clamp(critic, clip)
        if estimate_after:
            with torch.no_grad():
                gap = critic(real).mean() - critic(fake).mean()
        return -gap.item() if return_loss else gap.item()
    return fn


def test_clipped_step_reference_by_hand():
    # a linear critic f(x) = w . x + b: the loss gradient is mean(fake) - mean(real) for w and 0 for b
    critic = torch.nn.Linear(2, 1).double()
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([[0.5, -0.003]], dtype=torch.float64))
        critic.bias.fill_(0.2)
    real = torch.tensor([[1.0, 0.0], [3.0, 2.0]], dtype=torch.float64)
    fake = torch.zeros(3, 2, dtype=torch.float64)
    opt = torch.optim.SGD(critic.parameters(), lr=0.001)
    value = nb06._ref_clipped_critic_step(critic, opt, real, fake, 0.01)
    assert isinstance(value, float) and abs(value - (0.5 * 2.0 - 0.003 * 1.0)) < 1e-12  # w . mean(real)
    # SGD: w <- w - lr (mean(fake) - mean(real)) = w + 0.001 * (2, 1), then clamped into [-0.01, 0.01]
    assert torch.allclose(critic.weight, torch.tensor([[0.01, -0.002]], dtype=torch.float64))
    assert critic.bias.item() == 0.01


def test_clipped_step_cases_make_every_mistake_visible():
    for critic, *_, clip, _lr, _seed in nb06._step_cases():
        params = torch.cat([p.detach().flatten() for p in critic.parameters()])
        biases = torch.cat([m.bias.detach() for m in critic.modules() if isinstance(m, torch.nn.Linear)])
        assert (params.abs() > clip).any() and (params.abs() < clip).any() and (biases.abs() > clip).any()
        assert critic[0].weight.dtype == torch.float64
    assert any(lr >= 1e-2 for *_, lr, _ in nb06._step_cases())  # a step large enough to leave the box


def test_check_clipped_critic_step(capsys):
    assert nb06.check_clipped_critic_step(step_solution) is Result.CORRECT
    assert nb06.check_clipped_critic_step(step_variant()) is Result.CORRECT
    capsys.readouterr()
    mistakes = {
        "clamp AFTER opt.step()": [step_variant(clip_first=True), step_variant(clip_before_step=True)],
        "biases included": [step_variant(weights_only=True)],
        "MAXIMISES": [step_variant(sign=-1.0)],
        "opt.zero_grad()": [step_variant(zero_grad=False)],
        "not its gradients": [step_variant(grad_clip=True)],
        "BEFORE the update": [step_variant(estimate_after=True)],
        "not the loss": [step_variant(return_loss=True)],
    }
    for hint, fns in mistakes.items():
        for fn in fns:
            assert nb06.check_clipped_critic_step(fn) is Result.WRONG, hint
            assert hint in capsys.readouterr().out
    tensor_back = lambda *a: torch.tensor(step_solution(*a))  # noqa: E731
    assert nb06.check_clipped_critic_step(tensor_back) is Result.WRONG
    assert "Python float" in capsys.readouterr().out
    assert nb06.check_clipped_critic_step(not_done) is Result.NOT_ATTEMPTED


def test_clipped_step_delegation_is_refused(capsys):
    def with_library_clip(critic, opt, real, fake, clip):
        opt.zero_grad()
        loss = critic(fake).mean() - critic(real).mean()
        loss.backward()
        opt.step()
        gh.losses.clip_weights_(critic, clip)
        return -loss.item()

    for fn in (lambda *a: gh.course.nb06._ref_clipped_critic_step(*a), with_library_clip):
        assert nb06.check_clipped_critic_step(fn) is Result.WRONG
        assert "write it yourself" in capsys.readouterr().out

    def library_loss(critic, opt, real, fake, clip):  # the package's critic loss is allowed here
        opt.zero_grad()
        r, f = critic(real), critic(fake)
        gh.losses.critic_loss_wasserstein(r, f).backward()
        opt.step()
        with torch.no_grad():
            for p in critic.parameters():
                p.clamp_(-clip, clip)
        return (r.mean() - f.mean()).item()
    assert nb06.check_clipped_critic_step(library_loss) is Result.CORRECT


# ------------------------------------------------------------------ Lipschitz bound of a clipped MLP


def bound_numpy(widths, clip):
    """Independent: the spectral norm of the all-clip matrix of each layer, computed by numpy."""
    return float(np.prod([np.linalg.norm(np.full((b, a), clip), 2) for a, b in zip(widths[:-1], widths[1:])]))


def test_bound_is_attained_by_the_all_c_network():
    # every weight and bias = c, positive inputs: each LeakyReLU is the identity, the network is linear
    for widths, c in nb06._bound_cases():
        layers = []
        for a, b in zip(widths[:-1], widths[1:]):
            layers += [torch.nn.Linear(a, b, dtype=torch.float64), torch.nn.LeakyReLU(0.2)]
        net = torch.nn.Sequential(*layers[:-1])
        with torch.no_grad():
            for p in net.parameters():
                p.fill_(c)
        jac = torch.autograd.functional.jacobian(net, torch.ones(widths[0], dtype=torch.float64))
        slope = torch.linalg.matrix_norm(jac.reshape(widths[-1], widths[0]), ord=2).item()
        assert abs(slope - nb06._ref_clipped_lipschitz_bound(widths, c)) < 1e-9 * max(1.0, slope)


def test_bound_holds_for_random_clipped_networks():
    g = torch.Generator().manual_seed(0)
    widths, c = [3, 8, 5, 2], 0.3
    bound = nb06._ref_clipped_lipschitz_bound(widths, c)
    for _ in range(20):
        mats = [c * (2 * torch.rand(b, a, generator=g, dtype=torch.float64) - 1)
                for a, b in zip(widths[:-1], widths[1:])]
        assert np.prod([torch.linalg.matrix_norm(m, ord=2).item() for m in mats]) <= bound


def test_check_clipped_lipschitz_bound(capsys):
    assert nb06.check_clipped_lipschitz_bound(bound_numpy) is Result.CORRECT
    assert nb06.check_clipped_lipschitz_bound(
        lambda w, c: c ** (len(w) - 1) * math.sqrt(w[0] * w[-1]) * math.prod(w[1:-1])) is Result.CORRECT
    capsys.readouterr()
    mistakes = {
        "c * d_in * d_out per layer": lambda w, c: math.prod(c * a * b for a, b in zip(w, w[1:])),
        "largest row sum": lambda w, c: math.prod(c * a for a in w[:-1]),
        "d_in AND d_out": lambda w, c: math.prod(c * math.sqrt(a) for a in w[:-1]),
        "widths matter": lambda w, c: c ** (len(w) - 1),
        "multiply": lambda w, c: sum(c * math.sqrt(a * b) for a, b in zip(w, w[1:])),
    }
    for hint, fn in mistakes.items():
        assert nb06.check_clipped_lipschitz_bound(fn) is Result.WRONG, hint
        assert hint in capsys.readouterr().out
    assert nb06.check_clipped_lipschitz_bound(lambda w, c: 1.0) is Result.WRONG  # the 1-Lipschitz guess
    assert nb06.check_clipped_lipschitz_bound(not_done) is Result.NOT_ATTEMPTED
    assert nb06.check_clipped_lipschitz_bound(lambda w, c: gh.course.nb06._ref_clipped_lipschitz_bound(w, c)) \
        is Result.WRONG
    assert "write it yourself" in capsys.readouterr().out
