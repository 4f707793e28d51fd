"""Aggregation of a sweep directory: rows, statistics against naive references, streaming."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml
from faults.inject import install as install_fault_hooks
from hypothesis import given, settings
from hypothesis import strategies as st

import sim.studies.aggregate as agg
from sim import MODEL_VERSION
from sim.exec.jobs import run_job
from sim.rules.catalogue import record
from sim.studies.aggregate import aggregate, summarise_finals
from sim.util.stats import mean_ci

install_fault_hooks()  # AGORA_FAIL_IF / AGORA_KILL_IF (tests/faults/inject.py)

BASE = {"steps": 10, "org": {"size": 30}, "stakeholders": {"count": 6}, "replicates": 3}
REGIMES = ["broadcast", "conversational"]


def _make_sweep(root, *, fail=None, drop=None):
    """A sweep as Hydra lays it out: multirun.yaml, <num>/.hydra/overrides.yaml, results."""
    task = ["regime=" + ",".join(REGIMES), "seed=0,1", "steps=10"]
    (root).mkdir(parents=True, exist_ok=True)
    (root / "multirun.yaml").write_text(
        yaml.safe_dump({"hydra": {"overrides": {"task": task}, "sweeper": {"params": None}}})
    )
    num = 0
    for seed in (0, 1):
        for regime in REGIMES:
            overrides = [f"regime={regime}", f"seed={seed}", "steps=10"]
            job_dir = root / str(num)
            if num != drop:
                (job_dir / ".hydra").mkdir(parents=True)
                (job_dir / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
                cfg = {**BASE, "seed": seed, "regime": {"name": regime}}
                with pytest.MonkeyPatch.context() as mp:
                    if num == fail:  # the testing hook makes this job raise inside run_job
                        mp.setenv("AGORA_FAIL_IF", overrides[0])
                    run_job(cfg, job_dir, overrides=overrides, job={"num": num})
            num += 1
    return root


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    root = _make_sweep(tmp_path_factory.mktemp("sweep") / "s", fail=1, drop=3)
    report = aggregate(root, plots=True, plot_metrics=["trust", "engagement"])
    return root, report


def test_every_file_and_the_counts(sweep):
    root, report = sweep
    for name in (
        "runs.parquet",
        "timeseries.parquet",
        "summary.csv",
        "timeseries_summary.csv",
        "jobs.csv",
        "plots/over_time.png",
        "plots/final_values.png",
    ):
        assert (root / name).is_file(), name
    assert not list(root.glob(".*tmp*"))
    assert (report.jobs, report.ok, report.failed, report.missing) == (4, 2, 1, 1)
    assert report.swept_keys == ["regime", "root_seed"]
    assert report.conditions == 2
    text = report.describe()
    assert "job 1 failed" in text and "job 3 missing" in text and "AGORA_FAIL_IF" in text


def test_runs_rows(sweep):
    root, _ = sweep
    runs = pd.read_parquet(root / "runs.parquet")
    ok = runs[runs["status"] == "ok"]
    assert len(ok) == 2 * 3  # two ok jobs x three replicates
    failed = runs[runs["status"] == "failed"]
    # One row per seed the failed job should have run, so each can be re-run alone.
    assert len(failed) == 3 and failed["error"].str.contains("AGORA_FAIL_IF").all()
    assert failed[["knowledge_code"]].isna().all().all()
    missing = runs[runs["status"] == "missing"]
    assert len(missing) == 1 and missing["job"].tolist() == [3]
    assert missing["regime"].tolist() == ["conversational"] and missing["root_seed"].tolist() == [1]
    # Nullable integers: seeds near 2**63 never pass through float64.
    assert str(runs["root_seed"].dtype) == "Int64" and str(runs["seed"].dtype) == "Int64"
    assert runs["seed"].isna().tolist() == [False] * 9 + [True]
    assert set(runs["condition"]) == {"regime=broadcast", "regime=conversational"}
    # final_<metric> is the last step; <metric> the mean over the last third (steps 7-10).
    metrics = pd.read_parquet(root / "0" / "metrics.parquet")
    last = metrics[metrics["step"] == metrics["step"].max()].reset_index(drop=True)
    job0 = ok[ok["job"] == 0].reset_index(drop=True)
    assert job0["seed"].tolist() == last["seed"].tolist()
    np.testing.assert_allclose(job0["final_trust"], last["trust"])
    assert job0[["window_from", "window_to"]].drop_duplicates().values.tolist() == [[8, 10]]
    window = metrics[metrics["step"].between(8, 10)].groupby("replicate")["trust"].mean()
    np.testing.assert_allclose(job0["trust"], window.to_numpy())


def test_summary_matches_mean_ci_of_final_values(sweep):
    root, _ = sweep
    runs = pd.read_parquet(root / "runs.parquet")
    summary = pd.read_csv(root / "summary.csv")
    assert list(summary.columns[:3]) == ["regime", "condition", "metric"]
    for (regime, metric), row in summary.set_index(["regime", "metric"]).iterrows():
        values = runs[(runs["regime"] == regime) & (runs["status"] == "ok")][metric]
        # The summary keeps each interval inside the metric's range (sim.rules.catalogue).
        ref = mean_ci(values, bounds=record(metric.removeprefix("final_")).range)
        assert row["n"] == ref["n"]
        for k in ("mean", "sd", "ci_low", "ci_high"):
            assert row[k] == pytest.approx(ref[k], nan_ok=True, abs=1e-12)
    # jobs that failed or are missing are counted per condition
    per = summary.drop_duplicates("regime").set_index("regime")["jobs_not_ok"]
    assert per.to_dict() == {"broadcast": 0, "conversational": 2}


def test_timeseries_and_bands_match_naive_reference(sweep):
    root, _ = sweep
    ts = pd.read_parquet(root / "timeseries.parquet")
    assert len(ts) == 2 * 3 * 11
    bands = pd.read_csv(root / "timeseries_summary.csv")
    for (cond, step), g in ts.groupby(["condition", "step"]):
        ref = mean_ci(g["engagement"])
        row = bands[
            (bands["condition"] == cond)
            & (bands["step"] == step)
            & (bands["metric"] == "engagement")
        ].iloc[0]
        assert row["n"] == ref["n"]
        assert row["mean"] == pytest.approx(ref["mean"], abs=1e-12)
        assert row["ci_high"] == pytest.approx(ref["ci_high"], abs=1e-9, nan_ok=True)


def test_streaming_in_small_row_groups_gives_the_same_tables(sweep, tmp_path, monkeypatch):
    root, _ = sweep
    monkeypatch.setattr(agg, "_ROW_GROUP", 5)
    aggregate(root, tmp_path, plots=False)
    import pyarrow.parquet as pq

    assert pq.ParquetFile(tmp_path / "timeseries.parquet").num_row_groups > 1
    for name in ("runs.parquet", "timeseries.parquet"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(tmp_path / name), pd.read_parquet(root / name)
        )
    pd.testing.assert_frame_equal(
        pd.read_csv(tmp_path / "summary.csv"), pd.read_csv(root / "summary.csv")
    )


def test_directory_without_multirun_yaml(tmp_path):
    for regime in REGIMES:
        run_job(
            {**BASE, "regime": {"name": regime}},
            tmp_path / regime,
            overrides=[f"regime={regime}", "steps=10"],
        )
    report = aggregate(tmp_path, plots=False)
    assert report.swept_keys == ["regime"] and report.ok == 2 and report.missing == 0


def test_mixed_model_versions_are_a_problem(tmp_path):
    for regime in REGIMES:
        run_job(
            {**BASE, "regime": {"name": regime}},
            tmp_path / regime,
            overrides=[f"regime={regime}", "steps=10"],
        )
    assert not aggregate(tmp_path, plots=False).problems
    # One job's result as an earlier version of the model wrote it (no version recorded).
    old = tmp_path / REGIMES[0] / "summary.json"
    summary = json.loads(old.read_text())
    del summary["model_version"]
    old.write_text(json.dumps(summary))
    report = aggregate(tmp_path, plots=False)
    assert any(f"model versions [1, {MODEL_VERSION}]" in p for p in report.problems)
    runs = pd.read_parquet(tmp_path / "runs.parquet")
    assert sorted(runs.drop_duplicates("job_dir")["model_version"].tolist()) == [1, MODEL_VERSION]


def test_missing_sweep_dir_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        aggregate(tmp_path / "nope")


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from("abc"), st.floats(-1e3, 1e3, allow_nan=False)),
        min_size=1,
        max_size=30,
    )
)
def test_summarise_finals_equals_mean_ci_per_group(rows):
    frame = pd.DataFrame(rows, columns=["g", "x"]).assign(status="ok")
    table = summarise_finals(frame, ["g"], ["x"])
    for _, row in table.iterrows():
        ref = mean_ci(frame.loc[frame["g"] == row["g"], "x"])
        assert row["n"] == ref["n"]
        for k in ("mean", "sd", "ci_low", "ci_high"):
            assert row[k] == pytest.approx(ref[k], rel=1e-9, abs=1e-6, nan_ok=True)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(1, 5), min_size=1, max_size=5), st.integers(0, 2**32 - 1))
def test_band_merge_equals_pooled_statistics(chunks, seed):
    """Merging jobs one by one (Chan) gives the pooled mean and variance, NaNs ignored."""
    rng = np.random.default_rng(seed)
    cubes = [rng.normal(size=(n, 4, 2)) for n in chunks]
    cubes[0][0, 1, 0] = np.nan
    bands = agg._Bands(2)
    for c in cubes:
        bands.add("c", c)
    n, mean, m2 = bands.acc["c"]
    pooled = np.concatenate(cubes, axis=0)
    np.testing.assert_allclose(n, np.sum(~np.isnan(pooled), axis=0))
    seen = n > 0  # a cell with no value at all has no mean (reported as NaN by the tables)
    ref_mean = np.array(
        [[np.nanmean(pooled[:, i, j]) if seen[i, j] else 0.0 for j in range(2)] for i in range(4)]
    )
    np.testing.assert_allclose(mean[seen], ref_mean[seen], atol=1e-12)
    ref_m2 = np.nansum((pooled - ref_mean) ** 2, axis=0)
    np.testing.assert_allclose(m2, ref_m2, atol=1e-9)


def test_job_killed_before_hydra_saved_its_overrides_counts_once(tmp_path):
    """A worker killed while Hydra was setting a job up leaves ``<num>/.hydra/`` without
    ``overrides.yaml``: that job is one missing job, labelled with its overrides from the
    sweep, not a missing job twice."""
    root = _make_sweep(tmp_path / "s", drop=3)
    (root / "3" / ".hydra").mkdir(parents=True)  # set up, overrides not yet saved
    report = aggregate(root, plots=False)
    assert (report.jobs, report.ok, report.failed, report.missing) == (4, 3, 0, 1)
    jobs = pd.read_csv(root / "jobs.csv")
    missing = jobs[jobs["status"] == "missing"]
    assert len(missing) == 1
    assert "regime=conversational" in str(missing.iloc[0].to_dict())
