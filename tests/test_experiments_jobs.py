"""One job into a directory: files, atomicity, failure capture, resume and its refusals."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from faults.inject import install as install_fault_hooks

import sim
from sim.config import to_config
from sim.exec.jobs import (
    METRICS_FILE,
    SUMMARY_FILE,
    JobConflict,
    config_hash,
    job_state,
    run_job,
)
from sim.exec.sweeps import expand_sweep

install_fault_hooks()  # AGORA_FAIL_IF / AGORA_KILL_IF (tests/faults/inject.py)

TINY = {"steps": 12, "replicates": 2, "seed": 7, "org": {"size": 40}, "stakeholders": {"count": 10}}


def _files(d):
    return sorted(p.name for p in d.iterdir())


def test_ok_job_writes_both_files_and_nothing_else(tmp_path):
    summary = run_job(TINY, tmp_path, overrides=["steps=12"], job={"num": 3})
    assert summary["status"] == "ok" and summary["skipped"] is False
    # No temporary files are left behind: only the two results.
    assert _files(tmp_path) == [METRICS_FILE, SUMMARY_FILE]
    on_disk = json.loads((tmp_path / SUMMARY_FILE).read_text())
    cfg = to_config(TINY)
    assert on_disk["status"] == "ok" and on_disk["error"] is None
    assert on_disk["config"]["steps"] == 12 and on_disk["config"]["org"]["size"] == 40
    assert on_disk["config_hash"] == config_hash(cfg)
    assert on_disk["job"]["num"] == 3 and on_disk["job"]["overrides"] == ["steps=12"]
    assert {"numpy", "pandas", "mesa", "hydra-core", "python"} <= set(on_disk["versions"])
    assert "git_commit" in on_disk and on_disk["wall_time"] > 0 and on_disk["job_time"] > 0
    frame = pd.read_parquet(tmp_path / METRICS_FILE)
    assert list(frame.columns[:3]) == ["replicate", "seed", "step"]
    assert on_disk["seeds"] == [int(s) for s in frame.drop_duplicates("replicate")["seed"]]
    # Per-metric statistics over the replicates' end-of-run window (steps 9 to 12 of 12) and
    # their last step.
    window = frame[frame["step"].between(9, 12)].groupby("replicate").mean(numeric_only=True)
    assert on_disk["window"] == {"first_step": 9, "last_step": 12, "share": pytest.approx(1 / 3)}
    # n counts the replicates with a value: both, except for the metrics of options that are
    # off (the opinion mode's, the NK task's performance), which are NaN in every run.
    undefined = {
        "opinion_mean",
        "opinion_variance",
        "leader_influence",
        "performance",
        "value_created",
        "value_share_stakeholders",
        "org_value",
    }  # value.economy off
    # adaptation_lag is NaN until a flipped dimension has been re-learned, authenticity_gap
    # until someone has voiced: n counts the replicates where it has a value.
    late = {"adaptation_lag", "authenticity_gap"}
    for name, stats in on_disk["metrics"].items():
        if name in late:
            assert stats["n"] == int(window[name].notna().sum()), name
            continue
        assert stats["n"] == (0 if name in undefined else 2), name
        if name in undefined:  # JSON has no NaN: an undefined mean is null
            assert stats["mean"] is None and window[name].isna().all()
            continue
        assert stats["mean"] == pytest.approx(window[name].mean(), nan_ok=True)
    last = frame[frame["step"] == 12]
    for name, stats in on_disk["final"].items():
        if name in late:
            assert stats["n"] == int(last[name].notna().sum()), name
            continue
        assert stats["n"] == (0 if name in undefined else 2), name
        if name in undefined:
            assert stats["mean"] is None and last[name].isna().all()
            continue
        assert stats["mean"] == pytest.approx(last[name].mean(), nan_ok=True)
        if stats["sd"] is not None:
            assert stats["ci_low"] <= stats["mean"] <= stats["ci_high"]


def test_job_metrics_equal_simulate(tmp_path):
    run_job(TINY, tmp_path)
    direct = sim.simulate(TINY).metrics
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / METRICS_FILE), direct)


def test_exception_is_caught_and_written_as_failed(tmp_path, monkeypatch):
    def boom(cfg, **kw):
        raise ValueError("model exploded")

    monkeypatch.setattr(sim, "simulate", boom)
    summary = run_job(TINY, tmp_path)
    assert summary["status"] == "failed"
    on_disk = json.loads((tmp_path / SUMMARY_FILE).read_text())
    assert on_disk["status"] == "failed"
    assert on_disk["error"] == "ValueError: model exploded"
    assert "model exploded" in on_disk["traceback"] and "Traceback" in on_disk["traceback"]
    # The failed job still records the config and the seeds to re-run it alone.
    assert on_disk["config"]["seed"] == 7 and len(on_disk["seeds"]) == 2
    assert not (tmp_path / METRICS_FILE).exists()


def test_testing_hook_fails_matching_job_only(tmp_path, monkeypatch):
    monkeypatch.setenv("AGORA_FAIL_IF", "seed=1;regime=broadcast")
    bad = run_job(TINY, tmp_path / "a", overrides=["regime=broadcast", "steps=12"])
    good = run_job(TINY, tmp_path / "b", overrides=["regime=hybrid", "steps=12"])
    assert bad["status"] == "failed" and "AGORA_FAIL_IF" in bad["error"]
    assert good["status"] == "ok"


def test_resume_skips_done_and_reruns_failed(tmp_path, monkeypatch):
    run_job(TINY, tmp_path)
    before = (tmp_path / SUMMARY_FILE).stat().st_mtime_ns, (tmp_path / METRICS_FILE).stat()
    again = run_job(TINY, tmp_path)
    assert again["skipped"] is True and again["status"] == "ok"
    assert (tmp_path / SUMMARY_FILE).stat().st_mtime_ns == before[0]
    assert (tmp_path / METRICS_FILE).stat().st_mtime_ns == before[1].st_mtime_ns

    failing = tmp_path / "failing"
    monkeypatch.setenv("AGORA_FAIL_IF", "x=1")
    assert run_job(TINY, failing, overrides=["x=1"])["status"] == "failed"
    monkeypatch.delenv("AGORA_FAIL_IF")
    rerun = run_job(TINY, failing, overrides=["x=1"])
    assert rerun["status"] == "ok" and rerun["skipped"] is False
    # The old failure is kept, not overwritten.
    kept = json.loads((failing / "summary.failed-1.json").read_text())
    assert kept["status"] == "failed" and "AGORA_FAIL_IF" in kept["error"]
    assert job_state(failing, config_hash(to_config(TINY))) == "done"


def test_resume_refuses_ok_result_of_another_config(tmp_path):
    run_job(TINY, tmp_path)
    before = (tmp_path / SUMMARY_FILE).read_bytes(), (tmp_path / METRICS_FILE).read_bytes()
    with pytest.raises(JobConflict, match="refusing to overwrite"):
        run_job({**TINY, "steps": 13}, tmp_path)
    assert (tmp_path / SUMMARY_FILE).read_bytes() == before[0]
    assert (tmp_path / METRICS_FILE).read_bytes() == before[1]
    # resume=False is the explicit way to re-run into the same directory.
    assert run_job({**TINY, "steps": 13}, tmp_path, resume=False)["config"]["steps"] == 13


def test_resume_refuses_results_of_another_model_version(tmp_path):
    first = run_job(TINY, tmp_path)
    assert first["model_version"] == sim.MODEL_VERSION
    # A result written by an earlier version of the model (older summaries have no version).
    summary = json.loads((tmp_path / SUMMARY_FILE).read_text())
    del summary["model_version"]
    (tmp_path / SUMMARY_FILE).write_text(json.dumps(summary))
    before = (tmp_path / SUMMARY_FILE).read_bytes(), (tmp_path / METRICS_FILE).read_bytes()
    assert job_state(tmp_path, config_hash(to_config(TINY))) == "stale"
    with pytest.raises(JobConflict, match="model version 1, and this is version"):
        run_job(TINY, tmp_path)
    assert (tmp_path / SUMMARY_FILE).read_bytes() == before[0]
    assert (tmp_path / METRICS_FILE).read_bytes() == before[1]


def test_invalid_config_is_a_failed_job(tmp_path):
    summary = run_job({"hierarchy": {"relay": 1.5}}, tmp_path)
    assert summary["status"] == "failed" and "hierarchy.relay" in summary["error"]


def test_config_hash_sees_resolved_values():
    # hybrid at mix 0 resolves to the broadcast anchor's values but keeps its name.
    a = to_config({"regime": {"name": "broadcast"}})
    b = to_config({"regime": {"name": "hybrid", "mix": 0.0}})
    assert config_hash(a) != config_hash(b)
    assert config_hash(a) == config_hash(to_config({"regime": {"name": "broadcast", "mix": 0.7}}))


@pytest.mark.parametrize(
    ("task", "params", "expected"),
    [
        (["a=1,2", "b=x"], {}, [["a=1", "b=x"], ["a=2", "b=x"]]),
        (["b=x,y"], {"a": "1,2"}, [["a=1", "b=x"], ["a=1", "b=y"], ["a=2", "b=x"], ["a=2", "b=y"]]),
        # A command-line value replaces the same key from hydra.sweeper.params.
        (["a=3"], {"a": "1,2"}, [["a=3"]]),
        (["a=range(0,3)"], {}, [["a=0"], ["a=1"], ["a=2"]]),
    ],
)
def test_expand_sweep_matches_hydra_order(task, params, expected):
    assert expand_sweep(task, params) == expected


def test_run_jobs_writes_what_run_job_writes_and_isolates_a_failing_replicate(
    tmp_path, monkeypatch
):
    import sim.exec.jobs
    from sim.exec.parallel import PlannedJob, run_jobs

    good, bad = to_config(TINY), to_config({**TINY, "steps": 7})
    jobs = {
        "good": PlannedJob(good, tmp_path / "good", ["a=1"], {"driver": "test"}),
        "bad": PlannedJob(bad, tmp_path / "bad", ["b=1"], {"driver": "test"}),
    }
    real = sim.exec.jobs.replicate_task

    def flaky(cfg, first, seeds):
        if cfg.steps == 7 and first <= 1 < first + len(seeds):
            raise RuntimeError("boom")
        return real(cfg, first, seeds)

    monkeypatch.setattr(sim.exec.jobs, "replicate_task", flaky)
    summaries = run_jobs(jobs, workers=1)
    assert summaries["good"]["status"] == "ok" and summaries["good"]["job"]["driver"] == "test"
    assert summaries["bad"]["status"] == "failed"
    assert summaries["bad"]["error"] == "replicates 0-1: RuntimeError: boom"
    assert summaries["bad"]["config_hash"] == config_hash(bad)
    # The good job's rows are exactly those of run_job for the same configuration.
    alone = tmp_path / "alone"
    run_job(TINY, alone)
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "good" / METRICS_FILE), pd.read_parquet(alone / METRICS_FILE)
    )
    # Resume: the good job is skipped, the failed one re-runs and its failure is kept.
    monkeypatch.setattr(sim.exec.jobs, "replicate_task", real)
    before = (tmp_path / "good" / SUMMARY_FILE).read_bytes()
    again = run_jobs(jobs, workers=1)
    assert again["bad"]["status"] == "ok"
    assert (tmp_path / "good" / SUMMARY_FILE).read_bytes() == before
    assert (tmp_path / "bad" / "summary.failed-1.json").is_file()


def test_jobs_differing_only_in_practices_step_together_and_write_what_run_job_writes(
    tmp_path, monkeypatch
):
    import sim.exec.jobs
    from sim.exec.parallel import PlannedJob, run_jobs

    regimes = ("broadcast", "conversational", "hybrid")
    cfgs = {r: to_config({**TINY, "replicates": 3, "regime": {"name": r}}) for r in regimes}
    jobs = {r: PlannedJob(cfg, tmp_path / "runs" / r) for r, cfg in cfgs.items()}
    grouped = []
    real = sim.exec.jobs.replicate_group_task

    def counted(arms):
        grouped.append([(cfg.regime.name, first, len(seeds)) for cfg, first, seeds in arms])
        return real(arms)

    monkeypatch.setattr(sim.exec.jobs, "replicate_group_task", counted)
    summaries = run_jobs(jobs, workers=1)
    # One batch of the three jobs' nine replicates (fewer than GROUP_WORLDS).
    assert grouped == [[("broadcast", 0, 3), ("conversational", 0, 3), ("hybrid", 0, 3)]]
    assert all(s["status"] == "ok" for s in summaries.values())
    for r, cfg in cfgs.items():
        run_job(cfg, tmp_path / "alone" / r)
        pd.testing.assert_frame_equal(
            pd.read_parquet(tmp_path / "runs" / r / METRICS_FILE),
            pd.read_parquet(tmp_path / "alone" / r / METRICS_FILE),
        )


def test_a_failing_batch_of_several_jobs_runs_them_again_alone_so_only_the_bad_one_fails(
    tmp_path, monkeypatch
):
    import sim.exec.jobs
    from sim.exec.parallel import PlannedJob, run_jobs

    real = sim.exec.jobs.replicate_task

    def boom(arms):
        raise RuntimeError("boom")

    def bad_conversational(cfg, first, seeds):
        if cfg.regime.name == "conversational":
            raise RuntimeError("bad conversational")
        return real(cfg, first, seeds)

    monkeypatch.setattr(sim.exec.jobs, "replicate_group_task", boom)
    monkeypatch.setattr(sim.exec.jobs, "replicate_task", bad_conversational)
    regimes = ("broadcast", "conversational", "hybrid")
    cfgs = {r: to_config({**TINY, "regime": {"name": r}}) for r in regimes}
    cfgs["longer"] = to_config({**TINY, "steps": 13})  # not a practice: runs on its own
    jobs = {name: PlannedJob(cfg, tmp_path / name) for name, cfg in cfgs.items()}
    summaries = run_jobs(jobs, workers=1)
    assert (
        summaries["conversational"]["error"] == "replicates 0-1: RuntimeError: bad conversational"
    )
    assert [summaries[n]["status"] for n in ("broadcast", "hybrid", "longer")] == ["ok"] * 3
    # What the batch-mates wrote is what they write alone.
    for r in ("broadcast", "hybrid"):
        run_job(cfgs[r], tmp_path / "alone" / r)
        pd.testing.assert_frame_equal(
            pd.read_parquet(tmp_path / r / METRICS_FILE),
            pd.read_parquet(tmp_path / "alone" / r / METRICS_FILE),
        )


def test_git_commit_only_for_a_source_checkout(tmp_path, monkeypatch):
    """An installed copy inside another repository reports no commit, not that repository's."""
    import shutil
    import subprocess
    from pathlib import Path

    from sim.exec import jobs

    if not shutil.which("git"):
        pytest.skip("git is not installed")

    repo = tmp_path / "other"
    (repo / "venv" / "site-packages" / "sim" / "runs").mkdir(parents=True)
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "other"], check=True)
    fake = repo / "venv" / "site-packages" / "sim" / "runs" / "jobs.py"
    shutil.copy(jobs.__file__, fake)
    monkeypatch.setattr(jobs, "__file__", str(fake))
    assert jobs.git_commit.__wrapped__() is None  # past the cache of this process
    # This checkout itself (the suite runs from one) gives its commit, when git is there.
    monkeypatch.undo()
    if (Path(jobs.__file__).resolve().parents[2] / ".git").exists():
        commit = jobs.git_commit.__wrapped__()
        assert commit is None or len(commit.split("+")[0]) == 40
