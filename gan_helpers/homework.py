"""Build the student version of the notebooks: solutions cleared, outputs and widget state dropped.

Run ``python -m gan_helpers.homework [--out student] [notebooks...]``. Code between the lines
``### BEGIN SOLUTION`` and ``### END SOLUTION`` becomes ``# YOUR CODE HERE`` +
``raise NotImplementedError()`` at the marker's indentation; markdown between the same markers becomes
``YOUR ANSWER HERE``. This is nbgrader's ClearSolutions convention, so the same source notebooks also
work with nbgrader (``nbgrader generate_assignment --ClearSolutions.enforce_metadata=False``).
"""
from __future__ import annotations

import argparse
import ast
import copy
import re
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

import nbformat

from .utils import repo_root, short_path

CODE_STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
TEXT_STUB = ("YOUR ANSWER HERE",)
# A marker is a line of its own: "### BEGIN SOLUTION" (any number of #), or "<!-- BEGIN SOLUTION -->".
MARKER = re.compile(r"^(?P<indent>[ \t]*)(?:#+|<!--)?[ \t]*(?P<kind>BEGIN|END) SOLUTION[ \t]*(?:-->)?[ \t]*$")
TOP_LEVEL_DEF = re.compile(r"^(?:async[ \t]+)?(?:def|class)[ \t]")
MAGIC = re.compile(r"^([ \t]*)[%!]")
DROPPED_CELL_METADATA = ("execution", "ExecuteTime", "collapsed", "scrolled")


def clear_solutions(source: str, cell_type: str = "code", where: str = "cell") -> tuple[str, int]:
    """Replace every marked solution region of one cell's source; return (new source, regions cleared).

    Raises ValueError (naming `where`) on a nested BEGIN, an END without BEGIN, a BEGIN without END,
    or a code region at column 0 that swallows a `def`/`class` line (the signature must stay).
    """
    if cell_type not in ("code", "markdown"):
        raise ValueError(f"{where}: cell_type must be 'code' or 'markdown', got {cell_type!r}")
    stub = CODE_STUB if cell_type == "code" else TEXT_STUB
    out: list[str] = []
    begin_line, regions, indent = None, 0, ""
    for lineno, line in enumerate(source.split("\n"), start=1):
        m = MARKER.match(line)
        if m and m["kind"] == "BEGIN":
            if begin_line is not None:
                raise ValueError(f"{where}: nested '### BEGIN SOLUTION' at line {lineno} "
                                 f"(the region opened at line {begin_line} is not closed)")
            begin_line, indent, regions = lineno, m["indent"], regions + 1
            out.extend((indent if cell_type == "code" else "") + s for s in stub)
        elif m:  # END
            if begin_line is None:
                raise ValueError(f"{where}: '### END SOLUTION' at line {lineno} has no matching "
                                 "'### BEGIN SOLUTION' before it")
            begin_line = None
        elif begin_line is None:
            out.append(line)
            if "BEGIN SOLUTION" in line or "END SOLUTION" in line:
                warnings.warn(f"{where}: line {lineno} mentions a marker without being a marker line; "
                              "nbgrader's ClearSolutions would treat it as one", stacklevel=2)
        elif cell_type == "code" and indent == "" and TOP_LEVEL_DEF.match(line):
            raise ValueError(f"{where}: line {lineno} ({line.strip()[:40]!r}) is inside the solution "
                             "region; keep the def/class line above '### BEGIN SOLUTION' and indent "
                             "the markers like the body, so students see the signature")
    if begin_line is not None:
        raise ValueError(f"{where}: '### BEGIN SOLUTION' at line {begin_line} has no matching "
                         "'### END SOLUTION'")
    return "\n".join(out), regions


def solution_regions(source: str) -> list[str]:
    """The text between each pair of marker lines of one cell, in order (the markers excluded).

    Lenient (for the grader, which reads students' notebooks): an unclosed region runs to the end.
    """
    regions: list[list[str]] = []
    inside = False
    for line in source.split("\n"):
        m = MARKER.match(line)
        if m:
            inside = m["kind"] == "BEGIN"
            if inside:
                regions.append([])
        elif inside:
            regions[-1].append(line)
    return ["\n".join(r) for r in regions]


def fill_solutions(source: str, regions: Sequence[str]) -> str:
    """Replace the body of each solution region of `source` by regions[i] (the markers stay)."""
    out, inside, i = [], False, 0
    for line in source.split("\n"):
        m = MARKER.match(line)
        if m and m["kind"] == "BEGIN":
            out.append(line)
            out.extend(regions[i].split("\n") if regions[i] else [])
            inside, i = True, i + 1
        elif m:
            out.append(line)
            inside = False
        elif not inside:
            out.append(line)
    if i != len(regions):
        raise ValueError(f"the cell has {i} solution regions, got {len(regions)}")
    return "\n".join(out)


def defined_names(source: str) -> list[str]:
    """Names of the top-level def/class statements of a code cell (the exercises' functions)."""
    return re.findall(r"^(?:async[ \t]+)?(?:def|class)[ \t]+(\w+)", source, flags=re.M)


def _body_after_docstring(source: str, name: str) -> list[str] | None:
    """The lines of function `name`'s body after its docstring (marker lines dropped), or None."""
    plain = "\n".join(MAGIC.sub(r"\1pass  #", line) for line in source.split("\n"))
    try:
        tree = ast.parse(plain)
    except SyntaxError:
        return None
    lines = source.split("\n")
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            body = node.body[1:] if ast.get_docstring(node) is not None and len(node.body) > 1 else node.body
            start = body[0].lineno - 1 if body else node.end_lineno
            while start > 0 and MARKER.match(lines[start - 1]):  # a BEGIN line right above the body
                start -= 1
            return [line for line in lines[start:node.end_lineno] if not MARKER.match(line)]
    return None


def student_regions(source: str, student: str) -> list[str] | None:
    """The student's answers for the solution regions of an instructor's cell, read from the student's cell.

    The student's cell may keep the marker lines (then the text between them), or be the student
    build's cell with the stub replaced: then the text between the lines the source has above and below
    its (single) region, or else, when the region is the whole body of a function, that function's body
    after its docstring. None when the answers cannot be found.
    """
    regions = solution_regions(source)
    theirs = solution_regions(student)
    if theirs and len(theirs) == len(regions):
        return theirs
    if len(regions) != 1:
        return None
    src, mine = source.split("\n"), [line.rstrip() for line in student.split("\n")]
    begin = next(i for i, line in enumerate(src) if MARKER.match(line))
    end = next(i for i, line in enumerate(src) if i > begin and MARKER.match(line))
    before, after = [x.rstrip() for x in src[:begin]], [x.rstrip() for x in src[end + 1:]]
    while after and not after[-1]:
        after.pop()
    while mine and not mine[-1]:
        mine.pop()
    if mine[:len(before)] == before and (not after or mine[len(mine) - len(after):] == after) \
            and len(mine) >= len(before) + len(after):
        return ["\n".join(student.split("\n")[len(before):len(mine) - len(after)])]
    names = defined_names(source)
    for name in names[:1]:
        body = _body_after_docstring(source, name)
        if body is not None and "\n".join(body).strip() == regions[0].strip():
            got = _body_after_docstring(student, name)
            return None if got is None else ["\n".join(got)]
    return None


def _check_parses(source: str, where: str) -> None:
    """Raise ValueError when a cleared code cell is not valid Python (IPython magics are allowed)."""
    plain = "\n".join(MAGIC.sub(r"\1pass  #", line) for line in source.split("\n"))
    try:
        ast.parse(plain)
    except SyntaxError as err:
        raise ValueError(f"{where}: the student version does not parse ({err.msg}, line {err.lineno}); "
                         "indent '### BEGIN SOLUTION' exactly like the code it replaces") from err


def make_student(nb: nbformat.NotebookNode, name: str = "notebook") -> tuple[nbformat.NotebookNode, int]:
    """Return (student copy of a notebook, number of solution regions cleared); the input is unchanged."""
    if not isinstance(nb, nbformat.NotebookNode) or "cells" not in nb:
        raise ValueError(f"{name}: expected an nbformat v4 notebook, got {type(nb).__name__}")
    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)  # saved widget state (application/vnd.jupyter.widget-state+json)
    total = 0
    for i, cell in enumerate(nb.cells):
        for key in DROPPED_CELL_METADATA:
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        if cell.cell_type not in ("code", "markdown"):
            continue
        where = f"{name}, cell {i}" + (f" (id {cell['id']})" if cell.get("id") else "")
        cell.source, n = clear_solutions(cell.source, cell.cell_type, where)
        if n and cell.cell_type == "code":
            _check_parses(cell.source, where)
        total += n
    return nb, total


def notebook_paths(paths: Sequence[str | Path] | None = None) -> list[Path]:
    """Return the notebooks to convert: the given paths, or every notebooks/*.ipynb in the repo."""
    if paths:
        found = [Path(p) for p in paths]
        missing = [str(p) for p in found if not p.is_file() or p.suffix != ".ipynb"]
        if missing:
            raise ValueError(f"not .ipynb files: {missing}")
        return found
    return sorted((repo_root() / "notebooks").glob("*.ipynb"))


def build(paths: Sequence[str | Path] | None = None, out: str | Path | None = None,
          verbose: bool = True) -> list[Path]:
    """Write the student version of each notebook into `out` (default: student/ in the repo)."""
    out = Path(out) if out is not None else repo_root() / "student"
    sources = notebook_paths(paths)
    # Convert everything first, so one bad notebook leaves no half-built folder behind.
    converted = []
    for path in sources:
        student, n = make_student(nbformat.read(path, as_version=4), name=path.name)
        nbformat.validate(student)
        converted.append((path, student, n))
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path, student, n in converted:
        target = out / path.name
        nbformat.write(student, target)
        written.append(target)
        if verbose:
            print(f"{short_path(target)}: {n} solution region{'s' * (n != 1)} cleared")
    if verbose and not sources:
        print("no notebooks found")
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: python -m gan_helpers.homework [--out student] [notebooks...]."""
    parser = argparse.ArgumentParser(prog="python -m gan_helpers.homework", description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", help="notebooks to convert (default: notebooks/*.ipynb)")
    parser.add_argument("--out", default=None, help="output folder (default: student/ in the repo)")
    args = parser.parse_args(argv)
    try:
        build(args.notebooks, args.out)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
