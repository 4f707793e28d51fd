"""Figures of aggregated results: metrics over time with 95% bands, end values with error bars,
sensitivity indices, maps of a practice's effect and scenario-discovery boxes.

**One order and one colour per regime, everywhere** (:data:`REGIME_ORDER`,
:data:`REGIME_COLOURS`, :func:`condition_styles`): broadcast, hybrid, conversational, in that
order, in the same colours in every plot of the package (comparisons, sweeps, what-ifs, the
teaching app). A condition whose label names a regime (``regime=hybrid, org.size=60``) takes
that regime's colour, in shades when several conditions share one regime.

**No interval is drawn or claimed where there is none**: with fewer than two replicates the
CI columns are NaN, nothing is shaded and the subtitle says so.

The functions draw on a bare :class:`matplotlib.figure.Figure` with the Agg canvas, never
through ``pyplot``: no global figure state, no GUI backend, safe in worker processes and
notebooks alike. Each returns the path of the PNG it wrote (written to a temporary name and
renamed).

Inputs are the long tables :func:`sim.studies.aggregate.aggregate` writes:
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
from typing import Any

import numpy as np
import pandas as pd

from sim.rules.catalogue import record, short_label
from sim.util.atomic import write_atomic

__all__ = [
    "plot_over_time",
    "plot_final_values",
    "plot_sobol_indices",
    "plot_morris",
    "plot_effect_map",
    "plot_prim_tradeoff",
    "plot_prim_box",
    "pretty",
    "REGIME_ORDER",
    "REGIME_COLOURS",
    "regime_of",
    "order_conditions",
    "condition_styles",
    "has_intervals",
]

#: The regimes in the order every plot and table shows them: one end, between, the other end.
REGIME_ORDER = ("broadcast", "hybrid", "conversational")
#: One colour per regime (Okabe & Ito's colour-blind-safe palette): broadcast vermillion,
#: hybrid reddish purple, conversational blue.
REGIME_COLOURS = {"broadcast": "#d55e00", "hybrid": "#cc79a7", "conversational": "#0072b2"}
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")

#: Above this many conditions the bands are not filled (they would only hide each other).
MAX_BANDS = 6
#: Above this many conditions there is no legend (a colour bar of the order would mislead).
MAX_LEGEND = 20
#: Above this many conditions the dot plot has no row labels (they would be unreadable).
MAX_LABELLED = 30


def pretty(metric: str) -> str:
    """A metric name as an axis label or panel title: the catalogue's short label.

    >>> pretty("knowledge_code"), pretty("silo_ei")
    ("Strategy's fit to reality", 'Silo E-I (-1 inside, +1 across)')
    """
    return short_label(metric)


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


def regime_of(label: str) -> str | None:
    """The regime a condition label names, if any.

    >>> regime_of("regime=hybrid, org.size=60"), regime_of("conversational"), regime_of("x=1")
    ('hybrid', 'conversational', None)
    """
    for part in str(label).replace(";", ",").split(","):
        key, _, value = part.strip().rpartition("=")
        value = value.strip()
        if value in REGIME_COLOURS and (not key or key.split(".")[-1] in ("regime", "name")):
            return value
    return None


def _sort_key(label: str):
    """Conditions sort by regime order, then by their other values (numbers as numbers)."""
    regime = regime_of(label)
    rank = REGIME_ORDER.index(regime) if regime else len(REGIME_ORDER)
    rest = []
    for part in str(label).split(","):
        value = part.rpartition("=")[2].strip()
        try:
            rest.append((0, float(value), ""))
        except ValueError:
            rest.append((1, 0.0, value))
    return (rank, rest)


def order_conditions(labels) -> list[str]:
    """Distinct labels, regimes in :data:`REGIME_ORDER` first, the rest by value.

    >>> order_conditions(["regime=conversational", "regime=broadcast", "regime=hybrid"])
    ['regime=broadcast', 'regime=hybrid', 'regime=conversational']
    >>> order_conditions(["x=10", "x=2"])
    ['x=2', 'x=10']
    """
    return sorted(dict.fromkeys(labels), key=_sort_key)


def condition_styles(labels) -> dict[str, dict]:
    """Colour, marker and line style per condition label (matplotlib keyword arguments).

    Labels that name a regime get its colour (shades from dark to light when several share a
    regime, with distinct markers); other labels get tab10 (viridis past ten).

    >>> s = condition_styles(["regime=broadcast", "regime=conversational"])
    >>> s["regime=broadcast"]["color"], s["regime=conversational"]["color"]
    ('#d55e00', '#0072b2')
    """
    from matplotlib.colors import to_hex, to_rgb

    labels = list(dict.fromkeys(labels))
    regimes = [regime_of(lab) for lab in labels]
    styles: dict[str, dict] = {}
    if any(regimes):
        groups: dict[str | None, list[str]] = {}
        for lab, reg in zip(labels, regimes, strict=True):
            groups.setdefault(reg, []).append(lab)
        others = _colours(len(groups.get(None, [])))
        for reg, members in groups.items():
            for i, lab in enumerate(members):
                if reg is None:
                    colour = to_hex(others[i])
                else:
                    base = np.array(to_rgb(REGIME_COLOURS[reg]))
                    # shades: the regime colour darkened, then itself, then lightened
                    t = 0.0 if len(members) == 1 else -0.45 + 0.9 * i / (len(members) - 1)
                    rgb = base * (1 + t) if t < 0 else base + (1 - base) * t
                    colour = to_hex(tuple(np.clip(rgb, 0, 1)))
                styles[lab] = {
                    "color": colour,
                    "marker": _MARKERS[i % len(_MARKERS)],
                    "linestyle": ("-", "--", ":", "-.")[i % 4],
                }
        return styles
    for lab, colour in zip(labels, _colours(len(labels)), strict=True):
        styles[lab] = {"color": to_hex(colour), "marker": "o", "linestyle": "-"}
    return styles


def has_intervals(frame: pd.DataFrame) -> bool:
    """Whether a table's ci_low / ci_high hold any interval (they are NaN with < 2 replicates)."""
    if "ci_low" not in frame.columns:
        return False
    width = frame["ci_high"].to_numpy(dtype=float) - frame["ci_low"].to_numpy(dtype=float)
    return bool(np.isfinite(width).any())


def _ci_note(frame: pd.DataFrame, shaded: str) -> str:
    if has_intervals(frame):
        return shaded
    return "fewer than two replicates: no confidence interval"


def _colours(n: int) -> list:
    from matplotlib import colormaps

    if n <= 10:  # a qualitative map: an integer picks its i-th colour
        return [colormaps["tab10"](i) for i in range(n)]
    return [colormaps["viridis"](x) for x in np.linspace(0, 0.95, n)]


def save_figure(fig, path: str | os.PathLike, dpi: int = 110, **savefig_kwargs) -> Path:
    """Save a figure atomically (temporary name, then rename), creating the folder.

    Saving lays the figure out; if any numeric tick labels then overlap, they are thinned and
    the figure saved again (:func:`thin_crowded_ticks`), so a saved plot never shows
    "0.53250.53500.5375". An uncrowded figure is drawn once, as before.
    """
    for _ in range(_ROUNDS):
        saved = write_atomic(path, lambda tmp: fig.savefig(tmp, dpi=dpi, **savefig_kwargs))
        if not thin_crowded_ticks(fig):
            break
    return saved


#: The data must fill at least this share of an axis stretched to its metric's origin;
#: otherwise the axis stays cut, and says so (:func:`anchor_axis`).
MIN_DATA_SHARE = 0.5
#: Tick labels closer than this (in points) count as touching.
_TICK_GAP = 2.0
#: At most this many layouts to un-crowd the ticks of one figure.
_ROUNDS = 8


def anchor_axis(ax, metric: str, axis: str = "y") -> bool:
    """Start ``axis`` at the metric's natural origin (its lower bound in the catalogue, 0 for
    shares and counts), unless the data would then fill less than :data:`MIN_DATA_SHARE` of
    it: then the axis stays cut, its edge is drawn dashed and a small "axis cut" says so, so
    that a small difference never looks large unannounced. Returns whether the axis is cut.

    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> _ = ax.plot([0, 1], [0.90, 0.92])
    >>> anchor_axis(ax, "engagement"), bool(ax.get_ylim()[0] > 0.8)
    (True, True)
    >>> _ = ax.plot([0, 1], [0.3, 0.9])
    >>> anchor_axis(ax, "engagement"), float(ax.get_ylim()[0])
    (False, 0.0)
    """
    origin = record(metric).range[0]
    if origin is None:
        return False
    get, put = (ax.get_ylim, ax.set_ylim) if axis == "y" else (ax.get_xlim, ax.set_xlim)
    low, high = get()  # the view autoscaled to every artist, bands and error bars included
    if low <= origin or high <= origin:
        return False
    if (high - low) >= MIN_DATA_SHARE * (high - origin):
        put(origin, high)
        return False
    edge = "bottom" if axis == "y" else "left"
    ax.spines[edge].set_linestyle((0, (4, 2)))
    ax.annotate(
        "axis cut",
        xy=(0, 0),
        xycoords="axes fraction",
        xytext=(2, 2),
        textcoords="offset points",
        fontsize=7,
        color="#777777",
        style="italic",
    )
    return True


def _overlapping(labels, renderer) -> bool:
    boxes = [t.get_window_extent(renderer).expanded(1.0, 1.0) for t in labels]
    pad = _TICK_GAP * renderer.points_to_pixels(1.0)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            if a.x0 - pad < b.x1 and b.x0 - pad < a.x1 and a.y0 < b.y1 and b.y0 < a.y1:
                return True
    return False


def thin_crowded_ticks(fig) -> bool:
    """Ask for fewer ticks on every axis of ``fig`` whose numeric tick labels overlap, as the
    figure was last laid out; return whether any did.

    Ticks placed by hand (category names) are left alone: the plots lay those out
    themselves. Each call asks a crowded axis for two ticks fewer (at least two).
    """
    from matplotlib.ticker import FixedLocator, MaxNLocator

    renderer = fig.canvas.get_renderer()
    crowded = []
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        for axis in (ax.xaxis, ax.yaxis):
            if isinstance(axis.get_major_locator(), FixedLocator):
                continue
            low, high = sorted(axis.get_view_interval())
            shown = [
                t
                for t, v in zip(axis.get_ticklabels(), axis.get_ticklocs(), strict=False)
                if t.get_visible() and t.get_text() and low <= v <= high
            ]
            if len(shown) > 2 and _overlapping(shown, renderer):
                crowded.append((axis, len(shown)))
    for axis, n in crowded:
        axis.set_major_locator(MaxNLocator(nbins=max(n - 2, 2), steps=[1, 2, 2.5, 5, 10]))
    return bool(crowded)


def _legend(fig, handles, labels, title: str | None = None) -> None:
    if 1 < len(labels) <= MAX_LEGEND:
        fig.legend(
            handles,
            labels,
            loc="outside lower center",
            ncols=min(len(labels), 4),
            frameon=False,
            title=title,
        )


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
    conditions = (
        list(conditions) if conditions is not None else order_conditions(bands["condition"])
    )
    fig, axes = figure_grid(len(present))
    styles = condition_styles(conditions)
    shade = has_intervals(bands) and len(conditions) <= MAX_BANDS
    handles = []
    by_metric = {m: g for m, g in bands.groupby("metric", sort=False)}
    for ax, metric in zip(axes, present, strict=True):
        data = by_metric[metric]
        for cond in conditions:
            colour, ls = styles[cond]["color"], styles[cond]["linestyle"]
            d = data[data["condition"] == cond].sort_values("step")
            if d.empty:
                continue
            (line,) = ax.plot(d["step"], d["mean"], color=colour, ls=ls, lw=1.6, label=cond)
            if shade:
                ax.fill_between(d["step"], d["ci_low"], d["ci_high"], color=colour, alpha=0.2, lw=0)
            if ax is axes[0]:
                handles.append(line)
        ax.set_title(pretty(metric), fontsize=10)
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
        ax.margins(x=0)
        anchor_axis(ax, metric)
    note = _ci_note(bands, "shaded: 95% CI" if shade else "95% CI not shaded: too many lines")
    fig.suptitle(f"{title}\n(mean over replicates; {note})", fontsize=12)
    _legend(fig, handles, [h.get_label() for h in handles])
    return save_figure(fig, path)


def plot_final_values(
    summary: pd.DataFrame,
    metrics: Sequence[str],
    path: str | os.PathLike,
    *,
    title: str = "End-of-run values",
    what: str = "mean over replicates of the end-of-run value",
) -> Path:
    """One panel per metric: the mean end value per condition with 95% CI error bars.

    The swept keys are the columns before ``condition``. With one numeric key, conditions are
    placed on its axis and joined by a line; with a regime key and one numeric key, that key
    is the axis and each regime is a line in its colour (legend below); otherwise conditions
    are rows of a dot plot, labels on the y axis where they never overlap, coloured by regime.
    """
    present = [m for m in metrics if m in set(summary["metric"])]
    keys, numeric, mode, lines_by = _final_layout(summary)
    conditions = order_conditions(summary["condition"])
    styles = condition_styles(conditions)
    by_metric = {m: g for m, g in summary.groupby("metric", sort=False)}
    labelled = len(conditions) <= MAX_LABELLED
    if mode == "dots":
        per_row = 0.22 * len(conditions) + 0.8 if labelled else 3.2
        fig, axes = figure_grid(len(present), width=4.4, height=max(2.9, per_row), ncols=3)
    else:
        fig, axes = figure_grid(len(present))
    handles: dict[str, Any] = {}
    for ax, metric in zip(axes, present, strict=True):
        d = by_metric[metric].set_index("condition").reindex(conditions)
        mean = d["mean"].to_numpy(dtype=float)
        err = np.vstack([mean - d["ci_low"].to_numpy(float), d["ci_high"].to_numpy(float) - mean])
        err = np.where(np.isfinite(err), err, 0.0)
        if mode == "line":
            colour = styles[conditions[0]]["color"] if regime_of(conditions[0]) else "#333333"
            _final_line_panel(ax, d[keys[0]].to_numpy(dtype=float), mean, err, colour)
            ax.set_xlabel(keys[0])
        elif mode == "lines":
            assert lines_by is not None
            _final_regime_lines_panel(ax, d, numeric[0], lines_by, mean, err, handles)
        else:
            _final_dots_panel(ax, conditions, styles, mean, err, handles, len(keys), labelled)
        ax.set_title(pretty(metric), fontsize=10)
        anchor_axis(ax, metric, "x" if mode == "dots" else "y")
        if mode != "dots":
            ax.grid(alpha=0.3, axis="y")
    note = _ci_note(summary, "bars: 95% CI")
    fig.suptitle(f"{title}\n({what}; {note})", fontsize=12)
    _final_legend(fig, mode, handles, lines_by, conditions)
    return save_figure(fig, path)


def _final_layout(summary: pd.DataFrame) -> tuple[list, list, str, str | None]:
    """The swept keys, the numeric ones, the plot's mode and the key whose values are lines.

    The mode is ``"line"`` (one numeric key), ``"lines"`` (a regime key and one numeric key)
    or ``"dots"`` (anything else).
    """
    keys = list(summary.columns[: list(summary.columns).index("condition")])
    numeric = [
        k
        for k in keys
        if pd.api.types.is_numeric_dtype(summary[k]) and not pd.api.types.is_bool_dtype(summary[k])
    ]
    regime_keys = [
        k for k in keys if k not in numeric and summary[k].astype(str).isin(REGIME_ORDER).all()
    ]
    lines_by = None
    if len(keys) == 1 and numeric:
        mode = "line"
    elif len(keys) == 2 and len(numeric) == 1 and len(regime_keys) == 1:
        mode, lines_by = "lines", regime_keys[0]
    else:
        mode = "dots"
    return keys, numeric, mode, lines_by


def _final_line_panel(ax, x: np.ndarray, mean: np.ndarray, err: np.ndarray, colour: str) -> None:
    """Conditions placed on their one numeric key, joined by a line."""
    order = np.argsort(x)
    ax.errorbar(
        x[order],
        mean[order],
        yerr=err[:, order],
        fmt="-o",
        ms=4,
        capsize=3,
        color=colour,
    )


def _final_regime_lines_panel(
    ax,
    d: pd.DataFrame,
    axis: str,
    lines_by: str,
    mean: np.ndarray,
    err: np.ndarray,
    handles: dict[str, Any],
) -> None:
    """The numeric key on the x axis, one line per regime in its colour."""
    present_regimes = [r for r in REGIME_ORDER if r in set(d[lines_by].astype(str))]
    xs = d[axis].to_numpy(dtype=float)
    span = float(np.nanmax(xs) - np.nanmin(xs)) or 1.0
    for k, regime in enumerate(present_regimes):
        rows = np.flatnonzero(d[lines_by].astype(str).to_numpy() == regime)
        order = rows[np.argsort(xs[rows])]
        # a small sideways dodge per regime so that error bars do not hide each other
        dodge = (k - (len(present_regimes) - 1) / 2) * 0.012 * span
        h = ax.errorbar(
            xs[order] + dodge,
            mean[order],
            yerr=err[:, order],
            fmt="-o",
            ms=4,
            capsize=3,
            color=REGIME_COLOURS[regime],
            label=regime,
        )
        handles.setdefault(regime, h)
    ax.set_xlabel(axis)


def _final_dots_panel(
    ax,
    conditions: list,
    styles: dict,
    mean: np.ndarray,
    err: np.ndarray,
    handles: dict[str, Any],
    n_keys: int,
    labelled: bool,
) -> None:
    """One row per condition, first on top, labelled on the y axis where they fit."""
    y = np.arange(len(conditions))[::-1]  # first condition on top
    for i, cond in enumerate(conditions):
        st = styles[cond]
        h = ax.errorbar(
            mean[i],
            y[i],
            xerr=err[:, i : i + 1],
            fmt=st["marker"],
            ms=5,
            capsize=3,
            color=st["color"],
            label=cond,
        )
        handles.setdefault(cond, h)
    if labelled:
        ax.set_yticks(
            y,
            [c if n_keys != 1 else c.split("=", 1)[-1] for c in conditions],
            fontsize=8,
        )
    else:  # a label per row would be unreadable: summary.csv has them
        ax.set_yticks([])
        ax.set_ylabel(f"{len(conditions)} conditions (see summary.csv)", fontsize=8)
    ax.set_ylim(-0.7, len(conditions) - 0.3)
    ax.grid(alpha=0.3, axis="x")


def _final_legend(
    fig, mode: str, handles: dict[str, Any], lines_by: str | None, conditions: list
) -> None:
    """The regimes' legend below the panels, where lines or dots are coloured by regime."""
    if mode == "lines":
        _legend(fig, list(handles.values()), list(handles), title=lines_by)
    elif mode == "dots" and any(regime_of(c) for c in conditions):
        legend_regimes = [r for r in REGIME_ORDER if any(regime_of(c) == r for c in conditions)]
        from matplotlib.lines import Line2D

        _legend(
            fig,
            [Line2D([], [], color=REGIME_COLOURS[r], marker="o", ls="") for r in legend_regimes],
            legend_regimes,
            title="regime",
        )


def _wrapped(title: str, width: int = 60) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(title, width)) or title


def _noise_of(indices: pd.DataFrame, column: str) -> float | None:
    """The noise level a table of indices carries (:func:`sim.studies.sensitivity.with_noise`)."""
    if column not in indices.columns:
        return None
    value = float(indices[column].iloc[0])
    return value if np.isfinite(value) else None


def plot_sobol_indices(
    indices: pd.DataFrame, path: str | os.PathLike, *, title: str = "Sobol indices"
) -> Path:
    """Grouped bars of first-order (S1) and total (ST) Sobol indices per parameter, with CIs.

    ``indices`` has columns parameter, S1, S1_conf, ST, ST_conf (the confidence columns are
    half-widths of bootstrap 95% intervals, as SALib reports them). The title wraps to fit.
    """
    fig, (ax,) = figure_grid(1, width=max(6.0, 1.3 * len(indices) + 2.5), height=4.2, ncols=1)
    x = np.arange(len(indices))
    has_total = bool(indices["ST"].notna().any())  # a Latin hypercube gives S1 only
    w = 0.38 if has_total else 0.6
    ax.bar(
        x - (w / 2 if has_total else 0),
        indices["S1"],
        w,
        yerr=indices["S1_conf"],
        capsize=3,
        color="#56B4E9",
        label="first order (S1)",
    )
    if has_total:
        ax.bar(
            x + w / 2,
            indices["ST"],
            w,
            yerr=indices["ST_conf"],
            capsize=3,
            color="#E69F00",
            label="total (ST)",
        )
    ax.set_xticks(
        x,
        list(indices["parameter"]),
        rotation=20 if len(indices) > 3 else 0,
        ha="right" if len(indices) > 3 else "center",
    )
    ax.set_ylabel("share of output variance")
    ax.axhline(0, color="black", lw=0.8)
    share = _noise_of(indices, "noise_share")
    if share is not None:  # every ST stands on it: an ST below the line is noise
        ax.axhline(
            share,
            color="#CC79A7",
            lw=1.2,
            ls="--",
            label=f"replicate noise ({min(share, 1):.0%} of the variance)",
        )
    ax.grid(alpha=0.3, axis="y")
    ax.legend(frameon=False)
    fig.suptitle(_wrapped(title) + "\n(bars: bootstrap 95% CI)", fontsize=11)
    return save_figure(fig, path)


def plot_morris(
    indices: pd.DataFrame, path: str | os.PathLike, *, title: str = "Morris screening"
) -> Path:
    """Morris screening: mu* (bars with bootstrap 95% CI) and mu* against sigma.

    Parameters far from the origin matter; above the diagonal (sigma > mu*) their effect
    depends on the other parameters (interactions or non-linearity).
    """
    fig, (ax, ax2) = figure_grid(2, width=5.0, height=4.0, ncols=2)
    t = indices.sort_values("mu_star")
    y = np.arange(len(t))
    ax.barh(y, t["mu_star"], xerr=t["mu_star_conf"], capsize=3, color="#56B4E9")
    ax.set_yticks(y, list(t["parameter"]), fontsize=8)
    ax.set_xlabel("mu* (mean absolute elementary effect)")
    level = _noise_of(indices, "mu_star_noise")
    if level is not None:
        ax.axvline(level, color="#CC79A7", lw=1.2, ls="--", label="mu* of replicate noise")
        ax.legend(frameon=False, fontsize=8)
    ax.grid(alpha=0.3, axis="x")
    ax2.scatter(indices["mu_star"], indices["sigma"], color="#0072B2")
    for _, r in indices.iterrows():
        ax2.annotate(
            r["parameter"],
            (r["mu_star"], r["sigma"]),
            fontsize=7,
            xytext=(3, 3),
            textcoords="offset points",
        )
    top = float(max(indices["mu_star"].max(), indices["sigma"].max(), 1e-12)) * 1.1
    ax2.plot([0, top], [0, top], color="grey", lw=0.8, ls="--", label="sigma = mu*")
    ax2.set_xlim(0, top)
    ax2.set_ylim(0, top)
    ax2.set_xlabel("mu*")
    ax2.set_ylabel("sigma (spread of effects)")
    ax2.legend(frameon=False, fontsize=8)
    ax2.grid(alpha=0.3)
    fig.suptitle(_wrapped(title, 80) + "\n(bars: bootstrap 95% CI)", fontsize=11)
    return save_figure(fig, path)


def plot_effect_map(
    cells: pd.DataFrame,
    x: str,
    y: str,
    path: str | os.PathLike,
    *,
    title: str,
    effect_label: str = "effect",
) -> Path:
    """A heat map of a practice's effect over two parameters, each cell with its 95% CI.

    ``cells`` has one row per cell: ``x_lo``, ``x_hi``, ``y_lo``, ``y_hi``, ``mean``,
    ``ci_low``, ``ci_high``, ``n``. The colour is the mean effect (diverging, centred on 0);
    each cell prints the mean and its interval, in bold where the interval excludes 0, and
    empty cells are grey.
    """
    from matplotlib.colors import TwoSlopeNorm

    xs = np.unique(cells[["x_lo", "x_hi"]].to_numpy().ravel())
    ys = np.unique(cells[["y_lo", "y_hi"]].to_numpy().ravel())
    grid = np.full((len(ys) - 1, len(xs) - 1), np.nan)
    ix = np.searchsorted(xs, cells["x_lo"].to_numpy()).clip(0, len(xs) - 2)
    iy = np.searchsorted(ys, cells["y_lo"].to_numpy()).clip(0, len(ys) - 2)
    grid[iy, ix] = cells["mean"].to_numpy(dtype=float)
    fig, (ax,) = figure_grid(1, width=6.8, height=5.2, ncols=1)
    finite = grid[np.isfinite(grid)]
    lim = float(np.max(np.abs(finite))) if finite.size else 1.0
    lim = lim or 1.0
    mesh = ax.pcolormesh(
        xs,
        ys,
        np.ma.masked_invalid(grid),
        cmap="RdBu",
        norm=TwoSlopeNorm(0.0, -lim, lim),
        shading="flat",
    )
    ax.set_facecolor("#dddddd")
    fig.colorbar(mesh, ax=ax, label=effect_label)
    for r in cells.itertuples():
        if not np.isfinite(r.mean):
            continue
        clear = np.isfinite(r.ci_low) and (r.ci_low > 0 or r.ci_high < 0)
        ci = f"\n[{r.ci_low:.2g}, {r.ci_high:.2g}]" if np.isfinite(r.ci_low) else "\n(no CI)"
        ax.text(
            (r.x_lo + r.x_hi) / 2,
            (r.y_lo + r.y_hi) / 2,
            f"{r.mean:.2g}{ci}",
            ha="center",
            va="center",
            fontsize=7,
            color="white" if abs(r.mean) > 0.6 * lim else "black",  # legible on dark
            fontweight="bold" if clear else "normal",
        )
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    fig.suptitle(
        _wrapped(title, 70) + "\n(cell: mean effect [95% CI], bold when the CI "
        "excludes 0; grey: no runs)",
        fontsize=10,
    )
    return save_figure(fig, path)


def plot_prim_tradeoff(
    trajectory: pd.DataFrame, chosen: int, path: str | os.PathLike, *, title: str
) -> Path:
    """PRIM's peeling trajectory: density against coverage, coloured by the number of
    restricted parameters, the chosen box circled.

    ``trajectory`` has columns coverage, density and ``res dim`` (one row per box).
    """
    from matplotlib import colormaps

    fig, (ax,) = figure_grid(1, width=6.2, height=4.6, ncols=1)
    dims = trajectory["res dim"].to_numpy(dtype=int)
    levels = sorted(set(dims))
    cmap = colormaps["viridis"]
    for k, level in enumerate(levels):
        m = dims == level
        ax.scatter(
            trajectory["coverage"][m],
            trajectory["density"][m],
            s=18,
            color=cmap(k / max(len(levels) - 1, 1)),
            label=f"{level} parameter{'s' if level != 1 else ''} restricted",
        )
    ax.plot(trajectory["coverage"], trajectory["density"], color="grey", lw=0.6, zorder=0)
    c = trajectory.iloc[chosen]
    ax.scatter(
        [c["coverage"]],
        [c["density"]],
        s=150,
        facecolors="none",
        edgecolors="black",
        lw=1.5,
        label=f"chosen box (coverage {c['coverage']:.2f}, density {c['density']:.2f})",
    )
    ax.set_xlabel("coverage (share of all cases of interest inside the box)")
    ax.set_ylabel("density (share of the box that are cases)")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize=8, loc="lower left")
    fig.suptitle(_wrapped(title, 70) + "\n(PRIM peeling trajectory)", fontsize=11)
    return save_figure(fig, path)


def plot_prim_box(
    limits: pd.DataFrame, ranges: dict, path: str | os.PathLike, *, title: str
) -> Path:
    """The chosen box: each restricted parameter's interval drawn inside its full range.

    ``limits`` has columns parameter, min, max (and optionally qp, the quasi-p value);
    ``ranges`` maps every parameter to its (low, high) over the design.
    """
    fig, (ax,) = figure_grid(1, width=6.8, height=0.55 * max(len(limits), 1) + 1.8, ncols=1)
    for i, r in enumerate(limits.itertuples()):
        lo, hi = ranges[r.parameter][:2]
        span = (hi - lo) or 1.0
        a, b = (r.min - lo) / span, (r.max - lo) / span
        ax.plot([0, 1], [i, i], color="#cccccc", lw=8, solid_capstyle="butt")
        ax.plot([a, b], [i, i], color="#0072B2", lw=8, solid_capstyle="butt")
        # the y axis is inverted (first parameter on top): negative offsets sit above the bar
        ax.text(a, i - 0.22, f"{r.min:.3g}", ha="center", va="bottom", fontsize=8)
        ax.text(b, i - 0.22, f"{r.max:.3g}", ha="center", va="bottom", fontsize=8)
        ax.text(
            1.02,
            i,
            f"{lo:.3g} to {hi:.3g}" + (f"  (qp {r.qp:.1g})" if hasattr(r, "qp") else ""),
            va="center",
            fontsize=7,
            color="#555555",
        )
    ax.set_yticks(range(len(limits)), list(limits["parameter"]), fontsize=9)
    ax.set_ylim(-0.7, len(limits) - 0.2)
    ax.set_xlim(-0.02, 1.35)
    ax.set_xticks([0, 0.5, 1], ["low end", "middle", "high end"])
    ax.invert_yaxis()
    fig.suptitle(_wrapped(title, 70) + "\n(blue: the box, grey: the range explored)", fontsize=11)
    return save_figure(fig, path)
