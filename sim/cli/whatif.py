"""``agora whatif``: a scenario with and without an intervention, with replicates, and a report.

Examples::

    agora whatif scenario=default intervention=open_channels
    agora whatif scenario=flatter_is_not_free intervention=flatten --replicates 30
    agora whatif scenario=march1991 intervention=start_listening --at 50
    agora whatif scenario=social_trifecta intervention=start_listening \\
        --steps 200 --at 100 org.size=80 --out reports/trifecta

``scenario=NAME`` and ``intervention=NAME`` are required (``agora scenarios`` lists them);
every other ``key=value`` is a Hydra override applied to both arms (``org.size=100``,
``regime.mix=0.3``). The run is shaped by flags: ``--replicates`` (default 20), ``--steps``,
``--seed``, ``--at`` (move the intervention to this step), ``--window`` (steps averaged for
the values before and at the end, default: the last third of the run), ``--workers``
(processes, default 2), ``--out`` (default ``reports/whatif/<scenario>__<intervention>``),
``--fresh`` (discard earlier runs in ``out`` instead of resuming), ``--no-progress``,
``--no-plots`` (write ``report.md`` only). ``replicates=``, ``steps=`` and ``seed=`` are
configuration keys and are accepted as such; the older ``out=``, ``workers=``, ``at=`` and
``window=`` still work, with a note.

Writes ``report.md`` (plain sentences, the assumptions, a table of every metric), ``plots/``,
and the tables the report is computed from (``differences.csv``,
``timeseries_summary.csv``, ``timeseries.parquet``) plus the two jobs under ``runs/``.

Exit status: 0 when both arms ran, 1 when an arm failed, 2 for bad arguments or configuration.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from sim.cli.options import add_run_options
from sim.config import ConfigError
from sim.exec.jobs import JobConflict

#: Arguments this command reads itself; every other key=value goes to Hydra.
OWN = {"scenario", "intervention", "replicates", "steps", "seed", "at", "window", "workers", "out"}
INTS = {"replicates", "steps", "seed", "at", "window", "workers"}
#: Flags that were once spelled key=value; the old spelling still works, with a note.
FLAGS = ("replicates", "steps", "seed", "at", "window", "workers", "out")
NOT_CONFIG = ("out", "workers", "at", "window")


def parse(args: list[str]) -> tuple[dict[str, object], list[str]]:
    """Split ``key=value`` arguments into this script's options and Hydra overrides."""
    own: dict[str, object] = {}
    overrides = []
    for arg in args:
        key, sep, value = arg.partition("=")
        if not sep:
            raise ConfigError(f"argument {arg!r} is not key=value")
        if key in OWN:
            if key in INTS:
                try:
                    own[key] = int(value)
                except ValueError:
                    raise ConfigError(f"{key}={value!r} is not a whole number") from None
            else:
                own[key] = value
        else:
            overrides.append(arg)
    for key in ("scenario", "intervention"):
        if key not in own:
            raise ConfigError(f"{key}=NAME is required (agora scenarios lists them)")
    return own, overrides


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The flags and the ``key=value`` arguments, in any order.

    >>> ns = parse_args(["scenario=default", "--no-progress", "out=x", "intervention=flatten"])
    >>> ns.args, ns.no_progress
    (['scenario=default', 'out=x', 'intervention=flatten'], True)
    """
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0].split(": ", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.splitlines()[2:]).replace("``", "").replace("::", ":"),
    )
    parser.add_argument("args", nargs="*", metavar="key=value")
    parser.add_argument("--fresh", action="store_true", help="discard earlier runs in out")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--no-plots", action="store_true", help="write report.md only")
    # No defaults here: an unset flag leaves the key=value spelling, then main's defaults.
    add_run_options(parser, "replicates", "steps", "out", "workers")
    parser.add_argument("--seed", type=int, default=None, help="root seed of the replicates")
    parser.add_argument(
        "--at", type=int, default=None, metavar="STEP", help="move the intervention to this step"
    )
    parser.add_argument(
        "--window",
        type=int,
        default=None,
        metavar="STEPS",
        help="steps averaged before and at the end (default: a third)",
    )
    return parser.parse_intermixed_args(argv)


def merge_flags(ns: argparse.Namespace, own: dict[str, object]) -> dict[str, object]:
    """The run options from flags and ``key=value`` alike; a flag wins, an old spelling is noted.

    >>> ns = parse_args(["scenario=a", "intervention=b", "--replicates", "3", "at=5"])
    >>> merged = merge_flags(ns, parse(ns.args)[0])  # notes at=5 on stderr
    >>> merged["replicates"], merged["at"]
    (3, 5)
    """
    merged = dict(own)
    for key in FLAGS:
        if key in own and key in NOT_CONFIG:
            print(
                f"whatif: note: {key}={own[key]} is spelled --{key} {own[key]} now", file=sys.stderr
            )
        if getattr(ns, key) is not None:
            merged[key] = getattr(ns, key)
    return merged


def _whole(own: dict[str, object], key: str, default: int | None = None) -> int | None:
    """The option ``key`` of :data:`INTS`, or ``default`` when it is unset."""
    value = own.get(key, default)
    # parse() makes every key of INTS an int, and their flags are parsed with type=int
    assert value is None or isinstance(value, int), (key, value)
    return value


def main(argv: list[str] | None = None) -> int:
    ns = parse_args(argv)
    logging.getLogger("MESA").setLevel(logging.WARNING)

    from sim.scenarios.report import write_whatif_report
    from sim.scenarios.whatif import aggregate_whatif, plan_whatif, run_whatif

    t0 = time.perf_counter()
    try:
        own, overrides = parse(ns.args)
        own = merge_flags(ns, own)
        plan = plan_whatif(
            str(own["scenario"]),
            str(own["intervention"]),
            overrides,
            replicates=_whole(own, "replicates", 20),
            steps=_whole(own, "steps"),
            seed=_whole(own, "seed"),
            at=_whole(own, "at"),
        )
    except ConfigError as err:
        print(f"whatif: {err}", file=sys.stderr)
        return 2
    out = Path(
        str(own.get("out") or f"reports/whatif/{plan.scenario.path.stem}__{plan.intervention.name}")
    )
    if ns.fresh:
        from sim.exec.folders import NotAgoraFolder, remove_agora_folder

        try:  # only a folder Agora made (it carries Agora's marker file)
            remove_agora_folder(out / "runs")
        except NotAgoraFolder as err:
            print(f"whatif: --fresh: {err}", file=sys.stderr)
            return 2
    cfg = plan.arms["baseline"]
    print(
        f"what if: {plan.intervention.name} (from step {plan.at}) in {plan.scenario.name}; "
        f"{cfg.replicates} replicates x 2 arms x {cfg.steps} steps -> {out}"
    )
    workers = _whole(own, "workers")
    try:
        summaries = run_whatif(
            plan, out, workers=2 if workers is None else workers, progress=not ns.no_progress
        )
    except JobConflict as err:
        print(
            f"whatif: {err}\nwhatif: use another out=..., or --fresh to discard the old runs",
            file=sys.stderr,
        )
        return 2
    failed = {arm: s.get("error") for arm, s in summaries.items() if s.get("status") != "ok"}
    if failed:
        for arm, error in failed.items():
            print(f"whatif: the {arm} arm failed: {error}", file=sys.stderr)
        return 1
    table = aggregate_whatif(out, window=_whole(own, "window"))  # default: last third of the run
    first = table.iloc[0]
    print(
        f"  assumed: end values are each replicate's mean over steps {int(first['end_from'])}-"
        f"{int(first['end_step'])}, before values over steps {int(first['before_from'])}-"
        f"{int(first['before_step'])}; both arms share their seeds, so differences are paired "
        "by seed with 95% t intervals (none with one replicate)"
    )
    # One clock: the time the report states is the time printed here.
    elapsed = time.perf_counter() - t0
    path = write_whatif_report(out, elapsed=elapsed, plots=not ns.no_plots)
    print(f"report: {path} (run and aggregated in {elapsed:.1f} s, as the report says)")
    return 0
