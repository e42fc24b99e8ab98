"""Exercise checkers: run a student's function on seeded inputs and compare with the reference.

Each checker prints one line, "correct", "wrong" (with a hint that does not give the answer away)
or "not attempted yet", and returns a Result. It never raises: a student notebook must not stop
with a traceback at a checker. `expect` states a claim a notebook checks about a training run.
"""
from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from enum import Enum
from typing import Any

import numpy as np
import torch

from .. import utils
from ..utils import smoke_mode
from . import ledger
from .delegation import Delegated, find_delegation, tripwires


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
              rtol: float = 1e-5, atol: float = 1e-6, verbose: bool = True,
              submitted: Callable | None = None, allow: Iterable[object] = (),
              answers: Iterable[Callable] = ()) -> Result:
    """Compare student_fn(*case) with reference_fn(*case) on every case; print and return a Result.

    cases() builds fresh seeded inputs (so a student's in-place edits cannot leak between calls).
    known_wrong maps a label to (wrong_fn, targeted hint) for plausible mistakes.
    The student's own work is required: `submitted` (the function the student handed in, when
    student_fn wraps it; default student_fn) is WRONG when it uses gan_helpers (other than gh.utils
    and the objects in `allow`), and, while it runs, the reference and the library functions in
    `answers` are tripwires (see gh.checks.delegation). In grading mode (gh.checks.ledger armed by
    python -m gan_helpers.grade) the Result is also recorded for the grader.
    """
    checker = sys._getframe(1).f_code

    def say(result: Result, text: str) -> Result:
        if verbose:
            icon = {"correct": "✅", "wrong": "❌", "not attempted yet": "⏳"}[result.value]
            print(f"{icon} {name}: {result.value}{'. ' + text if text else ''}")
        ledger.record(name, result.value, text, checker)
        return result

    def refuse(used: str) -> Result:
        return say(Result.WRONG, f"write it yourself; calling {used} is not accepted")

    used = find_delegation(student_fn if submitted is None else submitted, allow=(utils, *allow))
    if used:
        return refuse(used)
    for case in cases():
        try:
            with tripwires([reference_fn, *answers]) as called:
                got = student_fn(*case)
        except NotImplementedError:
            return say(Result.NOT_ATTEMPTED, "Replace `raise NotImplementedError()` with your code")
        except Delegated as err:
            return refuse(str(err))
        except Exception as err:  # the student's code failed: report it, never raise
            return say(Result.WRONG, f"Your function raised {type(err).__name__}: {err}")
        if called:  # a tripwire fired and the student's code swallowed it
            return refuse(called[0])
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


CLAIMS_ENV = "GAN_COURSE_CLAIMS"


def expect(condition: bool, claim: str) -> bool:
    """Check a claim about a (noisy) run: print it when it holds, raise AssertionError when not; return it.

    Recording mode ($GAN_COURSE_CLAIMS = a file path, set by the claims harness `make claims`): the
    claim and whether it held are appended to that file as one JSON line, and a failed claim is
    printed, not raised, so one run reports every claim. In smoke mode (GAN_COURSE_SMOKE=1, tiny
    budgets for testing student builds) a failed claim is reported but does not stop the notebook.
    """
    held = bool(condition)
    record = os.environ.get(CLAIMS_ENV, "").strip()
    if record:
        with open(record, "a", encoding="utf-8") as f:
            f.write(json.dumps({"claim": str(claim), "held": held}) + "\n")
    if held:
        print(f"✔ {claim}")
    elif record:
        print(f"✘ (recorded, not raised) claim failed: {claim}")
    elif smoke_mode():
        print(f"(smoke mode) not met: {claim}")
    else:
        raise AssertionError(f"claim failed: {claim}")
    return held
