"""The guards a prior's code runs under: the compile-time transformer and the run-time checks.

:class:`PolicyTransformer` compiles a prior with RestrictedPython's rules plus ours (the
imports, names and statements :mod:`camel_gym.sandbox.rules` allows) and instruments it:
every loop iteration and function call ticks a per-call :class:`Budget`, and ``*``, ``**``,
``<<``, ``%`` and ``+`` go through guards that refuse to build huge strings, lists or
integers. :func:`runtime_hooks` hands those guards to the compiled code under the names
RestrictedPython calls them by.
"""

from __future__ import annotations

import ast
import copy
import operator
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from RestrictedPython import RestrictingNodeTransformer
from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence

from camel_gym.sandbox.errors import BudgetExceeded
from camel_gym.sandbox.rules import ALLOWED_IMPORTS, FORBIDDEN_NAMES, MAX_ELEMENTS, MAX_INT_BITS

__all__ = ["Budget", "PolicyTransformer", "runtime_hooks", "safe_pow", "safe_range", "safe_sum", "too_big"]

# ---- compile time ----------------------------------------------------------------------------

_GUARDED_BINOPS = {ast.Add: "_add_", ast.Mult: "_mul_", ast.Pow: "_pow_", ast.LShift: "_lshift_", ast.Mod: "_mod_"}


def _is_float_constant(node: ast.AST) -> bool:
    """A float literal, signed or not: ``0.5``, ``-0.2``."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
    return isinstance(node, ast.Constant) and type(node.value) is float


def _is_float_product(node: ast.AST) -> bool:
    """``c * x`` or ``x * c`` for a float literal ``c``, already left unguarded: its value is a
    float, a NumPy array or scalar, or it raised, so it can repeat no sequence and grow no int."""
    return (
        isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult)
        and (_is_float_constant(node.left) or _is_float_constant(node.right))
    )


def _is_number_constant(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) in (int, float)


def _call(name: str, args: list[ast.expr], like: ast.AST) -> ast.Call:
    node = ast.Call(func=ast.Name(name, ast.Load()), args=args, keywords=[])
    return ast.fix_missing_locations(ast.copy_location(node, like))


def _tick_statement(like: ast.AST) -> ast.Expr:
    return ast.fix_missing_locations(ast.copy_location(ast.Expr(_call("_tick_", [], like)), like))


class PolicyTransformer(RestrictingNodeTransformer):
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
        if node.id in FORBIDDEN_NAMES:
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
        if guard == "_mul_" and (_is_float_product(left) or _is_float_product(right)):  # `-0.2 * c * w`
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


# ---- run time: the budget --------------------------------------------------------------------


class Budget:
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


def _make_getiter(budget: Budget) -> Callable[[Any], Any]:
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


# ---- run time: sizes and operators -----------------------------------------------------------


def too_big(what: str, n: Any) -> ValueError:
    """The error for ``what`` of ``n`` elements, over :data:`~camel_gym.sandbox.rules.MAX_ELEMENTS`."""
    return ValueError(f"{what} of {n} elements is over the prior's limit of {MAX_ELEMENTS}")


_SEQUENCES = frozenset({str, list, tuple, bytes})


def _check_int_bits(bits: int) -> None:
    if bits > MAX_INT_BITS:
        raise ValueError(f"an integer of ~{bits} bits is over the prior's limit of {MAX_INT_BITS} bits")


def _mul_(a: Any, b: Any) -> Any:
    ta, tb = type(a), type(b)
    # float * anything can neither repeat a sequence (TypeError) nor grow an int: return at
    # once. This is most of a controller's products (~120 a call in the Ant prior).
    if ta is float or tb is float:
        return a * b
    if ta in _SEQUENCES or tb in _SEQUENCES:
        seq, n = (a, b) if ta in _SEQUENCES else (b, a)
        if isinstance(n, int) and len(seq) * n > MAX_ELEMENTS:
            raise too_big("a repeated sequence", len(seq) * n)
    elif ta is int and tb is int:
        _check_int_bits(a.bit_length() + b.bit_length())
    return a * b


def _add_(a: Any, b: Any) -> Any:
    if type(a) in _SEQUENCES and type(b) in _SEQUENCES and len(a) + len(b) > MAX_ELEMENTS:
        raise too_big("a concatenated sequence", len(a) + len(b))
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


# ---- run time: guarded builtins --------------------------------------------------------------


def safe_range(*args: int) -> range:
    """``range`` that refuses more than ``MAX_ELEMENTS`` items."""
    r = range(*args)
    if len(r) > MAX_ELEMENTS:
        raise too_big("a range", len(r))
    return r


def safe_sum(iterable: Any, start: Any = 0) -> Any:
    """``sum`` with a numeric start only: a list or string start would concatenate unchecked."""
    if not isinstance(start, (int, float, complex, np.number, np.ndarray)):
        raise TypeError("sum() with a non-numeric start is not available to a prior")
    return sum(iterable, start)


def safe_pow(base: Any, exp: Any, mod: Any = None) -> Any:
    """``pow`` under the integer-size guard of ``**``."""
    return _pow_(base, exp) if mod is None else pow(base, exp, mod)


def runtime_hooks(budget: Budget) -> dict[str, Any]:
    """The guards compiled prior code calls, by the names RestrictedPython gives them.

    Attribute reads (``_getattr_``) and the builtins are not among them: they depend on the
    module proxies, see :mod:`camel_gym.sandbox.proxies`.
    """
    return {
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
