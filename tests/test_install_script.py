""".ci/install.sh (make's install step): uv when it works, pip when uv is missing or fails.

The script runs for real against a fake venv whose bin/python logs each call and acts as pip/uv
would, so no package is downloaded.
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / ".ci" / "install.sh"
PIP_EDITABLE = "-m pip install --quiet -e .[test]"
FAKE_PYTHON = r"""#!/usr/bin/env bash
here="$(cd "$(dirname "$0")" && pwd)"
echo "$* | UV_FIND_LINKS=${UV_FIND_LINKS:-} UV_CONSTRAINT=${UV_CONSTRAINT:-}" >> "$FAKE_LOG"
case "$*" in
  "-m uv --version") test -e "$here/uv" ;;                       # uv is in the venv once pip put it there
  "-m pip install --quiet uv") [ "$FAKE_REGISTRY_HAS_UV" = 1 ] && touch "$here/uv" ;;
  "-m uv pip install"*) exit "${FAKE_UV_RC:-0}" ;;
  "-m pip config list") [ "${FAKE_PIP_CONFIG:-0}" = 1 ] && printf "%s\n" \
      "global.constraint='/etc/c.txt'" "global.find-links='/opt/wheels'" ;;
  *) exit 0 ;;
esac
"""


def run_install(tmp_path: Path, **env: str) -> tuple[str, list[str]]:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True, exist_ok=True)
    fake = venv / "bin" / "python"
    fake.write_text(FAKE_PYTHON)
    fake.chmod(0o755)
    log = tmp_path / "calls.log"
    base = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "USE_UV", "FAKE_"))}
    base.update(FAKE_LOG=str(log), FAKE_REGISTRY_HAS_UV="1", PATH=f"{tmp_path / 'nobin'}:/usr/bin:/bin")
    base.update(env)
    out = subprocess.run(["bash", str(SCRIPT), str(venv), "python3"], cwd=tmp_path, env=base,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    calls = [line.split(" | ")[0] for line in log.read_text().splitlines()]
    return out.stdout + out.stderr, calls


def test_uv_is_bootstrapped_with_pip_and_installs(tmp_path):
    output, calls = run_install(tmp_path)
    assert "-m pip install --quiet uv" in calls
    assert any(c.startswith("-m uv pip install --python") and c.endswith("-e .[test]") for c in calls)
    assert PIP_EDITABLE not in calls
    assert "installed with uv" in output


@pytest.mark.parametrize("env, why", [
    ({"FAKE_REGISTRY_HAS_UV": "0"}, "the registry has no uv"),
    ({"FAKE_UV_RC": "2"}, "uv's install fails"),
    ({"USE_UV": "0"}, "uv switched off"),
])
def test_falls_back_to_pip(tmp_path, env, why):
    output, calls = run_install(tmp_path, **env)
    assert PIP_EDITABLE in calls, why
    assert calls[-1].startswith("-c import torch, torchvision; torchvision.ops.nms"), "the import check runs last"
    assert "installed with pip" in output
    if env.get("USE_UV") == "0":
        assert not any("uv" in c for c in calls), "USE_UV=0 must not touch uv"
    else:
        assert "uv was not available or failed; installing with pip" in output


def test_uv_gets_pips_registry_settings(tmp_path):
    _, _ = run_install(tmp_path, FAKE_PIP_CONFIG="1")
    line = next(x for x in (tmp_path / "calls.log").read_text().splitlines() if x.startswith("-m uv pip install"))
    assert "UV_FIND_LINKS=/opt/wheels" in line and "UV_CONSTRAINT=/etc/c.txt" in line
