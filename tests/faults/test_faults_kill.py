"""Killed processes: the parent of a parallel sweep, a worker of a replicate pool."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from sim.config import to_config
from sim.exec.jobs import LOCK_FILE, read_summary
from sim.exec.locks import read_lock

from .helpers import alive, descendants, start, wait_for


@pytest.mark.slow
def test_killing_the_parent_of_a_joblib_sweep_stops_its_workers(tmp_path):
    sweep = tmp_path / "S"
    # Jobs long enough to be running when the parent dies.
    parent = start(
        [
            "-m",
            "hydra/launcher=local_parallel",
            "hydra.launcher.n_jobs=2",
            f"hydra.sweep.dir={sweep}",
            "steps=3000",
            "org.size=400",
            "stakeholders.count=10",
            "seed=0,1",
        ]
    )
    try:
        wait_for(
            lambda: len(list(sweep.glob(f"*/{LOCK_FILE}"))) >= 1 or parent.poll() is not None,
            120,
            "a worker to start a job",
        )
        assert parent.poll() is None, parent.communicate()[0]
        workers = descendants(parent.pid)
        assert workers
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        # Each worker notices within a second, interrupts its job, and is gone after at most
        # the grace period (3 s).
        wait_for(lambda: not any(alive(p) for p in workers), 40, "the workers to stop")
    finally:
        for p in descendants(parent.pid):
            os.kill(p, signal.SIGKILL)
    # The interrupted jobs released their locks (or left a stale one a new job breaks) and
    # wrote no result.
    for lock in sweep.glob(f"*/{LOCK_FILE}"):
        info = read_lock(lock) or {}
        assert not alive(int(info.get("pid", 0)))
    assert not [s for s in sweep.glob("*/summary.json") if read_summary(s.parent)["status"] == "ok"]


@pytest.mark.slow
def test_a_killed_pool_worker_fails_its_jobs_and_a_rerun_completes_them(tmp_path):
    from sim.exec.parallel import PlannedJob, run_jobs

    cfg = to_config(
        {"steps": 400, "org": {"size": 300}, "stakeholders": {"count": 10}, "replicates": 2}
    )
    jobs = {
        f"j{i}": PlannedJob(to_config({**_plain(cfg), "seed": i}), tmp_path / f"j{i}")
        for i in range(2)
    }
    killed = []

    def kill_a_worker():
        me = os.getpid()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not killed:
            # forkserver: our child is the server, its children are the workers.
            grandchildren = [p for p in descendants(me) if p not in _children(me)]
            if grandchildren:
                time.sleep(0.5)  # let it start a replicate
                os.kill(grandchildren[0], signal.SIGKILL)
                killed.append(grandchildren[0])
            time.sleep(0.05)

    killer = threading.Thread(target=kill_a_worker, daemon=True)
    killer.start()
    first = run_jobs(jobs, workers=2)
    killer.join(timeout=5)
    assert killed
    assert any(s["status"] == "failed" for s in first.values())
    for s in first.values():
        if s["status"] == "failed":
            assert "terminated abruptly" in s["error"] or "BrokenProcessPool" in s["error"]
    assert not list(tmp_path.glob(f"*/{LOCK_FILE}"))
    assert not list(tmp_path.glob("*/.*.tmp-*"))
    again = run_jobs(jobs, workers=1)
    assert {s["status"] for s in again.values()} == {"ok"}
    assert list(tmp_path.glob("*/summary.failed-1.json"))  # the failure is kept, not lost


def _plain(cfg):
    from sim.exec.jobs import resolved_dict

    plain = resolved_dict(cfg)
    plain.pop("interventions")
    return plain


def _children(pid):
    return [p for p in descendants(pid) if _ppid(p) == pid]


def _ppid(pid):
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return int(fh.read().rsplit(b")", 1)[1].split()[1])
    except OSError:
        return -1
