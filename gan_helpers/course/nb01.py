"""Notebook 01 (discriminative vs generative): the exercise checkers and their references.

The references are private here: they are the exercises' answers, needed by no other notebook.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from ..checks.core import Result, run_check


def _ref_gaussian_log_density(x: torch.Tensor, mean: torch.Tensor, cov: torch.Tensor) -> torch.Tensor:
    """log N(x; mean, cov) for x (n, d), mean (d,), cov (d, d) -> (n,)."""
    chol = torch.linalg.cholesky(cov)
    sol = torch.linalg.solve_triangular(chol, (x - mean).T, upper=False)  # (d, n)
    log_det = 2 * torch.log(torch.diagonal(chol)).sum()
    return -0.5 * ((sol**2).sum(0) + log_det + x.shape[-1] * np.log(2 * np.pi))


def _ref_class_posterior(x: torch.Tensor, params: dict) -> torch.Tensor:
    """p(y = k | x) by Bayes' rule for class-conditional Gaussians: x (n, d) -> (n, K)."""
    log_joint = torch.stack([torch.log(params["priors"][k]) + _ref_gaussian_log_density(
        x, params["means"][k], params["covs"][k]) for k in range(len(params["priors"]))], dim=1)
    return torch.softmax(log_joint, dim=1)


def _cases_01(seed: int, n: int = 6) -> list[tuple]:
    """Seeded (x (n, d), params) pairs: two classes in 2-D and three classes in 3-D."""
    g = torch.Generator().manual_seed(seed)
    cases = []
    for k, d in ((2, 2), (3, 3)):
        a = torch.randn(k, d, d, generator=g, dtype=torch.float64)
        covs = a @ a.transpose(1, 2) + 0.5 * torch.eye(d, dtype=torch.float64)
        priors = torch.softmax(torch.randn(k, generator=g, dtype=torch.float64), 0)
        params = {"priors": priors, "means": torch.randn(k, d, generator=g, dtype=torch.float64),
                  "covs": covs}
        cases.append((2 * torch.randn(n, d, generator=g, dtype=torch.float64), params))
    return cases


def check_gaussian_log_density(fn: Callable) -> Result:
    """Check fn(x (n, d), mean (d,), cov (d, d)) -> log N(x; mean, cov) as a (n,) tensor."""
    cases = lambda: [(x, p["means"][0], p["covs"][0]) for x, p in _cases_01(101)]  # noqa: E731
    ld = lambda c: torch.logdet(c)  # noqa: E731
    quad = lambda x, m, c: ((x - m) @ torch.linalg.inv(c) * (x - m)).sum(1)  # noqa: E731
    d_log2pi = lambda x: x.shape[1] * np.log(2 * np.pi)  # noqa: E731
    wrong = {
        "cov not inverted": (lambda x, m, c: -0.5 * (((x - m) @ c * (x - m)).sum(1) + ld(c) + d_log2pi(x)),
                             "the quadratic form uses the INVERSE covariance."),
        "no 1/2 on log det": (lambda x, m, c: -0.5 * (quad(x, m, c) + d_log2pi(x)) - ld(c),
                              "the normaliser is (2 pi)^(-d/2) det(cov)^(-1/2): mind the 1/2."),
        "no 2 pi term": (lambda x, m, c: -0.5 * (quad(x, m, c) + ld(c)),
                         "a density needs its constant -d/2 log(2 pi) too."),
        "diagonal only": (lambda x, m, c: _ref_gaussian_log_density(x, m, torch.diag_embed(
            torch.diagonal(c))), "use the full covariance, not only its diagonal (that is naive Bayes)."),
    }
    return run_check("gaussian_log_density", fn, _ref_gaussian_log_density, cases,
                     "compare with torch.distributions.MultivariateNormal(mean, cov).log_prob(x).",
                     known_wrong=wrong)


def check_class_posterior(fn: Callable) -> Result:
    """Check fn(x (n, d), params) -> p(y = k | x) as a (n, K) tensor whose rows sum to 1."""
    def joint(x: torch.Tensor, p: dict) -> torch.Tensor:
        return torch.stack([p["priors"][k] * torch.exp(_ref_gaussian_log_density(
            x, p["means"][k], p["covs"][k])) for k in range(len(p["priors"]))], 1)
    flat = lambda p: {**p, "priors": torch.full_like(p["priors"], 1 / len(p["priors"]))}  # noqa: E731
    wrong = {
        "priors ignored": (lambda x, p: _ref_class_posterior(x, flat(p)),
                           "Bayes' rule multiplies each class likelihood by its prior p(y = k)."),
        "not normalised": (joint, "divide by p(x) = sum_k p(x, y = k) so that each row sums to 1."),
        "log posterior": (lambda x, p: torch.log(_ref_class_posterior(x, p)),
                          "return probabilities, not log-probabilities."),
        "wrong axis": (lambda x, p: joint(x, p) / joint(x, p).sum(0, keepdim=True),
                       "normalise over classes (each row), not over points."),
    }
    return run_check("class_posterior", fn, _ref_class_posterior, lambda: _cases_01(102),
                     "p(y=k|x) = p(y=k) N(x; mu_k, S_k) / sum_j p(y=j) N(x; mu_j, S_j).",
                     known_wrong=wrong)


def _sample_summary(fn: Callable, params: dict, n: int, seed: int) -> tuple:
    """Run a sampler fn(params, n, generator) -> (x (n, d), y (n,)); return class fractions, means, covs."""
    x, y = fn(params, n, torch.Generator().manual_seed(seed))
    x2, _ = fn(params, n, torch.Generator().manual_seed(seed))
    k, d = params["means"].shape
    if tuple(x.shape) != (n, d) or tuple(y.shape) != (n,):
        raise ValueError(f"expected x of shape ({n}, {d}) and y of shape ({n},), "
                         f"got {tuple(x.shape)} and {tuple(y.shape)}")
    if not torch.equal(x, x2):
        raise ValueError("two calls with equally seeded generators differ: draw all randomness "
                         "from the `generator` argument")
    x, y = x.double(), y.long()
    fracs = torch.stack([(y == j).double().mean() for j in range(k)])
    return (fracs, torch.stack([x[y == j].mean(0) for j in range(k)]),
            torch.stack([torch.cov(x[y == j].T) for j in range(k)]))


def _sampler_cases() -> list[tuple]:
    """(params, n, seed) with moderate covariances and priors >= 0.2, so 100k samples pin the moments."""
    g = torch.Generator().manual_seed(103)
    cases = []
    for priors in ((0.3, 0.7), (0.2, 0.3, 0.5)):
        k = d = len(priors)
        a = torch.randn(k, d, d, generator=g, dtype=torch.float64)
        params = {"priors": torch.tensor(priors, dtype=torch.float64),
                  "means": torch.randn(k, d, generator=g, dtype=torch.float64),
                  "covs": 0.3 * a @ a.transpose(1, 2) + 0.5 * torch.eye(d, dtype=torch.float64)}
        cases.append((params, 100_000, 7))
    return cases


def check_sample_generative(fn: Callable) -> Result:
    """Check a sampler fn(params, n, generator) -> (x (n, d), y (n,) labels) by its sample moments."""
    cases = _sampler_cases
    exact = lambda p, n, s: (p["priors"], p["means"], p["covs"])  # noqa: E731
    k = lambda p: len(p["priors"])  # noqa: E731
    wrong = {
        "priors ignored": (lambda p, n, s: (torch.full((k(p),), 1 / k(p)), p["means"], p["covs"]),
                           "draw the class y from the priors first, then x given y."),
        "diagonal only": (lambda p, n, s: (p["priors"], p["means"], torch.diag_embed(
            torch.diagonal(p["covs"], dim1=1, dim2=2))), "independent coordinates lose the correlations: "
                                                         "use a matrix square root of the covariance."),
        "cov as scale": (lambda p, n, s: (p["priors"], p["means"], p["covs"] @ p["covs"]),
                         "x = mean + A eps has covariance A A^T: A must be a square root (Cholesky) "
                         "of the covariance, not the covariance itself."),
    }
    return run_check("sample_generative", lambda p, n, s: _sample_summary(fn, p, n, s), exact, cases,
                     "ancestral sampling: y ~ Categorical(priors), then x = mean_y + L_y eps with "
                     "L_y L_y^T = cov_y and eps ~ N(0, I).", known_wrong=wrong, rtol=0.05, atol=0.06,
                     submitted=fn)
