"""Figures of the main comparison: effects as dots and whiskers, the regimes over time.

Drawn on bare Agg figures (see :mod:`sim.viz.plots`), written atomically. Regimes always take
their colour from the package's palette (:data:`sim.viz.plots.REGIME_COLOURS`, hybrids at
several mixes in shades of the hybrid colour), so a regime has the same colour in every figure.

Examples
--------
>>> regime_styles(["broadcast", "conversational"])["conversational"]["color"]
'#0072b2'
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from sim.viz.plots import anchor_axis, condition_styles, figure_grid, pretty, save_figure

__all__ = ["regime_styles", "plot_effects", "plot_regimes_over_time", "plot_regime_windows"]

#: Main effects, interactions, and effects that hold by construction.
MAIN_COLOUR = "#1b4f72"
INTERACTION_COLOUR = "#7d6608"
BUILT_COLOUR = "#9a9a9a"


def _condition(label: str) -> str:
    """``hybrid 0.25`` as the condition label the package's palette reads."""
    name, _, mix = label.partition(" ")
    return f"regime={name}" + (f", regime.mix={mix}" if mix else "")


def regime_styles(order: Sequence[str]) -> dict[str, dict]:
    """Colour, marker and line style per regime label (``broadcast``, ``hybrid 0.25``...).

    The package's palette (:func:`sim.viz.plots.condition_styles`): each regime its colour,
    several hybrids in shades of the hybrid colour, ordered by mix.

    >>> s = regime_styles(["broadcast", "hybrid 0.25", "hybrid 0.75", "conversational"])
    >>> from sim.viz.plots import REGIME_COLOURS
    >>> s["broadcast"]["color"] == REGIME_COLOURS["broadcast"].lower()
    True
    >>> s["hybrid 0.25"]["color"] != s["hybrid 0.75"]["color"]
    True
    """
    styles = condition_styles([_condition(lab) for lab in order])
    return {lab: styles[_condition(lab)] for lab in order}


def plot_effects(
    effects: pd.DataFrame,
    metrics: Sequence[str],
    path: str | os.PathLike,
    *,
    marked: Callable[[str, str], object] | None = None,
    title: str = "Effects",
) -> Path:
    """One panel per outcome: every effect as a dot with its 95% interval, zero marked.

    ``effects`` has columns lever, metric, effect, ci_low, ci_high (``effects.csv``). Main
    effects are listed first, then interactions (labels with `` x ``); dots are filled when the
    interval excludes zero; effects for which ``marked(lever, metric)`` is true (those holding
    by construction) are drawn grey.
    """
    from matplotlib.ticker import MaxNLocator

    present = [m for m in metrics if m in set(effects["metric"])]
    levers = list(dict.fromkeys(effects["lever"]))
    fig, axes = figure_grid(len(present), width=4.6, height=0.32 * len(levers) + 1.2, ncols=3)
    y = np.arange(len(levers))[::-1]
    for index, (ax, metric) in enumerate(zip(axes, present, strict=True)):
        rows = effects[effects["metric"] == metric].set_index("lever").reindex(levers)
        effect = rows["effect"].to_numpy(dtype=float)
        low, high = rows["ci_low"].to_numpy(dtype=float), rows["ci_high"].to_numpy(dtype=float)
        kind = np.array(
            [
                "built"
                if marked and marked(lever, metric)
                else ("interaction" if " x " in lever else "main")
                for lever in levers
            ]
        )
        clear = (low > 0) | (high < 0)
        # One errorbar call per style (not per dot): a figure of 15 x 11 dots draws in a blink.
        for name, colour in (
            ("main", MAIN_COLOUR),
            ("interaction", INTERACTION_COLOUR),
            ("built", BUILT_COLOUR),
        ):
            for filled in (True, False):
                pick = (kind == name) & (clear == filled) & np.isfinite(effect)
                if not pick.any():
                    continue
                err = np.nan_to_num(
                    np.vstack([effect[pick] - low[pick], high[pick] - effect[pick]])
                )
                ax.errorbar(
                    effect[pick],
                    y[pick],
                    xerr=err,
                    fmt="o",
                    ms=5,
                    capsize=2.5,
                    color=colour,
                    lw=1.2,
                    mfc=colour if filled else "white",
                )
        ax.axvline(0, color="black", lw=0.8)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5))  # small effects have long tick labels
        ax.set_yticks(y, levers if index % 3 == 0 else [""] * len(levers), fontsize=8)
        ax.set_ylim(-0.7, len(levers) - 0.3)
        ax.set_title(pretty(metric), fontsize=10)
        ax.set_xlabel("effect (conversational-end level − broadcast-end level)", fontsize=8)
        ax.grid(alpha=0.3, axis="x")
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], color=MAIN_COLOUR, marker="o", ls="", label="main effect"),
        Line2D([], [], color=INTERACTION_COLOUR, marker="o", ls="", label="interaction"),
        Line2D([], [], color=BUILT_COLOUR, marker="o", ls="", label="by construction"),
        Line2D([], [], color="black", marker="o", mfc="white", ls="", label="95% CI includes zero"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=4, frameon=False)
    fig.suptitle(f"{title}\n(mean of paired per-seed effects, bars: 95% CI)", fontsize=12)
    return save_figure(fig, path)


def plot_regimes_over_time(
    bands: pd.DataFrame,
    metrics: Sequence[str],
    path: str | os.PathLike,
    *,
    order: Sequence[str],
    window: tuple[int, int] | None = None,
    title: str = "Regimes over time",
) -> Path:
    """One panel per metric: each regime's mean over seeds per step with its 95% band.

    ``bands`` has columns regime, step, metric, mean, ci_low, ci_high. The end-of-run window
    the outcomes are averaged over is shaded.
    """
    present = [m for m in metrics if m in set(bands["metric"])]
    fig, axes = figure_grid(len(present))
    handles = []
    styles = regime_styles(order)
    for ax, metric in zip(axes, present, strict=True):
        data = bands[bands["metric"] == metric]
        if window is not None:
            ax.axvspan(window[0], window[1], color="#eeeeee", lw=0, zorder=0)
        for label in order:
            d = data[data["regime"] == label].sort_values("step")
            if d.empty:
                continue
            colour = styles[label]["color"]
            (line,) = ax.plot(
                d["step"],
                d["mean"],
                color=colour,
                lw=1.5,
                label=label,
                linestyle=styles[label]["linestyle"],
            )
            ax.fill_between(d["step"], d["ci_low"], d["ci_high"], color=colour, alpha=0.2, lw=0)
            if ax is axes[0]:
                handles.append(line)
        ax.set_title(pretty(metric), fontsize=10)
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
        ax.margins(x=0)
        anchor_axis(ax, metric)
    if handles:
        fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False)
    note = (
        "shaded: 95% CI; grey: the window outcomes are averaged over"
        if window
        else "shaded: 95% CI"
    )
    fig.suptitle(f"{title}\n(mean over seeds, {note})", fontsize=12)
    return save_figure(fig, path)


def plot_regime_windows(
    summary: pd.DataFrame,
    metrics: Sequence[str],
    path: str | os.PathLike,
    *,
    order: Sequence[str],
    title: str = "Regimes",
) -> Path:
    """One panel per metric: each regime's window average with its 95% interval.

    ``summary`` has columns regime, metric, mean, ci_low, ci_high.
    """
    present = [m for m in metrics if m in set(summary["metric"])]
    fig, axes = figure_grid(len(present))
    labels = [lab for lab in order if lab in set(summary["regime"])]
    x = np.arange(len(labels))
    styles = regime_styles(labels)
    for ax, metric in zip(axes, present, strict=True):
        d = summary[summary["metric"] == metric].set_index("regime").reindex(labels)
        for xi, (label, r) in zip(x, d.iterrows(), strict=True):
            if pd.isna(r["mean"]):
                continue
            ax.errorbar(
                xi,
                r["mean"],
                yerr=[[r["mean"] - r["ci_low"]], [r["ci_high"] - r["mean"]]],
                fmt=styles[label]["marker"],
                ms=6,
                capsize=4,
                color=styles[label]["color"],
            )
        ax.set_xticks(x, labels, rotation=30, ha="right", fontsize=8)
        ax.set_xlim(-0.6, len(labels) - 0.4)
        ax.set_title(pretty(metric), fontsize=10)
        ax.grid(alpha=0.3, axis="y")
        anchor_axis(ax, metric)
    fig.suptitle(f"{title}\n(mean over seeds of the window average, bars: 95% CI)", fontsize=12)
    return save_figure(fig, path)
