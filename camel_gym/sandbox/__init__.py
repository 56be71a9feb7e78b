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
   output is a finite array of the action shape;
4. returns a :class:`SandboxedPolicy`: each call gets a copy of the observation and a
   fresh budget of loop iterations and wall-clock time.

Refusals raise :class:`PolicyRejected` (a ``ValueError``) naming the reason and the line.
:func:`policy_contract` states what a prior may use, generated from the same allow-lists,
for prompts.

What this does not stop: a single numpy broadcasting expression that allocates a large
array in one go (e.g. an outer sum of two capped vectors). Such an allocation either fails
with ``MemoryError`` (contained like any other prior error) or is freed when the call
returns; the child-process trial rejects programs that do it on real observations.

The modules, each importing only those above it:

========== ==================================================================
rules      what a prior may use: allow-lists, limits, :func:`policy_contract`
errors     :class:`PolicyRejected`, :class:`BudgetExceeded`
guards     the compile-time transformer, the per-call budget, operator guards
proxies    the numpy/math stand-ins, builtins and attribute reads a prior sees
policy     :func:`compile_policy`, :class:`SandboxedPolicy`, :func:`as_action`
trial      the trial run in a limited child process
load       :func:`load_policy`: refusals, trial, then this process
========== ==================================================================
"""

from camel_gym.sandbox.errors import BudgetExceeded, PolicyRejected
from camel_gym.sandbox.load import load_policy
from camel_gym.sandbox.policy import SandboxedPolicy, as_action, compile_policy
from camel_gym.sandbox.proxies import LINALG_PROXY, MATH_PROXY, NUMPY_PROXY
from camel_gym.sandbox.rules import (
    ALLOWED_IMPORTS,
    DEFAULT_CALL_SECONDS,
    DEFAULT_MAX_ITERATIONS,
    MAX_ELEMENTS,
    MAX_INT_BITS,
    PolicyContract,
    PolicyLimits,
    policy_contract,
)

__all__ = [
    "ALLOWED_IMPORTS",
    "DEFAULT_CALL_SECONDS",
    "DEFAULT_MAX_ITERATIONS",
    "LINALG_PROXY",
    "MATH_PROXY",
    "MAX_ELEMENTS",
    "MAX_INT_BITS",
    "NUMPY_PROXY",
    "BudgetExceeded",
    "PolicyContract",
    "PolicyLimits",
    "PolicyRejected",
    "SandboxedPolicy",
    "as_action",
    "compile_policy",
    "load_policy",
    "policy_contract",
]
