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
from gymnasium.vector import VectorEnv, VectorWrapper

from camel_gym.masking import EpsilonClock, action_mapping, full_bounds
from camel_gym.observation import bounds_observation_space

__all__ = ["VectorBoundsObservation", "VectorEpsilonMask", "VectorNormalizedMaskedAction"]


def _single_box(envs: VectorEnv, wrapper: str) -> Box:
    space = envs.single_action_space
    if not isinstance(space, Box):
        raise TypeError(f"{wrapper} needs a continuous Box action space, got {space}")
    return space


def _stacked_bounds(info: dict[str, Any], full: np.ndarray, wrapper: str) -> np.ndarray:
    """``info["action_bounds"]`` with the rows of sub-envs that reported none set to the full space."""
    bounds = info.get("action_bounds")
    if bounds is None:
        raise RuntimeError(
            f"{wrapper} found no info['action_bounds']: build the vector env with "
            f"gym.make_vec(env_id, wrappers=[lambda env: LLMBoundsWrapper(env, policy=...)])"
        )
    reported = info.get("_action_bounds")
    if reported is not None and not reported.all():
        bounds = bounds.copy()
        bounds[~reported] = full
    return bounds


class VectorEpsilonMask(EpsilonClock, VectorWrapper):
    """Epsilon-masking driven by the global step: eps_t = max(1 - t / (mask_fraction * T), 0).

    ``t`` counts env steps over all sub-envs (``num_envs`` per ``step()``), so the mask fades
    over ``mask_fraction * total_timesteps`` steps of experience however many envs collect it.
    Each sub-env's row keeps the prior's bounds with probability eps_t (one draw per row), else
    becomes the full space; ``info["mask_applied"]`` is the boolean array of those draws. With
    one sub-env and the same seed it makes exactly the draws of :class:`~camel_gym.EpsilonMaskWrapper`.
    The rows of sub-envs that were just auto-reset hold the bounds of their reset observation,
    in both autoreset modes, because the sub-envs report them with it.
    """

    def __init__(
        self,
        envs: VectorEnv,
        mask_fraction: float = 0.2,
        total_timesteps: int | None = None,
        schedule: Callable[[int], float] | None = None,
    ):
        """Wrap ``envs``, whose sub-envs publish ``info["action_bounds"]``; arguments as EpsilonMaskWrapper."""
        super().__init__(envs)
        space = _single_box(envs, "VectorEpsilonMask")
        self._init_clock(mask_fraction, total_timesteps, schedule, "VectorEpsilonMask")
        self._full = full_bounds(space.low, space.high)
        self._bounds = full_bounds(space.low, space.high, (self.num_envs,))
        self._rng = np.random.default_rng()

    def _apply(self, info: dict[str, Any]) -> dict[str, Any]:
        bounds = _stacked_bounds(info, self._full, "VectorEpsilonMask")
        applied = self._rng.random(self.num_envs) < self.mask_probability()
        if not applied.all():
            bounds = bounds.copy()
            bounds[~applied] = self._full
        self._bounds = bounds
        info["action_bounds"] = bounds
        info["_action_bounds"] = np.ones(self.num_envs, dtype=bool)
        info["mask_applied"] = applied
        info["_mask_applied"] = np.ones(self.num_envs, dtype=bool)
        return info

    def reset(self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None):
        """Reset all sub-envs; an int ``seed`` also seeds the draws (the clock goes on)."""
        if seed is not None:
            first = seed if isinstance(seed, int) else seed[0]
            self._rng = np.random.default_rng([first, 0xCA3E1])  # as EpsilonMaskWrapper seeds its stream
        obs, info = self.env.reset(seed=seed, options=options)
        return obs, self._apply(info)

    def step(self, actions: Any):
        """Step all sub-envs, advance the global clock by ``num_envs``, draw the masks."""
        obs, rewards, terminations, truncations, info = self.env.step(actions)
        self.timestep += self.num_envs
        return obs, rewards, terminations, truncations, self._apply(info)

    def action_bounds(self) -> np.ndarray:
        """The bounds in force, ``(num_envs, 2, act_dim)`` (a copy)."""
        return self._bounds.copy()


class VectorBoundsObservation(VectorWrapper):
    """Appends each sub-env's bounds in force and mask flag: ``[obs, lower, upper, flag]`` per row."""

    def __init__(self, envs: VectorEnv):
        """Wrap ``envs``, which publish stacked ``info["action_bounds"]``."""
        super().__init__(envs)
        _single_box(envs, "VectorBoundsObservation")
        self.single_observation_space = bounds_observation_space(
            envs.single_observation_space, envs.single_action_space, "VectorBoundsObservation"
        )
        self.observation_space = gym.vector.utils.batch_space(self.single_observation_space, self.num_envs)
        space = envs.single_action_space
        self._full = full_bounds(space.low, space.high)

    def _observe(self, obs: np.ndarray, info: dict[str, Any]) -> np.ndarray:
        bounds = _stacked_bounds(info, self._full, "VectorBoundsObservation")
        flags = info.get("mask_applied", np.ones(self.num_envs, dtype=bool)).astype(obs.dtype)[:, None]
        return np.concatenate([obs, bounds.reshape(self.num_envs, -1).astype(obs.dtype), flags], axis=1)

    def reset(self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None):
        """Reset and return the extended observations."""
        obs, info = self.env.reset(seed=seed, options=options)
        return self._observe(obs, info), info

    def step(self, actions: Any):
        """Step and return the extended observations."""
        obs, rewards, terminations, truncations, info = self.env.step(actions)
        return self._observe(obs, info), rewards, terminations, truncations, info


class VectorNormalizedMaskedAction(VectorWrapper):
    """Actions in [-1, 1]^(num_envs x d), each row mapped into its sub-env's bounds in force."""

    def __init__(self, envs: VectorEnv):
        """Wrap ``envs``, which publish stacked ``info["action_bounds"]``."""
        super().__init__(envs)
        space = _single_box(envs, "VectorNormalizedMaskedAction")
        self._dtype = space.dtype
        self._full = full_bounds(space.low, space.high)
        self.single_action_space = Box(-1.0, 1.0, shape=space.shape, dtype=space.dtype)
        self.action_space = gym.vector.utils.batch_space(self.single_action_space, self.num_envs)
        self._bounds: np.ndarray | None = None

    def reset(self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None):
        """Reset and keep the bounds of the first observations."""
        obs, info = self.env.reset(seed=seed, options=options)
        self._bounds = _stacked_bounds(info, self._full, "VectorNormalizedMaskedAction")
        return obs, info

    def step(self, actions: Any):
        """Map each row into its bounds (clipped, as the single-env wrapper) and step."""
        if self._bounds is None:
            raise gym.error.ResetNeeded("call reset() before step()")
        bounds = self._bounds
        mapped = action_mapping(np.asarray(actions, dtype=self._dtype), bounds)
        env_actions = np.minimum(np.maximum(mapped, bounds[:, 0], out=mapped), bounds[:, 1], out=mapped)
        obs, rewards, terminations, truncations, info = self.env.step(env_actions)
        info["env_action"] = env_actions
        self._bounds = _stacked_bounds(info, self._full, "VectorNormalizedMaskedAction")
        return obs, rewards, terminations, truncations, info
