"""What a prior can reach at run time: read-only numpy/math stand-ins, its builtins, and attribute reads.

A prior never sees the numpy or math module. ``import numpy`` gives it :data:`NUMPY_PROXY`,
a read-only object exposing the allow-list of :mod:`camel_gym.sandbox.rules` (constructors
wrapped with a size check made before they allocate); ``import math`` gives
:data:`MATH_PROXY`. :func:`guarded_getattr` lets ``obj.name`` through only for allow-listed
attributes of the types a prior handles, and :data:`SAFE_BUILTINS` is its builtins table.
"""

from __future__ import annotations

import builtins
import math
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from camel_gym.sandbox.guards import safe_pow, safe_range, safe_sum, too_big
from camel_gym.sandbox.rules import (
    ATTRIBUTES_BY_TYPE,
    BUILTIN_NAMES,
    DTYPE_ATTRIBUTES,
    EXCEPTION_NAMES,
    GUARDED_BUILTIN_NAMES,
    LINALG_NAMES,
    MATH_NAMES,
    MAX_ELEMENTS,
    NON_NUMERIC_KINDS,
    NUMPY_CONSTANTS,
    NUMPY_FUNCTIONS,
    NUMPY_SIZE_CHECKED,
    SCALAR_ATTRIBUTES,
)

__all__ = ["LINALG_PROXY", "MATH_PROXY", "NUMPY_PROXY", "SAFE_BUILTINS", "guarded_getattr", "guarded_import"]

# ---- size-checked numpy constructors ---------------------------------------------------------


def _size_of_shape(shape: Any) -> int:
    dims = (shape,) if np.ndim(shape) == 0 else tuple(shape)
    return math.prod(int(d) for d in dims)


def _capped(fn: Callable[..., Any], size: Callable[..., int], what: str) -> Callable[..., Any]:
    """``fn`` with a check of the size it would allocate, made before it allocates."""

    def guarded(*args: Any, **kwargs: Any) -> Any:
        n = size(*args, **kwargs)
        if n > MAX_ELEMENTS:
            raise too_big(f"numpy.{what}", n)
        return fn(*args, **kwargs)

    guarded.__name__ = what
    return guarded


def _shape_arg(shape: Any, *a: Any, **k: Any) -> int:
    return _size_of_shape(shape)


def _like_arg(proto: Any, *a: Any, shape: Any = None, **k: Any) -> int:
    return np.size(proto) if shape is None else _size_of_shape(shape)


def _eye_size(n: Any, m: Any = None, *a: Any, **k: Any) -> int:
    return int(n) * int(n if m is None else m)


def _arange_size(*args: Any, **k: Any) -> int:
    start, stop, step = (0, args[0], 1) if len(args) == 1 else (args + (1,))[:3]
    step = k.get("step", step)
    if step == 0:
        return 0
    return max(int(math.ceil((float(stop) - float(start)) / float(step))), 0)


def _linspace_size(start: Any, stop: Any, num: Any = 50, *a: Any, **k: Any) -> int:
    return int(k.get("num", num))


def _tile_size(a: Any, reps: Any) -> int:
    return np.size(a) * _size_of_shape(reps)


def _repeat_size(a: Any, repeats: Any, *args: Any, **k: Any) -> int:
    r = np.asarray(repeats)
    return int(np.size(a) * r) if r.ndim == 0 else int(r.sum())


def _outer_size(a: Any, b: Any, *args: Any, **k: Any) -> int:
    return np.size(a) * np.size(b)


def _diag_size(v: Any, *args: Any, **k: Any) -> int:
    return np.size(v) ** 2 if np.ndim(v) == 1 else np.size(v)


# name -> (the function, what it would allocate); empty* give zeros so no stale memory leaks out
_SIZE_CHECKS = {
    "zeros": (np.zeros, _shape_arg), "ones": (np.ones, _shape_arg), "empty": (np.zeros, _shape_arg),
    "full": (np.full, _shape_arg), "zeros_like": (np.zeros_like, _like_arg),
    "ones_like": (np.ones_like, _like_arg), "empty_like": (np.zeros_like, _like_arg),
    "full_like": (np.full_like, _like_arg), "eye": (np.eye, _eye_size),
    "identity": (np.identity, _eye_size), "arange": (np.arange, _arange_size),
    "linspace": (np.linspace, _linspace_size), "tile": (np.tile, _tile_size),
    "repeat": (np.repeat, _repeat_size), "outer": (np.outer, _outer_size),
    "kron": (np.kron, _outer_size), "diag": (np.diag, _diag_size),
}


def _fast_clip(a: Any, a_min: Any = None, a_max: Any = None, *args: Any, **kwargs: Any) -> Any:
    """``np.clip`` for the plain ``clip(a, lo, hi)`` call priors make on every step.

    ``minimum(maximum(a, lo), hi)`` gives the same values (NaN included) at a fifth of
    np.clip's overhead on short vectors; any other form goes to ``np.clip`` itself.
    """
    if args or kwargs or a_min is None or a_max is None:
        return np.clip(a, a_min, a_max, *args, **kwargs)
    return np.minimum(np.maximum(a, a_min), a_max)


def _numeric_only(fn: Callable[..., Any], what: str) -> Callable[..., Any]:
    """``fn`` refusing to hand a prior an array or scalar of a non-numeric dtype (object,
    str, bytes): the guards cannot see inside those (an object array of lists repeats them
    element by element, a str array doubles in a loop)."""

    def checked(*args: Any, **kwargs: Any) -> Any:
        out = fn(*args, **kwargs)
        if isinstance(out, (np.ndarray, np.generic)) and out.dtype.kind in NON_NUMERIC_KINDS:
            raise TypeError(f"{what} made a {out.dtype} value; a prior may use numeric arrays only")
        return out

    checked.__name__ = getattr(fn, "__name__", what)
    return checked


# ---- module proxies --------------------------------------------------------------------------


def _make_proxy(module_name: str, members: dict[str, Any]) -> Any:
    """A read-only stand-in for a module that exposes ``members`` and nothing else."""

    def refuse(self: Any, *args: Any) -> None:
        raise TypeError(f"the {module_name} module is read-only inside a prior")

    def missing(self: Any, name: str) -> Any:
        raise AttributeError(f"{module_name}.{name} is not available to a prior")

    namespace: dict[str, Any] = {
        name: staticmethod(v) if callable(v) and not isinstance(v, type) else v for name, v in members.items()
    }
    namespace.update(
        __slots__=(), __setattr__=refuse, __delattr__=refuse, __getattr__=missing,
        __repr__=lambda self: f"<sandboxed {module_name}>",
    )
    return type(f"sandboxed_{module_name.replace('.', '_')}", (), namespace)()


def _build_numpy_proxies() -> tuple[Any, Any, Any]:
    members: dict[str, Any] = {name: getattr(np, name) for name in NUMPY_FUNCTIONS + NUMPY_CONSTANTS}
    # a KeyError here means rules.NUMPY_SIZE_CHECKED names a constructor with no size check above
    members.update({name: _capped(*_SIZE_CHECKS[name], name) for name in NUMPY_SIZE_CHECKED})
    members["clip"] = _fast_clip
    members.update(
        {name: _numeric_only(v, f"numpy.{name}") for name, v in members.items() if callable(v) and not isinstance(v, type)}
    )
    linalg = _make_proxy("numpy.linalg", {name: getattr(np.linalg, name) for name in LINALG_NAMES})
    members["linalg"] = linalg
    math_proxy = _make_proxy("math", {name: getattr(math, name) for name in MATH_NAMES})
    return _make_proxy("numpy", members), linalg, math_proxy


NUMPY_PROXY, LINALG_PROXY, MATH_PROXY = _build_numpy_proxies()
_PROXY_TYPES = frozenset({type(NUMPY_PROXY), type(LINALG_PROXY), type(MATH_PROXY)})


def guarded_import(name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0) -> Any:
    """A prior's ``__import__``: the proxies for ``math``, ``numpy`` and ``numpy.linalg``."""
    if level == 0 and name == "math":
        return MATH_PROXY
    if level == 0 and name in ("numpy", "numpy.linalg"):
        return LINALG_PROXY if name == "numpy.linalg" and fromlist else NUMPY_PROXY
    # numpy's C code imports its own helpers on first use (`x.max()` -> numpy._core._methods)
    # through PyImport_Import, which calls the calling frame's __import__ (this one) with an empty
    # list as fromlist and then takes sys.modules[name] itself, ignoring what __import__ returns.
    # So in a fresh process (the trial's) a prior's first `x.max()` was refused. Such a call is let
    # through for a numpy module that is loaded already, and gets None: nothing reaches the prior
    # even if a path to here were found (its import statements pass None or a tuple, and the
    # guards allow only ALLOWED_IMPORTS).
    if level == 0 and name.startswith("numpy.") and name in sys.modules and type(fromlist) is list and not fromlist:
        return None
    raise ImportError(f"import of '{name}' is not allowed in a prior (only math and numpy)")


# ---- attribute reads and builtins ------------------------------------------------------------


def guarded_getattr(obj: Any, name: str, *default: Any) -> Any:
    """A prior's ``obj.name``: proxy members, and the allow-listed attributes of other types."""
    t = type(obj)
    if t in _PROXY_TYPES:
        return getattr(obj, name, *default)
    allowed = ATTRIBUTES_BY_TYPE.get(t)
    if allowed is None:
        if isinstance(obj, np.generic):
            allowed = SCALAR_ATTRIBUTES
        elif isinstance(obj, np.dtype):
            allowed = DTYPE_ATTRIBUTES
    if allowed is not None and name in allowed:
        if name == "astype":  # `a.astype("O")` would make an object array
            return _numeric_only(getattr(obj, name), f"{t.__name__}.astype")
        return getattr(obj, name)
    raise AttributeError(f"attribute '{name}' of {t.__name__} objects is not available to a prior")


_GUARDED_BUILTINS = {"pow": safe_pow, "range": safe_range, "sum": safe_sum}

#: A prior's builtins; each prior gets its own copy.
SAFE_BUILTINS: dict[str, Any] = {name: getattr(builtins, name) for name in BUILTIN_NAMES + EXCEPTION_NAMES}
# a KeyError here means rules.GUARDED_BUILTIN_NAMES names a builtin with no guarded form above
SAFE_BUILTINS.update({name: _GUARDED_BUILTINS[name] for name in GUARDED_BUILTIN_NAMES}, __import__=guarded_import)
