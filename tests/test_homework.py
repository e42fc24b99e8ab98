"""Student build: solution regions cleared like nbgrader, outputs dropped, every notebook still runs."""
from __future__ import annotations

import re
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

import gan_helpers as gh
from gan_helpers.homework import build, clear_solutions, main, make_student

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))

SOLUTION_CELL = '''def add_one(x):
    """Return x + 1."""
    ### BEGIN SOLUTION
    y = x + 1
    return y
    ### END SOLUTION'''


def _nb(*cells: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb = new_notebook(cells=list(cells))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


# --------------------------------------------------------------------------- the transformation

def test_code_region_keeps_def_line_and_indentation():
    new, n = clear_solutions(SOLUTION_CELL)
    assert n == 1
    assert new == ('def add_one(x):\n    """Return x + 1."""\n'
                   "    # YOUR CODE HERE\n    raise NotImplementedError()")


def test_deeper_indentation_and_several_regions():
    src = ("def f(x, flag):\n    if flag:\n        ### BEGIN SOLUTION\n        return -x\n"
           "        ### END SOLUTION\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n")
    new, n = clear_solutions(src)
    assert n == 2
    assert new == ("def f(x, flag):\n    if flag:\n        # YOUR CODE HERE\n"
                   "        raise NotImplementedError()\n    # YOUR CODE HERE\n"
                   "    raise NotImplementedError()\n")


def test_cell_without_markers_is_unchanged():
    src = "x = 1\n# a comment that says SOLUTION\nprint(x)"
    assert clear_solutions(src) == (src, 0)


def test_markdown_answer():
    src = "**Why does D saturate?**\n\n### BEGIN SOLUTION\nBecause the supports are disjoint.\n### END SOLUTION"
    new, n = clear_solutions(src, "markdown")
    assert n == 1
    assert new == "**Why does D saturate?**\n\nYOUR ANSWER HERE"
    html_style = "Answer:\n<!-- BEGIN SOLUTION -->\nsecret\n<!-- END SOLUTION -->\nend"
    assert clear_solutions(html_style, "markdown") == ("Answer:\nYOUR ANSWER HERE\nend", 1)


@pytest.mark.parametrize("src, words", [
    ("def f():\n    ### BEGIN SOLUTION\n    return 1\n", "no matching '### END SOLUTION'"),
    ("def f():\n    return 1\n    ### END SOLUTION\n", "no matching '### BEGIN SOLUTION'"),
    ("def f():\n    ### BEGIN SOLUTION\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n",
     "nested"),
])
def test_unbalanced_markers_raise_with_notebook_and_cell(src, words):
    nb = _nb(new_markdown_cell("# title"), new_code_cell("import math"), new_code_cell(src))
    with pytest.raises(ValueError, match=r"05_demo\.ipynb, cell 2") as err:
        make_student(nb, name="05_demo.ipynb")
    assert words in str(err.value)


def test_def_line_inside_region_is_rejected():
    src = "### BEGIN SOLUTION\ndef f(x):\n    return x\n### END SOLUTION"
    with pytest.raises(ValueError, match="keep the def/class line above"):
        clear_solutions(src, where="nb, cell 0")
    # A top-level region without a def is fine (e.g. "compute this number").
    assert clear_solutions("### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION")[1] == 1


def test_marker_indented_less_than_body_is_rejected():
    nb = _nb(new_code_cell("def f(x):\n### BEGIN SOLUTION\n    return x\n### END SOLUTION"))
    with pytest.raises(ValueError, match="does not parse"):
        make_student(nb, name="bad.ipynb")


def test_prose_mentioning_markers_warns():
    with pytest.warns(UserWarning, match="nbgrader"):
        clear_solutions("Write your code between `### BEGIN SOLUTION` and `### END SOLUTION`.",
                        "markdown")


def test_make_student_clears_outputs_and_widget_state():
    code = new_code_cell(SOLUTION_CELL, execution_count=7,
                         outputs=[new_output("stream", name="stdout", text="hello\n")])
    code.metadata["execution"] = {"iopub.status.busy": "2024-01-01T00:00:00"}
    code.metadata["tags"] = ["keep-me"]
    plain = new_code_cell("print(1)", execution_count=8, outputs=[
        new_output("execute_result", data={"text/plain": "1"}, execution_count=8)])
    nb = _nb(new_markdown_cell("### BEGIN SOLUTION\nsecret\n### END SOLUTION"), code, plain)
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    before = nbformat.writes(nb)

    student, n = make_student(nb, name="x.ipynb")
    assert n == 2
    assert nbformat.writes(nb) == before  # the source notebook is not modified
    nbformat.validate(student)
    assert "widgets" not in student.metadata
    for cell in student.cells:
        assert "SOLUTION" not in cell.source and "secret" not in cell.source and "y = x + 1" not in cell.source
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
            assert "execution" not in cell.metadata
    assert student.cells[1].metadata["tags"] == ["keep-me"]
    assert student.cells[0].source == "YOUR ANSWER HERE"
    assert student.cells[1].source.startswith("def add_one(x):\n")
    assert student.cells[2].source == "print(1)"


def test_build_and_command_line(tmp_path, capsys):
    src = tmp_path / "src"
    src.mkdir()
    nbformat.write(_nb(new_code_cell(SOLUTION_CELL)), src / "01_a.ipynb")
    nbformat.write(_nb(new_code_cell("x = 1")), src / "02_b.ipynb")
    out = tmp_path / "student"
    assert main([str(src / "01_a.ipynb"), str(src / "02_b.ipynb"), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["01_a.ipynb", "02_b.ipynb"]
    assert "1 solution region cleared" in capsys.readouterr().out
    assert "raise NotImplementedError()" in nbformat.read(out / "01_a.ipynb", 4).cells[0].source

    # One bad notebook: error message, exit status 1, nothing written.
    nbformat.write(_nb(new_code_cell("def f():\n    ### BEGIN SOLUTION\n    pass")), src / "03_bad.ipynb")
    out2 = tmp_path / "student2"
    assert main([str(p) for p in sorted(src.glob("*.ipynb"))] + ["--out", str(out2)]) == 1
    assert "03_bad.ipynb, cell 0" in capsys.readouterr().err
    assert not out2.exists()
    with pytest.raises(ValueError, match="not .ipynb"):
        build([str(tmp_path / "missing.ipynb")], out2, verbose=False)


# --------------------------------------------------------------------------- executing student builds

CHECK_LINE = re.compile(r"^(✅|❌|⏳) .+?: (correct|wrong|not attempted yet)\b", re.M)


def _output_text(nb: nbformat.NotebookNode) -> str:
    """All text a notebook printed or displayed (streams, results, tracebacks)."""
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                parts.append(out.text)
            elif out.output_type in ("execute_result", "display_data"):
                parts.append(out.get("data", {}).get("text/plain", ""))
            elif out.output_type == "error":
                parts.append(f"{out.ename}: {out.evalue}")
    return "\n".join(parts)


def _checker_verdicts(nb: nbformat.NotebookNode) -> list[str]:
    text = _output_text(nb)
    return [m.group(2) for m in CHECK_LINE.finditer(text)] + re.findall(r"<Result\.(\w+):", text)


def _execute(path: Path, timeout: int = 600) -> nbformat.NotebookNode:
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


def test_executed_synthetic_student_notebook_says_not_attempted(tmp_path, monkeypatch):
    """End to end on a tiny notebook: the source says correct, the student build says not attempted."""
    monkeypatch.setenv("GAN_COURSE_SMOKE", "1")
    nb = _nb(new_code_cell("import gan_helpers as gh"), new_code_cell(SOLUTION_CELL),
             new_code_cell("gh.checks.run_check('add_one', add_one, lambda x: x + 1, "
                           "lambda: [(1.0,), (2.5,)], hint='add one')"))
    (tmp_path / "src").mkdir()
    nbformat.write(nb, tmp_path / "src" / "demo.ipynb")
    assert _checker_verdicts(_execute(tmp_path / "src" / "demo.ipynb")) == ["correct", "CORRECT"]
    [student] = build([tmp_path / "src" / "demo.ipynb"], tmp_path / "student", verbose=False)
    done = _execute(student)
    assert _checker_verdicts(done) == ["not attempted yet", "NOT_ATTEMPTED"]
    assert "⏳ add_one: not attempted yet" in _output_text(done)


@pytest.mark.student
@pytest.mark.parametrize("source", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_student_notebook_runs_to_the_end(source, tmp_path, monkeypatch):
    """Build the student version, run it top to bottom in smoke mode: no error, nothing graded."""
    monkeypatch.setenv(gh.utils.SMOKE_ENV, "1")  # tiny budgets; gh.checks.expect does not raise
    monkeypatch.setenv("MPLBACKEND", "Agg")      # GAN_DATA_DIR is inherited as it is
    [student] = build([source], tmp_path, verbose=False)
    start = time.perf_counter()
    done = _execute(student)  # raises CellExecutionError, with the cell, on any error
    print(f"{source.name}: student build ran in {time.perf_counter() - start:.1f} s (smoke mode)")
    verdicts = _checker_verdicts(done)
    graded = [v for v in verdicts if v.lower() not in ("not attempted yet", "not_attempted")]
    assert not graded, f"{source.name}: a checker graded an untouched exercise: {graded}"
    # Every checker the instructor's run reached (stored outputs say correct) ran in the student run too.
    original = nbformat.read(source, as_version=4)
    if not any(c.get("execution_count") for c in original.cells if c.cell_type == "code"):
        return  # no stored outputs yet (a notebook being written): nothing to compare with
    stored = _checker_verdicts(original)
    assert all(v.lower() == "correct" for v in stored), f"{source.name}: stored outputs grade {stored}"
    n_stored = sum(v == "correct" for v in stored)
    n_student = sum(v == "not attempted yet" for v in verdicts)
    assert n_student == n_stored, (f"{source.name}: {n_stored} checker lines in the stored outputs, "
                                   f"{n_student} 'not attempted yet' lines in the student run")
