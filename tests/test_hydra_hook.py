"""Pins what :mod:`sim.config.hydra_hook` relies on in Hydra's private loader.

The guard wraps ``hydra._internal.config_loader_impl.ConfigLoaderImpl.load_configuration``.
If a new Hydra renames that method, changes its arguments, or composes by another road, these
tests fail and say what moved, instead of the guard silently not running.
"""

from __future__ import annotations

import importlib
import inspect
import pickle

import pytest
from hydra import compose, initialize_config_dir
from hydra._internal.config_loader_impl import ConfigLoaderImpl
from hydra._internal.hydra import Hydra
from hydra.core.global_hydra import GlobalHydra

from sim.config import CONF_DIR, ConfigError
from sim.config.hydra_hook import Refused, install_hydra_guard

BAD = "+hydra.job.env_set.PATH=/tmp"  # refused by the guard (only thread counts)


@pytest.fixture
def hydra_app():
    """Hydra initialised on the shipped ``conf/``, as an application is, cleared after."""
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        yield GlobalHydra.instance()
    GlobalHydra.instance().clear()


def test_the_guard_wraps_the_loader_method_of_the_signature_it_calls():
    install_hydra_guard()
    method = ConfigLoaderImpl.load_configuration
    assert method._agora_guard
    # _reference calls the original with these, by position and by name.
    assert list(inspect.signature(method.__wrapped__).parameters) == [
        "self",
        "config_name",
        "overrides",
        "run_mode",
        "from_shell",
        "validate_sweep_overrides",
    ]


def test_every_road_of_hydra_composes_through_the_wrapped_method():
    # @hydra.main runs Hydra.run or Hydra.multirun; hydra.compose calls compose_config too;
    # each job of a sweep is composed by load_sweep_config.
    assert "self.config_loader.load_configuration(" in inspect.getsource(Hydra.compose_config)
    for road in (Hydra.run, Hydra.multirun):
        assert "self.compose_config(" in inspect.getsource(road), road.__name__
    compose_module = importlib.import_module("hydra.compose")  # hydra.compose is the function

    assert ".compose_config(" in inspect.getsource(compose_module.compose)
    assert "self.load_configuration(" in inspect.getsource(ConfigLoaderImpl.load_sweep_config)


def test_compose_and_a_sweeps_job_are_refused_by_the_guard(hydra_app):
    with pytest.raises(ConfigError, match=r"env_set\.PATH: only thread counts") as refused:
        compose("config", overrides=[BAD])
    assert isinstance(refused.value, Refused)
    master = compose("config", return_hydra_config=True)
    loader = hydra_app.config_loader()
    assert loader.load_sweep_config(master, ["steps=3"]).steps == 3
    with pytest.raises(Refused, match=r"env_set\.PATH"):
        loader.load_sweep_config(master, [BAD])


def test_the_search_path_the_reference_is_cached_by(hydra_app):
    path = hydra_app.config_loader().get_search_path().get_path()
    assert any(str(CONF_DIR) in str(entry) for entry in path)


def test_a_refusal_is_one_line_for_hydra_and_keeps_its_reason_through_pickle():
    from hydra.errors import CompactHydraException

    err = Refused("x=1 is out of range")
    assert isinstance(err, CompactHydraException) and isinstance(err, ConfigError)
    assert str(err) == "Agora: invalid configuration, nothing was run: x=1 is out of range"
    again = pickle.loads(pickle.dumps(err))
    assert (type(again), again.reason, str(again)) == (Refused, err.reason, str(err))


# --------------------------------------------------------------------------- the other pieces


def test_nothing_else_in_sim_imports_hydras_private_modules():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "sim"
    users = sorted(
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if "hydra._internal" in p.read_text(encoding="utf-8")
    )
    assert users == ["config/hydra_hook.py"]


def test_split_sweep_keeps_hydras_job_order():
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from sim.config.hydra_hook import split_sweep

    parsed = OverridesParser.create().parse_overrides(["seed=0,1", "regime=a,b", "steps=5"])
    assert split_sweep(parsed) == [
        ["seed=0", "regime=a", "steps=5"],
        ["seed=0", "regime=b", "steps=5"],
        ["seed=1", "regime=a", "steps=5"],
        ["seed=1", "regime=b", "steps=5"],
    ]


def test_apply_overrides_sets_adds_and_deletes_in_place():
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from omegaconf import OmegaConf

    from sim.config.hydra_hook import apply_overrides

    cfg = OmegaConf.create({"a": 1, "b": {"c": 2}, "d": 3})
    apply_overrides(OverridesParser.create().parse_overrides(["a=5", "+b.e=6", "~d"]), cfg)
    assert OmegaConf.to_container(cfg) == {"a": 5, "b": {"c": 2, "e": 6}}


def test_the_second_validation_is_spared_only_for_validated_batches():
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper

    from sim.config.hydra_hook import spare_second_validation

    original = BasicSweeper.validate_batch_is_legal
    assert list(inspect.signature(original).parameters) == ["self", "batch"]
    seen = []
    try:
        BasicSweeper.validate_batch_is_legal = lambda self, batch: seen.append(batch)
        spare_second_validation({("seed=0",)})
        BasicSweeper.validate_batch_is_legal(None, [["seed=0"]])
        BasicSweeper.validate_batch_is_legal(None, [["seed=0"], ["seed=1"]])
        assert seen == [[["seed=0"], ["seed=1"]]]
    finally:
        BasicSweeper.validate_batch_is_legal = original


def test_hydras_parser_reads_agora_runs_command_line():
    from sim.config.hydra_hook import hydra_args_parser

    ns = hydra_args_parser().parse_intermixed_args(["steps=3", "-m", "seed=0,1", "--cfg", "job"])
    assert ns.multirun and ns.cfg == "job" and ns.overrides == ["steps=3", "seed=0,1"]
