"""Two-level factorial designs and their effects, estimated as paired differences over seeds.

A design is a table of coded levels, -1 (low) and +1 (high), one column per factor and one row
per design point. :func:`two_level_design` builds the full 2^k design or its half fraction
2^(k-1) with the defining relation I = AB...K (the last factor's level is the product of the
others), which for k = 5 is resolution V: no main effect or two-factor interaction is aliased
with another main effect or two-factor interaction.

An *effect* is a contrast: the mean outcome where the contrast column is +1 minus the mean where
it is -1. A main effect's column is its factor's levels; an interaction ``a x b``'s column is the
product of the two factors' columns. Every replicate seed ran every design point, so each seed
gives one estimate of each effect, and :func:`paired_effects` reports their mean with a Student-t
interval over seeds (the seeds are the independent units; the design points of one seed share
its random stream).

Examples
--------
>>> d = two_level_design(3)
>>> d.shape, sorted(set(d.ravel().tolist()))
((8, 3), [-1, 1])
>>> half = two_level_design(5, half=True)
>>> half.shape, design_resolution(half)
((16, 5), 5)
>>> aliased_effects(half, order=2)
[]
>>> design_resolution(two_level_design(4, half=True))  # 2^(4-1): two-factor interactions alias
4
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "two_level_design",
    "design_resolution",
    "aliased_effects",
    "contrast_columns",
    "interaction_label",
    "paired_effects",
]

#: How an interaction of two factors is labelled in tables and reports.
INTERACTION = " x "


def interaction_label(a: str, b: str) -> str:
    """The label of the two-factor interaction of ``a`` and ``b``.

    >>> interaction_label("responsiveness", "voting")
    'responsiveness x voting'
    """
    return f"{a}{INTERACTION}{b}"


def two_level_design(k: int, *, half: bool = False) -> np.ndarray:
    """Coded levels (-1/+1) of a full 2^k design, or of its half fraction 2^(k-1).

    Rows are in standard (Yates) order of the first ``k`` (full) or ``k - 1`` (half) factors:
    the first factor alternates fastest. In the half fraction the last factor is the product of
    the others (defining relation I = AB...K, resolution ``k``).

    >>> two_level_design(2).tolist()
    [[-1, -1], [1, -1], [-1, 1], [1, 1]]
    >>> two_level_design(3, half=True).tolist()
    [[-1, -1, 1], [1, -1, -1], [-1, 1, -1], [1, 1, 1]]
    """
    if k < 1 or (half and k < 3):
        raise ValueError(f"a two-level design needs k >= 1 factors (k >= 3 for a half): {k}")
    base = k - 1 if half else k
    # itertools.product varies the last position fastest; reversing puts factor 1 fastest.
    rows = np.array(list(itertools.product((-1, 1), repeat=base)), dtype=np.int8)[:, ::-1]
    if half:
        rows = np.column_stack([rows, rows.prod(axis=1)])
    return np.ascontiguousarray(rows, dtype=np.int8)


def design_resolution(design: np.ndarray) -> float:
    """The resolution of a regular two-level design: its shortest defining word (inf if none).

    A word is a set of factors whose column product is constant over the design (the design
    cannot tell their interaction from the mean).

    >>> design_resolution(two_level_design(3))
    inf
    """
    x = np.asarray(design, dtype=np.int64)
    k = x.shape[1]
    for length in range(1, k + 1):
        for word in itertools.combinations(range(k), length):
            column = x[:, list(word)].prod(axis=1)
            if np.all(column == column[0]):
                return length
    return math.inf


def contrast_columns(
    design: np.ndarray, names: Sequence[str], *, interactions: bool = True
) -> pd.DataFrame:
    """The contrast column (-1/+1 per design point) of every main effect and interaction.

    Columns are the factor names, then ``"a x b"`` for every pair in the order of ``names``.

    >>> list(contrast_columns(two_level_design(3), ["a", "b", "c"]).columns)
    ['a', 'b', 'c', 'a x b', 'a x c', 'b x c']
    """
    x = np.asarray(design, dtype=np.int64)
    if x.shape[1] != len(names):
        raise ValueError(f"{x.shape[1]} design columns but {len(names)} names")
    columns = {name: x[:, i] for i, name in enumerate(names)}
    if interactions:
        for i, j in itertools.combinations(range(len(names)), 2):
            columns[interaction_label(names[i], names[j])] = x[:, i] * x[:, j]
    return pd.DataFrame(columns)


def aliased_effects(design: np.ndarray, order: int = 2) -> list[tuple[str, str]]:
    """Pairs of effects up to ``order`` (1 main, 2 two-factor) whose contrasts coincide.

    Two effects are aliased when their columns are equal or opposite: the design cannot tell
    them apart. Factors are named ``x1``, ``x2``... in the answer.

    >>> aliased_effects(two_level_design(3, half=True), order=2)[:2]
    [('x1', 'x2 x x3'), ('x2', 'x1 x x3')]
    """
    x = np.asarray(design, dtype=np.int64)
    names = [f"x{i + 1}" for i in range(x.shape[1])]
    columns = contrast_columns(x, names, interactions=order >= 2)
    found = []
    for a, b in itertools.combinations(columns.columns, 2):
        if abs(int(columns[a] @ columns[b])) == len(x):
            found.append((a, b))
    return found


def paired_effects(
    contrasts: pd.DataFrame,
    outcomes: pd.DataFrame,
    metrics: Sequence[str],
    *,
    point: str = "point",
    unit: str = "seed",
    level: float = 0.95,
) -> pd.DataFrame:
    """Every effect of ``contrasts`` on every metric, estimated per ``unit`` and averaged.

    Parameters
    ----------
    contrasts
        One row per design point (index: the point's id, as in ``outcomes[point]``), one column
        per effect, values -1/+1 (see :func:`contrast_columns`).
    outcomes
        One row per design point and unit (seed): columns ``point``, ``unit`` and the metrics.
    metrics
        Outcome columns to estimate effects on.

    Returns
    -------
    DataFrame
        Columns lever, metric, effect, ci_low, ci_high, n: ``effect`` is the mean over units of
        the unit's own mean(+1) - mean(-1), the interval a t-interval over units, ``n`` the
        number of units with every design point present and the metric finite.

    Examples
    --------
    >>> c = contrast_columns(two_level_design(2), ["a", "b"])
    >>> rows = [(p, s, 3.0 * a + s) for p, (a, b) in enumerate(two_level_design(2))
    ...         for s in range(4)]
    >>> out = pd.DataFrame(rows, columns=["point", "seed", "y"])
    >>> e = paired_effects(c, out, ["y"]).set_index("lever")
    >>> float(e.loc["a", "effect"]), float(e.loc["b", "effect"]), int(e.loc["a", "n"])
    (6.0, 0.0, 4)
    """
    points = list(contrasts.index)
    units = sorted(outcomes[unit].unique())
    # (point, unit, metric) cube; a point a unit never ran stays NaN and drops that unit.
    cube = (
        outcomes.set_index([point, unit])[list(metrics)]
        .reindex(pd.MultiIndex.from_product([points, units], names=[point, unit]))
        .to_numpy(dtype=float)
        .reshape(len(points), len(units), len(metrics))
    )
    c = contrasts.to_numpy(dtype=float)  # (point, effect)
    plus = (c > 0) / np.maximum((c > 0).sum(axis=0), 1)
    minus = (c < 0) / np.maximum((c < 0).sum(axis=0), 1)
    per_unit = np.einsum("pe,pum->eum", plus - minus, cube)  # (effect, unit, metric)
    finite = np.isfinite(per_unit)
    n = finite.sum(axis=1)
    filled = np.where(finite, per_unit, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = filled.sum(axis=1) / n
        var = (np.where(finite, per_unit - mean[:, None, :], 0.0) ** 2).sum(axis=1) / (n - 1)
        half = stats.t.ppf(0.5 + level / 2, np.maximum(n - 1, 1)) * np.sqrt(var / n)
    half = np.where(n >= 2, half, np.where(n == 1, 0.0, np.nan))
    mean = np.where(n >= 1, mean, np.nan)
    table = pd.DataFrame(
        {
            "lever": np.repeat(list(contrasts.columns), len(metrics)),
            "metric": np.tile(list(metrics), len(contrasts.columns)),
            "effect": mean.ravel(),
            "ci_low": (mean - half).ravel(),
            "ci_high": (mean + half).ravel(),
            "n": n.ravel().astype(int),
        }
    )
    return table
