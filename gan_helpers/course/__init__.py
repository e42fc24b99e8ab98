"""The course layer: one module per notebook (its settings, experiment runners and helpers).

The library modules (data, models, losses, training, ...) know nothing of notebooks; what exists
for one notebook lives here, in its own module (``gh.course.nb07``), loaded on first use.
"""
from __future__ import annotations

from .._lazy import lazy_getattr

_NOTEBOOK_MODULES = ("nb07",)
__all__ = list(_NOTEBOOK_MODULES)


__getattr__ = lazy_getattr(__name__, _NOTEBOOK_MODULES, globals())
