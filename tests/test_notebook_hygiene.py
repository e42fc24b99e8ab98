"""The stored notebooks: one clean top-to-bottom run, no errors, no machine paths, the course's shape."""
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
MACHINE_PATH = re.compile(r"(/root/|/home/[^/\s]+/|/Users/[^/\s]+/|/work/|/tmp/|[A-Z]:\\\\Users)")
SECTIONS = ["## Learning goals", "## Quiz", "## Exercises", "## Summary", "## References"]


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def code_cells(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def output_texts(cell: dict):
    for out in cell.get("outputs", []):
        if "text" in out:
            yield "".join(out["text"])
        for key, value in out.get("data", {}).items():
            if key.startswith("text/"):
                yield "".join(value) if isinstance(value, list) else str(value)


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks/NN_*.ipynb found"
    assert NOTEBOOKS[0].name.startswith("00_")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_executed_in_order_without_errors(path):
    cells = [c for c in code_cells(load(path)) if "".join(c["source"]).strip()]
    counts = [c["execution_count"] for c in cells]
    assert counts == list(range(1, len(cells) + 1)), f"{path.name}: re-run it top to bottom ({counts})"
    for i, cell in enumerate(cells):
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        assert not errors, f"{path.name}: code cell {i + 1} stores an error {errors[0].get('ename')}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_machine_paths_in_outputs(path):
    for i, cell in enumerate(code_cells(load(path))):
        for text in output_texts(cell):
            m = MACHINE_PATH.search(text)
            assert not m, f"{path.name}: code cell {i + 1} output shows a machine path {m.group(0)!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_first_cell_seeds_and_picks_device(path):
    first = "".join(code_cells(load(path))[0]["source"])
    assert "seed_everything(" in first, f"{path.name}: seed the notebook in its first code cell"
    assert "get_device(" in first, f"{path.name}: pick the device in the first code cell"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_imports_gan_helpers_explicitly(path):
    for cell in code_cells(load(path)):
        src = "".join(cell["source"])
        assert not re.search(r"from\s+gan_helpers[\w.]*\s+import\s+\*", src), f"{path.name}: no star imports"


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if not p.name.startswith("00_")], ids=lambda p: p.name)
def test_course_notebook_has_every_section(path):
    md = "\n".join("".join(c["source"]) for c in load(path)["cells"] if c["cell_type"] == "markdown")
    assert md.lstrip().startswith("# "), f"{path.name}: start with a title"
    positions = [md.find(s) for s in SECTIONS]
    missing = [s for s, p in zip(SECTIONS, positions) if p < 0]
    assert not missing, f"{path.name}: missing sections {missing}"
    assert positions == sorted(positions), f"{path.name}: sections out of order"
    assert "**Time to run:**" in md, f"{path.name}: state the time to run"
    n_solutions = sum("### BEGIN SOLUTION" in "".join(c["source"]) for c in load(path)["cells"])
    assert 2 <= n_solutions <= 4, f"{path.name}: {n_solutions} exercises with solutions (want 2-4)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_small(path):
    assert path.stat().st_size < 3_000_000, f"{path.name} is over 3 MB"


# Every seed goes through gh.utils (make_generator, manual_seed, numpy_rng, seed_everything), so that
# $GAN_COURSE_SEED shifts all of them (the claims harness, `make claims`, relies on it).
DIRECT_SEEDING = [
    re.compile(r"(?<!gh\.utils)\.manual_seed\("),            # torch.manual_seed, Generator().manual_seed, g.manual_seed
    re.compile(r"\bdefault_rng\("),                          # np.random.default_rng
    re.compile(r"(?<![\w.])(?:np|numpy)\.random\.seed\("),   # np.random.seed
    re.compile(r"(?<![\w.])random\.seed\("),                 # python's random.seed
    re.compile(r"\bRandomState\("),                          # np.random.RandomState
]


def _code_without_comments(src: str) -> str:
    """Drop # comments (where the # is outside a string) so that prose about seeding is allowed."""
    lines = []
    for line in src.splitlines():
        cut = line.find("#")
        while cut >= 0 and (line[:cut].count('"') % 2 or line[:cut].count("'") % 2):
            cut = line.find("#", cut + 1)
        lines.append(line if cut < 0 else line[:cut])
    return "\n".join(lines)


def direct_seeding(src: str) -> list[str]:
    """The lines of a code cell that seed a random generator without the gh.utils helpers."""
    return [line.strip() for line in _code_without_comments(src).splitlines()
            if any(p.search(line) for p in DIRECT_SEEDING)]


def test_direct_seeding_detector():
    bad = ["torch.manual_seed(3)", "g = torch.Generator().manual_seed(7)", "gen.manual_seed(1)",
           "rng = np.random.default_rng(0)", "np.random.seed(0)", "random.seed(1)",
           "torch.cuda.manual_seed(2)", "x = f(torch.Generator(device='cpu').manual_seed(9))"]
    good = ["gh.utils.manual_seed(3)", "g = gh.utils.make_generator(7)", "rng = gh.utils.numpy_rng(0)",
            "gen = gh.utils.seed_everything(0)", "# torch.manual_seed(3) in a comment",
            "x = 1  # was np.random.default_rng(0)", 'print("# not a comment")']
    assert [direct_seeding(s) for s in bad] == [[s] for s in bad]
    assert [direct_seeding(s) for s in good] == [[] for _ in good]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_seeds_go_through_gh_utils(path):
    found = [(i + 1, line) for i, cell in enumerate(code_cells(load(path)))
             for line in direct_seeding("".join(cell["source"]))]
    assert not found, (f"{path.name}: seed through gh.utils (make_generator / manual_seed / numpy_rng) so "
                       f"GAN_COURSE_SEED shifts it; direct seeding in code cells {found}")


CLAIM_CALL = re.compile(r"gh\.checks\.expect\((?:[^()]|\([^()]*\))*?,\s*\n?\s*((?:\"[^\"]*\"\s*)+)\)", re.S)


def literal_claims(src: str) -> list[str]:
    """The claim texts of the gh.checks.expect calls in a code cell that pass a plain string literal."""
    return ["".join(re.findall(r'"([^"]*)"', m.group(1))) for m in CLAIM_CALL.finditer(src)]


def test_literal_claims_parser():
    src = ('gh.checks.expect(a < 1, "first")\n'
           'gh.checks.expect(f(x) > 2 and g(y),\n                 "second, split" " in two")\n'
           'gh.checks.expect(ok, f"not literal {x}")')
    assert literal_claims(src) == ["first", "second, split in two"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_outputs_show_current_claims(path):
    """Each literal claim of a cell appears, ticked, in that cell's stored output: the run is not stale."""
    stale = []
    for i, cell in enumerate(code_cells(load(path))):
        shown = "\n".join(output_texts(cell))
        stale += [(i + 1, c) for c in literal_claims("".join(cell["source"])) if f"✔ {c}" not in shown]
    assert not stale, f"{path.name}: re-run it; stored outputs lack these claims (code cell, claim): {stale}"


QUIZ_CALL = re.compile(r"gh\.widgets\.multiple_choice\(")
QUIZ_KEY = re.compile(r"answer=gh\.course\.(\w+)\.QUIZ\[\"([^\"]+)\"\]\)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_quiz_cells_do_not_show_their_answers(path):
    """Every quiz cell names its key (gh.course.<module>.QUIZ["key"]) instead of writing it, so the
    student build shows questions and options but no right answer or explanation; each key exists,
    has one explanation per option and is used once."""
    import ast

    import gan_helpers as gh

    used = []
    for cell in code_cells(load(path)):
        src = "".join(cell["source"])
        if not QUIZ_CALL.search(src):
            continue
        assert "correct=" not in src and "explanations=" not in src, f"{path.name}: answer in the cell\n{src}"
        call = next(n for n in ast.walk(ast.parse(src)) if isinstance(n, ast.Call)
                    and ast.unparse(n.func) == "gh.widgets.multiple_choice")
        assert len(call.args) == 2 and [k.arg for k in call.keywords] == ["answer"], src
        module, key = QUIZ_KEY.search(src).groups()
        answer = getattr(gh.course, module).QUIZ[key]
        assert len(answer.explanations) == len(ast.literal_eval(call.args[1])), f"{path.name} {key}"
        assert "hidden" in repr(answer) and str(sorted(answer.correct)) not in repr(answer)
        used.append((module, key))
    assert len(used) == len(set(used)), f"{path.name}: a quiz key is used twice"
    if used:
        module = used[0][0]
        assert set(getattr(gh.course, module).QUIZ) == {k for _, k in used}, f"{path.name}: unused quiz keys"
