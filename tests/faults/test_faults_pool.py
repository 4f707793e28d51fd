"""The pool launcher's engine survives a worker dying at any moment (issue 25, item 6).

Before its first job, while idle, while being handed a job (the send itself) and while
running one: the job is handed to a new worker, or recorded as failed, and the sweep goes on.
While running several jobs stepped as one batch: each runs again alone.
Before the fix a death before the first job or while idle raised BrokenPipeError in the
parent and no job ran.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

import sim.exec.pool as pool_module
from sim.config import to_config
from sim.exec.jobs import LOCK_FILE, read_summary
from sim.exec.locks import read_lock
from sim.exec.parallel import PlannedJob
from sim.exec.pool import run_pool

TINY = {"steps": 3, "org": {"size": 30}, "stakeholders": {"count": 5}}

pytestmark = pytest.mark.slow


def _jobs(tmp_path, n=3, steps=3, pad=0):
    return [
        PlannedJob(
            to_config({**TINY, "steps": steps, "seed": i}),
            tmp_path / str(i),
            overrides=[f"seed={i}"],
            info={"num": i, "pad": "x" * pad},
        )
        for i in range(n)
    ]


@pytest.fixture
def started(monkeypatch):
    """Every worker the pool starts, in order; ``hooks`` run on each as it starts."""
    made: list = []
    hooks: list = []
    original = pool_module._Worker.__init__

    def init(self, ctx):
        original(self, ctx)
        made.append(self)
        for hook in hooks:
            hook(self, len(made))

    monkeypatch.setattr(pool_module._Worker, "__init__", init)
    return made, hooks


def _kill(process):
    os.kill(process.pid, signal.SIGKILL)
    process.join(10)


def _all_ok(records, tmp_path, n):
    assert [r["status"] for r in records] == ["ok"] * n, records
    assert [read_summary(tmp_path / str(i))["status"] for i in range(n)] == ["ok"] * n


def test_a_worker_dead_before_its_first_job(tmp_path, started):
    made, hooks = started
    hooks.append(lambda w, k: _kill(w.process) if k == 1 else None)
    records = run_pool(_jobs(tmp_path), workers=2)
    _all_ok(records, tmp_path, 3)
    assert len(made) >= 3  # the dead one was replaced


def test_a_worker_dead_while_idle(tmp_path, started):
    made, _ = started
    killed = []

    def on_result(job, record):
        if not killed:  # the worker that has just answered is idle now: kill it
            idle = [w for w in made if w.unit is None and w.process.is_alive()]
            _kill(idle[0].process)
            killed.append(idle[0])

    records = run_pool(_jobs(tmp_path, n=4), workers=2, on_result=on_result)
    assert killed
    _all_ok(records, tmp_path, 4)


def test_a_worker_dead_during_the_send(tmp_path, started):
    """The first worker is stopped (it reads nothing), so handing it a job of several MB
    blocks in the send; it is killed while the parent is still writing."""
    made, hooks = started

    def stop_then_kill(w, k):
        if k == 1:
            os.kill(w.process.pid, signal.SIGSTOP)
            threading.Timer(1.0, os.kill, (w.process.pid, signal.SIGKILL)).start()

    hooks.append(stop_then_kill)
    records = run_pool(_jobs(tmp_path, pad=8_000_000), workers=1)
    _all_ok(records, tmp_path, 3)
    assert made[0].process.exitcode == -signal.SIGKILL


def _kill_once_running(tmp_path, job: str, killed: list) -> threading.Thread:
    """Kill, once, the worker holding job ``job`` (its folder's lock names the pid)."""

    def kill_when_running():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not killed:
            info = read_lock(tmp_path / job / LOCK_FILE)
            if info and info.get("pid") and info["pid"] != os.getpid():
                os.kill(int(info["pid"]), signal.SIGKILL)
                killed.append(info["pid"])
            time.sleep(0.01)

    killer = threading.Thread(target=kill_when_running, daemon=True)
    killer.start()
    return killer


def test_a_worker_dead_mid_job_fails_that_job_only(tmp_path):
    # Jobs of different lengths: each runs alone (they cannot step as one batch).
    jobs = [job for steps in (400, 401, 402) for job in _jobs(tmp_path, n=3, steps=steps)]
    jobs = [jobs[0], jobs[4], jobs[8]]  # job i runs 400 + i steps
    killed: list = []
    killer = _kill_once_running(tmp_path, "1", killed)
    records = run_pool(jobs, workers=2)
    killer.join(5)
    assert killed
    assert [r["status"] for r in records] == ["ok", "failed", "ok"], records
    assert "SIGKILL" in records[1]["error"] and "SIGKILL" in read_summary(tmp_path / "1")["error"]


def test_a_worker_dead_holding_several_jobs_runs_each_again_alone(tmp_path, started):
    made, _ = started
    jobs = _jobs(tmp_path, n=3, steps=400)  # seeds 0-2: one batch on the one worker
    killed: list = []
    killer = _kill_once_running(tmp_path, "1", killed)
    records = run_pool(jobs, workers=1)
    killer.join(5)
    assert killed
    _all_ok(records, tmp_path, 3)  # the death was not theirs: each ran again and finished
    assert len(made) == 2


def test_workers_that_always_die_fail_the_job_not_the_sweep(tmp_path, started):
    _, hooks = started
    hooks.append(lambda w, k: _kill(w.process))  # no worker ever lives
    records = run_pool(_jobs(tmp_path, n=2), workers=1)
    assert [r["status"] for r in records] == ["failed", "failed"]
    assert "died before this job could start" in read_summary(tmp_path / "0")["error"]
