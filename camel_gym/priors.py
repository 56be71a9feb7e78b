"""The prior policies that ship with camel-gym (``llm_policies/``), looked up by env id."""

from __future__ import annotations

import importlib.resources
import re
from pathlib import Path
from typing import Any

from gymnasium.envs.registration import parse_env_id

__all__ = [
    "SHIPPED_ENV_IDS",
    "SHIPPED_PRIORS",
    "env_family",
    "handtuned_prior",
    "policy_dir",
    "prior_make_kwargs",
    "shipped_prior",
    "shipped_prior_for_plain_make",
]

#: env name -> (file, observation dim, action dim) the prior was written for. ``llm_policies/<file>``
#: is the prior a language model wrote (the ``llm`` default); ``llm_policies/handtuned/<file>`` is
#: the hand-written, search-tuned controller of the same env (a "tuned prior" baseline).
SHIPPED_PRIORS: dict[str, tuple[str, int, int]] = {
    "Hopper": ("hopper_v4.py", 11, 3),
    "Walker2d": ("walker2d_v4.py", 17, 6),
    "Ant": ("ant_v4.py", 27, 8),
}

#: The env ids a shipped prior serves -> the ``gym.make`` kwargs that give the spaces it was
#: written for. The paper and this project's experiments use v4; v5 fixes bugs of v4's models
#: and is what Gymnasium recommends for new work (its v4 ids warn that they are out of date).
SHIPPED_ENV_IDS: dict[str, dict[str, Any]] = {
    "Hopper-v4": {},
    "Hopper-v5": {},
    "Walker2d-v4": {},
    "Walker2d-v5": {},
    "Ant-v4": {},
    # v5 appends the 78 contact forces to the observation by default; the prior reads v4's 27
    "Ant-v5": {"include_cfrc_ext_in_observation": False},
}


def env_family(env_id: str) -> str:
    """The family of a Gymnasium env id: its name without namespace or version, in snake_case.

    This is the one place that parses an env id into a family; the files that belong to an
    environment are named by it (``hopper_v4.py`` for a prior, ``docs/hopper.md`` for a prompt).

    Raises:
        gymnasium.error.Error: ``env_id`` is not a well-formed env id.

    Example:
        >>> from camel_gym.priors import env_family
        >>> env_family("Hopper-v4"), env_family("Ant-v5"), env_family("Walker2d-v4")
        ('hopper', 'ant', 'walker2d')
        >>> env_family("HalfCheetah-v5"), env_family("ALE/Pong-v5")
        ('half_cheetah', 'pong')
    """
    _, name, _ = parse_env_id(env_id)
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def prior_make_kwargs(env_id: str) -> dict[str, Any]:
    """The ``gym.make`` kwargs under which ``env_id`` has the spaces its shipped prior reads.

    Empty for every id but Ant-v5, and for ids without a shipped prior; kwargs the caller
    passes to ``gym.make`` should override these (:func:`camel_gym.make_camel_env` does).

    Example:
        >>> from camel_gym.priors import prior_make_kwargs
        >>> prior_make_kwargs("Ant-v5"), prior_make_kwargs("Hopper-v5")
        ({'include_cfrc_ext_in_observation': False}, {})
    """
    return dict(SHIPPED_ENV_IDS.get(env_id, {}))


def policy_dir() -> Path:
    """The folder the shipped priors live in (``llm_policies/`` of the checkout, or of the installed package)."""
    return Path(str(importlib.resources.files("camel_gym.llm_policies")))


def _no_prior(env_id: str) -> str | None:
    if env_id not in SHIPPED_ENV_IDS:
        return f"no shipped prior for env id '{env_id}' (shipped: {', '.join(SHIPPED_ENV_IDS)})"
    return None


def _space_mismatch(env_id: str, observation_space: Any, action_space: Any, made_as: str) -> str | None:
    filename, obs_dim, act_dim = SHIPPED_PRIORS[parse_env_id(env_id)[1]]
    for space, dim, what in ((observation_space, obs_dim, "observation"), (action_space, act_dim, "action")):
        if space is not None and tuple(space.shape) != (dim,):
            return f"the shipped prior {filename} expects an {what} of shape ({dim},), but {env_id}{made_as} has {tuple(space.shape)}"
    return None


def shipped_prior(env_id: str, observation_space: Any = None, action_space: Any = None) -> Path:
    """The path of the shipped prior for ``env_id``, one of :data:`SHIPPED_ENV_IDS`.

    Each prior serves the v4 and the v5 id of its env; Ant-v5 needs
    ``include_cfrc_ext_in_observation=False`` (:func:`prior_make_kwargs` gives it). Pass the
    env's spaces to have them checked here rather than by the sandbox's trial.

    Raises:
        ValueError: no prior ships for ``env_id``, or the spaces don't match the prior.

    Example:
        >>> from camel_gym import shipped_prior
        >>> shipped_prior("Ant-v5").name
        'ant_v4.py'
    """
    if problem := _no_prior(env_id):
        raise ValueError(f"{problem}; pass your own prior file with policy=path/to/prior.py")
    if problem := _space_mismatch(env_id, observation_space, action_space, ""):
        needed = ", ".join(f"{k}={v!r}" for k, v in SHIPPED_ENV_IDS[env_id].items())
        raise ValueError(f"{problem} (make it with gym.make({env_id!r}, {needed}))" if needed else problem)
    return policy_dir() / SHIPPED_PRIORS[parse_env_id(env_id)[1]][0]


def shipped_prior_for_plain_make(env_id: str, observation_space: Any, action_space: Any) -> Path:
    """The shipped prior for ``env_id`` made with ``gym.make(env_id)`` and no kwargs, as ``td3_camel.py`` makes it.

    ``observation_space`` and ``action_space`` are that env's. Every served id but Ant-v5 (whose
    prior reads the observation without contact forces) has such a prior.

    Raises:
        ValueError: no prior ships for ``env_id``, or it reads other spaces than these. The
            message says what is missing and names no fix: each caller adds how its user gives
            a prior (``--policy`` for the script, a grid file's ``policy`` for the sweep).

    Example:
        >>> import gymnasium as gym
        >>> from camel_gym.priors import shipped_prior_for_plain_make
        >>> env = gym.make("Ant-v5")
        >>> shipped_prior_for_plain_make("Ant-v5", env.observation_space, env.action_space)
        Traceback (most recent call last):
            ...
        ValueError: the shipped prior ant_v4.py expects an observation of shape (27,), but Ant-v5 made with gym.make('Ant-v5') alone has (105,)
    """
    if problem := _no_prior(env_id) or _space_mismatch(
        env_id, observation_space, action_space, f" made with gym.make({env_id!r}) alone"
    ):
        raise ValueError(problem)
    return shipped_prior(env_id)


def handtuned_prior(env_id: str) -> Path:
    """The hand-written, search-tuned prior for ``env_id`` (``llm_policies/handtuned/``): a baseline, not the default.

    No language model wrote these; their headers say how they were made. Use one as
    ``policy=`` or ``td3_camel.py --policy`` to compare a tuned controller's mask with the LLM's.

    Raises:
        ValueError: no prior ships for ``env_id``.

    Example:
        >>> from camel_gym.priors import handtuned_prior
        >>> handtuned_prior("Hopper-v4").relative_to(policy_dir()).as_posix()
        'handtuned/hopper_v4.py'
    """
    return shipped_prior(env_id).parent / "handtuned" / shipped_prior(env_id).name
