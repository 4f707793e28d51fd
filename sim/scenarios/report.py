"""The what-if report: plain sentences, a table and plots, from the saved what-if tables only.

:func:`write_whatif_report` reads ``whatif.json`` (what was run), ``differences.csv`` and
``timeseries_summary.csv`` (see :mod:`sim.scenarios.whatif`) from a what-if folder and writes
``report.md`` and ``plots/*.png`` next to them. Every number in the report is formatted from
``differences.csv``, so the report can be checked against it and re-written at any time
without running anything.

Sentences follow one pattern a strategist can read: "Engagement ends 0.21 higher with the
intervention (95% CI 0.17 to 0.25)". A difference whose 95% interval includes zero is reported
as "no clear difference". ``silo_ei`` (Krackhardt's E-I index *e* of peer messages) is told as
the cross-unit share of peer messages, ``(e + 1) / 2``; shares are told in percent.

Examples
--------
>>> sentence("engagement", {"diff": 0.2134, "diff_ci_low": 0.17, "diff_ci_high": 0.25,
...                         "baseline_mean": 0.5, "intervention_mean": 0.71})
'Engagement ends 0.21 higher with the intervention (95% CI 0.17 to 0.25).'
>>> import textwrap
>>> s = sentence("silo_ei", {"diff": 0.38, "diff_ci_low": 0.3, "diff_ci_high": 0.46,
...                          "baseline_mean": -0.76, "intervention_mean": -0.38})
>>> print(textwrap.fill(s, 80))
Silos narrow: the cross-unit share of peer messages rises from 12% to 31% (a
rise of 19 points, 95% CI 15 to 23).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sim.rules.catalogue import HEADLINE_SIZE, headline, label, record
from sim.scenarios.levels import levels_section
from sim.scenarios.whatif import BANDS_FILE, DIFFERENCES_FILE, PLAN_FILE, TIMESERIES_FILE
from sim.util.atomic import write_text_atomic
from sim.viz.plots import anchor_axis, figure_grid, has_intervals, pretty, save_figure

__all__ = ["HEADLINE", "sentence", "format_value", "findings", "rank_clear", "write_whatif_report"]

#: Every metric in the catalogue's headline order (the panels of the headline plot are the
#: first six that vary); reports order their own metrics with :func:`headline`.
HEADLINE = headline()
#: At most this many panels in the detailed plots (the table has every metric).
MAX_PANELS = 12
#: At most this many clear differences are written as sentences; the others are counted
#: ("and N more clear differences") and are in the table.
MAX_SENTENCES = 8


def _told_as(metric: str) -> str:
    """How a metric is told: its catalogue kind, cumulative counts as counts, and ``silo``
    for the E-I index (told as the cross-unit share of peer messages)."""
    if metric == "silo_ei":
        return "silo"
    kind = record(metric).kind
    return "count" if kind == "cumulative" else kind


# --------------------------------------------------------------------------- numbers


def format_value(x: float, kind: str = "level", decimals: int | None = None) -> str:
    """A number as the report prints it: levels with 2 decimals (3 when tiny), counts with
    none (1 when below 10), shares and the silo share in percent points with none (1 when
    below 10); ``decimals`` fixes them instead (so the numbers of one sentence match).

    >>> format_value(0.2134), format_value(0.004), format_value(212.4, "count")
    ('0.21', '0.004', '212')
    >>> format_value(0.1234, "share"), format_value(0.034, "share")
    ('12', '3.4')
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if kind in ("share", "silo"):
        x = 100 * x
    a = abs(x)
    if decimals is not None:
        return _unsigned_zero(f"{x:.{decimals}f}")
    if kind == "level":
        return _unsigned_zero(f"{x:.3f}" if 0 < a < 0.01 else f"{x:.2f}")
    return _unsigned_zero(f"{x:.1f}" if a < 10 else f"{x:.0f}")


def _unsigned_zero(text: str) -> str:
    """'-0.000' -> '0.000': a value that rounds to zero has no sign."""
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def _decimals(*values: float) -> int:
    """Decimals for a row of the table: 3 when its largest value is below 10, 1 below 1000."""
    finite = [abs(v) for v in values if v is not None and not math.isnan(v)]
    top = max(finite, default=0.0)
    return 3 if top < 10 else 1 if top < 1000 else 0


def _table_value(x: float, decimals: int | None = None) -> str:
    """A raw metric value as the table prints it (``decimals`` shared by a row)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    decimals = _decimals(x) if decimals is None else decimals
    return _unsigned_zero(f"{x:.{decimals}f}")


def _excludes_zero(row: Mapping[str, Any]) -> bool:
    lo, hi = row["diff_ci_low"], row["diff_ci_high"]
    if any(isinstance(v, float) and math.isnan(v) for v in (lo, hi)):
        return False
    return lo > 0 or hi < 0


def sentence(metric: str, row: Mapping[str, Any]) -> str:
    """One plain sentence about ``metric``'s difference at the end (a row of differences.csv)."""
    words, kind = label(metric), _told_as(metric)
    d, lo, hi = row["diff"], row["diff_ci_low"], row["diff_ci_high"]
    if kind == "silo":  # E-I index e -> cross-unit share (e + 1) / 2; differences halve
        b, t = (row["baseline_mean"] + 1) / 2, (row["intervention_mean"] + 1) / 2
        d, lo, hi = d / 2, lo / 2, hi / 2

    def fmt(x: float) -> str:  # the difference and its interval share their decimals
        if kind == "level":
            return format_value(x, kind)
        scale = 100 if kind in ("share", "silo") else 1
        top = max((abs(v) * scale for v in (d, lo, hi) if not math.isnan(v)), default=0)
        return format_value(x, kind, 1 if top < 10 else 0)

    if kind == "silo":
        if not _excludes_zero(row):
            return (
                f"Silos do not clearly change: the cross-unit share of peer messages ends at "
                f"{format_value(t, kind)}% with the intervention and "
                f"{format_value(b, kind)}% without (difference {fmt(d)} points, "
                f"95% CI {fmt(lo)} to {fmt(hi)})."
            )
        verb, noun = ("narrow", "rises") if d > 0 else ("deepen", "falls")
        mag = (lo, hi) if d > 0 else (-hi, -lo)
        return (
            f"Silos {verb}: the cross-unit share of peer messages {noun} from "
            f"{format_value(b, kind)}% to {format_value(t, kind)}% (a "
            f"{'rise' if d > 0 else 'fall'} of {fmt(abs(d))} points, 95% CI "
            f"{fmt(mag[0])} to {fmt(mag[1])})."
        )
    unit = " points" if kind == "share" else ""
    if not _excludes_zero(row):
        extra = ""
        if kind == "share":
            extra = (
                f"; {format_value(row['intervention_mean'], kind)}% with it, "
                f"{format_value(row['baseline_mean'], kind)}% without"
            )
        return (
            f"{words}: no clear difference at the end (difference {fmt(d)}"
            f"{unit}, 95% CI {fmt(lo)} to {fmt(hi)}{extra})."
        )
    direction = "higher" if d > 0 else "lower"
    mag = (lo, hi) if d > 0 else (-hi, -lo)
    tail = ""
    if kind == "share":
        tail = (
            f": {format_value(row['baseline_mean'], kind)}% without it, "
            f"{format_value(row['intervention_mean'], kind)}% with it"
        )
    return (
        f"{words} ends {fmt(abs(d))}{unit} {direction} with the intervention "
        f"(95% CI {fmt(mag[0])} to {fmt(mag[1])}){tail}."
    )


def constant_rows(table: pd.DataFrame) -> dict[str, float]:
    """Metrics with one value in both arms and every replicate (retention 1, filtered 0 ...):
    metric -> that value. The report folds them into one line."""
    out = {}
    for r in table.to_dict("records"):
        values = [
            r[c]
            for c in (
                "baseline_mean",
                "baseline_ci_low",
                "baseline_ci_high",
                "intervention_mean",
                "intervention_ci_low",
                "intervention_ci_high",
                "before_mean",
            )
        ]
        finite = [v for v in values if not (isinstance(v, float) and math.isnan(v))]
        if (
            finite
            and max(finite) - min(finite) <= 1e-12 * (1 + abs(finite[0]))
            and not math.isnan(r["baseline_mean"])
            and (math.isnan(r["baseline_ci_low"]) or r["diff"] == 0)
        ):
            out[r["metric"]] = float(r["baseline_mean"])
    return out


def rank_clear(rows: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The metrics whose difference is clear, largest first by standardised size whatever its
    sign: ``|diff|`` over the half-width of its 95% interval (a t statistic up to the constant
    quantile), so a loss of knowledge ranks beside a gain in engagement on one scale. Outcomes
    come before the per-step activity counts (messages, ideas: the catalogue's kind
    ``count``), whose intervals are narrow because they count events, so that a precise count
    never pushes a lost outcome out of the sentences.

    >>> rows = {"a": {"diff": 0.1, "diff_ci_low": 0.05, "diff_ci_high": 0.15},
    ...         "b": {"diff": -0.5, "diff_ci_low": -0.6, "diff_ci_high": -0.4},
    ...         "c": {"diff": 0.1, "diff_ci_low": -0.1, "diff_ci_high": 0.3}}
    >>> rank_clear(rows)
    ['b', 'a']
    """

    def size(m: str) -> float:
        r = rows[m]
        half = (r["diff_ci_high"] - r["diff_ci_low"]) / 2
        return abs(r["diff"]) / half if half > 0 else math.inf

    clear = [m for m in rows if _excludes_zero(rows[m])]
    # stable: ties keep headline order
    return sorted(clear, key=lambda m: (record(m).kind == "count", -size(m)))


def findings(table: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Sentences for every clear difference, largest first (:func:`rank_clear`), at most
    :data:`MAX_SENTENCES` of them and then a line "And N more clear differences (see the
    table): " naming each with its direction; and the names of the metrics with no clear
    difference, in headline order (metrics constant everywhere are left to
    :func:`constant_rows`)."""
    flat = constant_rows(table)
    records = {r["metric"]: r for r in table.to_dict("records") if r["metric"] not in flat}
    rows = {m: records[m] for m in headline(records)}
    clear = rank_clear(rows)
    unclear = [m for m in rows if m not in clear and not math.isnan(rows[m]["diff"])]
    said = [sentence(m, rows[m]) for m in clear[:MAX_SENTENCES]]
    rest = clear[MAX_SENTENCES:]
    if rest:  # named, with their direction, so no clear difference goes unsaid
        named = ", ".join(
            f"{pretty(m).lower()} {'higher' if rows[m]['diff'] > 0 else 'lower'}" for m in rest
        )
        said.append(
            f"And {len(rest)} more clear difference{'s' if len(rest) != 1 else ''} "
            f"(see the table): {named}."
        )
    return said, unclear


# --------------------------------------------------------------------------- plots


_COLOURS = {"baseline": "#7f7f7f", "intervention": "#d62728"}


def plot_arms_over_time(
    bands: pd.DataFrame, metrics: Sequence[str], at: int, path: Path, title: str
) -> Path:
    """One panel per metric: each arm's mean with its 95% band, the intervention step marked."""
    present = [m for m in metrics if m in set(bands["metric"])]
    fig, axes = figure_grid(len(present), ncols=3, width=4.2, height=2.8)
    by_metric = dict(tuple(bands.groupby("metric", sort=False)))
    for ax, metric in zip(axes, present, strict=True):
        data = by_metric[metric]
        for arm, colour in _COLOURS.items():
            d = data[data["condition"] == arm].sort_values("step")
            ax.plot(d["step"], d["mean"], color=colour, lw=1.5, label=arm)
            ax.fill_between(d["step"], d["ci_low"], d["ci_high"], color=colour, alpha=0.2, lw=0)
        ax.axvline(at, color="black", ls="--", lw=1)
        ax.set_title(pretty(metric), fontsize=10)
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
        ax.margins(x=0)
        anchor_axis(ax, metric)
    handles, labels = axes[0].get_legend_handles_labels()
    from matplotlib.lines import Line2D

    handles.append(Line2D([], [], color="black", ls="--", lw=1))
    labels.append(f"intervention (step {at})")
    fig.legend(handles, labels, loc="outside lower center", ncols=3, frameon=False)
    note = (
        "shaded: 95% CI"
        if has_intervals(bands)
        else "fewer than two replicates: no confidence interval"
    )
    fig.suptitle(f"{title}\n(mean over replicates; {note})", fontsize=12)
    return save_figure(fig, path)


def plot_end_values(table: pd.DataFrame, path: Path, title: str) -> Path:
    """One panel per metric: each arm's end value with its 95% CI, the difference in the title."""
    rows = [r for r in table.to_dict("records") if not math.isnan(r["baseline_mean"])]
    fig, axes = figure_grid(len(rows), ncols=4, width=3.2, height=1.9)
    for ax, r in zip(axes, rows, strict=True):
        for y, arm in enumerate(("baseline", "intervention")):
            mean = r[f"{arm}_mean"]
            err = [[mean - r[f"{arm}_ci_low"]], [r[f"{arm}_ci_high"] - mean]]
            ax.errorbar([mean], [y], xerr=err, fmt="o", color=_COLOURS[arm], capsize=3)
        ax.set_yticks([0, 1], ["baseline", "intervention"], fontsize=8)
        ax.set_ylim(-0.6, 1.6)
        ax.grid(alpha=0.3, axis="x")
        anchor_axis(ax, r["metric"], "x")
        bold = "bold" if _excludes_zero(r) else "normal"
        k = _decimals(r["diff"], r["diff_ci_low"], r["diff_ci_high"])
        ax.set_title(
            f"{pretty(r['metric'])}\nΔ {_table_value(r['diff'], k)} "
            f"[{_table_value(r['diff_ci_low'], k)}, {_table_value(r['diff_ci_high'], k)}]",
            fontsize=9,
            fontweight=bold,
        )
    fig.suptitle(
        f"{title}\n(end of run, 95% CI; Δ = intervention − baseline, bold when its "
        "95% CI excludes 0)",
        fontsize=11,
    )
    return save_figure(fig, path)


# --------------------------------------------------------------------------- the report


def _key_parameters(cfg: Mapping[str, Any]) -> list[str]:
    """The assumptions a reader needs, in words, from the resolved baseline configuration."""
    org, h, st, op, rg = (
        cfg["org"],
        cfg["hierarchy"],
        cfg["stakeholders"],
        cfg["openness"],
        cfg["regime"],
    )
    env, pop, net = cfg["environment"], cfg["population"], cfg["network"]
    if org.get("chart"):
        people = f"the organization of the org chart `{org['chart']}`"
        if org.get("network"):
            people += f" with the observed network `{org['network']}`"
    else:
        people = (
            f"{org['count']} organization{'s' if org['count'] > 1 else ''} of "
            f"{org['size']} people in {h['depth']} levels"
        )
    lines = [
        f"Who: {people}; {st['count']} stakeholders per organization"
        + (
            f", who leave when satisfaction is below {st['threshold']} (chance "
            f"{st['switching']} per step)"
            if org["count"] > 1
            else ""
        )
        + ".",
        f"Regime: `{rg['name']}` (mix {rg['mix']}): the organization broadcasts in "
        f"{rg['broadcast_rate']:.0%} of steps, members adopt what it says at rate "
        f"{rg['socialization']}, its strategy learns at rate {rg['listening']} from the ideas "
        f"that reach it by `{rg['upward']}`, it answers {rg['responsiveness']:.0%} of the "
        f"ideas it reads, voting is {'on' if rg['voting'] else 'off'}.",
        f"People: each sends an idea up with chance {pop.get('voice', 'n/a')} per step at full "
        f"engagement and replies to a colleague's post with chance {pop.get('reply', 'n/a')}"
        + (
            f"; {op['voice']:.0%} of members can use the direct voice channel"
            if "voice" in op
            else ""
        )
        + ".",
        f"Channels: peer ties inside units {op['peer']}, across units {op['internal']} "
        f"({net['pattern']}, up to {net['cross_unit_degree']} per person), to stakeholders "
        f"{op['external']}"
        + (f", to other organizations {op['inter_org']}" if org["count"] > 1 else "")
        + f"; stakeholders {'can' if op['hear_stakeholders'] else 'cannot'} be heard.",
        f"Hierarchy: messages travel `{h['routing']}`"
        + (
            f" (relayed with chance {h['relay']}, each dimension lost with chance "
            f"{h['distortion']})"
            if h["routing"] == "chain"
            else ""
        )
        + f"; everyone reads at most {pop['attention']} messages a step, the organization "
        f"{org['attention']} ideas.",
        f"Environment: {env['dims']} things that matter; each flips with chance "
        f"{env['turbulence']} per step; staff turnover {pop['turnover']} per step; members "
        f"explore with chance {pop['exploration']} per step.",
    ]
    return lines


#: The numbers of a row of differences.csv that the table prints.
_NUMBER_COLUMNS = (
    "before_mean",
    "baseline_mean",
    "baseline_ci_low",
    "baseline_ci_high",
    "intervention_mean",
    "intervention_ci_low",
    "intervention_ci_high",
    "diff",
    "diff_ci_low",
    "diff_ci_high",
)


def _cumulative(table: pd.DataFrame) -> str:
    """The cumulative metrics of a table, in words ("none" when there are none)."""
    names = [pretty(m).lower() for m in table["metric"] if record(m).kind == "cumulative"]
    return ", ".join(names) or "none here"


def _table(table: pd.DataFrame) -> list[str]:
    first = table.iloc[0]
    before = f"steps {int(first['before_from'])}–{int(first['before_step'])}"
    end = f"steps {int(first['end_from'])}–{int(first['end_step'])}"
    head = [
        "metric",
        f"before ({before})",
        f"baseline, end ({end})",
        f"intervention, end ({end})",
        "difference (95% CI)",
    ]
    lines = ["| " + " | ".join(head) + " |", "|---|---:|---:|---:|---:|"]
    for r in table.to_dict("records"):
        k = _decimals(*(r[c] for c in _NUMBER_COLUMNS))

        def cell(prefix: str, r=r, k=k) -> str:
            mean = r["diff"] if prefix == "diff" else r[f"{prefix}_mean"]
            return (
                f"{_table_value(mean, k)} [{_table_value(r[f'{prefix}_ci_low'], k)}, "
                f"{_table_value(r[f'{prefix}_ci_high'], k)}]"
            )

        diff = cell("diff")
        if _excludes_zero(r):
            diff = f"**{diff}**"
        lines.append(
            f"| {pretty(r['metric'])} | {_table_value(r['before_mean'], k)} | "
            f"{cell('baseline')} | {cell('intervention')} | {diff} |"
        )
    return lines


def _shown(table: pd.DataFrame, varying: pd.DataFrame) -> list[str]:
    """The metrics of the detailed plots: those that vary, headline first, at most
    MAX_PANELS (a 30-panel figure is unreadable and slow to draw; the table has them all)."""
    measured = set(table.loc[table["baseline_mean"].notna(), "metric"])
    return [m for m in headline(varying["metric"]) if m in measured][:MAX_PANELS]


def _draw(out: Path, shown: list[str], varying: pd.DataFrame, at: int, title: str) -> None:
    """The three plots of a what-if report (the first HEADLINE_SIZE panels are the headline)."""
    bands = pd.read_csv(out / BANDS_FILE)
    plot_arms_over_time(bands, shown[:HEADLINE_SIZE], at, out / "plots" / "headline.png", title)
    plot_arms_over_time(
        bands,
        shown,
        at,
        out / "plots" / "over_time.png",
        f"{title}: {len(shown)} metrics that vary",
    )
    plot_end_values(
        varying[varying["metric"].isin(shown)],
        out / "plots" / "end_values.png",
        f"{title}: end of run",
    )


def _details(table: pd.DataFrame, varying: pd.DataFrame, shown: list[str]) -> list[str]:
    """The section "Every metric that varies": how each number was made, and the table."""
    first = table.iloc[0]
    end, end_from, window = int(first["end_step"]), int(first["end_from"]), int(first["window"])
    before_from, before_step = int(first["before_from"]), int(first["before_step"])
    return [
        "## Every metric that varies",
        "",
        f"Each replicate's value is its mean over a window of {window} steps: *before* the "
        f"intervention (steps {before_from}–{before_step}, the same in both arms) and at the "
        f"*end* (steps {end_from}–{end}); cumulative counts ({_cumulative(varying)}) are "
        f"taken at the last step of each window (steps {before_step} and {end}), since a "
        "running total averaged over steps mixes the past into the end. Counts of messages and "
        "ideas are per step. Cells give the mean over replicates with its t-based 95% "
        "confidence interval in brackets, cut to the metric's range (a share stays within 0 "
        "and 1, a count above 0: the true mean is inside, so the cut loses no coverage); the "
        "difference is intervention minus baseline at the end, paired by seed (the mean of "
        "each replicate's difference, with its t-based 95% interval, cut to the range a "
        "difference can take: a share's within -1 and 1), **bold** when it excludes zero.",
        "",
        *_table(varying),
        "",
        f"The {len(shown)} headline metrics that vary, over time: "
        "[plots/over_time.png](plots/over_time.png); their end values with their intervals: "
        "[plots/end_values.png](plots/end_values.png).",
        "",
    ]


def write_whatif_report(
    out: str | os.PathLike, *, elapsed: float | None = None, plots: bool = True
) -> Path:
    """Write ``out/report.md`` and ``out/plots/`` from the what-if tables in ``out``.

    With ``plots=False`` only the text is (re)written; it links to the plots all the same.
    """
    out = Path(out)
    plan = json.loads((out / PLAN_FILE).read_text(encoding="utf-8"))
    table = pd.read_csv(out / DIFFERENCES_FILE)
    sc, iv, cfg = plan["scenario"], plan["intervention"], plan["config"]
    at = int(plan["at"])
    title = f"What if: {iv['name']} in {sc['name']}"
    flat = constant_rows(table)
    varying = table[~table["metric"].isin(list(flat))]
    shown = _shown(table, varying)
    if plots:
        _draw(out, shown, varying, at, title)

    said, unclear = findings(table)
    n_b, n_t = int(table["n_baseline"].max()), int(table["n_intervention"].max())
    text = [
        f"# {title}",
        "",
        *(f"- {s}" for s in said),
        *(
            []
            if said
            else [
                "- No metric ends clearly different: every 95% interval of the "
                "difference includes zero."
            ]
        ),
        "",
        _whatif_design(table, sc["name"], iv["name"], at, n_b, n_t),
        *_whatif_caveats(n_b, n_t, unclear, flat),
        "",
        "![headline metrics over time](plots/headline.png)",
        "",
        *levels_section(table, iv["changes"]),
        *_whatif_situation(sc, iv, cfg),
        *_details(table, varying, shown),
        *_whatif_files(plan),
    ]
    if elapsed is not None:
        text += ["", f"Run and written in {elapsed:.1f} s."]
    return write_text_atomic(out / "report.md", "\n".join(text) + "\n")


def _whatif_design(
    table: pd.DataFrame, scenario: str, name: str, at: int, n_b: int, n_t: int
) -> str:
    """The paragraph that says how the what-if was run and what "at the end" means."""
    first = table.iloc[0]
    end, end_from, window = int(first["end_step"]), int(first["end_from"]), int(first["window"])
    return (
        f"The scenario **{scenario}** was run {n_b} times as it is (the *baseline*) and "
        f"{n_t} times with the intervention **{name}** from step {at} on, {end} steps "
        "each. Both use the same random seeds, so they are the same organization, step for "
        f"step, until step {at}; every difference after it comes from the intervention. "
        f"Values *at the end* are means over the last {window} steps (steps {end_from}–{end})"
        + (", the last third of the run." if window == end - end_from + 1 else ".")
    )


def _whatif_caveats(n_b: int, n_t: int, unclear: list, flat: Mapping) -> list[str]:
    """What the opening cannot call clear: one replicate, unclear metrics, constant ones."""
    text: list[str] = []
    if min(n_b, n_t) < 2:
        text += [
            "",
            "With a single replicate per arm there is no confidence interval: no "
            "difference can be called clear.",
        ]
    if unclear:
        text += [
            "",
            "No clear difference at the end (the 95% interval includes zero): "
            + ", ".join(pretty(m).lower() for m in unclear)
            + ".",
        ]
    if flat:
        text += [
            "",
            "The same in both arms and every replicate (folded away): "
            + ", ".join(f"{pretty(m).lower()} = {_table_value(v)}" for m, v in flat.items())
            + ".",
        ]
    return text


def _whatif_situation(sc: Mapping, iv: Mapping, cfg: Mapping) -> list[str]:
    """The scenario, its key parameters and the intervention's changes, with the caveat."""
    changes = "; ".join(
        f"at step {c['at']}: " + ", ".join(f"`{k}` = `{v}`" for k, v in c["set"].items())
        for c in iv["changes"]
    )
    return [
        "## The situation and its assumptions",
        "",
        sc["description"] or "(the scenario has no description)",
        "",
        *(f"- {line}" for line in _key_parameters(cfg)),
        f"- Steps: {cfg['steps']}; root seed {cfg['seed']}.",
        "",
        f"**The intervention.** {iv['description'] or ''} Changes: {changes}.",
        "",
        "These are results of a model under these assumptions, not a forecast: they say what "
        "the intervention does in this simulated organization, and how sure we are of that "
        "given the randomness of the runs.",
        "",
    ]


def _whatif_files(plan: Mapping) -> list[str]:
    """The report's list of the files beside it."""
    return [
        "## Files",
        "",
        f"- `{DIFFERENCES_FILE}`: the table every number above comes from.",
        f"- `{BANDS_FILE}`: mean and 95% CI per arm, step and metric (the plots).",
        f"- `{TIMESERIES_FILE}`: every replicate's metrics at every step, both arms.",
        f"- `runs/baseline/`, `runs/intervention/`: the two jobs (`metrics.parquet`, "
        f"`summary.json`); re-run one alone with `agora run "
        f"{' '.join(plan['overrides']['intervention'])}`.",
        f"- `{PLAN_FILE}`: what was run.",
    ]
