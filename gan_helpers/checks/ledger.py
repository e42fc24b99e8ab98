"""Grading mode: every checker's Result recorded for the batch grader (python -m gan_helpers.grade).

The grader starts the kernel with $GAN_COURSE_GRADES (a JSON-lines file in a private temporary
folder it created) and $GAN_COURSE_GRADES_KEY (a random secret), and runs ``arm([...])`` in a cell of
its own before any student code. `arm` takes both out of os.environ and keeps them out of sight,
and notes the identity of the checker machinery (the functions of gh.checks and of the notebook's
course modules, and their code). `record` (called by run_check) appends one line per checker call:
{seq, exercise, result, detail, checker, mac}, mac an HMAC-SHA256 of the rest under the key; when the
machinery was rebound since `arm`, the line says result "tampered" instead. Nothing printed counts.

This stops naive tampering only (rebinding gh.checks or gh.course.nbNN functions, printing fake
lines, writing to a guessed file); code that digs the key out of the kernel process is not stopped.
"""
from __future__ import annotations

import builtins
import hashlib
import hmac
import importlib
import json
import os
import types
from collections.abc import Callable, Iterable

GRADES_ENV = "GAN_COURSE_GRADES"
KEY_ENV = "GAN_COURSE_GRADES_KEY"
MACHINERY = ("gan_helpers.checks", "gan_helpers.checks.core", "gan_helpers.checks.delegation",
             "gan_helpers.checks.ledger")


def sign(key: str, fields: dict) -> str:
    """HMAC-SHA256 (hex) of a record's fields (everything but its mac) under key."""
    text = json.dumps([fields[k] for k in ("seq", "exercise", "result", "detail", "checker")])
    return hmac.new(key.encode(), text.encode(), hashlib.sha256).hexdigest()


def _identity(value: object) -> tuple:
    return value, getattr(value, "__code__", None), getattr(value, "__defaults__", None)


def _snapshot(module_names: Iterable[str]) -> dict:
    """(module, attribute) -> (object, its code, its defaults) for the callables of those modules."""
    import numpy as np
    import torch

    snap = {}
    for mod_name in module_names:
        module = importlib.import_module(mod_name)
        for attr, value in vars(module).items():
            if callable(value) or isinstance(value, types.ModuleType):
                snap[(mod_name, attr)] = _identity(value)
    for owner, attr in ((torch.testing, "assert_close"), (np.testing, "assert_allclose"), (np, "asarray"),
                        (builtins, "isinstance"), (builtins, "len"), (builtins, "all"), (builtins, "zip")):
        value = getattr(owner, attr)
        snap[(owner.__name__, attr)] = _identity(value)
    return snap


def _changed(snap: dict) -> list[str]:
    out = []
    for (mod_name, attr), (value, code, defaults) in snap.items():
        owner = builtins if mod_name == "builtins" else importlib.import_module(mod_name)
        now = _identity(getattr(owner, attr, None))
        if now[0] is not value or now[1] is not code or now[2] is not defaults:
            out.append(f"{mod_name}.{attr}")
    return out


def _make() -> tuple[Callable, Callable, Callable]:
    state: dict = {}

    def arm(course_modules: Iterable[str] = ()) -> None:
        """Enter grading mode (the grader's own first cell): read and hide the record path and key."""
        path, key = os.environ.pop(GRADES_ENV, ""), os.environ.pop(KEY_ENV, "")
        if not path or not key:
            raise RuntimeError(f"arm() needs ${GRADES_ENV} and ${KEY_ENV} (set by the grader)")
        state.update(path=path, key=key, seq=0, snap=_snapshot([*MACHINERY, *course_modules]))

    def record(exercise: str, result: str, detail: str, checker: types.CodeType | None = None) -> None:
        """Append one signed record (grading mode only; otherwise nothing happens)."""
        if not state:
            return
        changed = _changed(state["snap"])
        if changed:
            result, detail = "tampered", "the checker machinery was changed: " + ", ".join(changed[:5])
        where = f"{checker.co_filename}::{checker.co_name}" if checker is not None else ""
        fields = {"seq": state["seq"], "exercise": str(exercise), "result": result, "detail": str(detail),
                  "checker": where}
        fields["mac"] = sign(state["key"], fields)
        with open(state["path"], "a", encoding="utf-8") as f:
            f.write(json.dumps(fields) + "\n")
        state["seq"] += 1

    def armed() -> bool:
        return bool(state)

    return arm, record, armed


arm, record, armed = _make()
