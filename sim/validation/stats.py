"""Statistics for validation: equivalence tests for numbers, intervals for patterns.

A numeric target is judged by two one-sided tests (TOST): the difference
``d`` between ours and the target is declared *equivalent* at level ``alpha`` when both
``H0: d <= -margin`` and ``H0: d >= +margin`` are rejected, which is the same as the
``1 - 2 alpha`` confidence interval of ``d`` lying inside ``(-margin, +margin)``. The margin is
stated before the runs (each comparison module holds it as a constant), and
:func:`replicates_for_tost` says how many replicates give the power to declare equivalence when
the true difference is zero, which is also enough to detect a difference as large as the margin.

A pattern (an ordering, the position of a maximum) is judged by a stated statistic with its
confidence interval: :func:`paired_diff` for orderings with common random numbers and
:func:`argmax_bootstrap` for the position of a maximum.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> a, b = rng.normal(0.50, 0.1, 400), rng.normal(0.505, 0.1, 400)
>>> t = tost_two_sample(a, b, margin=0.03)
>>> t.verdict
'equivalent'
>>> tost_two_sample(a, b + 0.2, margin=0.03).verdict
'different'
>>> replicates_for_tost(sd=0.1, margin=0.02)
429
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = [
    "Tost",
    "tost_two_sample",
    "tost_one_sample",
    "replicates_for_tost",
    "tost_power",
    "holm",
    "poisson_binomial",
    "agreement",
    "paired_diff",
    "argmax_bootstrap",
]


@dataclass(frozen=True)
class Tost:
    """The outcome of an equivalence test of ``diff`` (ours minus target) within ``margin``.

    ``ci_low`` and ``ci_high`` bound the ``1 - 2 alpha`` interval (90% at alpha = 0.05); ``p`` is
    the larger of the two one-sided p-values; ``p_diff`` the two-sided p-value of an ordinary
    test of no difference. ``verdict`` is ``equivalent`` (interval inside the margin),
    ``different`` (not equivalent and the 95% interval excludes 0) or ``inconclusive``.
    """

    diff: float
    se: float
    df: float
    margin: float
    alpha: float
    ci_low: float
    ci_high: float
    p: float
    p_diff: float
    n: tuple[int, ...]

    @property
    def equivalent(self) -> bool:
        return bool(self.p < self.alpha)

    @property
    def verdict(self) -> str:
        if self.equivalent:
            return "equivalent"
        if self.p_diff < self.alpha:
            return "different"
        return "inconclusive"


def _tost(diff: float, se: float, df: float, margin: float, alpha: float, n) -> Tost:
    if margin <= 0:
        raise ValueError(f"the equivalence margin must be positive, got {margin}")
    if se == 0:  # identical constants: exact answer
        inside = abs(diff) < margin
        return Tost(
            diff,
            0.0,
            df,
            margin,
            alpha,
            diff,
            diff,
            0.0 if inside else 1.0,
            1.0 if diff == 0 else 0.0,
            tuple(n),
        )
    t_low = (diff + margin) / se  # H0: diff <= -margin
    t_high = (diff - margin) / se  # H0: diff >= +margin
    p = max(stats.t.sf(t_low, df), stats.t.cdf(t_high, df))
    half = stats.t.ppf(1 - alpha, df) * se
    p_diff = 2 * stats.t.sf(abs(diff) / se, df)
    return Tost(
        float(diff),
        float(se),
        float(df),
        float(margin),
        float(alpha),
        float(diff - half),
        float(diff + half),
        float(p),
        float(p_diff),
        tuple(n),
    )


def tost_two_sample(ours, theirs, margin: float, alpha: float = 0.05) -> Tost:
    """Welch TOST for ``mean(ours) - mean(theirs)`` (independent samples)."""
    a = np.asarray(ours, dtype=float)
    b = np.asarray(theirs, dtype=float)
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se = math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1)) if se > 0 else np.inf
    return _tost(a.mean() - b.mean(), se, df, margin, alpha, (a.size, b.size))


def tost_one_sample(ours, target: float, margin: float, alpha: float = 0.05) -> Tost:
    """TOST for ``mean(ours) - target`` where the target is a fixed published number."""
    a = np.asarray(ours, dtype=float)
    se = a.std(ddof=1) / math.sqrt(a.size)
    return _tost(a.mean() - target, se, a.size - 1, margin, alpha, (a.size,))


def replicates_for_tost(
    sd: float, margin: float, alpha: float = 0.05, power: float = 0.8, groups: int = 2
) -> int:
    """Replicates per group for a TOST with ``power`` when the true difference is 0.

    Normal approximation ``n = g sd^2 (z_{1-alpha} + z_{1-beta/2})^2 / margin^2`` with ``g = 2``
    for two independent groups and 1 against a fixed target. It exceeds the ``n`` that an
    ordinary two-sided test needs to detect a difference of ``margin`` with the same power
    (``(z_{1-alpha/2} + z_{power})^2`` = 7.85 against 8.57 at the defaults).
    """
    z = stats.norm.ppf(1 - alpha) + stats.norm.ppf(1 - (1 - power) / 2)
    return int(math.ceil(groups * sd**2 * z**2 / margin**2))


def tost_power(sd: float, margin: float, n: int, alpha: float = 0.05, groups: int = 2) -> float:
    """Approximate power of the TOST with ``n`` per group when the true difference is 0.

    >>> round(tost_power(0.1, 0.02, 429), 2)
    0.8
    """
    se = sd * math.sqrt(groups / n)
    z = stats.norm.ppf(1 - alpha)
    return float(max(0.0, 2 * stats.norm.cdf(margin / se - z) - 1))


def holm(p) -> np.ndarray:
    """Holm's step-down adjusted p-values (family-wise error over all the tests given).

    >>> holm([0.01, 0.04, 0.03]).round(2).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(p, dtype=float)
    order = np.argsort(p)
    k = p.size
    adjusted = np.maximum.accumulate((k - np.arange(k)) * p[order])
    out = np.empty(k)
    out[order] = np.minimum(adjusted, 1.0)
    return out


def poisson_binomial(probs) -> np.ndarray:
    """Distribution of the number of successes among independent trials with chances ``probs``
    (``out[k]`` = P(k successes)), by convolution.

    >>> poisson_binomial([0.5, 0.5]).tolist()
    [0.25, 0.5, 0.25]
    """
    pmf = np.array([1.0])
    for q in np.asarray(probs, dtype=float):
        pmf = np.convolve(pmf, [1.0 - q, q])
    return pmf


def agreement(tosts: list[Tost], powers, alpha: float = 0.05) -> dict:
    """A criterion for a grid of cells docked one by one, aware of how many cells there are.

    Requiring every cell to be declared equivalent fails by design as the grid grows: at 80%
    power per cell, 27 cells that agree exactly all pass with probability 0.8^27 = 0.002. So
    agreement is rejected when either (i) some cell is *different*: not declared equivalent,
    and its two-sided test of no difference significant after Holm's adjustment over all cells
    (family-wise level ``alpha``; a difference inside the margin is not disagreement, however
    significant), or (ii) fewer cells are declared equivalent than exact agreement would
    plausibly give: the count's probability of being that low or lower, under exact agreement,
    is below ``alpha``.
    Under exact agreement cell ``i`` is declared equivalent with chance ``powers[i]`` (its TOST
    power at difference 0), independently, so the count is Poisson-binomial. A model off by
    a fraction of the margin in every cell loses power in every cell and fails (ii); one far
    off in a few cells fails (i).

    >>> t = [Tost(0.0, 0.005, 99, 0.02, 0.05, -0.008, 0.008, 0.001, 1.0, (100,))] * 10
    >>> a = agreement(t, [0.9] * 10)
    >>> a["equivalent"], a["different"], a["passed"]
    (10, [], True)
    >>> agreement(t[:3], [0.9] * 10)["passed"]  # fewer cells than powers: an error
    Traceback (most recent call last):
    ...
    ValueError: one power per cell: 3 cells, 10 powers
    """
    powers = np.asarray(powers, dtype=float)
    if powers.size != len(tosts):
        raise ValueError(f"one power per cell: {len(tosts)} cells, {powers.size} powers")
    adjusted = holm([t.p_diff for t in tosts])
    different = [
        i
        for i, (t, q) in enumerate(zip(tosts, adjusted, strict=True))
        if q < alpha and not t.equivalent
    ]
    count = sum(t.equivalent for t in tosts)
    pmf = poisson_binomial(powers)
    p_count = float(pmf[: count + 1].sum())
    return {
        "equivalent": int(count),
        "expected": float(powers.sum()),
        "p_count": p_count,
        "holm": adjusted.tolist(),
        "different": different,
        "passed": bool(not different and p_count >= alpha),
    }


def paired_diff(a, b, level: float = 0.95) -> dict[str, float]:
    """Mean of ``a - b`` over paired replicates (common random numbers), with its t interval.

    >>> d = paired_diff([3.0, 4.0, 5.0], [1.0, 1.0, 2.0])
    >>> round(d["mean"], 3), d["n"]
    (2.667, 3)
    """
    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    n = d.size
    m = float(d.mean())
    if n < 2:
        return {"mean": m, "ci_low": float("nan"), "ci_high": float("nan"), "n": n}
    half = stats.t.ppf(0.5 + level / 2, n - 1) * d.std(ddof=1) / math.sqrt(n)
    return {"mean": m, "ci_low": m - half, "ci_high": m + half, "n": n}


def argmax_bootstrap(
    values: np.ndarray, x, rng: np.random.Generator, draws: int = 2000, level: float = 0.95
) -> dict:
    """Where a curve peaks, with a bootstrap interval over replicates.

    ``values`` has one row per replicate and one column per ``x``; each bootstrap draw resamples
    the replicates, averages them, and records the ``x`` of the maximum. Returns the argmax of
    the mean curve, the percentile interval of the bootstrap argmax, and the share of draws
    whose maximum lies strictly inside the grid (neither end).

    >>> v = np.array([[0.1, 0.5, 0.2], [0.2, 0.6, 0.1], [0.0, 0.4, 0.3]])
    >>> r = argmax_bootstrap(v, [0, 1, 2], np.random.default_rng(0), draws=200)
    >>> r["argmax"], r["interior_share"]
    (1, 1.0)
    """
    v = np.asarray(values, dtype=float)
    x = np.asarray(x)
    idx = rng.integers(0, v.shape[0], size=(draws, v.shape[0]))
    means = v[idx].mean(axis=1)
    best = means.argmax(axis=1)
    lo, hi = np.quantile(x[best], [0.5 - level / 2, 0.5 + level / 2], method="nearest")
    interior = float(np.mean((best > 0) & (best < x.size - 1)))
    return {
        "argmax": x[int(v.mean(axis=0).argmax())].item(),
        "ci_low": lo.item(),
        "ci_high": hi.item(),
        "interior_share": interior,
    }
