"""The prior policies that ship with camel-gym (``llm_policies/``), looked up by env id."""

from __future__ import annotations

import importlib.resources
import re
from pathlib import Path
from typing import Any

from gymnasium.envs.registration import parse_env_id

__all__ = ["SHIPPED_ENV_IDS", "SHIPPED_PRIORS", "env_family", "handtuned_prior", "policy_dir", "prior_make_kwargs", "shipped_prior"]

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


def shipped_prior(
    env_id: str, observation_space: Any = None, action_space: Any = None, *, make_kwargs_hint: bool = True
) -> Path:
    """The path of the shipped prior for ``env_id``, one of :data:`SHIPPED_ENV_IDS`.

    Each prior serves the v4 and the v5 id of its env; Ant-v5 needs
    ``include_cfrc_ext_in_observation=False`` (:func:`prior_make_kwargs` gives it). Pass the
    env's spaces to have them checked here rather than by the sandbox's trial. A caller that
    makes the env with ``gym.make(env_id)`` alone (``td3_camel.py``) passes
    ``make_kwargs_hint=False``: the error then does not suggest kwargs its user cannot give.

    Raises:
        ValueError: no prior ships for ``env_id``, or the spaces don't match the prior.

    Example:
        >>> from camel_gym import shipped_prior
        >>> shipped_prior("Ant-v5").name
        'ant_v4.py'
    """
    if env_id not in SHIPPED_ENV_IDS:
        raise ValueError(
            f"no shipped prior for env id '{env_id}' (shipped: {', '.join(SHIPPED_ENV_IDS)}); pass your "
            f"own prior file with policy=path/to/prior.py"
        )
    filename, obs_dim, act_dim = SHIPPED_PRIORS[parse_env_id(env_id)[1]]
    for space, dim, what in ((observation_space, obs_dim, "observation"), (action_space, act_dim, "action")):
        if space is not None and tuple(space.shape) != (dim,):
            needed = ", ".join(f"{k}={v!r}" for k, v in SHIPPED_ENV_IDS[env_id].items())
            hint = f" (make it with gym.make({env_id!r}, {needed}))" if needed and make_kwargs_hint else ""
            raise ValueError(
                f"the shipped prior {filename} expects an {what} of shape ({dim},), but {env_id} has "
                f"{tuple(space.shape)}{hint}"
            )
    return policy_dir() / filename


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
