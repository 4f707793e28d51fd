"""The outcomes kit: what a study reads from its runs, computed one way for every study.

A run's metrics table (``metrics.parquet``: replicate, seed, step, one column per metric)
becomes a study's outcomes here, and nowhere else:

- **the end-of-run window** (:func:`window_steps`, :func:`window_of`): the last third of the
  run after step 0, steps 201-300 of 300. Its one definition is the model's
  (:func:`sim.simulation.window_steps`, which ``summary.json`` uses too); the kit re-exports
  it, so a study imports its window from here.
- **per-seed window means** (:func:`window_means`, :func:`seed_means`) and **finals**
  (:func:`finals`): one row per replicate, NaN steps skipped. A cumulative count (the
  catalogue's kind ``cumulative``) may be taken at the window's last step instead.
- **intervals** (:func:`t_interval`): the Student-t interval of a mean from arrays of mean,
  sd and n, kept inside a metric's range when given one (:func:`metric_bounds` for values,
  :func:`difference_bounds` for the difference of two values of the same metric: a share's
  difference lies in [-1, 1]), with one observation either NaN or the point itself.
- **effect tables** (:func:`paired_differences`): a per-seed difference of two arms, its mean
  and interval per metric.
- **numbers as reports print them** (:func:`fmt`, :func:`is_clear`).

Every study (compare, discover, sensitivity, aggregate, what-if) and the app read outcomes
through these functions; ``tests/test_outcomes.py`` fails when another module slices a window.

Examples
--------
>>> frame = pd.DataFrame({"replicate": [0] * 4 + [1] * 4, "seed": [7] * 4 + [8] * 4,
...                       "step": [0, 1, 2, 3] * 2,
...                       "reach": [0.0, 0.2, 0.4, 0.6, 0.0, 0.4, 0.6, 1.0]})
>>> window_of(frame)
(3, 3)
>>> window_means(frame, ["reach"], (2, 3)).values.tolist()
[[0.0, 7.0, 0.5], [1.0, 8.0, 0.8]]
>>> finals(frame, ["reach"])["reach"].tolist()
[0.6, 1.0]
>>> low, high = t_interval([0.9], [0.2], [3], bounds=metric_bounds(["reach"]))
>>> round(float(low[0]), 3), float(high[0])
(0.403, 1.0)
>>> fmt(0.123456), fmt(float("nan")), fmt(-0.0)
('0.123', 'n/a', '0')
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.rules.catalogue import bounds_of, record
from sim.simulation import WINDOW, window_steps
from sim.util.stats import bounded_ci

__all__ = [
    "WINDOW",
    "window_steps",
    "window_of",
    "window_rows",
    "window_means",
    "seed_means",
    "finals",
    "t_interval",
    "metric_bounds",
    "difference_bounds",
    "paired_differences",
    "fmt",
    "is_clear",
]

Bounds = tuple[Any, Any]


def window_of(frame: pd.DataFrame, share: float = WINDOW) -> tuple[int, int]:
    """The end-of-run window (first and last step) of a metrics table: the last ``share`` of
    its steps after step 0 (:func:`sim.simulation.window_steps` of its last step)."""
    return window_steps(int(frame["step"].max()), share)


def window_rows(
    frame: pd.DataFrame, steps: tuple[int, int] | None = None, *, share: float = WINDOW
) -> pd.DataFrame:
    """The rows of a metrics table inside ``steps`` (default its end-of-run window), first and
    last step included: what every window mean averages."""
    first, last = window_of(frame, share) if steps is None else steps
    return frame[(frame["step"] >= first) & (frame["step"] <= last)]


def window_means(
    frame: pd.DataFrame,
    metrics: Sequence[str],
    steps: tuple[int, int] | None = None,
    *,
    share: float = WINDOW,
    by: Sequence[str] = ("replicate", "seed"),
    cumulative_at_last: bool = False,
) -> pd.DataFrame:
    """Each replicate's mean of every metric over ``steps`` (NaN steps skipped).

    ``steps`` defaults to the frame's own end-of-run window (:func:`window_of` with
    ``share``). Returns one row per group of ``by`` (sorted): the ``by`` columns, then the
    metrics. With ``cumulative_at_last`` a cumulative count (a running total, such as
    innovations) is its value at the window's last step instead: averaged over a window it
    would mix the past into the end.
    """
    steps = window_of(frame, share) if steps is None else steps
    inside = window_rows(frame, steps)
    means = inside.groupby(list(by), sort=True)[list(metrics)].mean()
    totals = [m for m in metrics if cumulative_at_last and record(m).kind == "cumulative"]
    if totals:
        at_last = inside[inside["step"] == steps[1]].groupby(list(by), sort=True)[totals]
        means[totals] = at_last.mean().reindex(means.index)
    return means.reset_index()


def seed_means(
    frame: pd.DataFrame,
    metrics: Sequence[str],
    steps: tuple[int, int],
    *,
    cumulative_at_last: bool = False,
) -> pd.DataFrame:
    """Each seed's mean of every metric over ``steps`` (NaN steps skipped), indexed by seed
    (as :func:`window_means` with ``by=("seed",)``)."""
    return window_means(
        frame, metrics, steps, by=("seed",), cumulative_at_last=cumulative_at_last
    ).set_index("seed")


def finals(
    frame: pd.DataFrame,
    metrics: Sequence[str],
    last: int | None = None,
    *,
    by: Sequence[str] = ("replicate", "seed"),
) -> pd.DataFrame:
    """Each replicate's value at step ``last`` (default the frame's last step), as
    :func:`window_means` returns its rows."""
    last = int(frame["step"].max()) if last is None else last
    return window_means(frame, metrics, (last, last), by=by)


def t_interval(
    mean, sd, n, *, bounds: Bounds | None = None, level: float = 0.95, single: str = "nan"
) -> tuple[np.ndarray, np.ndarray]:
    """The Student-t interval of a mean from arrays of ``mean``, ``sd`` and ``n``.

    With ``bounds`` (``(lo, hi)``, scalars or arrays, ``None`` or NaN on an open side) the
    interval is cut to the metric's range (:func:`sim.util.stats.bounded_ci`: the coverage is
    unchanged, the interval never wider). One observation gives no interval: NaN, or with
    ``single="point"`` the point itself (a zero-width row in a table of effects); none gives
    NaN.

    >>> low, high = t_interval([2.0, 2.0], [1.0, 1.0], [3, 1], single="point")
    >>> [round(float(v), 3) for v in low], [round(float(v), 3) for v in high]
    ([-0.484, 2.0], [4.484, 2.0])
    """
    if single not in ("nan", "point"):
        raise ValueError(f"single must be 'nan' or 'point', not {single!r}")
    if bounds is not None:
        low, high = bounded_ci(mean, sd, n, bounds, level)
        if single == "point":
            mean, n = np.broadcast_arrays(np.asarray(mean, dtype=float), np.asarray(n, dtype=float))
            low, high = np.where(n == 1, mean, low), np.where(n == 1, mean, high)
        return low, high
    mean, sd, n = (np.asarray(a, dtype=float) for a in (mean, sd, n))
    one = 0.0 if single == "point" else np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        t = stats.t.ppf(0.5 + level / 2, np.maximum(n - 1, 1))
        half = np.where(n >= 2, t * sd / np.sqrt(n), np.where(n == 1, one, np.nan))
    return mean - half, mean + half


def metric_bounds(metrics: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Each metric's range from the catalogue, NaN on an open side (for :func:`t_interval`).

    >>> metric_bounds(["reach", "messages_sent"])
    (array([0., 0.]), array([ 1., nan]))
    """
    lo, hi = bounds_of(metrics)
    return np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)


def difference_bounds(metrics: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The range of a difference of two values of each metric: ``[lo - hi, hi - lo]``, open
    when the metric's range is open on either side (a count's difference is unbounded).

    >>> difference_bounds(["reach", "messages_sent"])
    (array([-1., nan]), array([ 1., nan]))
    """
    lo, hi = metric_bounds(metrics)
    return lo - hi, hi - lo


def paired_differences(
    left: pd.DataFrame,
    right: pd.DataFrame,
    metrics: Sequence[str],
    *,
    bounded: bool = False,
    level: float = 0.95,
) -> pd.DataFrame:
    """Mean over seeds of ``left - right`` per metric, paired by the tables' index (seed),
    with its t interval: columns metric, diff, ci_low, ci_high, n.

    With ``bounded`` the interval stays inside :func:`difference_bounds`. One pair gives a
    zero-width interval at its difference.

    >>> a = pd.DataFrame({"reach": [0.9, 0.8, 1.0]}, index=[1, 2, 3])
    >>> b = pd.DataFrame({"reach": [0.1, 0.2, 0.0]}, index=[1, 2, 3])
    >>> row = paired_differences(a, b, ["reach"], bounded=True).iloc[0]
    >>> round(float(row["diff"]), 3), round(float(row["ci_low"]), 3), float(row["ci_high"])
    (0.8, 0.303, 1.0)
    """
    diff = left[list(metrics)] - right[list(metrics)].reindex(left.index)
    mean, sd, n = diff.mean(), diff.std(ddof=1), diff.count()
    bounds = difference_bounds(metrics) if bounded else None
    low, high = t_interval(mean, sd, n, bounds=bounds, level=level, single="point")
    return pd.DataFrame(
        {
            "metric": list(metrics),
            "diff": mean.to_numpy(dtype=float),
            "ci_low": low,
            "ci_high": high,
            "n": n.to_numpy().astype(int),
        }
    )


def fmt(x: float | None) -> str:
    """A number as the reports print it: three significant digits, 'n/a' for a missing one.

    >>> fmt(1234.5), fmt(None), fmt(0.0001234)
    ('1.23e+03', 'n/a', '0.000123')
    """
    if x is None or (isinstance(x, float) and math.isnan(x)) or pd.isna(x):
        return "n/a"
    text = f"{x:.3g}"
    return "0" if float(text) == 0 else text


def is_clear(row: Any) -> bool:
    """True when a difference's 95% interval excludes zero (``ci_low > 0`` or ``ci_high < 0``).

    >>> is_clear({"ci_low": 0.1, "ci_high": 0.3}), is_clear({"ci_low": -0.1, "ci_high": 0.3})
    (True, False)
    """
    return bool(row["ci_low"] > 0 or row["ci_high"] < 0)
