"""Claims harness: run notebooks once per seed offset and count how often each claim holds.

A claim a notebook makes about a noisy run (``gh.checks.expect``) must hold on every machine and
for every seed. This module executes each chosen notebook top to bottom in a fresh kernel, once per
offset (``GAN_COURSE_SEED`` = 1..N by default), with ``expect`` in recording mode
(``GAN_COURSE_CLAIMS`` = a JSON-lines file), so one run reports every claim instead of stopping at
the first failed one. Errors in cells (a failed plain ``assert``, say) are recorded and the run goes
on. The source notebooks are never written. Reports: ``<out>/claims.json`` and ``<out>/claims.md``.

    python -m gan_helpers.claims --notebooks 03 05 --seeds 10 [--first 1] [--out reports]
    make claims NOTEBOOKS="05 07" SEEDS=10
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator, Sequence

from .checks.core import CLAIMS_ENV
from .utils import SEED_ENV, repo_root

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
ARROW = re.compile(r"^\s*-*>\s*\d+\s+(.*\S)\s*$")  # IPython marks the failing line: "----> 3 assert x"


def find_notebooks(prefixes: Sequence[str], folder: str | os.PathLike | None = None) -> list[Path]:
    """Map 2-digit prefixes ("03", "5") to notebooks NN_*.ipynb in folder (default notebooks/)."""
    folder = Path(folder) if folder is not None else repo_root() / "notebooks"
    if not folder.is_dir():
        raise ValueError(f"notebook folder {folder} does not exist")
    available = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
    found = []
    for prefix in prefixes:
        key = str(prefix).strip()
        if not key.isdigit() or len(key) > 2:
            raise ValueError(f"notebooks are chosen by their 2-digit number (e.g. 03), got {prefix!r}")
        key = key.zfill(2)
        match = [p for p in available if p.name.startswith(key + "_")]
        if not match:
            names = ", ".join(p.name for p in available) or "none"
            raise ValueError(f"no notebook {key}_*.ipynb in {folder} (available: {names})")
        if len(match) > 1:
            raise ValueError(f"several notebooks start with {key}_: {[p.name for p in match]}")
        if match[0] not in found:
            found.append(match[0])
    return found


@contextlib.contextmanager
def _environment(**values: str) -> Iterator[None]:
    """Set environment variables for the block (kernels started inside inherit them), then restore."""
    old = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _cell_errors(nb) -> list[dict]:
    """The error outputs of an executed notebook: cell index, exception name, message, failing line."""
    errors = []
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if out.get("output_type") != "error":
                continue
            lines = [ARROW.match(ANSI.sub("", line)) for text in out.get("traceback", [])
                     for line in text.splitlines()]
            failing = [m.group(1) for m in lines if m]
            errors.append({"cell": index, "execution_count": cell.get("execution_count"),
                           "ename": out.get("ename", "?"), "evalue": str(out.get("evalue", ""))[:500],
                           "line": failing[-1][:300] if failing else ""})
    return errors


def run_notebook(path: str | os.PathLike, offset: int, timeout: int = 900,
                 keep: str | os.PathLike | None = None) -> dict:
    """Execute a notebook once in a fresh kernel at seed offset `offset`; return its time, claims, errors.

    keep: a folder (not the notebook's own) where the executed copy is saved as NN_name.offset-K.ipynb.
    """
    import nbformat
    from nbclient import NotebookClient

    if offset < 0:
        raise ValueError(f"offset must be >= 0, got {offset}")
    if timeout < 1:
        raise ValueError(f"timeout must be >= 1 s, got {timeout}")
    path = Path(path)
    if keep is not None and Path(keep).resolve() == path.parent.resolve():
        raise ValueError("keep must be another folder than the notebooks' own: sources are never overwritten")
    nb = nbformat.read(path, as_version=4)  # in memory only: the source file is never written
    for cell in nb.cells:  # a cell the run never reaches must not show the stored outputs
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    with tempfile.TemporaryDirectory(prefix="gan-claims-") as tmp:
        record = Path(tmp) / "claims.jsonl"
        record.touch()
        current = {"cell": None}  # the cell running when a timeout or a dead kernel stops the run

        def on_cell_start(cell, cell_index: int, **_) -> None:
            current["cell"] = cell_index

        client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                                resources={"metadata": {"path": str(path.parent.resolve())}},
                                on_cell_start=on_cell_start)
        errors: list[dict] = []
        start = time.perf_counter()
        with _environment(**{SEED_ENV: str(offset), CLAIMS_ENV: str(record)}):
            try:
                client.execute()
            except Exception as err:  # a timeout or a dead kernel: keep what was recorded
                errors.append({"cell": current["cell"], "execution_count": None, "ename": type(err).__name__,
                               "evalue": str(err).strip().splitlines()[-1][:500] if str(err).strip() else "",
                               "line": ""})
        seconds = time.perf_counter() - start
        claims = [json.loads(line) for line in record.read_text(encoding="utf-8").splitlines() if line.strip()]
    if keep is not None:
        Path(keep).mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, Path(keep) / f"{path.stem}.offset-{offset}.ipynb")
    return {"offset": offset, "seconds": round(seconds, 2), "claims": claims,
            "errors": _cell_errors(nb) + errors}


def summarise(runs: Sequence[dict]) -> dict:
    """Per claim (in order of first appearance): held k of N offsets and the offsets where it failed."""
    names: list[str] = []
    for run in runs:
        for c in run["claims"]:
            if c["claim"] not in names:
                names.append(c["claim"])
    claims = []
    for name in names:
        failed = []
        for run in runs:  # a claim counts as held in a run when it was recorded and held every time
            seen = [c["held"] for c in run["claims"] if c["claim"] == name]
            if not seen or not all(seen):
                failed.append(run["offset"])
        claims.append({"claim": name, "held": len(runs) - len(failed), "runs": len(runs),
                       "failed_offsets": failed})
    times = [run["seconds"] for run in runs]
    errors = [dict(e, offset=run["offset"]) for run in runs for e in run["errors"]]
    return {"claims": claims, "errors": errors,
            "seconds": {"min": min(times), "median": round(statistics.median(times), 2),
                        "max": max(times)} if times else {},
            "ok": bool(runs) and not errors and all(not c["failed_offsets"] for c in claims)}


def render_markdown(report: dict) -> str:
    """The markdown report: one claims table per notebook, run times and errors."""
    offsets = report["offsets"]
    span = f"{offsets[0]}..{offsets[-1]}" if offsets else "none"
    lines = ["# Claims report", "",
             f"Seed offsets {span} ({len(offsets)} runs per notebook); {report['environment']}.",
             "Each run: the notebook top to bottom in a fresh kernel with GAN_COURSE_SEED = offset.", ""]
    for name, nb in report["notebooks"].items():
        t = nb["seconds"]
        lines += [f"## {name}", ""]
        if t:
            lines += [f"Run time: min {t['min']:.0f} s, median {t['median']:.0f} s, max {t['max']:.0f} s.", ""]
        lines += ["| claim | held | failed at offsets |", "|---|---|---|"]
        for c in nb["claims"]:
            failed = ", ".join(str(o) for o in c["failed_offsets"]) or "-"
            text = c["claim"].replace("|", "\\|")
            lines.append(f"| {text} | {c['held']}/{c['runs']} | {failed} |")
        if not nb["claims"]:
            lines.append("| (no claims recorded) | - | - |")
        lines.append("")
        if nb["errors"]:
            lines += ["Errors:", ""]
            for e in nb["errors"]:
                where = f"cell {e['cell']}" if e["cell"] is not None else "run"
                detail = ": ".join(s for s in (e["evalue"], e["line"]) if s)
                lines.append(f"- offset {e['offset']}, {where}: {e['ename']}" + (f" ({detail})" if detail else ""))
        else:
            lines.append("Errors: none.")
        lines.append("")
    return "\n".join(lines)


def write_reports(report: dict, out: str | os.PathLike) -> tuple[Path, Path]:
    """Write claims.json and claims.md into the folder out; return both paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out / "claims.json", out / "claims.md"
    json_path.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    md_path.write_text(render_markdown(report), encoding="utf-8")
    return json_path, md_path


def _environment_line() -> str:
    """Python, torch and CPU count, for the report header."""
    try:
        import torch
        torch_version = torch.__version__
    except ImportError:  # pragma: no cover - the course always has torch
        torch_version = "not installed"
    return (f"Python {platform.python_version()}, torch {torch_version}, {platform.machine()}, "
            f"{os.cpu_count()} CPUs")


def run_claims(notebooks: Sequence[Path], offsets: Sequence[int], out: str | os.PathLike,
               timeout: int = 900, keep: str | os.PathLike | None = None, verbose: bool = True) -> dict:
    """Run every notebook at every offset (one run at a time), writing the reports after each run."""
    report = {"offsets": list(offsets), "environment": _environment_line(), "notebooks": {}, "ok": True}
    for path in notebooks:
        runs: list[dict] = []
        for offset in offsets:
            run = run_notebook(path, offset, timeout, keep)
            runs.append(run)
            report["notebooks"][path.stem] = dict(summarise(runs), runs=runs)
            report["ok"] = all(nb["ok"] for nb in report["notebooks"].values())
            write_reports(report, out)
            if verbose:
                held = sum(c["held"] for c in run["claims"])
                print(f"{path.stem} offset {offset}: {run['seconds']:.0f} s, {held}/{len(run['claims'])} "
                      f"claims held, {len(run['errors'])} errors", flush=True)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: run the harness, print the markdown tables; exit 1 if a claim failed or a run errored."""
    parser = argparse.ArgumentParser(prog="python -m gan_helpers.claims", description=__doc__.split("\n")[0])
    parser.add_argument("--notebooks", nargs="+", required=True, help="2-digit notebook numbers, e.g. 03 05")
    parser.add_argument("--seeds", type=int, default=10, help="number of seed offsets (default 10)")
    parser.add_argument("--first", type=int, default=1, help="first offset (default 1; 0 = the stored outputs)")
    parser.add_argument("--out", default="reports", help="folder for claims.json and claims.md (default reports)")
    parser.add_argument("--timeout", type=int, default=900, help="seconds allowed per cell (default 900)")
    parser.add_argument("--folder", default=None, help="notebook folder (default: the course's notebooks/)")
    parser.add_argument("--keep", default=None, help="also save each executed notebook into this folder")
    args = parser.parse_args(argv)
    try:
        if args.seeds < 1:
            raise ValueError(f"--seeds must be >= 1, got {args.seeds}")
        if args.first < 0:
            raise ValueError(f"--first must be >= 0, got {args.first}")
        if args.timeout < 1:
            raise ValueError(f"--timeout must be >= 1, got {args.timeout}")
        notebooks = find_notebooks(args.notebooks, args.folder)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    offsets = list(range(args.first, args.first + args.seeds))
    report = run_claims(notebooks, offsets, args.out, args.timeout, args.keep)
    json_path, md_path = write_reports(report, args.out)
    print()
    print(render_markdown(report))
    print(f"wrote {json_path} and {md_path}")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
