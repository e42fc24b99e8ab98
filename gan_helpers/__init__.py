"""gan_helpers: the small package behind the GAN course notebooks.

Submodules load on first use (``gh.theory``, ``gh.training``, ...), so importing the package is
cheap and has no side effects: no seeding, no downloads, no global style changes.
"""
from __future__ import annotations

from ._lazy import lazy_getattr

__version__ = "0.1.0"

_SUBMODULES = (
    "checks", "claims", "conditional", "course", "data", "ensemble", "homework", "lab", "losses", "metrics", "models",
    "plotting", "theory", "training", "utils", "widgets",
)
__all__ = list(_SUBMODULES)


__getattr__ = lazy_getattr(__name__, _SUBMODULES, globals())


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_SUBMODULES))
