"""``agora sensitivity``: indices of metrics, or of a practice's paired effect, over a design.

Examples::

    agora sensitivity DESIGN_DIR SWEEP_DIR --metric trust engagement
    agora sensitivity DESIGN_DIR SWEEP_DIR --metric trust --effect regime.responsiveness=0,0.6

DESIGN_DIR is the folder written by ``agora design`` (Sobol, Morris or Latin hypercube: the
method follows the design); SWEEP_DIR the sweep that ran it (aggregated first if it has no
runs.parquet). A design too small for its method is refused with the minimum it needs; a
missing folder is named in one line (status 2, by :func:`sim.cli.main`). Writes, per metric,
``sensitivity_<metric>.csv`` and ``.png``, and ``report.md`` into ``--out`` (default
SWEEP_DIR/sensitivity). The arguments are parsed here only; the study is
:mod:`sim.studies.sensitivity`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sim.cli.options import wants_help

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The command's arguments: the design, its sweep, the metrics and what to draw."""
    parser = argparse.ArgumentParser(
        prog="agora sensitivity",
        description="Sensitivity indices (Sobol, Morris or RBD-FAST, by the design's method) "
        "of metrics, or of a practice's paired effect on them, over a design.",
    )
    parser.add_argument("design_dir", help="the folder agora design wrote")
    parser.add_argument("sweep_dir", help="the sweep that ran it (aggregated if need be)")
    parser.add_argument("--metric", nargs="+", default=["trust"])
    parser.add_argument(
        "--effect",
        default=None,
        metavar="KEY=A,B",
        help="analyse the effect B - A of a practice, paired by seed (default: "
        "the design's --compare, if any)",
    )
    parser.add_argument(
        "--raw",
        action="store_true",
        help="analyse the metric itself even if the design compares a practice",
    )
    parser.add_argument(
        "--map",
        nargs=2,
        metavar=("X", "Y"),
        default=None,
        help="also draw a heat map of the effect (with its 95%% CI) over two "
        "of the design's parameters",
    )
    parser.add_argument("--bins", type=int, default=4, help="cells per axis of the map")
    parser.add_argument("--out", default=None, help="default SWEEP_DIR/sensitivity")
    parser.add_argument("--seed", type=int, default=0, help="seed of the bootstrap CIs")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the analysis; with ``--help``, its help followed by this module's examples."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if wants_help(argv):
        examples = __doc__.split("Examples::", 1)[1].split("\n\n")[1]
        sys.stdout.write(f"{parser.format_help()}\nexamples:\n{examples}\n")
        return 0
    from sim.studies.sensitivity import Request, run

    return run(Request(**vars(parser.parse_intermixed_args(argv))))
