"""Replicates batched (sim.batch): every replicate is the Mesa model's, seed for seed.

Each configuration below runs its replicates stacked in one batch and one at a time through
``AgoraModel``; every metric at every step must be the same float. The configurations cover
what the batch runs: the three regimes, ideas up the chain with relays that lose and distort,
attention and time caps that bind (the tie-break draws), each mechanism switched off (and worlds
whose switches differ: the main job's ablations in one batch), no stakeholders, no turnover or
exploration, no peer talk, interventions that change the rules.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import simulate
from sim.batch import WORLD_MECHANISMS, Batch, batch_groups, batchable, refusals, run_batch
from sim.config import load_config, to_config
from sim.exec.parallel import blocks
from sim.simulation import run_replicate, run_replicates
from sim.studies.compare import design_for, plan_ablations, plan_arms
from sim.util.seeding import Streams, replicate_seeds

SMALL = {"org": {"size": 60}, "stakeholders": {"count": 12}}

CASES = {
    "default": {},
    "broadcast": {"regime": {"name": "broadcast"}},
    "conversational": {"regime": {"name": "conversational"}},
    "relays lose and distort, caps bind": {
        "regime": {"name": "broadcast"},
        "hierarchy": {"relay": 0.6, "distortion": 0.3},
        "population": {"attention": 2},
    },
    "the organization's attention and time bind": {
        "regime": {"name": "hybrid", "mix": 0.7},
        "org": {"attention": 3},
        "population": {"attention": 2, "time": 2.5},
    },
    "no stakeholders, turnover or exploration": {
        "stakeholders": {"count": 0},
        "population": {"turnover": 0.0, "exploration": 0.0},
    },
    "turbulent, no leadership exploration": {
        "org": {"exploration": 0.0},
        "environment": {"turbulence": 0.2},
    },
    "no socialization by broadcasts": {"mechanisms": {"broadcast_socialization": False}},
    "answers teach nothing, time free, votes not heard": {
        "mechanisms": {"answer_learning": False, "time_costs": False, "votes_as_heard": False}
    },
    "every feedback switched off": {
        "mechanisms": {
            name: False
            for name in (
                "voice_effect",
                "frustration",
                "benevolence",
                "ability",
                "integrity",
                "broadcast_clarity",
                "broadcast_fatigue",
            )
        }
    },
    "nothing costs time": {
        "population": {f"time_{a}": 0 for a in ("read", "post", "reply", "vote", "voice")},
        "org": {"answer_cost": 0},
    },
    "half the members without a voice channel, stakeholders unheard, fast learners": {
        "openness": {"voice": 0.5, "hear_stakeholders": False},
        "population": {"fast_share": 0.3},
    },
    "no broadcasts, no answers": {
        "regime": {"name": "conversational", "broadcast_rate": 0.0, "responsiveness": 0.0}
    },
    "values espoused, trust fixed": {"org": {"espoused": 0.9}, "population": {"trust_rate": 0.0}},
    "some broadcasts, relays that never fail": {
        "regime": {"name": "broadcast", "broadcast_rate": 0.5},
        "hierarchy": {"relay": 1.0},
    },
    "nobody talks": {"openness": {"peer": 0.0}, "population": {"talk": 0.0, "voice": 0.0}},
    "ideas along the ties (network routing)": {"hierarchy": {"routing": "network"}},
    "a platform that champions start and members adopt or leave": {
        "platform": {"rollout": "champions", "champions": 0.2, "patience": 2},
        "population": {"turnover": 0.05},
    },
    "a platform given to everyone, adopted or left": {
        "platform": {"rollout": "top_down"},
        "mechanisms": {"leader_visibility": False},
    },
    "interventions that change the rules": {
        "interventions": [
            {"at": 10, "set": {"regime.responsiveness": 0.9, "population.attention": 2}},
            {"at": 20, "set": {"regime": "broadcast", "mechanisms.time_costs": False}},
        ]
    },
}


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge(out.get(key, {}), value) if isinstance(value, dict) else value
    return out


def assert_same_as_the_model(cfg, seeds) -> None:
    """The batch's rows equal each replicate run alone through the Mesa model, bit for bit."""
    batched = run_batch(cfg, seeds)
    assert batched["replicate"].tolist() == np.repeat(np.arange(len(seeds)), cfg.steps + 1).tolist()
    for r, seed in enumerate(seeds):
        alone = run_replicate(cfg, seed)
        mine = batched[batched["replicate"] == r].drop(columns=["replicate", "seed"])
        assert (batched.loc[batched["replicate"] == r, "seed"] == seed).all()
        pd.testing.assert_frame_equal(mine.reset_index(drop=True), alone, check_exact=True)


@pytest.mark.parametrize("case", CASES)
def test_each_batched_replicate_is_the_models_replicate(case):
    cfg = to_config(_merge({**SMALL, "steps": 30, "seed": 3}, CASES[case]))
    assert batchable(cfg), refusals(cfg)
    assert_same_as_the_model(cfg, replicate_seeds(cfg.seed, 3))


@pytest.mark.slow
def test_the_default_scenario_batched_over_a_whole_run():
    cfg = to_config({"steps": 300, "seed": 11})
    assert_same_as_the_model(cfg, replicate_seeds(cfg.seed, 2))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    mix=st.sampled_from([0.0, 0.3, 0.5, 1.0]),
    relay=st.sampled_from([0.5, 0.9, 1.0]),
    attention=st.integers(1, 6),
    turnover=st.sampled_from([0.0, 0.05]),
    seed=st.integers(0, 2**32),
)
def test_any_batchable_setting_gives_the_models_numbers(mix, relay, attention, turnover, seed):
    cfg = to_config(
        {
            "org": {"size": 30},
            "stakeholders": {"count": 6},
            "steps": 12,
            "seed": seed,
            "regime": {"name": "hybrid", "mix": mix},
            "hierarchy": {"relay": relay},
            "population": {"attention": attention, "turnover": turnover},
        }
    )
    assert_same_as_the_model(cfg, replicate_seeds(seed, 2))


def test_simulate_and_the_job_blocks_use_the_batch_with_the_same_rows():
    cfg = to_config({**SMALL, "steps": 8, "replicates": 4, "seed": 5})
    seeds = replicate_seeds(cfg.seed, 4)
    whole = simulate(cfg).metrics
    one_by_one = simulate(cfg, progress=True).metrics  # the model, replicate after replicate
    pd.testing.assert_frame_equal(whole, one_by_one, check_exact=True)
    # Blocks of the replicates give the same rows, numbered from their first replicate.
    parts = [run_replicates(cfg, part, first=first)[0] for first, part in blocks(seeds, 3)]
    pd.testing.assert_frame_equal(pd.concat(parts, ignore_index=True), whole, check_exact=True)


def _arm_configs(steps: int, **extra) -> list:
    """The main job's arms (ends, hybrids, the half-fraction design points) at a small size:
    their broadcast rates, voting, channels and answers differ world by world."""
    base = _merge(SMALL, {"steps": steps, **extra})
    return [
        to_config(_merge(base, {"regime": arm.regime})) for arm in plan_arms(design_for("half"))
    ]


def assert_each_world_is_its_model(cfgs, seeds) -> None:
    batched = run_batch(cfgs, seeds)
    for r, (cfg, seed) in enumerate(zip(cfgs, seeds, strict=True)):
        mine = batched[batched["replicate"] == r].drop(columns=["replicate", "seed"])
        alone = run_replicate(cfg, seed)
        pd.testing.assert_frame_equal(mine.reset_index(drop=True), alone, check_exact=True)


def test_arms_in_one_batch_are_each_their_model():
    cfgs = _arm_configs(25)
    regimes = {(c.regime.broadcast_rate, c.regime.voting, c.regime.upward) for c in cfgs}
    assert len(regimes) > 4  # coins drawn in some worlds only, votes and chains in some
    assert_each_world_is_its_model(cfgs, replicate_seeds(3, len(cfgs)))


def test_arms_in_one_batch_follow_an_intervention_each_under_its_own_rules():
    change = {"at": 8, "set": {"regime.responsiveness": 0.0, "population.attention": 2}}
    cfgs = _arm_configs(16, interventions=[change])[:6]
    assert_each_world_is_its_model(cfgs, replicate_seeds(4, 6))


PRACTICE = st.fixed_dictionaries(
    {
        "broadcast_rate": st.sampled_from([0.0, 0.3, 1.0]),
        "socialization": st.sampled_from([0.0, 0.2, 0.6]),
        "listening": st.sampled_from([0.1, 0.5]),
        "upward": st.sampled_from(["chain", "voice"]),
        "responsiveness": st.sampled_from([0.0, 0.4, 1.0]),
        "voting": st.booleans(),
    }
)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(practices=st.lists(PRACTICE, min_size=2, max_size=4), seed=st.integers(0, 2**32))
def test_worlds_under_any_practices_are_each_their_model(practices, seed):
    base = {"org": {"size": 30}, "stakeholders": {"count": 6}, "steps": 12}
    cfgs = [to_config({**base, "regime": {"name": "hybrid", **p}}) for p in practices]
    assert_each_world_is_its_model(cfgs, replicate_seeds(seed, len(cfgs)))


def test_the_main_jobs_ablations_in_one_batch_are_each_their_model():
    """Both ends with each mechanism switched off, and two pairs off together (the main job's
    classification), stepped as one batch beside the ends themselves."""
    base = _merge(SMALL, {"steps": 20, "org": {"espoused": 0.9}})
    arms = plan_arms(design_for("half"))[:2] + plan_ablations(WORLD_MECHANISMS)
    arms += plan_ablations([], [("voice_effect", "time_costs"), ("frustration", "benevolence")])
    cfgs = [
        to_config(_merge(base, {"regime": arm.regime, "mechanisms": dict.fromkeys(arm.off, False)}))
        for arm in arms
    ]
    assert len({dataclasses.astuple(c.mechanisms) for c in cfgs}) == len(WORLD_MECHANISMS) + 3
    assert batch_groups(dict(enumerate(cfgs))) == [list(range(len(cfgs)))]
    assert_each_world_is_its_model(cfgs, replicate_seeds(6, len(cfgs)))


def test_worlds_with_and_without_time_costs_read_what_each_can_afford():
    """Time binds (members' and the organization's, whose answers take its attention): the
    worlds where costs are off read at their caps, beside worlds where they are on."""
    bind = {"org": {"attention": 2}, "population": {"attention": 3, "time": 2.5}}
    base = _merge(SMALL, {"steps": 15, **bind, "regime": {"name": "conversational"}})
    cfgs = [to_config(_merge(base, {"mechanisms": {"time_costs": on}})) for on in (1, 0, 0, 1)]
    assert_each_world_is_its_model(cfgs, replicate_seeds(8, 4))


SWITCHES = st.fixed_dictionaries({name: st.booleans() for name in WORLD_MECHANISMS})


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    switches=st.lists(SWITCHES, min_size=2, max_size=4),
    practices=st.lists(PRACTICE, min_size=4, max_size=4),
    setting=st.sampled_from(
        [
            {},
            {"org": {"espoused": 0.8}},
            {"platform": {"rollout": "champions", "champions": 0.3, "patience": 2}},
            {"population": {"attention": 2, "time": 2.5}, "org": {"attention": 2}},
            {"interventions": [{"at": 6, "set": {"mechanisms.voice_effect": True}}]},
        ]
    ),
    seed=st.integers(0, 2**32),
)
def test_worlds_under_any_mechanism_switches_are_each_their_model(
    switches, practices, setting, seed
):
    base = _merge({"org": {"size": 30}, "stakeholders": {"count": 6}, "steps": 12}, setting)
    cfgs = [
        to_config(_merge(base, {"regime": {"name": "hybrid", **p}, "mechanisms": s}))
        for s, p in zip(switches, practices)
    ]
    assert_each_world_is_its_model(cfgs, replicate_seeds(seed, len(cfgs)))


def test_worlds_of_one_batch_may_differ_only_in_their_practices():
    a, b = to_config({**SMALL, "steps": 3}), to_config({**SMALL, "steps": 4})
    with pytest.raises(ValueError, match="differ in more than their practices"):
        Batch([a, b], [1, 2])
    # Composed configurations are as good as typed ones; a list of strings is one's overrides.
    composed = [
        load_config(["steps=3", "org.size=30", f"regime={r}"]) for r in ("broadcast", "hybrid")
    ]
    assert run_batch(composed, [1, 2])["replicate"].unique().tolist() == [0, 1]
    assert run_batch(["steps=3", "org.size=30"], [1, 2]).shape[0] == 8
    arms = {arm.name: cfg for arm, cfg in zip(plan_arms(design_for("half")), _arm_configs(3))}
    assert batch_groups({**arms, "longer": b}) == [list(arms), ["longer"]]


def test_streams_draw_each_elements_number_from_its_own_world_in_order():
    world = np.array([2, 0, 2, 1, 0, 2])
    got = Streams([np.random.default_rng(s) for s in range(3)]).for_elements(world)
    # Naive reference: each world's generator drawn one element at a time, in element order.
    naive = [np.random.default_rng(s) for s in range(3)]
    assert got.tolist() == [float(naive[w].random()) for w in world]
    rows = Streams([np.random.default_rng(s) for s in range(3)]).for_elements(world, 2)
    naive = [np.random.default_rng(s) for s in range(3)]
    assert rows.tolist() == [naive[w].random(2).tolist() for w in world]


def test_streams_skip_what_the_model_skips():
    streams = Streams([np.random.default_rng(1), np.random.default_rng(2)])
    streams.skip(np.array([3, 0]))
    one, two = np.random.default_rng(1), np.random.default_rng(2)
    one.random(3)
    assert streams.each(2).tolist() == [one.random(2).tolist(), two.random(2).tolist()]


REFUSED = {
    "several organizations": {"org": {"count": 2}},
    "an NK task": {"environment": {"landscape": "nk", "dims": 10}},
    "the opinion mode": {"population": {"opinion": "degroot"}},
    "the peer rule imitate": {"population": {"peer_rule": "imitate"}},
    "posts to every neighbour": {"population": {"audience": "all"}},
    "chain broadcast routing": {"hierarchy": {"routing": "chain"}},
    "decisions by vote": {"regime": {"decision": "vote"}},
    "an intervention that rewires": {"interventions": [{"at": 2, "set": {"network.rewire": 0.3}}]},
    "leaders taking part (from step 2)": {
        "interventions": [{"at": 2, "set": {"leadership.participation": 0.5}}]
    },
    "practices that adapt": {"org": {"adapt": "on"}},
    "leaders taking part": {"leadership": {"participation": 0.5}},
    "the economy": {"value": {"economy": True}},
}


@pytest.mark.parametrize("reason", REFUSED)
def test_what_the_batch_does_not_run_is_refused_by_name_and_runs_alone(reason):
    cfg = to_config({**SMALL, "steps": 3, "replicates": 2, **REFUSED[reason]})
    assert any(r.startswith(reason) for r in refusals(cfg)), refusals(cfg)
    with pytest.raises(ValueError, match="not batchable"):
        Batch(cfg, [1, 2])
    # simulate still runs it, one replicate at a time through the model.
    assert len(simulate(cfg).metrics) == 2 * 4


def test_blocks_cover_the_seeds_in_order():
    seeds = list(range(23))
    for size in (1, 4, 10, 30):
        got = blocks(seeds, size)
        assert [s for _, part in got for s in part] == seeds
        assert [first for first, _ in got] == list(range(0, 23, size))
        assert all(1 <= len(part) <= size for _, part in got)


def test_a_metric_added_later_sends_the_runs_through_the_model(monkeypatch):
    """A metric a user adds to METRICS is not known to reduce world by world, so the batch
    refuses it by name and simulate measures it replicate by replicate through the model."""
    from sim.rules import metrics

    monkeypatch.setitem(
        metrics.METRICS, "half_engaged", lambda s: np.mean(s.model.engagement > 0.5)
    )
    cfg = to_config({**SMALL, "steps": 3, "replicates": 2})
    assert refusals(cfg) == ["metrics added since sim.rules.metrics loaded: half_engaged"]
    with pytest.raises(ValueError, match="half_engaged"):
        Batch(cfg, [1, 2])
    assert len(simulate(cfg).metrics) == 2 * 4


SCENARIOS = sorted(
    p.stem for p in (Path(__file__).parent.parent / "conf" / "scenario").glob("*.yaml")
)


@pytest.mark.slow
def test_every_scenario_the_batch_runs_is_the_models():
    """Each scenario the batch runs gives the model's numbers; the others name why not."""
    batched = []
    for scenario in SCENARIOS:
        cfg = to_config(load_config([f"scenario={scenario}", "steps=25"]))
        if cfg.org.size * cfg.org.count > 3_000:  # kept small: the same rules at any size
            cfg = to_config(load_config([f"scenario={scenario}", "steps=25", "org.size=300"]))
        if refusals(cfg):
            continue  # runs through the model, one replicate at a time
        assert_same_as_the_model(cfg, replicate_seeds(cfg.seed, 2))
        batched.append(scenario)
    expected = {"default", "sample_company", "distributed_strategy", "grown_from_champions"}
    assert expected <= set(batched), batched
