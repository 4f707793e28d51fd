"""``agora compare``: the main job's command line (the job is :mod:`sim.studies.compare`).

Flags and Hydra-style overrides mix in any order. ``--ends realistic`` runs the broadcast end
against the four field-realistic conversational ends alone; ``--write-docs`` also regenerates
the outcome table of ``docs/odd.md`` from the classification (never done unless asked).

Exit status: 0 when every job ran, 1 when some failed (the report says which), 2 for invalid
arguments or configuration, or an output folder holding results of other settings.

Examples
--------
>>> a = parse_args(["--steps", "50", "--replicates", "2", "org.size=80"])
>>> a.overrides, a.replicates, a.ends
(['org.size=80', 'steps=50'], 2, 'default')
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from sim.cli.options import add_run_options, flags_to_overrides
from sim.studies.compare import (
    DEFAULT_DESIGN,
    DEFAULT_MAX_PAIRS,
    DEFAULT_REPLICATES,
    DEFAULT_WINDOW,
    Options,
    Outcome,
    design_for,
    run,
    write_tables,
)

__all__ = ["build_parser", "parse_args", "main", "write_docs"]

#: Where ``--write-docs`` puts the outcome table when no path is given.
ODD = "docs/odd.md"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="agora compare",
        description="The main job: the regime ends, hybrids between them, and a two-level "
        "factorial design over the practices that separate the ends, with replicates paired by "
        "seed; both ends again with each assumed mechanism switched off, to classify what each "
        "difference rests on; and the differences at field-realistic ends. Writes "
        "classification.csv, effects.csv and report.md.",
        epilog="Flags and Hydra-style overrides mix in any order, e.g. "
        "`agora compare --steps 100 --replicates 5 org.size=80`.",
    )
    parser.add_argument(
        "overrides",
        nargs="*",
        metavar="KEY=VALUE",
        help="Hydra overrides applied to every arm (not regime keys, except regime.listening)",
    )
    parser.add_argument(
        "--out",
        default=None,
        help="report folder (default: reports/compare, reports/compare_ends with --ends realistic)",
    )
    _add_design_options(parser)
    _add_output_options(parser)
    # The shared run flag this command lacks; --steps N becomes the override steps=N.
    add_run_options(parser, "steps")
    return parser


def _add_design_options(parser: argparse.ArgumentParser) -> None:
    """The flags that say what is run: replicates, seed, workers, design, ends, pairs, window."""
    parser.add_argument(
        "--replicates",
        type=int,
        default=DEFAULT_REPLICATES,
        help="replicate seeds per arm, at least 2 (default: %(default)s)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="root seed: every arm runs the seeds spawned from it (default: 0)",
    )
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default: 2)")
    parser.add_argument(
        "--design",
        choices=("half", "full"),
        default=DEFAULT_DESIGN,
        help="the resolution V half fraction 2^(5-1), I = ABCDE, or the full 2^5 "
        "factorial (default: %(default)s)",
    )
    parser.add_argument(
        "--ends",
        choices=("default", "realistic"),
        default="default",
        help="default: the whole job (with the realistic ends, compactly); "
        "realistic: the broadcast end against the conversational end at "
        "responsiveness 0.2 and 0.4, voting off and on, alone",
    )
    parser.add_argument(
        "--max-pairs",
        type=int,
        default=DEFAULT_MAX_PAIRS,
        help="the most pairs of mechanism switches to run together for the "
        "classification (default: %(default)s; 0: none)",
    )
    parser.add_argument(
        "--window",
        type=float,
        default=DEFAULT_WINDOW,
        help="end-of-run window as a fraction of the run (default: the last third)",
    )


def _add_output_options(parser: argparse.ArgumentParser) -> None:
    """The flags that say what is written: the docs' classification, resuming, progress, plots."""
    # A flag without a value: an optional value would swallow a following KEY=VALUE override.
    parser.add_argument(
        "--write-docs",
        action="store_true",
        help="also write the classification between the markers "
        "<!-- BEGIN classification --> and <!-- END classification --> of "
        "--docs-file (never done unless asked)",
    )
    parser.add_argument(
        "--docs-file",
        default=ODD,
        metavar="MARKDOWN",
        help="the file --write-docs writes into (default: %(default)s)",
    )
    parser.add_argument(
        "--fresh", action="store_true", help="delete OUT/runs first instead of resuming from it"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument(
        "--no-plots",
        action="store_true",
        help="tables and report only (the report still links the plots)",
    )


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Flags and overrides in any order; bad values exit with status 2 naming the flag."""
    parser = build_parser()
    argv = flags_to_overrides(list(sys.argv[1:] if argv is None else argv), ("steps",))
    args = parser.parse_intermixed_args(argv)
    if args.replicates < 2:
        parser.error(f"--replicates {args.replicates}: at least 2 (intervals are over seeds)")
    if args.workers < 1:
        parser.error(f"--workers {args.workers}: at least 1")
    if not 0 < args.window <= 1:
        parser.error(f"--window {args.window}: a fraction of the run in (0, 1]")
    if args.max_pairs < 0:
        parser.error(f"--max-pairs {args.max_pairs}: 0 or more")
    if args.write_docs and args.ends == "realistic":
        parser.error("--write-docs: the classification needs the whole job, not --ends realistic")
    if args.out is None:
        args.out = "reports/compare" if args.ends == "default" else "reports/compare_ends"
    return args


def options_of(args: argparse.Namespace) -> Options:
    """The job's options from parsed flags."""
    return Options(
        overrides=list(args.overrides),
        out=Path(args.out),
        replicates=args.replicates,
        seed=args.seed,
        workers=args.workers,
        design=args.design,
        window=args.window,
        fresh=args.fresh,
        progress=not args.no_progress,
        ends=args.ends,
        max_pairs=args.max_pairs,
    )


def write_docs(path: str | Path, outcome: Outcome) -> Path:
    """The classification as the outcome table between the markers of ``path``.

    Raises ``ValueError`` when the outcome has no classification (an end failed); ``main``
    checks that first.
    """
    from sim.studies.classification import outcome_table, replace_between_markers

    tables = outcome.tables
    if tables is None or tables.classification is None:
        raise ValueError("no classification to write (an end failed)")
    return replace_between_markers(path, outcome_table(tables.classification))


def main(argv: list[str] | None = None) -> int:
    """Run the comparison; the exit status (0 ok, 1 a job failed, 2 bad input)."""
    args = parse_args(argv)
    from sim.config import ConfigError
    from sim.exec.folders import NotAgoraFolder
    from sim.exec.jobs import JobConflict
    from sim.exec.locks import LockHeld

    t0 = time.perf_counter()
    try:
        outcome = run(options_of(args))
    except (ConfigError, JobConflict, LockHeld, NotAgoraFolder) as err:
        # all raised before any replicate of that batch runs: nothing half-written
        print(f"compare: {err}", file=sys.stderr)
        if isinstance(err, JobConflict):
            print("compare: use another --out, or --fresh to discard the old runs", file=sys.stderr)
        return 2
    if outcome.realistic is None:
        print(
            "compare: every job failed: "
            + "; ".join(f"{k}: {v}" for k, v in outcome.failed.items()),
            file=sys.stderr,
        )
        return 1
    path = _write(Path(args.out), args, outcome, t0)
    if args.write_docs:
        if outcome.tables is None or outcome.tables.classification is None:
            print("compare: no classification to write (an end failed)", file=sys.stderr)
            return 1
        print(f"docs: {write_docs(args.docs_file, outcome)}")
    print(f"report: {path} ({time.perf_counter() - t0:.1f} s)")
    return 1 if outcome.failed else 0


def _write(out: Path, args: argparse.Namespace, outcome: Outcome, t0: float) -> Path:
    from sim.studies.compare_report import RunFacts, write_ends_report, write_report
    from sim.studies.factorial import design_resolution

    summaries = outcome.summaries.values()
    facts = RunFacts(
        design=args.design,
        resolution=design_resolution(design_for(args.design)),
        replicates=args.replicates,
        seed=args.seed,
        overrides=list(args.overrides),
        window_fraction=args.window,
        run_time=outcome.run_time,
        cpu_time=outcome.cpu_time,
        failed=outcome.failed,
        config=next((s["config"] for s in summaries if s.get("config")), {}),
        git_commit=next((s.get("git_commit") for s in summaries if s.get("git_commit")), None),
        switches=list(outcome.switches),
        max_pairs=args.max_pairs,
    )
    if outcome.tables is None:  # --ends realistic, or no main arm ran
        from sim.util.atomic import write_atomic

        realistic = outcome.realistic
        assert realistic is not None  # main() returns before writing when every job failed
        write_atomic(out / "ends_realistic.csv", lambda tmp: realistic.to_csv(tmp, index=False))
        return write_ends_report(out, realistic, facts, started=t0)
    write_tables(out, outcome.tables)
    return write_report(out, outcome.tables, facts, started=t0, plots=not args.no_plots)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
