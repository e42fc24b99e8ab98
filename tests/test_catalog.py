"""gh.course.catalog: the "Time to run" lines are measured, and the stored notebooks agree with them."""
import json
import math
from pathlib import Path

import pytest

from gan_helpers.course import catalog

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def fake_notebook(spans, line="**Time to run:** typed by hand.") -> dict:
    """A notebook with one markdown cell holding `line` and code cells run over the (start, end) spans."""
    cells = [{"cell_type": "markdown", "metadata": {}, "source": ["# T\n", "\n", line + "\n", "more text\n"]}]
    for start, end in spans:
        cells.append({"cell_type": "code", "execution_count": 1, "outputs": [], "source": ["1"],
                      "metadata": {"execution": {"iopub.execute_input": f"2026-01-01T00:{start}Z",
                                                 "shell.execute_reply": f"2026-01-01T00:{end}Z"}}})
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def test_rounded():
    assert [catalog.rounded(s) for s in (0, 3, 38, 57.4, 61, 147, 154)] == [5, 5, 40, 55, 60, 150, 150]
    for bad in (-1, math.nan):
        with pytest.raises(ValueError, match="seconds"):
            catalog.rounded(bad)


def test_run_seconds_spans_first_start_to_last_end():
    nb = fake_notebook([("00:01.000000", "00:03.500000"), ("00:04.000000", "02:31.000000")])
    assert catalog.run_seconds(nb) == pytest.approx(150.0)
    with pytest.raises(ValueError, match="no cell timings"):
        catalog.run_seconds(fake_notebook([]))


def test_stamp_rewrites_only_the_line(tmp_path):
    path = tmp_path / "01_x.ipynb"
    path.write_text(json.dumps(fake_notebook([("00:00.0", "00:38.2")])))
    assert catalog.stamp(path, cores=2) == pytest.approx(38.2)
    nb = json.loads(path.read_text())
    assert "".join(nb["cells"][0]["source"]) == ("# T\n\n**Time to run:** about 40 s in the stored run, on a "
                                                 "2-core CPU (measured by `make run-notebooks`).\nmore text\n")
    assert catalog.stated_time(nb) == (40, 2)
    nb["cells"].append(nb["cells"][0])
    path.write_text(json.dumps(nb))
    with pytest.raises(ValueError, match="exactly one"):
        catalog.stamp(path)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stated_time_is_the_stored_runs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    stated = catalog.stated_time(nb)
    assert stated is not None, f"{path.name}: its Time to run line is not machine-written; run make run-notebooks"
    assert stated[0] == catalog.rounded(catalog.run_seconds(nb)), (
        f"{path.name}: the Time to run line says {stated[0]} s but the stored run took "
        f"{catalog.run_seconds(nb):.0f} s; re-run it with make run-notebooks")


def test_course_map_reads_titles_and_measured_times(tmp_path):
    nb = fake_notebook([("00:00.0", "00:38.2")])
    (tmp_path / "01_a.ipynb").write_text(json.dumps(nb))
    catalog.stamp(tmp_path / "01_a.ipynb", cores=2)
    (tmp_path / "02_b.ipynb").write_text(json.dumps(fake_notebook([])))
    (tmp_path / "notes.ipynb").write_text("{}")  # not a course notebook: ignored
    assert catalog.course_map(tmp_path) == [
        {"notebook": "01_a.ipynb", "title": "T", "time": "about 40 s"},
        {"notebook": "02_b.ipynb", "title": "T", "time": "not measured"}]


def test_readme_course_map_states_the_measured_times():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for row in catalog.course_map():
        stem = row["notebook"].removesuffix(".ipynb")
        line = next((ln for ln in readme.splitlines() if f"`{stem}`" in ln and ln.startswith("|")), None)
        assert line is not None, f"README's course map has no row for {stem}"
        assert line.rstrip().endswith(f"| ~{row['time'].removeprefix('about ')} |"), (
            f"README's course map says {line.split('|')[-2].strip()!r} for {stem}; the notebook says "
            f"{row['time']!r} (copy it from gh.course.catalog.course_map())")
