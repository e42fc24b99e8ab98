"""Checkers for notebooks 03 (optimal discriminator) and 04 (JSD and the GAN objective)."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch

from .core import Result, run_check


# --- notebook 03 ---------------------------------------------------------------------------
# Reference of the BCE loss: gh.losses.d_loss_bce. The two small references below are the
# exercises' answers and are needed by no other notebook, so they stay private here.

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
    from scipy.special import xlogy

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
    from .. import losses

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


# --- notebook 04 ---------------------------------------------------------------------------
# References live in gan_helpers.theory (js_divergence_discrete, non_saturating_grad, gda_step).

def check_js_from_kl(fn: Callable) -> Result:
    """Check fn(p (k,), q (k,)) -> JSD(p || q) for probability vectors, as a float."""
    from .. import theory
    kl = theory.kl_divergence_discrete

    def cases() -> list[tuple]:
        rng = np.random.default_rng(401)
        out = [(np.array([0.5, 0.5, 0.0]), np.array([0.0, 0.5, 0.5])),
               (np.array([1.0, 0.0]), np.array([0.0, 1.0])), (np.full(4, 0.25), np.full(4, 0.25))]
        out += [(rng.dirichlet(np.ones(6)), rng.dirichlet(np.ones(6))) for _ in range(4)]
        return out

    def mid(p: np.ndarray, q: np.ndarray) -> np.ndarray:
        return (p + q) / 2

    wrong = {"no 1/2": (lambda p, q: kl(p, mid(p, q)) + kl(q, mid(p, q)),
                        "JSD averages the two KL terms: each gets a factor 1/2."),
             "symmetrised KL": (lambda p, q: 0.5 * kl(p, q) + 0.5 * kl(q, p),
                                "compare each distribution with the mixture m = (p + q)/2, not with the other one."),
             "one-sided": (lambda p, q: kl(p, mid(p, q)),
                           "JSD is symmetric: it needs both KL(p || m) and KL(q || m).")}
    return run_check("js_from_kl", lambda p, q: float(fn(p, q)), theory.js_divergence_discrete, cases,
                     "JSD(p || q) = KL(p || m)/2 + KL(q || m)/2 with m = (p + q)/2.", known_wrong=wrong)


def check_non_saturating_grad(fn: Callable) -> Result:
    """Check fn(logit (n,)) -> d/dlogit of -log sigmoid(logit), as an (n,) array."""
    from scipy.special import expit

    from .. import theory

    def cases() -> list[tuple]:
        rng = np.random.default_rng(402)
        return [(np.array([-8.0, -2.0, 0.0, 2.0, 8.0]),), (rng.uniform(-6, 6, 12),)]

    wrong = {"minimax gradient": (lambda l: -expit(l), "that is the gradient of log(1 - D), the saturating cost."),
             "gradient w.r.t. D": (lambda l: -1 / expit(l),
                                   "differentiate w.r.t. the logit: chain rule with dD/dlogit = D (1 - D)."),
             "sign": (lambda l: 1 - expit(l), "check the sign: raising the logit must lower -log D.")}
    return run_check("non_saturating_grad", lambda l: np.asarray(fn(l), dtype=float), theory.non_saturating_grad,
                     cases, "write -log sigmoid(l) = log(1 + exp(-l)) and differentiate.", known_wrong=wrong)


def check_gda_step(fn: Callable) -> Result:
    """Check fn(x, y, lr, alternating) -> (x_new, y_new) for f(x, y) = x*y (x descends, y ascends)."""
    from .. import theory

    def cases() -> list[tuple]:
        rng = np.random.default_rng(403)
        return [(float(rng.normal()), float(rng.normal()), float(rng.uniform(0.05, 0.5)), alt)
                for alt in (False, True, False, True, True)]

    def as_pair(v: Any) -> Any:
        try:
            return tuple(float(t) for t in np.asarray(v, dtype=float).ravel())
        except (TypeError, ValueError):
            return v

    wrong = {"roles swapped": (lambda x, y, lr, a: (x + lr * y, y - lr * (x + lr * y if a else x)),
                               "x minimises f (gradient DEscent), y maximises it (gradient AScent)."),
             "both descend": (lambda x, y, lr, a: (x - lr * y, y - lr * (x - lr * y if a else x)),
                              "y is the maximising player: it moves along +df/dy."),
             "never alternates": (lambda x, y, lr, a: theory.gda_step(x, y, lr, False),
                                  "alternating: y's step uses the NEW x."),
             "always alternates": (lambda x, y, lr, a: theory.gda_step(x, y, lr, True),
                                   "simultaneous: both players use the OLD point.")}
    return run_check("gda_step", lambda *c: as_pair(fn(*c)), theory.gda_step, cases,
                     "df/dx = y and df/dy = x; x takes a descent step, y an ascent step.", known_wrong=wrong)
