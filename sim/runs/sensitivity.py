"""Sensitivity analysis of any metric over a design's ranges, from aggregated results (SALib).

A Sobol design (:func:`sim.runs.designs.make_design` with ``method="sobol"``) gives first-order
(S1) and total (ST) Sobol indices with SALib's ``sobol.analyze``; a Latin hypercube gives
first-order indices by RBD-FAST (``rbd_fast.analyze``), which accepts any space-filling sample.
The output of each design point is the mean over its replicates of the metric's final value,
read from ``runs.parquet`` (the ``design`` column names the point's option, ``point_00012``).

Examples
--------
>>> import numpy as np, pandas as pd
>>> from sim.runs.designs import make_design, parse_ranges
>>> ranges = parse_ranges(["regime.mix=0:1", "openness.internal=0:1"])
>>> X = make_design(ranges, method="sobol", n=256, seed=0)
>>> runs = pd.DataFrame({"design": [f"point_{i:05d}" for i in range(len(X))],
...                      "status": "ok", "y": 4 * X["regime.mix"] + X["openness.internal"]})
>>> meta = {"method": "sobol", "ranges": {k: [lo, hi] for k, (lo, hi, _) in ranges.items()}}
>>> s = sobol_indices(meta, X, runs, "y", seed=1)
>>> s["parameter"].tolist(), bool(s["S1"].iloc[0] > 0.8 > 0.1 > s["S1"].iloc[1])
(['regime.mix', 'openness.internal'], True)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["point_outputs", "sobol_indices"]


def point_outputs(runs: pd.DataFrame, metric: str, n_points: int) -> np.ndarray:
    """Mean final ``metric`` per design point (ok rows), in point order.

    Raises
    ------
    ValueError
        If a point has no ok result (failed or missing jobs): the indices would be wrong.
    """
    if "design" not in runs.columns:
        raise ValueError("runs has no 'design' column: aggregate the sweep of a design")
    if metric not in runs.columns:
        raise ValueError(f"unknown metric {metric!r}")
    ok = runs[runs["status"] == "ok"]
    index = ok["design"].astype(str).str.rsplit("_", n=1).str[-1].astype(int)
    y = ok.groupby(index.to_numpy())[metric].mean().reindex(range(n_points))
    bad = np.flatnonzero(~np.isfinite(y.to_numpy(dtype=float)))
    if bad.size:
        raise ValueError(
            f"{bad.size} of {n_points} design points have no ok result for {metric} "
            f"(first: {bad[:10].tolist()}); re-run the sweep (it resumes) before the analysis"
        )
    return y.to_numpy(dtype=float)


def sobol_indices(
    meta: Mapping[str, Any],
    points: pd.DataFrame,
    runs: pd.DataFrame,
    metric: str,
    *,
    seed: int = 0,
) -> pd.DataFrame:
    """Sensitivity indices of ``metric`` per parameter of the design.

    Parameters
    ----------
    meta, points
        The design's ``design.json`` and ``design.csv`` (:func:`sim.runs.designs.read_design`).
    runs
        The aggregated ``runs.parquet`` of the design's sweep.
    metric
        A metric name (final value).
    seed
        Seed of the bootstrap that gives the confidence intervals.

    Returns
    -------
    DataFrame
        parameter, S1, S1_conf, ST, ST_conf (half-widths of 95% intervals; ST is NaN for a
        Latin hypercube, which gives first-order indices only).
    """
    from sim.runs.designs import salib_problem

    ranges = {k: (lo, hi, None) for k, (lo, hi) in meta["ranges"].items()}
    problem = salib_problem(ranges)
    y = point_outputs(runs, metric, len(points))
    if np.ptp(y) == 0:
        raise ValueError(f"{metric} is constant over the design: no variance to apportion")
    if meta["method"] == "sobol":
        from SALib.analyze import sobol

        res = sobol.analyze(problem, y, calc_second_order=False, seed=seed)
        st, st_conf = res["ST"], res["ST_conf"]
    else:
        from SALib.analyze import rbd_fast

        x = points[problem["names"]].to_numpy(dtype=float)
        res = rbd_fast.analyze(problem, x, y, seed=seed)
        st = st_conf = np.full(len(problem["names"]), np.nan)
    return pd.DataFrame(
        {
            "parameter": problem["names"],
            "S1": res["S1"],
            "S1_conf": res["S1_conf"],
            "ST": st,
            "ST_conf": st_conf,
        }
    )
