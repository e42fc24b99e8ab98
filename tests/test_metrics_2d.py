"""Tests for the 2-D mixture metrics of gh.metrics (VEEGAN / PacGAN definitions)."""
import math

import numpy as np
import pytest
import torch
from scipy import stats

import gan_helpers as gh

M = gh.metrics


def _binomial_tol(p: float, n: int, z: float = 5.0) -> float:
    """z standard errors of a percentage estimated from n Bernoulli(p) draws, in percent."""
    return 100 * z * math.sqrt(p * (1 - p) / n)


@pytest.mark.parametrize("make", [gh.data.ring8, gh.data.grid25])
def test_true_samples_cover_every_mode_with_chi2_hq_fraction(make):
    mix = make()
    n = 20_000
    x = mix.sample(n, generator=torch.Generator().manual_seed(1))
    out = M.mode_metrics(x, mix)
    k = len(mix.centers)
    # ||x - mu||^2 / std^2 ~ chi-square(2): P(distance < 3 std) = chi2.cdf(9, 2) = 1 - exp(-9/2)
    p_hq = stats.chi2.cdf(M.HQ_N_STD**2, df=2)
    assert abs(p_hq - (1 - math.exp(-4.5))) < 1e-12
    assert p_hq < 0.99  # the 1-D "99.7 %" does not apply to 2-D Gaussians
    assert out["modes"] == k
    assert abs(out["hq_percent"] - 100 * p_hq) < _binomial_tol(p_hq, n)
    # the histogram of HQ samples is near uniform: KL small, of order (k - 1) / (2 n_hq)
    assert 0 <= out["reverse_kl"] < 10 * (k - 1) / (2 * n * p_hq)


def test_hq_fraction_matches_chi2_for_other_thresholds():
    mix = gh.data.grid25()
    x = mix.sample(20_000, generator=torch.Generator().manual_seed(2))
    for n_std in (1.0, 2.0):
        p = stats.chi2.cdf(n_std**2, df=2)
        got = M.high_quality_percent(x, mix.centers, mix.std, n_std=n_std)
        assert abs(got - 100 * p) < _binomial_tol(p, len(x))


def test_samples_from_one_mode_cover_exactly_one():
    mix = gh.data.ring8()
    x = mix.centers[3] + mix.std * torch.randn(2_500, 2, generator=torch.Generator().manual_seed(3))
    out = M.mode_metrics(x, mix)
    assert out["modes"] == 1
    idx, _ = M.nearest_mode(x, mix.centers)
    assert (idx == 3).all()
    hist = M.mode_histogram(x, mix.centers, mix.std)
    assert hist.argmax() == 3 and hist.sum() == hist[3]
    # all high-quality mass on one of k uniform modes: KL(delta || uniform) = log k
    assert out["reverse_kl"] == pytest.approx(math.log(8), abs=1e-12)


def test_far_samples_are_not_high_quality_and_kl_is_inf():
    mix = gh.data.grid25()
    x = torch.full((100, 2), 10.0) + torch.randn(100, 2, generator=torch.Generator().manual_seed(4))
    out = M.mode_metrics(x, mix)
    assert out["hq_percent"] == 0.0 and out["modes"] == 0
    assert math.isinf(out["reverse_kl"]) and out["reverse_kl"] > 0


def test_hand_computed_example():
    centers = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    std = 0.1  # high quality: distance < 0.3
    x = np.array([[0.1, 0.1],     # mode 0, d = 0.141 -> HQ
                  [0.95, 0.05],   # mode 1, d = 0.071 -> HQ
                  [0.9, 0.2],     # mode 1, d = 0.224 -> HQ
                  [0.6, 0.3],     # mode 1, d = 0.5 -> not HQ
                  [0.0, 0.65]])   # mode 2, d = 0.35 -> not HQ
    idx, d = M.nearest_mode(x, centers)
    assert idx.tolist() == [0, 1, 1, 1, 2]
    np.testing.assert_allclose(d.numpy(), [math.hypot(.1, .1), math.hypot(.05, .05), math.hypot(.1, .2),
                                           0.5, 0.35], atol=1e-12)
    mask = M.high_quality_mask(x, centers, std)
    assert mask.tolist() == [True, True, True, False, False]
    assert M.mode_histogram(x, centers, std).tolist() == [1, 2, 0]
    assert M.modes_covered(x, centers, std) == 2
    assert M.high_quality_percent(x, centers, std) == pytest.approx(60.0)
    # q = (1/3, 2/3, 0), p uniform: KL = 1/3 log(1) + 2/3 log(2) = (2/3) log 2 (empty mode adds 0)
    assert M.reverse_kl(x, centers, std) == pytest.approx(2 / 3 * math.log(2), abs=1e-12)
    # non-uniform p: KL = 1/3 log((1/3)/0.5) + 2/3 log((2/3)/0.25)
    want = (1 / 3) * math.log((1 / 3) / 0.5) + (2 / 3) * math.log((2 / 3) / 0.25)
    assert M.reverse_kl(x, centers, std, weights=[0.5, 0.25, 0.25]) == pytest.approx(want, abs=1e-12)
    assert math.isinf(M.reverse_kl(x, centers, std, weights=[0.0, 0.5, 0.5]))


def test_nan_samples_are_never_high_quality():
    mix = gh.data.ring8()
    x = torch.cat([mix.centers[:2], torch.full((1, 2), float("nan"))])
    assert M.high_quality_mask(x, mix.centers, mix.std).tolist() == [True, True, False]


@pytest.mark.parametrize("samples, centers", [
    (np.zeros(5), np.zeros((3, 2))),            # samples 1-D
    (np.zeros((5, 2)), np.zeros((3, 3))),       # dimensions differ
    (np.zeros((0, 2)), np.zeros((3, 2))),       # no samples
    (np.zeros((5, 2)), np.zeros((0, 2))),       # no centres
    (np.zeros((5, 2, 1)), np.zeros((3, 2))),    # 3-D samples
])
def test_bad_shapes_raise(samples, centers):
    for fn in (M.modes_covered, M.high_quality_percent, M.reverse_kl, M.high_quality_mask):
        with pytest.raises(ValueError):
            fn(samples, centers, 0.1)
    with pytest.raises(ValueError):
        M.nearest_mode(samples, centers)


def test_bad_std_weights_and_mixture_raise():
    x, c = np.zeros((4, 2)), np.ones((2, 2))
    for std in (0.0, -1.0, float("nan"), "0.1"):
        with pytest.raises(ValueError):
            M.high_quality_mask(x, c, std)
    with pytest.raises(ValueError):
        M.reverse_kl(x, c, 0.1, weights=[0.2, 0.2])
    with pytest.raises(ValueError):
        M.mode_metrics(x, object())


def test_mode_metrics_keys_and_types():
    mix = gh.data.ring8()
    out = M.mode_metrics(mix.sample(500, generator=torch.Generator().manual_seed(5)), mix)
    assert set(out) == {"modes", "hq_percent", "reverse_kl"}
    assert isinstance(out["modes"], int) and isinstance(out["hq_percent"], float)
    assert isinstance(out["reverse_kl"], float)


def test_wasserstein1_points_matches_sorted_1d_and_rejects_bad_shapes():
    from scipy import stats

    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(200, 1, generator=g), 1 + 2 * torch.randn(200, 1, generator=g)
    want = stats.wasserstein_distance(a.ravel().numpy(), b.ravel().numpy())
    assert abs(gh.metrics.wasserstein1_points(a, b) - want) < 1e-9
    shifted = gh.metrics.wasserstein1_points(a.repeat(1, 2), a.repeat(1, 2) + torch.tensor([3.0, 4.0]))
    assert abs(shifted - 5.0) < 1e-6  # a rigid shift by (3, 4) costs exactly 5 per point (float32 input)
    with pytest.raises(ValueError):
        gh.metrics.wasserstein1_points(torch.zeros(3, 2), torch.zeros(4, 2))
