"""Corrupted and truncated results, broken locks, a full disk, huge sizes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import tracemalloc
from pathlib import Path

import pandas as pd
import pytest
from conftest import counting_lines

from sim.config import ConfigError, to_config
from sim.exec.jobs import LOCK_FILE, METRICS_FILE, SUMMARY_FILE, job_state, read_summary, run_job

from .helpers import run

TINY = {"steps": 3, "org": {"size": 30}, "stakeholders": {"count": 5}, "replicates": 2}


def _sweep(tmp_path, n=2):
    for i in range(n):
        assert (
            run_job({**TINY, "seed": i}, tmp_path / "S" / str(i), job={"num": i})["status"] == "ok"
        )
    return tmp_path / "S"


def _aggregate_statuses(sweep):
    from sim.studies.aggregate import aggregate

    aggregate(sweep, sweep.parent / "agg", plots=False, timeseries=False)
    jobs = pd.read_csv(sweep.parent / "agg" / "jobs.csv")
    return dict(zip(jobs["job"], jobs["status"], strict=True)), dict(
        zip(jobs["job"], jobs["error"], strict=True)
    )


def test_swapped_results_are_caught_by_their_checksums(tmp_path):
    sweep = _sweep(tmp_path, n=3)
    a, b = sweep / "1" / METRICS_FILE, sweep / "2" / METRICS_FILE
    data_a, data_b = a.read_bytes(), b.read_bytes()
    a.write_bytes(data_b)
    b.write_bytes(data_a)
    statuses, errors = _aggregate_statuses(sweep)
    assert statuses == {0: "ok", 1: "failed", 2: "failed"}
    assert METRICS_FILE in errors[1] and METRICS_FILE in errors[2]
    for i in (1, 2):
        assert job_state(sweep / str(i), read_summary(sweep / str(i))["config_hash"]) == "failed"


@pytest.mark.parametrize("size", [0, 100])
def test_truncated_results_are_rerun_not_skipped(tmp_path, size):
    sweep = _sweep(tmp_path, n=1)
    path = sweep / "0" / METRICS_FILE
    data = path.read_bytes()
    path.write_bytes(data[:size] if size >= 0 else data[:size])
    again = run_job({**TINY, "seed": 0}, sweep / "0", job={"num": 0})
    assert again["status"] == "ok" and not again["skipped"]
    assert len(pd.read_parquet(path)) == 2 * (3 + 1)


def test_an_old_summary_without_checksum_is_checked_by_row_count(tmp_path):
    sweep = _sweep(tmp_path, n=1)
    summary = read_summary(sweep / "0")
    del summary["metrics_file"]
    (sweep / "0" / SUMMARY_FILE).write_text(json.dumps(summary))
    assert job_state(sweep / "0", summary["config_hash"]) == "done"
    frame = pd.read_parquet(sweep / "0" / METRICS_FILE)
    frame.iloc[:-1].to_parquet(sweep / "0" / METRICS_FILE, index=False)
    assert job_state(sweep / "0", summary["config_hash"]) == "failed"


@pytest.mark.parametrize(
    "summary",
    [
        [],
        {"status": "ok"},
        {"status": "ok", "config": 3},
        {"status": "ok", "config": {"steps": 3, "replicates": 2}, "seeds": "x"},
    ],
)
def test_malformed_summaries_are_failed_jobs(tmp_path, summary):
    sweep = _sweep(tmp_path)
    chash = read_summary(sweep / "1")["config_hash"]
    if isinstance(summary, dict) and summary:
        summary["config_hash"] = chash
    (sweep / "1" / SUMMARY_FILE).write_text(json.dumps(summary))
    statuses, _ = _aggregate_statuses(sweep)
    assert statuses[0] == "ok" and statuses.get(1, "failed") == "failed"
    assert run_job({**TINY, "seed": 1}, sweep / "1", job={"num": 1})["status"] == "ok"


def test_a_garbage_lock_file_is_broken_once_old(tmp_path):
    (tmp_path / "job").mkdir()
    lock = tmp_path / "job" / LOCK_FILE
    lock.write_text("\x00garbage")
    old = time.time() - 60
    os.utime(lock, (old, old))
    assert run_job(TINY, tmp_path / "job")["status"] == "ok"
    assert not lock.exists()


def test_a_lock_of_a_live_process_on_another_host_is_respected(tmp_path):
    from sim.exec.jobs import JobConflict

    (tmp_path / "job").mkdir()
    (tmp_path / "job" / LOCK_FILE).write_text(
        json.dumps({"pid": 1, "host": "elsewhere", "config_hash": "other", "since": time.time()})
    )
    with pytest.raises(JobConflict, match="pid 1 on host elsewhere"):
        run_job(TINY, tmp_path / "job")
    assert not (tmp_path / "job" / SUMMARY_FILE).exists()


def test_leftover_temporary_files_are_removed_by_the_next_job(tmp_path):
    job = tmp_path / "job"
    job.mkdir()
    (job / ".metrics.tmp-99999999.parquet").write_bytes(b"half")
    assert run_job(TINY, job)["status"] == "ok"
    assert not list(job.glob(".*.tmp-*"))


# --------------------------------------------------------------------------- full disk


@pytest.fixture
def full_disk():
    """A 1 MiB tmpfs (root only), nearly filled; unmounted afterwards."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    where = Path(tempfile.mkdtemp(prefix="agora-full-"))
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        where.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        filler = where / "filler"
        with open(filler, "wb") as fh:  # leave about 8 KB free
            fh.write(b"\0" * (1024 * 1024 - 8 * 1024))
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=False)
        where.rmdir()


def _temporaries(root: Path) -> list[Path]:
    return [p for p in root.rglob(".*") if ".tmp-" in p.name]


def test_aggregate_on_a_full_disk_leaves_no_temporary_files(tmp_path, full_disk):
    from sim.studies.aggregate import aggregate

    sweep = _sweep(tmp_path)
    with pytest.raises(OSError):
        aggregate(sweep, full_disk / "agg", plots=False)
    assert _temporaries(full_disk) == []


def test_a_job_on_a_full_disk_fails_cleanly(full_disk):
    job = full_disk / "job"
    try:
        summary = run_job({**TINY, "steps": 200, "replicates": 3}, job)
        assert summary["status"] == "failed" and "No space left" in summary["error"]
    except OSError as err:  # not even the lock file fits
        assert err.errno == 28
    assert _temporaries(full_disk) == []
    assert not (job / METRICS_FILE).exists() or read_summary(job)["status"] != "ok"
    assert not (job / LOCK_FILE).exists()


# --------------------------------------------------------------------------- huge sizes


@pytest.mark.parametrize(
    "update",
    [
        {"org": {"size": 10**8}},
        {"stakeholders": {"count": 10**8}},
        {"replicates": 10**8},
        {"network": {"peer_degree": 10**8}},
        {"environment": {"dims": 10**8}},
        {"steps": 10**9},
        {"org": {"size": None}, "hierarchy": {"span": 10**5, "depth": 12}},
        {"org": {"count": 100, "size": 10**6}},
        {"network": {"cross_unit_degree": 1e5}},
    ],
)
def test_huge_sizes_are_refused_within_a_second_without_allocating(update):
    from sim import simulate

    cfg = _replace(to_config({}), update)  # composed outside the count
    with (
        counting_lines() as lines,
        pytest.raises(ConfigError, match="this run needs|is out of range"),
    ):
        simulate(cfg)
    tracemalloc.start()  # separately: tracing slows Python several times over
    with pytest.raises(ConfigError, match="this run needs|is out of range"):
        simulate(cfg)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # Refused before any work: a few thousand lines of Python (under a second anywhere), not a
    # pass over the sizes asked for, and no large allocation.
    assert lines.count < 100_000 and peak < 10e6


def _replace(obj, update):
    import dataclasses

    changes = {
        k: _replace(getattr(obj, k), v) if isinstance(v, dict) else v for k, v in update.items()
    }
    return dataclasses.replace(obj, **changes)


@pytest.mark.slow
def test_huge_sizes_are_refused_by_the_app_before_any_job(tmp_path):
    proc = run([f"hydra.run.dir={tmp_path / 'run'}", "org.size=100000000"])
    assert proc.returncode != 0 and "org.size=100000000" in proc.stderr
    assert "limits.memory_gb" in proc.stderr
    assert not (tmp_path / "run").exists()
