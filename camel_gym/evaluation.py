"""Seeded evaluation of a prior policy on its own: return, episode length, forward progress.

``python -m camel_gym.evaluation --write-readme llm_policies/README.md`` regenerates the
table of the shipped priors beside a random policy (10 seeded episodes each).
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from camel_gym.priors import SHIPPED_PRIORS, shipped_prior
from camel_gym.sandbox import as_action, load_policy

__all__ = ["EpisodeStats", "evaluate_policy"]


@dataclass
class EpisodeStats:
    """Per-episode results of :func:`evaluate_policy`."""

    returns: list[float] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)
    forward: list[float] = field(default_factory=list)  # x displacement of MuJoCo locomotion bodies
    prior_errors: int = 0

    def summary(self) -> dict[str, float]:
        r, n = np.asarray(self.returns), np.asarray(self.lengths)
        out = {"return_mean": r.mean(), "return_std": r.std(), "length_mean": n.mean()}
        if self.forward:
            out["forward_mean"] = float(np.mean(self.forward))
        return {k: float(v) for k, v in out.items()}


def evaluate_policy(
    env_id: str,
    policy: Callable[[Any], Any] | None,
    episodes: int = 10,
    seed: int = 0,
    env_kwargs: dict[str, Any] | None = None,
) -> EpisodeStats:
    """Run ``policy`` (``None``: uniform random actions) for ``episodes`` seeded episodes.

    Episode ``i`` resets with ``seed + i``; a random policy's action space is seeded the same
    way. A prior's failing step (exception, bad output) counts in ``prior_errors`` and sends
    a zero action, so one failure does not end the evaluation.
    """
    env = gym.make(env_id, **(env_kwargs or {}))
    space = env.action_space
    stats = EpisodeStats()
    for episode in range(episodes):
        obs, info = env.reset(seed=seed + episode)
        space.seed(seed + episode)
        start_x = _x_position(env)
        total, steps, done = 0.0, 0, False
        while not done:
            if policy is None:
                action = space.sample()
            else:
                try:
                    action = np.clip(as_action(policy(obs), space.shape, space.dtype), space.low, space.high)
                except Exception:  # a prior may fail in any way; count it and go on
                    stats.prior_errors += 1
                    action = np.zeros(space.shape, space.dtype)
            obs, reward, terminated, truncated, info = env.step(action)
            total += float(reward)
            steps += 1
            done = terminated or truncated
        stats.returns.append(total)
        stats.lengths.append(steps)
        if start_x is not None:
            stats.forward.append(_x_position(env) - start_x)
    env.close()
    return stats


def _x_position(env: gym.Env) -> float | None:
    """The root body's x (``qpos[0]``) of a MuJoCo locomotion env, else None."""
    data = getattr(env.unwrapped, "data", None)
    return float(data.qpos[0]) if data is not None and hasattr(data, "qpos") else None


def _row(name: str, stats: EpisodeStats) -> str:
    s = stats.summary()
    forward = f"{s['forward_mean']:.2f}" if "forward_mean" in s else "n/a"
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
