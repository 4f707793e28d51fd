"""The main job: broadcast vs hybrid vs conversational on the default organization.

Usage (from the repository root)::

    python experiments/compare.py                         # 20 replicates each, 2 workers
    python experiments/compare.py --out reports/compare --replicates 20 --workers 2
    python experiments/compare.py steps=100 org.size=100  # Hydra overrides for every regime

Runs every replicate of every regime in a process pool (start method ``forkserver`` where
available, else ``spawn``: ``import mesa`` sets a global start method, so it is chosen
explicitly here), with a progress bar. Each regime is one job directory under ``OUT/runs/``
(``metrics.parquet`` + ``summary.json``, exactly as ``experiments/run.py`` would write it), so
re-running resumes: regimes already done are not run again. Then it aggregates ``OUT/runs``
into ``OUT/`` (runs.parquet, timeseries.parquet, summary.csv, ...) and writes ``OUT/report.md``:
final metrics per regime with 95% CIs and the difference conversational minus broadcast with
its Welch 95% CI, and the plots in ``OUT/plots/``.

Exit status: 0 when every regime ran, 1 when a replicate failed (the report says which),
2 for an invalid configuration or an output directory holding other results.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import pandas as pd

from sim.config import ConfigError, load_config, to_config
from sim.runs.jobs import JobConflict
from sim.runs.parallel import PlannedJob, run_jobs
from sim.util.atomic import write_text_atomic

REGIMES = ("broadcast", "hybrid", "conversational")
#: Metrics drawn on the headline figure (all metrics are in plots/over_time.png).
HEADLINE = (
    "knowledge_code",
    "knowledge_individuals",
    "engagement",
    "trust",
    "stakeholder_satisfaction",
    "innovations_bottom_up",
)


def run_regimes(
    out: Path, regimes, overrides, *, replicates: int, seed: int, workers: int, progress: bool
) -> dict[str, dict]:
    """Run every regime's replicates into ``out/runs/<regime>``; return their summaries."""
    jobs = {}
    for regime in regimes:
        job_overrides = [f"regime={regime}", f"replicates={replicates}", f"seed={seed}", *overrides]
        cfg = to_config(load_config(job_overrides))
        jobs[regime] = PlannedJob(cfg, out / "runs" / regime, job_overrides, {"driver": "compare"})
    return run_jobs(jobs, workers=workers, progress=progress)


def _fmt(x: float) -> str:
    return "n/a" if pd.isna(x) else f"{x:.3g}"


def _cell(mean: float, low: float, high: float) -> str:
    return f"{_fmt(mean)} [{_fmt(low)}, {_fmt(high)}]"


def write_report(out: Path, regimes, summaries: dict[str, dict], elapsed: float) -> Path:
    """Aggregate ``out/runs`` into ``out`` and write ``out/report.md`` with its plots."""
    from sim.runs.aggregate import aggregate
    from sim.util.stats import diff_ci
    from sim.viz.plots import plot_final_values, plot_over_time, pretty

    report = aggregate(out / "runs", out, plots=False)
    summary = pd.read_csv(out / "summary.csv")
    runs = pd.read_parquet(out / "runs.parquet")
    bands = pd.read_csv(out / "timeseries_summary.csv")
    metrics = list(dict.fromkeys(summary["metric"]))
    labels = {r: f"regime={r}" for r in regimes}
    conditions = [labels[r] for r in regimes if labels[r] in set(bands["condition"])]
    headline = [m for m in HEADLINE if m in metrics]
    plot_over_time(bands, headline, out / "plots" / "headline.png",
                   title="Broadcast vs conversation: headline metrics", conditions=conditions)
    plot_over_time(bands, metrics, out / "plots" / "over_time.png",
                   title="Broadcast vs conversation: every metric over time", conditions=conditions)
    plot_final_values(summary, metrics, out / "plots" / "final_values.png",
                      title="Broadcast vs conversation: final values")

    ok = runs[runs["status"] == "ok"]
    finals = {r: ok[ok["condition"] == labels[r]] for r in regimes}
    have_diff = "broadcast" in regimes and "conversational" in regimes
    header = ["metric", *regimes] + (["conversational − broadcast"] if have_diff else [])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for m in metrics:
        row = [pretty(m)]
        for r in regimes:
            s = summary[(summary["condition"] == labels[r]) & (summary["metric"] == m)]
            row.append(_cell(*s[["mean", "ci_low", "ci_high"]].iloc[0]) if len(s) else "n/a")
        if have_diff:
            d = diff_ci(finals["conversational"][m], finals["broadcast"][m])
            cell = _cell(d["diff"], d["ci_low"], d["ci_high"])
            excludes_zero = d["ci_low"] > 0 or d["ci_high"] < 0
            row.append(f"**{cell}**" if excludes_zero else cell)
        lines.append("| " + " | ".join(row) + " |")

    any_ok = next((s for s in summaries.values() if s.get("status") == "ok"), {})
    cfg = any_ok.get("config") or {}
    reps = {r: int((finals[r]["replicate"]).nunique()) for r in regimes}
    versions = ", ".join(f"{k} {v}" for k, v in (any_ok.get("versions") or {}).items() if v)
    failed = {r: s.get("error") for r, s in summaries.items() if s.get("status") != "ok"}
    text = [
        "# Broadcast vs conversation: the regime comparison",
        "",
        "The same organization run under three communication regimes: top-down **broadcast** "
        "(\"having\" members and customers), bottom-up **conversational** (\"being\" in "
        "relationship with them), and the **hybrid** halfway between (`regime.mix=0.5`).",
        "",
        f"- Scenario: `{(cfg.get('scenario') or {}).get('name', '?')}`; "
        f"{cfg.get('steps', '?')} steps; organization of "
        f"{(cfg.get('org') or {}).get('size', '?')} people; "
        f"{(cfg.get('stakeholders') or {}).get('count', '?')} stakeholders.",
        f"- Replicates per regime: {', '.join(f'{r} {reps[r]}' for r in regimes)}; seeds spawned "
        f"from root seed {cfg.get('seed', '?')} (the same seeds for every regime, so "
        "replicate *i* of each regime starts from the same random stream).",
        f"- Overrides: `{' '.join(any_ok.get('job', {}).get('overrides', [])[3:]) or 'none'}`; "
        f"git commit `{any_ok.get('git_commit')}`; "
        f"packages: {versions}.",
        f"- Wall time to run and aggregate: {elapsed:.1f} s "
        f"(simulation {sum(s.get('wall_time') or 0 for s in summaries.values()):.1f} s of CPU).",
        "",
        "## Final values",
        "",
        "Mean over replicates of each metric at the last step, with its t-based 95% confidence "
        "interval in brackets. The last column is the difference of means conversational minus "
        "broadcast with a Welch 95% interval; **bold** when the interval excludes zero.",
        "",
        *lines,
        "",
        "## Over time",
        "",
        "Mean over replicates per step; shaded bands are 95% confidence intervals.",
        "",
        "![headline metrics over time](plots/headline.png)",
        "",
        "Every metric: [plots/over_time.png](plots/over_time.png). Final values with error "
        "bars: [plots/final_values.png](plots/final_values.png).",
        "",
        "## Files",
        "",
        "- `runs/<regime>/metrics.parquet`, `runs/<regime>/summary.json`: the three jobs.",
        "- `runs.parquet` (final values per replicate), `timeseries.parquet`, `summary.csv`, "
        "`timeseries_summary.csv`: the aggregated tables (see docs/experiments.md).",
        "",
    ]
    if failed:
        text[2:2] = ["", "**Failed regimes:** " + "; ".join(f"{r}: {e}" for r, e in failed.items()),
                     ""]
    path = write_text_atomic(out / "report.md", "\n".join(text))
    print(report.describe())
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("overrides", nargs="*", help="Hydra overrides applied to every regime")
    parser.add_argument("--out", default="reports/compare", help="report folder")
    parser.add_argument("--replicates", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0, help="root seed of every regime")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--regimes", nargs="+", default=list(REGIMES), choices=REGIMES)
    parser.add_argument("--fresh", action="store_true",
                        help="delete OUT/runs first instead of resuming from it")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    out = Path(args.out)
    if args.fresh and (out / "runs").exists():
        shutil.rmtree(out / "runs")
    try:
        summaries = run_regimes(
            out,
            args.regimes,
            args.overrides,
            replicates=args.replicates,
            seed=args.seed,
            workers=args.workers,
            progress=not args.no_progress,
        )
    except (ConfigError, JobConflict) as err:
        print(f"compare: {err}", file=sys.stderr)
        if isinstance(err, JobConflict):
            print("compare: use another --out, or --fresh to discard the old runs", file=sys.stderr)
        return 2
    path = write_report(out, args.regimes, summaries, time.perf_counter() - t0)
    print(f"report: {path} ({time.perf_counter() - t0:.1f} s)")
    return 0 if all(s.get("status") == "ok" for s in summaries.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
