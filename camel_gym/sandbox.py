"""Sandboxed loading of LLM-written prior policies.

A prior is a Python module that defines ``policy(obs) -> action`` and may import ``math``
and ``numpy`` only. It is untrusted, so :func:`load_policy`

1. compiles it with RestrictedPython plus a few rules of our own (only ``math``/``numpy``
   imports, no classes, no reflection builtins, no format specs in f-strings), and
   instruments it: every loop iteration and every function call ticks a per-call budget,
   and ``*``, ``**``, ``<<``, ``%``, ``+`` refuse to build huge strings, lists or integers;
2. gives it an allow-listed, read-only numpy proxy instead of the numpy module: no file
   I/O, no ``ctypeslib``/``testing``/``f2py``/``lib``/``random``, array constructors capped
   in size, and attribute access on arrays restricted to an allow-list;
3. runs a trial in a child process under a wall-clock, CPU and memory limit, on real
   observations of the target environment when one is given, and checks that every
   output is a finite array of the action shape (see :mod:`camel_gym.trial`);
4. returns a :class:`SandboxedPolicy`: each call gets a copy of the observation and a
   fresh budget of loop iterations and wall-clock time.

Refusals raise :class:`PolicyRejected` (a ``ValueError``) naming the reason and the line.

What this does not stop: a single numpy broadcasting expression that allocates a large
array in one go (e.g. an outer sum of two capped vectors). Such an allocation either fails
with ``MemoryError`` (contained like any other prior error) or is freed when the call
returns; the child-process trial rejects programs that do it on real observations.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import math
import operator
import os
import re
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from RestrictedPython import RestrictingNodeTransformer, compile_restricted_exec
from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence

__all__ = [
    "BudgetExceeded",
    "PolicyRejected",
    "SandboxedPolicy",
    "as_action",
    "compile_policy",
    "load_policy",
]

#: Largest array (in elements), string, list or range a prior may build in one step.
MAX_ELEMENTS = 1_000_000
#: Largest Python integer (in bits) a prior may build.
MAX_INT_BITS = 4096
#: Default per-call budget: loop iterations plus function calls.
DEFAULT_MAX_ITERATIONS = 100_000
#: Default per-call wall-clock safety net, checked inside loops and calls.
DEFAULT_CALL_SECONDS = 1.0
ALLOWED_IMPORTS = ("math", "numpy", "numpy.linalg")

_FORBIDDEN_NAMES = frozenset(
    "open eval exec compile globals locals vars dir getattr setattr delattr hasattr type object "
    "super input breakpoint help exit quit memoryview bytearray bytes classmethod staticmethod "
    "property id __import__ __builtins__ __loader__ __spec__ iter".split()
)


class PolicyRejected(ValueError):
    """A prior policy was refused: it is unsafe, broken, or does not satisfy the contract.

    Attributes:
        reason: what is wrong, in words.
        lineno: the offending line of the policy source, when known.
        filename: the policy file (or ``"<string>"``).
    """

    def __init__(self, reason: str, *, lineno: int | None = None, filename: str = "<string>"):
        self.reason = reason
        self.lineno = lineno
        self.filename = filename
        where = f"{filename}, line {lineno}" if lineno else filename
        super().__init__(
            f"prior policy rejected ({where}): {reason}. A prior must be a module defining "
            f"policy(obs) -> action that imports only math and numpy."
        )


class BudgetExceeded(RuntimeError):
    """A prior call ran past its budget of loop iterations/function calls or wall-clock time."""


# --------------------------------------------------------------------------------------------
# Compile-time rules
# --------------------------------------------------------------------------------------------

_GUARDED_BINOPS = {ast.Add: "_add_", ast.Mult: "_mul_", ast.Pow: "_pow_", ast.LShift: "_lshift_", ast.Mod: "_mod_"}


def _is_float_constant(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is float


def _is_number_constant(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) in (int, float)


def _call(name: str, args: list[ast.expr], like: ast.AST) -> ast.Call:
    node = ast.Call(func=ast.Name(name, ast.Load()), args=args, keywords=[])
    return ast.fix_missing_locations(ast.copy_location(node, like))


def _tick_statement(like: ast.AST) -> ast.Expr:
    return ast.fix_missing_locations(ast.copy_location(ast.Expr(_call("_tick_", [], like)), like))


class _PolicyTransformer(RestrictingNodeTransformer):
    """RestrictedPython's rules plus ours, and the instrumentation for the per-call budget."""

    def visit_Import(self, node: ast.Import) -> ast.AST:
        for alias in node.names:
            if alias.name not in ALLOWED_IMPORTS:
                self.error(node, f"import of '{alias.name}' is not allowed (only math and numpy)")
        return super().visit_Import(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST:
        if node.level or node.module not in ALLOWED_IMPORTS:
            self.error(node, f"import from '{node.module}' is not allowed (only math and numpy)")
        return super().visit_ImportFrom(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        self.error(node, "class definitions are not allowed in a prior")
        return node

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in _FORBIDDEN_NAMES:
            self.error(node, f"'{node.id}' is not available to a prior (no I/O, reflection or dynamic code)")
        return super().visit_Name(node)

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        if node.format_spec is not None:
            self.error(node, "format specs in f-strings are not allowed in a prior")
        return super().visit_FormattedValue(node)

    def visit_While(self, node: ast.While) -> ast.AST:
        node = super().visit_While(node)
        node.body.insert(0, _tick_statement(node))
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        node = super().visit_FunctionDef(node)
        node.body.insert(0, _tick_statement(node))
        return node

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        node = super().visit_Lambda(node)
        # (tick, body)[1]: a lambda has no statements, so the tick rides in a tuple
        pair = ast.Tuple(elts=[_call("_tick_", [], node), node.body], ctx=ast.Load())
        node.body = ast.Subscript(value=pair, slice=ast.Constant(1), ctx=ast.Load())
        ast.fix_missing_locations(ast.copy_location(node.body, node))
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = super().visit_BinOp(node)
        guard = _GUARDED_BINOPS.get(type(node.op))
        if guard is None:
            return node
        left, right = node.left, node.right
        # A float constant operand can't repeat a sequence or grow an int: no guard needed.
        if guard in ("_mul_", "_pow_") and (_is_float_constant(left) or _is_float_constant(right)):
            return node
        if guard == "_add_" and (_is_number_constant(left) or _is_number_constant(right)):
            return node
        return _call(guard, [left, right], node)

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        # Item access can't reach anything an allow-listed object doesn't already expose
        # (no dunders, no proxies with __getitem__), so `obs[2:5]` stays a plain subscript
        # instead of a guard call: priors index a lot, and this is their hot path.
        return self.node_contents_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        if isinstance(node.target, ast.Subscript):
            # RestrictedPython forbids `a[i] += v`, which LLM code writes all the time;
            # `a[i] = a[i] + v` is the same for lists and arrays and goes through the guards.
            load = copy.deepcopy(node.target)
            load.ctx = ast.Load()
            assign = ast.Assign(targets=[node.target], value=ast.BinOp(load, node.op, node.value))
            ast.fix_missing_locations(ast.copy_location(assign, node))
            return self.visit(assign)
        return super().visit_AugAssign(node)


# --------------------------------------------------------------------------------------------
# Run-time guards
# --------------------------------------------------------------------------------------------


class _Budget:
    """Per-call budget; one comparison on the fast path, a clock read every 64 ticks."""

    __slots__ = ("max_iterations", "seconds", "left", "check_at", "deadline", "exceeded")

    def __init__(self, max_iterations: int, seconds: float):
        self.max_iterations = max_iterations
        self.seconds = seconds
        self.start()

    def start(self) -> None:
        self.left = self.max_iterations
        self.check_at = self.max_iterations - 64
        self.deadline = 0.0  # set at the first check: a call that ticks < 64 times reads no clock
        self.exceeded = ""

    def tick(self, n: int = 1) -> None:
        self.left -= n
        if self.left <= self.check_at:
            self._check()

    def _check(self) -> None:
        self.check_at = self.left - 64
        now = time.perf_counter()
        if not self.deadline:
            self.deadline = now + self.seconds
        if self.left < 0:
            self.exceeded = f"more than {self.max_iterations} loop iterations/function calls in one call"
        elif now > self.deadline:
            self.exceeded = f"more than {self.seconds:g} s of wall-clock time in one call"
        if self.exceeded:
            raise BudgetExceeded(self.exceeded)


def _too_big(what: str, n: Any) -> ValueError:
    return ValueError(f"{what} of {n} elements is over the prior's limit of {MAX_ELEMENTS}")


_SEQUENCES = frozenset({str, list, tuple, bytes})


def _check_int_bits(bits: int) -> None:
    if bits > MAX_INT_BITS:
        raise ValueError(f"an integer of ~{bits} bits is over the prior's limit of {MAX_INT_BITS} bits")


def _mul_(a: Any, b: Any) -> Any:
    ta, tb = type(a), type(b)
    if ta in _SEQUENCES or tb in _SEQUENCES:
        seq, n = (a, b) if ta in _SEQUENCES else (b, a)
        if isinstance(n, int) and len(seq) * n > MAX_ELEMENTS:
            raise _too_big("a repeated sequence", len(seq) * n)
    elif ta is int and tb is int:
        _check_int_bits(a.bit_length() + b.bit_length())
    return a * b


def _add_(a: Any, b: Any) -> Any:
    if type(a) in _SEQUENCES and type(b) in _SEQUENCES and len(a) + len(b) > MAX_ELEMENTS:
        raise _too_big("a concatenated sequence", len(a) + len(b))
    return a + b


def _pow_(a: Any, b: Any) -> Any:
    if type(a) is int and type(b) is int and b > 0 and abs(a) > 1:
        _check_int_bits(a.bit_length() * b)
    return a**b


def _lshift_(a: Any, b: Any) -> Any:
    if type(a) is int and type(b) is int:
        _check_int_bits(a.bit_length() + b)
    return a << b


def _mod_(a: Any, b: Any) -> Any:
    if type(a) in (str, bytes):
        raise TypeError("%-formatting of strings is not available to a prior")
    return a % b


_INPLACE = {
    "+=": _add_, "*=": _mul_, "**=": _pow_, "<<=": _lshift_, "%=": _mod_,
    "-=": operator.sub, "/=": operator.truediv, "//=": operator.floordiv, ">>=": operator.rshift,
    "&=": operator.and_, "|=": operator.or_, "^=": operator.xor, "@=": operator.matmul,
}


def _inplacevar_(op: str, x: Any, y: Any) -> Any:
    return _INPLACE[op](x, y)


def _write_(obj: Any) -> Any:
    # RestrictedPython routes `obj.attr = v` and `del obj.attr` here (item assignment is left
    # plain, see visit_Subscript). A prior has no reason to set attributes, and refusing all of
    # them keeps it off the proxies and off ndarray internals such as `strides` and `dtype`.
    raise TypeError(f"a prior may not set or delete attributes (of a {type(obj).__name__})")


class _PrintSink:
    """Swallows ``print`` output (kept up to 4 KiB for debugging) instead of writing anywhere."""

    def __init__(self, _getattr_: Any = None):
        self.txt: list[str] = []
        self.size = 0

    def _call_print(self, *objects: Any, **kwargs: Any) -> None:
        if self.size < 4096:
            text = " ".join(str(o)[:4096] for o in objects)
            self.txt.append(text)
            self.size += len(text)

    def __call__(self) -> str:
        return "\n".join(self.txt)


def _safe_range(*args: int) -> range:
    r = range(*args)
    if len(r) > MAX_ELEMENTS:
        raise _too_big("a range", len(r))
    return r


def _safe_sum(iterable: Any, start: Any = 0) -> Any:
    if not isinstance(start, (int, float, complex, np.number, np.ndarray)):
        raise TypeError("sum() with a non-numeric start is not available to a prior")
    return sum(iterable, start)


def _safe_pow(base: Any, exp: Any, mod: Any = None) -> Any:
    return _pow_(base, exp) if mod is None else pow(base, exp, mod)


# ---- numpy and math proxies ----------------------------------------------------------------

_NP_PASSTHROUGH = """
abs absolute add all allclose amax amin any append arccos arccosh arcsin arcsinh arctan arctan2
arctanh argmax argmin argsort argwhere around array array_equal asarray atleast_1d atleast_2d
average cbrt ceil clip column_stack concatenate copy copysign cos cosh count_nonzero cross
cumprod cumsum deg2rad degrees diff divide dot equal exp exp2 expand_dims expm1 fabs flip floor
floor_divide fmax fmin fmod greater greater_equal heaviside hstack hypot inner interp isclose
isfinite isinf isnan less less_equal log log10 log1p log2 logical_and logical_not logical_or
logical_xor matmul max maximum mean median min minimum mod multiply nan_to_num negative nonzero
not_equal polyval power prod ptp rad2deg radians ravel reciprocal remainder reshape rint roll
round select sign signbit sin sinh sort sqrt square squeeze stack std subtract sum swapaxes tan
tanh trace transpose true_divide trunc unwrap var vstack where
"""
_NP_CONSTANTS = "pi e inf nan newaxis float16 float32 float64 int8 int16 int32 int64 uint8 bool_ intp".split()
_LINALG = "norm inv pinv solve det eig eigh eigvals svd lstsq matrix_rank cholesky qr".split()
_MATH = """
acos acosh asin asinh atan atan2 atanh cbrt ceil copysign cos cosh degrees dist e erf erfc exp
exp2 expm1 fabs floor fmod fsum gamma hypot inf isclose isfinite isinf isnan lgamma log log10
log1p log2 nan pi radians remainder sin sinh sqrt tan tanh tau trunc
"""


def _size_of_shape(shape: Any) -> int:
    dims = (shape,) if np.ndim(shape) == 0 else tuple(shape)
    return math.prod(int(d) for d in dims)


def _capped(fn: Callable[..., Any], size: Callable[..., int], what: str) -> Callable[..., Any]:
    """``fn`` with a check of the size it would allocate, made before it allocates."""

    def guarded(*args: Any, **kwargs: Any) -> Any:
        n = size(*args, **kwargs)
        if n > MAX_ELEMENTS:
            raise _too_big(f"numpy.{what}", n)
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


_NP_CAPPED = {
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
    members: dict[str, Any] = {name: getattr(np, name) for name in _NP_PASSTHROUGH.split()}
    members.update({name: getattr(np, name) for name in _NP_CONSTANTS})
    members.update({name: _capped(fn, size, name) for name, (fn, size) in _NP_CAPPED.items()})
    members["clip"] = _fast_clip
    linalg = _make_proxy("numpy.linalg", {name: getattr(np.linalg, name) for name in _LINALG})
    members["linalg"] = linalg
    math_members = {name: getattr(math, name) for name in _MATH.split() if hasattr(math, name)}
    math_members["pow"] = math.pow  # float pow: overflows instead of growing
    return _make_proxy("numpy", members), linalg, _make_proxy("math", math_members)


NUMPY_PROXY, LINALG_PROXY, MATH_PROXY = _build_numpy_proxies()
_PROXY_TYPES = frozenset({type(NUMPY_PROXY), type(LINALG_PROXY), type(MATH_PROXY)})


def _import_(name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0) -> Any:
    if level == 0 and name == "math":
        return MATH_PROXY
    if level == 0 and name in ("numpy", "numpy.linalg"):
        return LINALG_PROXY if name == "numpy.linalg" and fromlist else NUMPY_PROXY
    raise ImportError(f"import of '{name}' is not allowed in a prior (only math and numpy)")


# ---- attribute access ----------------------------------------------------------------------

_ARRAY_ATTRS = frozenset(
    """T all any argmax argmin argsort astype clip copy cumprod cumsum diagonal dot dtype fill flatten
    imag item max mean min ndim nonzero prod ptp ravel real reshape round shape size sort squeeze
    std sum swapaxes tolist trace transpose var""".split()
)
_SCALAR_ATTRS = frozenset("astype dtype imag item real shape size ndim tolist conjugate is_integer".split())
_ATTRS_BY_TYPE: dict[type, frozenset[str]] = {
    np.ndarray: _ARRAY_ATTRS,
    float: frozenset("real imag conjugate is_integer".split()),
    int: frozenset("real imag conjugate bit_length".split()),
    bool: frozenset("real imag".split()),
    complex: frozenset("real imag conjugate".split()),
    list: frozenset("append extend insert pop remove reverse sort index count copy clear".split()),
    tuple: frozenset("index count".split()),
    dict: frozenset("get keys values items copy pop setdefault update clear".split()),
    set: frozenset("add discard remove pop union intersection difference copy clear".split()),
    str: frozenset("lower upper strip startswith endswith split".split()),
}
_DTYPE_ATTRS = frozenset("name kind itemsize".split())


def _getattr_(obj: Any, name: str, *default: Any) -> Any:
    t = type(obj)
    if t in _PROXY_TYPES:
        return getattr(obj, name, *default)
    allowed = _ATTRS_BY_TYPE.get(t)
    if allowed is None:
        if isinstance(obj, np.generic):
            allowed = _SCALAR_ATTRS
        elif isinstance(obj, np.dtype):
            allowed = _DTYPE_ATTRS
    if allowed is not None and name in allowed:
        return getattr(obj, name)
    raise AttributeError(f"attribute '{name}' of {t.__name__} objects is not available to a prior")


_EXCEPTIONS = (
    "ArithmeticError AssertionError AttributeError Exception FloatingPointError IndexError KeyError "
    "LookupError NameError NotImplementedError OverflowError RuntimeError StopIteration TypeError "
    "ValueError ZeroDivisionError"
).split()
_BUILTINS = (
    "abs all any bool callable chr complex dict divmod enumerate filter float frozenset int isinstance "
    "len list map max min next ord repr reversed round set slice sorted str tuple zip"
).split()


def _make_builtins() -> dict[str, Any]:
    import builtins

    table = {name: getattr(builtins, name) for name in _BUILTINS + _EXCEPTIONS}
    table.update(__import__=_import_, range=_safe_range, sum=_safe_sum, pow=_safe_pow)
    return table


_SAFE_BUILTINS = _make_builtins()


# --------------------------------------------------------------------------------------------
# Compile, load, call
# --------------------------------------------------------------------------------------------

_LINE_RE = re.compile(r"^Line (\d+): (.*)$", re.S)


def _source_lines(exc: BaseException, filename: str) -> int | None:
    """The last line of ``filename`` in ``exc``'s traceback."""
    lineno = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            lineno = tb.tb_lineno
        tb = tb.tb_next
    return lineno


def compile_policy(source: str, filename: str = "<policy>") -> types.CodeType:
    """Compile prior source under the sandbox rules; raise :class:`PolicyRejected` on refusal."""
    if not isinstance(source, str):
        raise TypeError(f"policy source must be a str, got {type(source).__name__}")
    if len(source) > 200_000:
        raise PolicyRejected(f"the source is {len(source)} characters long (limit 200000)", filename=filename)
    try:
        result = compile_restricted_exec(source, filename=filename, policy=_PolicyTransformer)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:  # deeply nested or odd source
        raise PolicyRejected(f"cannot be compiled: {exc}", filename=filename) from None
    if result.errors:
        match = _LINE_RE.match(result.errors[0])
        lineno, reason = (int(match[1]), match[2]) if match else (None, result.errors[0])
        reason = reason.rstrip(".")
        more = f" (and {len(result.errors) - 1} more problems)" if len(result.errors) > 1 else ""
        raise PolicyRejected(reason + more, lineno=lineno, filename=filename)
    return result.code


def _new_globals(budget: _Budget) -> dict[str, Any]:
    return {
        "__builtins__": dict(_SAFE_BUILTINS),
        "__name__": "prior_policy",
        "_getattr_": _getattr_,
        "_getiter_": _make_getiter(budget),
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_write_": _write_,
        "_inplacevar_": _inplacevar_,
        "_print_": _PrintSink,
        "_tick_": budget.tick,
        "_add_": _add_,
        "_mul_": _mul_,
        "_pow_": _pow_,
        "_lshift_": _lshift_,
        "_mod_": _mod_,
    }


def _make_getiter(budget: _Budget) -> Callable[[Any], Any]:
    tick = budget.tick

    def counted(iterator: Any) -> Any:
        for item in iterator:
            tick()
            yield item

    def getiter(obj: Any) -> Any:
        try:
            n = len(obj)
        except Exception:
            n = None
        if n is not None and n <= 64:
            tick(n)  # short loops, the usual case in a prior: one charge, no per-item cost
            return iter(obj)
        return counted(iter(obj))  # long ones tick per item, so the clock is read as they run

    return getiter


class SandboxedPolicy:
    """A prior loaded through the sandbox; call it like ``policy(obs)``.

    Each call runs on a copy of ``obs`` under a fresh budget and raises
    :class:`BudgetExceeded` (or whatever the prior raised) on failure. With
    ``action_shape``/``action_dtype`` the output is checked and converted by
    :func:`as_action` (``ValueError`` if it is not a finite array of that shape); without
    them it is returned as produced.
    """

    def __init__(
        self,
        source: str,
        filename: str = "<policy>",
        *,
        max_iterations: int = DEFAULT_MAX_ITERATIONS,
        call_seconds: float = DEFAULT_CALL_SECONDS,
        load_iterations: int | None = None,
        load_seconds: float = 5.0,
        action_shape: tuple[int, ...] | None = None,
        action_dtype: Any = None,
    ):
        self.source = source
        self.action_shape = None if action_shape is None else tuple(action_shape)
        self.action_dtype = None if action_dtype is None else np.dtype(action_dtype)
        self.filename = filename
        self.sha256 = hashlib.sha256(source.encode()).hexdigest()
        self.max_iterations = max_iterations
        self.call_seconds = call_seconds
        code = compile_policy(source, filename)
        self._budget = _Budget(load_iterations or 10 * max_iterations, load_seconds)
        namespace = _new_globals(self._budget)
        try:
            exec(code, namespace)
        except Exception as exc:
            reason = f"running the module failed: {type(exc).__name__}: {exc}"
            raise PolicyRejected(reason, lineno=_source_lines(exc, filename), filename=filename) from None
        fn = namespace.get("policy")
        if fn is None:
            raise PolicyRejected("the module defines no function named `policy`", filename=filename)
        if not isinstance(fn, types.FunctionType):
            raise PolicyRejected(f"`policy` is a {type(fn).__name__}, not a function", filename=filename)
        self._fn = fn
        self._budget.max_iterations, self._budget.seconds = max_iterations, call_seconds

    def __call__(self, obs: Any) -> Any:
        budget = self._budget
        budget.start()
        out = self._fn(obs.copy() if type(obs) is np.ndarray else np.array(obs))
        if budget.exceeded:  # the prior caught BudgetExceeded and went on
            raise BudgetExceeded(budget.exceeded)
        if self.action_shape is None:
            return out
        return as_action(out, self.action_shape, self.action_dtype or np.float64)

    def __reduce__(self) -> tuple[Any, ...]:
        # Re-compiled from source in the receiving process (e.g. an AsyncVectorEnv worker).
        limits = (self.max_iterations, self.call_seconds, self.action_shape, self.action_dtype)
        return (_restore, (self.source, self.filename, *limits))

    def __repr__(self) -> str:
        return f"SandboxedPolicy({self.filename!r}, sha256={self.sha256[:12]})"


def _restore(source: str, filename: str, max_iterations: int, call_seconds: float, shape: Any, dtype: Any) -> SandboxedPolicy:
    return SandboxedPolicy(
        source, filename, max_iterations=max_iterations, call_seconds=call_seconds, action_shape=shape, action_dtype=dtype
    )


def as_action(out: Any, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """Check a prior's output and return it as a fresh array of ``shape`` and ``dtype``.

    Accepts anything array-like with exactly ``prod(shape)`` elements whose extra
    dimensions have length 1 (``[[a, b, c]]`` for shape ``(3,)``).

    Raises:
        ValueError: wrong shape, non-numeric or non-finite output.
    """
    try:
        if type(out) is np.ndarray and out.shape == shape:  # the common case, kept cheap
            arr = out.astype(dtype)
        else:
            arr = np.array(out, dtype=dtype, copy=True)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValueError(f"the prior returned {type(out).__name__}, not numbers: {exc}") from None
    if arr.shape != shape:
        if arr.size != math.prod(shape) or arr.size == 0:
            raise ValueError(f"the prior returned an action of shape {arr.shape}, expected {shape}")
        arr = arr.reshape(shape)
    # one dot product propagates any NaN/Inf; only if it is not finite (or overflowed) look closer
    flat = arr if arr.ndim == 1 else arr.reshape(-1)
    if not math.isfinite(flat.dot(flat)) and not np.isfinite(flat).all():
        raise ValueError(f"the prior returned non-finite values: {arr.tolist()}")
    return arr


def _read_source(path_or_source: str | os.PathLike[str]) -> tuple[str, str]:
    """``(source, filename)``: a path is read; a string with a newline or ``def`` is source."""
    if isinstance(path_or_source, os.PathLike) or (
        isinstance(path_or_source, str) and "\n" not in path_or_source and "def " not in path_or_source
    ):
        path = Path(path_or_source)
        if not path.is_file():
            raise FileNotFoundError(
                f"prior policy file '{path}' does not exist; pass the path of a .py file defining "
                f"policy(obs), or the source code itself"
            )
        return path.read_text(encoding="utf-8"), str(path)
    if not isinstance(path_or_source, str):
        raise TypeError(f"load_policy takes a path or source code, got {type(path_or_source).__name__}")
    return path_or_source, "<policy>"


def load_policy(
    path_or_source: str | os.PathLike[str],
    *,
    env: Any = None,
    observation_space: Any = None,
    action_space: Any = None,
    trial: bool = True,
    trial_seconds: float = 20.0,
    memory_limit: int = 2 * 1024**3,
    max_iterations: int = DEFAULT_MAX_ITERATIONS,
    call_seconds: float = DEFAULT_CALL_SECONDS,
) -> SandboxedPolicy:
    """Load an untrusted prior (a file path or source code) through the sandbox.

    Args:
        path_or_source: path of a ``.py`` file, or its source code.
        env: the target environment; the trial runs the prior on real observations of a
            fresh copy of it (made from ``env.spec``) and checks the outputs against its
            action space. Without it, ``observation_space``/``action_space`` are used.
        observation_space: used when ``env`` is not given: the trial samples observations.
        action_space: the Box that outputs are checked against.
        trial: run the child-process trial before loading into this process.
        trial_seconds: wall-clock limit of the trial (CPU time is limited alike).
        memory_limit: address-space limit of the trial process, in bytes.
        max_iterations: per-call budget of loop iterations plus function calls.
        call_seconds: per-call wall-clock limit, checked inside loops and calls.

    Returns:
        a :class:`SandboxedPolicy`, called as ``policy(obs)``; with an action space (or
        ``env``) each call returns a checked array of its shape and dtype.

    Raises:
        PolicyRejected: the prior is unsafe, broken, or breaks the output contract.
        FileNotFoundError: ``path_or_source`` names a file that does not exist.

    Example:
        >>> import numpy as np
        >>> from camel_gym import load_policy
        >>> policy = load_policy("import numpy as np\\ndef policy(obs):\\n    return -np.clip(obs, -1, 1)\\n",
        ...                      trial=False)
        >>> policy(np.array([0.5, 2.0]))
        array([-0.5, -1. ])
    """
    source, filename = _read_source(path_or_source)
    compile_policy(source, filename)  # cheap refusals first, before starting a process
    if trial:
        from camel_gym.trial import run_trial

        run_trial(
            source,
            filename,
            env=env,
            observation_space=observation_space,
            action_space=action_space,
            seconds=trial_seconds,
            memory_limit=memory_limit,
            max_iterations=max_iterations,
            call_seconds=call_seconds,
        )
    if action_space is None and env is not None:
        action_space = env.action_space
    return SandboxedPolicy(
        source,
        filename,
        max_iterations=max_iterations,
        call_seconds=call_seconds,
        action_shape=getattr(action_space, "shape", None),
        action_dtype=getattr(action_space, "dtype", None),
    )
