"""A prior loaded into this process: compiled under the guards, called under a fresh budget.

:func:`compile_policy` compiles prior source with :class:`~camel_gym.sandbox.guards.PolicyTransformer`;
:class:`SandboxedPolicy` runs the module in a namespace that holds only the guards, the
module proxies and the safe builtins, and calls ``policy(obs)`` on a copy of the observation
with a fresh :class:`~camel_gym.sandbox.guards.Budget`; :func:`as_action` checks an output.
:func:`camel_gym.sandbox.load_policy` adds the child-process trial in front of this.
"""

from __future__ import annotations

import hashlib
import math
import re
import types
from typing import Any

import numpy as np
from RestrictedPython import compile_restricted_exec

from camel_gym.sandbox.errors import BudgetExceeded, PolicyRejected
from camel_gym.sandbox.guards import Budget, PolicyTransformer, runtime_hooks
from camel_gym.sandbox.proxies import SAFE_BUILTINS, guarded_getattr
from camel_gym.sandbox.rules import DEFAULT_CALL_SECONDS, DEFAULT_MAX_ITERATIONS, MAX_SOURCE_CHARS

__all__ = ["SandboxedPolicy", "as_action", "compile_policy", "traceback_line"]

_LINE_RE = re.compile(r"^Line (\d+): (.*)$", re.S)


def traceback_line(exc: BaseException, filename: str) -> int | None:
    """The last line of ``filename`` in ``exc``'s traceback: where a prior's error happened."""
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
    if len(source) > MAX_SOURCE_CHARS:
        raise PolicyRejected(f"the source is {len(source)} characters long (limit {MAX_SOURCE_CHARS})", filename=filename)
    try:
        result = compile_restricted_exec(source, filename=filename, policy=PolicyTransformer)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:  # deeply nested or odd source
        raise PolicyRejected(f"cannot be compiled: {exc}", filename=filename) from None
    if result.errors:
        match = _LINE_RE.match(result.errors[0])
        lineno, reason = (int(match[1]), match[2]) if match else (None, result.errors[0])
        reason = reason.rstrip(".")
        more = f" (and {len(result.errors) - 1} more problems)" if len(result.errors) > 1 else ""
        raise PolicyRejected(reason + more, lineno=lineno, filename=filename)
    return result.code


def _new_globals(budget: Budget) -> dict[str, Any]:
    return {
        "__builtins__": dict(SAFE_BUILTINS),
        "__name__": "prior_policy",
        "_getattr_": guarded_getattr,
        **runtime_hooks(budget),
    }


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
        self._budget = Budget(load_iterations or 10 * max_iterations, load_seconds)
        namespace = _new_globals(self._budget)
        try:
            exec(code, namespace)
        except Exception as exc:
            reason = f"running the module failed: {type(exc).__name__}: {exc}"
            raise PolicyRejected(reason, lineno=traceback_line(exc, filename), filename=filename) from None
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
        # only extra axes of length 1 may go: a (2, 4) output for an (8,) action is a mistake, not an action
        if arr.size == 0 or [d for d in arr.shape if d != 1] != [d for d in shape if d != 1]:
            raise ValueError(f"the prior returned an action of shape {arr.shape}, expected {shape}")
        arr = arr.reshape(shape)
    # one dot product propagates any NaN/Inf; only if it is not finite (or overflowed) look closer
    flat = arr if arr.ndim == 1 else arr.reshape(-1)
    if not math.isfinite(flat.dot(flat)) and not np.isfinite(flat).all():
        raise ValueError(f"the prior returned non-finite values: {arr.tolist()}")
    return arr
