"""One call for the whole CAMEL stack on a Gymnasium env id, for agents that know nothing of masks."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, Literal

import gymnasium as gym

from camel_gym.observation import BoundsObservation
from camel_gym.priors import prior_make_kwargs, shipped_prior
from camel_gym.schedules import AdaptiveSchedule, LinearSchedule
from camel_gym.wrappers import EpsilonMaskWrapper, LLMBoundsWrapper, NormalizedMaskedAction

__all__ = ["make_camel_env"]


def make_camel_env(
    env_id: str,
    *,
    total_timesteps: int,
    policy: Callable[[Any], Any] | str | os.PathLike[str] | None = None,
    bias: float = 0.3,
    mask_fraction: float = 0.2,
    mask_schedule: Literal["linear", "adaptive"] = "linear",
    bounds_in_obs: bool = True,
    **make_kwargs: Any,
) -> gym.Env:
    """``gym.make(env_id)`` wrapped for CAMEL: prior bounds, epsilon fading, normalized actions.

    The stack, inside out: :class:`LLMBoundsWrapper` (``policy``, default: the shipped prior
    for ``env_id``, with the ``gym.make`` kwargs it needs, e.g. Ant-v5's
    ``include_cfrc_ext_in_observation=False``; ``make_kwargs`` override them), :class:`EpsilonMaskWrapper`, :class:`BoundsObservation` (when
    ``bounds_in_obs``: the bounds in force and the mask flag are appended to the observation,
    so the problem the agent sees stays Markov) and :class:`NormalizedMaskedAction` (the agent
    acts in [-1, 1]). A trainer with several envs keeps their schedules on its global step with
    ``set_timestep`` (for Stable-Baselines3: :class:`camel_gym.sb3.EpsilonScheduleCallback`).
    ``mask_schedule="adaptive"`` gates the linear schedule by
    :class:`~camel_gym.schedules.AdaptiveSchedule` (each env its own, learning from its own episodes).

    Example:
        >>> from camel_gym import make_camel_env
        >>> env = make_camel_env("Hopper-v4", total_timesteps=100_000)
        >>> env.observation_space.shape, env.action_space.shape
        ((18,), (3,))
        >>> make_camel_env("Ant-v5", total_timesteps=100_000).observation_space.shape  # 27 + 2 * 8 + 1
        (44,)

    Change logs:
     * v0.1.0 - Initially added
    """
    if mask_schedule not in ("linear", "adaptive"):
        raise ValueError(f"mask_schedule must be 'linear' or 'adaptive', got {mask_schedule!r}")
    if policy is None:
        make_kwargs = {**prior_make_kwargs(env_id), **make_kwargs}
    env = gym.make(env_id, **make_kwargs)
    if policy is None:
        policy = str(shipped_prior(env_id, env.observation_space, env.action_space))
    env = LLMBoundsWrapper(env, policy=policy, bias=bias)
    if mask_schedule == "adaptive":
        env = EpsilonMaskWrapper(env, schedule=AdaptiveSchedule(LinearSchedule(mask_fraction, total_timesteps)))
    else:
        env = EpsilonMaskWrapper(env, mask_fraction=mask_fraction, total_timesteps=total_timesteps)
    if bounds_in_obs:
        env = BoundsObservation(env)
    return NormalizedMaskedAction(env)
