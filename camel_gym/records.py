"""The run directories' schema: every file the pipeline stages and ``td3_camel.py`` write, as records.

A pipeline run (``camel-gym generate | evaluate | select | render``) is one folder for one env
id, and each stage adds its own part::

    RUN/meta.json                    generate: RunMeta (model, endpoint host, temperature, prompt hash, times)
    RUN/prompt/                      generate: the prompt as sent (system.md, user.md)
    RUN/candidates/cNN/              generate: raw replies, extracted code, attemptK.check.json (AttemptCheck),
                                     status.json (CandidateStatus), policy.py
    RUN/evaluation/                  evaluate: cNN.jsonl (one Episode per line), summary.json (EvaluationSummary),
                                     summary.csv (EVALUATION_COLUMNS), summary.md
    RUN/selection/                   select: probes/<name>/ (short td3_camel.py runs), selection.json (Selection),
                                     selection.md
    RUN/render/                      render: cNN.gif and cNN.json (RenderRecord), and RUN/report.html

Each JSON file is one record: a dataclass with ``to_dict``/``from_dict``, ``to_json``/``from_json``
and ``write``/``read``. Reading checks the file against its record (a missing field or one the
record does not know raises :class:`RecordError` naming the file), so the stages read their
own files as plain attributes. Every JSON file is strict JSON (``null``, never ``NaN``) and is
written atomically (write, then rename): a stage killed at any moment leaves only whole files
behind, and re-running it picks up where it stopped.

Example:
    >>> from camel_gym.records import CandidateStatus
    >>> done = CandidateStatus(name="c00", status="invalid", attempts=3, error="no usable code in the reply")
    >>> CandidateStatus.from_json(done.to_json()) == done
    True
    >>> CandidateStatus.from_dict({"name": "c00", "status": "valid"}, where="status.json")
    Traceback (most recent call last):
    ...
    camel_gym.records.RecordError: status.json: missing field 'attempts' of CandidateStatus
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import logging
import math
import os
import shlex
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeVar

__all__ = [
    "EVALUATION_COLUMNS",
    "TIMESTAMP_FORMAT",
    "AttemptCheck",
    "CandidateStatus",
    "Episode",
    "EvaluationRow",
    "EvaluationSummary",
    "OfflineReply",
    "ProbeResult",
    "ProbeSettings",
    "RankingEntry",
    "RecordError",
    "RenderRecord",
    "RenderSettings",
    "RunMeta",
    "Selection",
    "candidates",
    "read_meta",
    "strict_json",
    "timestamp",
    "write_atomic",
    "write_json",
    # training runs (cleanrl_scripts/td3_camel.py)
    "TRAINING_ARGS_JSON",
    "TRAINING_EVAL_COLUMNS",
    "TRAINING_EVAL_CSV",
    "TRAINING_SUMMARY_JSON",
    "TrainingEvalRow",
    "TrainingSummary",
    "append_eval_row",
    "command_header",
    "read_eval_csv",
    "read_scalars",
    "read_run_args",
    "read_summary",
    "write_eval_csv",
]

#: How every record stamps a time (``created``, ``rendered_at``, ...): ISO 8601 local time with its UTC offset.
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S%z"


def timestamp(seconds: float | None = None) -> str:
    """``seconds`` since the epoch (default: now) in :data:`TIMESTAMP_FORMAT`.

    Example:
        >>> import re
        >>> bool(re.fullmatch(r"\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d[+-]\\d{4}", timestamp()))
        True
    """
    return time.strftime(TIMESTAMP_FORMAT, time.localtime(seconds))


def command_header(note: str = "", *, argv: list[str] | None = None, now: float | None = None) -> str:
    """Two comment lines that say which command printed a text output and when (UTC), for the top
    of the tables the experiment scripts print: paste the first line to make the file again.

    Example:
        >>> print(command_header("unmasked eval", argv=["experiments/x/trace.py", "trials dir"], now=0))
        # python experiments/x/trace.py 'trials dir'
        # run 1970-01-01T00:00Z; unmasked eval
    """
    argv = sys.argv if argv is None else argv
    when = time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime(now))
    return f"# python {shlex.join(argv)}\n# run {when}" + (f"; {note}" if note else "")


# ---------------------------------------------------------------------------------------------
# files


def write_atomic(path: str | Path, text: str) -> None:
    """Write, then rename: a killed run never leaves half a file behind."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def strict_json(data: Any, indent: int | None = 2) -> str:
    """``data`` as strict JSON: a float NaN or ±Inf becomes ``null``, which every parser reads.

    ``json.dumps`` would write the bare tokens ``NaN``/``Infinity``, which strict parsers
    (JavaScript's ``JSON.parse``, ``jq``, Go, Rust) reject. ``indent=None`` gives one line.

    Example:
        >>> print(strict_json({"last_eval_return": float("nan"), "episodes": 12}))
        {
          "last_eval_return": null,
          "episodes": 12
        }
    """
    return json.dumps(_finite_or_none(data), indent=indent, allow_nan=False)


def _finite_or_none(data: Any) -> Any:
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {key: _finite_or_none(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [_finite_or_none(value) for value in data]
    return data


def write_json(path: str | Path, data: Any) -> None:
    """``data`` (a record, or plain JSON data) as strict JSON (see ``strict_json``), written atomically."""
    if isinstance(data, _Record):
        data = data.to_dict()
    write_atomic(path, strict_json(data) + "\n")


# ---------------------------------------------------------------------------------------------
# records


class RecordError(ValueError):
    """A file of a run directory does not hold the record it should (not JSON, or other fields)."""


_R = TypeVar("_R", bound="_Record")


def _json_key(name: str) -> str:
    # a field named after a Python keyword carries PEP 8's trailing underscore (return_); its JSON key does not
    return name[:-1] if name.endswith("_") else name


def _plain(value: Any) -> Any:
    if isinstance(value, _Record):
        return value.to_dict()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


class _Record:
    """What every record can do: to and from a dict, JSON text and a file."""

    #: fields that hold other records: name -> (record class, "one" | "list" | "dict")
    _nested: ClassVar[dict[str, tuple[type[_Record], str]]] = {}

    def to_dict(self) -> dict[str, Any]:
        """The record as JSON-ready data, keyed as in the file."""
        return {_json_key(f.name): _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    @classmethod
    def from_dict(cls: type[_R], data: Any, *, where: str = "") -> _R:
        """The record ``data`` holds; ``where`` (a file name) goes into the error.

        Raises:
            RecordError: ``data`` is not an object, lacks a field without a default, or has a
                field the record does not know.
        """
        where = where or cls.__name__
        if not isinstance(data, Mapping):
            raise RecordError(f"{where}: expected a JSON object for {cls.__name__}, got {type(data).__name__}")
        names = {_json_key(f.name): f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(data) - set(names))
        if unknown:
            raise RecordError(
                f"{where}: unknown field(s) {', '.join(map(repr, unknown))} for {cls.__name__}; "
                f"was it written by another camel-gym version?"
            )
        missing = [
            key for key, f in names.items()
            if key not in data and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        ]
        if missing:
            raise RecordError(f"{where}: missing field {', '.join(map(repr, missing))} of {cls.__name__}")
        values = {f.name: data[key] for key, f in names.items() if key in data}
        for name, (record, shape) in cls._nested.items():
            value = values.get(name)
            if value is None:
                continue
            if shape == "one":
                values[name] = record.from_dict(value, where=f"{where}: {name}")
            elif shape == "list":
                values[name] = [record.from_dict(item, where=f"{where}: {name}[{i}]") for i, item in enumerate(value)]
            else:
                values[name] = {key: record.from_dict(item, where=f"{where}: {name}[{key!r}]") for key, item in value.items()}
        return cls(**values)

    def to_json(self, indent: int | None = 2) -> str:
        """The record as strict JSON text (see :func:`strict_json`); ``indent=None`` gives one line."""
        return strict_json(self.to_dict(), indent)

    @classmethod
    def from_json(cls: type[_R], text: str, *, where: str = "") -> _R:
        """The record in JSON ``text``.

        Raises:
            RecordError: ``text`` is not JSON, or not this record (see :meth:`from_dict`).
        """
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise RecordError(f"{where or cls.__name__}: not valid JSON ({exc})") from exc
        return cls.from_dict(data, where=where)

    def write(self, path: str | Path) -> None:
        """Write the record to ``path`` as strict JSON, atomically."""
        write_json(path, self)

    @classmethod
    def read(cls: type[_R], path: str | Path) -> _R:
        """The record in the file ``path``.

        Raises:
            FileNotFoundError: there is no such file.
            RecordError: the file does not hold this record.
        """
        return cls.from_json(Path(path).read_text(encoding="utf-8"), where=str(path))


@dataclass(kw_only=True)
class RunMeta(_Record):
    """``RUN/meta.json``: what a run asks, of whom, and how its candidates ended (written by ``generate``)."""

    env_id: str
    model: str
    prompt_sha256: str
    endpoint_host: str | None  # host:port of the endpoint, never the key; None offline
    temperature: float | None  # None offline (the replies' sampling is not known)
    n: int
    max_repairs: int
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    created: str  # TIMESTAMP_FORMAT
    updated: str | None = None  # TIMESTAMP_FORMAT, when generate last finished
    statuses: dict[str, str] = field(default_factory=dict)  # candidate -> CandidateStatus.status
    replies_dir: str | None = None  # offline mode: the folder the replies were read from
    note: str | None = None  # how the replies were made, in the user's words (e.g. "chat window, one pass")


@dataclass(kw_only=True)
class OfflineReply(_Record):
    """``RUN/candidates/cNN/attemptK.json`` of an offline run: which reply file the attempt read.

    (With an endpoint that file holds the raw Chat Completions response instead.)
    """

    reply_file: str
    sha256: str


@dataclass(kw_only=True)
class AttemptCheck(_Record):
    """``RUN/candidates/cNN/attemptK.check.json``: the sandbox's verdict on one attempt's code."""

    ok: bool
    error: str | None
    seconds: float
    reason: str | None = None  # PolicyRejected.reason, without the file and line
    lineno: int | None = None


@dataclass(kw_only=True)
class CandidateStatus(_Record):
    """``RUN/candidates/cNN/status.json``: the outcome of generating one candidate."""

    name: str
    status: Literal["valid", "invalid", "request_failed"]
    attempts: int
    error: str | None = None
    policy: str | None = None  # path of policy.py when valid


@dataclass(kw_only=True)
class Episode(_Record):
    """One seeded episode of a policy: a line of ``RUN/evaluation/cNN.jsonl``, and what
    :func:`camel_gym.evaluation.run_episode` returns."""

    seed: int
    return_: float  # "return" in the file
    length: int
    forward: float | None  # metres the root body moved along x; None for an env without one
    terminated: bool  # ended by termination (a fall), not the time limit
    truncated: bool
    saturated: int  # action components the policy asked for at (within 1 % of) a limit, or beyond
    prior_errors: int  # steps on which the policy failed (a zero action was sent instead)


@dataclass(kw_only=True)
class EvaluationRow(_Record):
    """One candidate in ``RUN/evaluation/summary.json`` (and a row of ``summary.csv``).

    A candidate that was not evaluated (``status`` other than ``valid``: invalid or
    request_failed at generation, rejected by the sandbox at load) has only ``error``.
    """

    rank: int | None = None
    name: str
    score: float | None = None
    return_mean: float | None = None
    return_std: float | None = None
    length_mean: float | None = None
    forward_mean: float | None = None
    forward_p25: float | None = None
    failure_rate: float | None = None
    saturation: float | None = None
    prior_error_rate: float | None = None
    episodes: int | None = None
    status: Literal["valid", "invalid", "request_failed", "rejected"]
    error: str | None = None


#: The columns of ``RUN/evaluation/summary.csv``, in order: the fields of :class:`EvaluationRow`.
EVALUATION_COLUMNS: tuple[str, ...] = tuple(_json_key(f.name) for f in dataclasses.fields(EvaluationRow))


@dataclass(kw_only=True)
class EvaluationSummary(_Record):
    """``RUN/evaluation/summary.json``: the ranked candidates (ranked first, then the others)."""

    env_id: str
    episodes: int
    seed: int  # seeds seed .. seed + episodes - 1, the same for every candidate
    seconds: float
    score_definition: str
    candidates: list[EvaluationRow]

    _nested: ClassVar[dict[str, tuple[type[_Record], str]]] = {"candidates": (EvaluationRow, "list")}

    @property
    def ranked(self) -> list[EvaluationRow]:
        """The evaluated candidates, best first."""
        return [row for row in self.candidates if row.status == "valid"]


@dataclass(kw_only=True)
class ProbeSettings(_Record):
    """How ``select`` ran its TD3 probes."""

    steps: int
    seed: int
    eval_episodes: int
    td3_script: str  # the td3_camel.py the probes ran
    top_k: int


@dataclass(kw_only=True)
class ProbeResult(_Record):
    """One TD3 probe of ``select``: its evaluations and its value (the mean eval return once the mask is gone)."""

    value: float | None  # None when the probe failed or had no evaluation after the mask
    stderr: float | None = None
    error: str | None = None  # why the probe failed
    run_dir: str | None = None
    eval_steps: list[int] = field(default_factory=list)
    eval_returns: list[float] = field(default_factory=list)
    prior_errors: int | None = None
    seconds: float | None = None


@dataclass(kw_only=True)
class RankingEntry(_Record):
    """One candidate in ``Selection.ranking``; the ``probe_*`` fields only for probed candidates."""

    position: int
    name: str
    score: float
    score_rank: int
    probe_value: float | None = None
    probe_stderr: float | None = None
    probe_error: str | None = None
    vs_baseline: Literal["better", "worse", "within noise"] | None = None


@dataclass(kw_only=True)
class Selection(_Record):
    """``RUN/selection/selection.json``: the chosen prior, the final order and what decided it."""

    env_id: str
    chosen: str
    chosen_by: Literal["score", "probe"]
    ranking: list[RankingEntry]
    probe_settings: ProbeSettings | None = None  # None: no probes
    baseline_probe_value: float | None = None
    probes: dict[str, ProbeResult] = field(default_factory=dict)  # candidate (or "_none", the baseline) -> probe
    score_definition: str
    installed: str | None = None  # where the chosen prior was installed
    time: str  # TIMESTAMP_FORMAT
    warning: str | None = None

    _nested: ClassVar[dict[str, tuple[type[_Record], str]]] = {
        "ranking": (RankingEntry, "list"), "probe_settings": (ProbeSettings, "one"), "probes": (ProbeResult, "dict"),
    }


@dataclass(kw_only=True)
class RenderSettings(_Record):
    """What a clip was rendered with; a clip with other settings is rendered again."""

    env_id: str
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    seed: int
    max_steps: int
    every: int
    width: int
    height: int
    fps: float
    format: Literal["gif", "mp4"]


@dataclass(kw_only=True)
class RenderRecord(_Record):
    """``RUN/render/cNN.json``: one candidate's clip, or why it could not be rendered (``error``)."""

    name: str
    settings: RenderSettings
    policy_sha256: str | None
    clip: str | None  # relative to RUN, e.g. render/c00.gif; None when the render failed
    error: str | None
    rendered_at: str  # TIMESTAMP_FORMAT
    frames: int | None = None
    steps: int | None = None
    return_: float | None = None  # "return" in the file
    terminated: bool | None = None
    truncated: bool | None = None
    prior_errors: int | None = None
    seconds: float | None = None

    _nested: ClassVar[dict[str, tuple[type[_Record], str]]] = {"settings": (RenderSettings, "one")}


# ---------------------------------------------------------------------------------------------
# reading a pipeline run


def read_meta(run_dir: str | Path) -> RunMeta:
    """``RUN/meta.json``, with an error that says what to do when ``run_dir`` is not a run.

    Raises:
        FileNotFoundError: ``run_dir`` holds no run made by ``camel-gym generate``.
        RecordError: its ``meta.json`` is not a :class:`RunMeta`.
    """
    meta = Path(run_dir) / "meta.json"
    if not meta.is_file():
        raise FileNotFoundError(
            f"{run_dir} is not a camel-gym run directory (no meta.json); create one with "
            f"`camel-gym generate --env-id ENV --model MODEL --run-dir {run_dir}`"
        )
    return RunMeta.read(meta)


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
            done = CandidateStatus.read(status)
            if done.status == "valid":  # where the run is now, even if it was moved since
                done.policy = str(folder / "policy.py")
            out.append(done)
        else:
            out.append(CandidateStatus(
                name=folder.name, status="request_failed", attempts=0, error="generation did not finish; re-run generate",
            ))
    return out


# ---------------------------------------------------------------------------------------------
# Training runs (cleanrl_scripts/td3_camel.py)
#
# One run is runs/{env_id}__td3_camel__{masking}__{seed}__{time}/ with
#   args.json            the script's arguments (strict JSON; --resume reads them back)
#   eval.csv             one TrainingEvalRow per evaluation, columns TRAINING_EVAL_COLUMNS
#   summary.json         TrainingSummary, when the run finished
#   checkpoint.pt, events.out.tfevents.*, td3_camel.cleanrl_model, videos/   (torch, TensorBoard, video)

TRAINING_ARGS_JSON = "args.json"
TRAINING_EVAL_CSV = "eval.csv"
TRAINING_SUMMARY_JSON = "summary.json"


@dataclass(kw_only=True)
class TrainingEvalRow(_Record):
    """One evaluation of a training run: a row of ``eval.csv``.

    ``return_*`` and ``length_mean`` come from ``episodes`` seeded episodes of the deterministic
    actor with no mask and no noise (the paper's evaluation). ``masked_return_mean`` is the same
    actor inside the prior's mask (always applied, no noise): None for ``--masking none``, with
    ``--no-eval-masked``, and in rows written before the column existed. ``wall_seconds`` counts
    from the run's start, across resumes.
    """

    global_step: int
    return_mean: float
    return_std: float
    length_mean: float
    episodes: int
    wall_seconds: float
    masked_return_mean: float | None = None


#: The columns of ``eval.csv``, in order: the fields of :class:`TrainingEvalRow`.
TRAINING_EVAL_COLUMNS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(TrainingEvalRow))
_EVAL_FORMATS = {"return_mean": "{:.3f}", "return_std": "{:.3f}", "length_mean": "{:.1f}",
                 "wall_seconds": "{:.1f}", "masked_return_mean": "{:.3f}"}
_EVAL_TYPES = {"global_step": int, "episodes": int}


def _eval_csv_line(row: TrainingEvalRow) -> list[str]:
    values = row.to_dict()
    return ["" if values[c] is None else _EVAL_FORMATS.get(c, "{}").format(values[c]) for c in TRAINING_EVAL_COLUMNS]


def read_eval_csv(run_dir: str | Path) -> list[TrainingEvalRow]:
    """The evaluations of a training run, in order; ``[]`` when it has no ``eval.csv`` (yet).

    A file written before a column existed reads with that column's default (None).

    Example:
        >>> import tempfile
        >>> run = Path(tempfile.mkdtemp())
        >>> append_eval_row(run, TrainingEvalRow(global_step=10000, return_mean=812.5, return_std=40.2,
        ...                                      length_mean=301.0, episodes=10, wall_seconds=95.0))
        >>> print((run / "eval.csv").read_text().strip())
        global_step,return_mean,return_std,length_mean,episodes,wall_seconds,masked_return_mean
        10000,812.500,40.200,301.0,10,95.0,
        >>> read_eval_csv(run)[0].masked_return_mean is None
        True

    Raises:
        RecordError: the file lacks a column that has no default, or has one the row does not know.
    """
    path = Path(run_dir) / TRAINING_EVAL_CSV
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    out = []
    for line, row in enumerate(rows, start=2):
        try:
            values = {key: None if text == "" else _EVAL_TYPES.get(key, float)(text) for key, text in row.items()}
        except (TypeError, ValueError) as exc:
            raise RecordError(f"{path}, line {line}: not a number ({exc})") from None
        out.append(TrainingEvalRow.from_dict(values, where=f"{path}, line {line}"))
    return out


def read_scalars(run_dir: str | Path, *tags: str) -> list[dict[int, float]]:
    """step -> value of each of ``tags`` in a run's TensorBoard events, as TensorBoard shows them
    (after a resume, the values logged past the checkpoint are dropped); ``{}`` for a tag the run
    never logged. The events are read once, whatever the number of tags.

    Needs the ``tensorboard`` package (``pip install "camel-gym[scripts]"``).

    Raises:
        FileNotFoundError: ``run_dir`` is not a folder.
        ModuleNotFoundError: tensorboard is not installed; the message says how to install it.
    """
    if not Path(run_dir).is_dir():
        raise FileNotFoundError(f"{run_dir}: no such run folder")
    try:
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    except ModuleNotFoundError:
        raise ModuleNotFoundError('reading TensorBoard events needs tensorboard: pip install "camel-gym[scripts]"') from None
    events = EventAccumulator(str(run_dir), size_guidance={"scalars": 0})  # 0: keep every value, not a sample
    # a resumed run's purge is expected (documented above); TensorBoard warns of it as of a crash
    quiet = logging.Filter()
    quiet.filter = lambda record: not record.getMessage().startswith("Detected out of order event.step")
    tb_logger = logging.getLogger("tensorboard")
    tb_logger.addFilter(quiet)
    try:
        events.Reload()
    finally:
        tb_logger.removeFilter(quiet)
    logged = set(events.Tags()["scalars"])
    return [{e.step: e.value for e in events.Scalars(tag)} if tag in logged else {} for tag in tags]


def write_eval_csv(run_dir: str | Path, rows: list[TrainingEvalRow]) -> None:
    """Replace ``eval.csv`` with ``rows`` under the current columns, atomically (a resumed run
    drops the rows logged after its checkpoint, and an older file gains the new columns)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(TRAINING_EVAL_COLUMNS)
    writer.writerows(_eval_csv_line(row) for row in rows)
    write_atomic(Path(run_dir) / TRAINING_EVAL_CSV, buffer.getvalue())


def append_eval_row(run_dir: str | Path, row: TrainingEvalRow) -> None:
    """Add one evaluation to ``eval.csv``, starting the file (or, when an older version wrote it,
    bringing its columns up to date) first."""
    path = Path(run_dir) / TRAINING_EVAL_CSV
    header = ",".join(TRAINING_EVAL_COLUMNS)
    if not path.is_file() or path.read_text(encoding="utf-8").split("\n", 1)[0] != header:
        write_eval_csv(run_dir, read_eval_csv(run_dir))
    with path.open("a", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerow(_eval_csv_line(row))


@dataclass(kw_only=True)
class TrainingSummary(_Record):
    """``summary.json`` of a training run, written when it finished.

    ``last_eval_return`` and ``last_masked_eval_return`` are None when no such evaluation ran
    (``--eval-every 0``, ``--masking none``). The speed fields cover the last process's learning
    phase (None when it had none): steps/s once updates run, and the share of that time spent
    inside TD3 updates (the rest is env, prior, action, replay, logging and evaluation).
    """

    env_id: str
    masking: str
    seed: int
    total_timesteps: int
    last_eval_return: float | None
    last_masked_eval_return: float | None = None
    episodes: int
    prior_errors: int
    wall_seconds: float | None = None  # from the run's start, across resumes
    learning_steps_per_second: float | None
    update_share_of_learning_time: float | None
    replay_buffer_bytes: int
    device: str
    torch_threads: int


def read_summary(run_dir: str | Path) -> TrainingSummary:
    """``summary.json`` of a finished training run.

    Raises:
        FileNotFoundError: the run has not finished (or ``run_dir`` is not a run).
        RecordError: the file does not hold a TrainingSummary.
    """
    path = Path(run_dir) / TRAINING_SUMMARY_JSON
    if not path.is_file():
        raise FileNotFoundError(f"{run_dir} has no {TRAINING_SUMMARY_JSON}: the run has not finished, or it is not a td3_camel.py run")
    return TrainingSummary.read(path)


def read_run_args(run_dir: str | Path) -> dict[str, Any]:
    """``args.json`` of a training run: the td3_camel.py arguments it was started (or last resumed) with.

    Raises:
        FileNotFoundError: ``run_dir`` holds no ``args.json``.
        RecordError: the file is not a JSON object.
    """
    path = Path(run_dir) / TRAINING_ARGS_JSON
    if not path.is_file():
        raise FileNotFoundError(f"{run_dir} has no {TRAINING_ARGS_JSON}, so it is not a td3_camel.py run directory")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise RecordError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise RecordError(f"{path}: expected a JSON object of arguments, got {type(data).__name__}")
    return data
