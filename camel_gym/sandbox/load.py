"""Loading an untrusted prior: cheap compile-time refusals, the child-process trial, then this process.

:func:`load_policy` is the sandbox's front door, the function
:class:`~camel_gym.LLMBoundsWrapper` and the pipeline stages call.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from camel_gym.sandbox.policy import SandboxedPolicy, compile_policy
from camel_gym.sandbox.rules import DEFAULT_CALL_SECONDS, DEFAULT_MAX_ITERATIONS
from camel_gym.sandbox.trial import run_trial

__all__ = ["load_policy"]


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
