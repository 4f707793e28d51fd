"""What a job does besides simulating, made cheaper without changing what it writes (issue 26).

Each shortcut is checked against the slower way it replaces: the Parquet file's bytes against
pandas' own ``to_parquet``, the summary's statistics against computing them again from the
file's rows, the seeds against ``drop_duplicates``, the BLAS thread count against a live
change of the limit.
"""

from __future__ import annotations

import hashlib
import io
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import simulate
from sim.config import to_config
from sim.exec import jobs
from sim.exec.jobs import METRICS_FILE, SUMMARY_FILE, run_job, verify_result

SMALL = {"steps": 6, "replicates": 3, "org": {"size": 30}, "stakeholders": {"count": 5}}


def plain(value):
    """As summary.json stores it: NaN (no value at all in a window) as null, so it compares."""
    return json.loads(json.dumps(jobs._jsonable(value)))


@pytest.fixture(scope="module")
def result():
    return simulate(SMALL)


def test_parquet_bytes_are_those_pandas_writes(result, tmp_path):
    frame = result.metrics
    record = jobs._write_parquet_atomic(tmp_path / METRICS_FILE, frame)
    written = (tmp_path / METRICS_FILE).read_bytes()
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    assert written == buffer.getvalue()
    assert record["bytes"] == len(written)
    assert record["sha256"] == hashlib.sha256(written).hexdigest()
    assert (record["rows"], record["replicates"]) == (len(frame), 3)
    back = pd.read_parquet(tmp_path / METRICS_FILE)
    pd.testing.assert_frame_equal(back, frame)


def test_parquet_of_a_frame_with_text_goes_through_pandas(tmp_path):
    frame = pd.DataFrame({"replicate": [0, 0, 1], "arm": ["a", "b", "c"], "x": [1.0, 2.5, 3.0]})
    record = jobs._write_parquet_atomic(tmp_path / "t.parquet", frame)
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    assert (tmp_path / "t.parquet").read_bytes() == buffer.getvalue()
    assert record["replicates"] == 2
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "t.parquet"), frame)


def test_two_layouts_keep_their_own_pandas_metadata(tmp_path):
    a = pd.DataFrame({"replicate": [0, 1], "x": [1.0, 2.0]})
    b = pd.DataFrame({"replicate": [0, 1], "x": [1, 2]})  # same names, another dtype
    for name, frame in (("a", a), ("b", b), ("a2", a)):
        jobs._write_parquet_atomic(tmp_path / f"{name}.parquet", frame)
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        assert (tmp_path / f"{name}.parquet").read_bytes() == buffer.getvalue()
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / f"{name}.parquet"), frame)


def test_seeds_in_order_of_first_appearance():
    frame = pd.DataFrame({"replicate": [2, 2, 0, 1, 0, 1], "seed": [7, 7, 5, 9, 5, 9]})
    expected = [int(s) for s in frame.drop_duplicates("replicate")["seed"]]
    assert jobs._replicate_seeds(frame) == expected == [7, 5, 9]


def test_summary_statistics_reused_from_simulate_equal_recomputed(result, tmp_path):
    cfg = to_config(SMALL)
    given = jobs.write_job_result(
        tmp_path / "given",
        cfg,
        result.metrics,
        jobs.new_summary(tmp_path / "given"),
        wall_time=1.0,
        stats=result.summary,
    )
    again = jobs.write_job_result(
        tmp_path / "again",
        cfg,
        result.metrics,
        jobs.new_summary(tmp_path / "again"),
        wall_time=1.0,
    )
    for key in ("window", "metrics", "final", "seeds", "config_hash", "metrics_file"):
        assert plain(given[key]) == plain(again[key]), key
    assert verify_result(tmp_path / "given", given) is None


def test_a_job_records_what_its_rows_say(tmp_path):
    """The summary run_job writes (statistics taken from simulate) matches its own file."""
    summary = run_job(SMALL, tmp_path)
    assert summary["status"] == "ok"
    rows = pd.read_parquet(tmp_path / METRICS_FILE)
    on_disk = json.loads((tmp_path / SUMMARY_FILE).read_text())
    assert on_disk["metrics"] == plain(jobs._outcome_stats(rows)["metrics"])
    assert on_disk["seeds"] == [int(s) for s in rows.drop_duplicates("replicate")["seed"]]
    assert on_disk["config_hash"] == jobs.config_hash(to_config(SMALL))
    assert (tmp_path / SUMMARY_FILE).read_text() == json.dumps(
        jobs._jsonable(on_disk), indent=2, allow_nan=False
    ) + "\n"


def test_blas_threads_reads_the_live_count():
    from threadpoolctl import threadpool_info, threadpool_limits

    from sim.util.threads import blas_threads, pin_threads

    pin_threads()
    assert blas_threads() == 1
    if not threadpool_info():
        pytest.skip("no BLAS or OpenMP library loaded")  # pragma: no cover - numpy has one
    with threadpool_limits(limits=2):
        expected = max(int(lib["num_threads"]) for lib in threadpool_info())
        assert blas_threads() == expected
    assert blas_threads() == 1


def test_execute_pins_its_process_once(tmp_path, monkeypatch):
    from sim.exec import pool
    from sim.exec.parallel import PlannedJob
    from sim.util import threads

    calls = []
    monkeypatch.setattr(pool, "_pinned_pid", None)
    monkeypatch.setattr(threads, "pin_threads", lambda: calls.append(1))
    cfg = to_config({**SMALL, "replicates": 1})
    for n in range(2):
        record = pool.execute(PlannedJob(cfg, tmp_path / str(n), info={"num": n}))
        assert record["status"] == "ok"
    assert calls == [1]
    assert np.isfinite(json.loads((tmp_path / "1" / SUMMARY_FILE).read_text())["cpu_time"])


def test_a_driver_job_records_its_replicates_cpu_seconds(tmp_path):
    """run_jobs (the regime comparison's driver) records cpu_time as run_job does."""
    from sim.exec.jobs import replicate_task
    from sim.exec.parallel import PlannedJob, run_jobs

    cfg = to_config(SMALL)
    rows, wall, cpu = replicate_task(cfg, 0, [11])
    assert len(rows) == SMALL["steps"] + 1 and wall > 0 and cpu > 0
    [summary] = run_jobs({"a": PlannedJob(cfg, tmp_path / "a")}, workers=1).values()
    assert summary["status"] == "ok"
    assert 0 < summary["cpu_time"] and np.isfinite(summary["cpu_time"])


# --- a sweep's jobs that differ only in their practices or switches step together (pool.units) ---

_PRACTICE_AXES = st.fixed_dictionaries(
    {
        "regime": st.sampled_from(["broadcast", "conversational", "hybrid"]),
        "seed": st.integers(0, 3),
        "steps": st.sampled_from([4, 5]),  # not a practice: a job of another length stands apart
        "replicates": st.integers(1, 12),
    }
)


@settings(max_examples=25, deadline=None)
@given(points=st.lists(_PRACTICE_AXES, min_size=1, max_size=8), workers=st.integers(1, 3))
def test_units_hold_every_job_once_whole_and_only_with_jobs_it_can_step_with(points, workers):
    from pathlib import Path

    from sim.config.batching import shared_part
    from sim.exec.parallel import GROUP_WORLDS, PlannedJob
    from sim.exec.pool import units

    jobs = [
        PlannedJob(
            to_config(
                {
                    **SMALL,
                    "steps": p["steps"],
                    "seed": p["seed"],
                    "replicates": p["replicates"],
                    "regime": {"name": p["regime"]},
                }
            ),
            Path(str(i)),
        )
        for i, p in enumerate(points)
    ]
    got = list(units(enumerate(jobs), workers))
    assert sorted(i for unit in got for i, _ in unit) == list(range(len(jobs)))
    for unit in got:
        assert [i for i, _ in unit] == sorted(i for i, _ in unit)
        if len(unit) > 1:
            first = shared_part(unit[0][1].cfg)
            assert all(shared_part(job.cfg) == first for _, job in unit)
            assert sum(job.cfg.replicates for _, job in unit) <= GROUP_WORLDS
    # The jobs of one length go together, whatever lies between, when their replicates fit.
    short = [i for i, p in enumerate(points) if p["steps"] == 4]
    runs = sum(p["replicates"] for p in points)
    fits = sum(points[i]["replicates"] for i in short) <= min(GROUP_WORLDS, -(-runs // workers))
    if len(short) > 1 and fits:
        assert any([i for i, _ in unit] == short for unit in got), got


def test_a_pool_sweep_of_practices_and_seeds_writes_what_each_job_writes_alone(tmp_path):
    from sim.exec.parallel import PlannedJob
    from sim.exec.pool import run_pool

    points = [(r, s) for s in (0, 1) for r in ("broadcast", "conversational", "hybrid")]
    cfgs = [to_config({**SMALL, "seed": s, "regime": {"name": r}}) for r, s in points]
    jobs = [
        PlannedJob(cfg, tmp_path / "sweep" / str(i), overrides=[f"n={i}"], info={"num": i})
        for i, cfg in enumerate(cfgs)
    ]
    records = run_pool(jobs, workers=2)
    assert [(r["num"], r["status"], r["skipped"]) for r in records] == [
        (i, "ok", False) for i in range(len(jobs))
    ]
    for i, cfg in enumerate(cfgs):
        run_job(cfg, tmp_path / "alone" / str(i))
        alone = json.loads((tmp_path / "alone" / str(i) / SUMMARY_FILE).read_text())
        pooled = json.loads((tmp_path / "sweep" / str(i) / SUMMARY_FILE).read_text())
        for key in ("status", "config_hash", "config", "seeds", "metrics", "final"):
            assert pooled[key] == alone[key], (i, key)
        assert pooled["job"]["num"] == i and pooled["job"]["overrides"] == [f"n={i}"]
        pd.testing.assert_frame_equal(
            pd.read_parquet(tmp_path / "sweep" / str(i) / METRICS_FILE),
            pd.read_parquet(tmp_path / "alone" / str(i) / METRICS_FILE),
        )
        assert verify_result(tmp_path / "sweep" / str(i), pooled) is None
    # Run again: every job is found done and skipped, nothing rewritten.
    again = run_pool(jobs, workers=2)
    assert all(r["status"] == "ok" and r["skipped"] for r in again)
