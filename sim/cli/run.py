"""``agora run``: one Agora job, or a sweep of jobs with ``-m``, through Hydra.

Examples::

    agora run                                             # one job, default scenario
    agora run regime=conversational replicates=10
    agora run -m regime=broadcast,hybrid,conversational seed=0,1
    agora run -m hydra/launcher=local_parallel regime.mix=0:1:0.25
    agora run -m +experiment=regimes                      # a named experiment

Every job writes ``metrics.parquet`` and ``summary.json`` into its Hydra output directory
(``hydra.run.dir``, default ``outputs/DATE/TIME``, or ``hydra.sweep.dir/hydra.sweep.subdir``)
and prints it; see :mod:`sim.runs.jobs`. The configuration of every job is validated before
any job starts (the ``agora`` Hydra callback, unless ``hydra/callbacks`` is given); a failed
job is recorded as ``status: failed`` and the process exits non-zero once the sweep's other
jobs have finished. Re-running a sweep into the same ``hydra.sweep.dir`` resumes it. The
configuration is the installed one (:data:`sim.config.CONF_DIR`), so this runs from any folder.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from sim.config.paths import CONF_DIR
from sim.runs.jobs import JobFailed, run_job
from sim.util.threads import pin_threads

__all__ = ["flags_first", "hydra_main", "main", "with_validation"]


@hydra.main(config_path=str(CONF_DIR), config_name="config", version_base="1.3")
def hydra_main(cfg: DictConfig) -> None:
    """Run one job into Hydra's output directory; raise JobFailed if it failed."""
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
    from hydra._internal.utils import get_args_parser

    overrides = get_args_parser().parse_intermixed_args(list(args)).overrides
    rest = list(args)
    for override in overrides:
        rest.remove(override)
    return [*rest, *overrides]


def main(argv: Sequence[str] | None = None) -> int:
    """Run Hydra with ``argv`` (default: the command line); the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    saved = sys.argv
    try:
        args = flags_first(args)
    except SystemExit as exit_:  # argparse already printed what is wrong
        return exit_.code if isinstance(exit_.code, int) else 2
    # @hydra.main reads sys.argv; its program name is shown in --help.
    sys.argv = [saved[0] if saved else "agora run", *with_validation(args)]
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
