"""The report of an aggregated sweep: plain sentences first, constant metrics folded away.

:func:`write_sweep_report` writes ``report.md`` next to ``summary.csv``. Every number in it is
formatted from the summary table (:func:`sweep_sentences` is a function of that table alone), so
the report can be re-derived and checked from ``summary.csv`` at any time.

Examples
--------
>>> t = pd.DataFrame({"regime": ["broadcast", "conversational"] * 2,
...                   "condition": ["regime=broadcast", "regime=conversational"] * 2,
...                   "metric": ["trust", "trust", "retention", "retention"],
...                   "mean": [0.42, 0.71, 1.0, 1.0], "sd": [0.02, 0.03, 0.0, 0.0],
...                   "ci_low": [0.40, 0.69, 1.0, 1.0], "ci_high": [0.44, 0.73, 1.0, 1.0],
...                   "n": [5, 5, 5, 5]})
>>> said, constant = sweep_sentences(t)
>>> print(said[0])  # doctest: +NORMALIZE_WHITESPACE
Trust is highest with regime=conversational (0.71, 95% CI 0.69 to 0.73) and lowest with
regime=broadcast (0.42, 95% CI 0.4 to 0.44).
>>> constant
{'retention': 1.0}
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.rules.catalogue import headline, record, short_label
from sim.studies.outcomes import fmt

__all__ = ["HEADLINE", "sweep_sentences", "constant_metrics", "write_sweep_report", "fmt"]

#: The order in which metrics are told when nothing is clear (the catalogue's headline order).
HEADLINE = headline()
#: At most this many sentences about metrics; the rest are counted ("and N more").
MAX_SENTENCES = 8


def _words(metric: str) -> str:
    return short_label(metric)


def constant_metrics(summary: pd.DataFrame) -> dict[str, float]:
    """Metrics with one value in every run of every condition: metric -> that value."""
    out = {}
    for metric, g in summary.groupby("metric", sort=False):
        means = g["mean"].to_numpy(dtype=float)
        sds = g["sd"].fillna(0.0).to_numpy(dtype=float)
        finite = means[np.isfinite(means)]
        if finite.size and np.ptp(finite) <= 1e-12 * (1 + abs(finite[0])) and (sds <= 1e-12).all():
            out[str(metric)] = float(finite[0])
    return out


def _interval(row: Any) -> str:
    if not np.isfinite(row["ci_low"]):
        return f"{fmt(row['mean'])}, no CI"
    return f"{fmt(row['mean'])}, 95% CI {fmt(row['ci_low'])} to {fmt(row['ci_high'])}"


def _spread(g: pd.DataFrame) -> tuple[Any, Any, float]:
    """The highest and lowest condition and their gap over the root sum of squares of their
    interval half-widths (a z-like size; NaN without intervals)."""
    hi, lo = g.loc[g["mean"].idxmax()], g.loc[g["mean"].idxmin()]
    half = math.hypot(*((r["ci_high"] - r["ci_low"]) / 2 for r in (hi, lo)))
    gap = hi["mean"] - lo["mean"]
    z = gap / half if half > 0 else (math.inf if gap > 0 and half == 0 else math.nan)
    return hi, lo, z


def at_the_end(summary: pd.DataFrame) -> pd.DataFrame:
    """``summary`` with cumulative counts (innovations) told by their last step's values
    (``final_mean`` and its interval) instead of their end-of-run window average: a running
    total averaged over steps mixes the past into the end."""
    if "final_mean" not in summary.columns:
        return summary
    out = summary.copy()
    total = out["metric"].map(lambda m: record(m).kind == "cumulative").astype(bool)
    for col in ("mean", "ci_low", "ci_high"):
        out.loc[total, col] = out.loc[total, f"final_{col}"]
    return out


def sweep_sentences(summary: pd.DataFrame) -> tuple[list[str], dict[str, float]]:
    """Sentences on the metrics that vary (highest and lowest condition with their CIs), and the
    metrics folded away as constant.

    Clear differences (the intervals of the highest and lowest condition do not overlap) come
    first, the largest in standard errors first, whatever the metric; then the others in the
    catalogue's headline order. Past :data:`MAX_SENTENCES`, one last line counts what was left
    out, so a reader knows the table holds more.
    """
    constant = constant_metrics(summary)
    summary = at_the_end(summary)
    if summary["condition"].nunique() < 2:
        return [], constant
    clear: list[tuple[float, int, str]] = []  # (-z, order, sentence): the largest z first
    unclear: list[str] = []
    for metric in headline(dict.fromkeys(summary["metric"])):
        g = summary[(summary["metric"] == metric) & np.isfinite(summary["mean"])]
        if metric in constant or len(g) < 2:
            continue
        hi, lo, z = _spread(g)
        line = (
            f"{_words(metric)} is highest with {hi['condition']} ({_interval(hi)}) and "
            f"lowest with {lo['condition']} ({_interval(lo)})"
        )
        if np.isfinite(lo["ci_high"]) and lo["ci_high"] < hi["ci_low"]:
            clear.append((-z, len(clear), line + "."))
        else:
            unclear.append(
                line
                + (
                    "; their intervals overlap: no clear difference."
                    if np.isfinite(lo["ci_high"])
                    else "."
                )
            )
    ranked = [line for *_, line in sorted(clear)] + unclear
    said = ranked[:MAX_SENTENCES]
    left_clear = max(0, len(clear) - MAX_SENTENCES)
    left_other = len(ranked) - len(said) - left_clear
    if left_clear or left_other:
        parts = (
            [f"{left_clear} more clear difference{'s' if left_clear != 1 else ''}"]
            if left_clear
            else []
        ) + (
            [f"{left_other} more metric{'s' if left_other != 1 else ''} without one"]
            if left_other
            else []
        )
        said.append("And " + " and ".join(parts) + " (see the table).")
    return said, constant


def _table(summary: pd.DataFrame, metrics: list[str]) -> list[str]:
    from sim.viz.plots import order_conditions

    conditions = order_conditions(summary["condition"])
    summary = at_the_end(summary)
    lines = ["| metric | " + " | ".join(conditions) + " |", "|---|" + "---:|" * len(conditions)]
    # Only the float columns: a row mixing them with an Arrow-backed count comes back as NA.
    cells = summary.set_index(["metric", "condition"])[["mean", "ci_low", "ci_high"]]
    for m in metrics:
        row = []
        for c in conditions:
            r = cells.loc[(m, c)] if (m, c) in cells.index else None
            if r is None or not np.isfinite(r["mean"]):
                row.append("n/a")
            elif np.isfinite(r["ci_low"]):
                row.append(f"{fmt(r['mean'])} [{fmt(r['ci_low'])}, {fmt(r['ci_high'])}]")
            else:
                row.append(fmt(r["mean"]))
        lines.append(f"| {_words(m)} | " + " | ".join(row) + " |")
    return lines


def write_sweep_report(
    out: str | os.PathLike, report: Any, summary: pd.DataFrame, *, plots: bool = True
) -> Path:
    """Write ``out/report.md`` for an :class:`sim.studies.aggregate.AggregateReport` (or
    ``sweep_report.md`` when ``report.md`` is another tool's report)."""
    from sim.util.atomic import write_text_atomic

    out = Path(out)
    said, constant = sweep_sentences(summary)
    keys = list(summary.columns[: list(summary.columns).index("condition")])
    n_cond = summary["condition"].nunique()
    reps = summary.groupby("condition")["n"].max()
    rep_text = (
        f"{int(reps.min())} replicates per condition"
        if reps.min() == reps.max()
        else f"{int(reps.min())} to {int(reps.max())} replicates per condition"
    )
    what = " x ".join(keys) if keys else "one condition"
    text = [
        f"# Sweep: {what} ({n_cond} condition{'s' if n_cond != 1 else ''})",
        "",
        f"This sweep ran {report.jobs} jobs over {n_cond} conditions of {what}: {report.ok} "
        f"ok, {report.failed} failed, {report.missing} missing; {rep_text}. Each run's value "
        "is its average over the last third of its steps (the end-of-run window), except "
        "cumulative counts (innovations), told by their last step's value; every last "
        "step's value is in summary.csv as final_mean.",
    ]
    if reps.min() < 2:
        text.append(
            "Conditions with a single replicate have no confidence interval: their "
            "CI columns are empty (NaN), and the plots draw none."
        )
    else:
        text.append(
            "Intervals are t-based 95% confidence intervals over replicates, cut to "
            "each metric's range (a share stays within 0 and 1, a count above 0)."
        )
    text += ["", *(f"- {line}" for line in said)]
    if constant:
        text += [
            "",
            "The same in every run (folded away): "
            + ", ".join(f"{_words(m).lower()} = {fmt(v)}" for m, v in constant.items())
            + ".",
        ]
    if plots:
        text += [
            "",
            "![end-of-run values](plots/final_values.png)",
            "",
            "Over time: [plots/over_time.png](plots/over_time.png).",
        ]
    varying = [m for m in dict.fromkeys(summary["metric"]) if m not in constant]
    text += [
        "",
        "## Every metric that varies",
        "",
        "<details><summary>mean [95% CI] per condition</summary>",
        "",
        *_table(summary, varying),
        "",
        "</details>",
    ]
    if report.problems:
        text += ["", "## Problems", "", *(f"- {p}" for p in report.problems[:30])]
    text += [
        "",
        "## Files",
        "",
        "- `summary.csv`: the table every number above comes from.",
        "- `runs.parquet`: one row per job and replicate (end-of-run and final values).",
        "- `timeseries_summary.csv`, `timeseries.parquet`: every step.",
        "- `jobs.csv`: every job's status, error and overrides.",
    ]
    if report.elapsed is not None:
        text += ["", f"Aggregated in {report.elapsed:.1f} s."]
    target = out / "report.md"
    if target.is_file() and not target.read_text(encoding="utf-8").startswith("# Sweep:"):
        # another tool's report lives here (a what-if, a comparison): never overwrite it
        target = out / "sweep_report.md"
    return write_text_atomic(target, "\n".join(text) + "\n")
