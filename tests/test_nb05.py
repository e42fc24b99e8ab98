"""Notebook 05's checkers: CORRECT on the reference, WRONG on plausible mistakes, NOT_ATTEMPTED when untouched."""
import copy
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy.optimize import minimize_scalar

import gan_helpers as gh
from gan_helpers import losses, training
from gan_helpers.checks import Result
from gan_helpers.course import nb05


def _todo(*args):
    raise NotImplementedError()


# ------------------------------------------------------------------ Exercise 1: train_step

def test_train_step_reference_by_hand():
    # SGD written out with autograd.grad: D moves by its loss's gradient, then G by the non-saturating
    # loss through the UPDATED D; the reference must land on the same parameters
    G, D, x, z = nb05._models(7)
    lr = 0.1
    d_params, g_params = list(D.parameters()), list(G.parameters())
    d_loss = F.softplus(-D(x)).mean() + F.softplus(D(G(z).detach())).mean()
    new_d = [p - lr * g for p, g in zip(d_params, torch.autograd.grad(d_loss, d_params))]
    D_new = copy.deepcopy(D)
    with torch.no_grad():
        for p, v in zip(D_new.parameters(), new_d):
            p.copy_(v)
    g_loss = F.softplus(-D_new(G(z))).mean()
    new_g = [p - lr * g for p, g in zip(g_params, torch.autograd.grad(g_loss, g_params))]
    want = torch.cat([v.detach().flatten() for v in new_g + new_d])

    params, d_got, g_got = nb05._run_step(nb05._ref_train_step, G, D, x, z, "sgd", 0)
    torch.testing.assert_close(params, want, rtol=1e-12, atol=1e-12)
    assert d_got == pytest.approx(d_loss.item(), rel=1e-12) and g_got == pytest.approx(g_loss.item(), rel=1e-12)
    # the originals are untouched (the checker works on copies)
    assert all(torch.equal(a, b) for a, b in zip(D.parameters(), d_params))
    assert G(z).shape == (20, 2) and D(x).shape == (12, 1) and x.dtype == torch.float64


def _step_bce(G, D, opt_g, opt_d, x, z):
    # independent: BCE with logits and label tensors, Module.zero_grad, tensors returned
    bce = F.binary_cross_entropy_with_logits
    fake = G(z)
    real_l, fake_l = D(x), D(fake.detach())
    d_loss = bce(real_l, torch.ones_like(real_l)) + bce(fake_l, torch.zeros_like(fake_l))
    D.zero_grad()
    d_loss.backward()
    opt_d.step()
    out = D(fake)                     # the same fakes, through the updated D
    g_loss = bce(out, torch.ones_like(out))
    G.zero_grad()
    g_loss.backward()
    opt_g.step()
    return d_loss, g_loss


def _step_logsigmoid(G, D, opt_g, opt_d, x, z):
    opt_d.zero_grad(set_to_none=False)
    d_loss = -F.logsigmoid(D(x)).mean() - F.logsigmoid(-D(G(z).detach())).mean()
    d_loss.backward()
    opt_d.step()
    opt_g.zero_grad()
    g_loss = -F.logsigmoid(D(G(z))).mean()
    g_loss.backward()
    opt_g.step()
    return d_loss.item(), g_loss.item()


def _step_library_losses(G, D, opt_g, opt_d, x, z):
    # the package's loss functions are allowed here: the exercise is the algorithm
    d_loss = losses.d_loss_bce(D(x), D(G(z).detach()))
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
    g_loss = losses.g_loss_non_saturating(D(G(z)))
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    return d_loss.item(), g_loss.item()


def _mistake(**change):
    """A train_step written out, with one mistake switched on."""
    def step(G, D, opt_g, opt_d, x, z):
        fake = G(z) if change.get("no_detach") else G(z).detach()
        real_l, fake_l = D(x), D(fake)
        if change.get("flip_labels"):
            d_loss = F.softplus(real_l).mean() + F.softplus(-fake_l).mean()
        elif change.get("one_mean"):
            both = torch.cat([real_l, fake_l])
            d_loss = F.binary_cross_entropy_with_logits(both, torch.cat([torch.ones_like(real_l),
                                                                         torch.zeros_like(fake_l)]))
        else:
            d_loss = F.softplus(-real_l).mean() + F.softplus(fake_l).mean()
        if not change.get("no_zero_d"):
            opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        logits = D(G(z))
        g_loss = {"ns": F.softplus(-logits).mean(), "flipped": F.logsigmoid(logits).mean(),
                  "minimax": -F.softplus(logits).mean()}[change.get("g_loss", "ns")]
        if not change.get("no_zero_g"):
            opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
        return (g_loss.item(), d_loss.item()) if change.get("swap") else (d_loss.item(), g_loss.item())
    return step


def _stale_copy(G, D, opt_g, opt_d, x, z):
    D_old = copy.deepcopy(D)          # G's loss through D as it was before D's step
    d_loss = F.softplus(-D(x)).mean() + F.softplus(D(G(z).detach())).mean()
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
    g_loss = F.softplus(-D_old(G(z))).mean()
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    return d_loss.item(), g_loss.item()


def _stale_graph(G, D, opt_g, opt_d, x, z):
    fake = G(z)
    g_logits = D(fake)                # computed before D's update: its backward then fails
    d_loss = F.softplus(-D(x)).mean() + F.softplus(D(fake.detach())).mean()
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
    g_loss = F.softplus(-g_logits).mean()
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    return d_loss.item(), g_loss.item()


def _g_first(G, D, opt_g, opt_d, x, z):
    g_loss = F.softplus(-D(G(z))).mean()
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    d_loss = F.softplus(-D(x)).mean() + F.softplus(D(G(z).detach())).mean()
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
    return d_loss.item(), g_loss.item()


def _g_moves_in_d_step(G, D, opt_g, opt_d, x, z):
    d_loss = F.softplus(-D(x)).mean() + F.softplus(D(G(z))).mean()
    opt_d.zero_grad()
    opt_g.zero_grad()
    d_loss.backward()
    opt_d.step()
    opt_g.step()                      # G updated during D's step
    g_loss = F.softplus(-D(G(z))).mean()
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    return d_loss.item(), g_loss.item()


def test_train_step_checker_accepts_correct_answers():
    before = torch.get_rng_state()
    for good in (_step_bce, _step_logsigmoid, _step_library_losses):
        assert nb05.check_train_step(good) is Result.CORRECT, good.__name__
    assert torch.equal(torch.get_rng_state(), before)          # the checker leaves the global RNG alone
    assert nb05.check_train_step(_todo) is Result.NOT_ATTEMPTED


@pytest.mark.parametrize("wrong, hint", [
    (_stale_copy, "G's step uses D after its update"),
    (_stale_graph, "G's step uses D after its update"),
    (_g_first, "updates D first, then G"),
    (_mistake(no_detach=True, no_zero_g=True), "picked up gradients from D's loss"),
    (_mistake(no_zero_g=True), "zero G's gradients before G's backward"),
    (_mistake(no_zero_d=True), "zero D's gradients before D's backward"),
    (_mistake(g_loss="flipped"), "check the sign of G's loss"),
    (_mistake(g_loss="minimax"), "minimax (saturating)"),
    (_mistake(flip_labels=True), "real samples have label 1"),
    (_mistake(one_mean=True), "PLUS the mean over the fake batch"),
    (_mistake(swap=True), "return (d_loss, g_loss), in that order"),
    (_g_moves_in_d_step, "a D step on x and the detached G(z)"),
    (lambda G, D, opt_g, opt_d, x, z: None, "return the two losses as floats"),
], ids=["stale copy", "stale graph", "G first", "no detach, no zero_grad", "no G zero_grad",
        "no D zero_grad", "G sign", "minimax", "labels", "one mean", "swapped", "G moves in D step", "None"])
def test_train_step_checker_wrong(wrong, hint, capsys):
    assert nb05.check_train_step(wrong) is Result.WRONG
    out = capsys.readouterr().out
    assert hint in out, out


def test_train_step_checker_refuses_delegation(capsys):
    assert nb05.check_train_step(lambda *a: gh.course.nb05._ref_train_step(*a)) is Result.WRONG
    assert "write it yourself; calling gh.course.nb05._ref_train_step" in capsys.readouterr().out

    def via_critic_step(G, D, opt_g, opt_d, x, z):
        d = gh.training.critic_step(D, opt_d, losses.d_loss_bce, x, G(z).detach())
        g_loss = F.softplus(-D(G(z))).mean()
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
        return d.loss.item(), g_loss.item()
    assert nb05.check_train_step(via_critic_step) is Result.WRONG
    assert "calling gh.training.critic_step is not accepted" in capsys.readouterr().out


# ------------------------------------------------------------------ Exercises 2 and 3

def test_g_loss_non_saturating_checker():
    check = nb05.check_g_loss_non_saturating
    assert check(lambda l: -F.logsigmoid(l).mean()) is Result.CORRECT  # independent of gh.losses
    assert check(losses.g_loss_non_saturating) is Result.WRONG  # the package's own: not the student's work
    assert check(lambda l: F.softplus(-l).mean()) is Result.CORRECT
    assert check(_todo) is Result.NOT_ATTEMPTED
    assert check(losses.g_loss_minimax) is Result.WRONG
    assert check(lambda l: -torch.log(torch.sigmoid(l)).mean()) is Result.WRONG  # unstable
    assert check(lambda l: F.logsigmoid(l).mean()) is Result.WRONG  # sign
    assert check(lambda l: 1 / 0) is Result.WRONG  # a crash is reported, not raised


def test_slerp_reference_properties():
    g = torch.Generator().manual_seed(0)
    z0, z1 = torch.randn(64, generator=g), torch.randn(64, generator=g)
    path = training.slerp(z0, z1, torch.linspace(0, 1, 5))
    torch.testing.assert_close(path[0], z0)
    torch.testing.assert_close(path[-1], z1)
    # unit vectors 90 degrees apart: the midpoint is (e1 + e2) / sqrt(2), still of norm 1
    mid = training.slerp(torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0]), torch.tensor([0.5]))
    torch.testing.assert_close(mid[0], torch.tensor([1.0, 1.0]) / math.sqrt(2))
    same = training.slerp(z0, z0, torch.tensor([0.3]))  # omega = 0: no division by zero
    torch.testing.assert_close(same[0], z0)
    with pytest.raises(ValueError):
        training.slerp(z0[None], z1[None], torch.tensor([0.5]))


def _slerp(z0, z1, t):  # written independently of gh.training.slerp
    omega = torch.arccos(torch.dot(z0, z1) / (z0.norm() * z1.norm()))
    t = t[:, None]
    return (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / torch.sin(omega)


def test_slerp_checker():
    assert nb05.check_slerp(_slerp) is Result.CORRECT
    assert nb05.check_slerp(training.slerp) is Result.WRONG  # the package's own
    assert nb05.check_slerp(_todo) is Result.NOT_ATTEMPTED
    assert nb05.check_slerp(lambda a, b, t: (1 - t[:, None]) * a + t[:, None] * b) is Result.WRONG
    assert nb05.check_slerp(lambda a, b, t: training.slerp(b, a, t)) is Result.WRONG


# ------------------------------------------------------------------ Exercise 4: d_loss_smoothed

def _smoothed_bce(real_logits, fake_logits, smooth=0.9):
    # independent: BCE with logits against target tensors
    bce = F.binary_cross_entropy_with_logits
    return (bce(real_logits, torch.full_like(real_logits, smooth))
            + bce(fake_logits, torch.zeros_like(fake_logits)))


def test_d_loss_smoothed_reference():
    zero = torch.zeros(4, 1)
    assert nb05._ref_d_loss_smoothed(zero, zero[:3]).item() == pytest.approx(2 * math.log(2), rel=1e-6)
    g = torch.Generator().manual_seed(0)
    r, f = 5 * torch.randn(9, 1, generator=g), 5 * torch.randn(6, 1, generator=g)
    torch.testing.assert_close(nb05._ref_d_loss_smoothed(r, f, 1.0), losses.d_loss_bce(r, f))
    big = nb05._ref_d_loss_smoothed(torch.tensor([[150.0], [-150.0]]), torch.tensor([[150.0]]))
    assert torch.isfinite(big) and big.item() == pytest.approx((0.1 * 150 + 0.9 * 150) / 2 + 150, rel=1e-6)


def test_smoothed_optimal_discriminator():
    # pointwise: p_data [s (-log D) + (1 - s)(-log(1 - D))] + p_g (-log(1 - D)) is least at s p_data / (p_data + p_g)
    for p_data, p_g, s in ((0.7, 0.2, 0.9), (0.3, 0.8, 0.9), (1.0, 1.0, 0.8)):
        def loss(d, p_data=p_data, p_g=p_g, s=s):
            return p_data * (-s * np.log(d) - (1 - s) * np.log1p(-d)) - p_g * np.log1p(-d)
        best = minimize_scalar(loss, bounds=(1e-9, 1 - 1e-9), method="bounded", options={"xatol": 1e-12}).x
        assert best == pytest.approx(s * p_data / (p_data + p_g), abs=1e-7)


def test_d_loss_smoothed_checker(capsys):
    check = nb05.check_d_loss_smoothed
    assert check(_smoothed_bce) is Result.CORRECT
    assert check(lambda r, f, smooth=0.9: (smooth * F.softplus(-r) + (1 - smooth) * F.softplus(r)).mean()
                 + F.softplus(f).mean()) is Result.CORRECT
    assert check(_todo) is Result.NOT_ATTEMPTED
    capsys.readouterr()

    def naive(r, f, smooth=0.9):
        dr, df = torch.sigmoid(r), torch.sigmoid(f)
        return -(smooth * torch.log(dr) + (1 - smooth) * torch.log(1 - dr)).mean() - torch.log(1 - df).mean()

    def two_sided(r, f, smooth=0.9):
        bce = F.binary_cross_entropy_with_logits
        return bce(r, torch.full_like(r, smooth)) + bce(f, torch.full_like(f, 1 - smooth))

    def one_mean(r, f, smooth=0.9):
        targets = torch.cat([torch.full_like(r, smooth), torch.zeros_like(f)])
        return F.binary_cross_entropy_with_logits(torch.cat([r, f]), targets)

    wrongs = [
        (two_sided, "the fakes keep target 0"),
        (lambda r, f, smooth=0.9: _smoothed_bce(r, f, 1 - smooth), "not 1 - smooth"),
        (lambda r, f, smooth=0.9: _smoothed_bce(r, f, 1.0), "not 1: the real term has two parts"),
        (lambda r, f, smooth=0.9: _smoothed_bce(r, f, 0.9), "not a fixed 0.9"),
        (naive, "overflow for large |l|"),
        (one_mean, "then ADD them"),
    ]
    for wrong, hint in wrongs:
        assert check(wrong) is Result.WRONG
        assert hint in capsys.readouterr().out, hint
    assert check(lambda r, f, smooth=0.9: 2 * _smoothed_bce(r, f, smooth)) is Result.WRONG
    assert "BCE with target `smooth`" in capsys.readouterr().out
    assert check(lambda *a: gh.course.nb05._ref_d_loss_smoothed(*a)) is Result.WRONG
    assert "write it yourself" in capsys.readouterr().out
    assert check(lambda r, f, smooth=0.9: gh.losses.d_loss_bce(r, f)) is Result.WRONG   # the package's loss
    assert "calling gh.losses.d_loss_bce is not accepted" in capsys.readouterr().out
