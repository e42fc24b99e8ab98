"""Does a student's function hand the work to gan_helpers? (used by run_check for every checker)

Two looks, both best effort against the honest shortcut "call the package's reference", not against
a determined cheat:

* static (`find_delegation`): walk the function's code (nested code objects too), the functions it
  reaches through its globals, closure cells and default arguments (recursively), and resolve every
  global name it loads, with its attribute chain (``gh.theory.square_neg_preimage``), and every
  ``import``. Anything that is gan_helpers (the package, one of its modules, or an object whose
  ``__module__`` starts with ``gan_helpers``) and is not on the checker's allow-list is delegation;
  so is a student "function" that is itself a gan_helpers function.
* dynamic (`tripwires`): while the student's function runs, the functions that compute the answer
  are replaced, in every loaded gan_helpers module, by a tripwire that records the call and raises,
  so a call reached indirectly (``getattr``, a dict of functions, a helper of the package) is caught.

Not detected: the package's source text copied into the notebook, code built from strings
(exec / eval / compile), a reference reached through an object that is no function, class or module
(e.g. stored in a list) and never called through its module. torch, numpy, scipy are of course allowed.
"""
from __future__ import annotations

import contextlib
import dis
import functools
import inspect
import sys
import sysconfig
import types
from collections.abc import Callable, Iterable, Iterator

PACKAGE = "gan_helpers"
_LIBRARY_DIRS = tuple({sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")})


class Delegated(BaseException):
    """Raised by a tripwire: the student's function called a function that computes the answer.

    A BaseException, so that a student's ``except Exception`` does not swallow it.
    """


def _is_package(obj: object) -> bool:
    if isinstance(obj, types.ModuleType):
        return obj.__name__ == PACKAGE or obj.__name__.startswith(PACKAGE + ".")
    module = getattr(obj, "__module__", None)
    if not isinstance(module, str) and callable(obj):
        module = getattr(type(obj), "__module__", None)
    return isinstance(module, str) and (module == PACKAGE or module.startswith(PACKAGE + "."))


def public_name(obj: object) -> str:
    """The shortest gh.* name of a gan_helpers object: gh.theory.square_neg_preimage, gh.losses, ..."""
    if isinstance(obj, types.ModuleType):
        return "gh" + obj.__name__[len(PACKAGE):]
    name = getattr(obj, "__name__", None) or type(obj).__name__
    parts = str(getattr(obj, "__module__", "") or PACKAGE).split(".")
    for i in range(1, len(parts) + 1):
        module = sys.modules.get(".".join(parts[:i]))
        if module is not None and module.__dict__.get(name) is obj:
            return ".".join(["gh", *parts[1:i], name])
    return ".".join(["gh", *parts[1:], str(getattr(obj, "__qualname__", name))])


def _allowed(obj: object, allow: tuple) -> bool:
    for a in allow:
        if obj is a:
            return True
        if isinstance(a, types.ModuleType) and not isinstance(obj, types.ModuleType) \
                and getattr(obj, "__module__", None) == a.__name__:
            return True
    return False


def _is_library_code(code: types.CodeType) -> bool:
    """True for code of installed libraries and the standard library (not walked: torch, numpy, ...)."""
    return code.co_filename.startswith(_LIBRARY_DIRS) or code.co_filename.startswith("<frozen")


def _codes(code: types.CodeType) -> Iterator[types.CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _codes(const)


def _follow(obj: object, attrs: list[str]) -> object:
    """Resolve an attribute chain through modules and classes only (no property code is run)."""
    for attr in attrs:
        if not isinstance(obj, (types.ModuleType, type)):
            break
        try:
            obj = getattr(obj, attr)
        except Exception:
            break
    return obj


_LOADS = {"LOAD_GLOBAL", "LOAD_NAME", "LOAD_DEREF", "LOAD_CLASSDEREF"}
_ATTRS = {"LOAD_ATTR", "LOAD_METHOD"}


def _loaded_objects(fn: types.FunctionType) -> Iterator[tuple[str, object]]:
    """(text as written, object) for each global / closure name (with its attribute chain) and import."""
    g = fn.__globals__
    builtins = g.get("__builtins__", {})
    builtins = builtins if isinstance(builtins, dict) else vars(builtins)
    cells = dict(zip(fn.__code__.co_freevars, fn.__closure__ or ()))
    for code in _codes(fn.__code__):
        ins = list(dis.get_instructions(code))
        for i, op in enumerate(ins):
            if op.opname in _LOADS:
                name = op.argval
                if op.opname in ("LOAD_DEREF", "LOAD_CLASSDEREF"):
                    if code is not fn.__code__ or name not in cells:
                        continue
                    try:
                        obj = cells[name].cell_contents
                    except ValueError:  # an empty cell
                        continue
                elif name in g:
                    obj = g[name]
                elif name in builtins:
                    continue
                else:
                    continue
                attrs = []
                for nxt in ins[i + 1:]:
                    if nxt.opname not in _ATTRS:
                        break
                    attrs.append(nxt.argval)
                target = _follow(obj, attrs)
                yield ".".join([name, *attrs]), target
                if target is not obj and not _is_package(obj):
                    yield name, obj
            elif op.opname == "IMPORT_NAME" and str(op.argval).split(".")[0] == PACKAGE:
                module = sys.modules.get(op.argval)
                frm = [n.argval for n in ins[i + 1:] if n.opname == "IMPORT_FROM"]
                if module is not None and frm:
                    for name in frm:
                        yield f"from {op.argval} import {name}", _follow(module, [name])
                else:
                    yield f"import {op.argval}", module if module is not None else sys.modules[PACKAGE]


def _children(obj: object) -> list[object]:
    """The callables a callable wraps: partial's func/args, a method's function, __wrapped__, __call__."""
    out: list[object] = []
    if isinstance(obj, functools.partial):
        out += [obj.func, *obj.args, *obj.keywords.values()]
    if isinstance(obj, types.MethodType):
        out.append(obj.__func__)
    wrapped = inspect.unwrap(obj) if callable(obj) else obj
    if wrapped is not obj:
        out.append(wrapped)
    if isinstance(obj, type):
        out += [v for v in vars(obj).values() if isinstance(v, (types.FunctionType, staticmethod, classmethod))]
    elif not isinstance(obj, (types.FunctionType, types.BuiltinFunctionType, types.MethodType, types.ModuleType,
                              functools.partial)) and callable(obj):
        call = inspect.getattr_static(type(obj), "__call__", None)
        if isinstance(call, types.FunctionType):
            out.append(call)
    if isinstance(obj, (staticmethod, classmethod)):
        out.append(obj.__func__)
    if isinstance(obj, types.FunctionType):
        out += list(obj.__defaults__ or ()) + list((obj.__kwdefaults__ or {}).values())
        out += [c.cell_contents for c in obj.__closure__ or () if _filled(c)]
    return out


def _filled(cell: types.CellType) -> bool:
    try:
        cell.cell_contents  # noqa: B018
    except ValueError:
        return False
    return True


def find_delegation(fn: object, allow: Iterable[object] = ()) -> str | None:
    """The gh.* name a student's function delegates to (statically), or None when it does not."""
    allow = tuple(allow)
    seen: set[int] = set()
    todo: list[tuple[str | None, object]] = [(None, fn)]
    while todo:
        text, obj = todo.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if _is_package(obj):
            if _allowed(obj, allow):
                continue
            name = public_name(obj)
            return name if not text or text.startswith(("gh.", "import ", "from ")) or text == "gh" \
                else f"{name} (as {text})"
        if isinstance(obj, types.FunctionType):
            if _is_library_code(obj.__code__):
                continue
            todo += list(_loaded_objects(obj))
        todo += [(None, child) for child in _children(obj)]
    return None


@contextlib.contextmanager
def tripwires(functions: Iterable[Callable]) -> Iterator[list[str]]:
    """Within the block, calls to `functions` through any loaded gan_helpers module raise Delegated.

    Yields the list of the public names called (filled by the tripwires).
    """
    called: list[str] = []
    swaps = []
    for target in {id(f): f for f in functions if f is not None}.values():
        label = public_name(target)

        def trip(*args, _label=label, **kwargs):
            called.append(_label)
            raise Delegated(_label)

        for name, module in list(sys.modules.items()):
            if module is None or not (name == PACKAGE or name.startswith(PACKAGE + ".")):
                continue
            for attr, value in list(vars(module).items()):
                if value is target:
                    swaps.append((module, attr, value))
                    setattr(module, attr, trip)
    try:
        yield called
    finally:
        for module, attr, value in reversed(swaps):
            setattr(module, attr, value)
