"""``agora compare``: the main job (:mod:`sim.runs.compare`), with the shared run flags.

Examples::

    agora compare                                        # default scenario, 10 seeds, 2 workers
    agora compare --steps 100 --replicates 5 org.size=80
    agora compare --design half scenario=sample_company --out reports/sample

The study and its own flags live in :mod:`sim.runs.compare`; this adds the run-shaping flags
it lacks (``--steps``) with the spelling every command shares (:mod:`sim.cli.options`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sim.cli.options import add_run_options, flags_to_overrides, wants_help

__all__ = ["build_parser", "main"]

#: Run-shaping flags of this command that are configuration keys, passed on as overrides.
AS_OVERRIDES = ("steps",)


def build_parser() -> argparse.ArgumentParser:
    """The study's parser with every shared run flag."""
    from sim.runs.compare import build_parser as study_parser

    parser = study_parser()
    add_run_options(parser, "replicates", "steps", "out", "workers", "no-progress")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the comparison; its exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if wants_help(argv):
        build_parser().print_help()
        return 0
    from sim.runs.compare import main as run

    return run(flags_to_overrides(argv, AS_OVERRIDES))
