"""Seeded evaluation of prior policies, and the pipeline's ``evaluate`` stage.

:func:`evaluate_policy` runs one prior for N seeded episodes and reports return, episode
length, forward progress, failure rate (episodes that ended by termination, i.e. a fall),
action saturation and failing prior steps. :func:`evaluate_run` does that for every valid
candidate of a ``camel-gym generate`` run directory and ranks them by :data:`SCORE_DEFINITION`.

``python -m camel_gym.evaluation --write-readme llm_policies/README.md`` regenerates the
table of the shipped priors beside a random policy (10 seeded episodes each).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from tqdm.auto import tqdm

from camel_gym.priors import SHIPPED_PRIORS, shipped_prior
from camel_gym.records import candidates, read_meta, write_atomic, write_json
from camel_gym.sandbox import PolicyRejected, as_action, load_policy

__all__ = ["SCORE_DEFINITION", "EpisodeStats", "evaluate_policy", "evaluate_run", "robust_score", "run_episode"]

#: How a candidate's robustness score is defined; printed under every ranked table.
SCORE_DEFINITION = (
    "score = P25 - |P25| x (1 - (1 - saturation) x (1 - prior error rate)), where P25 is the 25th percentile over "
    "the seeded episodes of forward progress (metres the root body moved along x; episode return for an env "
    "without one). For P25 >= 0 that is P25 x (1 - saturation) x (1 - error rate); a negative P25 is pushed down "
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


@dataclass
class EpisodeStats:
    """Per-episode results of :func:`evaluate_policy` (one entry per episode in each list)."""

    returns: list[float] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)
    forward: list[float] = field(default_factory=list)  # x displacement of MuJoCo locomotion bodies
    terminated: list[bool] = field(default_factory=list)  # ended by termination (a fall), not the time limit
    saturated: list[int] = field(default_factory=list)  # action components at the limits
    errors: list[int] = field(default_factory=list)  # steps on which the prior failed
    action_dim: int = 1

    @property
    def prior_errors(self) -> int:
        return int(sum(self.errors))

    def add(self, episode: dict[str, Any]) -> None:
        """Append one record of :func:`run_episode`."""
        self.returns.append(episode["return"])
        self.lengths.append(episode["length"])
        if episode["forward"] is not None:
            self.forward.append(episode["forward"])
        self.terminated.append(episode["terminated"])
        self.saturated.append(episode["saturated"])
        self.errors.append(episode["prior_errors"])

    def summary(self) -> dict[str, float]:
        """Means and rates over the episodes, and the :func:`robust_score`."""
        r, n = np.asarray(self.returns), np.asarray(self.lengths)
        steps = max(int(n.sum()), 1)
        out = {
            "return_mean": r.mean(), "return_std": r.std(), "length_mean": n.mean(),
            "forward_mean": float(np.mean(self.forward)) if self.forward else None,
            "forward_p25": float(np.percentile(self.forward, 25)) if self.forward else None,
            "failure_rate": np.mean(self.terminated),
            "saturation": sum(self.saturated) / (steps * self.action_dim),
            "prior_error_rate": self.prior_errors / steps,
        }
        out["score"] = robust_score(self.forward or self.returns, out["saturation"], out["prior_error_rate"])
        return {k: (None if v is None else float(v)) for k, v in out.items()}


def run_episode(
    env: gym.Env,
    policy: Callable[[Any], Any] | None,
    seed: int,
    max_steps: int | None = None,
    on_step: Callable[[int], Any] | None = None,
) -> dict[str, Any]:
    """One episode from ``env.reset(seed=seed)``; ``policy=None`` samples uniform random actions.

    A prior's failing step (exception, bad output) is counted and sends a zero action, so one
    failure does not end the episode. An action component counts as saturated when the prior
    asks for it within 1 % of the range of a limit, or beyond. The episode ends at termination,
    truncation or after ``max_steps``; ``on_step(t)`` is called after the reset (``t = 0``) and
    after every step ``t`` (a renderer grabs its frames there).
    """
    space = env.action_space
    low, high = space.low, space.high
    margin = 0.01 * (high - low)
    obs, _ = env.reset(seed=seed)
    space.seed(seed)
    start_x = _x_position(env)
    total, steps, errors, saturated, terminated, truncated = 0.0, 0, 0, 0, False, False
    if on_step is not None:
        on_step(0)
    while not (terminated or truncated or steps == max_steps):
        if policy is None:
            action = space.sample()
        else:
            try:
                raw = as_action(policy(obs), space.shape, space.dtype)
            except Exception:  # a prior may fail in any way; count it and go on
                errors += 1
                action = np.zeros(space.shape, space.dtype)
            else:
                saturated += int(np.count_nonzero((raw >= high - margin) | (raw <= low + margin)))
                action = np.clip(raw, low, high)
        obs, reward, terminated, truncated, _ = env.step(action)
        total += float(reward)
        steps += 1
        if on_step is not None:
            on_step(steps)
    end_x = _x_position(env)
    return {
        "seed": seed, "return": total, "length": steps,
        "forward": None if start_x is None else end_x - start_x,
        "terminated": bool(terminated), "truncated": bool(truncated), "saturated": saturated, "prior_errors": errors,
    }


def evaluate_policy(
    env_id: str,
    policy: Callable[[Any], Any] | None,
    episodes: int = 10,
    seed: int = 0,
    env_kwargs: dict[str, Any] | None = None,
) -> EpisodeStats:
    """Run ``policy`` (``None``: uniform random actions) for ``episodes`` seeded episodes.

    Episode ``i`` resets with ``seed + i``; a random policy's action space is seeded the same
    way. See :func:`run_episode` for how failing prior steps and saturation are counted.
    """
    env = gym.make(env_id, **(env_kwargs or {}))
    stats = EpisodeStats(action_dim=int(np.prod(env.action_space.shape)))
    for episode in range(episodes):
        stats.add(run_episode(env, policy, seed + episode))
    env.close()
    return stats


def _x_position(env: gym.Env) -> float | None:
    """The root body's x (``qpos[0]``) of a MuJoCo locomotion env, else None."""
    data = getattr(env.unwrapped, "data", None)
    return float(data.qpos[0]) if data is not None and hasattr(data, "qpos") else None


#: The per-candidate metrics of the evaluate stage, in table order.
COLUMNS = (
    "rank", "name", "score", "return_mean", "return_std", "length_mean", "forward_mean", "forward_p25",
    "failure_rate", "saturation", "prior_error_rate", "episodes",
)


def _read_episodes(path: Path) -> dict[int, dict[str, Any]]:
    """The finished episodes of one candidate by seed; a line cut short by a kill is ignored."""
    done: dict[int, dict[str, Any]] = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            done[record["seed"]] = record
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
    episodes: int = 10,
    seed: int = 0,
    progress: bool = True,
    log: Callable[[str], Any] = print,
) -> dict[str, Any]:
    """The ``evaluate`` stage: ``episodes`` seeded episodes for every valid candidate, ranked.

    Each finished episode is appended to ``RUN/evaluation/<candidate>.jsonl`` at once, so an
    interrupted evaluation loses at most the episode in progress, and re-running it only plays
    the seeds still missing. Seeds are ``seed .. seed + episodes - 1`` for every candidate, so
    all of them face the same start states. The result, ranked by :data:`SCORE_DEFINITION`, is
    written to ``RUN/evaluation/summary.json``, ``summary.csv`` and ``summary.md`` and returned.

    Raises:
        FileNotFoundError: ``run_dir`` is not a run directory.
        ValueError: ``episodes < 1``.
    """
    if episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes}")
    meta = read_meta(run_dir)
    env_id, env_kwargs = meta["env_id"], meta.get("env_kwargs") or {}
    folder = Path(run_dir) / "evaluation"
    folder.mkdir(exist_ok=True)
    seeds = list(range(seed, seed + episodes))
    start = time.perf_counter()
    env = gym.make(env_id, **env_kwargs)
    action_dim = int(np.prod(env.action_space.shape))
    runs = candidates(run_dir)
    valid = [c for c in runs if c.status == "valid"]
    done = {c.name: _read_episodes(folder / f"{c.name}.jsonl") for c in valid}
    todo = {name: [s for s in seeds if s not in episodes_done] for name, episodes_done in done.items()}
    bar = tqdm(total=sum(map(len, todo.values())), unit="episode", desc="evaluate", disable=not progress)
    rows: list[dict[str, Any]] = []
    for cand in runs:
        if cand.status != "valid":
            rows.append({"name": cand.name, "status": cand.status, "error": cand.error, "rank": None})
            continue
        record_file = folder / f"{cand.name}.jsonl"
        try:
            policy = load_policy(cand.policy, env=env) if todo[cand.name] else None
        except PolicyRejected as exc:
            bar.update(len(todo[cand.name]))
            log(f"{cand.name}: rejected by the sandbox: {exc}")
            rows.append({"name": cand.name, "status": "rejected", "error": str(exc), "rank": None})
            continue
        for s in todo[cand.name]:
            bar.set_postfix_str(cand.name, refresh=False)
            record = run_episode(env, policy, s)
            _append_line(record_file, json.dumps(record))
            done[cand.name][s] = record
            bar.update(1)
        stats = EpisodeStats(action_dim=action_dim)
        for s in seeds:
            stats.add(done[cand.name][s])
        rows.append({"name": cand.name, "status": "valid", "error": None, **stats.summary(), "episodes": episodes})
    bar.close()
    env.close()
    ranked = sorted((r for r in rows if r["status"] == "valid"), key=lambda r: (-r["score"], -r["return_mean"]))
    for i, r in enumerate(ranked, 1):
        r["rank"] = i
    others = [r for r in rows if r["status"] != "valid"]
    summary = {
        "env_id": env_id, "episodes": episodes, "seed": seed, "seconds": time.perf_counter() - start,
        "score_definition": SCORE_DEFINITION, "candidates": ranked + others,
    }
    write_json(folder / "summary.json", summary)
    write_atomic(folder / "summary.csv", _csv(summary["candidates"]))
    write_atomic(folder / "summary.md", ranked_table(summary, markdown=True) + "\n")
    return summary


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def ranked_table(summary: dict[str, Any], markdown: bool = False) -> str:
    """The evaluation summary as a ranked table: Markdown, or aligned text for a terminal."""
    heads = ["rank", "candidate", "score", "return", "length", "forward m", "fwd P25", "falls", "saturated", "errors"]
    body, others = [], []
    for r in summary["candidates"]:
        if r["status"] != "valid":
            others.append((r["name"], r["status"], r.get("error") or ""))
            continue
        body.append([
            str(r["rank"]), r["name"], _fmt(r["score"]), f"{r['return_mean']:.1f} ± {r['return_std']:.1f}",
            f"{r['length_mean']:.0f}", _fmt(r["forward_mean"]), _fmt(r["forward_p25"]),
            f"{r['failure_rate']:.0%}", f"{r['saturation']:.1%}", f"{r['prior_error_rate']:.1%}",
        ])
    if markdown:
        body += [["-", name, status, error, "", "", "", "", "", ""] for name, status, error in others]
        esc = [[cell.replace("|", "\\|").replace("\n", " ") for cell in row] for row in body]
        lines = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
        lines += ["| " + " | ".join(row) + " |" for row in esc]
        note = f"{summary['episodes']} seeded episodes per candidate (seeds {summary['seed']}..{summary['seed'] + summary['episodes'] - 1}). {summary['score_definition']}"
        return "\n".join(lines) + "\n\n" + note
    widths = [max(len(h), *(len(row[i]) for row in body)) if body else len(h) for i, h in enumerate(heads)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in [heads, *body]]
    # not ranked: one line each below the table, so a long error does not stretch its columns
    lines += [f"-  {name}  {status}: {error.splitlines()[0][:110] if error else ''}" for name, status, error in others]
    return "\n".join(lines)


def _csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*COLUMNS, "status", "error"], extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _row(name: str, stats: EpisodeStats) -> str:
    s = stats.summary()
    forward = "n/a" if s["forward_mean"] is None else f"{s['forward_mean']:.2f}"
    return f"| {name} | {s['return_mean']:.1f} ± {s['return_std']:.1f} | {s['length_mean']:.1f} | {forward} |"


def shipped_prior_table(episodes: int = 10, seed: int = 0) -> str:
    """A Markdown table: each shipped prior beside a random policy, on the same seeds."""
    lines = [
        "| policy | return (mean ± std) | episode length | forward progress (m) |",
        "|---|---|---|---|",
    ]
    for family, (filename, _, _) in SHIPPED_PRIORS.items():
        env_id = f"{family}-v4"
        prior = load_policy(shipped_prior(env_id), env=gym.make(env_id))
        lines.append(_row(f"`{filename}` on {env_id}", evaluate_policy(env_id, prior, episodes, seed)))
        lines.append(_row(f"random on {env_id}", evaluate_policy(env_id, None, episodes, seed)))
    return "\n".join(lines)


_BEGIN, _END = "<!-- prior-table:begin -->", "<!-- prior-table:end -->"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=10, help="seeded episodes per policy")
    parser.add_argument("--seed", type=int, default=0, help="seed of the first episode")
    parser.add_argument("--write-readme", type=Path, help="replace the table between the markers in this file")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    table = shipped_prior_table(args.episodes, args.seed)
    note = (
        f"{args.episodes} episodes per policy, seeds {args.seed}..{args.seed + args.episodes - 1} "
        f"(`env.reset(seed=s)`; the random policy's action space seeded alike); generated by "
        f"`python -m camel_gym.evaluation --write-readme llm_policies/README.md`."
    )
    block = f"{_BEGIN}\n{table}\n\n{note}\n{_END}"
    print(table)
    print(f"\n({time.perf_counter() - start:.0f} s)")
    if args.write_readme:
        text = args.write_readme.read_text(encoding="utf-8")
        if _BEGIN not in text or _END not in text:
            raise SystemExit(f"{args.write_readme} has no {_BEGIN} ... {_END} markers to replace")
        pattern = re.compile(re.escape(_BEGIN) + ".*?" + re.escape(_END), re.S)
        args.write_readme.write_text(pattern.sub(lambda _: block, text), encoding="utf-8")


if __name__ == "__main__":
    main()
