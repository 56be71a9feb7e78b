"""Vector-env versions of the CAMEL wrappers, for the work that belongs to the whole batch.

The prior runs inside each sub-env (``LLMBoundsWrapper`` in ``gym.make_vec(..., wrappers=[...])``,
so an async vector env evaluates priors in parallel); the vector env stacks the bounds into
``info["action_bounds"]`` of shape ``(num_envs, 2, act_dim)``. On top of that:

* :class:`VectorEpsilonMask` - one epsilon schedule on the *global* step (``num_envs`` per call),
  one draw per sub-env;
* :class:`VectorBoundsObservation` - appends each sub-env's bounds in force and mask flag;
* :class:`VectorNormalizedMaskedAction` - maps a batch of [-1, 1] actions into the bounds, in one
  NumPy call for all sub-envs.

Example:
    >>> import gymnasium as gym
    >>> from camel_gym import LLMBoundsWrapper
    >>> from camel_gym.vector import VectorEpsilonMask, VectorNormalizedMaskedAction
    >>> envs = gym.make_vec("Pendulum-v1", num_envs=3, wrappers=[lambda e: LLMBoundsWrapper(e, lambda o: [0.0])])
    >>> envs = VectorNormalizedMaskedAction(VectorEpsilonMask(envs, mask_fraction=0.2, total_timesteps=3000))
    >>> obs, info = envs.reset(seed=0)
    >>> info["action_bounds"].shape, info["mask_applied"].tolist()
    ((3, 2, 1), [True, True, True])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import gymnasium as gym
from gymnasium.spaces import Box
from gymnasium.vector import AutoresetMode, VectorEnv, VectorWrapper

from camel_gym.masking import full_bounds, map_into_bounds
from camel_gym.observation import bounds_observation_space, extended_observation
from camel_gym.schedules import MaskSchedule
from camel_gym.wrappers import EpsilonClock, check_bounds_space, check_finite_box, check_not_above_the_mapping

__all__ = ["VectorBoundsObservation", "VectorEpsilonMask", "VectorNormalizedMaskedAction"]


def _checked_box(envs: VectorEnv, wrapper: str) -> Box:
    """``envs.single_action_space``, checked as the single-env wrappers check theirs."""
    space = check_finite_box(envs.single_action_space, wrapper)
    # asked of the sub-envs (vector wrappers don't forward call), and has_wrapper_attr first:
    # a missing attribute raised inside an async worker ends that worker
    base = envs.unwrapped
    if hasattr(base, "call") and all(base.call("has_wrapper_attr", "bounds_space")):
        for bounds_space in base.get_attr("bounds_space"):
            check_bounds_space(bounds_space, space, wrapper)
    return space


def _kept_rows(options: dict[str, Any] | None) -> np.ndarray | None:
    """The rows a partial ``reset(options={"reset_mask": ...})`` leaves alone, else None.

    Read before the reset: the vector env pops ``reset_mask`` from ``options``.
    """
    if options is None or options.get("reset_mask") is None:
        return None
    return ~np.asarray(options["reset_mask"], dtype=bool)


def _bounds_in_force(
    info: dict[str, Any], full: np.ndarray, wrapper: str, previous: np.ndarray | None = None, kept: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Every row's bounds in force, and which rows had none to report (None when all did).

    A row that a partial reset left alone (``kept``) keeps its ``previous`` bounds: its
    observation did not change. A sub-env that reported no ``info["action_bounds"]`` gets the
    full space: nothing masks it. When rows are filled in, ``info`` gets the filled array (and
    an all-True ``info["_action_bounds"]``), so the wrappers and the agent above see the same.
    """
    bounds = info.get("action_bounds")
    if bounds is None:
        raise RuntimeError(
            f"{wrapper} found no info['action_bounds']: build the vector env with "
            f"gym.make_vec(env_id, wrappers=[lambda env: LLMBoundsWrapper(env, policy=...)])"
        )
    reported = info.get("_action_bounds")
    if reported is None or reported.all():
        return bounds, None
    bounds = bounds.copy()
    missing = ~reported
    if kept is not None and previous is not None:
        bounds[kept] = previous[kept]
        missing &= ~kept
    bounds[missing] = full
    info["action_bounds"], info["_action_bounds"] = bounds, np.ones_like(reported)
    return bounds, missing


class VectorEpsilonMask(EpsilonClock, VectorWrapper):
    """Epsilon-masking driven by the global step: eps_t = max(1 - t / (mask_fraction * T), 0).

    ``t`` counts env steps over all sub-envs (``num_envs`` per ``step()``, less the rows that only
    reset on it under next-step autoreset), so the mask fades
    over ``mask_fraction * total_timesteps`` steps of experience however many envs collect it.
    Each sub-env's row keeps the prior's bounds with probability eps_t (one draw per row), else
    becomes the full space; ``info["mask_applied"]`` is the boolean array of those draws. With
    one sub-env and the same seed it makes exactly the draws of :class:`~camel_gym.EpsilonMaskWrapper`.
    The rows of sub-envs that were just auto-reset hold the bounds of their reset observation,
    in both autoreset modes, because the sub-envs report them with it. A partial
    ``reset(options={"reset_mask": ...})`` (``AutoresetMode.DISABLED``) draws only for the rows
    it resets; the others keep their bounds and flag. ``info["action_bounds"]`` and
    ``info["mask_applied"]`` always hold every row's bounds and flag in force.

    A :class:`~camel_gym.schedules.MaskSchedule` as ``schedule`` (e.g.
    :class:`~camel_gym.schedules.AdaptiveSchedule`) draws for each sub-env's episode whether it
    is masked (:attr:`episode_masked`, one flag per row) and gets every episode's return, in
    each autoreset mode, when the episode ends.

    Change logs:
     * v0.1.0 - Initially added
    """

    def __init__(
        self,
        envs: VectorEnv,
        mask_fraction: float = 0.2,
        total_timesteps: int | None = None,
        schedule: MaskSchedule | Callable[[int], float] | None = None,
    ):
        """Wrap ``envs``, whose sub-envs publish ``info["action_bounds"]``; arguments as EpsilonMaskWrapper."""
        super().__init__(envs)
        space = _checked_box(envs, "VectorEpsilonMask")
        check_not_above_the_mapping(
            envs, VectorNormalizedMaskedAction, "VectorEpsilonMask",
            "VectorNormalizedMaskedAction(VectorEpsilonMask(gym.make_vec(..., wrappers=[lambda e: LLMBoundsWrapper(e, policy)]), ...))",
        )
        self._init_clock(mask_fraction, total_timesteps, schedule, "VectorEpsilonMask")
        self._full = full_bounds(space.low, space.high)
        self._bounds = full_bounds(space.low, space.high, (self.num_envs,))
        self._applied = np.zeros(self.num_envs, dtype=bool)
        self._rng = np.random.default_rng()
        self._episode_rng = np.random.default_rng()
        self._final_rng = np.random.default_rng()  # same-step autoreset: the ended episodes' last states
        self._autoreset_mode = AutoresetMode(envs.metadata.get("autoreset_mode", AutoresetMode.NEXT_STEP))
        #: Whether each sub-env's current episode is masked (the schedule's draw when it began).
        self.episode_masked = np.ones(self.num_envs, dtype=bool)
        self._episode_returns = np.zeros(self.num_envs)
        self._ended = np.zeros(self.num_envs, dtype=bool)  # next-step autoreset: these rows reset next

    def _start_episodes(self, rows: np.ndarray) -> None:
        if not rows.any():
            return
        draws = self._episode_rng.random(self.num_envs)  # one per row, so a row's draw is the same whoever starts with it
        self.episode_masked = np.where(rows, draws < self.schedule.episode_probability(), self.episode_masked)
        self._episode_returns[rows] = 0.0

    def _in_force(self, info: dict[str, Any], rng: np.random.Generator, kept: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Every row's bounds in force and mask flag for the states ``info`` describes."""
        bounds, missing = _bounds_in_force(info, self._full, "VectorEpsilonMask", self._bounds, kept)
        p = self.schedule.step_probability(self.timestep)
        applied = (rng.random(self.num_envs) < p) & self.episode_masked  # one draw per row, always
        if kept is not None:
            applied = np.where(kept, self._applied, applied)
        if missing is not None:
            applied &= ~missing
        failed = info.get("_prior_error")
        if failed is not None:  # the prior failed there and left the full space: no mask, as EpsilonMaskWrapper says
            applied &= ~failed
        if not applied.all():
            bounds = bounds.copy()
            bounds[~applied] = self._full
        return bounds, applied

    def _apply(self, info: dict[str, Any], kept: np.ndarray | None = None) -> dict[str, Any]:
        bounds, applied = self._in_force(info, self._rng, kept)
        self._bounds, self._applied = bounds, applied
        info["action_bounds"] = bounds
        info["_action_bounds"] = np.ones(self.num_envs, dtype=bool)
        info["mask_applied"] = applied
        info["_mask_applied"] = np.ones(self.num_envs, dtype=bool)
        return info

    def reset(self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None):
        """Reset the sub-envs (those of ``options["reset_mask"]``, else all); an int ``seed`` also
        seeds the draws (the clock goes on)."""
        if seed is not None:
            first = seed if isinstance(seed, int) else seed[0]
            self._rng = np.random.default_rng([first, 0xCA3E1])  # as EpsilonMaskWrapper seeds its streams
            self._episode_rng = np.random.default_rng([first, 0xCA3E1, 1])
            self._final_rng = np.random.default_rng([first, 0xCA3E1, 2])
        kept = _kept_rows(options)
        obs, info = self.env.reset(seed=seed, options=options)
        started = np.ones(self.num_envs, dtype=bool) if kept is None else ~kept
        self._start_episodes(started)
        self._ended &= ~started
        return obs, self._apply(info, kept)

    def step(self, actions: Any):
        """Step all sub-envs, advance the global clock by the env steps taken (``num_envs`` less the
        rows that only reset), report ended episodes to the schedule, draw the masks."""
        obs, rewards, terminations, truncations, info = self.env.step(actions)
        # a row that only resets on this step (next-step autoreset) took no env step: the clock
        # counts experience, as EpsilonMaskWrapper's does, whose reset() does not advance it
        resetting = int(self._ended.sum()) if self._autoreset_mode == AutoresetMode.NEXT_STEP else 0
        self.timestep += self.num_envs - resetting
        ended = np.logical_or(terminations, truncations)
        if self._autoreset_mode == AutoresetMode.NEXT_STEP:
            # the rows that ended last step hold their reset observation now (reward 0)
            self._start_episodes(self._ended)
            self._episode_returns += np.where(self._ended, 0.0, rewards)
            self._ended = ended
        else:
            self._episode_returns += rewards
        for row in np.flatnonzero(ended):
            self.schedule.record_episode(float(self._episode_returns[row]), bool(self.episode_masked[row]), self.timestep)
        if self._autoreset_mode == AutoresetMode.SAME_STEP:
            if ended.any() and "final_info" in info:
                self._apply_final(info["final_info"], ended)
            self._start_episodes(ended)  # these rows hold their reset observation already
        return obs, rewards, terminations, truncations, self._apply(info)

    def _apply_final(self, final_info: dict[str, Any], ended: np.ndarray) -> None:
        """Same-step autoreset: the bounds in force in the ended episodes' last states, in
        ``final_info`` (where a learner reads s' of a truncated episode), drawn as for any state
        (from a stream of their own, so the other rows' draws are those of next-step mode)."""
        bounds, applied = self._in_force(final_info, self._final_rng)
        applied &= ended
        bounds = np.where(applied[:, None, None], bounds, self._full)
        final_info["action_bounds"], final_info["_action_bounds"] = bounds, ended.copy()
        final_info["mask_applied"], final_info["_mask_applied"] = applied, ended.copy()

    def action_bounds(self) -> np.ndarray:
        """The bounds in force, ``(num_envs, 2, act_dim)`` (a copy)."""
        return self._bounds.copy()


class VectorBoundsObservation(VectorWrapper):
    """Appends each sub-env's bounds in force and mask flag: ``[obs, lower, upper, flag]`` per row.

    Example:
        >>> import gymnasium as gym
        >>> from camel_gym import LLMBoundsWrapper
        >>> from camel_gym.vector import VectorBoundsObservation
        >>> envs = gym.make_vec("Pendulum-v1", num_envs=2, wrappers=[lambda e: LLMBoundsWrapper(e, lambda o: [0.0], bias=0.5)])
        >>> obs, _ = VectorBoundsObservation(envs).reset(seed=0)
        >>> obs.shape, obs[0, 3:].tolist()
        ((2, 6), [-1.0, 1.0, 1.0])

    Change logs:
     * v0.1.0 - Initially added
    """

    def __init__(self, envs: VectorEnv):
        """Wrap ``envs``, which publish stacked ``info["action_bounds"]``."""
        super().__init__(envs)
        space = _checked_box(envs, "VectorBoundsObservation")
        self.single_observation_space = bounds_observation_space(
            envs.single_observation_space, space, "VectorBoundsObservation"
        )
        self.observation_space = gym.vector.utils.batch_space(self.single_observation_space, self.num_envs)
        self._full = full_bounds(space.low, space.high)
        self._bounds = full_bounds(space.low, space.high, (self.num_envs,))

    def _observe(self, obs: np.ndarray, info: dict[str, Any], kept: np.ndarray | None = None) -> np.ndarray:
        self._bounds, _ = _bounds_in_force(info, self._full, "VectorBoundsObservation", self._bounds, kept)
        flags = info.get("mask_applied", np.ones(self.num_envs, dtype=bool)).astype(obs.dtype)[:, None]
        return np.concatenate([obs, self._bounds.reshape(self.num_envs, -1).astype(obs.dtype), flags], axis=1)

    def reset(self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None):
        """Reset and return the extended observations."""
        kept = _kept_rows(options)
        obs, info = self.env.reset(seed=seed, options=options)
        return self._observe(obs, info, kept), info

    def step(self, actions: Any):
        """Step and return the extended observations (and, under same-step autoreset, the extended
        ``info["final_obs"]`` of the episodes that ended)."""
        obs, rewards, terminations, truncations, info = self.env.step(actions)
        final = info.get("final_info")
        if final is not None and "final_obs" in info:
            rows = np.flatnonzero(info.get("_final_obs", np.logical_or(terminations, truncations)))
            # a copy: the helper fills in rows that did not end, and final_info's row masks must stay
            bounds, _ = _bounds_in_force(dict(final), self._full, "VectorBoundsObservation", self._bounds)
            flags = final.get("mask_applied", np.ones(self.num_envs, dtype=bool))
            final_obs = info["final_obs"].copy()
            for row in rows:
                final_obs[row] = extended_observation(final_obs[row], bounds[row], float(flags[row]), obs.dtype)
            info["final_obs"] = final_obs
        return self._observe(obs, info), rewards, terminations, truncations, info


class VectorNormalizedMaskedAction(VectorWrapper):
    """Actions in [-1, 1]^(num_envs x d), each row mapped into its sub-env's bounds in force.

    Example:
        >>> import gymnasium as gym
        >>> import numpy as np
        >>> from camel_gym import LLMBoundsWrapper
        >>> from camel_gym.vector import VectorNormalizedMaskedAction
        >>> envs = gym.make_vec("Pendulum-v1", num_envs=2, wrappers=[lambda e: LLMBoundsWrapper(e, lambda o: [1.0], bias=0.25)])
        >>> envs = VectorNormalizedMaskedAction(envs)
        >>> _ = envs.reset(seed=0)
        >>> envs.step(np.array([[-1.0], [1.0]]))[4]["env_action"].tolist()
        [[0.5], [1.5]]

    Change logs:
     * v0.1.0 - Initially added
    """

    def __init__(self, envs: VectorEnv):
        """Wrap ``envs``, which publish stacked ``info["action_bounds"]``."""
        super().__init__(envs)
        space = _checked_box(envs, "VectorNormalizedMaskedAction")
        self._dtype = space.dtype
        self._full = full_bounds(space.low, space.high)
        self.single_action_space = Box(-1.0, 1.0, shape=space.shape, dtype=space.dtype)
        self.action_space = gym.vector.utils.batch_space(self.single_action_space, self.num_envs)
        self._bounds: np.ndarray | None = None

    def reset(self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None):
        """Reset and keep the bounds of the first observations."""
        kept = _kept_rows(options)
        obs, info = self.env.reset(seed=seed, options=options)
        self._bounds, _ = _bounds_in_force(info, self._full, "VectorNormalizedMaskedAction", self._bounds, kept)
        return obs, info

    def step(self, actions: Any):
        """Map each row into its bounds (clipped, as the single-env wrapper) and step."""
        if self._bounds is None:
            raise gym.error.ResetNeeded("call reset() before step()")
        env_actions = map_into_bounds(np.asarray(actions, dtype=self._dtype), self._bounds)
        obs, rewards, terminations, truncations, info = self.env.step(env_actions)
        info["env_action"] = env_actions
        self._bounds, _ = _bounds_in_force(info, self._full, "VectorNormalizedMaskedAction")
        return obs, rewards, terminations, truncations, info
