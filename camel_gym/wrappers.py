"""The three CAMEL wrappers: bounds from a prior, epsilon fading, and normalized actions.

* :class:`LLMBoundsWrapper` - runs a prior policy on every observation and publishes the
  mask around its action as ``info["action_bounds"]`` (shape ``(2, act_dim)``: lower; upper).
* :class:`EpsilonMaskWrapper` - applies that mask with probability eps_t, which fades from
  1 to 0 over the first ``mask_fraction`` of training; otherwise the bounds are the full space.
* :class:`NormalizedMaskedAction` - the agent acts in [-1, 1]^d and the action is mapped into
  the bounds in force (ACTION_MAPPING), so an agent that knows nothing of masks is masked.

The bounds always describe the observation that comes with them: they are in the info of
``reset()`` and of every ``step()``, and ``action_bounds()`` returns the ones in force
(for agents such as Stable-Baselines3 that hide reset infos).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from typing import Any, SupportsFloat

import numpy as np

import gymnasium as gym
from gymnasium.spaces import Box

from camel_gym.masking import (
    check_bias,
    full_bounds,
    map_into_bounds,
    mask_limits,
    mask_reach,
    prior_bounds_within,
)
from camel_gym.sandbox import SandboxedPolicy, as_action, load_policy
from camel_gym.schedules import LinearSchedule, MaskSchedule, as_schedule

__all__ = [
    "EpsilonClock",
    "EpsilonMaskWrapper",
    "LLMBoundsWrapper",
    "NormalizedMaskedAction",
    "bounds_space_of",
    "check_bounds_space",
    "check_finite_box",
]


def check_finite_box(space: gym.Space, wrapper: str) -> Box:
    """``space`` if it is a Box with finite bounds, the only action space CAMEL can mask.

    The single-env and the vector wrappers (on ``single_action_space``) both check here.

    Raises:
        TypeError: ``space`` is not a Box.
        ValueError: ``space`` is not 1-D, or some bound is infinite (the mask is a fraction of each
            dimension's range).
    """
    if not isinstance(space, Box):
        raise TypeError(
            f"{wrapper} needs a continuous Box action space, got {space}. CAMEL masks continuous "
            f"actions; for discrete actions use info['action_mask']-style masking instead."
        )
    if len(space.shape) != 1:
        # the bounds are (2, d) and the layouts of BoundsObservation flat: a (2, 2) space breaks both
        raise ValueError(
            f"{wrapper} needs a flat (1-D) Box action space, got shape {space.shape}. Flatten it first: "
            f"gymnasium.wrappers.TransformAction(env, lambda a: a.reshape({space.shape}), "
            f"gymnasium.spaces.Box(low.ravel(), high.ravel(), dtype=...)), with low/high the env's action bounds."
        )
    if not (np.all(np.isfinite(space.low)) and np.all(np.isfinite(space.high))):
        raise ValueError(
            f"{wrapper} needs finite action bounds (the mask is a fraction of each dimension's range), "
            f"got low={space.low}, high={space.high}. If gymnasium.wrappers.ClipAction is beneath "
            f"{wrapper}, it is the cause: since Gymnasium 1.0 it declares the action space as -inf..inf; "
            f"drop it (NormalizedMaskedAction already keeps every action inside the bounds) or put it "
            f"above the CAMEL wrappers. If the env itself declares infinite bounds, declare the limits "
            f"it accepts first: gymnasium.wrappers.TransformAction(env, lambda a: np.clip(a, low, high), "
            f"gymnasium.spaces.Box(low, high, shape, dtype)) (RescaleAction cannot rescale an infinite range)."
        )
    return space


def check_not_above_the_mapping(env: Any, mapping: type, wrapper: str, recipe: str) -> None:
    """Refuse ``wrapper`` above the action mapping: the mapping reads the bounds from beneath it, so
    the mask would never fade (the units check cannot see it on a [-1, 1] action space).

    Raises:
        ValueError: a ``mapping`` wrapper is beneath ``env``'s top.
    """
    inner = env
    while inner is not None:
        if isinstance(inner, mapping):
            raise ValueError(
                f"{wrapper} is above {mapping.__name__}, which maps actions into the bounds it reads from "
                f"beneath it, so the mask would never fade. Put {wrapper} beneath it: {recipe}."
            )
        inner = getattr(inner, "env", None)


def bounds_space_of(env: gym.Env) -> Box | None:
    """The action space that ``info["action_bounds"]`` describes: the :class:`LLMBoundsWrapper`
    beneath ``env``'s one; None when no wrapper beneath says (a custom source of bounds)."""
    return env.get_wrapper_attr("bounds_space") if env.has_wrapper_attr("bounds_space") else None


def check_bounds_space(bounds_space: Box | None, space: Box, wrapper: str) -> None:
    """Raise ValueError unless the bounds describe ``space``, the action space beneath ``wrapper``.

    An action wrapper between :class:`LLMBoundsWrapper` and ``wrapper`` (e.g. RescaleAction)
    changes the units of the actions, and bounds computed in the old units would no longer
    hold. Compared by shape and bounds, not dtype, which does not change the units.
    """
    if bounds_space is None or (
        bounds_space.shape == space.shape
        and np.array_equal(bounds_space.low, space.low)
        and np.array_equal(bounds_space.high, space.high)
    ):
        return
    raise ValueError(
        f"{wrapper} reads info['action_bounds'], which describe LLMBoundsWrapper's action space "
        f"{bounds_space}, but the env beneath {wrapper} takes actions in {space}: an action wrapper "
        f"(e.g. RescaleAction) sits between LLMBoundsWrapper and {wrapper} and changes the units, so "
        f"actions would leave the prior's box. Move that wrapper beneath LLMBoundsWrapper (wrap the env "
        f"in it first) or above NormalizedMaskedAction, where it changes only the agent's units."
    )


def _bounds_from(info: dict[str, Any], wrapper: str) -> np.ndarray:
    try:
        return info["action_bounds"]
    except KeyError:
        raise RuntimeError(
            f"{wrapper} found no info['action_bounds']: put an LLMBoundsWrapper beneath it, e.g. "
            f"{wrapper}(LLMBoundsWrapper(env, policy=...))"
        ) from None


class EpsilonClock:
    """The mask schedule's state, shared by :class:`EpsilonMaskWrapper` and
    :class:`camel_gym.vector.VectorEpsilonMask`.

    A mixin: a step count (:attr:`timestep`, settable from outside) and the
    :class:`~camel_gym.schedules.MaskSchedule` it drives (:attr:`schedule`): the linear schedule
    of the CAMEL paper by default, a custom ``step -> probability``, or a schedule object such
    as :class:`~camel_gym.schedules.AdaptiveSchedule`.

    Change logs:
     * v0.1.0 - Initially added
    """

    def _init_clock(self, mask_fraction: float, total_timesteps: int | None, schedule: Any, owner: str) -> None:
        if schedule is None:
            if total_timesteps is None:
                raise ValueError(
                    f"{owner} needs total_timesteps (the training run's length) to fade the mask over "
                    f"its first mask_fraction, or a schedule (a camel_gym.schedules.MaskSchedule or a "
                    f"callable step -> probability)"
                )
            schedule = LinearSchedule(mask_fraction, total_timesteps)
        self.mask_fraction, self.total_timesteps = mask_fraction, total_timesteps
        #: The schedule in force (a :class:`~camel_gym.schedules.MaskSchedule`).
        self.schedule: MaskSchedule = as_schedule(schedule)
        #: The step count that drives the schedule.
        self.timestep = 0

    def mask_probability(self) -> float:
        """The probability that the mask applies at the current :attr:`timestep` (eps_t for the
        linear schedule; for one that also draws whole episodes, over both draws)."""
        return self.schedule.mask_probability(self.timestep)

    def set_timestep(self, timestep: int) -> None:
        """Set the step count that drives the schedule (e.g. a trainer's global step)."""
        if timestep < 0:
            raise ValueError(f"timestep must be >= 0, got {timestep}")
        self.timestep = int(timestep)


class LLMBoundsWrapper(gym.Wrapper, gym.utils.RecordConstructorArgs):
    """Runs a prior policy on each observation and puts the mask around its action in ``info``.

    For the observation returned by ``reset()`` and ``step()``, with the prior's action
    ``p = clip(policy(obs), low, high)`` and ``half = (high - low) / 2``::

        info["action_bounds"] = [max(p - bias * half, low); min(p + bias * half, high)]  # (2, d)
        info["prior_action"] = p

    A prior that fails on a step (raises, returns NaN/Inf or the wrong shape, exceeds its
    budget) never raises out of ``step()``: the bounds for that step are the full action
    space, ``info["prior_error"]`` says why (and ``info["prior_action"]`` is absent), and
    :attr:`prior_errors` counts such steps. The action space is unchanged: this wrapper only
    informs, the agent (or :class:`NormalizedMaskedAction`) decides what to do with it. The
    bounds are in the units of this wrapper's action space, :attr:`bounds_space`: an action
    wrapper that changes those units (e.g. RescaleAction) belongs beneath this one or above
    :class:`NormalizedMaskedAction`, and the wrappers above check that.

    Example:
        >>> import gymnasium as gym
        >>> from camel_gym import LLMBoundsWrapper
        >>> env = LLMBoundsWrapper(gym.make("Pendulum-v1"), policy=lambda obs: [-2.0 * obs[2]], bias=0.3)
        >>> obs, info = env.reset(seed=0)
        >>> info["action_bounds"].shape, info["action_bounds"].dtype
        ((2, 1), dtype('float32'))
        >>> bool(info["action_bounds"][0, 0] <= info["prior_action"][0] <= info["action_bounds"][1, 0])
        True

    Change logs:
     * v0.1.0 - Initially added
    """

    def __init__(
        self,
        env: gym.Env,
        policy: Callable[[Any], Any] | str | os.PathLike[str],
        bias: float | np.ndarray = 0.3,
        **load_kwargs: Any,
    ):
        """Wrap ``env``.

        Args:
            env: an environment with a finite Box action space.
            policy: a callable ``obs -> action`` (trusted code, called as is), or the path of a
                prior file / its source code, loaded through the sandbox
                (:func:`camel_gym.load_policy`, which tries it on this env's observations first).
            bias: the mask's half-width as a fraction of each dimension's half-range, in (0, 1]
                (a scalar or one per dimension; the paper uses 0.3).
            **load_kwargs: passed to :func:`camel_gym.load_policy` when ``policy`` is a path.
        """
        # a relative path would resolve against whatever directory gym.make(env.spec) runs in later
        recorded = os.path.abspath(policy) if isinstance(policy, (str, os.PathLike)) and os.path.isfile(policy) else policy
        gym.utils.RecordConstructorArgs.__init__(self, policy=recorded, bias=bias, **load_kwargs)
        gym.Wrapper.__init__(self, env)
        space = check_finite_box(env.action_space, "LLMBoundsWrapper")
        #: The action space the bounds describe (the wrappers above check that theirs is the same).
        self.bounds_space = space
        self._shape, self._dtype = space.shape, space.dtype
        self._low, self._high = space.low.copy(), space.high.copy()
        self.bias = check_bias(bias, int(np.prod(space.shape))).astype(space.dtype)
        self._limits = mask_limits(self._low, self._high, mask_reach(self._low, self._high, self.bias))
        if isinstance(policy, (str, os.PathLike)):
            policy = load_policy(policy, env=env, **load_kwargs)
        elif not callable(policy):
            raise TypeError(
                f"policy must be a callable obs -> action or the path of a prior file, got {type(policy).__name__}"
            )
        self.policy = policy
        # a SandboxedPolicy copies the observation itself (and may check its output already);
        # a plain callable gets a copy here
        sandboxed = isinstance(policy, SandboxedPolicy)
        self._copy_obs = not sandboxed
        self._checked = sandboxed and (policy.action_shape, policy.action_dtype) == (space.shape, space.dtype)
        #: Number of steps (resets included) on which the prior failed.
        self.prior_errors = 0
        #: The reason of the latest failure, or None.
        self.last_prior_error: str | None = None
        self._bounds = full_bounds(self._low, self._high)

    def _annotate(self, obs: Any, info: dict[str, Any]) -> dict[str, Any]:
        try:
            action = self.policy(obs.copy() if self._copy_obs else obs)
            if not self._checked:
                action = as_action(action, self._shape, self._dtype)
        except Exception as exc:  # an untrusted prior may fail in any way; training goes on
            self._prior_failed(f"{type(exc).__name__}: {exc}")
            self._bounds = full_bounds(self._low, self._high)
            info["prior_error"] = self.last_prior_error
            info.pop("prior_action", None)  # an env may hand back the same dict every step
        else:
            self._bounds = prior_bounds_within(action, self._limits)
            info["prior_action"] = np.minimum(np.maximum(action, self._low, out=action), self._high, out=action)
            info.pop("prior_error", None)
        info["action_bounds"] = self._bounds.copy()
        return info

    def _prior_failed(self, reason: str) -> None:
        if self.prior_errors == 0:
            warnings.warn(
                f"the prior policy failed ({reason}); using the full action space for that step. "
                f"Further failures are counted in LLMBoundsWrapper.prior_errors and reported in info['prior_error'].",
                RuntimeWarning,
                stacklevel=4,
            )
        self.prior_errors += 1
        self.last_prior_error = reason

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
        """Reset the env and compute the bounds for the first observation."""
        obs, info = self.env.reset(seed=seed, options=options)
        return obs, self._annotate(obs, info)

    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        """Step the env and compute the bounds for the new observation."""
        obs, reward, terminated, truncated, info = self.env.step(action)
        return obs, reward, terminated, truncated, self._annotate(obs, info)

    def action_bounds(self) -> np.ndarray:
        """The prior's bounds for the current observation, ``(2, d)`` (a copy)."""
        return self._bounds.copy()


class EpsilonMaskWrapper(EpsilonClock, gym.Wrapper, gym.utils.RecordConstructorArgs):
    """Fades the mask out: the prior's bounds are kept with probability eps_t, else the full space.

    ``eps_t = max(1 - t / (mask_fraction * total_timesteps), 0)``: the mask is always applied
    at t = 0 and never from ``t = mask_fraction * total_timesteps`` on (the paper's
    epsilon-masking). ``t`` counts this env's steps; a trainer with many envs sets the global
    step with :meth:`set_timestep` (``envs.call("set_timestep", global_step)`` on a vector env)
    so that all of them follow one schedule. The draw for each observation adds
    ``info["mask_applied"]`` (bool) and replaces ``info["action_bounds"]`` by the full space
    when the mask is not applied; :meth:`mask_probability` gives eps_t (it is not in ``info``,
    where it would make equal seeds give unequal infos). The draws are seeded by
    ``reset(seed=...)``; the clock is not reset by it.

    ``schedule`` replaces the linear schedule: a callable ``step -> probability``, or a
    :class:`~camel_gym.schedules.MaskSchedule` such as
    :class:`~camel_gym.schedules.AdaptiveSchedule`, which also decides at each ``reset()``
    whether the whole episode is masked (:attr:`episode_masked`) and learns from the
    episode's return, which this wrapper reports to it when the episode ends. Give each env
    its own adaptive schedule, or one shared by envs that step in one process.

    Example:
        >>> import gymnasium as gym
        >>> from camel_gym import EpsilonMaskWrapper, LLMBoundsWrapper
        >>> env = LLMBoundsWrapper(gym.make("Pendulum-v1"), policy=lambda obs: [0.0])
        >>> env = EpsilonMaskWrapper(env, mask_fraction=0.2, total_timesteps=1000)
        >>> _, info = env.reset(seed=0)
        >>> info["mask_applied"], env.mask_probability()
        (True, 1.0)
        >>> env.set_timestep(200)
        >>> _, _, _, _, info = env.step(env.action_space.sample())
        >>> info["mask_applied"], info["action_bounds"].tolist()
        (False, [[-2.0], [2.0]])

    Change logs:
     * v0.1.0 - Initially added
    """

    def __init__(
        self,
        env: gym.Env,
        mask_fraction: float = 0.2,
        total_timesteps: int | None = None,
        schedule: MaskSchedule | Callable[[int], float] | None = None,
    ):
        """Wrap ``env``, which must publish ``info["action_bounds"]`` (an :class:`LLMBoundsWrapper`).

        Args:
            env: the environment.
            mask_fraction: share of training over which the mask fades out, in [0, 1].
            total_timesteps: the training run's length in env steps (required unless
                ``schedule`` is given).
            schedule: instead of the linear schedule, a
                :class:`~camel_gym.schedules.MaskSchedule` or a callable ``step -> probability``
                in [0, 1].
        """
        gym.utils.RecordConstructorArgs.__init__(
            self, mask_fraction=mask_fraction, total_timesteps=total_timesteps, schedule=schedule
        )
        gym.Wrapper.__init__(self, env)
        space = check_finite_box(env.action_space, "EpsilonMaskWrapper")
        check_bounds_space(bounds_space_of(env), space, "EpsilonMaskWrapper")
        check_not_above_the_mapping(
            env, NormalizedMaskedAction, "EpsilonMaskWrapper", "NormalizedMaskedAction(EpsilonMaskWrapper(LLMBoundsWrapper(env, policy), ...))"
        )
        self._init_clock(mask_fraction, total_timesteps, schedule, "EpsilonMaskWrapper")
        self._full = full_bounds(space.low, space.high)
        self._bounds = self._full.copy()
        #: Whether the current episode is masked (the schedule's draw at ``reset()``).
        self.episode_masked = True
        self._episode_return = 0.0
        self._seed_draws(None)

    def _seed_draws(self, seed: int | None) -> None:
        # a stream of its own (not the env's), drawn in blocks: one Generator call per step
        # costs more than the rest of this wrapper's work
        self._rng = np.random.default_rng(None if seed is None else [seed, 0xCA3E1])
        self._draws = self._rng.random(1024)
        self._next_draw = 0
        # the episodes' draws have a stream of their own, so the steps' draws are the same
        # whatever the schedule
        self._episode_rng = np.random.default_rng(None if seed is None else [seed, 0xCA3E1, 1])

    def _draw(self) -> float:
        if self._next_draw == len(self._draws):
            self._draws = self._rng.random(1024)
            self._next_draw = 0
        u = self._draws[self._next_draw]
        self._next_draw += 1
        return u

    def _apply(self, info: dict[str, Any]) -> dict[str, Any]:
        bounds = info.get("action_bounds")
        if bounds is None:
            _bounds_from(info, "EpsilonMaskWrapper")  # raises the explanatory error
        u = self._draw()  # always one draw, so the stream is p-independent
        applied = self.episode_masked and bool(u < self.schedule.step_probability(self.timestep))
        applied = applied and "prior_error" not in info  # a failed prior left the full space: no mask (the vector twin agrees)
        if not applied:
            bounds = self._full.copy()
            info["action_bounds"] = bounds
        self._bounds = bounds
        info["mask_applied"] = applied
        return info

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
        """Reset the env and draw whether the new episode is masked; a ``seed`` also seeds the
        mask draws (the schedule's clock goes on)."""
        if seed is not None:
            self._seed_draws(seed)
        obs, info = self.env.reset(seed=seed, options=options)
        self.episode_masked = bool(self._episode_rng.random() < self.schedule.episode_probability())
        self._episode_return = 0.0
        return obs, self._apply(info)

    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        """Step the env, advance the clock, and draw whether the mask applies to the new
        observation; at an episode's end, report its return to the schedule."""
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.timestep += 1
        self._episode_return += float(reward)
        if terminated or truncated:
            self.schedule.record_episode(self._episode_return, self.episode_masked, self.timestep)
        return obs, reward, terminated, truncated, self._apply(info)

    def action_bounds(self) -> np.ndarray:
        """The bounds in force for the current observation, ``(2, d)`` (a copy)."""
        return self._bounds.copy()


class NormalizedMaskedAction(gym.Wrapper, gym.utils.RecordConstructorArgs):
    """The agent acts in [-1, 1]^d; each action is mapped into the bounds in force.

    ``step(x)`` clips ``x`` to [-1, 1] and sends ``ACTION_MAPPING(x, lower, upper) =
    x * (upper - lower) / 2 + (upper + lower) / 2`` to the env, with the bounds that came
    with the current observation (``info["action_bounds"]`` from the wrappers beneath).
    The action actually sent is ``info["env_action"]``. With the full space as bounds this
    is a plain rescaling; with the prior's bounds, every action lies inside the mask.

    Example:
        >>> import gymnasium as gym
        >>> from camel_gym import LLMBoundsWrapper, NormalizedMaskedAction
        >>> env = LLMBoundsWrapper(gym.make("Pendulum-v1"), policy=lambda obs: [1.0], bias=0.25)
        >>> env = NormalizedMaskedAction(env)
        >>> env.action_space
        Box(-1.0, 1.0, (1,), float32)
        >>> _, info = env.reset(seed=0)
        >>> info["action_bounds"].tolist()
        [[0.5], [1.5]]
        >>> _, _, _, _, info = env.step([1.0])
        >>> info["env_action"].tolist()
        [1.5]

    Change logs:
     * v0.1.0 - Initially added
    """

    def __init__(self, env: gym.Env):
        """Wrap ``env``, which must publish ``info["action_bounds"]``."""
        gym.utils.RecordConstructorArgs.__init__(self)
        gym.Wrapper.__init__(self, env)
        space = check_finite_box(env.action_space, "NormalizedMaskedAction")
        check_bounds_space(bounds_space_of(env), space, "NormalizedMaskedAction")
        self._dtype = space.dtype
        self.action_space = Box(-1.0, 1.0, shape=space.shape, dtype=space.dtype)
        self._bounds: np.ndarray | None = None

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
        """Reset the env and keep the bounds of the first observation."""
        obs, info = self.env.reset(seed=seed, options=options)
        self._bounds = _bounds_from(info, "NormalizedMaskedAction")
        return obs, info

    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        """Map ``action`` from [-1, 1] into the current bounds and step the env."""
        if self._bounds is None:
            raise gym.error.ResetNeeded("call reset() before step()")
        env_action = map_into_bounds(np.asarray(action, dtype=self._dtype), self._bounds)
        obs, reward, terminated, truncated, info = self.env.step(env_action)
        info["env_action"] = env_action
        self._bounds = _bounds_from(info, "NormalizedMaskedAction")
        return obs, reward, terminated, truncated, info
