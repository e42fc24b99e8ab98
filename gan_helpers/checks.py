"""Exercise checkers: run a student's function on seeded inputs and compare with the reference.

Each checker prints one line, "correct", "wrong" (with a hint that does not give the answer away)
or "not attempted yet", and returns a Result. It never raises: a student notebook must not stop
with a traceback at a checker. `expect` states a claim a notebook checks about a training run.
"""
from __future__ import annotations

from enum import Enum
from typing import Any, Callable, Sequence

import numpy as np
import torch

from .utils import smoke_mode


class Result(str, Enum):
    """Outcome of a checker."""

    CORRECT = "correct"
    WRONG = "wrong"
    NOT_ATTEMPTED = "not attempted yet"


def _same(a: Any, b: Any, rtol: float, atol: float) -> bool:
    """True when a and b match: tensors, arrays, numbers, or nested tuples/lists of them."""
    try:
        if isinstance(b, torch.Tensor):
            if not isinstance(a, torch.Tensor):
                return False
            torch.testing.assert_close(a.detach().cpu(), b.detach().cpu(), rtol=rtol, atol=atol,
                                       check_dtype=False)
            return True
        if isinstance(b, (tuple, list)):
            return isinstance(a, (tuple, list)) and len(a) == len(b) and all(
                _same(x, y, rtol, atol) for x, y in zip(a, b))
        if isinstance(b, dict):
            return isinstance(a, dict) and a.keys() == b.keys() and all(
                _same(a[k], b[k], rtol, atol) for k in b)
        if isinstance(a, torch.Tensor):
            a = a.detach().cpu().numpy()
        np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float),
                                   rtol=rtol, atol=atol)
        return True
    except (AssertionError, TypeError, ValueError, RuntimeError):
        return False


def run_check(name: str, student_fn: Callable, reference_fn: Callable,
              cases: Callable[[], Sequence[tuple]], hint: str,
              known_wrong: dict[str, tuple[Callable, str]] | None = None,
              rtol: float = 1e-5, atol: float = 1e-6, verbose: bool = True) -> Result:
    """Compare student_fn(*case) with reference_fn(*case) on every case; print and return a Result.

    cases() builds fresh seeded inputs (so a student's in-place edits cannot leak between calls).
    known_wrong maps a label to (wrong_fn, targeted hint) for plausible mistakes.
    """
    def say(result: Result, text: str) -> Result:
        if verbose:
            icon = {"correct": "✅", "wrong": "❌", "not attempted yet": "⏳"}[result.value]
            print(f"{icon} {name}: {result.value}{'. ' + text if text else ''}")
        return result

    for case in cases():
        try:
            got = student_fn(*case)
        except NotImplementedError:
            return say(Result.NOT_ATTEMPTED, "Replace `raise NotImplementedError()` with your code")
        except Exception as err:  # the student's code failed: report it, never raise
            return say(Result.WRONG, f"Your function raised {type(err).__name__}: {err}")
        want = reference_fn(*case)
        if _same(got, want, rtol, atol):
            continue
        for wrong_fn, wrong_hint in (known_wrong or {}).values():
            try:
                if _same(got, wrong_fn(*case), rtol, atol):
                    return say(Result.WRONG, f"Hint: {wrong_hint}")
            except Exception:
                pass
        return say(Result.WRONG, f"Hint: {hint}")
    return say(Result.CORRECT, "")


def expect(condition: bool, claim: str) -> None:
    """Check a claim about a (noisy) run: print it when it holds, raise AssertionError when not.

    In smoke mode (GAN_COURSE_SMOKE=1, tiny budgets for testing student builds) a failed claim is
    reported but does not stop the notebook, because tiny runs cannot meet real quality bars.
    """
    if condition:
        print(f"✔ {claim}")
    elif smoke_mode():
        print(f"(smoke mode) not met: {claim}")
    else:
        raise AssertionError(f"claim failed: {claim}")


# Exercise checkers, grouped by notebook. Each checker: check_<name>(student_fn) -> Result.
# --- notebook 01 ---------------------------------------------------------------------------
# References for 01 are private here: they are the exercises' answers, needed by no other notebook.

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
                     "L_y L_y^T = cov_y and eps ~ N(0, I).", known_wrong=wrong, rtol=0.05, atol=0.06)


# --- notebook 02 ---------------------------------------------------------------------------
# References live in gan_helpers.theory (square_neg_preimage, lognormal_pdf, gaussian_interval_mass).

def _as_intervals(got: Any) -> Any:
    """A student's union of intervals as a list of (float, float); anything else is returned as is."""
    try:
        return [(float(lo), float(hi)) for lo, hi in got]
    except (TypeError, ValueError):
        return got


def check_square_neg_preimage(fn: Callable) -> Result:
    """Check fn(x (2,)) -> Z(x) for G(z) = [z^2, -z] as a sorted list of (lo, hi) tuples ([] if empty)."""
    from . import theory

    def cases() -> list[tuple]:
        rng = np.random.default_rng(201)
        xs = [[4.0, 1.0], [4.0, 5.0], [-1.0, 3.0], [4.0, -3.0], [0.25, 10.0], [9.0, -2.5]]
        xs += [[rng.uniform(0.1, 9.0), rng.uniform(-4.0, 4.0)] for _ in range(6)]
        return [(np.array(x),) for x in xs]

    def sqrt_or_nan(v: float) -> float:
        return float(np.sqrt(v)) if v >= 0 else float("nan")

    wrong = {
        "flipped inequality": (lambda x: theory.intersect_intervals(
            [(-sqrt_or_nan(x[0]), sqrt_or_nan(x[0]))], [(-np.inf, -x[1])]) if x[0] >= 0 else [],
            "-z <= x2 means z >= -x2: multiplying by -1 flips the inequality."),
        "x1 < 0 not handled": (lambda x: [(max(-sqrt_or_nan(x[0]), -x[1]), sqrt_or_nan(x[0]))]
                               if x[0] < 0 else theory.square_neg_preimage(x),
                               "z^2 <= x1 has no solution when x1 < 0: return [] there."),
        "empty case kept": (lambda x: [] if x[0] < 0 else [(max(-np.sqrt(x[0]), -x[1]), np.sqrt(x[0]))],
                            "when -x2 > sqrt(x1) no z satisfies both constraints: return []."),
    }
    return run_check("square_neg_preimage", lambda x: _as_intervals(fn(x)), theory.square_neg_preimage,
                     cases, "solve each constraint for z, then intersect: z^2 <= x1 gives an interval "
                     "(or nothing), -z <= x2 a half-line. Return a list of (lo, hi) tuples.",
                     known_wrong=wrong)


def check_lognormal_pdf(fn: Callable) -> Result:
    """Check fn(x (n,)) -> density (n,) of x = exp(z), z ~ N(0, 1), with 0 for x <= 0."""
    from scipy import stats

    from . import theory

    def cases() -> list[tuple]:
        rng = np.random.default_rng(202)
        return [(np.concatenate([[-1.0, 0.0], rng.uniform(0.01, 6.0, 20)]),), (rng.uniform(0.05, 3.0, 10),)]

    def on_pos(f: Callable) -> Callable:
        def g(x: np.ndarray) -> np.ndarray:
            out = np.zeros_like(x)
            out[x > 0] = f(x[x > 0])
            return out
        return g

    wrong = {
        "no Jacobian": (on_pos(lambda x: stats.norm.pdf(np.log(x))),
                        "change of variables: multiply the latent density by |dz/dx|."),
        "Jacobian upside down": (on_pos(lambda x: stats.norm.pdf(np.log(x)) * x),
                                 "z = log x, so |dz/dx| = 1/x (not dx/dz)."),
        "nan for x <= 0": (lambda x: stats.norm.pdf(np.log(np.where(x > 0, x, np.nan))) / x,
                           "exp(z) > 0 always: the density is 0 for x <= 0 (no log of those x)."),
    }
    return run_check("lognormal_pdf", fn, theory.lognormal_pdf, cases,
                     "p_x(x) = p_z(g^{-1}(x)) |d g^{-1}/dx| with g(z) = exp(z).", known_wrong=wrong,
                     rtol=1e-6, atol=1e-9)


def check_gaussian_interval_mass(fn: Callable) -> Result:
    """Check fn(intervals, mu, sigma) -> P(z in the union) for z ~ N(mu, sigma^2), as a float."""
    from scipy import stats

    from . import theory
    inf = float("inf")

    def cases() -> list[tuple]:
        return [([(-1.0, 1.0)], 0.0, 1.0), ([(-inf, -1.0), (1.0, inf)], 0.0, 1.0), ([], 0.0, 1.0),
                ([(0.0, 2.0), (3.0, inf)], 1.0, 2.0), ([(-inf, inf)], 5.0, 3.0), ([(-2.0, -1.0), (1.0, 2.0)], 0.5, 0.5)]

    def standard(iv: list, mu: float, sigma: float) -> float:
        return float(sum(stats.norm.cdf(b) - stats.norm.cdf(a) for a, b in iv))

    def var_not_std(iv: list, mu: float, sigma: float) -> float:
        return float(sum(stats.norm.cdf((b - mu) / sigma**2) - stats.norm.cdf((a - mu) / sigma**2) for a, b in iv))

    def pdf_not_cdf(iv: list, mu: float, sigma: float) -> float:
        return float(sum(stats.norm.pdf((b - mu) / sigma) - stats.norm.pdf((a - mu) / sigma) for a, b in iv))

    wrong = {"not standardised": (standard, "standardise each endpoint: (b - mu) / sigma."),
             "divided by the variance": (var_not_std, "divide by the standard deviation sigma, not sigma^2."),
             "pdf instead of cdf": (pdf_not_cdf, "the mass of [a, b] is Phi(b') - Phi(a'): use the CDF.")}
    return run_check("gaussian_interval_mass", lambda iv, mu, s: float(fn(iv, mu, s)),
                     theory.gaussian_interval_mass, cases,
                     "sum over the intervals of Phi((b - mu)/sigma) - Phi((a - mu)/sigma).", known_wrong=wrong)


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
    from . import losses

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
    from . import theory
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

    from . import theory

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
    from . import theory

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


# --- notebook 05 ---------------------------------------------------------------------------
# (notebook 05's discriminator-loss exercise reuses check_d_loss from notebook 03's section)


def check_g_loss_non_saturating(fn: Callable) -> Result:
    """Check fn(fake_logits (B, 1)) -> -mean log D(G(z)), the non-saturating generator loss of gh.losses."""
    from . import losses

    def cases() -> list[tuple]:
        g = torch.Generator().manual_seed(501)
        return [(3 * torch.randn(16, 1, generator=g),),
                (torch.tensor([[-150.0], [-3.0], [0.0], [40.0]]),)]  # a confidently rejected fake

    wrong = {
        "minimax": (losses.g_loss_minimax,
                    "that is the saturating cost log(1 - D(G(z))); the non-saturating one uses log D(G(z))."),
        "sign": (lambda l: -losses.g_loss_non_saturating(l),
                 "check the sign: the generator MINIMISES this loss, and wants D(G(z)) close to 1."),
        "maximum-likelihood": (losses.g_loss_maximum_likelihood,
                               "that is the maximum-likelihood cost -D/(1 - D), not -log D."),
        "naive log": (lambda l: -torch.log(torch.sigmoid(l)).mean(),
                      "log(sigmoid(l)) underflows to log(0) = -inf for very negative l: use F.logsigmoid "
                      "or F.softplus(-l)."),
        "sum": (lambda l: torch.nn.functional.softplus(-l).sum(),
                "average over the batch (mean), do not sum."),
    }
    return run_check("g_loss_non_saturating", fn, losses.g_loss_non_saturating, cases,
                     "loss = mean over the batch of -log sigmoid(logit), computed stably.", known_wrong=wrong)


def check_slerp(fn: Callable) -> Result:
    """Check fn(z0 (d,), z1 (d,), t (T,)) -> (T, d) spherical interpolation, as gh.training.slerp."""
    from . import training

    def cases() -> list[tuple]:
        g = torch.Generator().manual_seed(502)
        t = torch.linspace(0, 1, 7)
        return [(torch.randn(64, generator=g), torch.randn(64, generator=g), t),
                (torch.tensor([1.0, 0.0]), torch.tensor([0.0, 2.0]), torch.tensor([0.0, 0.25, 0.5, 1.0]))]

    wrong = {
        "straight line": (lambda a, b, t: (1 - t[:, None]) * a + t[:, None] * b,
                          "that is linear interpolation; weight z0 and z1 by sin((1 - t) omega) / sin omega "
                          "and sin(t omega) / sin omega."),
        "ends swapped": (lambda a, b, t: training.slerp(b, a, t), "at t = 0 the path must start at z0."),
        "unit vectors": (lambda a, b, t: training.slerp(a / a.norm(), b / b.norm(), t),
                         "do not normalise z0 and z1: only the angle omega uses unit vectors."),
    }
    return run_check("slerp", fn, training.slerp, cases,
                     "omega = arccos(z0 . z1 / (|z0| |z1|)); z(t) = [sin((1 - t) omega) z0 + sin(t omega) z1] "
                     "/ sin omega, one row per t.", known_wrong=wrong, rtol=1e-4, atol=1e-5)

# --- notebook 06 ---------------------------------------------------------------------------
# References: gh.losses.gradient_penalty and gh.losses.critic_loss_wasserstein (the package's own).


def _gp_cases() -> list[tuple]:
    """(critic, real, fake, gp_lambda, seed): a 2-D toy batch and a 4-D image-like batch."""
    from torch import nn

    cases = []
    for seed, shape, lam in ((601, (8, 3), 10.0), (602, (6, 2, 4, 4), 5.0)):
        with torch.random.fork_rng(devices=[]):  # building the critic must not move the global RNG
            torch.manual_seed(seed)
            width = int(np.prod(shape[1:]))
            critic = nn.Sequential(nn.Flatten(), nn.Linear(width, 16), nn.Tanh(), nn.Linear(16, 1))
        g = torch.Generator().manual_seed(seed)
        real, fake = torch.randn(shape, generator=g), 2 + torch.randn(shape, generator=g)
        cases.append((critic, real, fake, lam, seed))
    return cases


def _gp_outcome(fn: Callable) -> Callable:
    """Wrap a penalty fn(critic, real, fake, gp_lambda, generator) -> (value, gradient it sends to the critic)."""
    def run(critic, real, fake, gp_lambda, seed):
        penalty = fn(critic, real.clone(), fake.clone(), gp_lambda, torch.Generator().manual_seed(seed))
        if not isinstance(penalty, torch.Tensor) or penalty.numel() != 1:
            raise ValueError(f"return a scalar tensor, got {type(penalty).__name__} "
                             f"{tuple(getattr(penalty, 'shape', ()))}")
        params = list(critic.parameters())
        if penalty.requires_grad:  # what (critic_loss + penalty).backward() would add to the weights
            grads = torch.autograd.grad(penalty.sum(), params, allow_unused=True)
            grads = [torch.zeros_like(p) if g is None else g for p, g in zip(params, grads)]
        else:
            grads = [torch.zeros_like(p) for p in params]
        return penalty.detach().reshape(()), torch.cat([g.flatten() for g in grads])
    return run


def _gp_variant(norm_dims: str = "flat", create_graph: bool = True, use_lambda: bool = True,
                minus_one: bool = True) -> Callable:
    """A gradient penalty with one deliberate mistake (for the checker's targeted hints)."""
    def fn(critic, real, fake, gp_lambda, generator):
        eps = torch.rand((real.shape[0],) + (1,) * (real.ndim - 1), generator=generator)
        x = (eps * real + (1 - eps) * fake).requires_grad_(True)
        (grad,) = torch.autograd.grad(critic(x).sum(), x, create_graph=create_graph)
        norms = grad.flatten(1).norm(2, dim=1) if norm_dims == "flat" else grad.norm(2, dim=1)
        pen = ((norms - 1) ** 2 if minus_one else norms**2).mean()
        return (gp_lambda if use_lambda else 1.0) * pen
    return fn


def check_gradient_penalty(fn: Callable) -> Result:
    """Check fn(critic, real, fake, gp_lambda, generator) -> scalar WGAN-GP penalty (B, ...) batches."""
    from . import losses

    wrong = {
        "norm over dim=1": (_gp_outcome(_gp_variant(norm_dims="dim1")),
                            "for images the gradient has shape (B, C, H, W): .norm(dim=1) takes norms over "
                            "channels only. Flatten each sample first: grad.flatten(1).norm(2, dim=1)."),
        "no create_graph": (_gp_outcome(_gp_variant(create_graph=False)),
                            "the value is right but no gradient reaches the critic's weights: pass "
                            "create_graph=True to torch.autograd.grad."),
        "no lambda": (_gp_outcome(_gp_variant(use_lambda=False)), "multiply by gp_lambda."),
        "no -1": (_gp_outcome(_gp_variant(minus_one=False)),
                  "the penalty pushes the gradient norm towards 1: (||grad|| - 1)^2, not ||grad||^2."),
    }
    return run_check("gradient_penalty", _gp_outcome(fn), _gp_outcome(losses.gradient_penalty), _gp_cases,
                     "draw ONE eps per sample with torch.rand(B, 1, ..., generator=generator), "
                     "interpolate x_hat = eps * real + (1 - eps) * fake, take the gradient of "
                     "critic(x_hat).sum() w.r.t. x_hat, one L2 norm per sample, then "
                     "gp_lambda * mean((norm - 1)^2).", known_wrong=wrong)


def _score_cases() -> list[tuple]:
    """(real_scores (B, 1), fake_scores (B, 1)) with scores well outside [-1, 1]."""
    g = torch.Generator().manual_seed(603)
    return [(3 * torch.randn(16, 1, generator=g) + 1.5, 3 * torch.randn(16, 1, generator=g) - 2.0),
            (torch.randn(7, 1, generator=g), torch.randn(7, 1, generator=g) + 0.5)]


def check_critic_loss(fn: Callable) -> Result:
    """Check fn(real_scores (B, 1), fake_scores (B, 1)) -> the WGAN critic loss to MINIMISE (scalar)."""
    from . import losses

    relu = torch.nn.functional.relu
    wrong = {
        "sign flipped": (lambda r, f: r.mean() - f.mean(),
                         "that is the quantity the critic MAXIMISES; an optimizer minimises, so return "
                         "its negative."),
        "hinge": (lambda r, f: relu(1 - r).mean() + relu(1 + f).mean(),
                  "that is the hinge loss (SNGAN / geometric GAN), not the Wasserstein critic loss: no "
                  "margins, no relu."),
        "bce": (losses.d_loss_bce, "a critic has no sigmoid and no logarithms: use the raw scores."),
    }
    return run_check("critic_loss", fn, losses.critic_loss_wasserstein, _score_cases,
                     "the critic maximises mean f(real) - mean f(fake); the loss to minimise is "
                     "mean f(fake) - mean f(real).", known_wrong=wrong)


# --- notebook 07 ---------------------------------------------------------------------------


def _mode_cases_07() -> list[tuple]:
    """Seeded (samples (n, 2), centers (k, 2), std) of a partly collapsed generator on ring8 / grid25.

    Each case mixes sharp samples on a few modes, blurred ones (2.5 std: some in, some out of the
    3-std disc), junk far from every mode, and points 5 std from modes that nothing else visits.
    """
    from .data import grid25, ring8

    g = torch.Generator().manual_seed(707)
    cases = []
    for mix, used, far in ((ring8(), [0, 1, 5], [3]), (grid25(), [0, 6, 12, 13, 24], [2, 20])):
        c, s = mix.centers.double(), mix.std
        sharp = c[torch.tensor(used * 40)] + s * torch.randn(40 * len(used), 2, generator=g, dtype=torch.float64)
        blur = c[torch.tensor(used * 20)] + 2.5 * s * torch.randn(20 * len(used), 2, generator=g,
                                                                   dtype=torch.float64)
        angle = 2 * np.pi * torch.rand(len(far), generator=g, dtype=torch.float64)
        ring = c[torch.tensor(far)] + 5 * s * torch.stack([angle.cos(), angle.sin()], 1)
        junk = 1.5 * c.abs().max() * (2 * torch.rand(30, 2, generator=g, dtype=torch.float64) - 1)
        x = torch.cat([sharp, blur, ring, junk])
        cases.append((x[torch.randperm(len(x), generator=g)], c, s))
    far_only = 10.0 + torch.rand(20, 2, generator=g, dtype=torch.float64)  # no high-quality sample
    return cases + [(far_only, ring8().centers.double(), ring8().std)]


def _ref_coverage(samples, centers, std) -> tuple[int, float]:
    from . import metrics

    return (metrics.modes_covered(samples, centers, std),
            metrics.high_quality_percent(samples, centers, std))


def check_mode_coverage(fn: Callable) -> Result:
    """Check fn(samples (n, 2), centers (k, 2), std) -> (modes covered: int, % high quality: float)."""
    from . import metrics

    def nearest(x, c):
        d = torch.cdist(torch.as_tensor(x).double(), torch.as_tensor(c).double())
        return d.min(1)

    def per_coordinate(x, c, s):  # the 1-D 3-sigma rule applied to each coordinate separately
        _, idx = nearest(x, c)
        good = ((x - c[idx]).abs() < 3 * s).all(1)
        return int(idx[good].unique().numel()), 100.0 * float(good.double().mean())

    def variance(x, c, s):  # threshold 3 * std^2 instead of 3 * std
        dist, idx = nearest(x, c)
        good = dist < 3 * s**2
        return int(idx[good].unique().numel()), 100.0 * float(good.double().mean())

    wrong = {
        "per coordinate": (per_coordinate, "measure the Euclidean distance ||x - mu|| to the nearest "
                                           "mode, not each coordinate separately."),
        "all samples cover": (lambda x, c, s: (int(nearest(x, c)[1].unique().numel()),
                                               metrics.high_quality_percent(x, c, s)),
                              "a mode is covered only by a HIGH-QUALITY sample nearest to it."),
        "fraction": (lambda x, c, s: (metrics.modes_covered(x, c, s),
                                      metrics.high_quality_percent(x, c, s) / 100),
                     "return a percentage (0..100), not a fraction."),
        "variance": (variance, "the threshold is 3 standard deviations: 3 * std, not 3 * std**2."),
    }
    return run_check("mode_coverage", fn, _ref_coverage, _mode_cases_07,
                     "nearest mode by Euclidean distance; high quality if that distance < 3 * std; "
                     "covered = modes nearest to at least one high-quality sample.", known_wrong=wrong)


def check_reverse_kl(fn: Callable) -> Result:
    """Check fn(samples (n, 2), centers (k, 2), std) -> KL(q || uniform) of the high-quality mode histogram."""
    from . import metrics

    def hist_all(x, c):
        idx = torch.cdist(torch.as_tensor(x).double(), torch.as_tensor(c).double()).argmin(1)
        return torch.bincount(idx, minlength=len(c)).double()

    def kl(q, p):
        on = q > 0
        return float((q[on] * (q[on] / p[on]).log()).sum())

    def forward_kl(x, c, s):
        q = metrics.mode_histogram(x, c, s).double()
        if q.sum() == 0:
            return np.inf  # as the reference: this mistake shows only when some samples are good
        q = q / q.sum()
        return float((torch.log(1 / (len(c) * q)) / len(c)).sum())  # inf where q = 0

    uniform = lambda c: torch.full((len(c),), 1 / len(c), dtype=torch.float64)  # noqa: E731
    wrong = {
        "all samples": (lambda x, c, s: kl(hist_all(x, c) / len(x), uniform(c)),
                        "build the histogram from the HIGH-QUALITY samples only."),
        "forward KL": (forward_kl, "reverse KL is KL(q || p) = sum q log(q / p), q the model's histogram; "
                                   "KL(p || q) is infinite as soon as one mode is empty."),
        "bits": (lambda x, c, s: metrics.reverse_kl(x, c, s) / np.log(2),
                 "use the natural logarithm (nats), not log2."),
    }
    return run_check("reverse_kl", fn, lambda x, c, s: metrics.reverse_kl(x, c, s), _mode_cases_07,
                     "q_i = (high-quality samples nearest to mode i) / (all high-quality samples); "
                     "KL = sum over modes with q_i > 0 of q_i log(q_i k); return math.inf when no "
                     "sample is high quality.", known_wrong=wrong)


def check_pack_samples(fn: Callable) -> Result:
    """Check fn(x (B * pack, d), pack) -> packed batch (B, pack * d), consecutive rows together."""
    from .models import pack_samples

    def cases() -> list[tuple]:
        g = torch.Generator().manual_seed(708)
        return [(torch.randn(12, 2, generator=g), 2), (torch.randn(12, 2, generator=g), 3),
                (torch.randn(8, 3, generator=g), 4), (torch.randn(5, 2, generator=g), 1)]

    wrong = {
        "strided": (lambda x, p: torch.cat(x.chunk(p, dim=0), dim=1),
                    "pack CONSECUTIVE rows: packed row i holds rows i*pack, ..., i*pack + pack - 1 "
                    "(rows i and i + B would also be a valid packing, but then real and fake batches "
                    "must be packed the same way: follow the convention)."),
        "not flattened": (lambda x, p: x.reshape(-1, p, x.shape[1]),
                          "the discriminator takes a matrix: flatten each pack to pack * d numbers."),
        "transposed": (lambda x, p: x.reshape(-1, p, x.shape[1]).transpose(1, 2).reshape(-1, p * x.shape[1]),
                       "keep each sample's coordinates together: [x_1, y_1, x_2, y_2], not [x_1, x_2, y_1, y_2]."),
    }
    return run_check("pack_samples", fn, pack_samples, cases,
                     "(B * pack, d) -> (B, pack * d): a reshape does it.", known_wrong=wrong)
