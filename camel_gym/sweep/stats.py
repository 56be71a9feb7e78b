"""The estimators of Agarwal et al. (2021, "Deep RL at the Edge of the Statistical Precipice").

rliable's own package would be the natural choice, but rliable 1.2.0 fails to import with
pandas 3 and arch 7.2 and fails at run time with arch 8, so the same estimators are computed
here with ``scipy.stats``, each in a line or two:

- interquartile mean (IQM): ``trim_mean(x, 0.25)``, the mean of the middle 50 % of runs;
- 95 % confidence intervals: percentile bootstrap over runs (``scipy.stats.bootstrap``), as
  rliable does; within one task, rliable's stratified bootstrap is this bootstrap;
- probability of improvement P(X > Y): the Mann-Whitney U statistic divided by ``n * m``
  (ties count a half), with a bootstrap interval that resamples both groups;
- the ratio IQM(X) / IQM(Y), for goals stated as "at least 0.9x the baseline", with a bootstrap
  interval that resamples both groups.

Every function is deterministic for a given ``seed``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

from camel_gym.schedules import probability_greater

__all__ = ["Estimate", "iqm", "iqm_ratio", "mean_with_ci", "probability_of_improvement"]

#: Bootstrap resamples; rliable's default is 50 000, 10 000 keep the report fast and the
#: interval's ends stable to well under the reported precision for the few seeds of a grid.
RESAMPLES = 10_000


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its 95 % confidence interval and the number of runs behind it."""

    value: float
    low: float
    high: float
    n: int

    def text(self, digits: int = 0) -> str:
        """``value [low, high]``; ``value (n=1)`` when no interval can be estimated; ``–`` without runs."""
        if self.n == 0:
            return "–"
        if not np.isfinite(self.low):
            return f"{self.value:.{digits}f} (n={self.n})"
        return f"{self.value:.{digits}f} [{self.low:.{digits}f}, {self.high:.{digits}f}]"


_NO_RUNS = Estimate(float("nan"), float("nan"), float("nan"), 0)


def _interquartile_mean(x, axis=-1):
    return stats.trim_mean(x, 0.25, axis=axis)


def _with_ci(samples: tuple[np.ndarray, ...], statistic, seed: int) -> tuple[float, float]:
    if min(len(s) for s in samples) < 2 or all(np.ptp(s) == 0 for s in samples):
        return float("nan"), float("nan")
    result = stats.bootstrap(
        samples, statistic, n_resamples=RESAMPLES, method="percentile", confidence_level=0.95,
        paired=False, vectorized=True, rng=np.random.default_rng(seed),
    )
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def iqm(scores, seed: int = 0) -> Estimate:
    """Interquartile mean of per-run scores with a 95 % percentile-bootstrap interval.

    With fewer than two runs (or all equal) the interval is NaN: it cannot be estimated.

    Example:
        >>> iqm([100.0, 200.0, 300.0, 400.0, 5000.0]).text()  # the outlier is trimmed away
        '300 [133, 3467]'
    """
    x = np.asarray(scores, dtype=float)
    if x.size == 0:
        return _NO_RUNS
    low, high = _with_ci((x,), _interquartile_mean, seed)
    return Estimate(float(_interquartile_mean(x)), low, high, int(x.size))


def mean_with_ci(scores, seed: int = 0) -> Estimate:
    """Mean of per-run scores with a 95 % percentile-bootstrap interval (the learning curves' band)."""
    x = np.asarray(scores, dtype=float)
    if x.size == 0:
        return _NO_RUNS
    low, high = _with_ci((x,), lambda s, axis=-1: np.mean(s, axis=axis), seed)
    return Estimate(float(x.mean()), low, high, int(x.size))


def probability_of_improvement(x, y, seed: int = 0) -> Estimate:
    """P(a run of X scores higher than a run of Y), with a 95 % bootstrap interval.

    Computed as the Mann-Whitney U statistic of X against Y divided by ``len(x) * len(y)``; 0.5
    means no difference. ``n`` is ``min(len(x), len(y))``.

    Example:
        >>> round(probability_of_improvement([3.0, 4.0, 5.0], [1.0, 2.0, 4.0]).value, 3)
        0.833
    """
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if a.size == 0 or b.size == 0:
        return _NO_RUNS
    value = probability_greater(a, b)
    low, high = _with_ci((a, b), probability_greater, seed)
    return Estimate(float(value), low, high, int(min(a.size, b.size)))


def iqm_ratio(x, y, seed: int = 0) -> Estimate:
    """IQM(X) / IQM(Y) with a 95 % bootstrap interval that resamples both groups.

    A resample whose IQM(Y) is not positive has no ratio; if any has none, so has the interval
    (NaN). ``n`` is ``min(len(x), len(y))``.

    Raises:
        ValueError: IQM(Y) is not positive: a ratio to it would not say "how many times Y".

    Example:
        >>> round(iqm_ratio([90.0, 100.0, 110.0], [100.0, 100.0, 100.0]).value, 3)
        1.0
    """
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if a.size == 0 or b.size == 0:
        return _NO_RUNS
    denominator = float(_interquartile_mean(b))
    if denominator <= 0:
        raise ValueError(f"the IQM of the denominator is {denominator:g}; a ratio needs a positive one")

    def ratio(a, b, axis=-1):
        bottom = _interquartile_mean(b, axis=axis)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(bottom > 0, _interquartile_mean(a, axis=axis) / bottom, np.nan)

    with warnings.catch_warnings():  # scipy warns of the NaN resamples this function means to give
        warnings.simplefilter("ignore", stats.DegenerateDataWarning)
        low, high = _with_ci((a, b), ratio, seed)
    return Estimate(float(_interquartile_mean(a)) / denominator, low, high, int(min(a.size, b.size)))
