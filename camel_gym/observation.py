"""Bounds in the observation: the mask in force becomes part of what the agent observes."""

from __future__ import annotations

from typing import Any, SupportsFloat

import numpy as np

import gymnasium as gym
from gymnasium.spaces import Box

from camel_gym.wrappers import bounds_space_of, check_bounds_space, check_finite_box

__all__ = ["BoundsObservation"]


def extended_observation(obs: Any, bounds: np.ndarray, flag: float, dtype: Any) -> np.ndarray:
    """One observation as ``[obs, lower, upper, flag]``, the layout :func:`bounds_observation_space` declares."""
    return np.concatenate([np.asarray(obs, dtype).ravel(), bounds.ravel().astype(dtype), [flag]]).astype(dtype, copy=False)


def bounds_observation_space(obs_space: gym.Space, action_space: gym.Space, wrapper: str) -> Box:
    """``obs_space`` extended by [lower, upper, mask flag]: ``obs_dim + 2 * act_dim + 1`` entries."""
    if not isinstance(obs_space, Box) or len(obs_space.shape) != 1:
        raise TypeError(f"{wrapper} needs a flat Box observation space, got {obs_space}")
    if not isinstance(action_space, Box):
        raise TypeError(f"{wrapper} needs a Box action space, got {action_space}")
    dtype = obs_space.dtype
    low_a, high_a = action_space.low.ravel().astype(dtype), action_space.high.ravel().astype(dtype)
    low = np.concatenate([obs_space.low, low_a, low_a, np.zeros(1, dtype)])
    high = np.concatenate([obs_space.high, high_a, high_a, np.ones(1, dtype)])
    return Box(low, high, dtype=dtype)


class BoundsObservation(gym.Wrapper, gym.utils.RecordConstructorArgs):
    """Appends the bounds in force and the mask flag to the observation: ``[obs, lower, upper, flag]``.

    With :class:`NormalizedMaskedAction` an agent's action ``x`` means different env actions
    under different bounds; with the bounds in its observation the agent can tell them apart,
    so the problem it faces stays Markov. The flag is ``info["mask_applied"]`` (1.0 when there
    is no :class:`EpsilonMaskWrapper`, i.e. the prior's bounds always apply). Put it above the
    wrappers that set the bounds (``make_camel_env`` does).

    Example:
        >>> import gymnasium as gym
        >>> from camel_gym import BoundsObservation, LLMBoundsWrapper
        >>> env = BoundsObservation(LLMBoundsWrapper(gym.make("Pendulum-v1"), policy=lambda obs: [0.0], bias=0.5))
        >>> obs, info = env.reset(seed=0)
        >>> obs.shape, obs[3:].tolist()
        ((6,), [-1.0, 1.0, 1.0])

    Change logs:
     * v0.1.0 - Initially added
    """

    def __init__(self, env: gym.Env):
        """Wrap ``env``, which must publish ``info["action_bounds"]``."""
        gym.utils.RecordConstructorArgs.__init__(self)
        gym.Wrapper.__init__(self, env)
        space = check_finite_box(env.action_space, "BoundsObservation")
        check_bounds_space(bounds_space_of(env), space, "BoundsObservation")
        self.observation_space = bounds_observation_space(env.observation_space, space, "BoundsObservation")
        self._dtype = self.observation_space.dtype

    def _observe(self, obs: Any, info: dict[str, Any]) -> np.ndarray:
        bounds = info.get("action_bounds")
        if bounds is None:
            raise RuntimeError(
                "BoundsObservation found no info['action_bounds']: put an LLMBoundsWrapper beneath it"
            )
        return extended_observation(obs, bounds, float(info.get("mask_applied", True)), self._dtype)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        """Reset and return the extended first observation."""
        obs, info = self.env.reset(seed=seed, options=options)
        return self._observe(obs, info), info

    def step(self, action: Any) -> tuple[np.ndarray, SupportsFloat, bool, bool, dict[str, Any]]:
        """Step and return the extended observation."""
        obs, reward, terminated, truncated, info = self.env.step(action)
        return self._observe(obs, info), reward, terminated, truncated, info
