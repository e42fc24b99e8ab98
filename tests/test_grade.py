"""The batch grader (python -m gan_helpers.grade): every kind of submission gets its rows, and no bad
input stops the others from being graded. Uses a tiny source notebook with two of notebook 02's
exercises (its checkers are fast), so each submission runs in a few seconds."""
import csv
import json
import tempfile

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from gan_helpers import grade
from gan_helpers.homework import make_student

SETUP = "import math\nimport numpy as np\nfrom scipy import stats\nimport gan_helpers as gh"
PREIMAGE = '''def square_neg_preimage(x):
    """Z(x) for G(z) = [z^2, -z] at x = [x1, x2]: a list of (lo, hi) tuples, [] if empty."""
    ### BEGIN SOLUTION
{body}
    ### END SOLUTION'''
PREIMAGE_BODY = '''    x1, x2 = float(x[0]), float(x[1])
    if x1 < 0:
        return []
    lo, hi = max(-math.sqrt(x1), -x2), math.sqrt(x1)
    return [(lo, hi)] if lo <= hi else []'''
MASS = '''def gaussian_interval_mass(intervals, mu, sigma):
    """P(z in union of disjoint intervals) for z ~ N(mu, sigma^2)."""
    ### BEGIN SOLUTION
{body}
    ### END SOLUTION


gh.course.nb02.check_gaussian_interval_mass(gaussian_interval_mass)'''
MASS_BODY = ("    return float(sum(stats.norm.cdf((b - mu) / sigma) - stats.norm.cdf((a - mu) / sigma)"
             " for a, b in intervals))")


def _source(preimage: str = PREIMAGE_BODY, mass: str = MASS_BODY, checker: str = "") -> nbformat.NotebookNode:
    nb = new_notebook(cells=[new_markdown_cell("# tiny"), new_code_cell(SETUP),
                             new_code_cell(PREIMAGE.format(body=preimage)),
                             new_code_cell(checker or "gh.course.nb02.check_square_neg_preimage(square_neg_preimage)"),
                             new_code_cell(MASS.format(body=mass))])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def _student_answers(preimage: str, mass: str = MASS_BODY) -> nbformat.NotebookNode:
    """A student build with the stubs replaced by these answers (no marker lines left, as students hand in)."""
    nb, _ = make_student(_source())
    stub = "    # YOUR CODE HERE\n    raise NotImplementedError()"
    nb.cells[2].source = nb.cells[2].source.replace(stub, preimage)
    nb.cells[4].source = nb.cells[4].source.replace(stub, mass)
    return nb


LOOP = "    while True:\n        pass"
CASES = {  # student: (what goes in 02_tiny.ipynb, expected results of the two exercises)
    "correct_with_markers": (_source(), ("correct", "correct")),
    "correct_student_build": (_student_answers(PREIMAGE_BODY), ("correct", "correct")),
    "untouched": (make_student(_source())[0], ("not attempted", "not attempted")),
    "delegates": (_student_answers("    return gh.theory.square_neg_preimage(x)",
                                   "    f = gh.theory.gaussian_interval_mass\n"
                                   "    return f(intervals, mu, sigma)"), ("wrong", "wrong")),
    "fake_print": (_student_answers('    print("✅ square_neg_preimage: correct")\n    return []'),
                   ("wrong", "correct")),
    # tampering through gh is refused before the function runs (it uses gan_helpers), so it has no effect
    "rebinds_with_gh": (_student_answers("    gh.checks.core._same = lambda *a: True\n    return []"),
                        ("wrong", "correct")),
    # tampering that the static look misses: the checker machinery has changed when the result is recorded
    "rebinds_checker": (_student_answers(
        "    import sys\n    sys.modules['gan_helpers.course.nb02'].check_gaussian_interval_mass = "
        "lambda fn: print('✅ gaussian_interval_mass: correct')\n" + PREIMAGE_BODY), ("tampered", "tampered")),
    "rebinds_core": (_student_answers(
        "    import sys\n    sys.modules['gan_helpers.checks.core']._same = lambda *a: True\n    return []"),
        ("tampered", "tampered")),
    "writes_records": (_student_answers(
        "    import os, glob\n    for p in glob.glob(os.environ['GRADE_TEST_TMP'] + '/gan-grade-*/*.jsonl'):\n"
        "        open(p, 'a').write('{\"seq\": 0, \"exercise\": \"x\"}\\n')\n" + PREIMAGE_BODY),
        ("tampered", "tampered")),
    "raises": (_student_answers("    return 1 / 0"), ("wrong", "correct")),
    "syntax_error": (_student_answers("    return [(0, 1)"), ("error", "correct")),
    "never_returns": (_student_answers(LOOP), ("timeout", "timeout")),
    "region_missing": (None, ("missing_region", "correct")),
    "renamed": (None, ("missing_region", "correct")),
    "not_json": ("this is { not json", ("not_a_notebook", "not_a_notebook")),
    "not_a_notebook": (json.dumps({"hello": [1, 2]}), ("not_a_notebook", "not_a_notebook")),
}


def _write(folder, student: str, content) -> None:
    (folder / student).mkdir(parents=True)
    path = folder / student / "02_tiny.ipynb"
    if student == "region_missing":
        content = _student_answers(PREIMAGE_BODY)
        content.cells[2].source = "# I deleted the exercise"
    elif student == "renamed":
        content = _student_answers(PREIMAGE_BODY)
        content.cells[2].source = content.cells[2].source.replace("def square_neg_preimage(", "def my_preimage(")
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        nbformat.write(content, path)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("grading")
    private = root / "tmp"  # the grader's temporary folders, so that "writes_records" finds only its own
    private.mkdir()
    mp = pytest.MonkeyPatch()
    mp.setattr(tempfile, "tempdir", str(private))
    mp.setenv("GRADE_TEST_TMP", str(private))
    sources, submitted = root / "sources", root / "submitted"
    sources.mkdir()
    nbformat.write(_source(), sources / "02_tiny.ipynb")
    for student, (content, _) in CASES.items():
        _write(submitted, student, content)
    (submitted / "nothing").mkdir()
    (submitted / "stray").mkdir()
    (submitted / "stray" / "99_other.ipynb").write_text("{}", encoding="utf-8")
    rows = grade.grade(submitted, root / "grades.csv", sources=sources, cell_timeout=8, notebook_timeout=60,
                       verbose=False)
    mp.undo()
    return root, rows


@pytest.mark.parametrize("student", list(CASES))
def test_each_submission_gets_its_rows(graded, student):
    _, rows = graded
    mine = [(r["exercise"], r["result"]) for r in rows if r["student"] == student]
    assert mine == list(zip(("square_neg_preimage", "gaussian_interval_mass"), CASES[student][1])), \
        [r for r in rows if r["student"] == student]


def test_details_say_why(graded):
    _, rows = graded
    detail = {(r["student"], r["exercise"]): r["detail"] for r in rows}
    assert "write it yourself; calling gh.theory.square_neg_preimage" in detail["delegates", "square_neg_preimage"]
    assert "gh.theory.gaussian_interval_mass" in detail["delegates", "gaussian_interval_mass"]
    assert "renamed to my_preimage" in detail["renamed", "square_neg_preimage"]
    assert "ZeroDivisionError" in detail["raises", "square_neg_preimage"]
    assert "SyntaxError" in detail["syntax_error", "square_neg_preimage"]
    assert "_same" in detail["rebinds_core", "square_neg_preimage"]
    assert "calling gh.checks.core is not accepted" in detail["rebinds_with_gh", "square_neg_preimage"]
    assert "check_gaussian_interval_mass" in detail["rebinds_checker", "square_neg_preimage"]
    assert "not a Jupyter notebook" in detail["not_json", "square_neg_preimage"]


def test_csv_and_feedback(graded):
    root, rows = graded
    with open(root / "grades.csv", encoding="utf-8") as f:
        table = list(csv.DictReader(f))
    assert tuple(table[0]) == grade.COLUMNS and table == rows
    assert {r["result"] for r in table if r["student"] == "nothing"} == {"missing"}
    assert {r["result"] for r in table if r["student"] == "stray"} == {"unknown_notebook"}
    text = (root / "feedback" / "fake_print.md").read_text(encoding="utf-8")
    assert "1 of 2 correct" in text and "**square_neg_preimage**: wrong" in text
    assert len(list((root / "feedback").glob("*.md"))) == len(CASES) + 2


def test_exercises_of_a_source_notebook():
    found = grade.exercises(_source())
    assert [(e["exercise"], e["function"], e["cell"]) for e in found] == [
        ("square_neg_preimage", "square_neg_preimage", 3), ("gaussian_interval_mass", "gaussian_interval_mass", 4)]


def test_command_line_rejects_a_missing_folder(tmp_path, capsys):
    assert grade.main([str(tmp_path / "absent"), "--out", str(tmp_path / "g.csv")]) == 1
    assert "not a folder" in capsys.readouterr().err
