"""Tests for gan_helpers.theory: exact preimages vs brute force and Monte Carlo, divergences vs closed forms."""
import math

import numpy as np
import pytest
from scipy import stats

from gan_helpers import theory as T

INF = math.inf


# --------------------------------------------------------------------------- Z(x) and the CDF


def brute_force_member(x, z):
    """True where G(z) <= x componentwise, straight from the definition."""
    return np.all(T.toronto_generator(z) <= np.asarray(x, dtype=float), axis=1)


def same(got, want, tol=1e-12):
    """Equal unions of intervals (infinite endpoints must match exactly)."""
    return len(got) == len(want) and all(
        np.allclose(np.array(g, float), np.array(w, float), atol=tol, rtol=0) for g, w in zip(got, want))


def in_union(intervals, z):
    return np.any([(z >= lo) & (z <= hi) for lo, hi in intervals] or [np.zeros_like(z, bool)], axis=0)


def test_slide_cases_and_the_corrected_one():
    assert same(T.toronto_preimage([-1, math.e**2, 2]), [(-2, -1), (1, 2)])
    assert T.toronto_preimage([-1, 1, 2]) == [(1.0, 2.0)]
    # The slides say the empty set for x = [a, 1, 2], a > 0. But -z^2 <= a holds for every z,
    # so Z(x) = {z >= 0} ∩ {z <= 2} = [0, 2].
    for a in (1e-9, 0.5, 3.0, INF):
        assert T.toronto_preimage([a, 1, 2]) == [(0.0, 2.0)]
    phi = stats.norm.cdf
    assert T.toronto_cdf([-1, math.e**2, 2]) == pytest.approx(2 * (phi(2) - phi(1)), abs=1e-12)
    assert T.toronto_cdf([-1, 1, 2]) == pytest.approx(phi(2) - phi(1), abs=1e-12)
    assert T.toronto_cdf([0.5, 1, 2]) == pytest.approx(phi(2) - 0.5, abs=1e-12)
    assert T.toronto_cdf([0.5, 1, 2]) > 0.47  # not the slides' 0


@pytest.mark.parametrize("x, want", [
    ([-1, 0.0, 5], []),                       # exp(-z) <= 0 never holds
    ([-1, -3.0, 5], []),
    ([-INF, 1, 2], []),                       # -z^2 <= -inf never holds
    ([-1, 1, -INF], []),
    ([INF, INF, INF], [(-INF, INF)]),
    ([0.0, INF, INF], [(-INF, INF)]),         # (-inf, 0] ∪ [0, inf) merges into R
    ([-4, INF, INF], [(-INF, -2.0), (2.0, INF)]),
    ([-4, INF, 1], [(-INF, -2.0)]),
    ([5, INF, -1], [(-INF, -1.0)]),
    ([-1, math.e, -1], [(-1.0, -1.0)]),      # a single point: z = -1
    ([-1, math.e**3, 0.5], [(-3.0, -1.0)]),
    ([-1, math.e**0.5, 3], [(1.0, 3.0)]),
])
def test_edge_cases(x, want):
    assert same(T.toronto_preimage(x), want)


def test_preimage_matches_definition_on_a_z_grid():
    rng = np.random.default_rng(1)
    z = np.concatenate([np.linspace(-6, 6, 4801), [-2.0, -1.0, 0.0, 1.0, 2.0]])
    for _ in range(300):
        x = [rng.uniform(-9, 2), rng.choice([-1.0, 0.0, math.exp(rng.uniform(-4, 4))]), rng.uniform(-5, 5)]
        intervals = T.toronto_preimage(x)
        assert intervals == T.normalize_intervals(intervals)           # sorted, disjoint, merged
        assert all(h1 < l2 for (_, h1), (l2, _) in zip(intervals, intervals[1:]))
        np.testing.assert_array_equal(in_union(intervals, z), brute_force_member(x, z))  # endpoints: up to rounding


def test_cdf_against_monte_carlo():
    rng = np.random.default_rng(0)
    n = 10**6
    samples = T.toronto_generator(rng.standard_normal(n))
    for _ in range(25):
        x = np.array([rng.uniform(-4, 1), math.exp(rng.uniform(-3, 3)), rng.uniform(-2.5, 2.5)])
        exact = T.toronto_cdf(x)
        mc = np.all(samples <= x, axis=1).mean()
        sd = math.sqrt(max(exact * (1 - exact), 1e-12) / n)
        assert abs(mc - exact) < 5 * sd + 1e-6, (x, exact, mc)


def test_interval_helpers():
    assert T.normalize_intervals([(3, 4), (0, 1), (1, 2), (5, 4), (INF, INF)]) == [(0, 2), (3, 4)]
    assert T.intersect_intervals([(-INF, -1), (1, INF)], [(-2, 2)]) == [(-2, -1), (1, 2)]
    assert T.gaussian_interval_mass([]) == 0.0
    assert T.gaussian_interval_mass([(-INF, INF)]) == pytest.approx(1.0)
    assert T.gaussian_interval_mass([(1, 3)], mu=1, sigma=2) == pytest.approx(stats.norm.cdf(1) - 0.5)
    assert T.gaussian_interval_mass([(30, 31)]) > 0  # far tail via the survival function
    assert T.format_intervals([(-INF, -1), (1, 2)]) == "(-∞, -1] ∪ [1, 2]"
    assert T.format_intervals([]) == "∅"


def test_bad_inputs_raise():
    for bad in ([1, 2], [[1, 2, 3]], [1, float("nan"), 3]):
        with pytest.raises(ValueError, match="3 numbers"):
            T.toronto_preimage(bad)
    with pytest.raises(ValueError, match="shape"):
        T.toronto_generator(np.zeros((3, 1)))
    with pytest.raises(ValueError, match="positive"):
        T.gaussian_interval_mass([(0, 1)], sigma=0)
    with pytest.raises(ValueError, match="positive"):
        T.gaussian_pdf(0, -1)
    with pytest.raises(ValueError, match="a < b"):
        T.uniform_pdf(1, 1)
    p = T.gaussian_pdf(0, 1)
    with pytest.raises(ValueError, match="integrates to"):
        T.kl_divergence(lambda x: 2 * p(x), p, -10, 10)
    with pytest.raises(ValueError, match="integrates to"):
        T.js_divergence(p, p, -1, 1)  # the range misses most of the mass
    with pytest.raises(ValueError, match="finite lo < hi"):
        T.gan_value(p, p, lambda x: 0.5 + 0 * x, 3, -3)
    with pytest.raises(ValueError, match="inside"):
        T.generator_cost([0.0, 0.5], "minimax")
    with pytest.raises(ValueError, match="kind"):
        T.generator_cost([0.5], "hinge")


def test_exercise_references():
    z = np.linspace(-4, 4, 1601)
    for x in ([4, 1], [4, 5], [-1, 3], [4, -3], [2.5, 0.3], [INF, 1], [9, -3]):
        got = T.square_neg_preimage(x)
        member = (z**2 <= x[0]) & (-z <= x[1])
        np.testing.assert_array_equal(in_union(got, z), member)
    assert T.square_neg_preimage([4, 1]) == [(-1.0, 2.0)]
    assert T.square_neg_preimage([-1, 3]) == []
    x = np.array([-1.0, 0.0, 0.1, 1.0, 3.0])
    np.testing.assert_allclose(T.lognormal_pdf(x), stats.lognorm(s=1).pdf(x), atol=1e-15)


# --------------------------------------------------------------------------- divergences, D*, V


PAIRS = [
    (T.gaussian_pdf(0, 1), T.gaussian_pdf(1, 1), -20, 20),
    (T.gaussian_pdf(0, 1), T.gaussian_pdf(0, 2), -30, 30),
    (T.mixture_pdf([-1, 1], 0.2), T.gaussian_pdf(0.5, 0.7), -10, 10),
    (T.uniform_pdf(0, 1), T.uniform_pdf(0.5, 1.5), -1, 3),
    (T.gaussian_pdf(0, 1), T.uniform_pdf(-1, 2), -15, 15),
    (T.uniform_pdf(0, 1), T.uniform_pdf(2, 3), -1, 4),
]


def test_kl_gaussians_closed_form():
    for m1, s1, m2, s2 in ((0, 1, 1, 1), (0, 1, 0, 2), (-1, 0.5, 2, 1.5), (0, 1, 0, 0.1)):
        want = math.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - 0.5
        got = T.kl_divergence(T.gaussian_pdf(m1, s1), T.gaussian_pdf(m2, s2), -40, 40)
        assert got == pytest.approx(want, rel=1e-8, abs=1e-10)


def test_kl_infinite_and_zero_regions():
    u01, u02 = T.uniform_pdf(0, 1), T.uniform_pdf(0, 2)
    assert T.kl_divergence(u02, u01, -1, 3) == INF       # p has mass on (1, 2] where q = 0
    assert T.kl_divergence(u01, u02, -1, 3) == pytest.approx(math.log(2), abs=1e-9)  # p = 0 regions ok
    assert T.kl_divergence(u01, u01, -1, 3) == pytest.approx(0, abs=1e-12)


def test_js_properties():
    for p, q, lo, hi in PAIRS:
        js = T.js_divergence(p, q, lo, hi)
        assert 0 <= js <= math.log(2) + 1e-12
        assert js == pytest.approx(T.js_divergence(q, p, lo, hi), abs=1e-10)
        assert T.js_divergence(p, p, lo, hi) == pytest.approx(0, abs=1e-12)
    assert T.js_divergence(T.uniform_pdf(0, 1), T.uniform_pdf(2, 3), -1, 4) == pytest.approx(math.log(2), abs=1e-10)
    for s in (0.1, 0.5, 0.9):  # overlapping uniforms: JSD = s log 2 (each non-overlap piece gives log 2)
        assert T.js_divergence(T.uniform_pdf(0, 1), T.uniform_pdf(s, 1 + s), -1, 3) == pytest.approx(
            s * math.log(2), abs=1e-9)
    js_direct = T.js_divergence(*PAIRS[0])
    m = lambda x: 0.5 * (PAIRS[0][0](x) + PAIRS[0][1](x))  # noqa: E731
    via_kl = 0.5 * T.kl_divergence(PAIRS[0][0], m, -20, 20) + 0.5 * T.kl_divergence(PAIRS[0][1], m, -20, 20)
    assert js_direct == pytest.approx(via_kl, abs=1e-9)


def test_value_at_optimal_discriminator_is_minus_log4_plus_2jsd():
    for p, q, lo, hi in PAIRS:
        v = T.gan_value(p, q, T.optimal_discriminator(p, q), lo, hi)
        assert v == pytest.approx(-math.log(4) + 2 * T.js_divergence(p, q, lo, hi), abs=1e-6)
        d_half = lambda x: np.full(np.shape(x), 0.5)  # noqa: E731
        assert T.gan_value(p, q, d_half, lo, hi) == pytest.approx(-math.log(4), abs=1e-6)
        assert T.gan_value(p, p, T.optimal_discriminator(p, p), lo, hi) == pytest.approx(-math.log(4), abs=1e-6)


def test_optimal_discriminator_values():
    p, q = T.gaussian_pdf(0, 1), T.gaussian_pdf(1, 1)
    x = np.linspace(-5, 5, 11)
    np.testing.assert_allclose(T.optimal_discriminator(p, q)(x), p(x) / (p(x) + q(x)), rtol=1e-12)
    np.testing.assert_allclose(T.optimal_discriminator(p, p)(x), 0.5)
    d = T.optimal_discriminator(T.uniform_pdf(0, 1), T.uniform_pdf(2, 3))
    np.testing.assert_allclose(d(np.array([0.5, 2.5, 1.5, -7.0])), [1.0, 0.0, 0.5, 0.5])  # 1/2 where both are 0
    # D* beats any other discriminator
    v_star = T.gan_value(p, q, T.optimal_discriminator(p, q), -20, 20)
    for w in (0.5, 2.0):
        other = lambda x, w=w: 1 / (1 + np.exp(w * (x - 0.5)))  # noqa: E731
        assert T.gan_value(p, q, other, -20, 20) < v_star


def test_discrete_divergences():
    p, q = np.array([0.5, 0.5, 0.0]), np.array([0.0, 0.5, 0.5])
    assert T.kl_divergence_discrete(p, q) == INF
    assert T.kl_divergence_discrete([0.5, 0.5], [0.25, 0.75]) == pytest.approx(
        0.5 * math.log(2) + 0.5 * math.log(2 / 3))
    assert T.js_divergence_discrete(p, q) == pytest.approx(0.5 * math.log(2))
    assert T.js_divergence_discrete([1, 0], [0, 1]) == pytest.approx(math.log(2))
    with pytest.raises(ValueError, match="sum to 1"):
        T.kl_divergence_discrete([0.5, 0.6], [0.5, 0.5])


# --------------------------------------------------------------------------- Example 1, generator costs, GDA


def test_example1():
    for theta in (-1.5, 0.2, 3.0):
        assert T.example1_distances(theta) == {"W": abs(theta), "JS": math.log(2), "KL": INF, "TV": 1.0}
    assert T.example1_distances(0.0) == {"W": 0.0, "JS": 0.0, "KL": 0.0, "TV": 0.0}
    s = T.example1_samples(0.7, 500, np.random.default_rng(0))
    assert s.shape == (500, 2) and (s[:, 0] == 0.7).all() and 0 <= s[:, 1].min() and s[:, 1].max() <= 1
    # W on the x-marginal from samples
    s0 = T.example1_samples(0.0, 500, np.random.default_rng(1))
    assert stats.wasserstein_distance(s[:, 0], s0[:, 0]) == pytest.approx(0.7)


def test_generator_costs_and_logit_gradients():
    d = np.linspace(0.01, 0.99, 99)
    logit = np.log(d / (1 - d))
    h = 1e-6
    for kind in T.GENERATOR_COSTS:
        fd = (T.generator_cost(1 / (1 + np.exp(-(logit + h))), kind)
              - T.generator_cost(1 / (1 + np.exp(-(logit - h))), kind)) / (2 * h)
        np.testing.assert_allclose(T.generator_grad_logit(d, kind), fd, rtol=1e-5, atol=1e-8)
        assert (T.generator_grad_logit(d, kind) < 0).all()  # raising D(G(z)) always lowers each cost
    np.testing.assert_allclose(T.generator_cost(d, "maximum-likelihood"), -np.exp(logit))
    mm, ns, ml = (T.generator_grad_logit(d, k) for k in T.GENERATOR_COSTS)
    np.testing.assert_allclose(mm + ns, -1.0)           # the two gradients always sum to -1
    np.testing.assert_allclose(ml, mm / (1 - d))
    small, big = np.array([1e-8]), np.array([1 - 1e-8])
    assert abs(T.generator_grad_logit(small, "minimax")[0]) < 1e-7          # saturates when D rejects
    assert T.generator_grad_logit(small, "non-saturating")[0] == pytest.approx(-1, abs=1e-7)
    assert abs(T.generator_grad_logit(small, "maximum-likelihood")[0]) < 1e-7   # flat too
    assert T.generator_grad_logit(big, "non-saturating")[0] == pytest.approx(0, abs=1e-7)
    assert T.generator_grad_logit(big, "maximum-likelihood")[0] < -1e7
    half = np.array([0.5])
    assert [T.generator_grad_logit(half, k)[0] for k in T.GENERATOR_COSTS] == pytest.approx([-0.5, -0.5, -1.0])
    np.testing.assert_allclose(T.non_saturating_grad(logit), ns)


def test_gda_on_bilinear_game():
    lr = 0.1
    sim = T.gda_trajectory(1.0, 0.5, lr, 200, alternating=False)
    norms = np.linalg.norm(sim, axis=1)
    np.testing.assert_allclose(norms[1:] / norms[:-1], math.sqrt(1 + lr**2))  # grows every step
    alt = T.gda_trajectory(1.0, 0.5, lr, 2000, alternating=True)
    x, y = alt[:, 0], alt[:, 1]
    np.testing.assert_allclose(x**2 + y**2 - lr * x * y, 1.0 + 0.25 - lr * 0.5)  # a conserved ellipse
    assert T.gda_step(1.0, 2.0, 0.1) == pytest.approx((0.8, 2.1))
    assert T.gda_step(1.0, 2.0, 0.1, alternating=True) == pytest.approx((0.8, 2.08))
    with pytest.raises(ValueError):
        T.gda_step(1.0, 1.0, 0.0)


def test_generator_family_w():
    rng = np.random.default_rng(3)
    z = np.linspace(-5, 5, 2001)
    for w in (0.5, 1.0, 2.0):
        for _ in range(50):
            x = [rng.uniform(-6, 1), math.exp(rng.uniform(-5, 5)), rng.uniform(-4, 4)]
            member = np.all(T.toronto_generator(z, w) <= np.asarray(x), axis=1)
            np.testing.assert_array_equal(in_union(T.toronto_preimage(x, w), z), member)
    assert T.toronto_preimage([-1, math.e**2, 2], w=2.0) == [(-1.0, -1.0), (1.0, 2.0)]
    with pytest.raises(ValueError, match="positive"):
        T.toronto_preimage([0, 1, 1], w=0.0)


def test_wasserstein1_validates():
    p = T.gaussian_pdf(0, 1)
    with pytest.raises(ValueError, match="integrates to"):
        T.wasserstein1(p, p, -0.5, 0.5)
    assert T.wasserstein1(p, T.gaussian_pdf(1.5, 1), -12, 14) == pytest.approx(1.5, abs=2e-3)
