"""Notebook 01's checkers: CORRECT on an independent solution, WRONG on plausible mistakes,
NOT_ATTEMPTED on an untouched exercise."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

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
