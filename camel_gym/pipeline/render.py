"""The ``render`` stage: a clip of one seeded episode per valid candidate, for review by eye.

CAMEL's authors chose among the LLM's candidate priors by watching them act. This stage makes
that review easy to do and to share: each valid candidate's ``policy.py`` (loaded through the
sandbox, never imported) drives one seeded episode, every ``every``-th frame goes into a clip,
and :func:`camel_gym.pipeline.report.write_report` then writes one static page that shows all
candidates side by side with their evaluation metrics::

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
from camel_gym.pipeline.report import write_report
from camel_gym.records import RecordError, RenderRecord, RenderSettings, candidates, read_meta, timestamp
from camel_gym.sandbox import load_policy

__all__ = ["render_candidate", "render_run"]

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
        "steps": episode.length,
        "return": episode.return_,
        "terminated": episode.terminated,
        "truncated": episode.truncated,
        "prior_errors": episode.prior_errors,
        "seconds": time.perf_counter() - start,
    }


def _sha256(path: str | os.PathLike[str] | None) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest() if path else None
    except OSError:
        return None


def _old_record(path: Path) -> RenderRecord | None:
    """The record of an earlier render, or None when there is none to trust (then the clip is redone)."""
    try:
        return RenderRecord.read(path)
    except (FileNotFoundError, RecordError):  # not rendered yet, or by another camel-gym version
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

    Each valid candidate gets ``RUN/render/<name>.<fmt>`` and ``RUN/render/<name>.json`` (a
    :class:`camel_gym.records.RenderRecord`: what :func:`render_candidate` returns, the
    settings, the policy's sha256 and the time). A candidate whose clip and record exist with
    the same settings and policy is skipped; one whose render fails gets a record with the
    error and no clip, and the stage goes on. The env id and its keyword arguments come from
    ``RUN/meta.json``; the page is written by :func:`camel_gym.pipeline.report.write_report`.

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
    settings = RenderSettings(
        env_id=meta.env_id, env_kwargs=meta.env_kwargs, seed=seed, max_steps=max_steps, every=every,
        width=width, height=height, fps=fps, format=fmt,
    )
    out_dir = run / "render"
    out_dir.mkdir(exist_ok=True)
    valid = [c for c in candidates(run) if c.status == "valid"]
    if not valid:
        log(f"{run}: no valid candidates to render")
    rendered = skipped = failed = 0
    for cand in tqdm(valid, desc="render", unit="clip", disable=not progress, file=sys.stderr):
        clip, record_path = out_dir / f"{cand.name}.{fmt}", out_dir / f"{cand.name}.json"
        digest = _sha256(cand.policy)
        old = _old_record(record_path)
        if clip.is_file() and old is not None and old.error is None and old.settings == settings and old.policy_sha256 == digest:
            skipped += 1
            continue
        try:
            stats = render_candidate(
                cand.policy or "", meta.env_id, clip, seed=seed, max_steps=max_steps, every=every,
                width=width, height=height, fps=fps, env_kwargs=meta.env_kwargs,
            )
        except Exception as exc:  # noqa: BLE001 -- one candidate failing (e.g. PolicyRejected) must not stop the stage
            clip.unlink(missing_ok=True)  # an older clip would pass for this settings' render
            record = RenderRecord(
                name=cand.name, settings=settings, policy_sha256=digest, clip=None,
                error=f"{type(exc).__name__}: {exc}", rendered_at=timestamp(),
            )
            failed += 1
            log(f"{cand.name}: render failed: {record.error}")
        else:
            record = RenderRecord(
                name=cand.name, settings=settings, policy_sha256=digest, clip=f"render/{clip.name}", error=None,
                rendered_at=timestamp(), frames=stats["frames"], steps=stats["steps"], return_=stats["return"],
                terminated=stats["terminated"], truncated=stats["truncated"], prior_errors=stats["prior_errors"],
                seconds=stats["seconds"],
            )
            rendered += 1
        record.write(record_path)
    report = write_report(run)
    log(f"{run}: {rendered} rendered, {skipped} up to date, {failed} failed; report: {report}")
    return report
