"""Run one Agora job, or a sweep of jobs with ``-m``, through Hydra.

Examples (from the repository root)::

    python experiments/run.py                                   # one job, default scenario
    python experiments/run.py regime=conversational replicates=10
    python experiments/run.py -m regime=broadcast,hybrid,conversational seed=0,1
    python experiments/run.py -m hydra/launcher=local_parallel regime.mix=0:1:0.25 ...
    python experiments/run.py -m +experiment=regimes            # a named experiment

Every job writes ``metrics.parquet`` and ``summary.json`` into its Hydra output directory
(``hydra.run.dir`` or ``hydra.sweep.dir/hydra.sweep.subdir``); see ``sim/runs/jobs.py``. The
configuration of every job is validated before any job starts; a failed job is recorded as
``status: failed`` and the process exits non-zero once the sweep's other jobs have finished.
Re-running a sweep into the same ``hydra.sweep.dir`` resumes it.
"""

from __future__ import annotations

import logging
import sys

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from sim.runs.jobs import JobFailed, run_job


@hydra.main(config_path="../conf", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> None:
    """Run one job into Hydra's output directory; raise JobFailed if it failed."""
    # Hydra sets the root logger to INFO; Mesa logs every step at INFO, which would fill the
    # job's log and cost time in long sweeps.
    logging.getLogger("MESA").setLevel(logging.WARNING)
    hc = HydraConfig.get()
    multirun = hc.mode == RunMode.MULTIRUN
    job = {
        "num": int(hc.job.num) if multirun else None,
        "mode": "multirun" if multirun else "run",
        "launcher": hc.runtime.choices.get("hydra/launcher"),
    }
    summary = run_job(cfg, hc.runtime.output_dir, overrides=list(hc.overrides.task), job=job)
    if summary["status"] != "ok":
        # Raising lets Hydra record the job as failed: the other jobs of the sweep still run
        # and the process exits non-zero at the end.
        raise JobFailed(f"job in {hc.runtime.output_dir} failed: {summary['error']}")


def _with_validation(argv: list[str]) -> list[str]:
    """Turn on the validating callback unless the user chose callbacks explicitly."""
    if any(a.split("=", 1)[0].lstrip("+~") == "hydra/callbacks" for a in argv[1:]):
        return argv
    return [*argv, "hydra/callbacks=agora"]


if __name__ == "__main__":
    sys.argv = _with_validation(sys.argv)
    main()
