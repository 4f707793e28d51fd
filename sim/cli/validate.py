"""``agora validate``: reproduce the published models and report (:mod:`sim.validation.suite`).

By default everything goes to ``outputs/validation/`` (or ``--out DIR``): ``validation.md``,
its figures under ``img/`` and ``results.json``. Only ``--docs`` regenerates the project's
``docs/validation.md`` and ``docs/img/validation/`` (in a source checkout). ``--quick`` runs
small, fixed-seed versions of every comparison (the test suite's). The exit status is 1 when a
comparison fails its stated test.

Examples
--------
>>> import tempfile
>>> with tempfile.TemporaryDirectory() as d:
...     main(["--quick", "--only", "degroot", "--out", d, "--quiet"])
0
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The command's flags: which comparisons, how big, where the page goes."""
    from sim.validation import MODULES

    parser = argparse.ArgumentParser(
        prog="agora validate",
        description="Compare Agora with published organizational results.",
        epilog="Examples: agora validate --quick; agora validate --only march1991 --workers 2",
    )
    parser.add_argument("--quick", action="store_true", help="small fixed-seed versions")
    parser.add_argument("--only", nargs="+", choices=MODULES, help="run only these")
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--out",
        type=Path,
        default=Path("outputs") / "validation",
        help="output directory (default: outputs/validation)",
    )
    where.add_argument(
        "--docs", action="store_true", help="regenerate docs/validation.md and docs/img/validation/"
    )
    parser.add_argument(
        "--workers", "--jobs", dest="jobs", type=int, default=1, help="worker processes (default 1)"
    )
    parser.add_argument(
        "--no-progress", "--quiet", dest="quiet", action="store_true", help="no progress lines"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (``sys.argv[1:]`` when None), run, write, return the exit status."""
    from sim.validation.suite import DOCS_DIR, validate

    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else list(argv))
    if args.docs and not DOCS_DIR.is_dir():
        parser.error(f"--docs needs a source checkout: {DOCS_DIR} does not exist")
    if args.jobs < 1:
        parser.error(f"--workers must be at least 1, got {args.jobs}")
    say = (lambda msg: None) if args.quiet else (lambda msg: print(msg, flush=True))
    if args.docs:
        doc, img, results = DOCS_DIR / "validation.md", DOCS_DIR / "img" / "validation", None
    else:
        doc, img, results = args.out / "validation.md", args.out / "img", args.out / "results.json"
    return validate(
        args.quick, args.only, doc, img, results=results, docs=args.docs, say=say, jobs=args.jobs
    )
