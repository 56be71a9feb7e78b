"""Test set-up, and the fake pipeline run directories the stage tests share.

MuJoCo must render headless here, so EGL is chosen before anything imports it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import pytest

os.environ.setdefault("MUJOCO_GL", "egl")

from camel_gym.records import CandidateStatus, EvaluationSummary, RunMeta, Selection  # noqa: E402

# The hostile corpus is data for the sandbox tests: never import it (--doctest-modules would).
collect_ignore_glob = ["hostile/*"]

MakeRun = Callable[..., Path]


def _make_run(
    root: Path,
    *,
    valid: Mapping[str, str] | None = None,
    invalid: Mapping[str, str] | None = None,
    interrupted: Iterable[str] = (),
    env_id: str = "Hopper-v4",
    evaluation: EvaluationSummary | None = None,
    selection: Selection | None = None,
) -> Path:
    """``root/run`` as ``camel-gym generate`` leaves it, written through camel_gym.records.

    ``valid`` maps candidate names to their ``policy.py`` code; ``invalid`` maps names to the
    error that made them invalid; ``interrupted`` candidates have a folder and no status.json
    (generation was killed). ``evaluation`` and ``selection``, when given, are written as the
    ``evaluate`` and ``select`` stages would write them.
    """
    valid, invalid, interrupted = dict(valid or {}), dict(invalid or {}), list(interrupted)
    run = root / "run"
    (run / "candidates").mkdir(parents=True)
    for name, code in valid.items():
        folder = run / "candidates" / name
        folder.mkdir()
        (folder / "policy.py").write_text(code)
        CandidateStatus(name=name, status="valid", attempts=1, policy=str(folder / "policy.py")).write(folder / "status.json")
    for name, error in invalid.items():
        folder = run / "candidates" / name
        folder.mkdir()
        CandidateStatus(name=name, status="invalid", attempts=3, error=error).write(folder / "status.json")
    for name in interrupted:
        (run / "candidates" / name).mkdir()
    statuses = {**dict.fromkeys(valid, "valid"), **dict.fromkeys(invalid, "invalid"), **dict.fromkeys(interrupted, "request_failed")}
    RunMeta(
        env_id=env_id, model="test-model", prompt_sha256="ab" * 32, endpoint_host="llm.example", temperature=0.8,
        n=len(statuses), max_repairs=2, created="2025-01-01T00:00:00+0000", statuses=dict(sorted(statuses.items())),
    ).write(run / "meta.json")
    if evaluation is not None:
        (run / "evaluation").mkdir()
        evaluation.write(run / "evaluation" / "summary.json")
    if selection is not None:
        (run / "selection").mkdir()
        selection.write(run / "selection" / "selection.json")
    return run


@pytest.fixture(scope="session")
def make_run() -> MakeRun:
    """Builds a fake pipeline run directory: ``make_run(root, valid={...}, invalid={...}, interrupted=[...], ...)``."""
    return _make_run
