"""The guards a prior's code runs under: the compile-time transformer and the run-time checks.

:class:`PolicyTransformer` compiles a prior with RestrictedPython's rules plus ours (the
imports, names and statements :mod:`camel_gym.sandbox.rules` allows) and instruments it:
every loop iteration and function call ticks a per-call :class:`Budget`, and ``*``, ``**``,
``<<``, ``%`` and ``+`` go through guards that refuse to build huge strings, lists or
integers, unless :mod:`camel_gym.sandbox.static_types` proves an operand numeric (then the
operation can do neither). :func:`runtime_hooks` hands the guards to the compiled code under
the names RestrictedPython calls them by.
"""

from __future__ import annotations

import ast
import copy
import itertools
import operator
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from RestrictedPython import RestrictingNodeTransformer
from RestrictedPython.transformer import INSPECT_ATTRIBUTES
from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence

from camel_gym.sandbox.errors import BudgetExceeded
from camel_gym.sandbox.rules import (
    ALLOWED_IMPORTS,
    BUILTIN_NAMES,
    EXCEPTION_NAMES,
    FORBIDDEN_NAMES,
    GUARDED_BUILTIN_NAMES,
    MAX_ELEMENTS,
    MAX_INT_BITS,
    NON_NUMERIC_KINDS,
)
from camel_gym.sandbox.static_types import StaticTypes

__all__ = ["Budget", "PolicyTransformer", "runtime_hooks", "safe_pow", "safe_range", "safe_sum", "too_big"]

# ---- compile time ----------------------------------------------------------------------------

_GUARDED_BINOPS = {ast.Add: "_add_", ast.Mult: "_mul_", ast.Pow: "_pow_", ast.LShift: "_lshift_", ast.Mod: "_mod_"}
# `x op= v` on a name proved numeric becomes `x = x op v`: the same for immutable values
_PLAIN_AUGMENTED = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)
_PRIOR_BUILTINS = frozenset(BUILTIN_NAMES + GUARDED_BUILTIN_NAMES + EXCEPTION_NAMES)


def _call(name: str, args: list[ast.expr], like: ast.AST) -> ast.Call:
    node = ast.Call(func=ast.Name(name, ast.Load()), args=args, keywords=[])
    return ast.fix_missing_locations(ast.copy_location(node, like))


def _tick_statement(like: ast.AST) -> ast.Expr:
    return ast.fix_missing_locations(ast.copy_location(ast.Expr(_call("_tick_", [], like)), like))


class PolicyTransformer(RestrictingNodeTransformer):
    """RestrictedPython's rules plus ours, and the instrumentation for the per-call budget.

    Operations whose operands :class:`~camel_gym.sandbox.static_types.StaticTypes` proves
    harmless skip their guard: arithmetic with a numeric operand, and attribute reads of the
    ``math``/``numpy`` proxies (read-only objects that expose only the allow-list).
    """

    types: StaticTypes | None = None

    def visit_Module(self, node: ast.Module) -> ast.AST:
        self.types = StaticTypes(node, _PRIOR_BUILTINS)
        return super().visit_Module(node)

    def _numeric(self, node: ast.AST) -> bool:
        return self.types is not None and self.types.numeric(node)

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
        guard = _GUARDED_BINOPS.get(type(node.op))
        # judged on the operands as written, before the transformer rewrites them
        if guard in ("_mul_", "_add_", "_pow_"):
            unguarded = self._numeric(node.left) or self._numeric(node.right)
            if guard == "_add_" and self.types is not None:  # `i + 1`, `x + 1`: an int can't concatenate
                unguarded = unguarded or self.types.integer(node.left) or self.types.integer(node.right)
        else:
            unguarded = guard == "_mod_" and self._numeric(node.left)  # `"%s" % x` formats
        node = super().visit_BinOp(node)
        if guard is None or unguarded:
            return node
        return _call(guard, [node.left, node.right], node)

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        name = node.attr
        if (
            isinstance(node.ctx, ast.Load) and self.types is not None and self.types.module_of(node.value)
            and not name.startswith("_") and not name.endswith("__roles__") and name not in INSPECT_ATTRIBUTES
        ):
            return self.node_contents_visit(node)  # `math.sin`: a proxy member or AttributeError
        return super().visit_Attribute(node)

    def visit_Assign(self, node: ast.Assign) -> ast.AST:
        [target] = node.targets if len(node.targets) == 1 else [None]
        if (
            isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple)
            and len(target.elts) == len(node.value.elts)
            and all(isinstance(e, ast.Name) for e in target.elts)
            and not any(isinstance(e, ast.Starred) for e in node.value.elts)
        ):
            # `a, b = x, y` unpacks a tuple built right there: no iterator of the prior's runs
            return self.node_contents_visit(node)
        return super().visit_Assign(node)

    def guard_iter(self, node: ast.For | ast.comprehension) -> ast.AST:
        if self.types is not None and self.types.builtin_call(node.iter, "range") and isinstance(node.target, ast.Name):
            # `for i in range(n)`: one hook that checks the size and charges the budget
            node = self.node_contents_visit(node)
            call = node.iter
            if not call.keywords and not any(isinstance(a, ast.Starred) for a in call.args):
                node.iter = _call("_range_", call.args, call)
                return node
            node.iter = _call("_getiter_", [call], call)
            return node
        return super().guard_iter(node)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        plain_sum = (
            self.types is not None and self.types.builtin_call(node, "sum")
            and len(node.args) == 1 and not node.keywords and not isinstance(node.args[0], ast.Starred)
        )
        node = super().visit_Call(node)
        if plain_sum:  # `sum(xs)` starts at 0, which concatenates nothing: the builtin itself
            node.func = ast.copy_location(ast.Name("_sum_", ast.Load()), node.func)
        return node

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        # Item access can't reach anything an allow-listed object doesn't already expose
        # (no dunders, no proxies with __getitem__), so `obs[2:5]` stays a plain subscript
        # instead of a guard call: priors index a lot, and this is their hot path.
        return self.node_contents_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        target = node.target
        if (
            isinstance(target, ast.Name) and isinstance(node.op, _PLAIN_AUGMENTED)
            and self.types is not None and target.id in self.types.numeric_names
        ):
            value = ast.BinOp(ast.Name(target.id, ast.Load()), node.op, node.value)
            assign = ast.Assign(targets=[target], value=value)
            return self.visit(ast.fix_missing_locations(ast.copy_location(assign, node)))
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
    """Per-call budget; one comparison on the fast path, a clock read every 64 ticks.

    :attr:`call_tick` is the ``_tick_`` that function entries and ``while`` passes call: a C
    iterator's ``__next__`` that hands out ticks charged in blocks of 64, so the hottest hook
    runs no Python code 63 times in 64.
    """

    __slots__ = ("max_iterations", "seconds", "left", "check_at", "deadline", "exceeded", "call_tick")

    def __init__(self, max_iterations: int, seconds: float):
        self.max_iterations = max_iterations
        self.seconds = seconds
        self.call_tick = itertools.chain.from_iterable(map(self._charge, itertools.repeat(64))).__next__
        self.start()

    def start(self) -> None:
        self.left = self.max_iterations
        self.check_at = self.max_iterations - 64
        self.deadline = 0.0  # set at the first check: a call that ticks < 64 times reads no clock
        self.exceeded = ""

    def _charge(self, n: int) -> Any:
        # The chain stops drawing from a source that raised, so an exceeded budget hands out a
        # block that raises instead, for as long as this call lasts (a prior may catch one).
        try:
            self.tick(n)
        except BudgetExceeded:
            return map(self._refuse, itertools.repeat(None))
        return itertools.repeat(None, n)

    def _refuse(self, _: Any) -> None:
        if self.exceeded:
            raise BudgetExceeded(self.exceeded)
        raise StopIteration  # start() has run since: on to a fresh block

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


def _make_iteration_hooks(budget: Budget) -> tuple[Callable[[Any], Any], Callable[..., Any]]:
    """``_getiter_``, which charges a loop's iterations to the budget, and ``_range_``, the
    same for ``for i in range(...)`` with the size check of :func:`safe_range`, in one call."""
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

    def ranged(*args: int) -> Any:
        r = safe_range(*args)
        if len(r) <= 64:
            tick(len(r))
            return r
        return counted(iter(r))

    return getiter, ranged


# ---- run time: sizes and operators -----------------------------------------------------------


def too_big(what: str, n: Any) -> ValueError:
    """The error for ``what`` of ``n`` elements, over :data:`~camel_gym.sandbox.rules.MAX_ELEMENTS`."""
    return ValueError(f"{what} of {n} elements is over the prior's limit of {MAX_ELEMENTS}")


_SEQUENCES = (str, list, tuple, bytes)  # by isinstance: numpy's str_ and bytes_ repeat too


def _repeat_count(n: Any) -> int | None:
    """How many times ``seq * n`` would repeat ``seq``: ints, bools and NumPy integers alike."""
    if type(n) is int:
        return n
    try:
        return operator.index(n)
    except TypeError:
        return None


def _check_numeric_array(x: Any) -> None:
    # Arithmetic on an object array runs Python's operators element by element, out of the
    # guards' sight (a list in it would repeat); a prior gets numeric arrays only.
    if type(x) is np.ndarray and x.dtype.kind in NON_NUMERIC_KINDS:
        raise TypeError(f"arithmetic on an array of dtype {x.dtype} is not available to a prior (numeric arrays only)")


def _check_int_bits(bits: int) -> None:
    if bits > MAX_INT_BITS:
        raise ValueError(f"an integer of ~{bits} bits is over the prior's limit of {MAX_INT_BITS} bits")


def _mul_(a: Any, b: Any) -> Any:
    ta, tb = type(a), type(b)
    # float * anything can neither repeat a sequence (TypeError) nor grow an int: return at
    # once. Most products never get here: the transformer leaves those it proves numeric plain.
    if ta is float or tb is float:
        return a * b
    if isinstance(a, _SEQUENCES) or isinstance(b, _SEQUENCES):
        seq, n = (a, b) if isinstance(a, _SEQUENCES) else (b, a)
        count = _repeat_count(n)
        if count is not None and len(seq) * count > MAX_ELEMENTS:
            raise too_big("a repeated sequence", len(seq) * count)
    elif ta is int and tb is int:
        _check_int_bits(a.bit_length() + b.bit_length())
    else:
        _check_numeric_array(a)
        _check_numeric_array(b)
    return a * b


def _add_(a: Any, b: Any) -> Any:
    if isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES) and len(a) + len(b) > MAX_ELEMENTS:
        raise too_big("a concatenated sequence", len(a) + len(b))
    _check_numeric_array(a)
    _check_numeric_array(b)
    return a + b


def _pow_(a: Any, b: Any) -> Any:
    _check_numeric_array(a)
    if type(a) is int and type(b) is int and b > 0 and abs(a) > 1:
        _check_int_bits(a.bit_length() * b)
    return a**b


def _lshift_(a: Any, b: Any) -> Any:
    _check_numeric_array(a)
    if type(a) is int and type(b) is int:
        _check_int_bits(a.bit_length() + b)
    return a << b


def _mod_(a: Any, b: Any) -> Any:
    if isinstance(a, (str, bytes)):
        raise TypeError("%-formatting of strings is not available to a prior")
    _check_numeric_array(a)
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
    getiter, ranged = _make_iteration_hooks(budget)
    return {
        "_getiter_": getiter,
        "_range_": ranged,
        "_sum_": sum,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_write_": _write_,
        "_inplacevar_": _inplacevar_,
        "_print_": _PrintSink,
        "_tick_": budget.call_tick,
        "_add_": _add_,
        "_mul_": _mul_,
        "_pow_": _pow_,
        "_lshift_": _lshift_,
        "_mod_": _mod_,
    }
