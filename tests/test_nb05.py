"""Notebook 05's checkers: CORRECT on the reference, WRONG on plausible mistakes, NOT_ATTEMPTED when untouched."""
import math

import pytest
import torch
import torch.nn.functional as F

from gan_helpers import losses, training
from gan_helpers.checks import Result
from gan_helpers.course import nb05


def _todo(*args):
    raise NotImplementedError()


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


def test_d_loss_checker_used_by_notebook_05():
    assert nb05.check_d_loss(lambda r, f: F.softplus(-r).mean() + F.softplus(f).mean()) is Result.CORRECT
    assert nb05.check_d_loss(losses.d_loss_bce) is Result.WRONG  # delegating to the package
    assert nb05.check_d_loss(lambda r, f: losses.d_loss_bce(r, f) / 2) is Result.WRONG
    assert nb05.check_d_loss(_todo) is Result.NOT_ATTEMPTED


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
