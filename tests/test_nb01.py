"""Notebook 01's checkers: CORRECT on an independent solution, WRONG on plausible mistakes,
NOT_ATTEMPTED on an untouched exercise."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import gan_helpers as gh
from gan_helpers.checks import Result
from gan_helpers.course import nb01

MVN = torch.distributions.MultivariateNormal


def not_done(*args):
    raise NotImplementedError()


def logpdf_torch(x, mean, cov):
    return MVN(mean, covariance_matrix=cov).log_prob(x)


def logpdf_no_half(x, mean, cov):
    diff = x - mean
    return -0.5 * (diff @ torch.linalg.inv(cov) * diff).sum(1) - torch.logdet(cov) - math.log(2 * math.pi)


def logpdf_float32_numpy(x, mean, cov):
    return np.asarray(logpdf_torch(x, mean, cov))  # a numpy array instead of a tensor


def test_gaussian_log_density_reference_matches_hand_value():
    # 1-D standard normal at 0: -0.5 log(2 pi); 2-D diag(4, 1) at (2, 0): -0.5 (1 + log 4 + 2 log 2 pi)
    ref = nb01._ref_gaussian_log_density
    got = ref(torch.zeros(1, 1, dtype=torch.float64), torch.zeros(1, dtype=torch.float64),
              torch.eye(1, dtype=torch.float64))
    assert abs(got.item() + 0.5 * math.log(2 * math.pi)) < 1e-12
    got = ref(torch.tensor([[2.0, 0.0]], dtype=torch.float64), torch.zeros(2, dtype=torch.float64),
              torch.diag(torch.tensor([4.0, 1.0], dtype=torch.float64)))
    assert abs(got.item() + 0.5 * (1 + math.log(4) + 2 * math.log(2 * math.pi))) < 1e-12


def test_check_gaussian_log_density():
    assert nb01.check_gaussian_log_density(logpdf_torch) is Result.CORRECT
    assert nb01.check_gaussian_log_density(logpdf_no_half) is Result.WRONG
    assert nb01.check_gaussian_log_density(lambda x, m, c: logpdf_torch(x, m, c) + 1.0) is Result.WRONG
    assert nb01.check_gaussian_log_density(logpdf_float32_numpy) is Result.WRONG
    assert nb01.check_gaussian_log_density(not_done) is Result.NOT_ATTEMPTED


def posterior_torch(x, params):
    log_joint = torch.log(params["priors"]) + MVN(params["means"], covariance_matrix=params["covs"]
                                                  ).log_prob(x[:, None, :])
    return torch.softmax(log_joint, dim=1)


def posterior_no_prior(x, params):
    return torch.softmax(MVN(params["means"], covariance_matrix=params["covs"]).log_prob(x[:, None, :]), 1)


def test_class_posterior_reference_rows_sum_to_one_and_match_two_class_logit():
    x, p = nb01._cases_01(5)[0]
    post = nb01._ref_class_posterior(x, p)
    assert torch.allclose(post.sum(1), torch.ones(len(x), dtype=post.dtype))
    # two classes: p(y=1|x) = sigmoid(log p(x,1) - log p(x,0))
    lj = [math.log(p["priors"][k]) + logpdf_torch(x, p["means"][k], p["covs"][k]) for k in (0, 1)]
    assert torch.allclose(post[:, 1], torch.sigmoid(lj[1] - lj[0]), atol=1e-12)


def test_check_class_posterior():
    assert nb01.check_class_posterior(posterior_torch) is Result.CORRECT
    assert nb01.check_class_posterior(posterior_no_prior) is Result.WRONG
    assert nb01.check_class_posterior(lambda x, p: torch.log(posterior_torch(x, p))) is Result.WRONG
    assert nb01.check_class_posterior(not_done) is Result.NOT_ATTEMPTED


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
    assert nb01.check_sample_generative(sampler) is Result.CORRECT


def test_check_sample_generative_wrong_answers():
    assert nb01.check_sample_generative(sampler_cov_as_scale) is Result.WRONG
    assert nb01.check_sample_generative(sampler_uniform_classes) is Result.WRONG
    assert nb01.check_sample_generative(sampler_global_rng) is Result.WRONG
    assert nb01.check_sample_generative(lambda p, n, g: sampler_good(p, n, g)[0]) is Result.WRONG
    assert nb01.check_sample_generative(not_done) is Result.NOT_ATTEMPTED


# ------------------------------------------------------------------ exercise 4: logistic_from_gaussians

def logistic_good(params):
    # an independent solution: w and b read off the log-odds of two MVNs at d + 1 points
    mvn = [MVN(params["means"][k], covariance_matrix=params["covs"][k]) for k in (0, 1)]
    d = params["means"].shape[1]
    pts = torch.cat([torch.zeros(1, d, dtype=torch.float64), torch.eye(d, dtype=torch.float64)])
    logit = (torch.log(params["priors"][1]) + mvn[1].log_prob(pts)
             - torch.log(params["priors"][0]) - mvn[0].log_prob(pts))
    return logit[1:] - logit[0], logit[0]


def logistic_variant(sign=1.0, prior=1.0, half=0.5, invert=True):
    def f(params):
        s = params["covs"][0]
        m = torch.linalg.inv(s) if invert else s
        mu0, mu1 = params["means"]
        b = (-half * mu1 @ m @ mu1 + half * mu0 @ m @ mu0
             + prior * (torch.log(params["priors"][1]) - torch.log(params["priors"][0])))
        return sign * (m @ (mu1 - mu0)), sign * b
    return f


def test_logistic_from_gaussians_reference_is_the_posterior():
    for (params,) in nb01._logistic_cases():
        w, b = nb01._ref_logistic_from_gaussians(params)
        x = torch.randn(50, params["means"].shape[1], dtype=torch.float64)
        post = nb01._ref_class_posterior(x, params)[:, 1]
        assert w.shape == params["means"].shape[1:] and b.shape == ()
        assert torch.allclose(torch.sigmoid(x @ w + b), post, atol=1e-12)
    # by hand: Sigma = I, mu_0 = 0, mu_1 = (2, 0), priors (3/4, 1/4): w = (2, 0), b = -2 - log 3
    hand = {"priors": torch.tensor([0.75, 0.25], dtype=torch.float64),
            "means": torch.tensor([[0.0, 0.0], [2.0, 0.0]], dtype=torch.float64),
            "covs": torch.eye(2, dtype=torch.float64).expand(2, 2, 2)}
    w, b = nb01._ref_logistic_from_gaussians(hand)
    assert torch.allclose(w, torch.tensor([2.0, 0.0], dtype=torch.float64))
    assert abs(b.item() - (-2 - math.log(3))) < 1e-12


def test_check_logistic_from_gaussians_correct():
    assert nb01.check_logistic_from_gaussians(logistic_good) is Result.CORRECT
    assert nb01.check_logistic_from_gaussians(logistic_variant()) is Result.CORRECT
    # b as a python float and w as a numpy array are accepted too
    as_numbers = lambda p: (logistic_good(p)[0].numpy(), logistic_good(p)[1].item())  # noqa: E731
    assert nb01.check_logistic_from_gaussians(as_numbers) is Result.CORRECT


@pytest.mark.parametrize("kwargs, hint", [
    ({"prior": 0.0}, "that weight ends up in b"),
    ({"prior": -1.0}, "class 1 on top"),
    ({"sign": -1.0}, "p(y = 0 | x)"),
    ({"invert": False}, "INVERSE covariance"),
    ({"half": 1.0}, "factor 1/2"),
])
def test_check_logistic_from_gaussians_known_wrongs(kwargs, hint, capsys):
    assert nb01.check_logistic_from_gaussians(logistic_variant(**kwargs)) is Result.WRONG
    assert hint in capsys.readouterr().out


def test_check_logistic_from_gaussians_other_failures(capsys):
    assert nb01.check_logistic_from_gaussians(lambda p: logistic_good(p)[0]) is Result.WRONG   # w only
    assert "return a pair (w, b)" in capsys.readouterr().out
    only_w_flipped = lambda p: (-logistic_good(p)[0], logistic_good(p)[1])  # noqa: E731
    assert nb01.check_logistic_from_gaussians(only_w_flipped) is Result.WRONG
    assert "quadratic terms in x cancel" in capsys.readouterr().out        # the generic hint
    assert nb01.check_logistic_from_gaussians(not_done) is Result.NOT_ATTEMPTED
    assert "not attempted yet" in capsys.readouterr().out


def test_check_logistic_from_gaussians_rejects_delegation(capsys):
    assert nb01.check_logistic_from_gaussians(
        lambda p: nb01._ref_logistic_from_gaussians(p)) is Result.WRONG
    assert "write it yourself" in capsys.readouterr().out
    assert nb01.check_logistic_from_gaussians(
        lambda p: gh.course.nb01._ref_logistic_from_gaussians(p)) is Result.WRONG
    assert "write it yourself; calling gh.course.nb01._ref_logistic_from_gaussians" in capsys.readouterr().out
