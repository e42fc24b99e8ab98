"""The claims harness (gan_helpers.claims) on tiny notebooks written into tmp_path."""
import json
import os

import nbformat
import pytest

from gan_helpers import claims

EVEN = ["import gan_helpers as gh",
        'gh.checks.expect(gh.utils.seed_offset() % 2 == 0, "even")\n'
        'gh.checks.expect(True, "always")']
ASSERTS = ["import gan_helpers as gh",
           "x = gh.utils.seed_offset()\nassert x != 2",
           'gh.checks.expect(True, "after the error")']


def write_notebook(path, sources) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# tiny")] + [nbformat.v4.new_code_cell(s) for s in sources]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


@pytest.fixture
def folder(tmp_path):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    write_notebook(nbs / "01_even.ipynb", EVEN)
    write_notebook(nbs / "02_asserts.ipynb", ASSERTS)
    return nbs


def test_a_dead_kernel_is_recorded_and_stale_outputs_are_not(tmp_path):
    never = nbformat.v4.new_code_cell("print('never runs')")
    never.outputs = [nbformat.v4.new_output("error", ename="StaleError", evalue="stored", traceback=[])]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import os\nos._exit(1)"), never]
    nbformat.write(nb, tmp_path / "05_dies.ipynb")
    run = claims.run_notebook(tmp_path / "05_dies.ipynb", 1, timeout=60, keep=tmp_path / "kept")
    assert run["claims"] == [] and [(e["cell"], e["ename"]) for e in run["errors"]] == [(0, "DeadKernelError")]
    kept = nbformat.read(tmp_path / "kept" / "05_dies.offset-1.ipynb", as_version=4)
    assert kept.cells[1].outputs == [] and kept.cells[1].execution_count is None
    with pytest.raises(ValueError, match="another folder"):
        claims.run_notebook(tmp_path / "05_dies.ipynb", 1, keep=tmp_path)


def test_find_notebooks(folder):
    assert [p.name for p in claims.find_notebooks(["02", "1"], folder)] == ["02_asserts.ipynb", "01_even.ipynb"]
    with pytest.raises(ValueError, match="no notebook 09_"):
        claims.find_notebooks(["09"], folder)
    with pytest.raises(ValueError, match="2-digit"):
        claims.find_notebooks(["even"], folder)
    with pytest.raises(ValueError, match="does not exist"):
        claims.find_notebooks(["01"], folder / "missing")


def test_unknown_notebook_is_a_clear_error(folder, capsys):
    assert claims.main(["--folder", str(folder), "--notebooks", "07", "--seeds", "1"]) == 2
    assert "no notebook 07_*.ipynb" in capsys.readouterr().err


def test_harness_counts_claims_and_errors_per_offset(folder, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("GAN_COURSE_SEED", raising=False)
    monkeypatch.delenv("GAN_COURSE_CLAIMS", raising=False)
    sources = {p.name: p.read_bytes() for p in folder.iterdir()}
    out = tmp_path / "reports"
    code = claims.main(["--folder", str(folder), "--notebooks", "01", "02", "--seeds", "2",
                        "--out", str(out), "--timeout", "120"])
    assert code == 1  # "even" fails at offset 1, the assert at offset 2
    report = json.loads((out / "claims.json").read_text())
    assert report["offsets"] == [1, 2] and report["ok"] is False

    even = report["notebooks"]["01_even"]
    assert [r["offset"] for r in even["runs"]] == [1, 2]
    assert [r["claims"] for r in even["runs"]] == [
        [{"claim": "even", "held": False}, {"claim": "always", "held": True}],
        [{"claim": "even", "held": True}, {"claim": "always", "held": True}]]
    assert even["claims"] == [{"claim": "even", "held": 1, "runs": 2, "failed_offsets": [1]},
                              {"claim": "always", "held": 2, "runs": 2, "failed_offsets": []}]
    assert even["errors"] == [] and not even["ok"]
    assert all(r["seconds"] > 0 for r in even["runs"])
    assert even["seconds"]["min"] <= even["seconds"]["median"] <= even["seconds"]["max"]

    asserts = report["notebooks"]["02_asserts"]
    (error,) = asserts["errors"]  # offset 2 only; the run went on to the claim after it
    assert error["offset"] == 2 and error["cell"] == 2 and error["ename"] == "AssertionError"
    assert error["line"] == "assert x != 2"
    assert asserts["claims"] == [{"claim": "after the error", "held": 2, "runs": 2, "failed_offsets": []}]

    md = (out / "claims.md").read_text()
    assert "## 01_even" in md and "## 02_asserts" in md
    assert "| even | 1/2 | 1 |" in md and "| always | 2/2 | - |" in md
    assert "| after the error | 2/2 | - |" in md
    assert "offset 2, cell 2: AssertionError (assert x != 2)" in md
    assert "Run time: min" in md
    assert "| even | 1/2 | 1 |" in capsys.readouterr().out  # the table is printed at the end
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == sources  # sources untouched
    assert "GAN_COURSE_SEED" not in os.environ and "GAN_COURSE_CLAIMS" not in os.environ  # restored


def test_harness_exits_zero_when_every_claim_holds(folder, tmp_path, monkeypatch):
    # the kernel machinery is covered above; here a stand-in run keeps the test fast
    def fake_run(path, offset, timeout=900, keep=None):
        return {"offset": offset, "seconds": 0.5, "errors": [], "claims": [{"claim": "even", "held": True}]}

    monkeypatch.setattr(claims, "run_notebook", fake_run)
    out = tmp_path / "ok"
    assert claims.main(["--folder", str(folder), "--notebooks", "01", "--first", "11", "--seeds", "3",
                        "--out", str(out)]) == 0
    report = json.loads((out / "claims.json").read_text())
    assert report["offsets"] == [11, 12, 13] and report["ok"] is True
    assert report["notebooks"]["01_even"]["claims"] == [{"claim": "even", "held": 3, "runs": 3,
                                                         "failed_offsets": []}]
    assert "| even | 3/3 | - |" in (out / "claims.md").read_text()


def test_summarise_counts_a_missing_claim_as_failed():
    runs = [{"offset": 1, "seconds": 1.0, "errors": [], "claims": [{"claim": "a", "held": True}]},
            {"offset": 2, "seconds": 3.0, "errors": [], "claims": []},
            {"offset": 3, "seconds": 2.0, "errors": [],
             "claims": [{"claim": "a", "held": True}, {"claim": "a", "held": False}]}]
    summary = claims.summarise(runs)
    assert summary["claims"] == [{"claim": "a", "held": 1, "runs": 3, "failed_offsets": [2, 3]}]
    assert summary["seconds"] == {"min": 1.0, "median": 2.0, "max": 3.0} and summary["ok"] is False


@pytest.mark.parametrize("args, message", [(["--seeds", "0"], "--seeds"), (["--first", "-1"], "--first")])
def test_bad_arguments(folder, capsys, args, message):
    assert claims.main(["--folder", str(folder), "--notebooks", "01"] + args) == 2
    assert message in capsys.readouterr().err
