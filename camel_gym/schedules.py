"""Mask schedules: how likely the prior's mask is to apply, and when to let go of it.

:class:`~camel_gym.EpsilonMaskWrapper` and :class:`~camel_gym.vector.VectorEpsilonMask` ask
their schedule two things: at the start of each episode, the probability that the episode is
*masked* (:meth:`MaskSchedule.episode_probability`); at each step of a masked episode, the
probability that the mask applies (:meth:`MaskSchedule.step_probability`). They tell it how
each episode went (:meth:`MaskSchedule.record_episode`), so a schedule can learn from
outcomes without anything from the agent.

* :class:`LinearSchedule` - the paper's eps_t = max(1 - t / (f_m T), 0); every episode masked.
* :class:`AdaptiveSchedule` - the paper's schedule, gated by evidence that the prior helps:
  a share of episodes runs without the mask, and when masked episodes stop returning more
  than unmasked ones the share of masked episodes fades to a floor (CAMEL's open problem of a
  useless or harmful prior; README "A mask that lets go of a bad prior").

A plain callable ``step -> probability`` is accepted wherever a schedule is, as a
:class:`FunctionSchedule`.

Example:
    >>> from camel_gym.schedules import AdaptiveSchedule, LinearSchedule
    >>> schedule = AdaptiveSchedule(LinearSchedule(mask_fraction=0.5, total_timesteps=10_000), fade_steps=2000)
    >>> schedule.mask_probability(0), schedule.mask_probability(2500)
    (0.9, 0.45)
    >>> for t in range(1, 41):  # 100-step episodes; the unmasked ones return more: the prior hurts
    ...     masked = t % 2 == 0
    ...     schedule.record_episode((5.0 if masked else 20.0) + t % 3, masked=masked, timestep=100 * t)
    >>> schedule.signals()["mask_verdict"]  # -1: fade, 0: undecided, 1: hold
    -1.0
    >>> schedule.episode_probability()  # faded to its floor, the probe share
    0.1
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np

from camel_gym.masking import check_schedule_args, mask_probability

__all__ = [
    "AdaptiveSchedule", "FunctionSchedule", "LinearSchedule", "MaskSchedule", "as_schedule", "masked_better",
    "probability_greater",
]


class MaskSchedule:
    """The interface the epsilon-mask wrappers drive; subclass it for a schedule of your own.

    A wrapper draws, when an episode starts, whether it is masked (probability
    :meth:`episode_probability`); at each step of a masked episode, whether the mask applies
    (probability :meth:`step_probability` of the global step); and reports each finished
    episode's return to :meth:`record_episode`. An agent that masks without the wrappers
    makes the same calls. The defaults mask every episode and learn nothing.
    """

    def step_probability(self, timestep: int) -> float:
        """The probability that the mask applies at global step ``timestep`` of a masked episode."""
        raise NotImplementedError

    def episode_probability(self) -> float:
        """The probability that an episode starting now is masked."""
        return 1.0

    def mask_probability(self, timestep: int) -> float:
        """The probability that the mask applies at ``timestep``, over both draws (TensorBoard's
        ``charts/mask_probability``)."""
        return self.episode_probability() * self.step_probability(timestep)

    def record_episode(self, episode_return: float, masked: bool, timestep: int) -> None:
        """Learn from a finished episode: its return, whether it was masked, and the global step."""

    def signals(self) -> dict[str, float]:
        """The schedule's own signals for logging, name -> value (none by default)."""
        return {}

    def state_dict(self) -> dict[str, Any]:
        """What :meth:`load_state_dict` needs to continue exactly (a checkpoint's part)."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from a :meth:`state_dict`."""


class LinearSchedule(MaskSchedule):
    """CAMEL's schedule (the paper's epsilon-masking): eps_t = max(1 - t / (mask_fraction * total_timesteps), 0).

    Example:
        >>> s = LinearSchedule(mask_fraction=0.2, total_timesteps=1000)
        >>> s.step_probability(0), s.step_probability(100), s.step_probability(500)
        (1.0, 0.5, 0.0)
    """

    def __init__(self, mask_fraction: float = 0.2, total_timesteps: int | None = None):
        if total_timesteps is None:
            raise ValueError(
                "the linear schedule needs total_timesteps (the training run's length) to fade the mask "
                "over its first mask_fraction; or pass schedule=step -> probability"
            )
        check_schedule_args(mask_fraction, total_timesteps)
        self.mask_fraction, self.total_timesteps = mask_fraction, total_timesteps

    def step_probability(self, timestep: int) -> float:
        return mask_probability(timestep, self.mask_fraction, self.total_timesteps)

    def __repr__(self) -> str:
        return f"LinearSchedule(mask_fraction={self.mask_fraction}, total_timesteps={self.total_timesteps})"


class FunctionSchedule(MaskSchedule):
    """A callable ``step -> probability`` as a schedule; every episode masked."""

    def __init__(self, fn: Callable[[int], float]):
        if not callable(fn):
            raise TypeError(f"schedule must be a MaskSchedule or a callable step -> probability, got {type(fn).__name__}")
        self.fn = fn

    def step_probability(self, timestep: int) -> float:
        p = float(self.fn(timestep))
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"schedule({timestep}) returned {p}, which is not a probability in [0, 1]")
        return p

    def __repr__(self) -> str:
        return f"FunctionSchedule({self.fn!r})"


def as_schedule(schedule: MaskSchedule | Callable[[int], float]) -> MaskSchedule:
    """``schedule`` itself if it is a :class:`MaskSchedule`, else the callable as a :class:`FunctionSchedule`."""
    return schedule if isinstance(schedule, MaskSchedule) else FunctionSchedule(schedule)


def probability_greater(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    """P(X > Y) + P(X == Y) / 2 over all pairs of ``x`` and ``y`` along ``axis``: Mann-Whitney's
    U over ``n * m``. NumPy only; ``camel_gym.sweep.stats`` uses it for the probability of
    improvement (with ``axis`` over bootstrap resamples)."""
    x, y = np.moveaxis(x, axis, -1), np.moveaxis(y, axis, -1)
    greater = (x[..., :, None] > y[..., None, :]).mean(axis=(-2, -1))
    ties = (x[..., :, None] == y[..., None, :]).mean(axis=(-2, -1))
    return greater + 0.5 * ties


def masked_better(masked: np.ndarray, unmasked: np.ndarray) -> tuple[float, float]:
    """How much the masked episodes' returns exceed the unmasked ones', by Mann-Whitney's U.

    Returns ``(auc, p_value)``: ``auc`` = P(masked > unmasked) + P(tie) / 2 over all pairs
    (U / nm), and the one-sided p-value of "masked returns are higher" by U's normal
    approximation with tie and continuity corrections (SciPy's ``mannwhitneyu(masked,
    unmasked, alternative="greater", method="asymptotic")``, without needing SciPy).
    """
    x, y = np.asarray(masked, dtype=float), np.asarray(unmasked, dtype=float)
    n, m = len(x), len(y)
    auc = float(probability_greater(x, y))
    u = auc * n * m
    _, counts = np.unique(np.concatenate([x, y]), return_counts=True)
    total = n + m
    variance = n * m / 12.0 * ((total + 1) - float((counts**3 - counts).sum()) / (total * (total - 1)))
    if variance <= 0:  # every return equal: no evidence either way
        return auc, 1.0
    z = (u - n * m / 2.0 - 0.5) / math.sqrt(variance)
    return auc, 0.5 * math.erfc(z / math.sqrt(2.0))


class AdaptiveSchedule(MaskSchedule):
    """Gates a base schedule by a running test of whether masked episodes return more.

    Every episode is masked with probability ``gate`` (then the base schedule's eps_t applies
    step by step, as in the paper) or runs without the mask. ``gate`` starts at
    ``1 - probe`` and stays within ``[probe, 1 - probe]``, so both kinds of episode keep
    coming and the comparison never stops. After each episode, the returns of the two kinds
    over the same recent stretch of training are compared by Mann-Whitney's U
    (:func:`masked_better`), and the verdict moves ``gate`` by at most ``1 / fade_steps`` per env
    step until the next verdict:

    * masked returns significantly higher (one-sided p < ``alpha``): hold, ``gate`` rises to
      ``1 - probe``;
    * masked returns not higher (P(masked > unmasked) <= 1/2): fade, ``gate`` falls to ``probe``;
    * otherwise, or with fewer than ``min_episodes`` of either kind: ``gate`` stays.

    The stretch: episodes that ended in the last ``window_steps`` env steps, at most
    ``max_episodes`` of each kind (the latest), and of the two kinds only those that ended
    since the oldest episode the other kind still has. Both kinds then come from the same
    part of training: the agent changes as it learns, and the rarer kind's episodes reach
    further back, so comparing each kind's last n episodes would set an old masked policy
    against a new unmasked one.

    So a prior whose masked episodes return less than the agent does alone loses the mask
    within about ``fade_steps`` steps; a good prior keeps it (minus the ``probe`` share) until
    the unmasked agent catches up, and never beyond the base schedule:
    ``mask_probability(t) <= base.step_probability(t)`` always. Needs nothing from the agent,
    so it works with any algorithm through the wrappers.

    Args:
        base: the schedule of eps_t within masked episodes (the paper's :class:`LinearSchedule`).
        probe: the least share of episodes of each kind, in (0, 0.5].
        window_steps: how far back, in env steps, the test looks for episodes.
        max_episodes: the most episodes of each kind the test compares (the latest).
        min_episodes: episodes of each kind the test needs, at least 2.
        alpha: the test's significance level for "masked returns are higher".
        fade_steps: env steps for ``gate`` to move by 1 under a steady verdict; it crosses
            ``[probe, 1 - probe]`` in ``(1 - 2 * probe) * fade_steps`` steps.

    Change logs:
     * v0.1.0 - Initially added
    """

    def __init__(
        self,
        base: MaskSchedule | Callable[[int], float],
        probe: float = 0.1,
        window_steps: int = 20_000,
        max_episodes: int = 100,
        min_episodes: int = 5,
        alpha: float = 0.05,
        fade_steps: int = 20_000,
    ):
        if not 0.0 < probe <= 0.5:
            raise ValueError(f"probe must lie in (0, 0.5] (the least share of masked and of unmasked episodes), got {probe}")
        if window_steps < 1:
            raise ValueError(f"window_steps must be at least 1, got {window_steps}")
        if not 2 <= min_episodes <= max_episodes:
            raise ValueError(f"need 2 <= min_episodes <= max_episodes, got min_episodes={min_episodes}, max_episodes={max_episodes}")
        if not 0.0 < alpha < 1.0:
            raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
        if fade_steps < 1:
            raise ValueError(f"fade_steps must be at least 1, got {fade_steps}")
        self.base = as_schedule(base)
        self.probe, self.window_steps, self.max_episodes = probe, window_steps, max_episodes
        self.min_episodes, self.alpha, self.fade_steps = min_episodes, alpha, fade_steps
        self.gate = 1.0 - probe
        # (global step at the episode's end, return), per kind: True for masked
        self._returns = {True: deque(maxlen=max_episodes), False: deque(maxlen=max_episodes)}
        self._episodes = {True: 0, False: 0}
        self._verdict, self._auc, self._p_value, self._last_timestep = 0, math.nan, math.nan, 0
        self._means = {True: math.nan, False: math.nan}

    def step_probability(self, timestep: int) -> float:
        return self.base.step_probability(timestep)

    def episode_probability(self) -> float:
        return self.gate

    def record_episode(self, episode_return: float, masked: bool, timestep: int) -> None:
        # the verdict in force since the last episode moves the gate over the steps in between
        elapsed = max(int(timestep) - self._last_timestep, 0)
        self._last_timestep = max(int(timestep), self._last_timestep)
        self.gate = float(np.clip(self.gate + self._verdict * elapsed / self.fade_steps, self.probe, 1.0 - self.probe))
        if not math.isfinite(episode_return):
            return  # a broken episode says nothing about the prior
        masked = bool(masked)
        self._returns[masked].append((int(timestep), float(episode_return)))
        self._episodes[masked] += 1
        compared = self._same_stretch(int(timestep))
        self._means = {k: float(np.mean(v)) if v else math.nan for k, v in compared.items()}
        if min(len(v) for v in compared.values()) < self.min_episodes:
            self._verdict, self._auc, self._p_value = 0, math.nan, math.nan  # no evidence: the gate stays
            return
        self._auc, self._p_value = masked_better(np.array(compared[True]), np.array(compared[False]))
        self._verdict = 1 if self._p_value < self.alpha else (-1 if self._auc <= 0.5 else 0)

    def _same_stretch(self, now: int) -> dict[bool, list[float]]:
        """The returns of each kind the test compares: see the class docstring."""
        recent = {k: [(t, r) for t, r in v if t > now - self.window_steps] for k, v in self._returns.items()}
        since = max((v[0][0] for v in recent.values() if v), default=now)
        return {k: [r for t, r in v if t >= since] for k, v in recent.items()}

    def signals(self) -> dict[str, float]:
        """``mask_gate`` (P(episode masked)), ``mask_verdict`` (1 hold, 0 undecided, -1 fade),
        ``mask_auc`` and ``mask_p_value`` of the last test (NaN when there was too little to
        test), the mean returns it compared and the episodes of each kind so far."""
        return {
            "mask_gate": self.gate,
            "mask_verdict": float(self._verdict),
            "mask_auc": self._auc,
            "mask_p_value": self._p_value,
            "mask_masked_return": self._means[True],
            "mask_unmasked_return": self._means[False],
            "mask_masked_episodes": float(self._episodes[True]),
            "mask_unmasked_episodes": float(self._episodes[False]),
        }

    def state_dict(self) -> dict[str, Any]:
        return {
            "gate": self.gate, "verdict": self._verdict, "auc": self._auc, "p_value": self._p_value,
            "last_timestep": self._last_timestep, "means": [self._means[True], self._means[False]],
            "masked_returns": [list(e) for e in self._returns[True]],
            "unmasked_returns": [list(e) for e in self._returns[False]],
            "masked_episodes": self._episodes[True], "unmasked_episodes": self._episodes[False],
            "base": self.base.state_dict(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.gate, self._verdict = float(state["gate"]), int(state["verdict"])
        self._auc, self._p_value, self._last_timestep = float(state["auc"]), float(state["p_value"]), int(state["last_timestep"])
        self._returns = {True: deque((tuple(e) for e in state["masked_returns"]), maxlen=self.max_episodes),
                         False: deque((tuple(e) for e in state["unmasked_returns"]), maxlen=self.max_episodes)}
        self._means = {True: float(state["means"][0]), False: float(state["means"][1])}
        self._episodes = {True: int(state["masked_episodes"]), False: int(state["unmasked_episodes"])}
        self.base.load_state_dict(state["base"])

    def __repr__(self) -> str:
        return (f"AdaptiveSchedule({self.base!r}, probe={self.probe}, window_steps={self.window_steps}, "
                f"max_episodes={self.max_episodes}, min_episodes={self.min_episodes}, alpha={self.alpha}, "
                f"fade_steps={self.fade_steps})")
