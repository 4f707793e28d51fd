"""``hydra/launcher=pool``: Agora jobs on long-lived worker processes on this machine.

Every job's configuration is composed once, in this process (:mod:`sim.exec.plan`), and the
resolved configuration is sent to one of ``n_jobs`` workers started once
(:func:`sim.exec.pool.run_pool`); jobs that differ only in their practices or mechanism
switches (a sweep over ``regime.mix``, a switch or the seeds) go together and step as one
batch. A failing job is recorded
and the others finish; a worker that dies costs only the job it held (recorded as failed,
naming the signal; jobs it held together run again alone), and a new worker takes its
place. Each job leaves its two result files and no ``.hydra/`` folder (its overrides and
resolved configuration are in ``summary.json``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from hydra.core.utils import JobReturn
from hydra.plugins.launcher import Launcher

from ._common import AgoraLauncherBase


class PoolLauncher(AgoraLauncherBase, Launcher):
    """Hydra launcher running Agora jobs on ``n_jobs`` long-lived processes (-1: one per core)."""

    name = "pool"

    def __init__(self, n_jobs: int = 2) -> None:
        # No **kwargs: a key the launcher does not know is an error, never passed on.
        super().__init__(n_jobs=n_jobs)
        self.n_jobs = int(n_jobs)

    def launch(
        self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int
    ) -> Sequence[JobReturn]:
        from sim.exec.pool import run_pool

        workers = self.n_jobs if self.n_jobs > 0 else (os.cpu_count() or 1)
        workers = max(1, min(workers, len(job_overrides)))
        return self._launch(
            job_overrides,
            initial_job_idx,
            lambda jobs, progress: run_pool(jobs, workers=workers, on_result=progress),
        )
