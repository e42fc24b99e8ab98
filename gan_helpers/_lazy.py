"""Lazy submodules for a package: ``gh.theory`` is imported on first use, so ``import gan_helpers`` is cheap."""
from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_getattr(package: str, names: tuple[str, ...], namespace: dict[str, Any]) -> Callable[[str], Any]:
    """A module-level __getattr__ for package that imports the submodules `names` on first access."""
    def __getattr__(name: str) -> Any:
        if name in names:
            module = importlib.import_module(f"{package}.{name}")
            namespace[name] = module
            return module
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
