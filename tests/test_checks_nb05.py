"""Notebook 05's checkers: CORRECT on the reference, WRONG on plausible mistakes, NOT_ATTEMPTED when untouched."""
import math

import pytest
import torch
import torch.nn.functional as F

from gan_helpers import checks, losses, training
from gan_helpers.checks import Result


def _todo(*args):
    raise NotImplementedError()


def test_g_loss_non_saturating_checker():
    check = checks.check_g_loss_non_saturating
    assert check(losses.g_loss_non_saturating) is Result.CORRECT
    assert check(lambda l: F.softplus(-l).mean()) is Result.CORRECT
    assert check(_todo) is Result.NOT_ATTEMPTED
    assert check(losses.g_loss_minimax) is Result.WRONG
    assert check(lambda l: -torch.log(torch.sigmoid(l)).mean()) is Result.WRONG  # unstable
    assert check(lambda l: F.logsigmoid(l).mean()) is Result.WRONG  # sign
    assert check(lambda l: 1 / 0) is Result.WRONG  # a crash is reported, not raised


def test_d_loss_checker_used_by_notebook_05():
    assert checks.check_d_loss(losses.d_loss_bce) is Result.CORRECT
    assert checks.check_d_loss(lambda r, f: losses.d_loss_bce(r, f) / 2) is Result.WRONG
    assert checks.check_d_loss(_todo) is Result.NOT_ATTEMPTED


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


def test_slerp_checker():
    assert checks.check_slerp(training.slerp) is Result.CORRECT
    assert checks.check_slerp(_todo) is Result.NOT_ATTEMPTED
    assert checks.check_slerp(lambda a, b, t: (1 - t[:, None]) * a + t[:, None] * b) is Result.WRONG
    assert checks.check_slerp(lambda a, b, t: training.slerp(b, a, t)) is Result.WRONG
