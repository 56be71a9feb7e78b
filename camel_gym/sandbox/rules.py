"""What a prior may use: the sandbox's allow-lists and limits, and the contract generated from them.

This module is the one home of the sandbox's rules. :mod:`camel_gym.sandbox.guards` enforces
the compile-time ones and the budget, :mod:`camel_gym.sandbox.proxies` builds the numpy, math
and builtins a prior sees from the lists here, and :func:`policy_contract` turns the same
lists into the "what your code may use" part of the LLM prompt, so the prompt and the sandbox
cannot drift apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "ALLOWED_IMPORTS",
    "DEFAULT_CALL_SECONDS",
    "DEFAULT_MAX_ITERATIONS",
    "MAX_ELEMENTS",
    "MAX_INT_BITS",
    "MAX_SOURCE_CHARS",
    "PolicyContract",
    "PolicyLimits",
    "policy_contract",
]

# ---- limits ----------------------------------------------------------------------------------

#: Largest array (in elements), string, list or range a prior may build in one step.
MAX_ELEMENTS = 1_000_000
#: Largest Python integer (in bits) a prior may build.
MAX_INT_BITS = 4096
#: Default per-call budget: loop iterations plus function calls.
DEFAULT_MAX_ITERATIONS = 100_000
#: Default per-call wall-clock safety net, checked inside loops and calls.
DEFAULT_CALL_SECONDS = 1.0
#: Longest prior source accepted, in characters.
MAX_SOURCE_CHARS = 200_000

# ---- imports ---------------------------------------------------------------------------------

#: Modules a prior may import (``import m``, ``import m as x``, ``from m import name``).
ALLOWED_IMPORTS = ("math", "numpy", "numpy.linalg")

#: Builtins refused at compile time, by name: I/O, reflection and dynamic code.
FORBIDDEN_NAMES = frozenset(
    "open eval exec compile globals locals vars dir getattr setattr delattr hasattr type object "
    "super input breakpoint help exit quit memoryview bytearray bytes classmethod staticmethod "
    "property id __import__ __builtins__ __loader__ __spec__ iter".split()
)

# ---- numpy and math --------------------------------------------------------------------------

#: numpy functions a prior gets unchanged.
NUMPY_FUNCTIONS = tuple(
    """
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
    """.split()
)
#: numpy constants and dtypes.
#: dtype kinds a prior's arrays may not have: object, bytes, str, void and NumPy 2's
#: StringDType. Python's operators run on their elements out of the guards' sight.
NON_NUMERIC_KINDS = frozenset("OSUVT")
NUMPY_CONSTANTS = tuple(
    "pi e inf nan newaxis float16 float32 float64 int8 int16 int32 int64 uint8 bool_ intp".split()
)
#: numpy constructors a prior gets with a check of the size they would allocate
#: (at most :data:`MAX_ELEMENTS`); ``empty``/``empty_like`` return zeros.
NUMPY_SIZE_CHECKED = tuple(
    """zeros ones empty full zeros_like ones_like empty_like full_like eye identity arange linspace
    tile repeat outer kron diag""".split()
)
#: ``numpy.linalg`` functions.
LINALG_NAMES = tuple("norm inv pinv solve det eig eigh eigvals svd lstsq matrix_rank cholesky qr".split())
#: ``math`` members (``pow`` is the float one, which overflows instead of growing); those that
#: this Python's ``math`` lacks (``cbrt``, ``exp2`` before 3.11) are left out.
MATH_NAMES = tuple(
    name
    for name in """
    acos acosh asin asinh atan atan2 atanh cbrt ceil copysign cos cosh degrees dist e erf erfc exp
    exp2 expm1 fabs floor fmod fsum gamma hypot inf isclose isfinite isinf isnan lgamma log log10
    log1p log2 nan pi pow radians remainder sin sinh sqrt tan tanh tau trunc
    """.split()
    if hasattr(math, name)
)

# ---- builtins --------------------------------------------------------------------------------

#: Builtins a prior gets unchanged.
BUILTIN_NAMES = tuple(
    "abs all any bool callable chr complex dict divmod enumerate filter float frozenset int isinstance "
    "len list map max min next ord repr reversed round set slice sorted str tuple zip".split()
)
#: Builtins a prior gets in a guarded form: ``range`` and ``pow`` refuse huge results, ``sum``
#: refuses a non-numeric start (which would concatenate lists or strings unchecked).
GUARDED_BUILTIN_NAMES = ("pow", "range", "sum")
#: Exceptions a prior may raise and catch.
EXCEPTION_NAMES = tuple(
    "ArithmeticError AssertionError AttributeError Exception FloatingPointError IndexError KeyError "
    "LookupError NameError NotImplementedError OverflowError RuntimeError StopIteration TypeError "
    "ValueError ZeroDivisionError".split()
)

# ---- attributes ------------------------------------------------------------------------------

#: ndarray attributes and methods a prior may read (no ``tofile``, ``dump``, ``ctypes``, ...);
#: those this numpy lacks (``ptp`` since numpy 2.0) are left out.
ARRAY_ATTRIBUTES = frozenset(
    name
    for name in """T all any argmax argmin argsort astype clip copy cumprod cumsum diagonal dot dtype fill
    flatten imag item max mean min ndim nonzero prod ptp ravel real reshape round shape size sort squeeze
    std sum swapaxes tolist trace transpose var""".split()
    if hasattr(np.ndarray, name)
)
#: numpy scalar attributes.
SCALAR_ATTRIBUTES = frozenset("astype dtype imag item real shape size ndim tolist conjugate is_integer".split())
#: numpy dtype attributes.
DTYPE_ATTRIBUTES = frozenset("name kind itemsize".split())
#: Attributes of the Python types a prior may read, by exact type.
ATTRIBUTES_BY_TYPE: dict[type, frozenset[str]] = {
    np.ndarray: ARRAY_ATTRIBUTES,
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

# ---- refusals an LLM can trip over -----------------------------------------------------------
# Each sentence names a rule enforced elsewhere (the place is in the comment); tests/test_sandbox.py
# holds programs for each sentence and checks that the sandbox refuses them, so a sentence cannot
# outlive its rule. Sentences that quote a list or a limit are built from it.

REFUSED = (
    # guards.PolicyTransformer.visit_Import/visit_ImportFrom; RestrictedPython refuses `*`
    "Imports other than the listed import statements (and `from math/numpy/numpy.linalg import "
    "<allowed name>`) are refused, as are `from ... import *` and relative imports.",
    # RestrictedPython's check_name and visit_Attribute
    "Names starting with an underscore are refused: variables, functions, arguments and "
    "attributes (`def _clip(x)`, `_gain = 2`, `obs.__class__`); use names like `clip_action`. "
    "A lone `_` is allowed.",
    # guards.PolicyTransformer.visit_ClassDef
    "Class definitions are refused.",
    # guards.PolicyTransformer.visit_Name, from FORBIDDEN_NAMES
    "These builtins are refused (no I/O, reflection or dynamic code): "
    + ", ".join(f"`{name}`" for name in sorted(FORBIDDEN_NAMES) if not name.startswith("_"))
    + "; any builtin not in the list is unavailable.",
    # guards' `_write_` hook
    "Setting or deleting attributes is refused (`obj.x = v`, `policy.cache = {}`, `del obj.x`); "
    "item assignment (`a[i] = v`, `a[i] += v`) is fine.",
    # proxies.guarded_getattr and the module proxies
    "Attributes and module members outside the lists are refused at call time (e.g. `np.random`, "
    "`np.load`, `arr.tofile`).",
    # guards.PolicyTransformer.visit_FormattedValue and guards' `_mod_` hook
    "Format specs in f-strings (`f'{x:.2f}'`) and %-formatting of strings are refused.",
    # RestrictedPython's not_allowed for these statements
    "`nonlocal`, `async`/`await` and `match` statements are refused.",
    # proxies._numeric_only and guards._check_numeric_array, from NON_NUMERIC_KINDS
    "Arrays of strings, bytes or Python objects (`np.array(['a'])`, `dtype=object`, `.astype('O')`) "
    "are refused: arrays must be numeric.",
    # guards' operator hooks and safe_range, and proxies' size-checked constructors
    f"Building an array, list, string or range of more than {MAX_ELEMENTS} elements, or an integer "
    f"of more than {MAX_INT_BITS} bits, is refused.",
    # guards.Budget, ticked by the code PolicyTransformer inserts
    f"A call may run at most {DEFAULT_MAX_ITERATIONS} loop iterations plus function calls and "
    f"{DEFAULT_CALL_SECONDS:g} s of wall-clock time.",
)


@dataclass(frozen=True)
class PolicyLimits:
    """The sandbox's numeric limits (``load_policy``'s defaults for the per-call ones)."""

    #: Largest array, string, list or range a prior may build, in elements.
    max_elements: int
    #: Largest Python integer a prior may build, in bits.
    max_int_bits: int
    #: Loop iterations plus function calls allowed per call.
    max_iterations: int
    #: Wall-clock seconds allowed per call.
    call_seconds: float
    #: Longest source accepted, in characters.
    max_source_chars: int


@dataclass(frozen=True)
class PolicyContract:
    """What a prior may use inside the sandbox, generated from the sandbox's own allow-lists.

    Every field but ``limits`` is a tuple of plain strings (the name lists sorted), ready for a
    prompt template.

    Attributes:
        imports: import statements the sandbox accepts, e.g. ``"import numpy as np"``
            (``from <module> import <name>`` also works for every listed name of that module).
        numpy_names: members of ``numpy`` a prior may use (``np.<name>``), ``linalg`` included.
        linalg_names: members of ``numpy.linalg``.
        math_names: members of ``math``.
        builtins: builtin names available. ``print(...)`` calls are accepted too, but print
            is not a name a prior can pass around and its output is discarded.
        array_attributes: ndarray attributes and methods a prior may use (``arr.<name>``).
        refused: short rules the sandbox enforces that a language model could trip over.
        limits: the numeric limits, see :class:`PolicyLimits`.
    """

    imports: tuple[str, ...]
    numpy_names: tuple[str, ...]
    linalg_names: tuple[str, ...]
    math_names: tuple[str, ...]
    builtins: tuple[str, ...]
    array_attributes: tuple[str, ...]
    refused: tuple[str, ...]
    limits: PolicyLimits


def policy_contract() -> PolicyContract:
    """The "what your code may use" contract of a prior, generated from the sandbox's allow-lists.

    Returns:
        a :class:`PolicyContract`; render it into a prompt so that a compliant answer loads
        on the first try.

    Example:
        >>> from camel_gym.sandbox import policy_contract
        >>> contract = policy_contract()
        >>> contract.imports
        ('import math', 'import numpy', 'import numpy as np', 'import numpy.linalg', 'from numpy import linalg')
        >>> "clip" in contract.numpy_names and "random" not in contract.numpy_names
        True
        >>> contract.limits.max_iterations
        100000
    """
    imports = []
    for module in ALLOWED_IMPORTS:
        imports.append(f"import {module}")
        if module == "numpy":
            imports.append("import numpy as np")
    imports += [f"from {m.rpartition('.')[0]} import {m.rpartition('.')[2]}" for m in ALLOWED_IMPORTS if "." in m]
    return PolicyContract(
        imports=tuple(imports),
        numpy_names=tuple(sorted({*NUMPY_FUNCTIONS, *NUMPY_CONSTANTS, *NUMPY_SIZE_CHECKED, "linalg"})),
        linalg_names=tuple(sorted(LINALG_NAMES)),
        math_names=tuple(sorted(MATH_NAMES)),
        builtins=tuple(sorted({*BUILTIN_NAMES, *GUARDED_BUILTIN_NAMES, *EXCEPTION_NAMES})),
        array_attributes=tuple(sorted(ARRAY_ATTRIBUTES)),
        refused=REFUSED,
        limits=PolicyLimits(
            max_elements=MAX_ELEMENTS,
            max_int_bits=MAX_INT_BITS,
            max_iterations=DEFAULT_MAX_ITERATIONS,
            call_seconds=DEFAULT_CALL_SECONDS,
            max_source_chars=MAX_SOURCE_CHARS,
        ),
    )
