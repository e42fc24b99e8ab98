"""Notebook 03 (the optimal discriminator): the exercise checkers and the D* explorer widget.

Reference of the BCE loss: gh.losses.d_loss_bce. The three small references below are the
exercises' answers and are needed by no other notebook, so they stay private here.
"""
from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
import torch
from scipy.special import xlogy

from .. import losses, plotting, theory
from ..checks.core import Result, run_check
from ..widgets import Answer


def _ref_optimal_d_with_prior(p_data, p_g, prior_real: float = 0.5) -> np.ndarray:
    """P(real|x) = pi p_data / (pi p_data + (1 - pi) p_g) on density values (n,) -> (n,); pi where both 0."""
    a = prior_real * np.asarray(p_data, dtype=float)
    b = (1 - prior_real) * np.asarray(p_g, dtype=float)
    out = np.full(a.shape, float(prior_real))
    seen = a + b > 0
    out[seen] = a[seen] / (a[seen] + b[seen])
    return out


def _ref_best_value(a, b) -> np.ndarray:
    """max over y in [0, 1] of a log y + b log(1 - y) for a, b >= 0 (n,) -> (n,), with 0 log 0 = 0."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    s = np.where(a + b > 0, a + b, 1.0)
    return xlogy(a, a / s) + xlogy(b, b / s)


def _density_cases(seed: int) -> list[tuple]:
    """Seeded non-negative value pairs (n,), with exact zeros in one, the other and both."""
    rng = np.random.default_rng(seed)
    a, b = rng.gamma(0.7, size=12), rng.gamma(0.7, size=12)
    a[[0, 5]] = 0.0
    b[[1, 5]] = 0.0
    return [(a, b), (rng.exponential(size=5), rng.exponential(size=5))]


def check_optimal_d_with_prior(fn: Callable) -> Result:
    """Check fn(p_data_values (n,), p_g_values (n,), prior_real) -> P(real | x) (n,)."""
    priors = (0.5, 0.5, 0.25, 0.8)
    cases = lambda: [(a, b, pi) for (a, b), pi in zip(_density_cases(301) * 2, priors)]  # noqa: E731
    with_nan = lambda a, b, pi: np.where(a + b > 0, _ref_optimal_d_with_prior(a, b, pi), np.nan)  # noqa: E731
    wrong = {
        "prior ignored": (lambda a, b, pi: _ref_optimal_d_with_prior(a, b, 0.5),
                          "weight each density by its class prior: pi for real, 1 - pi for fake."),
        "flipped": (lambda a, b, pi: 1 - _ref_optimal_d_with_prior(a, b, pi),
                    "D(x) is the probability that x is REAL: the data density goes in the numerator."),
        "0/0": (with_nan, "where both densities are 0 there is no evidence: return the prior, not NaN."),
    }
    return run_check("optimal_d_with_prior", fn, _ref_optimal_d_with_prior, cases,
                     "Bayes' rule with class priors pi (real) and 1 - pi (fake).", known_wrong=wrong)


def check_d_loss(fn: Callable) -> Result:
    """Check fn(real_logits (B, 1), fake_logits (B', 1)) -> the discriminator BCE of gh.losses.d_loss_bce."""
    def cases() -> list[tuple]:
        g = torch.Generator().manual_seed(302)
        return [(3 * torch.randn(8, 1, generator=g), 3 * torch.randn(12, 1, generator=g)),
                (torch.tensor([[-120.0], [2.0]]), torch.tensor([[100.0], [-1.0], [0.5]]))]  # confidently wrong D
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    wrong = {
        "one mean over both": (lambda r, f: bce(torch.cat([r, f]), torch.cat([torch.ones_like(r),
                                                                              torch.zeros_like(f)])),
                               "take the mean over real and the mean over fake separately, then ADD them "
                               "(the mean over the concatenated batch weights them by batch size)."),
        "labels flipped": (lambda r, f: losses.d_loss_bce(f, r),
                           "real samples get label 1 (loss -log D(x)), fakes label 0 (loss -log(1 - D))."),
        "no fake term": (lambda r, f: torch.nn.functional.softplus(-r).mean(),
                         "the loss has a real term AND a fake term."),
        "naive logs": (lambda r, f: -torch.log(torch.sigmoid(r)).mean()
                       - torch.log(1 - torch.sigmoid(f)).mean(),
                       "log(sigmoid(l)) overflows for large |l|: use F.logsigmoid or F.softplus."),
    }
    return run_check("d_loss", fn, losses.d_loss_bce, cases,
                     "loss = mean(-log sigmoid(real)) + mean(-log(1 - sigmoid(fake))), on logits.",
                     known_wrong=wrong)


def check_best_value(fn: Callable) -> Result:
    """Check fn(a (n,), b (n,)) -> max over y of a log y + b log(1 - y), elementwise."""
    def naive(a, b, swap=False):
        s = a + b
        with np.errstate(divide="ignore", invalid="ignore"):
            return a * np.log((b if swap else a) / s) + b * np.log((a if swap else b) / s)
    wrong = {
        "at y = 1/2": (lambda a, b: -(a + b) * np.log(2.0), "the maximum is not at y = 1/2 unless a = b."),
        "swapped": (lambda a, b: naive(a, b, swap=True),
                    "evaluate at the argmax y* = a / (a + b), not b / (a + b)."),
        "0 log 0": (naive, "use the convention 0 log 0 = 0 (scipy.special.xlogy does it)."),
    }
    return run_check("best_value", fn, _ref_best_value, lambda: _density_cases(303),
                     "plug the argmax y* = a / (a + b) into a log y + b log(1 - y).", known_wrong=wrong)


def _ref_lsgan_optimal_d(p_data, p_g, a: float, b: float) -> np.ndarray:
    """argmin_y 1/2 p_data (y - b)^2 + 1/2 p_g (y - a)^2 on density values (n,) -> (n,); (a + b)/2 where both 0."""
    p_data, p_g = np.asarray(p_data, dtype=float), np.asarray(p_g, dtype=float)
    out = np.full(p_data.shape, 0.5 * (a + b))
    seen = p_data + p_g > 0
    out[seen] = (b * p_data[seen] + a * p_g[seen]) / (p_data[seen] + p_g[seen])
    return out


def check_lsgan_optimal_d(fn: Callable) -> Result:
    """Check fn(p_data_values (n,), p_g_values (n,), a, b) -> the LSGAN's optimal D (n,)."""
    targets = ((-1.0, 1.0), (0.0, 1.0), (0.5, 2.0), (1.5, -0.5))
    cases = lambda: [(p, q, a, b) for (p, q), (a, b) in zip(_density_cases(304) * 2, targets)]  # noqa: E731
    ref = _ref_lsgan_optimal_d
    with_nan = lambda p, q, a, b: np.where(p + q > 0, ref(p, q, a, b), np.nan)  # noqa: E731
    bce_hint = ("that is the BCE discriminator p_data / (p_data + p_g): the least-squares optimum "
                "depends on the targets a and b.")
    wrong = {
        "swapped": (lambda p, q, a, b: ref(p, q, b, a), "b is the target of REAL points, a that of fakes: "
                                                        "which density weights which target?"),
        "BCE D*": (lambda p, q, a, b: _ref_optimal_d_with_prior(p, q, 0.5), bce_hint),
        "BCE D*, NaN at 0/0": (lambda p, q, a, b: with_nan(p, q, 0.0, 1.0), bce_hint),
        "0/0": (with_nan, "where both densities are 0 the loss does not depend on D(x): return (a + b)/2, "
                          "not NaN."),
        "not normalised": (lambda p, q, a, b: b * p + a * q,
                           "with a = b = 1 the optimum is clearly D = 1: is yours? Solve the "
                           "zero-derivative equation for D(x) completely."),
    }
    return run_check("lsgan_optimal_d", fn, ref, cases, "minimise 1/2 p_data(x) (y - b)^2 + 1/2 p_g(x) "
                     "(y - a)^2 over y at each x: it is a parabola in y.", known_wrong=wrong)


# --- the optimal-discriminator explorer ---------------------------------------------------------


def data_density(data: str) -> theory.Density:
    """The notebook's data densities: 'gaussian' = N(0, 1), 'bimodal' = modes at -1 and +1, std 0.2."""
    if data == "gaussian":
        return theory.gaussian_pdf(0.0, 1.0)
    if data == "bimodal":
        return theory.mixture_pdf([-1.0, 1.0], 0.2, name="bimodal")
    raise ValueError(f"data must be 'gaussian' or 'bimodal', got {data!r}")


def optimal_discriminator_summary(mu_g: float, sigma_g: float, data: str = "gaussian") -> dict[str, float]:
    """p_g = N(mu_g, sigma_g^2) against p_data ('gaussian' or 'bimodal'): JSD, V(G, D*), TV."""
    if not sigma_g > 0:
        raise ValueError(f"sigma_g must be positive, got {sigma_g}")
    p_data, p_g = data_density(data), theory.gaussian_pdf(mu_g, sigma_g)
    lo, hi = min(-8.0, mu_g - 12 * sigma_g), max(8.0, mu_g + 12 * sigma_g)
    d_star = theory.optimal_discriminator(p_data, p_g)
    return {"JSD": max(0.0, theory.js_divergence(p_data, p_g, lo, hi)),   # >= 0; no "-0.0000" from rounding
            "V(G, D*)": theory.gan_value(p_data, p_g, d_star, lo, hi),
            "TV": max(0.0, theory.total_variation(p_data, p_g, lo, hi))}


def optimal_discriminator_view(mu_g: float, sigma_g: float, data: str = "gaussian") -> None:
    """Widget callback: draw p_data, p_g = N(mu_g, sigma_g^2) and D*; print JSD, V(G, D*), TV."""
    p_data, p_g = data_density(data), theory.gaussian_pdf(mu_g, sigma_g)
    numbers = optimal_discriminator_summary(mu_g, sigma_g, data)
    print("   ".join(f"{k} = {v:.4f}" for k, v in numbers.items())
          + f"   (D* = 1/2 everywhere iff JSD = 0; V(G, D*) >= -log 4 = {-theory.LOG4:.4f})")
    plotting.plot_discriminator_1d(p_data, p_g, {"$D^*(x)$": theory.optimal_discriminator(p_data, p_g)},
                                   xlim=(-5.0, 5.0), ax=plt.subplots(figsize=(7, 3.2))[1],
                                   title=f"p_g = N({mu_g:.2f}, {sigma_g:.2f}^2) against the {data} data")
    plt.show()


# --- the quiz's answer keys (kept out of the notebook's cells: the student build does not show them) ---

QUIZ = {
    "poll 3a": Answer({0}, [  # Poll 3a. When training a GAN, which component must you train first?
        ("Yes, in the sense of Algorithm 1 of Goodfellow et al. (2014): each iteration updates D first, then G. The "
         "generator only learns through D's gradient, so D must carry some information about real vs fake before a G "
         "step is useful (this notebook: G moves only after the best D is known). 'Must' is a strong word, though: "
         "with one step each, alternating, which of the two goes first on step one makes little difference in "
         "practice; what matters is that D keeps up with G."),
        ("A generator step against an untrained discriminator follows a gradient that says nothing about the data: "
         "the signal G learns from comes from D.")]),
    "poll 3b": Answer({0}, [  # Poll 3b. Which component is updated more frequently?
        ("This is the lecture's answer: Algorithm 1 runs k discriminator steps per generator step, and WGAN uses "
         "n_critic = 5. Honest nuance: Goodfellow et al. used k = 1 in their experiments, and many implementations "
         "(e.g. PyTorch's DCGAN example) alternate one step each, so 'at least as often' is the accurate statement."),
        ("No common recipe updates the generator more often than the discriminator: D is the loss that guides G, and "
         "it has to keep up with G.")]),
    "poll 4": Answer({0, 1, 3}, [  # Poll 4. Identify potential reasons a GAN could fail.
        ("Mode collapse (notebook 07): one output that D currently accepts is a cheap way to fool it, and the game "
         "can chase from mode to mode instead of covering the data."),
        ("When p_g and p_data barely overlap, the JSD is stuck near log 2 wherever G moves, so its gradient is "
         "nearly zero (notebook 04 computes it)."),
        ("Not as stated. A D with random weights is still a non-constant function of x, so G does get derivatives; "
         "they point in no useful direction (the cell below counts them). Only a constant D, such as D = 1/2 "
         "everywhere (D* when p_g = p_data), gives exactly zero gradient. A useless D stalls learning, but not by "
         "giving no derivatives."),
        ("A discriminator that rejects fakes with certainty saturates: log(1 - D(G(z))) is flat there (the round-1 "
         "gradient above), which is why the non-saturating loss is used.")]),
}
