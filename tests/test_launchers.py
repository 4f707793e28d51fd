"""The pool launcher: configurations composed once in the parent, long-lived workers.

Checks that the fast composition of :class:`sim.exec.plan.SweepPlan` resolves every job to
what Hydra composes, that ``hydra/launcher=pool`` writes the joblib launcher's numbers, and
that a failing job and a killed worker cost only themselves, with resume completing.
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
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from sim.config import CONF_DIR, to_config
from sim.exec.jobs import config_hash
from sim.exec.plan import SweepPlan
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


JOBS = [
    [],
    ["seed=7"],
    ["regime=conversational", "seed=3", "org.size=40"],
    ["regime=broadcast", "regime.mix=0.3", "population.talk=0.5"],
    ["hierarchy.routing=chain", "replicates=2", "steps=12"],
    ["org.size='50'"],  # a string for an int key: not the fast path's to decide
    ["population.talk=1"],  # an int for a float key
    ["+agora_design=point_0", "seed=4"],
    ["seed=5", "+agora_design=point_1", "org.size=35"],  # the command line wins
]


def test_plan_resolves_what_hydra_composes(tmp_path):
    """Fast composition == Hydra composing each job in full, for groups, values, designs."""
    designs = tmp_path / "designs" / "agora_design"
    designs.mkdir(parents=True)
    (designs / "point_0.yaml").write_text("# @package _global_\nregime:\n  mix: 0.25\n")
    (designs / "point_1.yaml").write_text("# @package _global_\norg:\n  size: 45\nsteps: 7\n")
    searchpath = f"hydra.searchpath=[file://{tmp_path / 'designs'}]"
    with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
        from hydra.core.global_hydra import GlobalHydra

        config = compose("config", overrides=[searchpath], return_hydra_config=True)
        OmegaConf.set_readonly(config.hydra, False)
        config.hydra.overrides.hydra = [searchpath]
        config.hydra.job.config_name = "config"
        config.hydra.sweep.dir = str(tmp_path / "sweep")
        loader = GlobalHydra.instance().config_loader()
        plan = SweepPlan(config, loader, "pool")
        hashes = set()
        for overrides in JOBS:
            full = loader.load_sweep_config(config, list(overrides))
            expected = to_config(OmegaConf.masked_copy(full, [k for k in full if k != "hydra"]))
            got = plan.resolve(overrides)
            assert config_hash(got) == config_hash(expected), overrides
            assert got == expected, overrides
            hashes.add(config_hash(got))
        assert len(hashes) == len(JOBS)  # the jobs really differ
        assert plan.resolve(["seed=5", "+agora_design=point_1", "org.size=35"]).steps == 7
        # one Hydra composition per distinct set of structural overrides, not per job
        assert len(plan._bases) == 3  # (), regime=conversational, regime=broadcast
        assert plan.job_dir(12, ["seed=1"]) == tmp_path / "sweep" / "12"


@pytest.mark.slow
def test_pool_launcher_gives_the_joblib_launchers_numbers(tmp_path):
    args = ["regime=broadcast,conversational", "seed=3,4", *TINY]
    for launcher in ("pool", "local_parallel"):
        run(
            ["-m", f"hydra/launcher={launcher}", *args, f"hydra.sweep.dir={tmp_path / launcher}"],
            check=True,
        )
    pool, joblib = summaries(tmp_path / "pool"), summaries(tmp_path / "local_parallel")
    assert sorted(pool) == sorted(joblib) == [0, 1, 2, 3]
    for n in pool:
        assert pool[n]["job"]["launcher"] == "pool" and pool[n]["job"]["num"] == n
        for key in ("config_hash", "seeds", "config"):
            assert pool[n][key] == joblib[n][key], (n, key)
        assert pool[n]["job"]["overrides"] == joblib[n]["job"]["overrides"]
        pd.testing.assert_frame_equal(
            pd.read_parquet(tmp_path / "pool" / str(n) / "metrics.parquet"),
            pd.read_parquet(tmp_path / "local_parallel" / str(n) / "metrics.parquet"),
        )
    # each pool job leaves its two files and nothing else
    assert sorted(p.name for p in (tmp_path / "pool" / "0").iterdir()) == [
        "metrics.parquet",
        "summary.json",
    ]
    a, b = (pd.read_parquet(tmp_path / "pool" / str(n) / "metrics.parquet") for n in (0, 2))
    assert not a.equals(b)  # broadcast and conversational differ: the comparison is not vacuous


@pytest.mark.slow
def test_pool_failing_job_and_killed_worker_cost_only_themselves(tmp_path):
    sweep = tmp_path / "sweep"
    args = ["-m", "hydra/launcher=pool", "seed=0,1,2,3,4,5", *TINY, f"hydra.sweep.dir={sweep}"]
    first = run(args, env={"AGORA_FAIL_IF": "seed=1", "AGORA_KILL_IF": "seed=2"}, check=False)
    assert first.returncode != 0
    done = summaries(sweep)
    assert {n: s["status"] for n, s in done.items()} == {
        0: "ok",
        1: "failed",
        2: "failed",
        3: "ok",
        4: "ok",
        5: "ok",
    }
    assert "AGORA_FAIL_IF" in done[1]["error"]
    assert "SIGKILL" in done[2]["error"] and done[2]["config_hash"]  # which job, and why
    report = aggregate(sweep, plots=False)
    assert (report.ok, report.failed, report.missing) == (4, 2, 0)

    mtimes = {n: (sweep / str(n) / "summary.json").stat().st_mtime_ns for n in (0, 3, 4, 5)}
    run(args, check=True)
    after = summaries(sweep)
    assert all(s["status"] == "ok" for s in after.values()) and len(after) == 6
    for n, t in mtimes.items():  # finished jobs were not run again
        assert (sweep / str(n) / "summary.json").stat().st_mtime_ns == t
    for n in (1, 2):  # the failures are kept beside the new results
        assert (
            json.loads((sweep / str(n) / "summary.failed-1.json").read_text())["status"] == "failed"
        )
    report = aggregate(sweep, plots=False)
    assert (report.ok, report.failed, report.missing) == (6, 0, 0)
    runs = pd.read_parquet(sweep / "runs.parquet")
    assert len(runs) == 12 and not runs.duplicated(["root_seed", "replicate"]).any()


@pytest.mark.parametrize("n_jobs", [1, -1])
def test_pool_worker_count(tmp_path, n_jobs):
    sweep = tmp_path / "sweep"
    run(
        [
            "-m",
            "hydra/launcher=pool",
            f"hydra.launcher.n_jobs={n_jobs}",
            "seed=0,1",
            *TINY,
            f"hydra.sweep.dir={sweep}",
        ],
        check=True,
    )
    assert {s["status"] for s in summaries(sweep).values()} == {"ok"}


def test_run_pool_returns_every_record_in_order(tmp_path):
    """Jobs planned lazily and freed as they finish (as a launch of 100,000 jobs does) all
    come back, once each, in input order."""
    from sim.exec.parallel import PlannedJob
    from sim.exec.pool import run_pool

    cfg = to_config({"steps": 2, "org": {"size": 30}, "stakeholders": {"count": 5}})
    n = 40

    def planned():
        for num in range(n):
            yield PlannedJob(cfg, tmp_path / str(num), overrides=[f"x={num}"], info={"num": num})

    records = run_pool(planned(), workers=2)
    assert [r["num"] for r in records] == list(range(n))
    assert [r["dir"] for r in records] == [str(tmp_path / str(num)) for num in range(n)]
    assert {r["status"] for r in records} == {"ok"}
