"""``agora discover``: where a practice pays off (:mod:`sim.studies.discover`), with the shared
run flags.

Examples::

    agora discover --compare regime.responsiveness=0,0.6 --outcome trust \\
        environment.turbulence=0:0.1 org.attention=5:40 --n 128 --replicates 3 --steps 150

``key=low:high`` arguments are the conditions explored (a Latin hypercube), other
``key=value`` arguments Hydra overrides for every run; flags and overrides in any order. The
study lives in :mod:`sim.studies.discover`; this adds the run-shaping flags it lacks
(``--replicates``, ``--steps``) with the spelling every command shares.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sim.cli.options import add_run_options, flags_to_overrides, wants_help

__all__ = ["build_parser", "main"]

AS_OVERRIDES = ("replicates", "steps")


def build_parser() -> argparse.ArgumentParser:
    """The study's parser with every shared run flag."""
    from sim.studies.discover import _parser as study_parser

    parser = study_parser()
    add_run_options(parser, "replicates", "steps", "out", "workers", "no-progress")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run, analyse and report; the study's exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if wants_help(argv):
        build_parser().print_help()
        return 0
    from sim.studies.discover import main as run

    return run(flags_to_overrides(argv, AS_OVERRIDES))
