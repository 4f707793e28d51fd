"""Compose-API tests of the experiment configs: launchers, named experiments, the callback."""

from __future__ import annotations

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.experimental.callback import Callback
from hydra.utils import get_class
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.config import CONF_DIR, ConfigError, load_config
from sim.exec.sweeps import ValidateCallback, expand_sweep, validate_sweep


@pytest.fixture
def hydra_compose():
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        yield lambda overrides: compose("config", overrides=overrides, return_hydra_config=True)
    GlobalHydra.instance().clear()


def test_regimes_experiment_sweeps_the_three_regimes_in_parallel(hydra_compose):
    cfg = hydra_compose(["+experiment=regimes"])
    params = dict(cfg.hydra.sweeper.params)
    assert params == {"regime": "broadcast,hybrid,conversational"}
    assert cfg.hydra.launcher._target_.endswith("PoolLauncher")  # the fast choice (docs)
    assert cfg.hydra.launcher.n_jobs == 2 and cfg.replicates == 20
    jobs = expand_sweep([], params)
    assert jobs == [["regime=broadcast"], ["regime=hybrid"], ["regime=conversational"]]
    for job in jobs:  # every job of the experiment composes and validates
        assert load_config(["replicates=20", *job]).regime.name == job[0].split("=")[1]


def test_local_parallel_launcher(hydra_compose):
    launcher = hydra_compose(["hydra/launcher=local_parallel"]).hydra.launcher
    assert launcher._target_ == "hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher"
    # the plugin types batch_size as a string and turns digits into an int itself
    assert (launcher.n_jobs, launcher.batch_size, launcher.prefer) == (2, "1", "processes")
    assert (
        hydra_compose(
            ["hydra/launcher=local_parallel", "hydra.launcher.n_jobs=8"]
        ).hydra.launcher.n_jobs
        == 8
    )


def test_slurm_launcher(hydra_compose):
    launcher = hydra_compose(
        ["hydra/launcher=slurm", "hydra.launcher.partition=cpu"]
    ).hydra.launcher
    assert launcher._target_.endswith("submitit_launcher.SlurmLauncher")
    assert (launcher.cpus_per_task, launcher.tasks_per_node, launcher.timeout_min) == (1, 1, 60)
    assert launcher.partition == "cpu" and launcher.array_parallelism == 256
    assert launcher.submitit_folder.endswith(".submitit/%j")


def test_submitit_local_is_available(hydra_compose):
    launcher = hydra_compose(["hydra/launcher=submitit_local"]).hydra.launcher
    assert launcher._target_.endswith("LocalLauncher")


def test_validation_callback_config(hydra_compose):
    callbacks = hydra_compose(["hydra/callbacks=agora"]).hydra.callbacks
    target = callbacks.agora_validate._target_
    assert target == "sim.exec.sweeps.ValidateCallback"
    assert get_class(target) is ValidateCallback and issubclass(ValidateCallback, Callback)


def test_jobs_write_into_numbered_sweep_subdirs_without_chdir(hydra_compose):
    from omegaconf import OmegaConf

    cfg = hydra_compose([])
    assert cfg.hydra.job.chdir is False
    # sim.studies.aggregate relies on numbered job directories to order jobs and spot missing ones
    assert OmegaConf.to_container(cfg.hydra.sweep, resolve=False)["subdir"] == "${hydra.job.num}"


# --------------------------------------------------------------------------- up-front validation


@pytest.fixture
def master(hydra_compose):
    """A composed master config with Hydra initialised, as on_multirun_start receives it."""
    return hydra_compose([])


@pytest.mark.parametrize(
    ("jobs", "match"),
    [
        ([["hierarchy.relay=0.5"], ["hierarchy.relay=1.5"]], r"job 1 .*hierarchy\.relay=1\.5"),
        ([["hierarchy.routing=foo"]], "hierarchy.routing"),
        ([["org.size=30", "hierarchy.span=2"]], "does not fit"),
        ([["steps=abc"]], "steps"),
        ([["stepz=3"]], "stepz"),
        ([["regime.name=foo"]], "regime.name"),
        ([["regime=nonsense"]], "regime"),
        ([["population.talk=true"]], "population.talk"),
        # no leak between jobs: job 0's depth must not make job 1's tree fit
        (
            [["org.size=30", "hierarchy.span=2", "hierarchy.depth=5"], ["hierarchy.span=2"]],
            "job 1 .*does not fit",
        ),
    ],
)
def test_validate_sweep_names_job_and_key(master, jobs, match):
    with pytest.raises(ConfigError, match=match):
        validate_sweep(master, jobs)


def test_validate_sweep_accepts_valid_jobs(master):
    validate_sweep(
        master,
        [
            ["regime=conversational", "regime.mix=0.2"],
            ["org.size=null", "hierarchy.span=3"],
            ["steps=5", "seed=9", "hierarchy.relay=1"],
        ],
    )


_POOL = {
    "hierarchy.relay": ["0", "1", "0.3", "1.2", "-1", "x"],
    "org.size": ["30", "500", "null", "2.5"],
    "hierarchy.span": ["null", "2", "3", "0"],
    "regime.mix": ["0.2", "1", "2"],
    "regime": ["broadcast", "hybrid", "nope"],
    "network.peer_degree": ["2", "3", "4"],
    "steps": ["0", "10", "-1"],
}


# The fixture only holds Hydra initialised; nothing in it changes between examples.
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.dictionaries(st.sampled_from(sorted(_POOL)), st.integers(0, 5), min_size=1, max_size=4))
def test_fast_validation_agrees_with_full_composition(hydra_compose, choice):
    job = [f"{k}={_POOL[k][i % len(_POOL[k])]}" for k, i in sorted(choice.items())]
    job = sorted(job, key=lambda o: "/" not in o and o.split("=")[0] != "regime")  # groups first
    master = hydra_compose([])
    try:
        validate_sweep(master, [job])
        fast_ok = True
    except ConfigError:
        fast_ok = False
    try:
        load_config(job)
        full_ok = True
    except ConfigError:
        full_ok = False
    assert fast_ok == full_ok, job
