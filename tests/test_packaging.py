"""environment.yml and pyproject.toml must list the same dependencies."""
import re
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent
CONDA_NAMES = {"pytorch": "torch"}  # conda package name -> pip distribution name
NOT_PACKAGES = {"python", "pip"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def pyproject_deps() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        deps += extra
    return {_name(d) for d in deps}


def conda_deps() -> set[str]:
    names, in_deps, in_pip = set(), False, False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        stripped = line.split("#", 1)[0].rstrip()
        if re.match(r"^\w", stripped):  # a top-level key: name, channels, dependencies
            in_deps = stripped.startswith("dependencies:")
            continue
        if not in_deps:
            continue
        if re.match(r"^\s*-\s*pip:\s*$", stripped):
            in_pip = True
            continue
        m = re.match(r"^(\s*)-\s*(\S.*)$", stripped)
        if not m:
            continue
        if in_pip and len(m.group(1)) > 2:
            continue  # the pip section installs the course package itself
        in_pip = False
        name = _name(m.group(2))
        names.add(CONDA_NAMES.get(name, name))
    return names - NOT_PACKAGES


def test_environment_yml_matches_pyproject():
    assert conda_deps() == pyproject_deps(), (
        f"only in environment.yml: {sorted(conda_deps() - pyproject_deps())}; "
        f"only in pyproject.toml: {sorted(pyproject_deps() - conda_deps())}")


def test_conda_forge_is_the_only_channel():
    text = (ROOT / "environment.yml").read_text()
    block = re.search(r"^channels:\n((?:\s+-.*\n)+)", text, re.M)
    assert block is not None, "environment.yml needs a channels: list"
    channels = [line.split("-", 1)[1].split("#", 1)[0].strip() for line in block.group(1).splitlines()]
    assert channels == ["conda-forge"], f"conda-forge builds pytorch and torchvision; got channels {channels}"


def test_torch_is_not_pinned():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert "torch" in deps and "torchvision" in deps, "torch/torchvision must stay unpinned (see README)"


def test_requires_python_310():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.10"


def test_drift_is_detected(tmp_path, monkeypatch):
    env = (ROOT / "environment.yml").read_text().replace("  - scipy\n", "")
    (tmp_path / "environment.yml").write_text(env)
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    monkeypatch.setattr(__import__(__name__), "ROOT", tmp_path)
    assert "scipy" in pyproject_deps() - conda_deps()
