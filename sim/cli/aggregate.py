"""``agora aggregate``: a sweep's runs.parquet, timeseries.parquet, summary.csv and plots.

Examples::

    agora aggregate multirun/2026-01-31/12-00-00
    agora aggregate SWEEP_DIR --out results/ --metrics knowledge_code trust
    agora aggregate SWEEP_DIR --no-timeseries --strict

Failed and missing jobs are listed (and kept in runs.parquet and jobs.csv) instead of stopping
the aggregation; ``--strict`` makes the exit status 1 when there are any. A progress bar on
stderr counts the jobs read (``--no-progress`` turns it off). See :mod:`sim.studies.aggregate`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from sim.cli.options import add_run_options

__all__ = ["main", "progress_bar"]


def progress_bar(desc: str, enabled: bool = True):
    """A ``(done, total)`` callback drawing a tqdm bar on stderr, and a function to close it.

    >>> step, close = progress_bar("jobs", enabled=False)
    >>> step(1, 2); close()
    """
    if not enabled:
        return (lambda done, total: None), (lambda: None)
    from tqdm import tqdm

    bar: dict[str, tqdm] = {}

    def step(done: int, total: int) -> None:
        if "bar" not in bar:
            bar["bar"] = tqdm(
                total=total, desc=desc, unit="job", file=sys.stderr, mininterval=1.0, leave=False
            )
        bar["bar"].n = done
        bar["bar"].refresh() if done == total else bar["bar"].update(0)

    def close() -> None:
        if "bar" in bar:
            bar["bar"].n = bar["bar"].total
            bar["bar"].close()

    return step, close


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0].split(": ", 1)[1],
        epilog="Example: agora aggregate multirun/DATE/TIME --metrics trust reach",
    )
    parser.add_argument("sweep_dir", help="a Hydra sweep directory (hydra.sweep.dir)")
    add_run_options(parser, "out", "no-progress")
    parser.set_defaults(out=None)
    parser.add_argument(
        "--metrics",
        nargs="+",
        default=None,
        help="metrics to plot (default: up to 12 that vary, headline first)",
    )
    parser.add_argument(
        "--replicate-keys",
        nargs="*",
        default=["seed"],
        help="swept keys that only make replicates, not conditions (default: seed)",
    )
    parser.add_argument(
        "--no-timeseries",
        action="store_true",
        help="do not write timeseries.parquet (the bands are still computed)",
    )
    parser.add_argument("--no-plots", action="store_true", help="do not draw the plots")
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 if any job failed or is missing"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not Path(args.sweep_dir).is_dir():
        print(
            f"aggregate: no such folder: {args.sweep_dir} (the sweep's hydra.sweep.dir)",
            file=sys.stderr,
        )
        return 2
    from sim.studies.aggregate import aggregate

    step, close = progress_bar("aggregate", enabled=not args.no_progress)
    try:
        report = aggregate(
            args.sweep_dir,
            args.out,
            replicate_keys=args.replicate_keys,
            timeseries=not args.no_timeseries,
            plots=not args.no_plots,
            plot_metrics=args.metrics,
            progress=step,
        )
    except FileNotFoundError as err:
        print(f"aggregate: {err}", file=sys.stderr)
        return 2
    finally:
        close()
    print(report.describe())
    return 1 if args.strict and (report.failed or report.missing) else 0
