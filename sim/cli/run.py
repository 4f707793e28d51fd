"""``agora run``: one Agora job, or a sweep of jobs with ``-m``, through Hydra.

Examples::

    agora run                                             # one job, default scenario
    agora run regime=conversational --replicates 10
    agora run -m regime=broadcast,hybrid,conversational seed=0,1
    agora run -m --workers 2 --replicates 5 regime.mix=0,0.5,1 --out multirun/mix
    agora run -m +experiment=regimes                      # a named experiment
    agora run -m hydra/launcher=slurm --allow-setup 'hydra.launcher.setup=[". venv/bin/activate"]'

Arguments are Hydra overrides (``key=value``, ``group=option``, ``-m`` for a sweep) and the
run flags every command shares: ``--replicates N`` and ``--steps N`` (the keys ``replicates``
and ``steps``), ``--out DIR`` (the job's folder, or the sweep's with ``-m``) and ``--workers N``
(with ``-m``: worker processes of the sweep, on the ``pool`` launcher unless one is chosen).
Every job writes ``metrics.parquet`` and ``summary.json`` into its folder (default
``outputs/DATE/TIME``, or ``multirun/DATE/TIME/N`` for a sweep) and prints it; see
:mod:`sim.exec.jobs`. The configuration is checked before any job starts: a mistyped key or
option is named with the nearest valid one, in one line (status 2). A failed job is recorded
as ``status: failed`` and the process exits non-zero once the sweep's other jobs have
finished. Re-running a sweep into the same folder resumes it. ``agora run --hydra-help``
prints Hydra's own help; ``--cfg job`` prints the composed configuration.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence

from sim.cli.options import RUN_OPTIONS, flags_to_overrides, wants_help
from sim.config.paths import CONF_DIR
from sim.util.threads import pin_threads

__all__ = ["flags_first", "hydra_main", "main", "precheck", "run_flags", "with_validation"]


def hydra_main() -> None:
    """Hydra's application: compose from ``sys.argv``, then :func:`run_one` (imports kept lazy)."""
    import hydra

    hydra.main(config_path=str(CONF_DIR), config_name="config", version_base="1.3")(run_one)()


def run_one(cfg) -> None:
    """Run one job into Hydra's output directory; raise JobFailed if it failed."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    from sim.exec.jobs import JobFailed, run_job
    from sim.exec.sweeps import sweep_id

    # Hydra sets the root logger to INFO; Mesa logs every step at INFO, which would fill the
    # job's log and cost time in long sweeps.
    logging.getLogger("MESA").setLevel(logging.WARNING)
    pin_threads()  # the job's own process too (SLURM, joblib): one BLAS thread
    hc = HydraConfig.get()
    multirun = hc.mode == RunMode.MULTIRUN
    job = {
        "num": int(hc.job.num) if multirun else None,
        "mode": "multirun" if multirun else "run",
        "launcher": hc.runtime.choices.get("hydra/launcher"),
        "sweep_id": sweep_id(hc.sweep.dir) if multirun else None,
    }
    summary = run_job(cfg, hc.runtime.output_dir, overrides=list(hc.overrides.task), job=job)
    print(f"{summary['status']}: {hc.runtime.output_dir}", flush=True)
    if summary["status"] != "ok":
        # Raising lets Hydra record the job as failed: the other jobs of the sweep still run
        # and the process exits non-zero at the end.
        raise JobFailed(f"job in {hc.runtime.output_dir} failed: {summary['error']}")


def with_validation(args: Sequence[str]) -> list[str]:
    """``args`` with the validating callback turned on, unless callbacks are chosen explicitly.

    >>> with_validation(["steps=3"])
    ['steps=3', 'hydra/callbacks=agora']
    >>> with_validation(["hydra/callbacks=none"])
    ['hydra/callbacks=none']
    """
    if any(a.split("=", 1)[0].lstrip("+~") == "hydra/callbacks" for a in args):
        return list(args)
    if any(a in ("-h", "--help", "--hydra-help", "--info", "-i", "--version") for a in args):
        return list(args)
    return [*args, "hydra/callbacks=agora"]


def flags_first(args: Sequence[str]) -> list[str]:
    """``args`` with Hydra's flags (and their values) before the overrides, order kept.

    Hydra's own parser stops at the first flag after an override (``steps=3 -m seed=0,1``
    fails); its grammar is the one used here to tell the two apart.

    >>> flags_first(["steps=3", "-m", "seed=0,1", "--cfg", "job"])
    ['-m', '--cfg', 'job', 'steps=3', 'seed=0,1']
    """
    overrides = _hydra_args(args).overrides
    rest = list(args)
    for override in overrides:
        rest.remove(override)
    return [*rest, *overrides]


def _hydra_args(args: Sequence[str]):
    from sim.config.hydra_hook import hydra_args_parser

    return hydra_args_parser().parse_intermixed_args(list(args))


def run_flags(args: Sequence[str]) -> list[str]:
    """``args`` with the shared run flags made Hydra overrides.

    >>> run_flags(["--steps", "5", "-m", "--out", "sw", "--workers", "2", "seed=0,1"])
    ['-m', 'seed=0,1', 'steps=5', 'hydra.sweep.dir=sw', 'hydra/launcher=pool', \
'hydra.launcher.n_jobs=2']
    >>> run_flags(["--out", "one", "--replicates=3"])
    ['replicates=3', 'hydra.run.dir=one']
    """
    args = flags_to_overrides(args, ("steps", "replicates"))
    multirun = "-m" in args or "--multirun" in args
    rest, extra, i = [], [], 0
    while i < len(args):
        flag, eq, value = args[i].partition("=")
        if flag in ("--out", "--workers"):
            if not eq:
                if i + 1 >= len(args):
                    raise ValueError(f"{flag} needs a value")
                value, i = args[i + 1], i + 1
            if flag == "--out":
                extra.append(f"hydra.{'sweep' if multirun else 'run'}.dir={value}")
            elif not multirun:
                raise ValueError(
                    f"--workers {value}: one job runs in one process; --workers is for a sweep (-m)"
                )
            else:
                if not any(a.lstrip("+").startswith("hydra/launcher=") for a in args):
                    extra.append("hydra/launcher=pool")
                extra.append(f"hydra.launcher.n_jobs={value}")
        else:
            rest.append(args[i])
        i += 1
    return [*rest, *extra]


def precheck(overrides: Sequence[str]) -> None:
    """Compose the configuration once from ``overrides`` (each sweep at its first value) and
    check every option of a swept group; ConfigError naming the key, with the nearest valid
    key or option, before Hydra sees anything.

    >>> precheck(["regime.broadcst_rate=0.5"])
    Traceback (most recent call last):
    ...
    sim.config.ConfigError: regime.broadcst_rate: ...: did you mean regime.broadcast_rate?
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    from sim.config import load_config

    try:
        parsed = OverridesParser.create().parse_overrides(list(overrides))
    except HydraException:
        return  # a syntax error: Hydra's own message says where
    single: list[str] = []
    for o in parsed:
        key = o.key_or_group
        if key.startswith("hydra") and key != "hydra.searchpath":  # where configs are: kept
            continue
        line = o.input_line
        assert line is not None  # parse_overrides sets it on every override it returns
        if not o.is_sweep_override():
            single.append(line)
            continue
        try:
            values = list(o.sweep_string_iterator())
        except Exception:  # an interval for an optimising sweeper: nothing to pick
            continue
        if "." not in key and (CONF_DIR / key).is_dir():  # a swept group: every option
            for value in values[1:]:
                load_config([f"{key}={value}"], validate_now=False)
        prefix = line[: len(line) - len(line.lstrip("+~"))]
        single.append(f"{prefix}{key}={values[0]}" if values else line)
    load_config(single)


def usage() -> str:
    """``agora run --help``: this module's examples, the flags and the configuration groups."""
    import re
    import textwrap

    text = re.sub(r":mod:`([\w.]+)`", r"\1", __doc__.replace("::", ":").replace("``", ""))
    lines = [
        "usage: agora run [-m] [--replicates N] [--steps N] [--out DIR] [--workers N] "
        "[key=value ...]",
        "",
        *text.splitlines()[2:],
        "options:",
    ]
    flags = {
        f"--{name} {RUN_OPTIONS[name].metavar}": RUN_OPTIONS[name].help
        for name in ("replicates", "steps", "out", "workers")
    }
    flags |= {
        "-m, --multirun": "a sweep: one job per combination of comma-separated values",
        "--hydra-help": "Hydra's own help",
        "-h, --help": "this help",
    }
    for flag, help_ in flags.items():
        lines += textwrap.wrap(
            help_, 88, initial_indent=f"  {flag:<16}  ", subsequent_indent=" " * 20
        )
    lines += ["", "configuration groups (group=option; agora scenarios describes the scenarios):"]
    for group in sorted(p.name for p in CONF_DIR.iterdir() if p.is_dir() and p.name != "hydra"):
        options = ", ".join(sorted(p.stem for p in (CONF_DIR / group).glob("*.yaml")))
        lines += textwrap.wrap(
            options, 88, initial_indent=f"  {group + ':':<16}  ", subsequent_indent=" " * 20
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Run Hydra with ``argv`` (default: the command line); the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    if wants_help(args):
        sys.stdout.write(usage())
        return 0
    saved = sys.argv
    if "--allow-setup" in args:
        # Ray's init and SLURM's setup lines run on the cluster: only when asked for here
        # (sim.config.hydra_keys); the environment carries the choice to the jobs' processes.
        from sim.config.hydra_keys import ALLOW_SETUP_ENV

        args = [a for a in args if a != "--allow-setup"]
        os.environ[ALLOW_SETUP_ENV] = "1"
    try:
        args = flags_first(run_flags(args))
        parsed = _hydra_args(args)
    except ValueError as err:
        print(f"agora run: {err}", file=sys.stderr)
        return 2
    except SystemExit as exit_:  # argparse already printed what is wrong
        return exit_.code if isinstance(exit_.code, int) else 2
    if not (parsed.hydra_help or parsed.cfg or parsed.info):
        from sim.config import ConfigError

        try:
            precheck(parsed.overrides)
        except ConfigError as err:
            print(f"agora run: invalid configuration, no job was started: {err}", file=sys.stderr)
            return 2
    # @hydra.main reads sys.argv; its program name is shown in --hydra-help.
    sys.argv = ["agora run", *with_validation(args)]
    from hydra_plugins.agora_launchers import register  # the pool and ray launchers

    register()
    try:
        hydra_main()
    except SystemExit as exit_:
        code = exit_.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    finally:
        sys.argv = saved
    return 0
