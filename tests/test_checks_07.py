"""Checkers of notebook 07: CORRECT on independent solutions, WRONG on plausible mistakes,
NOT_ATTEMPTED on an untouched exercise."""
from __future__ import annotations

import math

import numpy as np
import torch

from gan_helpers import checks
from gan_helpers.checks import training as checks_training
from gan_helpers.checks import Result


def not_done(*args):
    raise NotImplementedError()


def coverage_numpy(samples, centers, std):
    """An independent solution in numpy."""
    x, c = np.asarray(samples, dtype=float), np.asarray(centers, dtype=float)
    d = np.sqrt(((x[:, None, :] - c[None]) ** 2).sum(-1))
    idx, dmin = d.argmin(1), d.min(1)
    good = dmin < 3 * std
    return len(set(idx[good].tolist())), 100.0 * good.mean()


def reverse_kl_numpy(samples, centers, std):
    x, c = np.asarray(samples, dtype=float), np.asarray(centers, dtype=float)
    d = np.sqrt(((x[:, None, :] - c[None]) ** 2).sum(-1))
    idx, good = d.argmin(1), d.min(1) < 3 * std
    if not good.any():
        return math.inf
    q = np.bincount(idx[good], minlength=len(c)) / good.sum()
    return float(sum(qi * math.log(qi * len(c)) for qi in q if qi > 0))


def test_cases_exercise_every_rule():
    cases = checks_training._mode_cases_07()
    assert len(cases) == 3
    for x, c, s in cases[:2]:
        modes, hq = coverage_numpy(x, c, s)
        assert 0 < hq < 100 and 0 < modes < len(c)  # partly collapsed: some but not all modes
    assert coverage_numpy(*cases[2]) == (0, 0.0) and math.isinf(reverse_kl_numpy(*cases[2]))


def test_check_mode_coverage():
    assert checks.check_mode_coverage(coverage_numpy) is Result.CORRECT
    assert checks.check_mode_coverage(not_done) is Result.NOT_ATTEMPTED

    def inclusive_fraction(x, c, s):
        m, hq = coverage_numpy(x, c, s)
        return m, hq / 100

    def sqrt_2_rule(x, c, s):  # within 3 std per coordinate, i.e. a square instead of a disc
        x, c = np.asarray(x, dtype=float), np.asarray(c, dtype=float)
        d = np.sqrt(((x[:, None, :] - c[None]) ** 2).sum(-1))
        idx = d.argmin(1)
        good = (np.abs(x - c[idx]) < 3 * s).all(1)
        return len(set(idx[good].tolist())), 100.0 * good.mean()

    def all_cover(x, c, s):
        x, c = np.asarray(x, dtype=float), np.asarray(c, dtype=float)
        d = np.sqrt(((x[:, None, :] - c[None]) ** 2).sum(-1))
        return len(set(d.argmin(1).tolist())), coverage_numpy(x, c, s)[1]

    for wrong in (inclusive_fraction, sqrt_2_rule, all_cover, lambda x, c, s: (len(c), 100.0)):
        assert checks.check_mode_coverage(wrong) is Result.WRONG


def test_check_reverse_kl():
    assert checks.check_reverse_kl(reverse_kl_numpy) is Result.CORRECT
    assert checks.check_reverse_kl(not_done) is Result.NOT_ATTEMPTED

    def no_hq_nan(x, c, s):  # forgets the no-high-quality case: 0/0 gives nan
        with np.errstate(all="ignore"):
            xx, cc = np.asarray(x, dtype=float), np.asarray(c, dtype=float)
            d = np.sqrt(((xx[:, None, :] - cc[None]) ** 2).sum(-1))
            if not (d.min(1) < 3 * s).any():
                return float("nan")
        return reverse_kl_numpy(x, c, s)

    def log2(x, c, s):
        return reverse_kl_numpy(x, c, s) / math.log(2)

    def forward(x, c, s):
        return math.inf if reverse_kl_numpy(x, c, s) > 0 else 0.0

    def all_samples(x, c, s):  # histogram over every sample, high quality or not
        xx, cc = np.asarray(x, dtype=float), np.asarray(c, dtype=float)
        idx = np.sqrt(((xx[:, None, :] - cc[None]) ** 2).sum(-1)).argmin(1)
        q = np.bincount(idx, minlength=len(cc)) / len(idx)
        return float(sum(qi * math.log(qi * len(cc)) for qi in q if qi > 0))

    for wrong in (no_hq_nan, log2, forward, all_samples):
        assert checks.check_reverse_kl(wrong) is Result.WRONG


def test_check_pack_samples():
    assert checks.check_pack_samples(lambda x, p: x.reshape(len(x) // p, -1)) is Result.CORRECT
    assert checks.check_pack_samples(
        lambda x, p: torch.stack([torch.cat(list(x[i:i + p])) for i in range(0, len(x), p)])) is Result.CORRECT
    assert checks.check_pack_samples(not_done) is Result.NOT_ATTEMPTED
    assert checks.check_pack_samples(lambda x, p: torch.cat(x.chunk(p), dim=1)) is Result.WRONG
    assert checks.check_pack_samples(lambda x, p: x.reshape(-1, p, x.shape[1])) is Result.WRONG
    assert checks.check_pack_samples(lambda x, p: x) is Result.WRONG
