"""Resolved jobs as Ray tasks on a Ray cluster: the engine of ``hydra/launcher=ray``.

The launching process composes every job (:class:`sim.exec.plan.SweepPlan`), connects to the
cluster (``ray.init(address=...)``) and submits the jobs as tasks running
:func:`sim.exec.pool.execute_group` (one CPU each), keeping at most ``max_in_flight`` tasks
queued so that a sweep of 100,000 jobs does not sit in the cluster's memory at once. As on the
``pool`` launcher, jobs that differ only in their practices, mechanism switches or seeds go
in one task, up to :data:`~sim.exec.parallel.GROUP_WORLDS` of their replicates, stepped as one batch
(:func:`sim.exec.pool.units`); every other job is a task of its own. The job directories must
be on a file system every node sees (as on a SLURM cluster).

Failures: a failing job is recorded by :func:`~sim.exec.jobs.run_job` like everywhere else. A
task whose worker process or node died is retried by Ray up to ``max_retries`` times (on
another node if its node is gone); if it still cannot finish, this process records the job as
failed with Ray's reason (:func:`sim.exec.pool.record_lost_job`), and resume re-runs it; a
task of several jobs that cannot finish is submitted again job by job, so a job that kills its
worker fails alone. Jobs that had finished are never touched: their files were written by the
node that ran them.

Ray is optional (``pip install agora-sim[ray]``) and imported only here, when a sweep uses it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sim.exec.parallel import PlannedJob
from sim.exec.pool import Unit, execute_group, record_lost_job, units

__all__ = ["run_ray"]

log = logging.getLogger(__name__)


def run_ray(
    jobs: Iterable[PlannedJob],
    *,
    address: str | None = "auto",
    max_retries: int = 1,
    max_in_flight: int | None = None,
    num_cpus: float = 1,
    init: Mapping[str, Any] | None = None,
    on_result: Callable[[PlannedJob, dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Run ``jobs`` as Ray tasks; their status records in input order.

    Parameters
    ----------
    address
        The cluster to join (``"auto"``: the one ``RAY_ADDRESS`` or ``ray start`` on this
        machine names; ``"HOST:PORT"``; None: start a private Ray on this machine).
    max_retries
        Retries of a task whose worker or node died (Ray's own retry).
    max_in_flight
        Tasks submitted and not yet finished (default: twice the cluster's CPUs).
    num_cpus
        CPUs a job reserves.
    init
        More keyword arguments for ``ray.init``.
    """
    try:
        import ray
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(
            "hydra/launcher=ray needs Ray: pip install 'agora-sim[ray]' (or pip install ray)"
        ) from err

    connected_here = not ray.is_initialized()
    if connected_here:
        ray.init(address=address, log_to_driver=False, **dict(init or {}))
    try:
        slots = ray.cluster_resources().get("CPU", 1) / num_cpus  # tasks running at once
        workers = max(1, int(slots))
        if max_in_flight is None:
            max_in_flight = max(2, int(2 * slots))
        task = ray.remote(num_cpus=num_cpus, max_retries=max_retries)(execute_group)
        pending = units(enumerate(jobs), workers)
        again: list[Unit] = []  # several jobs whose task could not finish, now one by one
        results: dict[int, dict[str, Any]] = {}
        flying: dict[Any, Unit] = {}
        exhausted = False
        while flying or again or not exhausted:
            while (again or not exhausted) and len(flying) < max_in_flight:
                unit = again.pop(0) if again else next(pending, None)
                if unit is None:
                    exhausted = True
                    break
                flying[task.remote([job for _, job in unit])] = unit
            if not flying:
                break
            done, _ = ray.wait(list(flying), num_returns=1)
            for ref in done:
                unit = flying.pop(ref)
                nums = [job.info.get("num") for _, job in unit]
                try:
                    records = ray.get(ref)
                except ray.exceptions.RayError as err:  # worker or node lost, retries spent
                    reason = (
                        f"Ray could not finish this job: {type(err).__name__}: "
                        + (str(err).strip().splitlines() or [""])[0]
                    )
                    if len(unit) > 1:  # one of them may be the cause: each alone
                        log.warning("jobs %s: %s; each runs again alone", nums, reason)
                        again.extend([item] for item in unit)
                        continue
                    log.error("job %s: %s", nums[0], reason)
                    records = [record_lost_job(unit[0][1], reason)]
                for (index, job), record in zip(unit, records, strict=True):
                    results[index] = record
                    if on_result is not None:
                        on_result(job, record)
    finally:
        if connected_here:
            ray.shutdown()
    return [results[i] for i in range(len(results))]
