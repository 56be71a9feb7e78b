"""CAMEL's masking math as pure functions (the bounds, epsilon-masking and action mapping of arXiv 2502.11896).

Every function works on NumPy arrays and on torch tensors of any batch shape: the
leading dimensions are batch dimensions, the last one is the action dimension. The
wrappers and the training scripts call these same functions, so the math exists once. State
(the epsilon schedule's clock) lives with the wrappers: :class:`camel_gym.wrappers.EpsilonClock`.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

__all__ = [
    "action_mapping",
    "map_into_bounds",
    "mask_limits",
    "mask_reach",
    "prior_bounds_within",
    "check_bias",
    "check_schedule_args",
    "full_bounds",
    "mask_probability",
    "prior_bounds",
]


def _is_torch(x: Any) -> bool:
    torch = sys.modules.get("torch")  # never import torch just to ask
    return torch is not None and isinstance(x, torch.Tensor)


def _like(ref: Any, value: Any) -> Any:
    """``value`` as a tensor on ``ref``'s device and dtype (a no-op for NumPy)."""
    if _is_torch(ref):
        import torch

        return torch.as_tensor(value, dtype=ref.dtype, device=ref.device)
    return value


def check_bias(bias: Any, action_dim: int) -> np.ndarray:
    """Validate ``bias`` (a fraction of each dimension's half-range) and return it as an array.

    Raises:
        ValueError: if ``bias`` is not in (0, 1] or has the wrong shape.
    """
    arr = np.asarray(bias, dtype=np.float64)
    if arr.ndim not in (0, 1) or (arr.ndim == 1 and arr.shape != (action_dim,)):
        raise ValueError(
            f"bias must be a scalar or an array of shape ({action_dim},), got shape {arr.shape}"
        )
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0) or np.any(arr > 1):
        raise ValueError(
            f"bias must lie in (0, 1] (a fraction of each action dimension's half-range; "
            f"the paper uses 0.3), got {bias!r}"
        )
    return arr


def mask_reach(low: Any, high: Any, bias: Any = 0.3) -> Any:
    """How far the mask reaches on each side of the prior: ``bias * (high - low) / 2``."""
    return (high - low) * (np.asarray(bias) * 0.5) if not _is_torch(low) else (high - low) * (bias * 0.5)


def mask_limits(low: np.ndarray, high: np.ndarray, reach: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(offsets, floor, ceil)`` for :func:`prior_bounds_within`, in the layout of
    ``info["action_bounds"]`` (``(2, d)`` for a vector action space), computed once per space.

    ``offsets`` is ``[-reach; +reach]``; clipping the prior into the space first is folded into
    the limits: ``floor = [low; min(low + reach, high)]``, ``ceil = [max(high - reach, low); high]``.
    """
    reach = np.broadcast_to(reach, low.shape).astype(low.dtype)
    offsets = np.stack((-reach, reach), axis=-2)
    floor = np.stack((low, np.minimum(low + reach, high)), axis=-2)
    ceil = np.stack((np.maximum(high - reach, low), high), axis=-2)
    return offsets, floor, ceil


def prior_bounds_within(prior_action: np.ndarray, limits: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    """``prior_bounds(prior_action, low, high, reach=reach)`` bit for bit, for a finite prior
    action and ``limits = mask_limits(low, high, reach)``: three ufunc calls instead of seven,
    for the per-step path of the wrappers (NumPy only; a new array).

    Example:
        >>> import numpy as np
        >>> low, high = -np.ones(2), np.ones(2)
        >>> limits = mask_limits(low, high, mask_reach(low, high, 0.3))
        >>> a = np.array([0.9, -2.0])
        >>> np.array_equal(prior_bounds_within(a, limits), prior_bounds(a, low, high, 0.3))
        True
    """
    offsets, floor, ceil = limits
    bounds = np.add(prior_action if prior_action.ndim == 1 else prior_action[..., None, :], offsets)
    return np.minimum(np.maximum(bounds, floor, out=bounds), ceil, out=bounds)


def prior_bounds(prior_action: Any, low: Any, high: Any, bias: Any = 0.3, *, reach: Any = None) -> Any:
    """The mask around a prior action, as an array of shape ``(..., 2, d)``: [lower; upper].

    CAMEL's bounds: ``p = clip(prior_action, low, high)``, ``half = (high - low) / 2``,
    ``lower = max(p - bias * half, low)``, ``upper = min(p + bias * half, high)``. Clipping
    ``p`` first guarantees ``lower <= upper`` even for a prior far outside the space. This
    is the layout of ``info["action_bounds"]``; the result is always a new array/tensor.
    In a hot loop pass ``reach=mask_reach(low, high, bias)``, computed once.

    Example:
        >>> import numpy as np
        >>> prior_bounds(np.array([0.9, -2.0]), -np.ones(2), np.ones(2), bias=0.3)
        array([[ 0.6, -1. ],
               [ 1. , -0.7]])
    """
    if _is_torch(prior_action):
        import torch

        low, high = _like(prior_action, low), _like(prior_action, high)
        reach = mask_reach(low, high, _like(prior_action, bias)) if reach is None else _like(prior_action, reach)
        p = torch.clamp(prior_action, min=low, max=high)
        return torch.stack((torch.maximum(p - reach, low), torch.minimum(p + reach, high)), dim=-2)
    # ufuncs with out= rather than np.clip/np.stack: this runs on every env step, and on
    # vectors of a few elements each numpy call costs far more than its arithmetic
    if reach is None:
        reach = mask_reach(low, high, bias)
    p = np.minimum(np.maximum(prior_action, low), high)
    bounds = np.empty(p.shape[:-1] + (2,) + p.shape[-1:], dtype=p.dtype)
    lower, upper = (bounds[0], bounds[1]) if p.ndim == 1 else (bounds[..., 0, :], bounds[..., 1, :])
    np.maximum(np.subtract(p, reach, out=lower, casting="same_kind"), low, out=lower)
    np.minimum(np.add(p, reach, out=upper, casting="same_kind"), high, out=upper)
    return bounds


def full_bounds(low: Any, high: Any, batch_shape: tuple[int, ...] = ()) -> Any:
    """The unmasked bounds, ``[low; high]`` of shape ``batch_shape + (2, d)``, as a new array."""
    if _is_torch(low):
        import torch

        both = torch.stack((low, torch.as_tensor(high).to(low)), dim=-2)
        return both.expand(tuple(batch_shape) + tuple(both.shape)).clone()
    both = np.stack((np.asarray(low), np.asarray(high)), axis=-2)
    return np.broadcast_to(both, tuple(batch_shape) + both.shape).copy()



def _lower_upper(bounds: Any) -> tuple[Any, Any]:
    """``bounds`` (``(..., 2, d)``) split into lower and upper; a single ``(2, d)`` by plain indexing, the fast path."""
    if getattr(bounds, "ndim", 0) == 2:
        return bounds[0], bounds[1]
    return bounds[..., 0, :], bounds[..., 1, :]


def action_mapping(x: Any, bounds: Any) -> Any:
    """ACTION_MAPPING: map a normalized action ``x`` in [-1, 1] into ``bounds`` (``(..., 2, d)``).

    The paper writes it ``x * (upper - lower) / 2 + (upper + lower) / 2``; this computes
    the same value as ``lower + (x + 1) * (upper - lower) / 2``, which needs fewer operations
    and can only leave ``[lower, upper]`` upwards, by float rounding (callers that need the
    box exactly clip at ``upper``). Differentiable in ``x``, so an actor's gradient flows
    through it.

    Example:
        >>> import numpy as np
        >>> action_mapping(np.array([-1.0, 0.0, 1.0]), np.array([[0.0, 0.0, 0.0], [1.0, 1.0, 0.5]]))
        array([0. , 0.5, 0.5])
    """
    lower, upper = _lower_upper(bounds)
    return lower + (x + 1) * ((upper - lower) / 2)


def map_into_bounds(x: Any, bounds: Any) -> Any:
    """``x`` mapped into ``bounds`` and clipped there: the action an env receives.

    ``action_mapping`` can leave ``[lower, upper]`` upwards by float rounding; the clip also
    absorbs any ``x`` outside [-1, 1], because the mapping is monotone. NumPy only (the
    per-step path of the wrappers and the training scripts); the result is a new array.

    Example:
        >>> import numpy as np
        >>> map_into_bounds(np.array([-3.0, 0.0, 1.0]), np.array([[0.0, 0.0, 0.0], [1.0, 1.0, 0.5]]))
        array([0. , 0.5, 0.5])
    """
    lower, upper = _lower_upper(bounds)
    mapped = np.asarray(lower + (x + 1) * ((upper - lower) / 2))
    return np.minimum(np.maximum(mapped, lower, out=mapped), upper, out=mapped)


def mask_probability(step: int, mask_fraction: float, total_timesteps: int) -> float:
    """eps_t = max(1 - t / (f_m * T), 0): the probability that the mask applies at step t.

    It is 1 at t = 0 and 0 from ``t = mask_fraction * total_timesteps`` on (the paper's
    epsilon-masking). ``mask_fraction == 0`` means the mask is never applied.
    """
    horizon = mask_fraction * total_timesteps
    if horizon <= 0:
        return 0.0
    return max(1.0 - step / horizon, 0.0)


def check_schedule_args(mask_fraction: float, total_timesteps: int) -> None:
    """Raise ValueError unless ``0 <= mask_fraction <= 1`` and ``total_timesteps > 0``."""
    # numpy scalars too (np.float32(0.2) from a config array); NaN fails the range test
    real = isinstance(mask_fraction, (int, float, np.integer, np.floating)) and not isinstance(mask_fraction, bool)
    if not (real and 0 <= mask_fraction <= 1):
        raise ValueError(
            f"mask_fraction must be a number in [0, 1] (the share of training during which the "
            f"mask fades out; the paper uses 0.2), got {mask_fraction!r}"
        )
    if isinstance(total_timesteps, bool) or not isinstance(total_timesteps, (int, np.integer)) or total_timesteps <= 0:
        raise ValueError(
            f"total_timesteps must be a positive integer (the training run's length in env "
            f"steps), got {total_timesteps!r}"
        )

