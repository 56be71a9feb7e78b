"""The trial run of an untrusted prior, in a child process with hard limits.

Before a prior is loaded into the training process, :func:`run_trial` runs it in a fresh
Python process whose address space, CPU time and file writes are limited by
``setrlimit`` and whose wall-clock time is limited by the parent. The child loads the
prior through the same sandbox and calls it on real observations of the target
environment; every output must be a finite array of the action shape. Anything else (a
crash, a refusal, an endless loop, a memory bomb) becomes a :class:`PolicyRejected` in
the parent, which is never at risk.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from typing import Any

import gymnasium as gym
import numpy as np

from camel_gym.sandbox.errors import PolicyRejected
from camel_gym.sandbox.policy import SandboxedPolicy, as_action, traceback_line
from camel_gym.sandbox.rules import DEFAULT_CALL_SECONDS, DEFAULT_MAX_ITERATIONS

__all__ = ["run_trial", "trial_observations"]

# (source hash, observation/action signature) of priors that passed, so that a vector env
# with N copies of the same wrapper runs the trial once per process, not N times.
_PASSED: set[tuple[str, str]] = set()


def trial_observations(env: Any = None, observation_space: Any = None, n: int = 48, seed: int = 0) -> np.ndarray | None:
    """Observations to try a prior on: from a fresh copy of ``env`` if possible, else sampled.

    A fresh copy (``gym.make(env.spec)``) is used so that the caller's env keeps its state
    and RNG. It runs three seeded episodes of random actions (up to 200 steps each) and
    returns ``n`` observations spread over them, resets included.
    """
    space = observation_space if env is None else env.observation_space
    if env is not None and getattr(env, "spec", None) is not None:
        try:
            probe = gym.make(env.spec)
        except Exception:
            probe = None
        if probe is not None and probe.observation_space == space:
            seen = []
            probe.action_space.seed(seed)
            for episode in range(3):
                obs, _ = probe.reset(seed=seed + episode)
                seen.append(obs)
                for _ in range(200):
                    obs, _, terminated, truncated, _ = probe.step(probe.action_space.sample())
                    seen.append(obs)
                    if terminated or truncated:
                        break
            probe.close()
            picks = np.linspace(0, len(seen) - 1, num=min(n, len(seen))).astype(int)
            return np.stack([np.asarray(seen[i]) for i in picks])
    if space is None or not hasattr(space, "sample"):
        return None
    space.seed(seed)
    return np.stack([np.asarray(space.sample()) for _ in range(n)])


def _signature(observations: np.ndarray | None, action_space: Any) -> str:
    if observations is None:
        obs = "none"
    else:
        obs = hashlib.sha256(np.ascontiguousarray(observations).tobytes()).hexdigest()[:16]
    act = "none" if action_space is None else f"{action_space.shape}:{action_space.dtype}"
    return f"{obs}|{act}"


def run_trial(
    source: str,
    filename: str,
    *,
    env: Any = None,
    observation_space: Any = None,
    action_space: Any = None,
    seconds: float = 20.0,
    memory_limit: int = 2 * 1024**3,
    max_iterations: int = DEFAULT_MAX_ITERATIONS,
    call_seconds: float = DEFAULT_CALL_SECONDS,
) -> dict[str, Any]:
    """Run the prior in a limited child process; raise :class:`PolicyRejected` if it fails.

    Returns the child's report (number of calls, mean seconds per call).
    """
    if env is not None and action_space is None:
        action_space = env.action_space
    observations = trial_observations(env, observation_space)
    key = (hashlib.sha256(source.encode()).hexdigest(), _signature(observations, action_space))
    if key in _PASSED:
        return {"ok": True, "cached": True}
    request = {
        "source": source,
        "filename": filename,
        "observations": None if observations is None else observations.astype(np.float64).tolist(),
        "observation_dtype": None if observations is None else str(observations.dtype),
        "action_shape": None if action_space is None else list(action_space.shape),
        "action_dtype": None if action_space is None else str(action_space.dtype),
        "memory_limit": int(memory_limit),
        "cpu_seconds": int(math.ceil(seconds)) + 1,
        "max_iterations": max_iterations,
        "call_seconds": call_seconds,
    }
    # the directory holding camel_gym/, so that the child imports this very copy of the package
    package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    child_env = dict(os.environ)
    child_env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    child_env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))
    with tempfile.TemporaryDirectory(prefix="camel_trial_") as cwd:
        try:
            done = subprocess.run(
                # not `-m camel_gym.sandbox.trial`: importing the package already imports this
                # module, and runpy would then run a second copy of it as __main__ (and warn)
                [sys.executable, "-c", "from camel_gym.sandbox.trial import main; main()"],
                input=json.dumps(request),
                capture_output=True,
                text=True,
                timeout=seconds,
                cwd=cwd,
                env=child_env,
            )
        except subprocess.TimeoutExpired:
            raise PolicyRejected(
                f"the trial run did not finish within {seconds:g} s (an endless loop or a very slow prior?)",
                filename=filename,
            ) from None
    report = _parse_report(done.stdout)
    if report is None:
        how = f"was killed by signal {-done.returncode}" if done.returncode < 0 else f"exited with {done.returncode}"
        tail = done.stderr.strip().splitlines()[-1:] if done.stderr.strip() else []
        raise PolicyRejected(
            f"the trial process {how} without a report (CPU or memory limit hit?)" + (f": {tail[0]}" if tail else ""),
            filename=filename,
        )
    if not report["ok"]:
        raise PolicyRejected(report["reason"], lineno=report.get("lineno"), filename=filename)
    _PASSED.add(key)
    return report


def _parse_report(stdout: str) -> dict[str, Any] | None:
    for line in reversed(stdout.strip().splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                return None
    return None


def _limit_self(memory_limit: int, cpu_seconds: int) -> None:
    import resource  # POSIX only: imported here so that camel_gym itself imports everywhere

    resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # no file grows, whatever slips through
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _child(request: dict[str, Any]) -> dict[str, Any]:
    filename = request["filename"]
    try:
        policy = SandboxedPolicy(
            request["source"], filename, max_iterations=request["max_iterations"], call_seconds=request["call_seconds"]
        )
    except PolicyRejected as exc:
        return {"ok": False, "reason": exc.reason, "lineno": exc.lineno}
    if request["observations"] is None:
        return {"ok": True, "calls": 0}
    observations = np.asarray(request["observations"], dtype=request["observation_dtype"])
    shape = None if request["action_shape"] is None else tuple(request["action_shape"])
    start = time.perf_counter()
    actions = []
    for i, obs in enumerate(observations):
        try:
            out = policy(obs)
            if shape is not None:
                actions.append(as_action(out, shape, request["action_dtype"]))
            else:
                actions.append(as_action(out, np.shape(out), np.float64))
        except Exception as exc:  # a prior may raise anything; the reason goes back to the parent
            reason = f"policy(obs) failed on trial observation {i}: {type(exc).__name__}: {exc}"
            return {"ok": False, "reason": reason, "lineno": traceback_line(exc, filename)}
    elapsed = time.perf_counter() - start
    # the contract's "no global state": asked again after all the others, twice in a row, the first
    # observation must give the same action (twice: a counter whose period divides the number of
    # calls would match once). A prior that counts steps would otherwise start each evaluation
    # episode where the last one stopped, and train differently from how it was ranked.
    for k in (1, 2) if len(observations) > 1 else ():
        try:
            again = as_action(policy(observations[0]), actions[0].shape, actions[0].dtype)
        except Exception as exc:
            reason = f"policy(obs) failed on trial observation 0, asked again: {type(exc).__name__}: {exc}"
            return {"ok": False, "reason": reason, "lineno": traceback_line(exc, filename)}
        if not np.array_equal(again, actions[0]):
            reason = (
                f"policy(obs) gave trial observation 0 the action {np.round(actions[0], 4).tolist()} and, asked again "
                f"after {len(observations) + k - 2} other calls, {np.round(again, 4).tolist()}: it must depend on obs "
                "only (keep nothing between calls: no mutable globals, counters or caches)"
            )
            return {"ok": False, "reason": reason, "lineno": None}
    return {"ok": True, "calls": len(observations), "seconds_per_call": elapsed / max(len(observations), 1)}


def main() -> None:
    """The child's entry point: a JSON request on stdin, a JSON report as stdout's last line."""
    request = json.loads(sys.stdin.read())
    _limit_self(request["memory_limit"], request["cpu_seconds"])
    try:
        report = _child(request)
    except MemoryError:
        report = {"ok": False, "reason": "the trial ran out of memory (memory limit hit)"}
    except RecursionError:
        report = {"ok": False, "reason": "the trial hit Python's recursion limit"}
    sys.stdout.write("\n" + json.dumps(report) + "\n")
