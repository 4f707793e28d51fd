"""Long-lived worker processes that run resolved jobs, one at a time each, and survive deaths.

:func:`run_pool` is the engine of the ``pool`` launcher (``hydra/launcher=pool``): the
launching process composes every job (:class:`sim.exec.plan.SweepPlan`) and hands each
resolved configuration to an idle worker through a pipe; the worker runs
:func:`sim.exec.jobs.run_job` into the job directory and answers with the job's status. The
parent knows which job every worker holds, so:

- a job that fails is written ``status: failed`` by ``run_job`` and the others go on;
- a worker that dies (out of memory, a signal) costs only the job it held: the parent writes
  that job's ``summary.json`` as failed, naming the signal, starts a new worker and goes on.
  Resume re-runs it, keeping the failed summary as ``summary.failed-N.json``.

Workers are started once (forkserver, with the model imported, see
:func:`sim.exec.parallel.process_context`), so a job costs its simulation and its two files.

Jobs that differ only in their practices or mechanism switches
(:func:`sim.config.batching.batch_groups`: a sweep over ``regime.mix``, over seeds, over the
regimes or a switch) go to a worker together, up to
:data:`~sim.exec.parallel.GROUP_WORLDS` of their replicates, and step as one batch
(:func:`sim.exec.parallel.run_jobs`): each job's folder holds what it would hold had it run
alone. Groups are found among the next :data:`LOOKAHEAD` jobs per worker. A group that fails,
or whose worker dies, is run again job by job, so a bad job fails alone.

Examples
--------
>>> import tempfile
>>> from sim.config import to_config
>>> from sim.exec.parallel import PlannedJob
>>> cfg = to_config({"steps": 3, "org": {"size": 30}, "stakeholders": {"count": 5}})
>>> with tempfile.TemporaryDirectory() as d:
...     jobs = [PlannedJob(cfg, Path(d) / str(n), info={"num": n}) for n in range(3)]
...     [r["status"] for r in run_pool(jobs, workers=2)]
['ok', 'ok', 'ok']
"""

from __future__ import annotations

import itertools
import logging
import os
import signal
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

from sim.exec.parallel import GROUP_WORLDS, PlannedJob, process_context

__all__ = ["LOOKAHEAD", "execute", "execute_group", "record_failed_plan", "record_lost_job"]
__all__ += ["Unit", "run_pool", "units"]

log = logging.getLogger(__name__)

#: Jobs read ahead per worker to find the ones that step together: a sweep's jobs come in
#: the order of its overrides, so the points of one axis are seldom next to each other.
LOOKAHEAD = GROUP_WORLDS

#: What a worker runs at once: jobs (with their place in the input) that step as one batch,
#: or one job alone.
Unit = list[tuple[int, PlannedJob]]


_pinned_pid: int | None = None


def _pin_once() -> None:
    """One BLAS thread in this worker (pool, Ray): processes are the parallelism.

    Once per process (a call costs milliseconds, a tenth of a small job's overhead): what
    :func:`~sim.util.threads.pin_threads` sets, the thread limits of the libraries loaded and
    the variables read by those loaded later, lasts for the life of the process.
    """
    global _pinned_pid
    if _pinned_pid != os.getpid():
        from sim.util.threads import pin_threads

        pin_threads()
        _pinned_pid = os.getpid()


def execute(job: PlannedJob) -> dict[str, Any]:
    """Run one planned job in this process; a small status record (never raises).

    What workers of every launcher here call. A :class:`~sim.exec.jobs.JobConflict` (the
    directory holds another configuration's result) is reported as status ``conflict``.
    """
    from sim.exec.jobs import JobConflict, run_job

    _pin_once()
    try:
        s = run_job(job.cfg, job.dir, overrides=list(job.overrides), job=dict(job.info))
        status, error, skipped = s.get("status", "failed"), s.get("error"), s.get("skipped")
    except JobConflict as err:
        status, error, skipped = "conflict", str(err), False
    except Exception as err:  # pragma: no cover - run_job records its own failures
        status, error, skipped = "failed", f"{type(err).__name__}: {err}", False
    return _record(job, status, error, skipped=bool(skipped))


def _record(job: PlannedJob, status: str, error: str | None, *, skipped: bool = False) -> dict:
    """A job's status record, as every runner here returns it."""
    return {
        "num": job.info.get("num"),
        "dir": str(job.dir),
        "status": status,
        "error": error,
        "skipped": skipped,
    }


def execute_group(jobs: list[PlannedJob]) -> list[dict[str, Any]]:
    """Run jobs that differ only in their practices or mechanism switches as one batch in this
    process; a status record per job, as :func:`execute` gives (never raises).

    Each job folder ends as :func:`sim.exec.jobs.run_job` would leave it
    (:func:`sim.exec.parallel.run_jobs`). A job that is done, or whose folder holds another
    configuration's result, goes through :func:`execute` (skipped, or a conflict), as do all
    of them if a folder changes under the batch.
    """
    from sim.exec.jobs import JobConflict, config_hash, job_state
    from sim.exec.parallel import run_jobs

    _pin_once()
    ready = {
        str(i): job
        for i, job in enumerate(jobs)
        if job_state(job.dir, config_hash(job.cfg)) in ("missing", "failed")
    }
    if len(ready) < 2:
        return [execute(job) for job in jobs]
    try:
        summaries = run_jobs(ready, workers=1)
    except JobConflict:  # another process wrote a folder meanwhile: each on its own
        return [execute(job) for job in jobs]
    return [
        _record(job, summaries[str(i)].get("status", "failed"), summaries[str(i)].get("error"))
        if str(i) in ready
        else execute(job)
        for i, job in enumerate(jobs)
    ]


def units(items: Iterable[tuple[int, PlannedJob]], workers: int) -> Iterator[Unit]:
    """``items`` (a job and its place) in units a worker runs at once, in order of their first job:
    jobs that differ only in their practices or mechanism switches, up to :data:`GROUP_WORLDS` of
    their replicates (fewer when there are too few to give every worker a share), found among the
    next ``LOOKAHEAD x workers`` jobs; every other job alone. A job is never split.

    >>> from sim.config import to_config
    >>> a, b, c = (to_config(d) for d in ({"regime": {"name": "broadcast"}},
    ...                                   {"regime": {"name": "conversational"}}, {"steps": 5}))
    >>> jobs = [PlannedJob(cfg, Path(str(i))) for i, cfg in enumerate([a, c, b])]
    >>> [[i for i, _ in unit] for unit in units(enumerate(jobs), workers=1)]
    [[0, 2], [1]]
    """
    from sim.config.batching import batch_groups

    items = iter(items)
    while window := list(itertools.islice(items, LOOKAHEAD * max(1, workers))):
        runs = sum(job.cfg.replicates for _, job in window)
        size = max(1, min(GROUP_WORLDS, -(-runs // max(1, workers))))
        groups = batch_groups({str(k): job.cfg for k, (_, job) in enumerate(window)})
        for names in groups:
            unit: Unit = []
            held = 0  # the unit's replicates
            for name in names:
                item = window[int(name)]
                if unit and held + item[1].cfg.replicates > size:
                    yield unit
                    unit, held = [], 0
                unit.append(item)
                held += item[1].cfg.replicates
            yield unit


def record_lost_job(job: PlannedJob, reason: str) -> dict[str, Any]:
    """Write ``summary.json`` as failed for a job whose worker died, unless it had finished.

    The job's process could not write it: the record says why, aggregation counts the job as
    failed (not silently missing) and resume runs it again.
    """
    from sim.exec.jobs import (
        SUMMARY_FILE,
        config_hash,
        job_state,
        new_summary,
        resolved_dict,
        write_json_atomic,
    )

    if job_state(job.dir, config_hash(job.cfg)) == "done":  # it finished just before dying
        return _record(job, "ok", None)
    summary = new_summary(job.dir, overrides=list(job.overrides), job=dict(job.info))
    summary.update(
        error=reason,
        config=resolved_dict(job.cfg),
        config_hash=config_hash(job.cfg),
        traceback=None,
    )
    summary["job"].pop("pid", None)
    Path(job.dir).mkdir(parents=True, exist_ok=True)
    write_json_atomic(Path(job.dir) / SUMMARY_FILE, summary)
    return _record(job, "failed", reason)


def _worker(conn: Any) -> None:
    """Worker loop: receive jobs (one, or several to step as one batch), run them, send their
    status records; stop on None or a closed pipe."""
    # Mesa logs every step at INFO; the parent's logging setup is not inherited here anyway.
    logging.getLogger("MESA").setLevel(logging.WARNING)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        conn.send(execute_group(job))


class _Worker:
    def __init__(self, ctx: Any) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker, args=(child,), daemon=True)
        self.process.start()
        child.close()
        self.unit: Unit | None = None  # the jobs it holds, with their places in the input

    def stop(self, timeout: float = 5.0) -> None:
        try:
            self.conn.send(None)
        except (OSError, ValueError):  # dead, or its connection already closed
            pass
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(timeout)
        self.conn.close()


def _death_reason(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"worker process died ({name}) while running this job"
    return f"worker process exited (status {code}) while running this job"


#: Times a job is handed to a fresh worker after the one before died before it could start.
MAX_HANDOFFS = 3


def _send(w: _Worker) -> bool:
    """Hand ``w`` its jobs; False if the worker is dead (before the jobs, while idle, or during
    the send itself): they never started."""
    if not w.process.is_alive() or w.unit is None:
        return False
    try:
        w.conn.send([job for _, job in w.unit])
    except (OSError, EOFError, ValueError):  # BrokenPipeError, a closed connection
        return False
    return True


def _bury(w: _Worker, pool: list[_Worker]) -> None:
    """Forget a dead (or unreachable) worker; a new one takes its place."""
    if w.process.is_alive():
        w.process.kill()
    w.process.join(5)
    w.conn.close()
    pool.remove(w)


def _collect(w: _Worker, pool: list[_Worker]) -> tuple[Any, bool] | None:
    """The records of ``w``'s finished jobs; ``(reason, True)`` if it died holding them; None
    if they are still running (woken by another worker)."""
    try:
        if w.conn.poll():
            return w.conn.recv(), False
    except (EOFError, OSError):
        pass
    if w.process.is_alive():
        return None
    w.process.join()
    reason = _death_reason(w.process.exitcode)
    _bury(w, pool)
    return reason, True


def run_pool(
    jobs: Iterable[PlannedJob],
    *,
    workers: int = 2,
    on_result: Callable[[PlannedJob, dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Run ``jobs`` on ``workers`` long-lived processes; their status records, in input order.

    ``jobs`` is consumed lazily, :data:`LOOKAHEAD` per worker at a time, so composing the next jobs
    overlaps with running the current ones; those that differ only in their practices or mechanism
    switches run together (:func:`units`). ``on_result(job, record)`` is called as each job ends
    (progress, logging). A worker may die at any moment: before its first jobs, while idle or while
    being handed jobs, they had not started and go to a new worker (at most :data:`MAX_HANDOFFS`
    times); while running several, each runs again alone; while running one, it is recorded as
    failed (:func:`record_lost_job`). The sweep goes on.
    """
    ctx = process_context()
    pending = units(enumerate(jobs), workers)
    requeued: list[Unit] = []
    handoffs: dict[int, int] = {}
    results: dict[int, dict[str, Any]] = {}
    pool: list[_Worker] = []
    exhausted = False

    def finish(unit: Unit, records: list[dict[str, Any]]) -> None:
        for (index, job), record in zip(unit, records, strict=True):
            results[index] = record
            if on_result is not None:
                on_result(job, record)

    def lost(unit: Unit, reason: str) -> None:
        finish(unit, [record_lost_job(job, reason) for _, job in unit])

    def next_unit() -> Unit | None:
        nonlocal exhausted
        if requeued:
            return requeued.pop(0)
        unit = None if exhausted else next(pending, None)
        exhausted = unit is None
        return unit

    def hand_out(w: _Worker) -> None:
        unit = next_unit()
        if unit is None:
            return
        w.unit = unit
        if _send(w):
            return
        _bury(w, pool)
        first = unit[0][0]
        handoffs[first] = handoffs.get(first, 0) + 1
        log.warning(
            "jobs %s: their worker died before they started (%d)",
            [job.info.get("num") for _, job in unit],
            handoffs[first],
        )
        if handoffs[first] >= MAX_HANDOFFS:
            lost(unit, f"{MAX_HANDOFFS} worker processes died before this job could start")
        else:
            requeued.append(unit)

    try:
        while True:
            for w in list(pool):  # hand jobs to every idle worker
                if w.unit is None:
                    hand_out(w)
            if len(pool) < workers and (requeued or not exhausted):
                pool.append(_Worker(ctx))
                continue
            busy = [w for w in pool if w.unit is not None]
            if not busy:
                if exhausted and not requeued:
                    break
                continue
            wait([w.conn for w in busy] + [w.process.sentinel for w in busy])
            for w in busy:
                unit = w.unit
                assert unit is not None  # busy: only this loop takes a worker's jobs away
                outcome = _collect(w, pool)
                if outcome is None:
                    continue
                records, died = outcome
                w.unit = None
                nums = [job.info.get("num") for _, job in unit]
                if died and len(unit) > 1:
                    # One of them may be what killed it (out of memory): each runs again
                    # alone, so that one dies alone and the others finish.
                    log.warning("jobs %s: %s; each runs again alone", nums, records)
                    requeued.extend([item] for item in unit)
                elif died:
                    log.error("job %s: %s", nums[0], records)
                    lost(unit, records)
                else:
                    finish(unit, records)
    finally:
        for w in pool:
            w.stop()
    return [results[i] for i in range(len(results))]


def record_failed_plan(
    num: int, overrides: list[str], job_dir: Path, error: str, *, launcher: str
) -> dict[str, Any]:
    """Record a job whose configuration did not resolve as failed (the others still run).

    A previous failed summary is kept as ``summary.failed-N.json``; an ok result is left
    alone and reported as a conflict (the sweep changed under a finished job).
    """
    import os

    from sim.exec.jobs import SUMMARY_FILE, new_summary, read_summary, write_json_atomic

    base = {"num": num, "dir": str(job_dir), "skipped": False}
    previous = read_summary(job_dir)
    if previous is not None and previous.get("status") == "ok":
        return {
            **base,
            "status": "conflict",
            "error": f"{job_dir} holds an ok result and this job does not resolve: {error}",
        }
    info = {"num": num, "mode": "multirun", "launcher": launcher}
    summary = new_summary(job_dir, overrides=overrides, job=info)
    summary["error"] = error
    Path(job_dir).mkdir(parents=True, exist_ok=True)
    if previous is not None:
        n = 1
        while (Path(job_dir) / f"summary.failed-{n}.json").exists():
            n += 1
        os.replace(Path(job_dir) / SUMMARY_FILE, Path(job_dir) / f"summary.failed-{n}.json")
    write_json_atomic(Path(job_dir) / SUMMARY_FILE, summary)
    return {**base, "status": "failed", "error": error}
