"""Checkers of notebook 08 (power iteration, hinge losses, projection discriminator's logit) and its quiz keys:
CORRECT on independent solutions, WRONG on the classic mistakes (with their targeted hints), NOT_ATTEMPTED on an
untouched exercise, and WRONG on answers that hand the work to the package or, for power iteration, to an SVD."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import gan_helpers as gh
from gan_helpers.checks import Result
from gan_helpers.course import nb08
from gan_helpers.widgets import Answer

DELEGATED = "write it yourself; calling gh.course.nb08."
DIRECT = "use power iteration; torch.linalg.svdvals / matrix_norm / svd compute the answer directly"


def not_done(*args):
    raise NotImplementedError()


# ------------------------------------------------------------------ exercise 1: power iteration


def sigma_gram(W, iters, generator):
    """Independent: power iteration on W^T W, in numpy, then the square root of its Rayleigh quotient."""
    A = W.numpy()
    v = torch.randn(A.shape[1], generator=generator, dtype=torch.float64).numpy()
    for _ in range(iters):
        v = A.T @ (A @ v)
        v = v / np.linalg.norm(v)
    return math.sqrt(float(v @ (A.T @ (A @ v))))


def sigma_pair(W, iters, generator):
    """Independent: u and v both kept, normalised with vector norms of order 2, returns the 0-dim tensor u^T W v."""
    v = F.normalize(torch.randn(W.shape[1], generator=generator, dtype=W.dtype), dim=0)
    for _ in range(iters):
        u = W @ v
        u = u / torch.linalg.norm(u, 2)
        v = W.T @ u
        v = v / np.linalg.norm(v.numpy(), 2)
    return u @ W @ v


def sigma_variant(normalise=True, eig=False, squared=False, return_v=False, v_norm=False, frobenius=False):
    """Power iteration with one deliberate mistake, written in the test."""
    def fn(W, iters, generator):
        if frobenius:
            return torch.sqrt((W ** 2).sum())
        v = torch.randn(W.shape[1], generator=generator, dtype=W.dtype)
        v = v / v.norm()
        for _ in range(iters):
            if eig:
                v = W @ v
                v = v / v.norm()
                continue
            u = W @ v
            u = u / u.norm() if normalise else u
            v = W.T @ u
            v = v / v.norm() if normalise else v
        if eig:
            return (W @ v).norm()
        if return_v:
            return v
        if v_norm:
            return v.norm()
        stretch = (W @ v).norm() / v.norm()
        return stretch ** 2 if squared else stretch
    return fn


def test_power_iteration_cases_converge_and_expose_the_mistakes():
    cases = nb08._sigma_cases()
    shapes = [tuple(W.shape) for W, *_ in cases]
    assert any(m == n for m, n in shapes) and any(m > n for m, n in shapes) and any(m < n for m, n in shapes)
    for W, iters, seed in cases:
        assert W.dtype == torch.float64 and 100 <= iters <= 300
        sigma = nb08._ref_power_iteration(W, iters, torch.Generator().manual_seed(seed))
        assert abs(sigma - torch.linalg.matrix_norm(W, 2).item()) < 1e-9 * sigma  # converged
        assert abs(sigma - 1.0) > 0.05                                         # |v| = 1 is never right
    W0 = cases[0][0]  # non-symmetric square: its largest |eigenvalue| is not its largest singular value
    assert not torch.allclose(W0, W0.T)
    assert torch.linalg.eigvals(W0).abs().max() < 0.95 * torch.linalg.matrix_norm(W0, 2)
    unnormalised = [sigma_variant(normalise=False)(W, it, torch.Generator().manual_seed(s)) for W, it, s in cases]
    assert any(not torch.isfinite(x) for x in unnormalised)                   # over- and underflow happen
    exponents = [2 * it * math.log10(torch.linalg.matrix_norm(W, 2).item()) for W, it, _ in cases]
    assert max(exponents) > 309 and min(exponents) < -324  # sigma^(2 iters) leaves the float64 range both ways


def test_check_power_iteration_correct():
    assert nb08.check_power_iteration(sigma_gram) is Result.CORRECT
    assert nb08.check_power_iteration(sigma_pair) is Result.CORRECT  # vector norms of order 2 are fine
    assert nb08.check_power_iteration(sigma_variant()) is Result.CORRECT
    assert nb08.check_power_iteration(lambda W, i, g: sigma_variant()(W, i, g).item()) is Result.CORRECT


def test_check_power_iteration_wrong(capsys):
    capsys.readouterr()
    mistakes = {
        "largest |eigenvalue|": sigma_variant(eig=True),
        "Frobenius norm": sigma_variant(frobenius=True),
        "sigma^2": sigma_variant(squared=True),
        "inf or nan": sigma_variant(normalise=False),
        "you returned 1": sigma_variant(v_norm=True),
        "one number": sigma_variant(return_v=True),
    }
    for hint, fn in mistakes.items():
        assert nb08.check_power_iteration(fn) is Result.WRONG, hint
        assert hint in capsys.readouterr().out, hint

    def float32_start(W, iters, generator):
        v = torch.randn(W.shape[1], generator=generator)
        return (W @ v).norm()
    assert nb08.check_power_iteration(float32_start) is Result.WRONG
    assert "raised RuntimeError" in capsys.readouterr().out
    assert nb08.check_power_iteration(lambda W, i, g: sigma_gram(W, 3, g)) is Result.WRONG  # too few steps
    assert "apply W and W^T in turn" in capsys.readouterr().out  # the generic hint
    assert nb08.check_power_iteration(not_done) is Result.NOT_ATTEMPTED


def svd_helper(W):
    return torch.linalg.svdvals(W)[0]


def test_power_iteration_refuses_direct_answers(capsys):
    norms = torch.linalg.norm, np.linalg.norm
    def local_import(W, iters, generator):
        from torch.linalg import svdvals
        return svdvals(W).max()

    def nested(W, iters, generator):
        return (lambda: torch.linalg.matrix_norm(W, ord=2))()

    def eig_of_gram(W, iters, generator):
        return torch.linalg.eigvalsh(W.T @ W).max().sqrt()

    def numpy_norm(W, iters, generator):
        return float(np.linalg.norm(W.numpy(), 2))

    def norm_behind_a_try(W, iters, generator):
        try:
            return torch.linalg.norm(W, ord=2)
        except Exception:
            return sigma_gram(W, iters, generator)
    top = torch.linalg.svdvals

    def renamed(W, iters, generator, s=torch.linalg.svdvals):
        return s(W)[0]
    direct = [lambda W, i, g: top(W)[0], renamed, lambda W, i, g: torch.linalg.svdvals(W)[0],
              lambda W, i, g: torch.linalg.svd(W).S[0], lambda W, i, g: torch.svd(W)[1].max(),
              lambda W, i, g: svd_helper(W), local_import, nested,
              eig_of_gram, lambda W, i, g: torch.linalg.norm(W, 2), numpy_norm, norm_behind_a_try,
              lambda W, i, g: np.linalg.svd(W.numpy(), compute_uv=False)[0]]
    for fn in direct:
        assert nb08.check_power_iteration(fn) is Result.WRONG
        assert DIRECT in capsys.readouterr().out
    assert (torch.linalg.norm, np.linalg.norm) == norms  # the guard is lifted after the check
    nb08.check_power_iteration(lambda W, i, g: 1 / 0)
    assert (torch.linalg.norm, np.linalg.norm) == norms
    assert torch.linalg.norm(torch.eye(3), 2).item() == 1.0


def test_power_iteration_delegation_is_refused(capsys):
    for fn in (lambda W, i, g: gh.course.nb08._ref_power_iteration(W, i, g), nb08._ref_power_iteration):
        assert nb08.check_power_iteration(fn) is Result.WRONG
        assert DELEGATED + "_ref_power_iteration" in capsys.readouterr().out


def test_power_iteration_checker_leaves_global_rng_alone():
    torch.manual_seed(3)
    want = torch.rand(2)
    torch.manual_seed(3)
    nb08.check_power_iteration(sigma_pair)
    assert torch.equal(torch.rand(2), want)


# ------------------------------------------------------------------ exercise 2: hinge losses


def hinge_good(real_logits, fake_logits):
    """Independent: clamp instead of relu, sums divided by counts."""
    d_real = torch.clamp(1.0 - real_logits, min=0).sum() / real_logits.numel()
    d_fake = torch.clamp(1.0 + fake_logits, min=0).sum() / fake_logits.numel()
    return d_real + d_fake, -fake_logits.sum() / fake_logits.numel()


def test_hinge_reference_by_hand():
    d, g = nb08._ref_hinge_losses(torch.tensor([[2.0], [0.5], [1.0]]), torch.tensor([[-3.0], [0.0]]))
    assert abs(d.item() - (0.5 / 3 + 0.5)) < 1e-7 and abs(g.item() - 1.5) < 1e-7


def test_hinge_cases_cover_the_margins():
    cases = nb08._logit_cases()
    assert all(r.shape[0] != f.shape[0] and r.shape[1:] == (1,) for r, f in cases)
    logits = torch.cat([torch.cat([r, f]) for r, f in cases])
    assert (logits.abs() < 1).any() and (logits.abs() > 1).any()
    assert (logits == 1).any() and (logits == -1).any()


def test_check_hinge_losses(capsys):
    relu = F.relu
    assert nb08.check_hinge_losses(hinge_good) is Result.CORRECT
    assert nb08.check_hinge_losses(lambda r, f: [relu(1 - r).mean() + relu(1 + f).mean(), -f.mean()]) \
        is Result.CORRECT
    capsys.readouterr()
    d_ok = lambda r, f: hinge_good(r, f)[0]  # noqa: E731
    mistakes = {
        "(d_loss, g_loss)": lambda r, f: hinge_good(r, f)[::-1],
        "flat beyond the margin": lambda r, f: ((1 - r).mean() + (1 + f).mean(), -f.mean()),
        "which side of each margin": lambda r, f: (relu(1 + r).mean() + relu(1 - f).mean(), -f.mean()),
        "separately": lambda r, f: (torch.cat([relu(1 - r), relu(1 + f)]).mean(), -f.mean()),
        "no margin and no relu": lambda r, f: (d_ok(r, f), relu(1 - f).mean()),
        "raise the fake logits": lambda r, f: (d_ok(r, f), f.mean()),
        "non-saturating": lambda r, f: (d_ok(r, f), -F.logsigmoid(f).mean()),
        "0-dim tensor": lambda r, f: (d_ok(r, f).item(), -f.mean().item()),
        "return the pair": lambda r, f: d_ok(r, f),
    }
    for hint, fn in mistakes.items():
        assert nb08.check_hinge_losses(fn) is Result.WRONG, hint
        assert hint in capsys.readouterr().out, hint
    assert nb08.check_hinge_losses(lambda r, f: (relu(1 - r).sum() + relu(1 + f).sum(), -f.mean())) is Result.WRONG
    assert "mean over real of max(0, 1 - logit)" in capsys.readouterr().out  # the generic hint
    assert nb08.check_hinge_losses(not_done) is Result.NOT_ATTEMPTED
    for fn in (lambda r, f: gh.course.nb08._ref_hinge_losses(r, f), nb08._ref_hinge_losses):
        assert nb08.check_hinge_losses(fn) is Result.WRONG
        assert DELEGATED + "_ref_hinge_losses" in capsys.readouterr().out


# ------------------------------------------------------------------ exercise 3: projection logit


def projection_good(features, psi_w, psi_b, class_embed, y):
    """Independent: one-hot labels times the embedding table, then einsum."""
    embedded = F.one_hot(y, class_embed.shape[0]).to(class_embed.dtype) @ class_embed
    return torch.einsum("bf,f->b", features, psi_w) + psi_b + torch.einsum("bf,bf->b", embedded, features)


def test_projection_reference_by_hand():
    x = torch.tensor([[1.0, 2.0], [3.0, -1.0]])
    w, b = torch.tensor([0.5, 0.0]), torch.tensor(1.0)
    V = torch.tensor([[1.0, 0.0], [0.0, 1.0], [2.0, 2.0]])
    # sample 0, class 2: 0.5 + 1 + (2 + 4) = 7.5; sample 1, class 0: 1.5 + 1 + 3 = 5.5
    assert torch.allclose(nb08._ref_projection_logit(x, w, b, V, torch.tensor([2, 0])), torch.tensor([7.5, 5.5]))


def test_projection_cases():
    cases = nb08._projection_cases()
    assert any(x.shape[0] == V.shape[0] for x, _, _, V, _ in cases)  # where (V * x).sum(1) runs silently
    assert any(x.shape[0] == 1 for x, *_ in cases)
    assert any(len(set(y.tolist())) < V.shape[0] for *_, V, y in cases)
    assert all(y.dtype == torch.int64 and b.ndim == 0 and w.ndim == 1 for _, w, b, _, y in cases)


def test_check_projection_logit(capsys):
    assert nb08.check_projection_logit(projection_good) is Result.CORRECT
    assert nb08.check_projection_logit(lambda x, w, b, V, y: (x * (w + V[y])).sum(1) + b) is Result.CORRECT
    capsys.readouterr()
    mistakes = {
        "extra dimension": lambda x, w, b, V, y: projection_good(x, w, b, V, y).unsqueeze(1),
        "unconditional part": lambda x, w, b, V, y: (V[y] * x).sum(1),
        "include psi_w": lambda x, w, b, V, y: (V[y] * x).sum(1) + b,
        "its bias psi_b": lambda x, w, b, V, y: x @ w + (V[y] * x).sum(1),
        "depend on the label": lambda x, w, b, V, y: x @ w + b,
        "CLASS i": lambda x, w, b, V, y: x @ w + b + (V[: len(x)] * x).sum(1),
        "ITS OWN label": lambda x, w, b, V, y: x @ w + b + (V[0] * x).sum(1),
        "every class": lambda x, w, b, V, y: x @ w + b + (x @ V.T).sum(1),
        "FEATURES": lambda x, w, b, V, y: x @ w + b + V[y] @ w,
    }
    for hint, fn in mistakes.items():
        assert nb08.check_projection_logit(fn) is Result.WRONG, hint
        assert hint in capsys.readouterr().out, hint
    assert nb08.check_projection_logit(lambda x, w, b, V, y: x @ w + b - (V[y] * x).sum(1)) is Result.WRONG
    assert "inner product of the features" in capsys.readouterr().out  # the generic hint
    assert nb08.check_projection_logit(not_done) is Result.NOT_ATTEMPTED
    for fn in (lambda *a: gh.course.nb08._ref_projection_logit(*a), nb08._ref_projection_logit):
        assert nb08.check_projection_logit(fn) is Result.WRONG
        assert DELEGATED + "_ref_projection_logit" in capsys.readouterr().out


def test_projection_checker_hands_out_copies():
    def in_place(features, psi_w, psi_b, class_embed, y):
        out = projection_good(features, psi_w, psi_b, class_embed, y)
        features.zero_()
        class_embed.zero_()
        return out
    assert nb08.check_projection_logit(in_place) is Result.CORRECT


# ------------------------------------------------------------------ quiz


@pytest.mark.parametrize("key, correct", [("q1", {0}), ("q2", {1}), ("q3", {0, 3})])
def test_quiz_keys(key, correct):
    assert set(nb08.QUIZ) == {"q1", "q2", "q3"}
    answer = nb08.QUIZ[key]
    assert isinstance(answer, Answer) and set(answer.correct) == correct
    assert 3 <= len(answer.explanations) <= 4
    assert all(e.startswith(("Yes.", "No.")) for e in answer.explanations)
    assert all(e.startswith("Yes.") == (i in correct) for i, e in enumerate(answer.explanations))
    assert "hidden" in repr(answer) and str(sorted(correct)) not in repr(answer)
    assert gh.widgets.multiple_choice("Q?", [f"option {i}" for i in range(len(answer.explanations))],
                                      answer=answer) is not None
