"""Batch grader: grade a class's submitted notebooks with the course's own checkers.

    python -m gan_helpers.grade SUBMITTED [--out grades.csv] [--feedback DIR] [--cell-timeout 120]
                                          [--notebook-timeout 600] [--sources notebooks]
    make grade SUBMITTED=dir

SUBMITTED/<student>/<NN_topic>.ipynb, one folder per student (nbgrader's submitted/ layout). For
each submission only the student's solution regions (the code between ``### BEGIN SOLUTION`` and
``### END SOLUTION``, matched to the instructor's cell by the function the cell defines) are put into
the instructor's source notebook, so every checker cell and everything else comes from the source.
That notebook runs in a fresh kernel in smoke mode (GAN_COURSE_SMOKE=1), in an empty working folder,
with a per-cell and a per-notebook timeout. Each checker's Result is read from a signed record file
(gh.checks.ledger), never from printed output, and each checker cell must leave exactly one record
of its exercise. Writes grades.csv (student,notebook,exercise,result,detail: one row per exercise;
result correct / wrong / not attempted, or an error kind: timeout, error, tampered, missing_region,
not_a_notebook, unknown_notebook, missing) and one markdown feedback file per student.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import re
import secrets
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import nbformat

from .checks import ledger
from .homework import defined_names, fill_solutions, solution_regions, student_regions
from .utils import SMOKE_ENV, repo_root

COLUMNS = ("student", "notebook", "exercise", "result", "detail")
CHECKER_CALL = re.compile(r"\bgh\.course\.(nb\d\d)\.check_(\w+)\(\s*(\w+)\s*\)")
RESULTS = {"correct": "correct", "wrong": "wrong", "not attempted yet": "not attempted", "tampered": "tampered"}
COURSE_DIR = str(Path(__file__).resolve().parent / "course")


def exercises(nb) -> list[dict]:
    """The exercises of a source notebook, in order: name, the student's function, checker cell index."""
    out = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            for m in CHECKER_CALL.finditer(cell.source):
                out.append({"exercise": m[2], "function": m[3], "cell": i, "module": m[1]})
    return out


def _code(nb) -> list[tuple[int, str, list[str]]]:
    """(index, source, top-level names defined) of each code cell with a source text."""
    return [(i, c.source, defined_names(c.source)) for i, c in enumerate(nb.cells)
            if c.get("cell_type") == "code" and isinstance(c.get("source"), str)]


def _find_answers(src: str, names: list[str], index: int, student) -> tuple[list[str] | None, str]:
    """The student's answers for one source cell (None if not found) and, if renamed, the new name."""
    cells = _code(student)
    candidates = [c for c in cells if names[0] in c[2]] if names else [c for c in cells if c[0] == index]
    for _, text, _ in candidates:
        got = student_regions(src, text)
        if got is not None:
            return got, ""
    if names:
        known = set(names)
        for _, text, defined in cells:
            for other in (n for n in defined if n not in known):
                if student_regions(src.replace(f"def {names[0]}(", f"def {other}("), text) is not None:
                    return None, other
    return None, ""


def merge(source, student) -> tuple[object, dict[str, tuple[str, str]]]:
    """The source notebook with the student's solution regions; problems: function -> (kind, detail)."""
    merged, problems = nbformat.from_dict(json.loads(json.dumps(source))), {}
    for i, src, names in _code(source):
        regions = solution_regions(src)
        if not regions:
            continue
        got, renamed = _find_answers(src, names, i, student)
        if got is not None:
            merged.cells[i].source = fill_solutions(src, got)
            continue
        what = f"{names[0]}()" if names else f"the answer of cell {i}"
        detail = (f"{what} was renamed to {renamed}(): keep the name {names[0]}" if renamed else
                  f"no cell with {what} and its solution found: keep the function's name, its def line and "
                  "docstring, and the code around your answer as they were")
        for name in names or [f"#{i}"]:
            problems[name] = ("missing_region", detail)
        merged.cells[i].source = fill_solutions(src, ["    raise NotImplementedError()"] * len(regions))
    return merged, problems


def _read_records(path: Path, key: str) -> tuple[list[dict], str]:
    """The records of a run; the second item says why they cannot be trusted ('' when they can)."""
    records = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        try:
            rec = json.loads(line)
            ok = rec["seq"] == n and secrets.compare_digest(str(rec["mac"]), ledger.sign(key, rec))
        except (ValueError, KeyError, TypeError):
            ok = False
        if not ok:
            return records, f"the result file was written to outside the checkers (line {n + 1})"
        records.append(rec)
    return records, ""


def _cell_error(cell) -> str:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return f"{out.get('ename', '?')}: {str(out.get('evalue', ''))[:300]}"
    return ""


def run(nb, modules: Sequence[str], cell_timeout: float, notebook_timeout: float) -> dict:
    """Execute nb (with the grader's arming cell first) in a fresh kernel; records per cell, stop info."""
    from nbclient import NotebookClient

    nb.cells.insert(0, nbformat.v4.new_code_cell(  # its imports (torch, ...) count only against the notebook
        f"import gan_helpers.checks.ledger as _ledger\n_ledger.arm({list(modules)!r})\ndel _ledger",
        metadata={"grader": "arm"}))
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    key = secrets.token_hex(32)
    with tempfile.TemporaryDirectory(prefix="gan-grade-") as private, \
            tempfile.TemporaryDirectory(prefix="gan-grade-run-") as cwd:
        record = Path(private) / f"{secrets.token_hex(8)}.jsonl"
        record.touch(mode=0o600)
        state = {"cell": None, "start_line": 0, "by_cell": {}, "stopped": None}
        deadline = time.monotonic() + notebook_timeout

        def lines() -> int:
            return len(record.read_text(encoding="utf-8").splitlines())

        def on_start(cell=None, cell_index=None, **_):
            state["cell"], state["start_line"] = cell_index, lines()

        def on_done(cell=None, cell_index=None, **_):
            state["by_cell"][cell_index] = (state["start_line"], lines())

        client = NotebookClient(nb, kernel_name="python3", allow_errors=True, timeout=int(cell_timeout),
                                timeout_func=lambda cell: max(1, int(min(
                                    notebook_timeout if cell.metadata.get("grader") else cell_timeout,
                                    deadline - time.monotonic()))),
                                resources={"metadata": {"path": cwd}}, on_cell_start=on_start, startup_timeout=180,
                                on_cell_executed=on_done)
        env = {SMOKE_ENV: "1", ledger.GRADES_ENV: str(record), ledger.KEY_ENV: key, "MPLBACKEND": "Agg"}
        old = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            client.execute()
        except Exception as err:  # a timeout, a dead kernel: keep what was recorded
            kind = "timeout" if "Timeout" in type(err).__name__ else "error"
            state["stopped"] = (state["cell"], kind, f"{type(err).__name__}: {str(err).strip()[:200]}")
        finally:
            for k, v in old.items():
                os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
        records, distrust = _read_records(record, key)
    return {"records": records, "distrust": distrust, "by_cell": state["by_cell"], "stopped": state["stopped"]}


def _verdict(ex: dict, nb, out: dict, offset: int = 1) -> tuple[str, str]:
    """result, detail of one exercise from a run (cell indices of `out` include the arming cell)."""
    cell = ex["cell"] + offset
    stopped = out["stopped"]
    if out["distrust"]:
        return "tampered", out["distrust"]
    if cell not in out["by_cell"]:
        if stopped and stopped[0] is not None and stopped[0] <= cell:
            where = "in this exercise's cell" if stopped[0] == cell else f"at cell {stopped[0] - offset}"
            return stopped[1], f"the notebook stopped {where}: {stopped[2]}"
        if stopped:
            return stopped[1], f"the notebook did not run: {stopped[2]}"
        return "error", "the checker cell did not run"
    lo, hi = out["by_cell"][cell]
    mine = [r for r in out["records"][lo:hi] if r["exercise"] == ex["exercise"]]
    if len(mine) != 1:
        defining = [c for c in nb.cells[1:cell + 1] if c.cell_type == "code" and ex["function"] in
                    defined_names(c.source) and _cell_error(c)]
        error = _cell_error(defining[-1]) if defining else _cell_error(nb.cells[cell])
        if not mine and error:
            return "error", error
        return "tampered", (f"the checker cell left {len(mine)} results for {ex['exercise']} instead of 1 "
                            "(was the checker replaced?)")
    rec = mine[0]
    filename, _, name = rec["checker"].partition("::")
    if rec["result"] != "tampered" and (name != f"check_{ex['exercise']}" or
                                        not filename.startswith(COURSE_DIR)):
        return "tampered", f"the result did not come from gh.course's check_{ex['exercise']}"
    return RESULTS.get(rec["result"], "error"), rec["detail"]


def grade_notebook(path: Path, source_path: Path, cell_timeout: float = 120,
                   notebook_timeout: float = 600) -> list[dict]:
    """Rows (notebook, exercise, result, detail) for one submitted notebook against its source."""
    source = nbformat.read(source_path, as_version=4)
    exs = exercises(source)
    rows = lambda pairs: [{"notebook": source_path.name, "exercise": e["exercise"], "result": r, "detail": d}  # noqa: E731
                          for e, (r, d) in zip(exs, pairs)]
    try:
        student = nbformat.reads(path.read_text(encoding="utf-8", errors="replace"), as_version=4)
        if not isinstance(student.get("cells"), list) or not all(isinstance(c, dict) for c in student.cells):
            raise ValueError("no list of cells")
    except Exception as err:
        return rows([("not_a_notebook", f"{path.name} is not a Jupyter notebook ({type(err).__name__})")] * len(exs))
    merged, problems = merge(source, student)
    modules = sorted({f"gan_helpers.course.{e['module']}" for e in exs})
    try:
        out = run(merged, modules, cell_timeout, notebook_timeout)
    except Exception as err:  # the kernel did not start, say
        return rows([("error", f"could not run the notebook: {type(err).__name__}: {err}")] * len(exs))
    return rows([problems[e["function"]] if e["function"] in problems else _verdict(e, merged, out) for e in exs])


def _sources(folder: Path) -> dict[str, Path]:
    return {p.name: p for p in sorted(folder.glob("[0-9][0-9]_*.ipynb"))}


def grade(submitted: str | os.PathLike, out: str | os.PathLike = "grades.csv",
          feedback: str | os.PathLike | None = None, sources: str | os.PathLike | None = None,
          cell_timeout: float = 120, notebook_timeout: float = 600, verbose: bool = True) -> list[dict]:
    """Grade every SUBMITTED/<student>/<NN_topic>.ipynb; write the CSV and the feedback files; return rows."""
    submitted, out = Path(submitted), Path(out)
    feedback = Path(feedback) if feedback is not None else out.parent / "feedback"
    known = _sources(Path(sources) if sources is not None else repo_root() / "notebooks")
    if not submitted.is_dir():
        raise ValueError(f"{submitted} is not a folder of student folders")
    all_rows: list[dict] = []
    for student_dir in sorted(p for p in submitted.iterdir() if p.is_dir()):
        student, rows = student_dir.name, []
        files = sorted(p for p in student_dir.iterdir() if p.suffix == ".ipynb")
        for path in files:
            src = known.get(path.name) or next((s for n, s in known.items() if n[:3] == path.name[:3]), None)
            start = time.perf_counter()
            if src is None:
                got = [{"notebook": path.name, "exercise": "-", "result": "unknown_notebook",
                        "detail": f"no source notebook matches {path.name}"}]
            else:
                try:
                    got = grade_notebook(path, src, cell_timeout, notebook_timeout)
                except Exception as err:  # never stop on one submission
                    got = [{"notebook": src.name, "exercise": "-", "result": "error",
                            "detail": f"grader error: {type(err).__name__}: {err}"}]
            if verbose:
                counts = ", ".join(f"{sum(r['result'] == k for r in got)} {k}" for k in
                                   sorted({r["result"] for r in got}))
                print(f"{student}/{path.name}: {counts} ({time.perf_counter() - start:.1f} s)", flush=True)
            rows += got
        if not files:
            rows.append({"notebook": "-", "exercise": "-", "result": "missing", "detail": "no .ipynb submitted"})
        rows = [{"student": student, **r} for r in rows]
        _write_feedback(feedback / f"{student}.md", student, rows)
        all_rows += rows
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(all_rows)
    return all_rows


def _write_feedback(path: Path, student: str, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"# Feedback for {student}", ""]
    for notebook in dict.fromkeys(r["notebook"] for r in rows):
        mine = [r for r in rows if r["notebook"] == notebook]
        lines += [f"## {notebook}: {sum(r['result'] == 'correct' for r in mine)} of {len(mine)} correct", ""]
        lines += [f"- **{r['exercise']}**: {r['result']}" + (f". {r['detail']}" if r["detail"] else "")
                  for r in mine] + [""]
    path.write_text("\n".join(lines), encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: python -m gan_helpers.grade SUBMITTED --out grades.csv."""
    parser = argparse.ArgumentParser(prog="python -m gan_helpers.grade", description=__doc__.split("\n")[0])
    parser.add_argument("submitted", help="folder with one folder per student")
    parser.add_argument("--out", default="grades.csv", help="the CSV to write (default grades.csv)")
    parser.add_argument("--feedback", default=None, help="folder for <student>.md (default: feedback/ next to --out)")
    parser.add_argument("--sources", default=None, help="instructor's notebooks (default: notebooks/ of the repo)")
    parser.add_argument("--cell-timeout", type=float, default=120.0, help="seconds per cell (default 120)")
    parser.add_argument("--notebook-timeout", type=float, default=600.0, help="seconds per notebook (default 600)")
    args = parser.parse_args(argv)
    try:
        rows = grade(args.submitted, args.out, args.feedback, args.sources, args.cell_timeout, args.notebook_timeout)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"{args.out}: {len(rows)} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
