"""Sobol (or RBD-FAST) sensitivity indices of metrics over a design's ranges, with bar plots.

``agora sensitivity`` runs this; ``python experiments/sensitivity.py`` too. Usage::

    python experiments/sensitivity.py DESIGN_DIR SWEEP_DIR --metric knowledge_code trust

DESIGN_DIR is the folder written by experiments/design.py; SWEEP_DIR the sweep that ran it
(aggregated first if it has no runs.parquet). Writes, per metric, ``sensitivity_<metric>.csv``
(parameter, S1, S1_conf, ST, ST_conf) and ``sensitivity_<metric>.png`` into ``--out``
(default SWEEP_DIR/sensitivity). Fails with a clear message when design points are missing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from sim.runs.aggregate import aggregate
from sim.runs.designs import read_design
from sim.runs.sensitivity import sobol_indices
from sim.viz.plots import plot_sobol_indices, pretty


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("design_dir")
    parser.add_argument("sweep_dir")
    parser.add_argument("--metric", nargs="+", default=["knowledge_code"])
    parser.add_argument("--out", default=None)
    parser.add_argument("--seed", type=int, default=0, help="seed of the bootstrap CIs")
    args = parser.parse_args(argv)
    sweep = Path(args.sweep_dir)
    if not (sweep / "runs.parquet").is_file():
        print(aggregate(sweep, plots=False).describe())
    meta, points = read_design(args.design_dir)
    runs = pd.read_parquet(sweep / "runs.parquet")
    out = Path(args.out) if args.out else sweep / "sensitivity"
    out.mkdir(parents=True, exist_ok=True)
    status = 0
    for metric in args.metric:
        try:
            table = sobol_indices(meta, points, runs, metric, seed=args.seed)
        except ValueError as err:
            print(f"sensitivity: {metric}: {err}", file=sys.stderr)
            status = 1
            continue
        table.to_csv(out / f"sensitivity_{metric}.csv", index=False)
        kind = "Sobol indices" if meta["method"] == "sobol" else "RBD-FAST first-order indices"
        plot_sobol_indices(table, out / f"sensitivity_{metric}.png",
                           title=f"{kind} of {pretty(metric)} (final value), "
                                 f"{meta['points']} points")
        print(f"{metric}:\n{table.to_string(index=False, float_format=lambda v: f'{v:.3f}')}")
    return status

