"""What the compiler can prove about a prior's values, so that a guard may be left out.

A controller spends most of its time on ``kp * (target - x) + kd * v``: products and sums of
floats, each routed through a guard that exists only to stop ``[0] * 10**12`` or a string
doubled in a loop. :class:`StaticTypes` reads the whole module once, before the transformer
runs, and proves for some expressions that their value is *numeric*: a Python float,
complex or ``None``, a NumPy scalar or array produced by arithmetic with one of those, or an
error. Arithmetic with a numeric operand can repeat no sequence, concatenate none and grow
no integer (a float has no ``__index__``, and NumPy computes element by element), so
:class:`~camel_gym.sandbox.guards.PolicyTransformer` leaves ``*``, ``+`` and ``**`` with a
numeric operand unguarded and calls attributes of the ``math``/``numpy`` module proxies
directly.

The proofs are flow-insensitive and ignore scopes, so they stay simple enough to check by
eye: a *name* is numeric only if **every** binding of that name anywhere in the module (any
function, comprehension or loop) stores a numeric expression, and it is not a builtin's
name. Any other binding (a parameter, a loop target, an import, ``except ... as``, ``with
... as``, ``del``, a match capture) disqualifies it. Greatest fixed points make this work for
names defined in terms of each other (``x = x * 0.5``): by induction over the run, each value
ever stored was computed while every numeric name held a numeric value or was unbound.

Numeric expressions:
 * float and complex literals; ``float(...)``, ``complex(...)``;
 * ``math.f(...)`` for the float-valued ``math`` functions, and ``math.pi``, ``np.inf``,
   ... (``math``/``np`` bound only by ``import``);
 * ``-e``, ``+e``, ``abs(e)``, ``min``/``max`` of numeric arguments, ``a if c else b``;
 * ``a OP b`` with a numeric operand for ``+ - * / // **`` (``%`` only with a numeric left
   operand: ``"%s" % x`` formats a string);
 * numeric names, ``T[i]`` for a name only ever bound to a tuple literal of numeric items
   and an index that is not a slice (an int literal, or a name only bound by ``for i in
   range(...)`` or to int expressions);
 * ``f(a, b, ...)`` for a function defined once, without decorators, defaults or
   ``*args``/keywords, whose every ``return`` gives a numeric expression, ``None``, or one
   of its parameters (never rebound in it), when the arguments in those positions are
   numeric: the ``clip(x, lo, hi)`` helper every controller writes.

Builtins are looked up only if their name has no binding in the module.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

__all__ = ["MATH_FLOAT_FUNCTIONS", "StaticTypes"]

#: ``math`` functions whose result is a float for any argument they accept.
MATH_FLOAT_FUNCTIONS = frozenset(
    """acos acosh asin asinh atan atan2 atanh cbrt copysign cos cosh degrees dist erf erfc exp exp2
    expm1 fabs fmod fsum gamma hypot lgamma log log10 log1p log2 pow radians remainder sin sinh sqrt
    tan tanh""".split()
)
#: Float constants of the ``math`` and ``numpy`` modules.
FLOAT_CONSTANTS = {"math": frozenset({"pi", "e", "tau", "inf", "nan"}), "numpy": frozenset({"pi", "e", "inf", "nan"})}

_NUMERIC_BINOPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Pow)
_INT_BINOPS = (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Mod)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


@dataclass
class _Function:
    params: list[str]
    #: per ``return``: ("param", index), ("expr", node) or ("none", None)
    returns: list[tuple[str, object]] = field(default_factory=list)


class StaticTypes:
    """The facts proved about one module; see the module docstring for the rules."""

    def __init__(self, module: ast.Module, builtin_names: frozenset[str] | set[str]):
        self._builtins = frozenset(builtin_names)
        self._bound: set[str] = set()  # every name with a binding of any kind
        self._other: set[str] = set()  # names with a binding that proves nothing
        # name -> the expressions it is bound to (augmented assignments as BinOps)
        self._assigned: dict[str, list[ast.expr]] = {}
        self._tuples: dict[str, list[ast.expr]] = {}
        self._range_loops: set[str] = set()
        self._imports: dict[str, set[str]] = {}
        self._defs: dict[str, list[ast.FunctionDef]] = {}
        self._collect(module)
        #: name -> "math" / "numpy" / "numpy.linalg": names bound only by importing that module
        self.modules = {
            name: next(iter(mods))
            for name, mods in self._imports.items()
            if len(mods) == 1 and name not in self._other and name not in self._assigned
            and name not in self._tuples and name not in self._range_loops and name not in self._defs
        }
        self._solve()

    # ---- collecting bindings -----------------------------------------------------------------

    def _collect(self, module: ast.Module) -> None:
        claimed: set[int] = set()  # binding nodes accounted for here; any other binding proves nothing
        for node in ast.walk(module):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    self._collect_assign(target, node.value, claimed)
            elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and isinstance(node.target, ast.Name):
                if node.value is not None:
                    self._assigned.setdefault(node.target.id, []).append(node.value)
                    claimed.add(id(node.target))
            elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
                load = ast.Name(node.target.id, ast.Load())
                self._assigned.setdefault(node.target.id, []).append(ast.BinOp(load, node.op, node.value))
                claimed.add(id(node.target))
            elif isinstance(node, (ast.For, ast.comprehension)) and isinstance(node.target, ast.Name):
                if self.builtin_call(node.iter, "range", deferred=True):
                    self._range_loops.add(node.target.id)
                    claimed.add(id(node.target))
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    if isinstance(node, ast.Import):
                        module_name = alias.name if alias.asname else alias.name.partition(".")[0]
                    elif node.module == "numpy" and alias.name == "linalg" and not node.level:
                        module_name = "numpy.linalg"
                    else:
                        continue
                    self._imports.setdefault(_names_bound_by(alias)[0], set()).add(module_name)
                    claimed.add(id(alias))
            elif isinstance(node, ast.FunctionDef):
                self._defs.setdefault(node.name, []).append(node)
                claimed.add(id(node))
        for node in ast.walk(module):
            if isinstance(node, (ast.Global, ast.Nonlocal)):
                continue  # the proofs ignore scopes, so redirecting a binding changes nothing
            for name in _names_bound_by(node):
                self._bound.add(name)
                if id(node) not in claimed:
                    self._other.add(name)

    def _collect_assign(self, target: ast.expr, value: ast.expr, claimed: set[int]) -> None:
        if isinstance(target, ast.Name):
            claimed.add(id(target))
            self._assigned.setdefault(target.id, []).append(value)
            if isinstance(value, ast.Tuple) and not any(isinstance(e, ast.Starred) for e in value.elts):
                self._tuples.setdefault(target.id, []).append(value)
        elif (
            isinstance(target, (ast.Tuple, ast.List))
            and isinstance(value, (ast.Tuple, ast.List))
            and len(target.elts) == len(value.elts)
            and not any(isinstance(e, ast.Starred) for e in (*target.elts, *value.elts))
        ):
            for t, v in zip(target.elts, value.elts):
                self._collect_assign(t, v, claimed)

    # ---- solving: greatest fixed points -----------------------------------------------------

    def _solve(self) -> None:
        if "range" in self._bound:  # `for i in range(...)` proves nothing about i then
            self._other |= self._range_loops
        plain = {
            n for n in self._assigned
            if n not in self._other and n not in self._builtins and n not in self._defs and n not in self._imports
        }
        #: names proved numeric
        self.numeric_names = {n for n in plain if n not in self._range_loops}
        #: names proved to hold a tuple of numeric items
        self.tuple_names = {n for n in self.numeric_names if len(self._tuples.get(n, ())) == len(self._assigned[n])}
        #: names proved to hold a tuple of ints
        self.int_tuple_names = {n for n in plain if len(self._tuples.get(n, ())) == len(self._assigned[n])}
        #: names proved to hold an int
        self.int_names = plain | {
            n for n in self._range_loops
            if n not in self._other and n not in self._builtins and n not in self._defs and n not in self._imports
        }
        self.functions: dict[str, _Function] = {}
        for name, defs in self._defs.items():
            summary = self._summarize(defs)
            if summary is not None and name not in self._other and name not in self._builtins:
                self.functions[name] = summary
        changed = True
        while changed:
            before = self._sizes()
            self.numeric_names = {n for n in self.numeric_names if all(self.numeric(v) for v in self._assigned[n])}
            self.tuple_names = {
                n for n in self.tuple_names if all(self.numeric(e) for t in self._tuples[n] for e in t.elts)
            }
            self.int_names = {n for n in self.int_names if all(self.integer(v) for v in self._assigned.get(n, ()))}
            self.functions = {
                name: fn for name, fn in self.functions.items()
                if all(kind != "expr" or self.numeric(what) for kind, what in fn.returns)  # type: ignore[arg-type]
            }
            self.int_tuple_names = {
                n for n in self.int_tuple_names if all(self.integer(e) for t in self._tuples[n] for e in t.elts)
            }
            changed = before != self._sizes()

    def _sizes(self) -> tuple[int, ...]:
        return tuple(map(len, (self.numeric_names, self.tuple_names, self.int_names, self.int_tuple_names, self.functions)))

    def _summarize(self, defs: list[ast.FunctionDef]) -> _Function | None:
        if len(defs) != 1:
            return None
        fn = defs[0]
        a = fn.args
        if fn.decorator_list or a.vararg or a.kwarg or a.kwonlyargs or a.defaults or a.kw_defaults:
            return None
        params = [p.arg for p in (*a.posonlyargs, *a.args)]
        summary = _Function(params)
        for node in ast.walk(fn):
            if isinstance(node, (ast.Yield, ast.YieldFrom, ast.Await)):
                return None
        own = {id(p) for p in (*a.posonlyargs, *a.args)}
        rebound = {name for node in ast.walk(fn) if id(node) not in own for name in _names_bound_by(node)}
        for node in _walk_own_body(fn):
            if isinstance(node, ast.Return):
                if node.value is None or (isinstance(node.value, ast.Constant) and node.value.value is None):
                    summary.returns.append(("none", None))
                elif isinstance(node.value, ast.Name) and node.value.id in params and node.value.id not in rebound:
                    summary.returns.append(("param", params.index(node.value.id)))
                else:
                    summary.returns.append(("expr", node.value))
        return summary

    # ---- the judgements ---------------------------------------------------------------------

    def builtin_call(self, node: ast.AST, name: str, *, deferred: bool = False) -> bool:
        """Whether ``node`` calls the builtin ``name`` (a name with no binding in the module)."""
        # ``deferred``: called while collecting, before every binding is known; _solve re-checks
        return (
            isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name
            and name in self._builtins and (deferred or name not in self._bound)
        )

    def module_of(self, node: ast.AST) -> str | None:
        """The module (``"math"``, ``"numpy"``, ``"numpy.linalg"``) a name expression is
        proved to hold the sandbox's proxy of, or None."""
        return self.modules.get(node.id) if isinstance(node, ast.Name) else None

    def numeric(self, node: ast.AST) -> bool:
        """Whether ``node``'s value is proved numeric (see the module docstring)."""
        if isinstance(node, ast.Constant):
            return type(node.value) in (float, complex) or node.value is None
        if isinstance(node, ast.Name):
            return node.id in self.numeric_names
        if isinstance(node, ast.UnaryOp):
            return isinstance(node.op, (ast.USub, ast.UAdd)) and self.numeric(node.operand)
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, _NUMERIC_BINOPS):
                return self.numeric(node.left) or self.numeric(node.right)
            return isinstance(node.op, ast.Mod) and self.numeric(node.left)
        if isinstance(node, ast.IfExp):
            return self.numeric(node.body) and self.numeric(node.orelse)
        if isinstance(node, ast.Attribute):
            module = self.module_of(node.value)
            return module in FLOAT_CONSTANTS and node.attr in FLOAT_CONSTANTS[module]
        if isinstance(node, ast.Subscript):
            return (
                isinstance(node.value, ast.Name) and node.value.id in self.tuple_names
                and not isinstance(node.slice, ast.Slice) and (self.integer(node.slice) or self.numeric(node.slice))
            )
        if isinstance(node, ast.Call):
            return self._numeric_call(node)
        return False

    def _numeric_call(self, node: ast.Call) -> bool:
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            return False
        if self.builtin_call(node, "float") or self.builtin_call(node, "complex"):
            return True
        if self.builtin_call(node, "abs"):
            return len(node.args) == 1 and self.numeric(node.args[0])
        if self.builtin_call(node, "min") or self.builtin_call(node, "max"):
            return len(node.args) >= 2 and all(self.numeric(a) for a in node.args)
        func = node.func
        if isinstance(func, ast.Attribute):
            return self.module_of(func.value) == "math" and func.attr in MATH_FLOAT_FUNCTIONS
        if isinstance(func, ast.Name) and func.id in self.functions:
            fn = self.functions[func.id]
            if len(node.args) != len(fn.params):
                return False
            return all(kind != "param" or self.numeric(node.args[what]) for kind, what in fn.returns)  # type: ignore[index]
        return False

    def integer(self, node: ast.AST) -> bool:
        """Whether ``node`` is proved an int: as an index, not a slice; added, no concatenation."""
        if isinstance(node, ast.Constant):
            return type(node.value) is int
        if isinstance(node, ast.Name):
            return node.id in self.int_names
        if isinstance(node, ast.UnaryOp):
            return isinstance(node.op, ast.USub) and self.integer(node.operand)
        if isinstance(node, ast.BinOp):
            return isinstance(node.op, _INT_BINOPS) and self.integer(node.left) and self.integer(node.right)
        if isinstance(node, ast.Subscript):
            return (
                isinstance(node.value, ast.Name) and node.value.id in self.int_tuple_names
                and not isinstance(node.slice, ast.Slice) and self.integer(node.slice)
            )
        return self.builtin_call(node, "len") or self.builtin_call(node, "int")


def _names_bound_by(node: ast.AST) -> list[str]:
    """The names ``node`` itself binds (not its children), in any of Python's ways."""
    if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
        return [node.id]
    if isinstance(node, ast.arg):
        return [node.arg]
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, ast.alias):
        return [node.asname or node.name.partition(".")[0]]
    if isinstance(node, (ast.Global, ast.Nonlocal)):
        return list(node.names)
    if isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)):
        return [node.name] if node.name else []
    if isinstance(node, ast.MatchMapping):
        return [node.rest] if node.rest else []
    return []


def _walk_own_body(fn: ast.FunctionDef):
    """The nodes of ``fn``'s body, not descending into nested functions or lambdas."""
    stack: list[ast.AST] = list(fn.body)
    while stack:
        node = stack.pop()
        yield node
        stack.extend(c for c in ast.iter_child_nodes(node) if not isinstance(c, _SCOPES))
