"""The ``render`` stage: a clip of one seeded episode per valid candidate, and an HTML report for human review.

CAMEL's authors chose among the LLM's candidate priors by watching them act. This stage makes
that review easy to do and to share: each valid candidate's ``policy.py`` (loaded through the
sandbox, never imported) drives one seeded episode, every ``every``-th frame goes into a clip,
and one static page shows all candidates side by side with their evaluation metrics::

    RUN/render/c00.gif       the clip (or .mp4 with ``fmt="mp4"``, which needs imageio-ffmpeg)
    RUN/render/c00.json      what was rendered: settings, steps, return, prior errors, seconds, error
    RUN/report.html          one self-contained page; clips are linked relatively, so the run
                             folder can be zipped and opened anywhere

The stage is resumable: a candidate whose clip and record exist with the same settings (and
the same ``policy.py``) is skipped, so an interrupted render picks up where it stopped and a
changed setting re-renders. A candidate that cannot be rendered (its prior is rejected at load,
say) gets a record with the error instead of a clip, and the others go on. Every file is
written atomically.

MuJoCo needs an OpenGL context: on a machine without a display, set ``MUJOCO_GL=egl`` (or
``osmesa``) before Python starts. Example (not run as a doctest: it needs a run directory)::

    from camel_gym.pipeline.render import render_run
    report = render_run("runs/hopper", max_steps=300, every=2)   # -> runs/hopper/report.html
"""

from __future__ import annotations

import hashlib
import html
import json
import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from tqdm.auto import tqdm

from camel_gym.evaluation import run_episode

from camel_gym.records import CandidateStatus, candidates, read_meta, write_atomic, write_json
from camel_gym.sandbox import load_policy

__all__ = ["render_candidate", "render_run", "write_report"]

FORMATS = ("gif", "mp4")


def _check_settings(max_steps: int, every: int, width: int, height: int, fps: float) -> None:
    bad = {
        k: v
        for k, v in {"max_steps": max_steps, "every": every, "width": width, "height": height, "fps": fps}.items()
        if not (isinstance(v, (int, float)) and v >= 1)
    }
    if bad:
        raise ValueError(f"render settings must be >= 1, got {bad}")


def _require_ffmpeg() -> None:
    """MP4 goes through imageio's ffmpeg plugin, which is an optional package."""
    try:
        import imageio_ffmpeg  # noqa: F401
    except ImportError:
        raise RuntimeError(
            "writing .mp4 clips needs the imageio-ffmpeg package: `pip install imageio-ffmpeg`, "
            "or render GIFs (the default, fmt='gif')"
        ) from None


def _write_clip(path: Path, frames: list[np.ndarray], fps: float) -> None:
    """Write ``frames`` to ``path`` (.gif or .mp4) through a temp file, so no half clip is ever left."""
    # the temp name keeps the suffix: imageio picks the writer from it
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    try:
        if path.suffix.lower() == ".mp4":
            import imageio.v2 as imageio

            # macro_block_size=2: yuv420p needs even sizes; larger blocks would rescale small clips
            imageio.mimwrite(tmp, frames, format="FFMPEG", fps=fps, macro_block_size=2)
        else:
            import imageio.v3 as iio

            # Pillow merges identical consecutive frames (adding up their durations), so a
            # still scene plays at the right speed in fewer GIF frames.
            iio.imwrite(tmp, np.stack(frames), extension=".gif", duration=1000.0 / fps, loop=0)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def render_candidate(
    policy: str | os.PathLike[str],
    env_id: str,
    out_path: str | os.PathLike[str],
    *,
    seed: int = 0,
    max_steps: int = 300,
    every: int = 2,
    width: int = 320,
    height: int = 240,
    fps: float = 25,
    env_kwargs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Render one seeded episode of the prior in ``policy`` (a ``policy.py`` path) to ``out_path``.

    The env is ``gym.make(env_id, render_mode="rgb_array", width=width, height=height,
    **env_kwargs)``, reset with ``seed``. The prior is loaded through the sandbox (its trial
    run included). Frames 0, ``every``, ``2 * every``, ... (frame 0 is the state after the reset,
    frame ``t`` the state after step ``t``) are kept and played at ``fps``. A failing prior step
    (an exception, or an output that is not a finite action) is counted and sends a zero action
    (the episode is played by :func:`camel_gym.evaluation.run_episode`). The episode ends at termination,
    truncation or ``max_steps``.

    Args:
        out_path: ends in ``.gif``, or ``.mp4`` (needs ``imageio-ffmpeg``); written atomically.

    Returns:
        ``{"frames", "steps", "return", "terminated", "truncated", "prior_errors", "seconds"}``.

    Raises:
        PolicyRejected: the prior fails to load (nothing is written).
        RuntimeError: ``.mp4`` asked for and imageio-ffmpeg is not installed.
        ValueError: an unknown clip format or a setting below 1.
    """
    start = time.perf_counter()
    out = Path(out_path)
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(f"clip format must be one of {FORMATS}, got {out.name!r}")
    _check_settings(max_steps, every, width, height, fps)
    if fmt == "mp4":
        _require_ffmpeg()  # before the episode, not after it
    env = gym.make(env_id, render_mode="rgb_array", width=width, height=height, **(env_kwargs or {}))
    frames: list[np.ndarray] = []

    def grab(t: int) -> None:
        if t % every == 0:  # render only the frames that are kept: rendering is the slow part
            frames.append(np.asarray(env.render(), dtype=np.uint8))

    try:
        episode = run_episode(env, load_policy(Path(policy), env=env), seed, max_steps=max_steps, on_step=grab)
    finally:
        env.close()
    _write_clip(out, frames, fps)
    return {
        "frames": len(frames),
        "steps": episode["length"],
        "return": episode["return"],
        "terminated": episode["terminated"],
        "truncated": episode["truncated"],
        "prior_errors": episode["prior_errors"],
        "seconds": time.perf_counter() - start,
    }


def _sha256(path: str | os.PathLike[str] | None) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest() if path else None
    except OSError:
        return None


def _read_json(path: Path) -> Any:
    """The file's JSON, or None when it is missing or unreadable (then it is redone or left out)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def render_run(
    run_dir: str | os.PathLike[str],
    *,
    seed: int = 0,
    max_steps: int = 300,
    every: int = 2,
    width: int = 320,
    height: int = 240,
    fps: float = 25,
    fmt: str = "gif",
    progress: bool = True,
    log: Callable[[str], Any] = print,
) -> Path:
    """Render every valid candidate of the run into ``RUN/render/`` and write ``RUN/report.html``.

    Each valid candidate gets ``RUN/render/<name>.<fmt>`` and ``RUN/render/<name>.json`` (the
    dict of :func:`render_candidate` plus the settings, the policy's sha256 and the time). A
    candidate whose clip and record exist with the same settings and policy is skipped; one
    whose render fails gets a record with the error and no clip, and the stage goes on. The
    env id and its keyword arguments come from ``RUN/meta.json``.

    Returns:
        the path of ``RUN/report.html``.

    Raises:
        FileNotFoundError: ``run_dir`` is not a run directory.
        RuntimeError: ``fmt="mp4"`` and imageio-ffmpeg is not installed.
        ValueError: an unknown ``fmt`` or a setting below 1.
    """
    run = Path(run_dir)
    meta = read_meta(run)
    fmt = fmt.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, got {fmt!r}")
    # checked here, not per candidate: a bad setting is the caller's error, not a candidate's
    _check_settings(max_steps, every, width, height, fps)
    if fmt == "mp4":
        _require_ffmpeg()
    env_id, env_kwargs = meta["env_id"], meta.get("env_kwargs") or {}
    settings = {
        "env_id": env_id, "env_kwargs": env_kwargs, "seed": seed, "max_steps": max_steps, "every": every,
        "width": width, "height": height, "fps": fps, "format": fmt,
    }
    out_dir = run / "render"
    out_dir.mkdir(exist_ok=True)
    valid = [c for c in candidates(run) if c.status == "valid"]
    if not valid:
        log(f"{run}: no valid candidates to render")
    rendered = skipped = failed = 0
    for cand in tqdm(valid, desc="render", unit="clip", disable=not progress, file=sys.stderr):
        clip, record_path = out_dir / f"{cand.name}.{fmt}", out_dir / f"{cand.name}.json"
        digest = _sha256(cand.policy)
        old = _read_json(record_path)
        if (
            clip.is_file() and isinstance(old, dict) and old.get("error") is None
            and old.get("settings") == settings and old.get("policy_sha256") == digest
        ):
            skipped += 1
            continue
        record: dict[str, Any] = {"name": cand.name, "settings": settings, "policy_sha256": digest}
        try:
            stats = render_candidate(
                cand.policy or "", env_id, clip, seed=seed, max_steps=max_steps, every=every,
                width=width, height=height, fps=fps, env_kwargs=env_kwargs,
            )
        except Exception as exc:  # noqa: BLE001 -- one candidate failing (e.g. PolicyRejected) must not stop the stage
            clip.unlink(missing_ok=True)  # an older clip would pass for this settings' render
            record.update(clip=None, error=f"{type(exc).__name__}: {exc}")
            failed += 1
            log(f"{cand.name}: render failed: {record['error']}")
        else:
            record.update(clip=f"render/{clip.name}", error=None, **stats)
            rendered += 1
        record["rendered_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        write_json(record_path, record)
    report = write_report(run)
    log(f"{run}: {rendered} rendered, {skipped} up to date, {failed} failed; report: {report}")
    return report


# ---------------------------------------------------------------------------------------------
# the report


_CSS = """
:root { --fg: #1d2129; --muted: #5f6773; --line: #d7dbe0; --card: #fff; --bg: #f4f5f7;
        --accent: #0b6bcb; --bad: #b42318; --ok: #067647; }
* { box-sizing: border-box; }
body { margin: 0; padding: 1.5rem; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif;
       color: var(--fg); background: var(--bg); }
h1 { font-size: 1.4rem; margin: 0 0 .5rem; }
h2 { font-size: 1.1rem; margin: 1.8rem 0 .6rem; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12.5px; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: 0; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 1rem; }
figure.candidate { margin: 0; padding: .75rem; background: var(--card); border: 1px solid var(--line);
                   border-radius: 8px; position: relative; }
figure.candidate.selected { border: 3px solid var(--accent); box-shadow: 0 0 0 3px rgba(11, 107, 203, .15); }
figure.candidate img.clip, figure.candidate video.clip { display: block; width: 100%; height: auto;
                   background: #000; border-radius: 4px; }
figure.candidate .head { display: flex; gap: .5rem; align-items: baseline; margin-bottom: .5rem; }
figure.candidate .name { font-weight: 600; font-size: 1.05rem; }
.badge { display: inline-block; padding: 0 .45rem; border-radius: 999px; font-size: 12px;
         border: 1px solid var(--line); color: var(--muted); }
.badge.valid { color: var(--ok); border-color: var(--ok); }
.badge.invalid, .badge.request_failed, .badge.failed { color: var(--bad); border-color: var(--bad); }
.badge.selected { color: #fff; background: var(--accent); border-color: var(--accent); font-weight: 600; }
pre.error { white-space: pre-wrap; word-break: break-word; color: var(--bad); background: #fef3f2;
            padding: .5rem; border-radius: 4px; max-height: 14rem; overflow: auto; margin: .5rem 0 0; }
p.missing { color: var(--bad); font-weight: 600; margin: .5rem 0 0; }
dl.stats { display: grid; grid-template-columns: max-content 1fr; gap: 0 .75rem; margin: .5rem 0 0; }
dl.stats dt { color: var(--muted); }
dl.stats dd { margin: 0; font-variant-numeric: tabular-nums; }
table.metrics { border-collapse: collapse; background: var(--card); font-variant-numeric: tabular-nums; }
table.metrics th, table.metrics td { border: 1px solid var(--line); padding: .3rem .55rem; text-align: right; }
table.metrics th { background: #eef0f3; text-align: center; }
table.metrics td.text { text-align: left; max-width: 28rem; overflow-wrap: anywhere; }
table.metrics tr.selected td { background: #e8f1fb; font-weight: 600; }
.note { color: var(--muted); }
"""

# Marks each clip with data-loaded="yes"/"no" once the page has loaded, and makes a missing
# clip say so instead of showing a broken image (the browser test reads these marks).
_SCRIPT = """
(function () {
  function mark(el, ok) {
    el.setAttribute("data-loaded", ok ? "yes" : "no");
    if (ok) return;
    el.hidden = true;
    var msg = el.closest("figure").querySelector("p.missing");
    if (msg) msg.hidden = false;
  }
  window.addEventListener("load", function () {
    document.querySelectorAll("figure.candidate img.clip").forEach(function (img) {
      mark(img, img.complete && img.naturalWidth > 0);
    });
    document.querySelectorAll("figure.candidate video.clip").forEach(function (video) {
      if (video.readyState >= 1) { mark(video, true); return; }
      if (video.error) { mark(video, false); return; }
      video.addEventListener("loadedmetadata", function () { mark(video, true); }, { once: true });
      video.addEventListener("error", function () { mark(video, false); }, { once: true });
    });
  });
})();
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _num(value: Any, spec: str = ".2f") -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "–"
    return format(value, spec) if math.isfinite(value) else str(value)


def _pm(row: dict[str, Any]) -> str:
    if not isinstance(row.get("return_mean"), (int, float)):
        return "–"
    return f"{_num(row.get('return_mean'), '.1f')} ± {_num(row.get('return_std'), '.1f')}"


def _metrics_rows(row: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        ("rank", _num(row.get("rank"), "d")),
        ("score", _num(row.get("score"), ".3f")),
        ("return", _pm(row)),
        ("episode length", _num(row.get("length_mean"), ".1f")),
        ("forward (m)", _num(row.get("forward_mean"))),
        ("failure rate", _num(row.get("failure_rate"), ".0%")),
        ("saturation", _num(row.get("saturation"), ".0%")),
        ("prior errors", _num(row.get("prior_error_rate"), ".1%")),
    ]


def _card(
    cand: CandidateStatus, record: dict[str, Any] | None, metrics: dict[str, Any] | None, selected: bool
) -> str:
    name = _e(cand.name)
    classes, mark = ("candidate selected", ' data-selected="yes"') if selected else ("candidate", "")
    parts = [
        f'<figure class="{classes}" id="{name}" data-candidate="{name}" data-status="{_e(cand.status)}"{mark}>',
        f'<div class="head"><span class="name">{name}</span>'
        f'<span class="badge {_e(cand.status)}">{_e(cand.status)}</span>'
        + ('<span class="badge selected">selected</span>' if selected else "")
        + "</div>",
    ]
    if cand.status != "valid":
        parts.append(f'<pre class="error">{_e(cand.error or "no error recorded")}</pre>')
    elif record is not None and record.get("error"):
        parts.append('<span class="badge failed">render failed</span>')
        parts.append(f'<pre class="error">{_e(record["error"])}</pre>')
    else:
        settings = (record or {}).get("settings") or {}
        fmt = settings.get("format", "gif")
        # the file name only: a record is data, and the page must link inside RUN/render/
        src = "render/" + Path(str((record or {}).get("clip") or f"{cand.name}.{fmt}")).name
        size = ""
        if isinstance(settings.get("width"), int) and isinstance(settings.get("height"), int):
            size = f' width="{settings["width"]}" height="{settings["height"]}"'
        if fmt == "mp4":
            parts.append(
                f'<video class="clip" src="{_e(src)}"{size} autoplay muted loop playsinline controls preload="auto"></video>'
            )
        else:
            parts.append(f'<img class="clip" src="{_e(src)}"{size} alt="{name}: one seeded episode">')
        parts.append("<p class=\"missing\" hidden>clip missing — re-run <code>camel-gym render</code></p>")
    stats: list[tuple[str, str]] = []
    if metrics is not None and metrics.get("status", "valid") == "valid" and metrics.get("rank") is not None:
        stats += _metrics_rows(metrics)
    elif metrics is not None and cand.status == "valid" and metrics.get("error"):
        parts.append(f'<pre class="error">evaluation: {_e(metrics["error"])}</pre>')
    if record is not None and not record.get("error") and "steps" in record:
        episode = (
            f"{_num(record.get('steps'), 'd')} steps, return {_num(record.get('return'), '.1f')}"
            f"{', terminated' if record.get('terminated') else ''}"
        )
        stats.append(("this clip", episode))
        if record.get("prior_errors"):
            stats.append(("clip prior errors", _num(record.get("prior_errors"), "d")))
    if stats:
        parts.append('<dl class="stats">' + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in stats) + "</dl>")
    parts.append("</figure>")
    return "\n".join(parts)


_TABLE_COLUMNS = (
    "rank", "candidate", "status", "score", "return", "length", "forward (m)", "forward p25 (m)",
    "failure rate", "saturation", "prior errors", "error",
)


_TEXT_COLUMNS = frozenset(i for i, c in enumerate(_TABLE_COLUMNS) if c in ("candidate", "status", "error"))


def _metrics_table(summary: dict[str, Any], chosen: str | None) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in _TABLE_COLUMNS)
    rows = []
    for row in summary.get("candidates") or []:
        if not isinstance(row, dict):
            continue
        name = _e(row.get("name"))
        cells = [
            _num(row.get("rank"), "d"), f'<a href="#{name}">{name}</a>', _e(row.get("status")),
            _num(row.get("score"), ".3f"), _pm(row), _num(row.get("length_mean"), ".1f"),
            _num(row.get("forward_mean")), _num(row.get("forward_p25")), _num(row.get("failure_rate"), ".0%"),
            _num(row.get("saturation"), ".0%"), _num(row.get("prior_error_rate"), ".1%"),
        ]
        cells.append(_e(row.get("error")))
        tds = "".join(f'<td class="text">{c}</td>' if i in _TEXT_COLUMNS else f"<td>{c}</td>" for i, c in enumerate(cells))
        cls = ' class="selected"' if chosen is not None and row.get("name") == chosen else ""
        rows.append(f"<tr{cls}>{tds}</tr>")
    episodes, seed = summary.get("episodes"), summary.get("seed")
    about = f"{_e(episodes)} seeded episodes per candidate, from seed {_e(seed)}." if episodes is not None else ""
    definition = summary.get("score_definition")
    return (
        f'<table class="metrics"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>\n'
        f'<p class="note">{about}</p>\n'
        + (f'<p class="score-definition"><strong>Score:</strong> {_e(definition)}</p>' if definition else "")
    )


def _selection_section(selection: dict[str, Any] | None) -> str:
    if not isinstance(selection, dict) or not selection.get("chosen"):
        return '<p class="note">not selected yet: run <code>camel-gym select</code></p>'
    head = "".join(f"<th>{h}</th>" for h in ("position", "candidate", "score (rank)", "probe: eval return after the mask", "vs no-mask baseline"))
    rows = []
    for e in selection.get("ranking") or []:
        probe = "–"
        if "probe_value" in e:
            probe = "failed" if e.get("probe_error") else f"{_num(e.get('probe_value'), '.1f')} ± {_num(e.get('probe_stderr'), '.1f')}"
        beats = _e(e.get("vs_baseline") or "–")
        name = _e(e.get("name"))
        cls = ' class="selected"' if e.get("name") == selection["chosen"] else ""
        rows.append(
            f"<tr{cls}><td>{_num(e.get('position'), 'd')}</td><td class=\"text\"><a href=\"#{name}\">{name}</a></td>"
            f"<td>{_num(e.get('score'), '.3f')} ({_num(e.get('score_rank'), 'd')})</td><td>{probe}</td><td>{beats}</td></tr>"
        )
    base = selection.get("baseline_probe_value")
    notes = [f"Chosen: <strong>{_e(selection['chosen'])}</strong>, by {_e(selection.get('chosen_by'))}."]
    if isinstance(base, (int, float)):
        notes.append(f"No-mask baseline probe: {_num(base, '.1f')}.")
    if selection.get("installed"):
        notes.append(f"Installed as <code>{_e(selection['installed'])}</code>.")
    warning = f'<p class="missing">{_e(selection["warning"])}</p>' if selection.get("warning") else ""
    return (
        f'<table class="metrics selection"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>\n'
        f'<p class="note">{" ".join(notes)}</p>{warning}'
    )


def write_report(run_dir: str | os.PathLike[str]) -> Path:
    """Write ``RUN/report.html`` from what the run holds so far, and return its path.

    Reads ``meta.json``, the candidates, ``render/*.json``, ``evaluation/summary.json`` and
    ``selection/selection.json`` when they exist; any missing part is said so on the page.
    One card per candidate (failed ones show their error), the selected one highlighted.
    """
    run = Path(run_dir)
    meta = read_meta(run)
    cands = candidates(run)
    records = {c.name: _read_json(run / "render" / f"{c.name}.json") for c in cands}
    records = {k: v for k, v in records.items() if isinstance(v, dict)}
    summary = _read_json(run / "evaluation" / "summary.json")
    summary = summary if isinstance(summary, dict) else None
    selection = _read_json(run / "selection" / "selection.json")
    chosen = selection.get("chosen") if isinstance(selection, dict) else None
    metrics = {
        row["name"]: row for row in (summary or {}).get("candidates") or [] if isinstance(row, dict) and "name" in row
    }

    # ranked candidates first, in rank order (as the evaluation lists them), then the rest by name
    def order(c: CandidateStatus) -> tuple[int, float, str]:
        rank = (metrics.get(c.name) or {}).get("rank")
        return (0, rank, c.name) if isinstance(rank, (int, float)) else (1, 0.0, c.name)

    cards = "\n".join(
        _card(c, records.get(c.name), metrics.get(c.name), c.name == chosen) for c in sorted(cands, key=order)
    )
    counts: dict[str, int] = {}
    for c in cands:
        counts[c.status] = counts.get(c.status, 0) + 1
    prompt_sha = str(meta.get("prompt_sha256") or "")
    header = [
        ("env", meta.get("env_id")),
        ("model", meta.get("model")),
        ("endpoint", meta.get("endpoint_host")),
        ("temperature", meta.get("temperature")),
        ("prompt sha256", prompt_sha[:12] or None),
        ("created", meta.get("created")),
        ("candidates", ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none"),
        ("max repairs", meta.get("max_repairs")),
        ("selected", chosen or "none yet: run `camel-gym select`"),
    ]
    if meta.get("env_kwargs"):
        header.insert(1, ("env kwargs", json.dumps(meta["env_kwargs"], sort_keys=True)))
    header_html = "".join(f"<dt>{_e(k)}</dt><dd>{_e('–' if v is None else v)}</dd>" for k, v in header)

    if summary is not None:
        evaluation = _metrics_table(summary, chosen)
    else:
        evaluation = '<p class="not-evaluated">not evaluated yet: run <code>camel-gym evaluate</code></p>'

    done = [r for r in records.values() if not r.get("error") and "steps" in r]
    all_settings = []
    for r in records.values():
        if isinstance(r.get("settings"), dict) and r["settings"] not in all_settings:
            all_settings.append(r["settings"])
    if all_settings:
        render_note = "".join(
            f"<dd><code>{_e(json.dumps(s, sort_keys=True))}</code></dd>" for s in all_settings
        )
        seconds = sum(float(r.get("seconds") or 0.0) for r in done)
        last = max((str(r.get("rendered_at") or "") for r in records.values()), default="")
        render_html = (
            f'<dl class="meta render-settings"><dt>settings</dt>{render_note}'
            f"<dt>render time</dt><dd>{seconds:.1f} s for {len(done)} clip(s); last rendered {_e(last or '–')}</dd>"
            f"<dt>report written</dt><dd>{_e(time.strftime('%Y-%m-%dT%H:%M:%S%z'))}</dd></dl>"
        )
    else:
        render_html = '<p class="note">not rendered yet: run <code>camel-gym render</code></p>'

    title = f"camel-gym run: {meta.get('env_id')}"
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title>
<style>{_CSS}</style>
</head>
<body>
<header>
<h1>{_e(title)}</h1>
<dl class="meta">{header_html}</dl>
</header>
<h2>Candidates</h2>
<p class="note">One seeded episode of each valid prior acting alone (no RL), for review by eye.</p>
<section class="grid">
{cards}
</section>
<h2>Evaluation</h2>
{evaluation}
<h2>Selection</h2>
{_selection_section(selection)}
<h2>Render</h2>
{render_html}
<script>{_SCRIPT}</script>
</body>
</html>
"""
    path = run / "report.html"
    write_atomic(path, page)
    return path
