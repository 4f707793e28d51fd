"""Figures of aggregated results: metrics over time with 95% bands, final values with error bars.

The functions draw on a bare :class:`matplotlib.figure.Figure` with the Agg canvas, never
through ``pyplot``: no global figure state, no GUI backend, safe in worker processes and
notebooks alike. Each returns the path of the PNG it wrote (written to a temporary name and
renamed).

Inputs are the long tables :func:`sim.runs.aggregate.aggregate` writes:
``timeseries_summary.csv`` (condition, step, metric, mean, ci_low, ci_high) and
``summary.csv`` (swept keys, condition, metric, mean, ci_low, ci_high).

Examples
--------
>>> import tempfile, pandas as pd
>>> bands = pd.DataFrame({"condition": ["a"] * 3, "step": [0, 1, 2], "metric": ["x"] * 3,
...                       "mean": [0.0, 0.5, 1.0], "ci_low": [0.0, 0.3, 0.8],
...                       "ci_high": [0.0, 0.7, 1.2]})
>>> with tempfile.TemporaryDirectory() as d:
...     path = plot_over_time(bands, ["x"], f"{d}/t.png", title="demo")
...     path.stat().st_size > 1000
True
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from sim.util.atomic import write_atomic

__all__ = ["plot_over_time", "plot_final_values", "plot_sobol_indices", "pretty"]

#: Above this many conditions the bands are not filled (they would only hide each other).
MAX_BANDS = 12
#: Above this many conditions there is no legend (a colour bar of the order would mislead).
MAX_LEGEND = 20


def pretty(metric: str) -> str:
    """A metric name as an axis label.

    >>> pretty("knowledge_code"), pretty("silo_ei")
    ('Knowledge code', 'Silo E-I')
    """
    special = {"silo_ei": "Silo E-I", "gini_knowledge": "Gini (knowledge)",
               "gini_access": "Gini (access)", "gini_value": "Gini (value)"}
    return special.get(metric, metric.replace("_", " ").capitalize())


def figure_grid(n_panels: int, width: float = 4.0, height: float = 2.9, ncols: int = 4):
    """A figure (no pyplot, Agg canvas) with ``n_panels`` axes on a grid; spare cells hidden."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if n_panels <= 6:  # two balanced rows read better than a row of four and a stub
        ncols = min(ncols, 3)
    ncols = max(1, min(ncols, n_panels))
    nrows = max(1, math.ceil(n_panels / ncols))
    fig = Figure(figsize=(width * ncols, height * nrows + 0.9), layout="constrained")
    FigureCanvasAgg(fig)
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    return fig, axes[:n_panels]


def _colours(n: int) -> list:
    from matplotlib import colormaps

    if n <= 10:
        return list(colormaps["tab10"].colors[:n])
    return [colormaps["viridis"](x) for x in np.linspace(0, 0.95, n)]


def save_figure(fig, path: str | os.PathLike, dpi: int = 110, **savefig_kwargs) -> Path:
    """Save a figure atomically (temporary name, then rename), creating the folder."""
    return write_atomic(path, lambda tmp: fig.savefig(tmp, dpi=dpi, **savefig_kwargs))


def _legend(fig, handles, labels, title: str | None = None) -> None:
    if 1 < len(labels) <= MAX_LEGEND:
        fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 4),
                   frameon=False, title=title)


def plot_over_time(
    bands: pd.DataFrame,
    metrics: Sequence[str],
    path: str | os.PathLike,
    *,
    title: str = "Metrics over time",
    conditions: Sequence[str] | None = None,
) -> Path:
    """One panel per metric: the mean over replicates per condition, with its 95% CI band.

    Parameters
    ----------
    bands
        Long table with columns condition, step, metric, mean, ci_low, ci_high.
    metrics
        Metrics to draw, one panel each, in this order (absent ones are skipped).
    path
        Where the PNG goes.
    conditions
        Conditions to draw, in legend order (default: their order in ``bands``).
    """
    present = [m for m in metrics if m in set(bands["metric"])]
    conditions = list(conditions) if conditions is not None else list(
        dict.fromkeys(bands["condition"])
    )
    fig, axes = figure_grid(len(present))
    colours = _colours(len(conditions))
    handles = []
    by_metric = {m: g for m, g in bands.groupby("metric", sort=False)}
    for ax, metric in zip(axes, present, strict=True):
        data = by_metric[metric]
        for colour, cond in zip(colours, conditions, strict=True):
            d = data[data["condition"] == cond].sort_values("step")
            if d.empty:
                continue
            (line,) = ax.plot(d["step"], d["mean"], color=colour, lw=1.6, label=cond)
            if len(conditions) <= MAX_BANDS:
                ax.fill_between(d["step"], d["ci_low"], d["ci_high"], color=colour, alpha=0.2,
                                lw=0)
            if ax is axes[0]:
                handles.append(line)
        ax.set_title(pretty(metric), fontsize=10)
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
        ax.margins(x=0)
    fig.suptitle(f"{title}\n(mean over replicates, shaded: 95% CI)", fontsize=12)
    _legend(fig, handles, [h.get_label() for h in handles])
    return save_figure(fig, path)


def plot_final_values(
    summary: pd.DataFrame,
    metrics: Sequence[str],
    path: str | os.PathLike,
    *,
    title: str = "Final values",
) -> Path:
    """One panel per metric: mean final value per condition with 95% CI error bars.

    With exactly one numeric swept key (the columns before ``condition``), conditions are
    placed on that axis and joined by a line; otherwise they are categories.
    """
    present = [m for m in metrics if m in set(summary["metric"])]
    keys = list(summary.columns[: list(summary.columns).index("condition")])
    numeric = len(keys) == 1 and pd.api.types.is_numeric_dtype(summary[keys[0]])
    conditions = list(dict.fromkeys(summary["condition"]))
    fig, axes = figure_grid(len(present))
    colours = _colours(len(conditions))
    by_metric = {m: g for m, g in summary.groupby("metric", sort=False)}
    for ax, metric in zip(axes, present, strict=True):
        d = by_metric[metric].set_index("condition").reindex(conditions)
        mean = d["mean"].to_numpy(dtype=float)
        err = np.vstack([mean - d["ci_low"].to_numpy(float), d["ci_high"].to_numpy(float) - mean])
        err = np.nan_to_num(err)
        if numeric:
            x = d[keys[0]].to_numpy(dtype=float)
            order = np.argsort(x)
            ax.errorbar(x[order], mean[order], yerr=err[:, order], fmt="-o", ms=4, capsize=3,
                        color=colours[0] if len(colours) else None)
            ax.set_xlabel(keys[0])
        else:
            x = np.arange(len(conditions))
            for i, colour in enumerate(colours):
                ax.errorbar(x[i], mean[i], yerr=err[:, i : i + 1], fmt="o", ms=5, capsize=4,
                            color=colour)
            if len(conditions) <= 30:
                labels = [c.split("=", 1)[1] if len(keys) == 1 else c for c in conditions]
                ax.set_xticks(x, labels, rotation=30 if max(map(len, labels)) > 8 else 0,
                              ha="right" if max(map(len, labels)) > 8 else "center", fontsize=8)
            else:
                ax.set_xticks([])
            ax.set_xlim(-0.6, len(conditions) - 0.4)
        ax.set_title(pretty(metric), fontsize=10)
        ax.grid(alpha=0.3, axis="y")
    fig.suptitle(f"{title}\n(mean over replicates of the last step, bars: 95% CI)", fontsize=12)
    return save_figure(fig, path)


def plot_sobol_indices(
    indices: pd.DataFrame, path: str | os.PathLike, *, title: str = "Sobol indices"
) -> Path:
    """Grouped bars of first-order (S1) and total (ST) Sobol indices per parameter, with CIs.

    ``indices`` has columns parameter, S1, S1_conf, ST, ST_conf (the confidence columns are
    half-widths of 95% intervals, as SALib reports them).
    """
    fig, (ax,) = figure_grid(1, width=max(5.0, 1.2 * len(indices) + 2), height=3.8, ncols=1)
    x = np.arange(len(indices))
    has_total = bool(indices["ST"].notna().any())  # a Latin hypercube gives S1 only
    w = 0.38 if has_total else 0.6
    colours = _colours(2)
    ax.bar(x - (w / 2 if has_total else 0), indices["S1"], w, yerr=indices["S1_conf"],
           capsize=3, color=colours[0], label="first order (S1)")
    if has_total:
        ax.bar(x + w / 2, indices["ST"], w, yerr=indices["ST_conf"], capsize=3,
               color=colours[1], label="total (ST)")
    ax.set_xticks(x, list(indices["parameter"]), rotation=20 if len(indices) > 4 else 0)
    ax.set_ylabel("share of output variance")
    ax.axhline(0, color="black", lw=0.8)
    ax.grid(alpha=0.3, axis="y")
    ax.legend(frameon=False)
    ax.set_title(title, fontsize=11)
    return save_figure(fig, path)
