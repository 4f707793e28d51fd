"""Sensitivity analysis of a metric, or of a practice's effect on it, over a design's ranges.

Three methods, each from SALib, each matched to the design that feeds it:

``sobol`` (a Saltelli design)
    first-order (S1) and total (ST) Sobol indices (``SALib.analyze.sobol``).
``morris`` (Morris trajectories)
    screening: mu (mean elementary effect), mu* (mean absolute effect) and sigma (spread of
    the effects: interactions or non-linearity) per parameter (``SALib.analyze.morris``).
``lhs`` (a Latin hypercube)
    first-order indices by RBD-FAST (``SALib.analyze.rbd_fast``) with :data:`RBD_HARMONICS`
    harmonics.

Every confidence interval is SALib's bootstrap (100 resamples, 95%), reported as a half-width
(``*_conf``).

**Minimum sizes** (:data:`MIN_SIZE`), below which an analysis refuses to run because its
numbers would mislead:

- RBD-FAST sums the first M harmonics of the output's spectrum, reordered along each
  parameter. A spectrum of N points has only N/2 frequencies, so with N <= 2M every parameter
  gets the whole variance: S1 = 1 for all of them, and SALib's bootstrap (on half-samples)
  gives +- 0. That is what a 16-point hypercube with SALib's default M = 10 produced. Its bias
  correction (Tissot & Prieur 2012, as SALib applies it) divides by 1 - 2M/N, which explodes
  as N nears 2M: at 48 points the intervals were about +-1. We use M = 6 and require
  N >= 16 M = 96 points, so the bootstrap's half-samples keep 2M / (N/2) <= 0.25.
- Sobol: at least 64 base samples (a power of two; see :mod:`sim.exec.designs`).
- Morris: at least 10 trajectories.

**Noise.** A point's output is the mean over its replicates, so part of the variance the
indices apportion is replicate noise: :func:`noise_share` estimates it from the spread within
points (the mean over points of ``s_i^2 / r_i`` over the variance of the point means). Noise
adds nothing to a first-order index in expectation but everything to a total one: with pure
noise the Saltelli estimator of ``ST`` is the noise share for every parameter. So
:func:`with_noise` calls an ``S1`` clear only when its interval lies above 0 (a negative
``S1`` beyond its interval is a sign of noise, not of a parameter), an ``ST`` only when its
interval lies above the noise share, a Morris ``mu*`` only when its interval lies above the
``mu*`` that noise alone gives (``2 sigma / (sqrt(pi) delta)``); the others are reported as
"not distinguishable from noise", and the report recommends more replicates (or, for wide
intervals, more points) when noise dominates.

**The effect of a practice.** A design written with ``compare=(key, [A, B])`` runs every point
at both settings with the same seeds. The output of a point is then the mean over seeds of
*(value with B) - (value with A)*, each pair sharing its seed: the practice's effect, paired.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from sim.exec.designs import make_design, parse_ranges
>>> ranges = parse_ranges(["regime.mix=0:1", "openness.internal=0:1"])
>>> X = make_design(ranges, method="sobol", n=256, seed=0)
>>> runs = pd.DataFrame({"design": [f"point_{i:05d}" for i in range(len(X))],
...                      "status": "ok", "y": 4 * X["regime.mix"] + X["openness.internal"]})
>>> meta = {"method": "sobol", "n": 256,
...         "ranges": {k: [lo, hi] for k, (lo, hi, _) in ranges.items()}}
>>> s = sobol_indices(meta, X, runs, "y", seed=1)
>>> s["parameter"].tolist(), bool(s["S1"].iloc[0] > 0.8 > 0.1 > s["S1"].iloc[1])
(['regime.mix', 'openness.internal'], True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "MIN_SIZE",
    "RBD_HARMONICS",
    "NOISE_DOMINATES",
    "NOISE_TARGET",
    "ConstantOutput",
    "check_design",
    "assumptions",
    "point_outputs",
    "paired_differences",
    "same_setting",
    "analyse",
    "sobol_indices",
    "noise_share",
    "with_noise",
    "describe_indices",
    "Request",
    "run",
]

#: Harmonics summed by RBD-FAST (SALib's default is 10; fewer keep small designs honest).
RBD_HARMONICS = 6
#: The smallest design each method accepts: base samples (sobol), trajectories (morris),
#: points (lhs, for RBD-FAST). See the module docstring for why.
MIN_SIZE = {"sobol": 64, "morris": 10, "lhs": 16 * RBD_HARMONICS}
#: Replicate noise dominates when it is at least this share of the variance of point means.
NOISE_DOMINATES = 0.5
#: The noise share the recommended number of replicates aims at.
NOISE_TARGET = 0.1
_SIZE_WORD = {"sobol": "base samples", "morris": "trajectories", "lhs": "points"}
_METHOD_WORD = {
    "sobol": "Sobol indices (Saltelli design)",
    "morris": "Morris elementary effects (screening)",
    "lhs": "RBD-FAST first-order indices (Latin hypercube)",
}


class ConstantOutput(ValueError):
    """The output has one value at every point of the design: there is nothing to apportion."""

    def __init__(self, value: float):
        self.value = value
        super().__init__(
            f"the output is {value:g} at every point of the design: no variance to apportion"
        )


def check_design(meta: Mapping[str, Any]) -> None:
    """Refuse a design too small (or of the wrong shape) for its method.

    >>> check_design({"method": "lhs", "n": 16, "ranges": {"a": [0, 1], "b": [0, 1]}})
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: a Latin hypercube of 16 points is too small for RBD-FAST: it needs at least 96 ...
    """
    method, n = meta["method"], int(meta["n"])
    if method not in MIN_SIZE:
        raise ValueError(f"unknown design method {method!r}: one of {sorted(MIN_SIZE)}")
    if method == "sobol" and n & (n - 1):
        from sim.exec.designs import not_power_of_two

        raise ValueError(not_power_of_two(n))
    need = MIN_SIZE[method]
    if n < need:
        why = {
            "lhs": f"a Latin hypercube of {n} points is too small for RBD-FAST: it needs at "
            f"least {need} (with {RBD_HARMONICS} harmonics, fewer points give S1 = 1 for "
            "every parameter or intervals of +-1)",
            "sobol": f"a Sobol design of {n} base samples is too small: it needs at least "
            f"{need} (fewer give bootstrap intervals wider than the indices)",
            "morris": f"a Morris design of {n} trajectories is too small: it needs at least "
            f"{need} (fewer give too few elementary effects per parameter)",
        }[method]
        raise ValueError(f"{why}; make a design with --n {need} or more")


def assumptions(
    meta: Mapping[str, Any],
    output: str,
    *,
    replicates: int | None = None,
    window: str | None = None,
) -> list[str]:
    """What an analysis assumed, in plain lines (printed and written into its report)."""
    method = meta["method"]
    d = len(meta["ranges"])
    lines = [
        f"method: {_METHOD_WORD[method]}, {meta['n']} {_SIZE_WORD[method]} over {d} "
        f"parameters ({meta.get('points', '?')} points; minimum {MIN_SIZE[method]})",
        "ranges (uniform): "
        + ", ".join(f"{k} {lo}..{hi}" for k, (lo, hi) in meta["ranges"].items()),
        f"output: {output}",
        "confidence intervals: SALib's bootstrap, 100 resamples, 95%",
    ]
    if replicates is not None:
        lines.append(f"replicates per point: {replicates} (their mean is the point's output)")
    if window:
        lines.append(f"each run's value: {window}")
    if method == "lhs":
        lines.append(f"RBD-FAST harmonics: {RBD_HARMONICS}; first-order indices only")
    if method == "morris":
        lines.append(f"grid levels: {meta.get('levels', 4)}; effects per unit of each range")
    return lines


def _point_index(runs: pd.DataFrame) -> np.ndarray:
    if "design" not in runs.columns:
        raise ValueError("runs has no 'design' column: aggregate the sweep of a design")
    return runs["design"].astype(str).str.rsplit("_", n=1).str[-1].astype(int).to_numpy()


def same_setting(column: pd.Series, value: str) -> np.ndarray:
    """Rows of ``column`` (a swept key as aggregated: bool, number or text) equal to the
    override text ``value``.

    >>> same_setting(pd.Series([0.0, 0.6, 0.6]), "0.6").tolist()
    [False, True, True]
    >>> same_setting(pd.Series([True, False]), "false").tolist()
    [False, True]
    """
    text = str(value).strip().lower()
    if pd.api.types.is_bool_dtype(column):
        return (column.astype(bool) == (text == "true")).to_numpy()
    if pd.api.types.is_numeric_dtype(column):
        try:
            return np.isclose(column.to_numpy(dtype=float), float(text))
        except ValueError:
            return np.zeros(len(column), dtype=bool)
    return (column.astype(str).str.lower() == text).to_numpy()


def paired_differences(
    runs: pd.DataFrame, metric: str, key: str, settings: Sequence[str]
) -> pd.DataFrame:
    """Per design point and seed: the metric at the second setting minus at the first.

    Pairs are matched on (point, seed): the same organization and random stream, only the
    practice differs. Returns columns point, seed, a, b, diff.
    """
    column = key.lstrip("+")
    if column not in runs.columns:
        raise ValueError(
            f"runs has no column {column!r}: was the design run with --compare {key}=...?"
        )
    if metric not in runs.columns:
        raise ValueError(f"unknown metric {metric!r}")
    ok = runs[runs["status"] == "ok"].copy()
    ok["point"] = _point_index(ok)
    parts = []
    for name, value in zip(("a", "b"), settings, strict=True):
        side = ok[same_setting(ok[column], value)]
        parts.append(side.groupby(["point", "seed"])[metric].mean().rename(name))
    both = pd.concat(parts, axis=1, join="inner").reset_index()
    both["diff"] = both["b"] - both["a"]
    return both


def replicate_values(
    runs: pd.DataFrame, metric: str, *, compare: Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """One row per replicate of every point: ``point`` and ``value``, the metric or (with
    ``compare``) the paired difference B - A of its seed."""
    if compare:
        diffs = paired_differences(runs, metric, compare["key"], compare["values"])
        return pd.DataFrame({"point": diffs["point"], "value": diffs["diff"]})
    if metric not in runs.columns:
        raise ValueError(f"unknown metric {metric!r}")
    ok = runs[runs["status"] == "ok"]
    return pd.DataFrame({"point": _point_index(ok), "value": ok[metric].to_numpy(dtype=float)})


def point_outputs(
    runs: pd.DataFrame, metric: str, n_points: int, *, compare: Mapping[str, Any] | None = None
) -> np.ndarray:
    """One output per design point, in point order: the mean over its replicates of
    ``metric``, or (with ``compare`` = ``{"key": ..., "values": [A, B]}``) of the paired
    difference B - A.

    Raises
    ------
    ValueError
        If a point has no ok result (failed or missing jobs, or no complete pair): the indices
        would be wrong.
    """
    values = replicate_values(runs, metric, compare=compare)
    y = values.groupby("point")["value"].mean().reindex(range(n_points))
    bad = np.flatnonzero(~np.isfinite(y.to_numpy(dtype=float)))
    if bad.size:
        raise ValueError(
            f"{bad.size} of {n_points} design points have no ok result for {metric} "
            f"(first: {bad[:10].tolist()}); re-run the sweep (it resumes) before the analysis"
        )
    return y.to_numpy(dtype=float)


def noise_share(
    runs: pd.DataFrame, metric: str, *, compare: Mapping[str, Any] | None = None
) -> dict[str, float]:
    """How much of the variance of the point outputs is replicate noise.

    Returns ``share`` (the mean over points of ``s_i^2 / r_i``, the noise variance of a
    point's mean, over the variance of the point means; NaN with one replicate per point),
    ``noise_sd`` (the square root of that noise variance) and ``replicates`` (the fewest
    replicates of a point).

    >>> runs = pd.DataFrame({"design": ["point_00000"] * 2 + ["point_00001"] * 2,
    ...                      "status": "ok", "y": [0.0, 2.0, 10.0, 12.0]})
    >>> {k: round(v, 3) for k, v in noise_share(runs, "y").items()}
    {'share': 0.02, 'noise_sd': 1.0, 'replicates': 2}
    """
    values = replicate_values(runs, metric, compare=compare).dropna()
    g = values.groupby("point")["value"]
    n = g.count()
    nan = float("nan")
    if not len(n) or n.min() < 2:
        return {"share": nan, "noise_sd": nan, "replicates": int(n.min()) if len(n) else 0}
    noise = float((g.var(ddof=1) / n).mean())
    total = float(g.mean().var(ddof=1))
    share = noise / total if total > 0 else nan
    return {"share": share, "noise_sd": float(np.sqrt(noise)), "replicates": int(n.min())}


def with_noise(
    table: pd.DataFrame, noise: Mapping[str, float], meta: Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """``table`` of indices with the noise it stands on: ``noise_share``, ``replicates`` and,
    per index, whether it is clear of the noise (see the module docstring): ``S1_clear`` and
    ``ST_clear`` (Sobol, RBD-FAST), ``mu_star_noise`` and ``mu_star_clear`` (Morris).

    >>> t = pd.DataFrame({"parameter": ["a", "b"], "S1": [0.5, -0.145], "S1_conf": [0.1, 0.1],
    ...                   "ST": [0.9, 0.45], "ST_conf": [0.1, 0.2]})
    >>> w = with_noise(t, {"share": 0.57, "noise_sd": 0.1, "replicates": 2})
    >>> w["S1_clear"].tolist(), w["ST_clear"].tolist()
    ([True, False], [True, False])
    """
    out = table.copy()
    share = float(noise.get("share", np.nan))
    out["noise_share"] = share
    out["replicates"] = int(noise.get("replicates", 0))
    if "mu_star" in out.columns:
        levels = int((meta or {}).get("levels", 4))
        delta = levels / (2 * (levels - 1))  # SALib's Morris step, in units of each range
        level = 2 * float(noise.get("noise_sd", np.nan)) / (np.sqrt(np.pi) * delta)
        out["mu_star_noise"] = level
        floor = level if np.isfinite(level) else 0.0
        out["mu_star_clear"] = out["mu_star"] - out["mu_star_conf"] > floor
        return out
    out["S1_clear"] = out["S1"] - out["S1_conf"] > 0
    floor = share if np.isfinite(share) else 0.0
    out["ST_clear"] = (out["ST"] - out["ST_conf"] > floor) & np.isfinite(out["ST"])
    return out


def analyse(
    meta: Mapping[str, Any], points: pd.DataFrame, y: np.ndarray, *, seed: int = 0
) -> pd.DataFrame:
    """Indices of the outputs ``y`` (one per point) for the design's method.

    Returns
    -------
    DataFrame
        ``sobol``: parameter, S1, S1_conf, ST, ST_conf. ``lhs``: the same with ST NaN.
        ``morris``: parameter, mu, mu_star, mu_star_conf, sigma. ``*_conf`` are half-widths
        of bootstrap 95% intervals.
    """
    from sim.exec.designs import salib_problem

    check_design(meta)
    ranges = {k: (lo, hi, None) for k, (lo, hi) in meta["ranges"].items()}
    problem = salib_problem(ranges)
    y = np.asarray(y, dtype=float)
    if np.ptp(y) == 0:
        raise ConstantOutput(float(y[0]))
    method = meta["method"]
    if method == "sobol":
        from SALib.analyze import sobol

        # A Generator, not the int: SALib 1.6's sobol.analyze seeds only ``if seed:``, so
        # seed 0 (the default) left the bootstrap intervals unseeded and irreproducible.
        res = sobol.analyze(problem, y, calc_second_order=False, seed=np.random.default_rng(seed))
        return pd.DataFrame(
            {
                "parameter": problem["names"],
                "S1": res["S1"],
                "S1_conf": res["S1_conf"],
                "ST": res["ST"],
                "ST_conf": res["ST_conf"],
            }
        )
    x = points[problem["names"]].to_numpy(dtype=float)
    if method == "morris":
        from SALib.analyze import morris

        res = morris.analyze(problem, x, y, num_levels=int(meta.get("levels", 4)), seed=seed)
        return pd.DataFrame(
            {
                "parameter": problem["names"],
                "mu": res["mu"],
                "mu_star": res["mu_star"],
                "mu_star_conf": res["mu_star_conf"],
                "sigma": res["sigma"],
            }
        )
    from SALib.analyze import rbd_fast

    res = rbd_fast.analyze(problem, x, y, M=RBD_HARMONICS, seed=seed)
    nan = np.full(len(problem["names"]), np.nan)
    return pd.DataFrame(
        {
            "parameter": problem["names"],
            "S1": res["S1"],
            "S1_conf": res["S1_conf"],
            "ST": nan,
            "ST_conf": nan,
        }
    )


def sobol_indices(
    meta: Mapping[str, Any],
    points: pd.DataFrame,
    runs: pd.DataFrame,
    metric: str,
    *,
    seed: int = 0,
    compare: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Sensitivity indices of ``metric`` (or of a practice's paired effect on it) per parameter.

    Parameters
    ----------
    meta, points
        The design's ``design.json`` and ``design.csv`` (:func:`sim.exec.designs.read_design`).
    runs
        The aggregated ``runs.parquet`` of the design's sweep (its metric columns are each
        run's end-of-run window average).
    metric
        A metric name.
    seed
        Seed of the bootstrap that gives the confidence intervals.
    compare
        ``{"key": practice, "values": [A, B]}``: analyse the effect B - A, paired by seed
        (default: the design's own ``compare``, if any; pass ``{}`` for the raw metric).

    Returns
    -------
    DataFrame
        See :func:`analyse`.
    """
    check_design(meta)
    compare = meta.get("compare") if compare is None else compare
    y = point_outputs(runs, metric, len(points), compare=compare or None)
    return analyse(meta, points, y, seed=seed)


def _noise_lines(t: pd.DataFrame, output: str) -> list[str]:
    """What the noise columns of a table (:func:`with_noise`) say, and what to do about it."""
    share, reps = float(t["noise_share"].iloc[0]), int(t["replicates"].iloc[0])
    if reps < 2:
        return [
            f"With one replicate per point the replicate noise of {output} cannot be "
            "measured, so no index can be told from it: run replicates=2 or more."
        ]
    if not np.isfinite(share):
        return []
    out = [
        f"Replicate noise is {min(share, 1):.0%} of the variance of the point outputs "
        f"({reps} replicates per point)."
    ]
    if share >= NOISE_DOMINATES:
        need = int(
            np.ceil(reps * share * (1 - NOISE_TARGET) / (NOISE_TARGET * max(1 - share, 1e-9)))
        )
        more = (
            f"about {need} replicates per point would bring it near {NOISE_TARGET:.0%}"
            if share < 1
            else "more replicates per point are needed before anything can be told"
        )
        out.append(
            f"Noise dominates: these indices mostly apportion replicate noise; "
            f"{more} (replicates=N when running the design)."
        )
    return out


def _unclear(t: pd.DataFrame) -> list[str]:
    """Per parameter not clear of the noise, its numbers in words."""
    if "mu_star_clear" in t.columns:
        return [
            f"{r.parameter} (mu* {r.mu_star:.3g} +- {r.mu_star_conf:.3g} against a noise "
            f"level of {r.mu_star_noise:.3g})"
            for r in t.itertuples()
            if not r.mu_star_clear
        ]
    out = []
    for r in t.itertuples():
        if r.S1_clear or r.ST_clear:
            continue
        words = f"S1 {r.S1:.2f} +- {r.S1_conf:.2f}" + (
            " (below 0 beyond its interval)" if r.S1 + r.S1_conf < 0 else ""
        )
        if np.isfinite(r.ST):
            words += f", ST {r.ST:.2f} +- {r.ST_conf:.2f}"
            if np.isfinite(r.noise_share):
                words += f" against a noise level of {r.noise_share:.2f}"
        out.append(f"{r.parameter} ({words})")
    return out


def describe_indices(table: pd.DataFrame, output: str) -> list[str]:
    """Plain sentences about a table of indices, every number taken from the table.

    With the noise columns of :func:`with_noise`, only indices clear of the replicate noise
    are told as findings; the others are named "not distinguishable from noise", and the
    share of the noise (with advice when it dominates) comes first.

    >>> t = pd.DataFrame({"parameter": ["a", "b"], "S1": [0.7, 0.02], "S1_conf": [0.1, 0.05],
    ...                   "ST": [0.8, 0.03], "ST_conf": [0.1, 0.04]})
    >>> print(describe_indices(t, "trust")[0])  # doctest: +NORMALIZE_WHITESPACE
    a matters most for trust: alone it explains 0.70 of its variance (95% CI 0.60 to 0.80),
    0.80 with its interactions (0.70 to 0.90).
    """
    noisy = "noise_share" in table.columns
    out = _noise_lines(table, output) if noisy else []
    if "mu_star" in table.columns:
        t = table.sort_values("mu_star", ascending=False)
        clear = t[t["mu_star_clear"]] if noisy else t
        if clear.empty:
            out.append(f"No parameter changes {output} beyond the replicate noise.")
        else:
            top = clear.iloc[0]
            lo, hi = top["mu_star"] - top["mu_star_conf"], top["mu_star"] + top["mu_star_conf"]
            out.append(
                f"{top['parameter']} changes {output} the most: moving it across its range "
                f"moves that by {top['mu_star']:.3g} on average (mu*, 95% CI {lo:.3g} to "
                f"{hi:.3g}), {'up' if top['mu'] > 0 else 'down'} on balance (mu "
                f"{top['mu']:.3g})."
            )
            small = t[t["mu_star"] + t["mu_star_conf"] < 0.1 * top["mu_star"]]
            if len(small):
                out.append(
                    "Negligible (mu* below a tenth of the largest, CI included): "
                    + ", ".join(small["parameter"])
                    + "."
                )
        inter = clear[clear["sigma"] > clear["mu_star"]]
        if len(inter):
            out.append(
                "Effects that depend on the other parameters (sigma above mu*): "
                + ", ".join(inter["parameter"])
                + "."
            )
    else:
        out += _first_order_lines(table, output, noisy)
    key = "mu_star" if "mu_star" in table.columns else "S1"
    if noisy and (unclear := _unclear(table.sort_values(key, ascending=False))):
        out.append("Not distinguishable from noise: " + "; ".join(unclear) + ".")
    return out


def _first_order_lines(table: pd.DataFrame, output: str, noisy: bool) -> list[str]:
    """The Sobol and RBD-FAST sentences of :func:`describe_indices`."""
    out = []
    t = table.sort_values("S1", ascending=False)
    clear = t[t["S1_clear"] | t["ST_clear"]] if noisy else t
    if clear.empty:
        return [f"No parameter explains {output} beyond the replicate noise."]
    top = clear.iloc[0]
    lo, hi = top["S1"] - top["S1_conf"], top["S1"] + top["S1_conf"]
    line = (
        f"{top['parameter']} matters most for {output}: alone it explains "
        f"{top['S1']:.2f} of its variance (95% CI {lo:.2f} to {hi:.2f})"
    )
    if np.isfinite(top["ST"]):
        line += (
            f", {top['ST']:.2f} with its interactions ({top['ST'] - top['ST_conf']:.2f} "
            f"to {top['ST'] + top['ST_conf']:.2f})"
        )
    out.append(line + ".")
    wide = t[t["S1_conf"] > 0.25]
    if len(wide):
        out.append(
            "Wide intervals (more than +-0.25) for "
            + ", ".join(wide["parameter"])
            + ": read these indices as rough; a larger design (more points: a larger "
            "--n) narrows them."
        )
    if np.isfinite(t["ST"]).all():
        # Noise raises every ST by about its share: an interaction must clear that too.
        floor = float(t["noise_share"].iloc[0]) if noisy else 0.0
        floor = floor if np.isfinite(floor) else 0.0
        inter = clear[clear["ST"] - clear["ST_conf"] > clear["S1"] + clear["S1_conf"] + floor]
        if len(inter):
            out.append(
                "Clear interactions (ST above S1 beyond their intervals and the noise): "
                + ", ".join(inter["parameter"])
                + "."
            )
    return out


# --------------------------------------------------------------------------- the study


@dataclass
class Request:
    """What ``agora sensitivity`` asks for (:mod:`sim.cli.sensitivity` parses it)."""

    design_dir: str
    sweep_dir: str
    metric: Sequence[str] = ("trust",)
    effect: str | None = None
    raw: bool = False
    map: Sequence[str] | None = None
    bins: int = 4
    out: str | None = None
    seed: int = 0


def _compare_of(args: Request, meta: Mapping[str, Any]) -> dict[str, Any] | None:
    """The practice whose effect is analysed (the design's, ``--effect``, or none with
    ``--raw``); a ValueError names what is wrong with the request."""
    check_design(meta)
    compare = meta.get("compare")
    if args.effect:
        from sim.exec.designs import parse_compare

        key, values = parse_compare(args.effect)
        compare = {"key": key, "values": values}
    if args.raw:
        compare = None
    if args.map and not compare:
        raise ValueError(
            "--map draws a practice's effect: the design has no --compare (pass --effect KEY=A,B)"
        )
    if args.map and not set(args.map) <= set(meta["ranges"]):
        raise ValueError(
            f"--map {' '.join(args.map)}: both must be parameters of the "
            f"design ({', '.join(meta['ranges'])})"
        )
    return compare


def _effect_map(args: Request, metric: str, meta, points, runs, compare, out, words) -> None:
    """The heat map of a practice's paired effect over two of the design's parameters."""
    from sim.studies.discover import effect_cells
    from sim.viz.plots import plot_effect_map, pretty

    assert args.map is not None  # the caller draws a map only when --map is given
    x, y = args.map  # two names: the flag takes nargs=2
    diffs = paired_differences(runs, metric, compare["key"], compare["values"])
    effects = points.copy()
    effects["effect"] = diffs.groupby("point")["diff"].mean().reindex(range(len(points))).to_numpy()
    cells = effect_cells(effects, x, y, meta["ranges"], bins=args.bins)
    cells.to_csv(out / f"map_{metric}.csv", index=False)
    plot_effect_map(
        cells,
        x,
        y,
        out / f"map_{metric}.png",
        title=words[0].upper() + words[1:],
        effect_label=f"effect on {pretty(metric).lower()}",
    )


def _section(
    metric: str, words: str, lines: list[str], table: pd.DataFrame, assumed: list[str], mapped: bool
) -> list[str]:
    """One metric's part of ``report.md``: sentences, figure, table, assumptions."""
    return [
        *([f"![map of {metric}](map_{metric}.png)", ""] if mapped else []),
        f"## {words[0].upper() + words[1:]}",
        "",
        *lines,
        "",
        f"![{metric}](sensitivity_{metric}.png)",
        "",
        "| " + " | ".join(table.columns) + " |",
        "|---|" + "---:|" * (len(table.columns) - 1),
        *(
            "| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in row) + " |"
            for row in table.itertuples(index=False)
        ),
        "",
        "What was assumed:",
        "",
        *(f"- {a}" for a in assumed),
        "",
    ]


def run(args: Request) -> int:
    """``agora sensitivity DESIGN_DIR SWEEP_DIR --metric trust ...``: indices, plots and a
    report; 0 ok, 1 a metric could not be analysed, 2 the design is refused."""
    import json
    import sys
    import time
    from pathlib import Path

    from sim.exec.designs import read_design
    from sim.studies.aggregate import aggregate
    from sim.util.atomic import write_text_atomic
    from sim.viz.plots import plot_morris, plot_sobol_indices

    t0 = time.perf_counter()
    meta, points = read_design(args.design_dir)  # plan: the design that was run
    try:
        compare = _compare_of(args, meta)
    except ValueError as err:
        print(f"sensitivity: {err}", file=sys.stderr)
        return 2
    sweep = Path(args.sweep_dir)
    if not (sweep / "runs.parquet").is_file():  # outcomes: window means per run
        print(aggregate(sweep, plots=False).describe())
    runs = pd.read_parquet(sweep / "runs.parquet")
    out = Path(args.out) if args.out else sweep / "sensitivity"
    out.mkdir(parents=True, exist_ok=True)
    reps = runs[runs["status"] == "ok"].groupby("design")["seed"].nunique()
    window = "its average over the last third of its steps (the end-of-run window)"
    status, said, sections, folded = 0, [], [], []
    for metric in args.metric:  # analysis, one metric at a time
        output = _output_words(compare, metric)
        assumed = assumptions(
            meta, output, replicates=int(reps.min()) if len(reps) else None, window=window
        )
        print(f"sensitivity: {metric}")
        for line in assumed:
            print(f"  assumed: {line}")
        try:
            table = sobol_indices(meta, points, runs, metric, seed=args.seed, compare=compare or {})
        except ConstantOutput as err:  # folded into one line of the report, not an error
            print(f"sensitivity: {metric}: {err}")
            folded.append(f"{output} = {err.value:g}")
            continue
        except ValueError as err:
            print(f"sensitivity: {metric}: {err}", file=sys.stderr)
            status = 1
            continue
        table = with_noise(table, noise_share(runs, metric, compare=compare or None), meta)
        table.to_csv(out / f"sensitivity_{metric}.csv", index=False)
        words = _title_words(compare, metric)
        title = f"{_METHOD_WORD[meta['method']]}: {words}, {meta['points']} points"
        plot = plot_morris if meta["method"] == "morris" else plot_sobol_indices
        plot(table, out / f"sensitivity_{metric}.png", title=title)
        if args.map:
            _effect_map(args, metric, meta, points, runs, compare, out, words)
        lines = describe_indices(table, words)
        said += lines
        print("\n".join(f"  {line}" for line in lines))
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
        sections += _section(metric, words, lines, table, assumed, bool(args.map))
    elapsed = time.perf_counter() - t0  # report
    text = _report_text(meta, said, folded, sections)
    text += [
        f"Design: `{Path(args.design_dir)}` ({json.dumps(meta['ranges'])}); sweep: `{sweep}`.",
        "",
        f"Analysed in {elapsed:.1f} s.",
    ]
    write_text_atomic(out / "report.md", "\n".join(text) + "\n")
    print(f"report: {out / 'report.md'} ({elapsed:.1f} s)")
    return status


def _output_words(compare: Mapping[str, Any] | None, metric: str) -> str:
    """The output analysed, in the assumptions' words: the metric, or the effect on it."""
    if compare:
        return (
            f"the effect of {compare['key']} = {compare['values'][1]} instead of "
            f"{compare['values'][0]} on {metric} (paired by seed)"
        )
    return metric


def _title_words(compare: Mapping[str, Any] | None, metric: str) -> str:
    """The output analysed, in a title's words: the metric's name, or the effect on it."""
    from sim.viz.plots import pretty

    if compare:
        return (
            f"the effect of {compare['key']} {compare['values'][0]} -> "
            f"{compare['values'][1]} on {pretty(metric).lower()}"
        )
    return pretty(metric).lower()


def _report_text(
    meta: Mapping[str, Any], said: list[str], folded: list[str], sections: list[str]
) -> list[str]:
    """The report's heading, its sentences, the folded metrics and each metric's section."""
    return [
        f"# Sensitivity: {_METHOD_WORD[meta['method']]}",
        "",
        *(f"- {s}" for s in said),
        *(
            ["", "The same at every point of the design (folded away): " + "; ".join(folded) + "."]
            if folded
            else []
        ),
        "",
        *sections,
    ]
