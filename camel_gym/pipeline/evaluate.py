"""The pipeline's ``evaluate`` stage: seeded episodes of every valid candidate, ranked by a robust score.

Every valid candidate of a ``camel-gym generate`` run plays the same seeded episodes
(:func:`camel_gym.evaluation.run_episode`); each finished episode is appended at once to
``RUN/evaluation/<candidate>.jsonl``, so an interrupted evaluation loses at most the episode in
progress and re-running it plays only the seeds still missing. The candidates are ranked by
:data:`SCORE_DEFINITION` and the result is written to ``RUN/evaluation/summary.json``
(:class:`~camel_gym.records.EvaluationSummary`), ``summary.csv`` and ``summary.md``.

Example (not run as a doctest: it needs a run directory)::

    from camel_gym.pipeline.evaluate import evaluate_run, ranked_table
    summary = evaluate_run("runs/hopper", episodes=10)
    print(ranked_table(summary))
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from tqdm.auto import tqdm

from camel_gym.evaluation import EVAL_EPISODES, EVAL_SEED, EpisodeStats, run_episode
from camel_gym.records import (
    EVALUATION_COLUMNS,
    Episode,
    EvaluationRow,
    EvaluationSummary,
    RecordError,
    candidates,
    read_meta,
    write_atomic,
)
from camel_gym.sandbox import PolicyRejected, load_policy

__all__ = ["SCORE_DEFINITION", "evaluate_run", "ranked_table", "robust_score"]

#: How a candidate's robustness score is defined; printed under every ranked table.
SCORE_DEFINITION = (
    "score = P25 - |P25| x (1 - (1 - saturation) x (1 - prior error rate)), where P25 is the 25th percentile over "
    "the seeded episodes of forward progress (metres the root body moved along x, in Gymnasium's MuJoCo locomotion "
    "envs: Ant, HalfCheetah, Hopper, Humanoid, Swimmer, Walker2d; episode return in any other env). For P25 >= 0 that is P25 x (1 - saturation) x (1 - error rate); a negative P25 is pushed down "
    "by the same share, so the penalties always lower the score. "
    "Why not mean return: the survival bonus pays a prior that stands still (Hopper: ~1000 for 0 m), one lucky "
    "episode lifts a mean, a prior pinned at the action limits leaves the learner a one-sided sliver of mask, and "
    "steps on which the code fails give no guidance. Falls need no term of their own: they end the episode and "
    "cut its progress short; the failure rate is reported beside the score."
)


def robust_score(progress: list[float], saturation: float, prior_error_rate: float) -> float:
    """:data:`SCORE_DEFINITION` for one candidate's per-episode ``progress``.

    >>> robust_score([4.0, 5.0, 6.0, 7.0, 8.0], saturation=0.5, prior_error_rate=0.0)
    2.5
    >>> robust_score([-2.0, -2.0], saturation=0.5, prior_error_rate=0.0)
    -3.0
    """
    base = float(np.percentile(progress, 25))
    kept = (1.0 - saturation) * (1.0 - prior_error_rate)
    return base - abs(base) * (1.0 - kept)


def _scored_row(name: str, stats: EpisodeStats) -> EvaluationRow:
    m = stats.metrics()
    score = robust_score(stats.forward or stats.returns, m["saturation"], m["prior_error_rate"])
    return EvaluationRow(name=name, status="valid", score=score, episodes=len(stats.episodes), **m)


def _read_episodes(path: Path) -> dict[int, Episode]:
    """The finished episodes of one candidate by seed; a line cut short by a kill is ignored."""
    done: dict[int, Episode] = {}
    if path.is_file():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            try:
                episode = Episode.from_json(line, where=f"{path}, line {number}")
            except RecordError:
                continue  # the line a kill cut short; its episode is played again
            done[episode.seed] = episode
    return done


def _append_line(path: Path, line: str) -> None:
    """Append one line; after a line cut short by a kill, start a new one rather than extend it."""
    with path.open("a+b") as f:
        cut = False
        if f.seek(0, 2) > 0:
            f.seek(-1, 2)
            cut = f.read(1) != b"\n"
        f.write((b"\n" if cut else b"") + line.encode() + b"\n")


def evaluate_run(
    run_dir: str | Path,
    *,
    episodes: int = EVAL_EPISODES,
    seed: int = EVAL_SEED,
    progress: bool = True,
    log: Callable[[str], Any] = print,
) -> EvaluationSummary:
    """The ``evaluate`` stage: ``episodes`` seeded episodes for every valid candidate, ranked.

    Seeds are ``seed .. seed + episodes - 1`` for every candidate, so all of them face the same
    start states. Episodes already in ``RUN/evaluation/<candidate>.jsonl`` are not played again.
    A candidate the sandbox now rejects is listed as ``rejected``; candidates that are not valid
    are listed after the ranked ones. The summary is written to ``RUN/evaluation/summary.json``,
    ``summary.csv`` and ``summary.md``, and returned.

    Raises:
        FileNotFoundError: ``run_dir`` is not a run directory.
        ValueError: ``episodes < 1``.
    """
    if episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes}")
    meta = read_meta(run_dir)
    folder = Path(run_dir) / "evaluation"
    folder.mkdir(exist_ok=True)
    seeds = list(range(seed, seed + episodes))
    start = time.perf_counter()
    env = gym.make(meta.env_id, **meta.env_kwargs)
    action_dim = int(np.prod(env.action_space.shape))
    runs = candidates(run_dir)
    done = {c.name: _read_episodes(folder / f"{c.name}.jsonl") for c in runs if c.status == "valid"}
    todo = {name: [s for s in seeds if s not in played] for name, played in done.items()}
    bar = tqdm(total=sum(map(len, todo.values())), unit="episode", desc="evaluate", disable=not progress)
    rows: list[EvaluationRow] = []
    for cand in runs:
        if cand.status != "valid":
            rows.append(EvaluationRow(name=cand.name, status=cand.status, error=cand.error))
            continue
        try:
            policy = load_policy(cand.policy, env=env) if todo[cand.name] else None
        except PolicyRejected as exc:
            bar.update(len(todo[cand.name]))
            log(f"{cand.name}: rejected by the sandbox: {exc}")
            rows.append(EvaluationRow(name=cand.name, status="rejected", error=str(exc)))
            continue
        for s in todo[cand.name]:
            bar.set_postfix_str(cand.name, refresh=False)
            episode = run_episode(env, policy, s)
            _append_line(folder / f"{cand.name}.jsonl", episode.to_json(indent=None))
            done[cand.name][s] = episode
            bar.update(1)
        rows.append(_scored_row(cand.name, EpisodeStats(action_dim, [done[cand.name][s] for s in seeds])))
    bar.close()
    env.close()
    ranked = sorted((r for r in rows if r.status == "valid"), key=lambda r: (-r.score, -r.return_mean))
    for i, r in enumerate(ranked, 1):
        r.rank = i
    summary = EvaluationSummary(
        env_id=meta.env_id, episodes=episodes, seed=seed, seconds=time.perf_counter() - start,
        score_definition=SCORE_DEFINITION, candidates=ranked + [r for r in rows if r.status != "valid"],
    )
    summary.write(folder / "summary.json")
    write_atomic(folder / "summary.csv", _csv(summary.candidates))
    write_atomic(folder / "summary.md", ranked_table(summary, markdown=True) + "\n")
    return summary


def _fmt(value: float | None, spec: str = ".2f") -> str:
    return "-" if value is None else format(value, spec)


def ranked_table(summary: EvaluationSummary, markdown: bool = False) -> str:
    """The evaluation summary as a ranked table: Markdown, or aligned text for a terminal."""
    heads = ["rank", "candidate", "score", "return", "length", "forward m", "fwd P25", "falls", "saturated", "errors"]
    body = [
        [
            str(r.rank), r.name, _fmt(r.score), f"{r.return_mean:.1f} ± {r.return_std:.1f}", f"{r.length_mean:.0f}",
            _fmt(r.forward_mean), _fmt(r.forward_p25), f"{r.failure_rate:.0%}", f"{r.saturation:.1%}",
            f"{r.prior_error_rate:.1%}",
        ]
        for r in summary.ranked
    ]
    others = [(r.name, r.status, r.error or "") for r in summary.candidates if r.status != "valid"]
    if markdown:
        body += [["-", name, status, error, "", "", "", "", "", ""] for name, status, error in others]
        esc = [[cell.replace("|", "\\|").replace("\n", " ") for cell in row] for row in body]
        lines = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
        lines += ["| " + " | ".join(row) + " |" for row in esc]
        last = summary.seed + summary.episodes - 1
        note = f"{summary.episodes} seeded episodes per candidate (seeds {summary.seed}..{last}). {summary.score_definition}"
        return "\n".join(lines) + "\n\n" + note
    widths = [max(len(h), *(len(row[i]) for row in body)) if body else len(h) for i, h in enumerate(heads)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in [heads, *body]]
    # not ranked: one line each below the table, so a long error does not stretch its columns
    lines += [f"-  {name}  {status}: {error.splitlines()[0][:110] if error else ''}" for name, status, error in others]
    return "\n".join(lines)


def _csv(rows: list[EvaluationRow]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EVALUATION_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(row.to_dict() for row in rows)
    return out.getvalue()
