"""The course layer: one module per notebook (its checkers, widget callbacks, settings and runners).

The library modules (data, models, losses, training, theory, metrics, plotting, utils, lab) know
nothing of notebooks; what exists for one notebook lives here, in its own module (``gh.course.nb02``),
loaded on first use. The checker machinery they share is gh.checks (core.py).
"""
from __future__ import annotations

from .._lazy import lazy_getattr

_NOTEBOOK_MODULES = ("nb01", "nb02", "nb03", "nb04", "nb05", "nb06", "nb07", "nb08")
__all__ = [*_NOTEBOOK_MODULES, "catalog", "nb07_experiment"]


_OTHER_MODULES = ("catalog", "nb07_experiment")  # the course map and run times; 07's runner
__getattr__ = lazy_getattr(__name__, _NOTEBOOK_MODULES + _OTHER_MODULES, globals())
