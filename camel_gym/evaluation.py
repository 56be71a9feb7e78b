"""Seeded episodes of a policy, and the metrics the pipeline ranks priors by.

:func:`run_episode` plays one episode from ``env.reset(seed=seed)`` and returns an
:class:`~camel_gym.records.Episode`: return, length, forward progress (metres the root body of
a MuJoCo locomotion env moved along x), whether it fell (terminated), how often the policy
asked for an action at its limits (saturation), and how many of its steps failed.
:func:`evaluate_policy` runs seeded episodes ``seed .. seed + episodes - 1`` and collects them
in :class:`EpisodeStats`. The pipeline's ``camel-gym evaluate`` stage
(:mod:`camel_gym.pipeline.evaluate`) and ``camel-gym render`` are built on these, and
``camel-gym prior-table`` uses them for the table of the shipped priors.

Example:
    >>> import gymnasium as gym
    >>> from camel_gym.evaluation import run_episode
    >>> episode = run_episode(gym.make("Hopper-v4"), None, seed=0)   # None: uniform random actions
    >>> episode.seed, episode.length, episode.terminated, episode.prior_errors   # random actions fall fast
    (0, 26, True, 0)
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np

from camel_gym.priors import SHIPPED_PRIORS, env_family, handtuned_prior, shipped_prior
from camel_gym.records import Episode
from camel_gym.sandbox import as_action, load_policy

__all__ = [
    "EVAL_EPISODES",
    "EVAL_SEED",
    "Episode",
    "EpisodeStats",
    "evaluate_policy",
    "run_episode",
    "shipped_prior_table",
]

#: The first seed of every evaluation of a prior (``camel-gym evaluate``, ``render`` and
#: ``prior-table``): episode ``i`` resets with ``EVAL_SEED + i``, so all priors face the same
#: start states. The shipped priors were tuned on other seeds (their headers say which).
EVAL_SEED = 0
#: Seeded episodes per evaluation: seeds ``EVAL_SEED .. EVAL_SEED + EVAL_EPISODES - 1`` (0..9).
EVAL_EPISODES = 10


def run_episode(
    env: gym.Env,
    policy: Callable[[Any], Any] | None,
    seed: int,
    max_steps: int | None = None,
    on_step: Callable[[int], Any] | None = None,
) -> Episode:
    """One episode from ``env.reset(seed=seed)``; ``policy=None`` samples uniform random actions.

    A prior's failing step (exception, bad output) is counted and sends a zero action, so one
    failure does not end the episode. An action component counts as saturated when the prior
    asks for it within 1 % of its range of a limit, or beyond. The episode ends at
    termination, truncation or after ``max_steps``; ``on_step(t)`` is called after the reset
    (``t = 0``) and after every step ``t`` (a renderer grabs its frames there). A random
    policy's action space is seeded with ``seed`` too.
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
    return Episode(
        seed=seed, return_=total, length=steps, forward=None if start_x is None else end_x - start_x,
        terminated=bool(terminated), truncated=bool(truncated), saturated=saturated, prior_errors=errors,
    )


#: Gymnasium's MuJoCo envs whose ``qpos[0]`` is the root body's x, the direction they are paid to
#: move in. Elsewhere ``qpos[0]`` is something else (InvertedPendulum's cart, Reacher's joint angle).
LOCOMOTION_FAMILIES = frozenset({"ant", "half_cheetah", "hopper", "humanoid", "swimmer", "walker2d"})


def _x_position(env: gym.Env) -> float | None:
    """The root body's x (``qpos[0]``) of a MuJoCo locomotion env (known by its ``spec``, so one
    made with ``gym.make``), else None."""
    spec = env.spec
    if spec is None or spec.namespace is not None or env_family(spec.id) not in LOCOMOTION_FAMILIES:
        return None
    data = getattr(env.unwrapped, "data", None)
    return float(data.qpos[0]) if data is not None and hasattr(data, "qpos") else None


@dataclass
class EpisodeStats:
    """Episodes of one policy (from :func:`run_episode`), and their means and rates.

    Example:
        >>> from camel_gym.records import Episode
        >>> stats = EpisodeStats(action_dim=3, episodes=[
        ...     Episode(seed=0, return_=10.0, length=100, forward=1.0, terminated=True, truncated=False, saturated=30, prior_errors=0),
        ...     Episode(seed=1, return_=30.0, length=300, forward=3.0, terminated=False, truncated=True, saturated=0, prior_errors=4),
        ... ])
        >>> stats.returns, stats.forward, stats.prior_errors
        ([10.0, 30.0], [1.0, 3.0], 4)
        >>> m = stats.metrics()
        >>> m["return_mean"], m["failure_rate"], m["saturation"], m["prior_error_rate"]
        (20.0, 0.5, 0.025, 0.01)
    """

    action_dim: int = 1
    episodes: list[Episode] = field(default_factory=list)

    def add(self, episode: Episode) -> None:
        self.episodes.append(episode)

    @property
    def returns(self) -> list[float]:
        return [e.return_ for e in self.episodes]

    @property
    def lengths(self) -> list[int]:
        return [e.length for e in self.episodes]

    @property
    def forward(self) -> list[float]:
        """Forward progress per episode; empty for an env without a root body's x."""
        return [e.forward for e in self.episodes if e.forward is not None]

    @property
    def terminated(self) -> list[bool]:
        return [e.terminated for e in self.episodes]

    @property
    def prior_errors(self) -> int:
        """Failing prior steps over all episodes."""
        return sum(e.prior_errors for e in self.episodes)

    def metrics(self) -> dict[str, float | None]:
        """Means over the episodes and rates over their steps (``forward_*`` None without forward progress).

        ``failure_rate`` is the share of episodes ended by termination (a fall); ``saturation``
        the share of action components at a limit; ``prior_error_rate`` the share of failing steps.

        Raises:
            ValueError: no episodes yet.
        """
        if not self.episodes:
            raise ValueError("no episodes to summarize; add some with EpisodeStats.add(run_episode(...))")
        returns, lengths, forward = np.asarray(self.returns), np.asarray(self.lengths), self.forward
        steps = max(int(lengths.sum()), 1)
        return {
            "return_mean": float(returns.mean()), "return_std": float(returns.std()), "length_mean": float(lengths.mean()),
            "forward_mean": float(np.mean(forward)) if forward else None,
            "forward_p25": float(np.percentile(forward, 25)) if forward else None,
            "failure_rate": float(np.mean(self.terminated)),
            "saturation": sum(e.saturated for e in self.episodes) / (steps * self.action_dim),
            "prior_error_rate": self.prior_errors / steps,
        }


def evaluate_policy(
    env_id: str,
    policy: Callable[[Any], Any] | None,
    episodes: int = EVAL_EPISODES,
    seed: int = EVAL_SEED,
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


def shipped_prior_table(episodes: int = EVAL_EPISODES, seed: int = EVAL_SEED) -> str:
    """A Markdown table: per env the LLM-written prior, the hand-tuned one and a random policy, on the same seeds.

    ``camel-gym prior-table --write-readme llm_policies/README.md`` puts it into that README.
    """

    def row(name: str, stats: EpisodeStats) -> str:
        m = stats.metrics()
        forward = "n/a" if m["forward_mean"] is None else f"{m['forward_mean']:.2f}"
        return f"| {name} | {m['return_mean']:.1f} ± {m['return_std']:.1f} | {m['length_mean']:.1f} | {forward} |"

    lines = [
        "| policy | return (mean ± std) | episode length | forward progress (m) |",
        "|---|---|---|---|",
    ]
    for family, (filename, _, _) in SHIPPED_PRIORS.items():
        env_id = f"{family}-v4"
        for name, path in ((f"`{filename}` (LLM)", shipped_prior(env_id)), (f"`handtuned/{filename}`", handtuned_prior(env_id))):
            prior = load_policy(path, env=gym.make(env_id))
            lines.append(row(f"{name} on {env_id}", evaluate_policy(env_id, prior, episodes, seed)))
        lines.append(row(f"random on {env_id}", evaluate_policy(env_id, None, episodes, seed)))
    return "\n".join(lines)


# The evaluate stage moved to camel_gym.pipeline.evaluate (0.2.0); its old names keep working.
_MOVED_TO_PIPELINE = ("SCORE_DEFINITION", "evaluate_run", "ranked_table", "robust_score")


def __getattr__(name: str) -> Any:
    if name in _MOVED_TO_PIPELINE:
        warnings.warn(
            f"camel_gym.evaluation.{name} moved to camel_gym.pipeline.evaluate.{name}; import it from there "
            f"(the old name goes in a later release)",
            DeprecationWarning,
            stacklevel=2,
        )
        from camel_gym.pipeline import evaluate

        return getattr(evaluate, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main(argv: list[str] | None = None) -> None:
    """Deprecated: ``python -m camel_gym.evaluation [--write-readme FILE]`` is now ``camel-gym prior-table``.

    Raises:
        SystemExit: with the error, when the subcommand fails.
    """
    import sys

    from camel_gym.pipeline.cli import PriorTable, prior_table
    import tyro

    warnings.warn(
        "`python -m camel_gym.evaluation` is now `camel-gym prior-table` (same options); the old command goes "
        "in a later release",
        DeprecationWarning,
        stacklevel=2,
    )
    args = tyro.cli(PriorTable, args=sys.argv[1:] if argv is None else argv, prog="camel-gym prior-table")
    try:
        prior_table(args)
    except ValueError as exc:
        raise SystemExit(f"camel-gym prior-table: error: {exc}") from exc


if __name__ == "__main__":
    main()
