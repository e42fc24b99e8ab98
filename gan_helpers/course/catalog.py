"""The notebooks' catalog: titles and measured run times (the course map of notebook 00), and 00's quiz key.

nbclient (under `jupyter nbconvert --execute`) records when each code cell started and finished in
the cell's metadata. `make run-notebooks` calls `python -m gan_helpers.course.catalog NB.ipynb`
after executing a notebook, which rewrites that notebook's "**Time to run:**" line from the
recorded times, so the line cannot drift from the stored run. tests/test_catalog.py checks it.
"""
from __future__ import annotations

import json
import os
import re
import sys
from datetime import datetime
from pathlib import Path

from .. import utils
from ..widgets import Answer

TIME_LINE = re.compile(r"\*\*Time to run:\*\* about (\d+) s in the stored run, on a (\d+)-core CPU "
                       r"\(measured by `make run-notebooks`\)\.")
ANY_TIME_LINE = re.compile(r"\*\*Time to run:\*\*[^\n]*")


def _stamp_of(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def run_seconds(nb: dict) -> float:
    """Seconds from the start of the first code cell to the end of the last one in a stored run."""
    times = [c.get("metadata", {}).get("execution", {}) for c in nb["cells"] if c["cell_type"] == "code"]
    starts = [_stamp_of(t["iopub.execute_input"]) for t in times if "iopub.execute_input" in t]
    ends = [_stamp_of(t["shell.execute_reply"]) for t in times if "shell.execute_reply" in t]
    if not starts or not ends:
        raise ValueError("the notebook stores no cell timings: execute it with `make run-notebooks` "
                         "(jupyter nbconvert --execute records them)")
    return (max(ends) - min(starts)).total_seconds()


def rounded(seconds: float) -> int:
    """A run time as the course states it: to 5 s under a minute, to 10 s above."""
    if not seconds >= 0:
        raise ValueError(f"seconds must be >= 0, got {seconds!r}")
    step = 5 if seconds < 60 else 10
    return max(step, int(step * round(seconds / step)))


def time_line(seconds: float, cores: int) -> str:
    """The markdown "Time to run" line for a measured run time on a machine with `cores` CPU cores."""
    return (f"**Time to run:** about {rounded(seconds)} s in the stored run, on a {cores}-core CPU "
            "(measured by `make run-notebooks`).")


def stated_time(nb: dict) -> tuple[int, int] | None:
    """(seconds, cores) of the notebook's machine-written "Time to run" line, or None if it has none."""
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            m = TIME_LINE.search("".join(cell["source"]))
            if m:
                return int(m.group(1)), int(m.group(2))
    return None


def stamp(path: str | os.PathLike, cores: int | None = None) -> float:
    """Rewrite the "Time to run" line of the notebook at path from its stored run; return the seconds."""
    path = Path(path)
    nb = json.loads(path.read_text(encoding="utf-8"))
    seconds = run_seconds(nb)
    line = time_line(seconds, cores or os.cpu_count() or 1)
    cells = [c for c in nb["cells"] if c["cell_type"] == "markdown" and ANY_TIME_LINE.search("".join(c["source"]))]
    if len(cells) != 1:
        raise ValueError(f"{path.name}: want exactly one markdown cell with a **Time to run:** line, "
                         f"found {len(cells)}")
    text = ANY_TIME_LINE.sub(line, "".join(cells[0]["source"]), count=1)
    cells[0]["source"] = text.splitlines(keepends=True)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return seconds


def course_map(folder: str | os.PathLike | None = None) -> list[dict[str, str]]:
    """Each notebook's title and measured run time: [{notebook, title, time}] in reading order."""
    folder = Path(folder) if folder is not None else utils.repo_root() / "notebooks"
    rows = []
    for path in sorted(folder.glob("[0-9][0-9]_*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
        title = re.search(r"^# (.+)$", text, re.M)
        stated = stated_time(nb)
        rows.append({"notebook": path.name, "title": title.group(1).strip() if title else path.stem,
                     "time": f"about {stated[0]} s" if stated else "not measured"})
    return rows


# --- the quiz's answer keys (kept out of the notebook's cells: the student build does not show them) ---

QUIZ = {
    "q1": Answer({0}, [  # A GAN's generator maps random noise z to a sample G(z). Which of ...
        "Sampling is what a generator does: draw z, compute G(z).",
        "A GAN is an implicit model: it defines p(x) only through sampling (notebooks 01-02).",
        "A generator has no classification output."]),
}


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: python -m gan_helpers.course.catalog NOTEBOOK.ipynb [...]")
    for arg in sys.argv[1:]:
        print(f"{Path(arg).name}: {stamp(arg):.0f} s")
