"""The sweep as one Parquet dataset: read whole by every reader, typed, complete, incremental."""

from __future__ import annotations

import os

import pandas as pd
import pyarrow.parquet as pq
import pytest
from faults.inject import install as install_fault_hooks

from sim.exec.dataset import write_dataset
from sim.exec.jobs import run_job
from sim.studies.aggregate import aggregate

install_fault_hooks()  # AGORA_FAIL_IF / AGORA_KILL_IF (tests/faults/inject.py)

TINY = {"steps": 4, "org": {"size": 30}, "stakeholders": {"count": 5}, "replicates": 2}


def make_sweep(root, jobs):
    """Jobs ``(regime, seed)`` in order, as a sweep over regime and seed would leave them."""
    for num, (regime, seed) in enumerate(jobs):
        run_job(
            {**TINY, "regime": {"name": regime}, "seed": seed},
            root / str(num),
            overrides=[f"regime={regime}", f"seed={seed}"],
            job={"num": num},
        )


JOBS = [
    ("broadcast", 0),
    ("conversational", 0),
    ("broadcast", 1),
    ("conversational", 1),
    ("hybrid", 2),
]


def test_dataset_reads_whole_with_typed_swept_columns(tmp_path, monkeypatch):
    monkeypatch.setenv("AGORA_FAIL_IF", "seed=2")  # the hybrid job fails: no rows for it
    make_sweep(tmp_path, JOBS)
    aggregate(tmp_path, plots=False)
    folder = tmp_path / "dataset"
    frame = pd.read_parquet(folder)
    assert len(frame) == 4 * 2 * 5  # ok jobs x replicates x (steps + 1)
    assert list(frame.columns[:7]) == [
        "job",
        "regime",
        "root_seed",
        "condition",
        "replicate",
        "seed",
        "step",
    ]
    assert frame["root_seed"].dtype == "Int64" and frame["regime"].dtype == "string"
    assert set(frame["condition"]) == {"regime=broadcast", "regime=conversational"}
    # the same rows as the single-file time series, in the same order
    ts = pd.read_parquet(tmp_path / "timeseries.parquet")
    pd.testing.assert_frame_equal(frame.reset_index(drop=True), ts.reset_index(drop=True))
    table = pq.read_table(folder)
    assert table.num_rows == len(frame)
    finals = frame[frame["step"] == 4].groupby("regime")["trust"].mean()
    assert set(finals.index) == {"broadcast", "conversational"}


def test_duckdb_and_polars_read_it_in_one_call(tmp_path):
    make_sweep(tmp_path, JOBS[:4])
    write_dataset(tmp_path)
    glob = f"{tmp_path / 'dataset'}/*.parquet"
    expected = pd.read_parquet(tmp_path / "dataset")
    duckdb = pytest.importorskip("duckdb")
    got = duckdb.sql(
        f"SELECT regime, count(*) AS n, avg(trust) AS t FROM '{glob}' "
        "GROUP BY regime ORDER BY regime"
    ).fetchall()
    want = expected.groupby("regime")["trust"].agg(["count", "mean"])
    assert [(r, n) for r, n, _ in got] == [(r, n) for r, n in want["count"].items()]
    assert [t for *_, t in got] == pytest.approx(list(want["mean"]))
    pl = pytest.importorskip("polars")
    lazy = pl.scan_parquet(glob).filter(pl.col("root_seed") == 1).collect()
    assert lazy.height == len(expected[expected["root_seed"] == 1]) == 2 * 2 * 5


def test_parts_rewritten_only_when_their_jobs_change(tmp_path):
    make_sweep(tmp_path, JOBS[:3])
    first = write_dataset(tmp_path, part_jobs=2)
    assert [p.name for p in first.parts] == ["part-000000.parquet", "part-000002.parquet"]
    assert first.parts_written == 2
    mtimes = {p: p.stat().st_mtime_ns for p in first.parts}
    again = write_dataset(tmp_path, part_jobs=2)
    assert again.parts_written == 0 and again.rows_written == 0
    # a fourth job lands in the second part only
    run_job(
        {**TINY, "regime": {"name": "conversational"}, "seed": 1},
        tmp_path / "3",
        overrides=["regime=conversational", "seed=1"],
        job={"num": 3},
    )
    third = write_dataset(tmp_path, part_jobs=2)
    assert third.parts_written == 1
    assert first.parts[0].stat().st_mtime_ns == mtimes[first.parts[0]]
    frame = pd.read_parquet(tmp_path / "dataset")
    assert sorted(frame["job"].unique()) == [0, 1, 2, 3]
    assert not frame.duplicated(["job", "replicate", "step"]).any()
    # no temporary files left for a reader's glob to pick up
    assert sorted(os.listdir(tmp_path / "dataset")) == [
        "part-000000.parquet",
        "part-000002.parquet",
    ]
