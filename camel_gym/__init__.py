"""camel-gym: CAMEL's continuous action masking from LLM-written priors, for Gymnasium.

The wrappers publish the mask as ``info["action_bounds"]`` (shape ``(2, act_dim)``:
lower; upper), so any algorithm can use it; see the README for the quick start.
"""

from camel_gym.masking import action_mapping, full_bounds, mask_probability, prior_bounds
from camel_gym.sandbox import BudgetExceeded, PolicyRejected, SandboxedPolicy, load_policy
from camel_gym.wrappers import EpsilonMaskWrapper, LLMBoundsWrapper, NormalizedMaskedAction
from camel_gym.observation import BoundsObservation
from camel_gym.make import make_camel_env
from camel_gym.priors import shipped_prior
from camel_gym import _moved

_moved.install()

__version__ = "0.1.0"

__all__ = [
    "BoundsObservation",
    "BudgetExceeded",
    "EpsilonMaskWrapper",
    "LLMBoundsWrapper",
    "NormalizedMaskedAction",
    "PolicyRejected",
    "SandboxedPolicy",
    "action_mapping",
    "full_bounds",
    "load_policy",
    "make_camel_env",
    "mask_probability",
    "prior_bounds",
    "shipped_prior",
]
