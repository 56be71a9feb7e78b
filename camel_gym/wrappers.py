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

from camel_gym.masking import EpsilonClock, action_mapping, check_bias, full_bounds, mask_reach, prior_bounds
from camel_gym.sandbox import SandboxedPolicy, as_action, load_policy

__all__ = ["EpsilonMaskWrapper", "LLMBoundsWrapper", "NormalizedMaskedAction"]


def _require_box(env: gym.Env, wrapper: str) -> Box:
    space = env.action_space
    if not isinstance(space, Box):
        raise TypeError(
            f"{wrapper} needs a continuous Box action space, got {space}. CAMEL masks continuous "
            f"actions; for discrete actions use info['action_mask']-style masking instead."
        )
    if not (np.all(np.isfinite(space.low)) and np.all(np.isfinite(space.high))):
        raise ValueError(
            f"{wrapper} needs finite action bounds, got low={space.low}, high={space.high}; "
            f"wrap the env in gymnasium.wrappers.ClipAction/RescaleAction with finite limits first."
        )
    return space


def _bounds_from(info: dict[str, Any], wrapper: str) -> np.ndarray:
    try:
        return info["action_bounds"]
    except KeyError:
        raise RuntimeError(
            f"{wrapper} found no info['action_bounds']: put an LLMBoundsWrapper beneath it, e.g. "
            f"{wrapper}(LLMBoundsWrapper(env, policy=...))"
        ) from None


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
    informs, the agent (or :class:`NormalizedMaskedAction`) decides what to do with it.

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
        gym.utils.RecordConstructorArgs.__init__(self, policy=policy, bias=bias, **load_kwargs)
        gym.Wrapper.__init__(self, env)
        space = _require_box(env, "LLMBoundsWrapper")
        self._shape, self._dtype = space.shape, space.dtype
        self._low, self._high = space.low.copy(), space.high.copy()
        self.bias = check_bias(bias, int(np.prod(space.shape))).astype(space.dtype)
        self._reach = mask_reach(self._low, self._high, self.bias)
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
        else:
            self._bounds = prior_bounds(action, self._low, self._high, reach=self._reach)
            info["prior_action"] = np.minimum(np.maximum(action, self._low, out=action), self._high, out=action)
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
    at t = 0 and never from ``t = mask_fraction * total_timesteps`` on (CAMEL_METHOD §3). ``t``
    counts this env's steps; a trainer with many envs sets the global step with
    :meth:`set_timestep` (``envs.call("set_timestep", global_step)`` on a vector env) so that
    all of them follow one schedule. The draw for each observation adds
    ``info["mask_applied"]`` (bool) and replaces ``info["action_bounds"]`` by the full space
    when the mask is not applied; :meth:`mask_probability` gives eps_t (it is not in ``info``,
    where it would make equal seeds give unequal infos). The draws are seeded by
    ``reset(seed=...)``; the clock is not reset by it.

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
        schedule: Callable[[int], float] | None = None,
    ):
        """Wrap ``env``, which must publish ``info["action_bounds"]`` (an :class:`LLMBoundsWrapper`).

        Args:
            env: the environment.
            mask_fraction: share of training over which the mask fades out, in [0, 1].
            total_timesteps: the training run's length in env steps (required unless
                ``schedule`` is given).
            schedule: optional custom schedule, ``step -> probability`` in [0, 1], used
                instead of the linear one.
        """
        gym.utils.RecordConstructorArgs.__init__(
            self, mask_fraction=mask_fraction, total_timesteps=total_timesteps, schedule=schedule
        )
        gym.Wrapper.__init__(self, env)
        space = _require_box(env, "EpsilonMaskWrapper")
        self._init_clock(mask_fraction, total_timesteps, schedule, "EpsilonMaskWrapper")
        self._full = full_bounds(space.low, space.high)
        self._bounds = self._full.copy()
        self._seed_draws(None)

    def _seed_draws(self, seed: int | None) -> None:
        # a stream of its own (not the env's), drawn in blocks: one Generator call per step
        # costs more than the rest of this wrapper's work
        self._rng = np.random.default_rng(None if seed is None else [seed, 0xCA3E1])
        self._draws = self._rng.random(1024)
        self._next_draw = 0

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
        p = self.mask_probability()
        applied = bool(self._draw() < p)  # always one draw, so the stream is p-independent
        if not applied:
            bounds = self._full.copy()
            info["action_bounds"] = bounds
        self._bounds = bounds
        info["mask_applied"] = applied
        return info

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
        """Reset the env; a ``seed`` also seeds the mask draws (the schedule's clock goes on)."""
        if seed is not None:
            self._seed_draws(seed)
        obs, info = self.env.reset(seed=seed, options=options)
        return obs, self._apply(info)

    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        """Step the env, advance the clock, and draw whether the mask applies to the new observation."""
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.timestep += 1
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
        space = _require_box(env, "NormalizedMaskedAction")
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
        bounds = self._bounds
        # The mapping is monotone, so mapping x and clipping into [lower, upper] equals mapping
        # clip(x, -1, 1), with fewer numpy calls; the clip also absorbs float rounding.
        mapped = action_mapping(np.asarray(action, dtype=self._dtype), bounds)
        env_action = np.minimum(np.maximum(mapped, bounds[0], out=mapped), bounds[1], out=mapped)
        obs, reward, terminated, truncated, info = self.env.step(env_action)
        info["env_action"] = env_action
        self._bounds = _bounds_from(info, "NormalizedMaskedAction")
        return obs, reward, terminated, truncated, info
