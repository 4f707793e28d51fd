"""Configuration: composition of every group, and a clear error for every bad value."""

from __future__ import annotations

import pytest

from sim.config import ConfigError, load_config, to_config
from sim.config.regimes import ENDS

GROUPS = {
    "regime": ["broadcast", "conversational", "hybrid"],
    "org": ["single", "several"],
    "openness": ["closed", "unit", "open"],
    "hierarchy": ["direct", "chain", "flat"],
    "scenario": ["default", "march1991"],
}


@pytest.mark.parametrize("group,option", [(g, o) for g, options in GROUPS.items() for o in options])
def test_every_option_composes(group, option):
    cfg = to_config(load_config([f"{group}={option}"]))
    assert cfg.steps >= 0


def test_keys_other_tools_read_exist():
    cfg = to_config(
        load_config(
            [
                "seed=3",
                "steps=7",
                "replicates=2",
                "environment.dims=12",
                "environment.turbulence=0.1",
                "population.turnover=0.2",
                "regime.socialization=0.3",
                "regime.listening=0.4",
            ]
        )
    )
    assert (cfg.seed, cfg.steps, cfg.replicates, cfg.environment.dims) == (3, 7, 2, 12)
    assert cfg.environment.turbulence == 0.1 and cfg.population.turnover == 0.2
    assert cfg.regime.socialization == 0.3 and cfg.regime.listening == 0.4


def test_named_regimes_take_their_end_values():
    for name, values in ENDS.items():
        regime = to_config(load_config([f"regime={name}"])).regime
        for key, value in values.items():
            assert getattr(regime, key) == value, (name, key)


def test_hybrid_sits_between_and_explicit_values_win():
    half = to_config(load_config(["regime=hybrid", "regime.mix=0.5"])).regime
    lo, hi = ENDS["broadcast"], ENDS["conversational"]
    assert half.responsiveness == pytest.approx((lo["responsiveness"] + hi["responsiveness"]) / 2)
    assert min(lo["broadcast_rate"], hi["broadcast_rate"]) < half.broadcast_rate
    forced = to_config(load_config(["regime=hybrid", "regime.responsiveness=0.05"])).regime
    assert forced.responsiveness == 0.05
    quarter = to_config(load_config(["regime=hybrid", "regime.mix=0.25"])).regime
    assert (quarter.upward, quarter.voting) == ("chain", False)  # the nearer end's channel


def test_every_practice_can_be_set_alone_at_either_end():
    for name in ENDS:
        cfg = to_config(
            load_config(
                [
                    f"regime={name}",
                    "regime.upward=voice",
                    "regime.responsiveness=0.25",
                    "regime.voting=false",
                ]
            )
        )
        assert (cfg.regime.upward, cfg.regime.responsiveness, cfg.regime.voting) == (
            "voice",
            0.25,
            False,
        )


def test_the_ends_leave_peer_conversation_alone():
    ends = [to_config(load_config([f"regime={name}"])) for name in ENDS]
    assert ends[0].population == ends[1].population
    assert ends[0].openness == ends[1].openness
    assert ends[0].org.attention == ends[1].org.attention  # the same capacity to consider ideas
    assert ends[0].regime.listening == ends[1].regime.listening


def test_march_scenario_sets_march_values():
    cfg = to_config(load_config(["scenario=march1991"]))
    assert (cfg.org.size, cfg.environment.dims, cfg.steps, cfg.stakeholders.count) == (
        50,
        30,
        100,
        0,
    )
    assert cfg.regime.upward == "observe" and cfg.population.exploration == 0


@pytest.mark.parametrize(
    "override,match",
    [
        (
            "hierarchy.relay=1.5",
            r"hierarchy\.relay=1\.5 is out of range: a probability in \[0, 1\]",
        ),
        ("regime.socialization=-0.1", r"regime\.socialization=-0\.1 is out of range"),
        ("environment.turbulence=2", r"environment\.turbulence=2\.0 is out of range"),
        ("hierarchy.span=-2", r"hierarchy\.span=-2 is out of range: null or an integer >= 1"),
        (
            "hierarchy.routing=teleport",
            r"hierarchy\.routing='teleport' is out of range: one of \['direct', 'chain', 'network'\]",
        ),
        ("network.pattern=ring", r"network\.pattern='ring' is out of range"),
        (
            "regime.upward=nobody",
            r"regime\.upward='nobody' is out of range: one of \['chain', 'voice', 'observe'\]",
        ),
        ("regime.responsiveness=1.5", r"regime\.responsiveness=1\.5 is out of range"),
        ("openness.voice=-1", r"openness\.voice=-1\.0 is out of range"),
        ("steps=-1", r"steps=-1 is out of range: an integer >= 0"),
        ("replicates=0", r"replicates=0 is out of range"),
        ("network.peer_degree=3", r"network\.peer_degree=3 is out of range: an even integer"),
        (
            "hierarchy.depth=x",
            r"hierarchy\.depth: Value 'x' of type 'str' could not be converted to Integer",
        ),
        ("hierarchy.spam=3", r"hierarchy\.spam: Key 'spam' not in 'HierarchyConfig'"),
        ("+colour=red", r"colour: Key 'colour' not in 'AgoraConfig'"),
        (
            "regime=anarchy",
            r"regime=anarchy is unknown \(regime is one of broadcast, conversational, hybrid\)",
        ),
        ("regime.mix=1.2", r"regime\.mix=1\.2 is out of range"),
    ],
)
def test_bad_values_name_the_key_and_the_allowed_range(override, match):
    with pytest.raises(ConfigError, match=match):
        load_config([override])


def test_structure_that_cannot_exist_is_refused():
    with pytest.raises(
        ConfigError, match=r"org\.size=500 does not fit hierarchy\.depth=3 with hierarchy\.span=3"
    ):
        load_config(["org.size=500", "hierarchy.depth=3", "hierarchy.span=3"])
    with pytest.raises(ConfigError, match=r"post_dims=40 exceeds environment\.dims=30"):
        load_config(["population.post_dims=40"])


def test_plain_mappings_are_checked_too():
    with pytest.raises(ConfigError, match=r"hierarchy\.relay=3"):
        to_config({"hierarchy": {"relay": 3}})
    with pytest.raises(ConfigError, match=r"stepz"):
        to_config({"stepz": 1})
    with pytest.raises(ConfigError, match=r"regime\.name='anarchy' is unknown"):
        to_config({"regime": {"name": "anarchy"}})


def test_bad_config_fails_before_anything_runs(monkeypatch):
    import sim.model

    built = []
    monkeypatch.setattr(sim.model.AgoraModel, "_setup", lambda self: built.append(1))
    with pytest.raises(ConfigError):
        sim.model.AgoraModel({"hierarchy": {"relay": 1.5}})
    assert built == []
