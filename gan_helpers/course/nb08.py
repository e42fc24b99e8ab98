"""Notebook 08 (conditional GANs and stabilisers): the exercise checkers and the quiz's answer keys.

The references (power iteration, the hinge losses, the projection discriminator's logit) are needed by no
other notebook, so they stay private here. The power-iteration checker also refuses an answer that lets
torch or numpy compute the largest singular value (svd, matrix_norm, eigenvalues, a matrix norm of order 2).
"""
from __future__ import annotations

import contextlib
import types
from collections.abc import Callable, Iterator

import numpy as np
import torch
from torch.nn import functional as F

from ..checks.core import Result, run_check
from ..checks.delegation import PACKAGE, _filled, _is_library_code
from ..widgets import Answer

_F64 = torch.float64

# --- exercise 1: the largest singular value by power iteration -------------------------------------

_DIRECT = frozenset({"svd", "svdvals", "svd_lowrank", "pca_lowrank", "matrix_norm", "eig", "eigh", "eigvals",
                     "eigvalsh", "lobpcg", "spectral_norm"})
_DIRECT_HINT = ("use power iteration; torch.linalg.svdvals / matrix_norm / svd compute the answer directly "
                "(and so do eigenvalue routines and norms of order 2 of a matrix).")
_REFUSED = -7777.0  # what a refused answer "returns" (a singular value is never negative)


class _Direct(BaseException):
    """Raised by the guarded norms when a student's function takes a matrix norm of order 2."""


def _direct_names(fn: object) -> set[str]:
    """The forbidden names (_DIRECT) that fn's code, nested code and the student's helpers it calls load."""
    owners = (torch, torch.linalg, np.linalg, torch.nn.utils, torch.nn.utils.parametrizations)
    direct = {id(getattr(m, n)): (n,) for m in owners for n in _DIRECT if hasattr(m, n)}  # also under other names
    found: set[str] = set()
    todo, seen = [fn], set()
    while todo:
        obj = todo.pop()
        found.update(direct.get(id(obj), ()))
        if id(obj) in seen or not isinstance(obj, types.FunctionType) or _is_library_code(obj.__code__) \
                or str(getattr(obj, "__module__", "")).startswith(PACKAGE):
            continue
        seen.add(id(obj))
        codes = [obj.__code__]
        while codes:
            code = codes.pop()
            found |= _DIRECT & set(code.co_names)
            codes += [c for c in code.co_consts if isinstance(c, types.CodeType)]
            todo += [obj.__globals__.get(n) for n in code.co_names]
        todo += [*(obj.__defaults__ or ()), *(c.cell_contents for c in obj.__closure__ or () if _filled(c))]
    return found


@contextlib.contextmanager
def _spectral_norms_refused() -> Iterator[None]:
    """Within the block, torch.linalg.norm and np.linalg.norm of order +-2 of a matrix raise _Direct."""
    def guard(norm: Callable) -> Callable:
        def guarded(x, ord=None, *args, **kwargs):
            dim = args[0] if args else kwargs.get("dim", kwargs.get("axis"))
            if ord in (2, -2) and len(getattr(x, "shape", ())) >= 2 and (dim is None or (
                    isinstance(dim, (tuple, list)) and len(dim) == 2)):
                raise _Direct
            return norm(x, ord, *args, **kwargs)
        return guarded
    saved = [(torch.linalg, torch.linalg.norm), (np.linalg, np.linalg.norm)]
    try:
        for module, norm in saved:
            module.norm = guard(norm)
        yield
    finally:
        for module, norm in saved:
            module.norm = norm


def _ref_power_iteration(W: torch.Tensor, iters: int, generator: torch.Generator) -> float:
    """Largest singular value of W (m, n) by `iters` steps of power iteration from a random unit v (n,)."""
    v = torch.randn(W.shape[1], generator=generator, dtype=W.dtype)
    v = v / v.norm()
    for _ in range(iters):
        u = (W @ v) / (W @ v).norm()
        v = (W.T @ u) / (W.T @ u).norm()
    return float(u @ (W @ v))


def _sigma_outcome(fn: Callable, refuse: bool = False) -> Callable:
    """Run fn(W, iters, generator) on a copy of W with a fresh seeded generator -> its number (0-dim float64)."""
    def run(W: torch.Tensor, iters: int, seed: int) -> torch.Tensor:
        if refuse:
            return torch.tensor(_REFUSED, dtype=_F64)
        try:
            with _spectral_norms_refused():
                out = fn(W.clone(), iters, torch.Generator().manual_seed(seed))
        except _Direct:
            return torch.tensor(_REFUSED, dtype=_F64)
        if isinstance(out, (torch.Tensor, np.ndarray)) and out.ndim > 0:
            raise TypeError(f"return the largest singular value as one number (a float or a 0-dim tensor), "
                            f"not an array of shape {tuple(out.shape)}")
        value = torch.as_tensor(out.item() if hasattr(out, "item") else float(out), dtype=_F64)
        return value if torch.isfinite(value) else torch.tensor(float("inf"), dtype=_F64)
    return run


def _with_singular_values(g: torch.Generator, m: int, n: int, s: list[float]) -> torch.Tensor:
    """A float64 (m, n) matrix U diag(s) V^T with random orthonormal U (m, k), V (n, k), k = len(s)."""
    U, V = (torch.linalg.qr(torch.randn(d, len(s), generator=g, dtype=_F64)).Q for d in (m, n))
    return U @ torch.diag(torch.tensor(s, dtype=_F64)) @ V.T


def _sigma_cases() -> list[tuple]:
    """(W, iters, seed): non-symmetric square, square, tall, wide, sigma ~ 50 and ~ 0.05, Gaussian, one row."""
    g = torch.Generator().manual_seed(801)
    upper = torch.triu(torch.randn(6, 6, generator=g, dtype=_F64), 1) + torch.diag(
        torch.tensor([4.0, 2.0, 1.5, 1.0, 0.5, 0.2], dtype=_F64))
    Q = torch.linalg.qr(torch.randn(6, 6, generator=g, dtype=_F64)).Q
    mats = [(Q @ upper @ Q.T, 200),                     # eigenvalues 4, 2, ...; largest singular value ~4.56
            (_with_singular_values(g, 8, 8, [5.0, 3.0, 2.0, 1.0, 0.5]), 150),
            (_with_singular_values(g, 12, 4, [2.5, 1.2, 0.7, 0.1]), 150),
            (_with_singular_values(g, 3, 10, [1.7, 0.9, 0.3]), 150),
            (_with_singular_values(g, 5, 7, [50.0, 20.0, 5.0, 1.0, 0.5]), 300),   # 50^600 overflows
            (_with_singular_values(g, 6, 6, [0.05, 0.02, 0.01, 0.005]), 300),     # 0.05^600 underflows
            (torch.randn(10, 6, generator=g, dtype=_F64), 300),
            (torch.randn(1, 5, generator=g, dtype=_F64), 100)]
    return [(W, iters, 810 + i) for i, (W, iters) in enumerate(mats)]


def check_power_iteration(fn: Callable) -> Result:
    """Check fn(W (m, n) float64, iters, generator) -> largest singular value of W (float or 0-dim tensor)."""
    ref = _ref_power_iteration
    wrong = {
        "direct": (lambda *c: torch.tensor(_REFUSED, dtype=_F64), _DIRECT_HINT),
        "eigenvalue": (lambda W, *a: torch.linalg.eigvals(W).abs().max(),  # what iterating v <- W v finds
                       "for a square W that is not symmetric, iterating v <- W v finds its largest |eigenvalue|, "
                       "not its largest singular value: a singular vector pair (u, v) needs both W and W^T."),
        "frobenius": (lambda W, *a: W.norm(), "that is the Frobenius norm (all singular values together), "
                                              "not the largest singular value."),
        "sigma^2": (lambda *c: torch.tensor(ref(*c[:2], torch.Generator().manual_seed(c[2])) ** 2, dtype=_F64),
                    "you returned sigma^2, the largest eigenvalue of W^T W: how much does W itself stretch v?"),
        "overflow": (lambda *c: torch.tensor(float("inf"), dtype=_F64),
                     "your number is inf or nan: for a large (or tiny) W the iterates overflow (underflow) "
                     "unless you rescale the vectors to length 1 at every step."),
        "|v|": (lambda *c: torch.tensor(1.0, dtype=_F64),
                "you returned 1, the length of a unit vector: return how much W stretches v, a singular value."),
    }
    return run_check("power_iteration", _sigma_outcome(fn, refuse=bool(_direct_names(fn))),
                     _sigma_outcome(ref), _sigma_cases,
                     "apply W and W^T in turn to a random unit vector, rescaling to length 1 after each product, "
                     "`iters` times; then return how much W stretches the final unit vector.", known_wrong=wrong,
                     rtol=1e-6, atol=1e-9, submitted=fn, answers=[ref])


# --- exercise 2: the hinge losses (Lim & Ye 2017; SNGAN, SAGAN) -------------------------------------


def _ref_hinge_losses(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Hinge losses: logits (B, 1), (B', 1) -> (d_loss, g_loss), both 0-dim tensors."""
    d_loss = F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()
    return d_loss, -fake_logits.mean()


def _pair_outcome(fn: Callable) -> Callable:
    """Run fn on copies of the logits; insist on a pair of 0-dim tensors."""
    def run(real: torch.Tensor, fake: torch.Tensor) -> tuple:
        out = fn(real.clone(), fake.clone())
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise TypeError(f"return the pair (d_loss, g_loss), got {type(out).__name__}")
        for name, t in zip(("d_loss", "g_loss"), out):
            if not isinstance(t, torch.Tensor) or t.ndim != 0:
                raise TypeError(f"{name} must be a 0-dim tensor (as .mean() gives; no .item(), the optimizer "
                                f"needs its graph), got {type(t).__name__} {tuple(getattr(t, 'shape', ()))}")
        return tuple(out)
    return run


def _logit_cases() -> list[tuple]:
    """(real (B, 1), fake (B', 1)): batch sizes differ; logits inside and outside the margin, exact +-1."""
    g = torch.Generator().manual_seed(820)
    edge = torch.tensor([[1.0], [-1.0], [0.0], [1.0]])
    return [(torch.cat([3 * torch.randn(9, 1, generator=g), edge]), torch.cat([2 * torch.randn(5, 1, generator=g) - 1,
                                                                               -edge[:3]])),
            (0.5 * torch.randn(6, 1, generator=g) + 2.0, 0.5 * torch.randn(16, 1, generator=g) - 2.0),  # outside
            (0.3 * torch.randn(12, 1, generator=g), 0.3 * torch.randn(4, 1, generator=g))]           # inside


def check_hinge_losses(fn: Callable) -> Result:
    """Check fn(real_logits (B, 1), fake_logits (B', 1)) -> (d_loss, g_loss) of the hinge GAN, 0-dim tensors."""
    ref = _ref_hinge_losses
    relu = F.relu
    wrong = {
        "swapped": (lambda r, f: ref(r, f)[::-1], "return the pair in the order (d_loss, g_loss)."),
        "no relu": (lambda r, f: ((1 - r).mean() + (1 + f).mean(), ref(r, f)[1]),
                    "a real logit above +1, or a fake logit below -1, must cost D nothing: the hinge is "
                    "flat beyond the margin."),
        "margins flipped": (lambda r, f: (relu(1 + r).mean() + relu(1 - f).mean(), ref(r, f)[1]),
                            "D wants real logits HIGH (at least +1) and fake logits LOW (at most -1): check "
                            "which side of each margin costs."),
        "one mean": (lambda r, f: (relu(torch.cat([1 - r, 1 + f])).mean(), ref(r, f)[1]),
                     "take the mean over real and the mean over fake separately, then ADD them (one mean "
                     "over the concatenated batch weights them by batch size)."),
        "hinge for G": (lambda r, f: (ref(r, f)[0], relu(1 - f).mean()),
                        "the generator's loss has no margin and no relu: G keeps raising D's logits on its "
                        "fakes even beyond +1."),
        "G sign": (lambda r, f: (ref(r, f)[0], f.mean()),
                   "G wants D to score its fakes HIGH: minimising G's loss must raise the fake logits."),
        "G non-saturating": (lambda r, f: (ref(r, f)[0], F.softplus(-f).mean()),
                             "that is notebook 05's non-saturating BCE loss; the hinge GAN's G uses the raw "
                             "logits, no sigmoid and no log."),
    }
    return run_check("hinge_losses", _pair_outcome(fn), ref, _logit_cases,
                     "D: mean over real of max(0, 1 - logit) plus mean over fake of max(0, 1 + logit); "
                     "G: minus the mean fake logit.", known_wrong=wrong, submitted=fn, answers=[ref])


# --- exercise 3: the projection discriminator's logit (Miyato & Koyama 2018) --------------------------


def _ref_projection_logit(features: torch.Tensor, psi_w: torch.Tensor, psi_b: torch.Tensor,
                          class_embed: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """psi(phi) + <V[y], phi>: features (B, F), psi_w (F,), psi_b (), class_embed (K, F), y (B,) -> (B,)."""
    return features @ psi_w + psi_b + (class_embed[y] * features).sum(dim=1)


def _projection_cases() -> list[tuple]:
    """(features, psi_w, psi_b, class_embed, y), float64: B = K, B > K with a class unused, B = 1, all equal y."""
    g = torch.Generator().manual_seed(830)
    cases = []
    for b, f, k, y in ((10, 6, 10, None), (13, 5, 4, [3, 0, 1, 1, 3, 3, 0, 1, 3, 0, 1, 3, 3]), (1, 8, 10, [9]),
                       (5, 3, 10, [7] * 5)):
        labels = torch.randint(k, (b,), generator=g) if y is None else torch.tensor(y)
        cases.append((torch.randn(b, f, generator=g, dtype=_F64), torch.randn(f, generator=g, dtype=_F64),
                      torch.randn((), generator=g, dtype=_F64) + 1.0, torch.randn(k, f, generator=g, dtype=_F64),
                      labels))
    return cases


def check_projection_logit(fn: Callable) -> Result:
    """Check fn(features (B, F), psi_w (F,), psi_b (), class_embed (K, F), y (B,) int64) -> logits (B,)."""
    ref = _ref_projection_logit
    cls = lambda x, V, y: (V[y] * x).sum(1)  # noqa: E731
    wrong = {
        "(B, 1)": (lambda *c: ref(*c)[:, None], "return shape (B,), one logit per sample (yours has an extra "
                                                "dimension)."),
        "no psi": (lambda x, w, b, V, y: cls(x, V, y),
                   "the logit has an unconditional part psi(phi(x)) as well as the class term."),
        "no psi_w": (lambda x, w, b, V, y: b + cls(x, V, y),
                     "the unconditional part psi(phi(x)) is linear in phi(x) plus a bias: include psi_w."),
        "no bias": (lambda x, w, b, V, y: x @ w + cls(x, V, y), "psi is affine: add its bias psi_b."),
        "no class term": (lambda x, w, b, V, y: x @ w + b, "the logit must depend on the label y."),
        "row i of V": (lambda x, w, b, V, y: x @ w + b + (V * x).sum(1),
                       "row i of class_embed is the embedding of CLASS i, not of sample i: pick each sample's "
                       "row by its label."),
        "V[0]": (lambda x, w, b, V, y: x @ w + b + x @ V[0],
                 "every sample uses the embedding of ITS OWN label y_i."),
        "all classes": (lambda x, w, b, V, y: x @ w + b + (x @ V.T).sum(1),
                        "you added the class term of every class: only the row of the sample's label counts."),
        "embedding . psi_w": (lambda x, w, b, V, y: x @ w + b + V[y] @ w,
                              "the class term is the inner product of the class embedding with the FEATURES "
                              "phi(x), not with psi's weights."),
    }
    return run_check("projection_logit", lambda *c: fn(*[t.clone() for t in c]), ref, _projection_cases,
                     "logit_i = <psi_w, phi_i> + psi_b + <V[y_i], phi_i>: an unconditional affine score plus "
                     "the inner product of the features with the embedding of the sample's label.",
                     known_wrong=wrong, submitted=fn, answers=[ref])


# --- the quiz's answer keys (kept out of the notebook's cells: the student build does not show them) ---

QUIZ = {
    "q1": Answer({0}, [  # Why does a conditional GAN's discriminator get the label y as well as the image?
        ("Yes. A D that sees only x judges realism; a realistic 3 then passes when a 7 was asked for, so "
         "nothing makes G use y."),
        ("No. The hinge loss works for unconditional GANs too (SNGAN uses it); it needs logits, not labels."),
        ("No. D does not generate anything; G does. D's label input is what lets it penalise a wrong class."),
        ("No. G's label embedding is only an input: G is free to ignore it unless D punishes a mismatch "
         "between the image and its label.")]),
    "q2": Answer({1}, [  # Spectral normalisation divides each weight matrix of D by ...
        ("No. The Frobenius norm is at least the largest singular value, so dividing by it shrinks the layer "
         "more than needed; spectral normalisation uses the largest singular value."),
        ("Yes. Each layer then has spectral norm about 1, and with 1-Lipschitz activations the product of the "
         "layers' norms, about 1, bounds D's Lipschitz constant. torch estimates sigma with one power-iteration "
         "step per forward pass, reusing its vector u between passes."),
        ("No. The product of the layers' norms is only an upper bound: it can be loose, and sigma is an "
         "estimate (a conv layer's reshaped weight is not the conv map either). D is at most about 1-Lipschitz, "
         "not exactly."),
        ("No. That describes a gradient penalty (notebook 06), which acts on D's input gradients; spectral "
         "normalisation rescales the weights, with no extra loss term.")]),
    "q3": Answer({0, 3}, [  # The two time-scale update rule (TTUR) of Heusel et al. (2017) is ...
        ("Yes. One step each, with different step sizes; SAGAN uses 4e-4 for D and 1e-4 for G, so D can keep "
         "up with G without extra D steps."),
        ("No. Several D steps per G step is WGAN's n_critic; TTUR changes the learning rates, not the number "
         "of steps."),
        ("No. Nothing guarantees that a GAN reaches p_g = p_data; the theory is local."),
        ("Yes. Under assumptions (stochastic-approximation step sizes, G's decaying faster than D's) they "
         "prove convergence to a local Nash equilibrium; the constant rates used in practice are a heuristic "
         "inspired by it.")]),
}
