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

import logging
import os
import signal
from collections.abc import Callable, Iterable
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

from sim.exec.parallel import PlannedJob, process_context

__all__ = ["execute", "record_failed_plan", "record_lost_job", "run_pool"]

log = logging.getLogger(__name__)


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
    return {
        "num": job.info.get("num"),
        "dir": str(job.dir),
        "status": status,
        "error": error,
        "skipped": bool(skipped),
    }


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

    base = {"num": job.info.get("num"), "dir": str(job.dir), "skipped": False}
    if job_state(job.dir, config_hash(job.cfg)) == "done":  # it finished just before dying
        return {**base, "status": "ok", "error": None}
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
    return {**base, "status": "failed", "error": reason}


def _worker(conn: Any) -> None:
    """Worker loop: receive a job, run it, send its status; stop on None or a closed pipe."""
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
        conn.send(execute(job))


class _Worker:
    def __init__(self, ctx: Any) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker, args=(child,), daemon=True)
        self.process.start()
        child.close()
        self.job: PlannedJob | None = None
        self.index = -1  # the job's position in the input, for the results' order

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
    """Hand ``w`` its job; False if the worker is dead (before the job, while idle, or during
    the send itself): the job never started."""
    if not w.process.is_alive():
        return False
    try:
        w.conn.send(w.job)
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
    """The record of ``w``'s finished job; ``(reason, True)`` if it died holding the job; None
    if it is still running (woken by another worker)."""
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

    ``jobs`` is consumed lazily, so composing the next job overlaps with running the current
    ones. ``on_result(job, record)`` is called as each job ends (progress, logging). A worker
    may die at any moment: before its first job, while idle or while being handed a job, the
    job had not started and goes to a new worker (at most :data:`MAX_HANDOFFS` times); while
    running one, that job is recorded as failed (:func:`record_lost_job`). The sweep goes on.
    """
    ctx = process_context()
    pending = enumerate(jobs)
    requeued: list[tuple[int, PlannedJob]] = []
    handoffs: dict[int, int] = {}
    results: dict[int, dict[str, Any]] = {}
    pool: list[_Worker] = []
    exhausted = False

    def finish(index: int, job: PlannedJob, record: dict[str, Any]) -> None:
        results[index] = record
        if on_result is not None:
            on_result(job, record)

    def next_job() -> tuple[int, PlannedJob] | None:
        nonlocal exhausted
        if requeued:
            return requeued.pop(0)
        item = None if exhausted else next(pending, None)
        exhausted = item is None
        return item

    def hand_out(w: _Worker) -> None:
        item = next_job()
        if item is None:
            return
        w.index, w.job = item
        if _send(w):
            return
        index, job = item
        _bury(w, pool)
        handoffs[index] = handoffs.get(index, 0) + 1
        log.warning(
            "job %s: its worker died before the job started (%d)",
            job.info.get("num"),
            handoffs[index],
        )
        if handoffs[index] >= MAX_HANDOFFS:
            finish(
                index,
                job,
                record_lost_job(
                    job, f"{MAX_HANDOFFS} worker processes died before this job could start"
                ),
            )
        else:
            requeued.append(item)

    try:
        while True:
            for w in list(pool):  # hand a job to every idle worker
                if w.job is None:
                    hand_out(w)
            if len(pool) < workers and (requeued or not exhausted):
                pool.append(_Worker(ctx))
                continue
            busy = [w for w in pool if w.job is not None]
            if not busy:
                if exhausted and not requeued:
                    break
                continue
            wait([w.conn for w in busy] + [w.process.sentinel for w in busy])
            for w in busy:
                index, job = w.index, w.job
                assert job is not None  # busy: only this loop takes a worker's job away
                outcome = _collect(w, pool)
                if outcome is None:
                    continue
                record, died = outcome
                w.job = None
                if died:
                    log.error("job %s: %s", job.info.get("num"), record)
                    record = record_lost_job(job, record)
                finish(index, job, record)
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
