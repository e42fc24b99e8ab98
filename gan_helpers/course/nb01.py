"""Notebook 01 (discriminative vs generative): the exercise checkers and their references.

The references are private here: they are the exercises' answers, needed by no other notebook.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from ..checks.core import Result, run_check
from ..widgets import Answer


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


def _ref_logistic_from_gaussians(params: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """(w (d,), b ()) with p(y = 1 | x) = sigmoid(w^T x + b) for two Gaussians sharing covs[0]."""
    prec = torch.linalg.inv(params["covs"][0])
    mu0, mu1 = params["means"][0], params["means"][1]
    pi0, pi1 = params["priors"][0], params["priors"][1]
    w = prec @ mu1 - prec @ mu0
    b = -0.5 * mu1 @ prec @ mu1 + 0.5 * mu0 @ prec @ mu0 + torch.log(pi1) - torch.log(pi0)
    return w, b


def _logistic_cases() -> list[tuple]:
    """Seeded two-class models with one shared covariance in d = 1, 2, 3, 4 (equal priors in d = 1)."""
    g = torch.Generator().manual_seed(104)
    cases = []
    for d in (1, 2, 3, 4):
        a = torch.randn(d, d, generator=g, dtype=torch.float64)
        cov = a @ a.T + 0.5 * torch.eye(d, dtype=torch.float64)
        priors = torch.softmax(torch.randn(2, generator=g, dtype=torch.float64), 0)
        params = {"priors": torch.full((2,), 0.5, dtype=torch.float64) if d == 1 else priors,
                  "means": torch.randn(2, d, generator=g, dtype=torch.float64),
                  "covs": cov.expand(2, d, d).clone()}
        cases.append((params,))
    return cases


def _as_w_b(got: object) -> tuple[torch.Tensor, torch.Tensor]:
    """A student's (w, b) as float64 tensors; a TypeError that says what to return otherwise."""
    try:
        w, b = got  # type: ignore[misc]
    except (TypeError, ValueError):
        raise TypeError(f"return a pair (w, b), got {type(got).__name__}") from None
    return torch.as_tensor(w, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64)


def check_logistic_from_gaussians(fn: Callable) -> Result:
    """Check fn(params) -> (w (d,), b ()) with p(y=1|x) = sigmoid(w^T x + b) for a shared covariance."""
    def variant(sign: float = 1.0, prior: float = 1.0, half: float = 0.5, invert: bool = True) -> Callable:
        def wrong(p: dict) -> tuple[torch.Tensor, torch.Tensor]:
            m = torch.linalg.inv(p["covs"][0]) if invert else p["covs"][0]
            mu0, mu1 = p["means"]
            w = m @ (mu1 - mu0)
            b = -half * mu1 @ m @ mu1 + half * mu0 @ m @ mu0 + prior * torch.log(p["priors"][1] / p["priors"][0])
            return sign * w, sign * b
        return wrong
    wrong = {
        "prior missing": (variant(prior=0.0), "the priors differ: Bayes' rule weights each class by its "
                                              "prior, and that weight ends up in b."),
        "prior upside down": (variant(prior=-1.0), "the prior ratio enters as in the log-odds "
                                                   "log p(x, y=1) - log p(x, y=0): class 1 on top."),
        "class 0": (variant(sign=-1.0), "that is sigmoid(w^T x + b) = p(y = 0 | x): the logit is "
                                        "log p(x, y=1) - log p(x, y=0), class 1 first."),
        "cov not inverted": (variant(invert=False), "the Gaussian exponent uses the INVERSE covariance."),
        "no 1/2 in b": (variant(half=1.0), "mind the factor 1/2 of the exponent -1/2 (x - mu)^T S^-1 (x - mu)."),
    }
    return run_check("logistic_from_gaussians", lambda p: _as_w_b(fn(p)), _ref_logistic_from_gaussians,
                     _logistic_cases, "expand log p(x, y=1) - log p(x, y=0): the quadratic terms in x "
                     "cancel; w collects the terms linear in x, b the constants.", known_wrong=wrong,
                     submitted=fn)


# --- the quiz's answer keys (kept out of the notebook's cells: the student build does not show them) ---

QUIZ = {
    "poll 1a": Answer({0}, [  # Poll 1a. What is the difference between discriminative and generative ...
        ("Yes: logistic regression learned p(y|x), a boundary; the Gaussian model learned p(x|y) for each class (and "
         "p(y)), and could then sample and score p(x)."),
        "Reversed: the generative model is the one that describes each class's points."]),
    "poll 1b": Answer({1}, [  # Poll 1b. What is the difference between explicit and implicit ...
        "Reversed.",
        ("Yes: our Gaussian model gives log p(x) at any point; the random MLP G(z) only gives samples, because p(x) "
         "would need every preimage of x (or does not exist).")]),
    "poll 2a": Answer({1}, [  # Poll 2a. VAEs are implicit generative models. True or false?
        ("A VAE's decoder does map z to x, but it also defines a noise model p(x|z) (e.g. a Gaussian around the "
         "decoder output), so p(x) = integral of p(x|z) p(z) dz is a well-defined density."),
        ("Right, with a nuance. A VAE is an explicit latent-variable model: it writes down p(x|z) and p(z), so p(x) "
         "exists and can be bounded (the ELBO) or estimated (importance sampling), but not computed exactly. "
         "Goodfellow's 2016 tutorial files it under 'explicit density, approximate'. Using only the decoder mean "
         "G(z) without the noise would make it implicit.")]),
    "poll 2b": Answer({0}, [  # Poll 2b. Why would likelihood maximisation not produce more face-like ...
        ("Yes: the memoriser above had the best training likelihood, and the mixture beat a sharp KDE on test "
         "likelihood with most of its samples off the data."),
        ("Local optima affect every trained model (GANs included); they are not why the likelihood ignores sample "
         "quality."),
        ("Maximum likelihood is mass-covering, not mode-seeking, and typical samples come from where the mass is, "
         "not from the tails.")]),
    "poll 2c": Answer({0}, [  # Poll 2c. A face generator is more likely to produce face-like images ...
        ("Yes: that is the GAN idea. The discriminator is that loss, learned from data, and its gradient tells the "
         "generator how to move its samples."),
        ("The likelihood never looks at the generated samples; a loss that does judge them (and is differentiable, "
         "so it can guide the generator) targets sample quality.")]),
}
