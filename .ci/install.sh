#!/usr/bin/env bash
# Install the course (-e ".[test]") into a virtual environment: with uv when it works, else with pip.
#   usage: .ci/install.sh [VENV] [PYTHON]        (make's $(STAMP) rule calls it: .ci/install.sh .venv python3)
#   USE_UV=0   skip uv and install with pip (the path that always worked)
# uv is bootstrapped into the venv with pip (`pip install uv`). If that, uv's install or the
# torch/torchvision import check after it fails, the script falls back to pip in the same venv.
# uv does not read pip's configuration; pip's find-links, extra index URLs and constraints (if any) are
# handed to uv through UV_* variables, so both resolve against the same registry and caps.
set -euo pipefail
venv="${1:-.venv}"
python="${2:-python3}"
py="$venv/bin/python"
check='import torch, torchvision; torchvision.ops.nms; print("torch", torch.__version__, "| torchvision", torchvision.__version__)'

say() { echo "install.sh: $*"; }

test -x "$py" || "$python" -m venv "$venv"

pip_config() {  # the value of one of pip's settings, from its config files or PIP_* variables
  "$py" -m pip config list 2>/dev/null | sed -n "s/^[^.]*\.$1='\(.*\)'$/\1/p" | tail -n 1
}

install_with_uv() {
  "$py" -m uv --version >/dev/null 2>&1 || "$py" -m pip install --quiet uv || return 1
  local links extra constraint
  links="$(pip_config find-links)"
  extra="$(pip_config extra-index-url)"
  constraint="$(pip_config constraint)"
  if [ -n "$links" ] && [ -z "${UV_FIND_LINKS:-}" ]; then export UV_FIND_LINKS="${links// /,}"; fi
  if [ -n "$extra" ] && [ -z "${UV_EXTRA_INDEX_URL:-}" ]; then
    export UV_EXTRA_INDEX_URL="$extra"
    export UV_INDEX_STRATEGY="${UV_INDEX_STRATEGY:-unsafe-best-match}"  # like pip: best version of all indexes
  fi
  if [ -n "$constraint" ] && [ -z "${UV_CONSTRAINT:-}" ]; then export UV_CONSTRAINT="$constraint"; fi
  "$py" -m uv pip install --python "$py" -e ".[test]" || return 1
  "$py" -c "$check" || return 1
}

install_with_pip() {
  "$py" -m pip install --quiet --upgrade pip
  "$py" -m pip install --quiet -e ".[test]"
  "$py" -c "$check"
}

if [ "${USE_UV:-1}" != 0 ]; then
  if install_with_uv; then
    say "installed with uv"
    exit 0
  fi
  say "uv was not available or failed; installing with pip"
fi
install_with_pip
say "installed with pip"
