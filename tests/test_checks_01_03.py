"""Checkers of notebooks 01 and 03: CORRECT on an independent solution, WRONG on plausible mistakes,
NOT_ATTEMPTED on an untouched exercise."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from gan_helpers import checks
from gan_helpers.checks import generative, objectives
from gan_helpers.checks import Result

MVN = torch.distributions.MultivariateNormal


def not_done(*args):
    raise NotImplementedError()


# ------------------------------------------------------------------ notebook 01

def logpdf_torch(x, mean, cov):
    return MVN(mean, covariance_matrix=cov).log_prob(x)


def logpdf_no_half(x, mean, cov):
    diff = x - mean
    return -0.5 * (diff @ torch.linalg.inv(cov) * diff).sum(1) - torch.logdet(cov) - math.log(2 * math.pi)


def logpdf_float32_numpy(x, mean, cov):
    return np.asarray(logpdf_torch(x, mean, cov))  # a numpy array instead of a tensor


def test_gaussian_log_density_reference_matches_hand_value():
    # 1-D standard normal at 0: -0.5 log(2 pi); 2-D diag(4, 1) at (2, 0): -0.5 (1 + log 4 + 2 log 2 pi)
    ref = generative._ref_gaussian_log_density
    got = ref(torch.zeros(1, 1, dtype=torch.float64), torch.zeros(1, dtype=torch.float64),
              torch.eye(1, dtype=torch.float64))
    assert abs(got.item() + 0.5 * math.log(2 * math.pi)) < 1e-12
    got = ref(torch.tensor([[2.0, 0.0]], dtype=torch.float64), torch.zeros(2, dtype=torch.float64),
              torch.diag(torch.tensor([4.0, 1.0], dtype=torch.float64)))
    assert abs(got.item() + 0.5 * (1 + math.log(4) + 2 * math.log(2 * math.pi))) < 1e-12


def test_check_gaussian_log_density():
    assert checks.check_gaussian_log_density(logpdf_torch) is Result.CORRECT
    assert checks.check_gaussian_log_density(logpdf_no_half) is Result.WRONG
    assert checks.check_gaussian_log_density(lambda x, m, c: logpdf_torch(x, m, c) + 1.0) is Result.WRONG
    assert checks.check_gaussian_log_density(logpdf_float32_numpy) is Result.WRONG
    assert checks.check_gaussian_log_density(not_done) is Result.NOT_ATTEMPTED


def posterior_torch(x, params):
    log_joint = torch.log(params["priors"]) + MVN(params["means"], covariance_matrix=params["covs"]
                                                  ).log_prob(x[:, None, :])
    return torch.softmax(log_joint, dim=1)


def posterior_no_prior(x, params):
    return torch.softmax(MVN(params["means"], covariance_matrix=params["covs"]).log_prob(x[:, None, :]), 1)


def test_class_posterior_reference_rows_sum_to_one_and_match_two_class_logit():
    x, p = generative._cases_01(5)[0]
    post = generative._ref_class_posterior(x, p)
    assert torch.allclose(post.sum(1), torch.ones(len(x), dtype=post.dtype))
    # two classes: p(y=1|x) = sigmoid(log p(x,1) - log p(x,0))
    lj = [math.log(p["priors"][k]) + logpdf_torch(x, p["means"][k], p["covs"][k]) for k in (0, 1)]
    assert torch.allclose(post[:, 1], torch.sigmoid(lj[1] - lj[0]), atol=1e-12)


def test_check_class_posterior():
    assert checks.check_class_posterior(posterior_torch) is Result.CORRECT
    assert checks.check_class_posterior(posterior_no_prior) is Result.WRONG
    assert checks.check_class_posterior(lambda x, p: torch.log(posterior_torch(x, p))) is Result.WRONG
    assert checks.check_class_posterior(not_done) is Result.NOT_ATTEMPTED


def sampler_good(params, n, generator):
    y = torch.multinomial(params["priors"], n, replacement=True, generator=generator)
    chol = torch.linalg.cholesky(params["covs"])
    eps = torch.randn(n, params["means"].shape[1], generator=generator, dtype=torch.float64)
    return params["means"][y] + (chol[y] @ eps[:, :, None])[:, :, 0], y


def sampler_cov_as_scale(params, n, generator):
    y = torch.multinomial(params["priors"], n, replacement=True, generator=generator)
    eps = torch.randn(n, params["means"].shape[1], generator=generator, dtype=torch.float64)
    return params["means"][y] + (params["covs"][y] @ eps[:, :, None])[:, :, 0], y


def sampler_uniform_classes(params, n, generator):
    flat = {**params, "priors": torch.full_like(params["priors"], 1 / len(params["priors"]))}
    return sampler_good(flat, n, generator)


def sampler_global_rng(params, n, generator):
    return sampler_good(params, n, None)


@pytest.mark.parametrize("seed_shift", [0, 1, 2])
def test_check_sample_generative_correct_for_other_rng_streams(seed_shift):
    # a correct sampler that uses the generator differently must still pass (tolerance >= 5 SE)
    def sampler(params, n, generator):
        for _ in range(seed_shift):
            torch.randn(17, generator=generator)
        return sampler_good(params, n, generator)
    assert checks.check_sample_generative(sampler) is Result.CORRECT


def test_check_sample_generative_wrong_answers():
    assert checks.check_sample_generative(sampler_cov_as_scale) is Result.WRONG
    assert checks.check_sample_generative(sampler_uniform_classes) is Result.WRONG
    assert checks.check_sample_generative(sampler_global_rng) is Result.WRONG
    assert checks.check_sample_generative(lambda p, n, g: sampler_good(p, n, g)[0]) is Result.WRONG
    assert checks.check_sample_generative(not_done) is Result.NOT_ATTEMPTED


# ------------------------------------------------------------------ notebook 03

def d_prior_good(p_data, p_g, prior_real):
    a, b = prior_real * np.asarray(p_data), (1 - prior_real) * np.asarray(p_g)
    with np.errstate(invalid="ignore"):
        return np.where(a + b > 0, a / np.where(a + b > 0, a + b, 1.0), prior_real)


def test_optimal_d_with_prior_reference_by_hand():
    # p_data = 1, p_g = 3: equal priors 1/4; prior 0.75 gives 0.75 / (0.75 + 0.75) = 1/2
    ref = objectives._ref_optimal_d_with_prior
    assert np.allclose(ref([1.0, 0.0, 0.0], [3.0, 2.0, 0.0], 0.5), [0.25, 0.0, 0.5])
    assert np.allclose(ref([1.0], [3.0], 0.75), [0.5])


def test_check_optimal_d_with_prior():
    assert checks.check_optimal_d_with_prior(d_prior_good) is Result.CORRECT
    assert checks.check_optimal_d_with_prior(lambda a, b, pi: d_prior_good(a, b, 0.5)) is Result.WRONG
    assert checks.check_optimal_d_with_prior(lambda a, b, pi: 1 - d_prior_good(a, b, pi)) is Result.WRONG

    def nan_at_zero(a, b, pi):
        with np.errstate(invalid="ignore"):
            return pi * a / (pi * a + (1 - pi) * b)
    assert checks.check_optimal_d_with_prior(nan_at_zero) is Result.WRONG
    assert checks.check_optimal_d_with_prior(not_done) is Result.NOT_ATTEMPTED


def d_loss_good(real_logits, fake_logits):
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    return bce(real_logits, torch.ones_like(real_logits)) + bce(fake_logits, torch.zeros_like(fake_logits))


def test_check_d_loss():
    assert checks.check_d_loss(d_loss_good) is Result.CORRECT
    concat = lambda r, f: torch.nn.functional.binary_cross_entropy_with_logits(  # noqa: E731
        torch.cat([r, f]), torch.cat([torch.ones_like(r), torch.zeros_like(f)]))
    assert checks.check_d_loss(concat) is Result.WRONG
    assert checks.check_d_loss(lambda r, f: d_loss_good(f, r)) is Result.WRONG
    naive = lambda r, f: -torch.log(torch.sigmoid(r)).mean() - torch.log(1 - torch.sigmoid(f)).mean()  # noqa: E731
    assert checks.check_d_loss(naive) is Result.WRONG
    assert checks.check_d_loss(not_done) is Result.NOT_ATTEMPTED


def test_d_loss_reference_is_2log2_at_half():
    from gan_helpers import losses
    zero = torch.zeros(5, 1)
    assert abs(losses.d_loss_bce(zero, zero[:3]).item() - 2 * math.log(2)) < 1e-6


def best_value_grid(a, b):
    # brute force: maximise on a fine grid of y (plus the end points, needed when a or b is 0)
    y = np.concatenate([[0.0], np.linspace(1e-9, 1 - 1e-9, 200001), [1.0]])
    from scipy.special import xlogy
    return np.array([np.max(xlogy(ai, y) + xlogy(bi, 1 - y)) for ai, bi in zip(a, b)])


def test_best_value_reference_matches_brute_force():
    for a, b in objectives._density_cases(7):
        assert np.allclose(objectives._ref_best_value(a, b), best_value_grid(a, b), atol=1e-6)


def test_check_best_value():
    from scipy.special import xlogy

    def good(a, b):
        s = np.where(a + b > 0, a + b, 1.0)
        return xlogy(a, a / s) + xlogy(b, b / s)
    assert checks.check_best_value(good) is Result.CORRECT
    assert checks.check_best_value(best_value_grid) is Result.CORRECT   # 1e-6 tolerance is met
    assert checks.check_best_value(lambda a, b: -(a + b) * math.log(2)) is Result.WRONG

    def naive(a, b):
        with np.errstate(divide="ignore", invalid="ignore"):
            return a * np.log(a / (a + b)) + b * np.log(b / (a + b))
    assert checks.check_best_value(naive) is Result.WRONG
    assert checks.check_best_value(not_done) is Result.NOT_ATTEMPTED


# ------------------------------------------------------------------ notebook 03: widget and plot

def test_optimal_discriminator_summary_known_values():
    from scipy.stats import norm

    from gan_helpers import widgets
    same = widgets.optimal_discriminator_summary(0.0, 1.0, "gaussian")
    assert abs(same["JSD"]) < 1e-9 and abs(same["TV"]) < 1e-9
    assert abs(same["V(G, D*)"] + math.log(4)) < 1e-8
    shifted = widgets.optimal_discriminator_summary(2.0, 1.0, "gaussian")
    assert abs(shifted["TV"] - (2 * norm.cdf(1.0) - 1)) < 1e-7          # TV of N(0,1), N(2,1)
    assert abs(shifted["V(G, D*)"] - (-math.log(4) + 2 * shifted["JSD"])) < 1e-7
    bimodal = widgets.optimal_discriminator_summary(0.0, 1.0, "bimodal")
    assert 0 < bimodal["JSD"] < math.log(2)
    with pytest.raises(ValueError):
        widgets.optimal_discriminator_summary(0.0, 0.0)
    with pytest.raises(ValueError):
        widgets.optimal_discriminator_summary(0.0, 1.0, "trimodal")


def test_optimal_discriminator_view_prints_and_draws(capsys):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from gan_helpers import widgets
    plt.close("all")
    widgets.optimal_discriminator_view(0.0, 1.0, "gaussian")
    out = capsys.readouterr().out
    assert "JSD = 0.0000" in out and "V(G, D*) = -1.3863" in out
    fig = plt.gcf()
    assert len(fig.axes) == 2                                        # densities + twin axis for D*
    d_line = fig.axes[1].get_lines()[0].get_ydata()
    assert np.allclose(d_line, 0.5)                                  # p_g = p_data: D* = 1/2
    plt.close("all")


def test_plot_discriminator_1d_draws_curves():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from gan_helpers import plotting, theory
    p, q = theory.gaussian_pdf(0, 1), theory.gaussian_pdf(2, 1)
    d_star = theory.optimal_discriminator(p, q)
    ax = plotting.plot_discriminator_1d(p, q, {"D*": d_star, "half": lambda x: 0.5 + 0 * x},
                                        xlim=(-3, 5), title="t")
    twin = [a for a in ax.figure.axes if a is not ax][0]
    xs = np.linspace(-3, 5, 801)
    assert np.allclose(twin.get_lines()[0].get_ydata(), 1 / (1 + np.exp(2 * xs - 2)))  # D* = sigmoid(2 - 2x)
    assert ax.get_title() == "t" and len(ax.get_legend().get_texts()) == 4
    plt.close("all")
