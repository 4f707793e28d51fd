"""``agora discover``: where a practice pays off (:mod:`sim.studies.discover`), with the shared
run flags.

Examples::

    agora discover --compare regime.responsiveness=0,0.6 --outcome trust \\
        environment.turbulence=0:0.1 org.attention=5:40 --n 128 --replicates 3 --steps 150

``key=low:high`` arguments are the conditions explored (a Latin hypercube), other
``key=value`` arguments Hydra overrides for every run; flags and overrides in any order. The
study lives in :mod:`sim.studies.discover`; its arguments are parsed here only, with the
run-shaping flags (``--replicates``, ``--steps``) spelled as every command spells them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sim.cli.options import add_run_options, flags_to_overrides, wants_help

__all__ = ["build_parser", "main"]

AS_OVERRIDES = ("replicates", "steps")


def study_parser() -> argparse.ArgumentParser:
    """The study's own flags (the shared run flags are added by :func:`build_parser`)."""
    p = argparse.ArgumentParser(
        prog="agora discover",
        description="Where does a practice pay off? PRIM over a Latin hypercube, each "
        "condition run at two settings of the practice with the same seeds.",
        epilog="Arguments key=low:high are ranges to explore; other key=value arguments are "
        "Hydra overrides for every run (steps=200, scenario=default ...). Flags and "
        "overrides go in any order. Example: agora discover --compare "
        "regime.responsiveness=0,0.6 --outcome trust environment.turbulence=0:0.1 "
        "org.attention=5:40 --n 128 replicates=3 steps=150",
    )
    p.add_argument("args", nargs="*", metavar="key=low:high | key=value")
    p.add_argument(
        "--compare",
        required=True,
        metavar="KEY=A,B",
        help="the practice and its two settings; the effect is B minus A",
    )
    p.add_argument("--outcome", default="trust", help="the metric to improve (default trust)")
    p.add_argument(
        "--lower-is-better",
        action="store_true",
        help="a case is an effect below -threshold (overload, filtered ...)",
    )
    p.add_argument(
        "--threshold",
        type=float,
        default=0.0,
        help="smallest effect that counts as an improvement (default 0)",
    )
    p.add_argument("--n", type=int, default=128, help="conditions (Latin hypercube points)")
    p.add_argument("--seed", type=int, default=0, help="seed of the design")
    p.add_argument("--min-coverage", type=float, default=0.8)
    p.add_argument(
        "--boxes",
        type=int,
        default=1,
        help="look for up to this many boxes, each among the points the earlier "
        "ones left (default 1)",
    )
    p.add_argument(
        "--map",
        nargs=2,
        metavar=("X", "Y"),
        default=None,
        help="the two parameters of the heat map (default: the box's first two)",
    )
    p.add_argument("--bins", type=int, default=4, help="cells per axis of the heat map")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--out", default=None, help="default reports/discover/<practice>__<outcome>")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--no-plots", action="store_true")
    return p


def build_parser() -> argparse.ArgumentParser:
    """The study's parser with every shared run flag."""
    parser = study_parser()
    add_run_options(parser, "replicates", "steps", "out", "workers", "no-progress")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run, analyse and report; the study's exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if wants_help(argv):
        build_parser().print_help()
        return 0
    from sim.studies.discover import Request, run

    ns = study_parser().parse_intermixed_args(flags_to_overrides(argv, AS_OVERRIDES))
    return run(Request(**vars(ns)))
