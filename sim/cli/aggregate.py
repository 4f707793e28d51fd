"""Aggregate a sweep directory: runs.parquet, timeseries.parquet, summary.csv and plots.

``agora aggregate`` runs this; ``python experiments/aggregate.py`` too. Usage::

    python experiments/aggregate.py multirun/2026-01-31/12-00-00
    python experiments/aggregate.py SWEEP_DIR --out results/ --metrics knowledge_code trust
    python experiments/aggregate.py SWEEP_DIR --no-timeseries --strict

Failed and missing jobs are listed (and kept in runs.parquet and jobs.csv) instead of stopping
the aggregation; ``--strict`` makes the exit status 1 when there are any. See sim/runs/aggregate.py.
"""

from __future__ import annotations

import argparse
import sys

from sim.runs.aggregate import aggregate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweep_dir", help="a Hydra sweep directory (hydra.sweep.dir)")
    parser.add_argument("--out", default=None, help="output directory (default: SWEEP_DIR)")
    parser.add_argument("--metrics", nargs="+", default=None,
                        help="metrics to plot (default: up to 12 that vary, headline first)")
    parser.add_argument("--replicate-keys", nargs="*", default=["seed"],
                        help="swept keys that only make replicates, not conditions (default: seed)")
    parser.add_argument("--no-timeseries", action="store_true",
                        help="do not write timeseries.parquet (the bands are still computed)")
    parser.add_argument("--no-plots", action="store_true", help="do not draw the plots")
    parser.add_argument("--strict", action="store_true",
                        help="exit 1 if any job failed or is missing")
    args = parser.parse_args(argv)
    try:
        report = aggregate(
            args.sweep_dir,
            args.out,
            replicate_keys=args.replicate_keys,
            timeseries=not args.no_timeseries,
            plots=not args.no_plots,
            plot_metrics=args.metrics,
        )
    except FileNotFoundError as err:
        print(f"aggregate: {err}", file=sys.stderr)
        return 2
    print(report.describe())
    return 1 if args.strict and (report.failed or report.missing) else 0

