"""Summary statistics over replicates: mean, standard deviation and a t-based 95% interval.

One home for the numbers that ``summary.json``, ``summary.csv`` and the reports print, so the
same data always gives the same interval.

**Intervals that respect a metric's range.** A share cannot leave [0, 1] and a count cannot
go below 0, but a Student-t interval of a mean near a bound does (reach 0.8 [0.50, 1.10]).
Given ``bounds``, :func:`mean_ci` and :func:`bounded_ci` intersect the t interval with the
metric's range. The true mean lies in the range, so the intersection covers it exactly when
the t interval does: the coverage is unchanged, and the interval is never wider. (A logit or
log interval by the delta method was tried: with the 2 to 5 replicates of a typical run its
standard error explodes near a bound and gave intervals such as [0.31, 8059] for a count of
50; a bootstrap needs more replicates than that to mean anything.) Without ``bounds`` the
interval is the plain t interval, as before.

Examples
--------
>>> s = mean_ci([1.0, 2.0, 3.0])
>>> round(s["mean"], 3), round(s["sd"], 3), s["n"]
(2.0, 1.0, 3)
>>> round(s["ci_low"], 3), round(s["ci_high"], 3)
(-0.484, 4.484)
>>> mean_ci([])["n"]
0
>>> b = mean_ci([0.6, 0.95, 1.0], bounds=(0.0, 1.0))  # the t interval ends at 1.39
>>> round(b["ci_low"], 3), round(b["ci_high"], 3)
(0.309, 1.0)
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable

import numpy as np
from scipy import stats

from sim.util.constants import ranks

__all__ = ["mean_ci", "bounded_ci", "diff_ci", "paired_diff_ci", "gini", "t_quantile"]


@functools.lru_cache(maxsize=256)
def t_quantile(q: float, dof: float) -> float:
    """Student's t quantile, cached: a job summarises dozens of metrics over the same number of
    replicates, and each scipy call costs far more than the statistics themselves."""
    return float(stats.t.ppf(q, dof))


def mean_ci(
    values: Iterable[float],
    level: float = 0.95,
    bounds: tuple[float | None, float | None] | None = None,
) -> dict[str, float]:
    """Mean, sample sd and the Student-t confidence interval of the mean (NaNs ignored).

    With one value there is no interval: sd, ci_low and ci_high are NaN (never a zero-width
    "interval" at the mean); with none, every number is NaN and ``n`` is 0. ``bounds``
    (``(lo, hi)``, ``None`` on an open side) keeps the interval inside the metric's range
    (see :func:`bounded_ci`).
    """
    x = np.asarray(list(values), dtype=float)
    x = x[~np.isnan(x)]
    n = int(x.size)
    if n == 0:
        nan = float("nan")
        return {"mean": nan, "sd": nan, "ci_low": nan, "ci_high": nan, "n": 0}
    mean = float(x.mean())
    if n == 1:
        nan = float("nan")
        return {"mean": mean, "sd": nan, "ci_low": nan, "ci_high": nan, "n": 1}
    sd = float(x.std(ddof=1))
    if bounds is not None and bounds != (None, None):
        low, high = bounded_ci(mean, sd, n, bounds, level)
        return {"mean": mean, "sd": sd, "ci_low": float(low[0]), "ci_high": float(high[0]), "n": n}
    half = t_quantile(0.5 + level / 2, n - 1) * sd / math.sqrt(n)
    return {"mean": mean, "sd": sd, "ci_low": mean - half, "ci_high": mean + half, "n": n}


def bounded_ci(mean, sd, n, bounds, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """The Student-t interval of a mean, intersected with the metric's range ``bounds``.

    ``mean``, ``sd`` and ``n`` (replicates) may be arrays; ``bounds`` is ``(lo, hi)`` with
    ``None`` on an open side (scalars or arrays, NaN also meaning open). ``n < 2`` gives NaN.

    >>> lo, hi = bounded_ci(np.array([0.5, 50.0]), np.array([0.1, 30.0]), 3, (0.0, None))
    >>> [round(float(v), 3) for v in lo], [round(float(v), 1) for v in hi]
    ([0.252, 0.0], [0.7, 124.5])
    """
    mean, sd, n = np.broadcast_arrays(
        *(np.atleast_1d(np.asarray(v, dtype=float)) for v in (mean, sd, n))
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(n > 1, stats.t.ppf(0.5 + level / 2, np.maximum(n - 1, 1)), np.nan)
        half = t * sd / np.sqrt(n)
    low, high = mean - half, mean + half
    lo, hi = (np.nan if b is None else np.asarray(b, dtype=float) for b in bounds)
    low = np.where(np.isfinite(lo) & (low < lo), lo, low)
    high = np.where(np.isfinite(hi) & (high > hi), hi, high)
    return low, high


def diff_ci(a: Iterable[float], b: Iterable[float], level: float = 0.95) -> dict[str, float]:
    """Difference of means ``mean(a) - mean(b)`` with a Welch t interval.

    >>> d = diff_ci([2.0, 2.2, 2.4], [1.0, 1.1, 1.2])
    >>> round(d["diff"], 3), d["ci_low"] < d["diff"] < d["ci_high"]
    (1.1, True)
    """
    x = np.asarray(list(a), dtype=float)
    y = np.asarray(list(b), dtype=float)
    x, y = x[~np.isnan(x)], y[~np.isnan(y)]
    nan = float("nan")
    if x.size == 0 or y.size == 0:
        return {"diff": nan, "ci_low": nan, "ci_high": nan}
    diff = float(x.mean() - y.mean())
    if x.size < 2 or y.size < 2:
        return {"diff": diff, "ci_low": nan, "ci_high": nan}
    vx, vy = x.var(ddof=1) / x.size, y.var(ddof=1) / y.size
    se = math.sqrt(vx + vy)
    if se == 0:
        return {"diff": diff, "ci_low": diff, "ci_high": diff}
    dof = (vx + vy) ** 2 / (vx**2 / (x.size - 1) + vy**2 / (y.size - 1))
    half = t_quantile(0.5 + level / 2, dof) * se
    return {"diff": diff, "ci_low": diff - half, "ci_high": diff + half}


def paired_diff_ci(a: Iterable[float], b: Iterable[float], level: float = 0.95) -> dict[str, float]:
    """Mean of the pairwise differences ``a[i] - b[i]`` with its t interval (pairs with a NaN
    left out): the interval of a paired design, such as two arms run on the same seeds.

    Pairs that differ by the same amount have a zero-width interval at it (two arms identical
    before an intervention differ by exactly 0), where an unpaired interval would be wide.

    >>> d = paired_diff_ci([2.0, 2.2, 2.4], [1.0, 1.1, 1.2])
    >>> round(d["diff"], 3), round(d["ci_low"], 3), round(d["ci_high"], 3), d["n"]
    (1.1, 0.852, 1.348, 3)
    >>> paired_diff_ci([1.0, 2.0], [1.0, 2.0])["ci_high"]
    0.0
    """
    x = np.asarray(list(a), dtype=float)
    y = np.asarray(list(b), dtype=float)
    if x.shape != y.shape:
        raise ValueError(f"paired values need as many of each: {x.size} and {y.size}")
    s = mean_ci(x - y, level)
    return {"diff": s["mean"], "ci_low": s["ci_low"], "ci_high": s["ci_high"], "n": s["n"]}


def gini(values: np.ndarray, axis: int = -1) -> np.ndarray | np.float64:
    """Gini coefficient of non-negative values along ``axis`` (0 when all are equal or zero).

    >>> float(gini(np.array([1.0, 1.0, 1.0])))
    0.0
    >>> float(gini(np.array([0.0, 0.0, 0.0, 4.0])))
    0.75
    """
    counted = _gini_by_counting(values)
    if counted is not None:
        return counted
    x = np.array(values, dtype=float)
    x.sort(axis=axis)
    n = x.shape[axis]
    if n == 0:
        return np.asarray(np.nan)
    total = np.add.reduce(x, axis=axis)
    if x.ndim == 1:
        # The model measures one vector per step: the same arithmetic, without the errstate
        # and where() that only batches need.
        if not total > 0:
            return np.float64(0.0)
        return (2 * np.add.reduce(ranks(n) * x)) / (n * total) - (n + 1) / n
    shape = [1] * x.ndim
    shape[axis] = n
    weighted = np.add.reduce(ranks(n).reshape(shape) * x, axis=axis)
    some = total > 0  # elsewhere 0, divided by 1 instead (no 0/0 to silence)
    return np.where(some, (2 * weighted) / (n * np.where(some, total, 1.0)) - (n + 1) / n, 0.0)


#: Below this many values a sort costs less than counting them (fewer calls).
_COUNT_FROM = 4096


def _gini_by_counting(values) -> np.float64 | None:
    """:func:`gini` of one long vector of non-negative integers (messages received, read) by
    counting each value instead of sorting: O(n + largest value), exact in int64, so the same
    float as the sort's when its sums are exact (below 2**53, checked). None where it does not
    apply (floats, a short vector, batches, a negative value, a largest value far above the
    count, sums too large); :func:`gini` sorts then.

    >>> x = np.array([3, 0, 1, 1, 7] * 1000)
    >>> bool(_gini_by_counting(x) == gini(x.astype(float)))
    True
    """
    x = np.asarray(values)
    if x.ndim != 1 or x.size < _COUNT_FROM or not np.issubdtype(x.dtype, np.integer):
        return None
    n = x.size
    low, top = int(x.min()), int(x.max())
    if low < 0 or top > 4 * n:
        return None
    counts = np.bincount(x).astype(np.int64)
    value = np.arange(counts.size, dtype=np.int64)
    total = int(np.add.reduce(value * counts))
    if total == 0:
        return np.float64(0.0)
    if n * total >= 2**53:  # the weighted sum below is at most n * total: exact, no overflow
        return None
    first = np.cumsum(counts) - counts  # rank - 1 of each value's first place in sorted order
    # sum of rank x value over the sorted vector: each value's places are ranks first + 1 ...
    # first + count, which sum to count (2 first + count + 1) / 2 (an integer).
    weighted = int(np.add.reduce(value * (counts * (2 * first + counts + 1) // 2)))
    return (2 * np.float64(weighted)) / (n * np.float64(total)) - (n + 1) / n
