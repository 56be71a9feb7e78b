"""The prior policies that ship with camel-gym (``llm_policies/``), looked up by env id."""

from __future__ import annotations

import importlib.resources
from pathlib import Path
from typing import Any

__all__ = ["SHIPPED_PRIORS", "policy_dir", "shipped_prior"]

#: env family -> (file, observation dim, action dim) the prior was written for.
SHIPPED_PRIORS: dict[str, tuple[str, int, int]] = {
    "Hopper": ("hopper_v4.py", 11, 3),
    "Walker2d": ("walker2d_v4.py", 17, 6),
    "Ant": ("ant_v4.py", 27, 8),
}


def policy_dir() -> Path:
    """The folder the shipped priors live in (``llm_policies/`` of the checkout, or of the installed package)."""
    return Path(str(importlib.resources.files("camel_gym.llm_policies")))


def shipped_prior(env_id: str, observation_space: Any = None, action_space: Any = None) -> Path:
    """The path of the shipped prior for ``env_id`` (``"Hopper-v4"``, ``"Ant-v5"``, ...).

    The v4 priors serve any version whose spaces match (Hopper-v5 and Walker2d-v5 as they
    are, Ant-v5 with ``include_cfrc_ext_in_observation=False``); pass the spaces to have
    that checked here rather than by the sandbox's trial.

    Raises:
        ValueError: no prior ships for ``env_id``, or the spaces don't match the prior.
    """
    family = env_id.split("/")[-1].split("-")[0]
    if family not in SHIPPED_PRIORS:
        known = ", ".join(f"{name}-v4" for name in SHIPPED_PRIORS)
        raise ValueError(
            f"no shipped prior for env id '{env_id}' (shipped: {known}); pass your own prior file "
            f"with policy=path/to/prior.py"
        )
    filename, obs_dim, act_dim = SHIPPED_PRIORS[family]
    for space, dim, what in ((observation_space, obs_dim, "observation"), (action_space, act_dim, "action")):
        if space is not None and tuple(space.shape) != (dim,):
            hint = " (for Ant-v5 use include_cfrc_ext_in_observation=False)" if family == "Ant" else ""
            raise ValueError(
                f"the shipped prior {filename} expects a {what} of shape ({dim},), but {env_id} has "
                f"{tuple(space.shape)}{hint}"
            )
    return policy_dir() / filename
