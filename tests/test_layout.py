"""The package's layout: a library that knows nothing of notebooks, one course module per notebook,
small modules, and no module named like another at a different level."""
import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "gan_helpers"
NOTEBOOKS = PACKAGE.parent / "notebooks"
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)
MAX_LINES = 300
# Modules allowed over MAX_LINES for now, with the reason (keep this list short and shrinking).
OVER_LIMIT: dict[str, str] = {}
LIBRARY = ("data", "ensemble", "losses", "models", "plotting", "utils", "widgets", "lab", "metrics", "theory",
           "training")


def _rel(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


@pytest.mark.parametrize("path", MODULES, ids=_rel)
def test_modules_are_small(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    if _rel(path) not in OVER_LIMIT:
        assert lines <= MAX_LINES, f"{_rel(path)} has {lines} lines (> {MAX_LINES}): split it"


def test_no_module_named_like_another_at_a_different_level():
    seen: dict[str, str] = {}
    for path in MODULES:
        name = path.parent.name if path.name == "__init__.py" else path.stem
        if path == PACKAGE / "__init__.py":
            continue
        assert name not in seen, f"{_rel(path)} is named like {seen[name]}"
        seen[name] = _rel(path)


def test_the_library_does_not_import_the_course_layer():
    for path in MODULES:
        top = _rel(path).split("/")[0].removesuffix(".py")
        if top not in LIBRARY:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [a.name for a in node.names]
                assert not any(n.split(".")[0] in ("course", "checks") or ".course" in n for n in names), \
                    f"{_rel(path)} imports the course layer"


def test_one_course_module_per_notebook():
    numbers = {p.name[:2] for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")} - {"00"}
    modules = {p.stem[2:] for p in (PACKAGE / "course").glob("nb[0-9][0-9].py")}
    assert numbers == modules
    init = (PACKAGE / "course" / "__init__.py").read_text(encoding="utf-8")
    assert set(re.findall(r'"nb(\d\d)"', init)) == modules
    for number in modules:
        assert (PACKAGE.parent / "tests" / f"test_nb{number}.py").is_file()


def _code_names(path: Path) -> set[str]:
    import json

    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    src = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    return set(re.findall(r"\bgh(?:\.[A-Za-z_]\w*)+", src))


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")), ids=lambda p: p.name[:2])
def test_every_package_name_a_notebook_uses_exists(path):
    import gan_helpers as gh

    missing = []
    for dotted in sorted(_code_names(path)):
        obj = gh
        for part in dotted.split(".")[1:]:
            if not hasattr(obj, part):
                missing.append(dotted)
                break
            obj = getattr(obj, part)
    assert not missing, f"{path.name} uses names the package does not have: {missing}"
