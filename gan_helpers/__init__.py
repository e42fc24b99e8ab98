"""gan_helpers: the small package behind the GAN course notebooks.

Submodules load on first use (``gh.theory``, ``gh.training``, ...), so importing the package is
cheap and has no side effects: no seeding, no downloads, no global style changes.
"""
from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_SUBMODULES = (
    "checks", "data", "homework", "lab", "losses", "metrics", "models",
    "plotting", "theory", "training", "utils", "widgets",
)
__all__ = list(_SUBMODULES)


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'gan_helpers' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_SUBMODULES))
