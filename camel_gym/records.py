"""The run directory every pipeline stage reads and writes (``camel-gym generate | evaluate | select | render``).

One folder holds one run for one env id, and each stage adds its own part::

    RUN/meta.json                    generate: model, endpoint host, temperature, prompt hash, times
    RUN/prompt/                      generate: the prompt as sent
    RUN/candidates/cNN/              generate: raw replies, extracted code, checks, status.json, policy.py
    RUN/evaluation/                  evaluate: cNN.jsonl (one line per seeded episode), summary.{json,csv,md}
    RUN/selection/                   select: probes/cNN/ (short TD3 runs), selection.{json,md}
    RUN/render/                      render: cNN.gif, and RUN/report.html

Every file is written atomically (write, then rename), so a stage killed at any moment leaves
only whole files behind, and re-running it picks up where it stopped.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = ["CandidateStatus", "candidates", "read_meta", "strict_json", "write_atomic", "write_json"]


@dataclass
class CandidateStatus:
    """The outcome of generating one candidate (``RUN/candidates/cNN/status.json``)."""

    name: str
    status: str  # valid | invalid | request_failed
    attempts: int
    error: str | None = None
    policy: str | None = None  # path of policy.py when valid

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)


def write_atomic(path: str | Path, text: str) -> None:
    """Write, then rename: a killed run never leaves half a file behind."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def strict_json(data: Any) -> str:
    """``data`` as strict JSON: a float NaN or ±Inf becomes ``null``, which every parser reads.

    ``json.dumps`` would write the bare tokens ``NaN``/``Infinity``, which strict parsers
    (JavaScript's ``JSON.parse``, ``jq``, Go, Rust) reject.

    Example:
        >>> print(strict_json({"last_eval_return": float("nan"), "episodes": 12}))
        {
          "last_eval_return": null,
          "episodes": 12
        }
    """
    return json.dumps(_finite_or_none(data), indent=2, allow_nan=False)


def _finite_or_none(data: Any) -> Any:
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {key: _finite_or_none(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [_finite_or_none(value) for value in data]
    return data


def write_json(path: str | Path, data: Any) -> None:
    """``data`` as strict JSON (see ``strict_json``), written atomically."""
    write_atomic(path, strict_json(data) + "\n")


def read_meta(run_dir: str | Path) -> dict[str, Any]:
    """``RUN/meta.json``, with an error that says what to do when ``run_dir`` is not a run.

    Raises:
        FileNotFoundError: ``run_dir`` holds no run made by ``camel-gym generate``.
    """
    meta = Path(run_dir) / "meta.json"
    if not meta.is_file():
        raise FileNotFoundError(
            f"{run_dir} is not a camel-gym run directory (no meta.json); create one with "
            f"`camel-gym generate --env-id ENV --model MODEL --run-dir {run_dir}`"
        )
    return json.loads(meta.read_text(encoding="utf-8"))


def candidates(run_dir: str | Path) -> list[CandidateStatus]:
    """Every candidate of the run, in order, with its generation outcome.

    A candidate folder without ``status.json`` (generation was interrupted before it finished)
    counts as ``request_failed``: re-running ``camel-gym generate`` completes it.
    """
    read_meta(run_dir)
    out = []
    for folder in sorted((Path(run_dir) / "candidates").glob("c[0-9]*")):
        status = folder / "status.json"
        if status.is_file():
            done = CandidateStatus(**json.loads(status.read_text(encoding="utf-8")))
            if done.status == "valid":  # where the run is now, even if it was moved since
                done.policy = str(folder / "policy.py")
            out.append(done)
        else:
            out.append(CandidateStatus(folder.name, "request_failed", 0, "generation did not finish; re-run generate"))
    return out
