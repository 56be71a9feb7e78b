"""``RUN/report.html``: one static page to review a run's candidates by eye and share the review.

The page shows the clips of ``camel-gym render`` side by side, every candidate's status (with
its error when it failed), its code and the model's last reply, the metrics of
``camel-gym evaluate`` and the choice of ``camel-gym select``; a part not made yet says which
stage makes it. It is self-contained (style and script inline, nothing fetched) and links the
clips relatively, so the run folder can be zipped and opened anywhere.

Candidates' code, replies and errors are untrusted LLM output. The page is rendered by jinja2
with autoescape on, from templates shipped as package data (``report_templates/``), so all of
it shows as text and none of it can run as script in the reader's browser.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> from camel_gym.records import RunMeta
    >>> run = Path(tempfile.mkdtemp())
    >>> RunMeta(env_id="Hopper-v4", model="<b>m</b>", prompt_sha256="ab" * 32, endpoint_host=None,
    ...         temperature=0.8, n=5, max_repairs=2, created="2025-01-01T00:00:00+0000").write(run / "meta.json")
    >>> page = write_report(run).read_text()
    >>> "<title>camel-gym run: Hopper-v4</title>" in page, "&lt;b&gt;m&lt;/b&gt;" in page
    (True, True)
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
from pathlib import Path
from typing import Any, TypeVar

import jinja2

from camel_gym.records import (
    CandidateStatus,
    EvaluationRow,
    EvaluationSummary,
    RenderRecord,
    Selection,
    candidates,
    read_meta,
    timestamp,
    write_atomic,
)

__all__ = ["METRIC_COLUMNS", "write_report"]

R = TypeVar("R", EvaluationSummary, RenderRecord, Selection)

#: The evaluation table's columns, in order (the template fills one cell per column).
METRIC_COLUMNS = (
    "rank", "candidate", "status", "score", "return", "length", "forward (m)", "forward p25 (m)",
    "failure rate", "saturation", "prior errors", "error",
)
_ATTEMPT = re.compile(r"^attempt(\d+)$")


def _num(value: Any, spec: str = ".2f") -> str:
    """``value`` formatted by ``spec``; a dash for a missing or non-numeric value."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "–"
    return format(value, spec) if math.isfinite(value) else str(value)


def _plus_minus(row: EvaluationRow) -> str:
    if row.return_mean is None:
        return "–"
    return f"{_num(row.return_mean, '.1f')} ± {_num(row.return_std, '.1f')}"


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("camel_gym.pipeline", "report_templates"),
        # HTML is escaped; the inlined report.css and report.js are ours and must stay verbatim.
        # Anything else escapes too (default=True), so a new template is safe before it is listed.
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html",), disabled_extensions=("css", "js"), default=True, default_for_string=True
        ),
        # a misspelt name in a template is an error, not an empty cell
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = _num
    env.filters["plus_minus"] = _plus_minus
    return env


def _read(record: type[R], path: Path) -> R | None:
    """The record in ``path``, or None when that stage has not written it yet."""
    return record.read(path) if path.is_file() else None


def _metric_rows(row: EvaluationRow) -> list[tuple[str, str]]:
    return [
        ("rank", _num(row.rank, "d")),
        ("score", _num(row.score, ".3f")),
        ("return", _plus_minus(row)),
        ("episode length", _num(row.length_mean, ".1f")),
        ("forward (m)", _num(row.forward_mean)),
        ("failure rate", _num(row.failure_rate, ".0%")),
        ("saturation", _num(row.saturation, ".0%")),
        ("prior errors", _num(row.prior_error_rate, ".1%")),
    ]


def _sources(folder: Path) -> list[dict[str, str]]:
    """The candidate's code (``policy.py``, else its last extracted attempt) and its last raw reply."""
    attempts = sorted(
        (int(m.group(1)), p) for p in folder.glob("attempt*.md") if (m := _ATTEMPT.match(p.stem))
    )
    code = folder / "policy.py"
    if not code.is_file() and attempts:
        code = attempts[-1][1].with_suffix(".py")
    shown = []
    if code.is_file():
        shown.append({"label": f"code ({code.name})", "text": code.read_text(encoding="utf-8", errors="replace")})
    if attempts:
        reply = attempts[-1][1]
        shown.append({"label": f"reply ({reply.name})", "text": reply.read_text(encoding="utf-8", errors="replace")})
    return shown


def _card(
    run: Path, cand: CandidateStatus, record: RenderRecord | None, metrics: EvaluationRow | None, selected: bool
) -> dict[str, Any]:
    card: dict[str, Any] = {
        "name": cand.name, "status": cand.status, "selected": selected, "error": cand.error,
        "render_error": record.error if record else None, "clip": None, "evaluation_error": None, "stats": [],
        "sources": _sources(run / "candidates" / cand.name),
    }
    if cand.status == "valid" and not card["render_error"]:
        # before its first render a candidate links where its clip will be; the page says it is missing
        fmt = record.settings.format if record else "gif"
        card["clip"] = {
            # the file name only: a record is data, and the page must link inside RUN/render/
            "src": "render/" + Path(record.clip if record and record.clip else f"{cand.name}.{fmt}").name,
            "format": fmt,
            "width": record.settings.width if record else None,
            "height": record.settings.height if record else None,
        }
    if metrics is not None and metrics.status == "valid" and metrics.rank is not None:
        card["stats"] += _metric_rows(metrics)
    elif metrics is not None and cand.status == "valid" and metrics.error:
        card["evaluation_error"] = metrics.error
    if record is not None and not record.error and record.steps is not None:
        episode = f"{record.steps} steps, return {_num(record.return_, '.1f')}{', terminated' if record.terminated else ''}"
        card["stats"].append(("this clip", episode))
        if record.prior_errors:
            card["stats"].append(("clip prior errors", str(record.prior_errors)))
    return card


def _render_section(records: dict[str, RenderRecord]) -> dict[str, Any] | None:
    settings: list[str] = []
    for r in records.values():
        shown = json.dumps(r.settings.to_dict(), sort_keys=True)
        if shown not in settings:
            settings.append(shown)
    if not settings:
        return None
    done = [r for r in records.values() if not r.error and r.steps is not None]
    return {
        "settings": settings,
        "seconds": sum(r.seconds or 0.0 for r in done),
        "clips": len(done),
        "last": max(r.rendered_at for r in records.values()),
    }


def write_report(run_dir: str | os.PathLike[str]) -> Path:
    """Write ``RUN/report.html`` from what the run holds so far, and return its path.

    Reads ``meta.json``, the candidates (status, code, last reply), ``render/*.json``,
    ``evaluation/summary.json`` and ``selection/selection.json`` when they exist; any missing
    part is said so on the page. One card per candidate (failed ones show their error), ranked
    ones first in rank order, the selected one highlighted. Written atomically.

    Raises:
        FileNotFoundError: ``run_dir`` is not a run directory.
        RecordError: a file of the run does not hold the record it should.
    """
    run = Path(run_dir)
    meta = read_meta(run)
    cands = candidates(run)
    records = {c.name: _read(RenderRecord, run / "render" / f"{c.name}.json") for c in cands}
    records = {name: record for name, record in records.items() if record is not None}
    summary = _read(EvaluationSummary, run / "evaluation" / "summary.json")
    selection = _read(Selection, run / "selection" / "selection.json")
    chosen = selection.chosen if selection else None
    metrics = {row.name: row for row in summary.candidates} if summary else {}

    # ranked candidates first, in rank order (as the evaluation lists them), then the rest by name
    def order(c: CandidateStatus) -> tuple[int, int, str]:
        rank = metrics[c.name].rank if c.name in metrics else None
        return (0, rank, c.name) if rank is not None else (1, 0, c.name)

    counts: dict[str, int] = {}
    for c in cands:
        counts[c.status] = counts.get(c.status, 0) + 1
    header: list[tuple[str, Any]] = [
        ("env", meta.env_id),
        ("model", meta.model),
        ("endpoint", meta.endpoint_host),
        ("temperature", meta.temperature),
        ("prompt sha256", meta.prompt_sha256[:12] or None),
        ("created", meta.created),
        ("candidates", ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none"),
        ("max repairs", meta.max_repairs),
        ("selected", chosen or "none yet: run `camel-gym select`"),
    ]
    if meta.env_kwargs:
        header.insert(1, ("env kwargs", json.dumps(meta.env_kwargs, sort_keys=True)))
    page = _environment().get_template("report.html").render(
        title=f"camel-gym run: {meta.env_id}",
        header=[(key, "–" if value is None else value) for key, value in header],
        cards=[
            _card(run, c, records.get(c.name), metrics.get(c.name), c.name == chosen) for c in sorted(cands, key=order)
        ],
        metric_columns=METRIC_COLUMNS,
        summary=summary,
        selection=selection,
        chosen=chosen,
        render=_render_section(records),
        written=timestamp(),
    )
    path = run / "report.html"
    write_atomic(path, page)
    return path
