"""Real Hydra multiruns of experiments/run.py: launchers, failures, resume, dead workers.

Each test runs ``python experiments/run.py -m ...`` in a subprocess into ``tmp_path``, with
tiny configurations so that the whole file stays within tens of seconds on two cores.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import summaries
from faults.inject import HOOKS, with_faults

import sim
from sim.config import load_config
from sim.studies.aggregate import aggregate

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / "experiments" / "run.py"
TINY = ["steps=10", "org.size=30", "stakeholders.count=6", "replicates=2"]


def run(args, *, env=None, check=None):
    full_env = {**os.environ, "HYDRA_FULL_ERROR": "0", **(env or {})}
    for key in HOOKS:
        if key not in (env or {}):
            full_env.pop(key, None)
    full_env = with_faults(full_env)
    proc = subprocess.run(
        [sys.executable, str(RUN), *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    if check is not None:
        assert (proc.returncode == 0) == check, proc.stdout + proc.stderr
    return proc


@pytest.mark.slow
def test_joblib_sweep_with_a_failing_job_then_resume(tmp_path):
    sweep = tmp_path / "sweep"
    args = [
        "-m",
        "hydra/launcher=local_parallel",
        "regime=broadcast,conversational",
        "seed=0,1",
        *TINY,
        f"hydra.sweep.dir={sweep}",
    ]
    first = run(args, env={"AGORA_FAIL_IF": "regime=conversational;seed=9"}, check=False)
    # The sweep says something failed ...
    assert "AGORA_FAIL_IF" in first.stderr
    done = summaries(sweep)
    # ... yet every job ran and wrote its result (the last key varies fastest in Hydra's
    # order: jobs 2 and 3 are the conversational ones).
    assert {n: s["status"] for n, s in done.items()} == {0: "ok", 1: "ok", 2: "failed", 3: "failed"}
    for n in (0, 1):
        assert (sweep / str(n) / "metrics.parquet").is_file()
        assert (sweep / str(n) / ".hydra" / "overrides.yaml").is_file()
        assert done[n]["job"]["launcher"] == "local_parallel"
    assert (sweep / "multirun.yaml").is_file()

    # The joblib workers computed exactly what simulate computes in this process.
    for n, seed in ((0, 0), (1, 1)):
        direct = sim.simulate(load_config(["regime=broadcast", f"seed={seed}", *TINY])).metrics
        pd.testing.assert_frame_equal(pd.read_parquet(sweep / str(n) / "metrics.parquet"), direct)

    report = aggregate(sweep, plots=True, plot_metrics=["knowledge_code", "trust"])
    assert (report.ok, report.failed, report.missing) == (2, 2, 0)
    for name in (
        "runs.parquet",
        "timeseries.parquet",
        "summary.csv",
        "timeseries_summary.csv",
        "jobs.csv",
        "plots/over_time.png",
        "plots/final_values.png",
    ):
        assert (sweep / name).is_file(), name
    runs = pd.read_parquet(sweep / "runs.parquet")
    failed = runs[runs["status"] == "failed"]
    assert set(failed["regime"]) == {"conversational"} and len(failed) == 4  # 2 jobs x 2 seeds
    assert failed["error"].str.contains("AGORA_FAIL_IF").all()

    # Resume: the same command re-runs only the failed jobs.
    mtimes = {n: (sweep / str(n) / "summary.json").stat().st_mtime_ns for n in (0, 1)}
    second = run(args, check=True)
    assert "skipped" in second.stdout + second.stderr
    after = summaries(sweep)
    assert all(s["status"] == "ok" for s in after.values())
    for n in (0, 1):
        assert (sweep / str(n) / "summary.json").stat().st_mtime_ns == mtimes[n]
    for n in (2, 3):
        kept = json.loads((sweep / str(n) / "summary.failed-1.json").read_text())
        assert kept["status"] == "failed"
    assert aggregate(sweep, plots=False).ok == 4


@pytest.mark.slow
def test_same_metrics_under_basic_and_submitit_local(tmp_path):
    """Basic and submitit-local launchers give simulate's numbers (joblib: the test above)."""
    for launcher in ("basic", "submitit_local"):
        sweep = tmp_path / launcher
        run(
            [
                "-m",
                "regime=broadcast,conversational",
                "seed=3",
                *TINY,
                f"hydra/launcher={launcher}",
                f"hydra.sweep.dir={sweep}",
            ],
            check=True,
        )
        assert {s["job"]["launcher"] for s in summaries(sweep).values()} == {launcher}
        for n, regime in enumerate(("broadcast", "conversational")):
            direct = sim.simulate(load_config([f"regime={regime}", "seed=3", *TINY])).metrics
            pd.testing.assert_frame_equal(
                pd.read_parquet(sweep / str(n) / "metrics.parquet"), direct
            )
    # the two regimes really differ (the comparison would pass vacuously otherwise)
    a, b = (pd.read_parquet(tmp_path / "basic" / str(n) / "metrics.parquet") for n in (0, 1))
    assert not a.equals(b)


@pytest.mark.parametrize(
    ("args", "key"),
    [
        (["hierarchy.relay=1.5"], "hierarchy.relay"),
        (["-m", "hierarchy.routing=direct,foo"], "hierarchy.routing"),
        (
            ["-m", "hydra/launcher=local_parallel", "seed=0,1", "population.talk=0.5,2"],
            "population.talk",
        ),
        (["-m", "regime=broadcast,nonsense"], "regime"),
    ],
)
def test_bad_override_fails_before_any_job_naming_the_key(tmp_path, args, key):
    out = tmp_path / "out"
    proc = run([*args, f"hydra.sweep.dir={out}", f"hydra.run.dir={out}"], check=False)
    assert proc.returncode != 0
    assert key in proc.stderr
    assert not out.exists()  # no job (and not even the sweep directory) was created


@pytest.mark.slow
def test_dead_worker_keeps_finished_jobs_and_resume_completes(tmp_path):
    """SIGKILL of a joblib worker (as the OOM killer would) ends the sweep; results survive."""
    sweep = tmp_path / "sweep"
    args = [
        "-m",
        "hydra/launcher=local_parallel",
        "seed=0,1,2,3",
        *TINY,
        f"hydra.sweep.dir={sweep}",
    ]
    killed = run(args, env={"AGORA_KILL_IF": "seed=3"}, check=False)
    assert killed.returncode != 0
    done = summaries(sweep)
    assert 3 not in done  # the killed job left no result ...
    assert done and all(s["status"] == "ok" for s in done.values())
    for n in done:  # ... and every finished one is complete and readable
        assert len(pd.read_parquet(sweep / str(n) / "metrics.parquet")) == 2 * 11
    report = aggregate(sweep, plots=False)
    assert report.ok == len(done) and report.missing == 4 - len(done)

    mtimes = {n: (sweep / str(n) / "summary.json").stat().st_mtime_ns for n in done}
    run(args, check=True)
    assert all(s["status"] == "ok" for s in summaries(sweep).values())
    assert len(summaries(sweep)) == 4
    for n, t in mtimes.items():
        assert (sweep / str(n) / "summary.json").stat().st_mtime_ns == t
