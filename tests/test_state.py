"""The model's state as a typed object (sim.rules.state) and the modes as components
(sim.rules.modes): metrics and pictures take the state; the model's names read and write it."""

from __future__ import annotations

import numpy as np
import pytest

from sim.config import load_config, to_config
from sim.model import AgoraModel
from sim.org.network import build_network
from sim.rules import metrics
from sim.rules.messages import KINDS
from sim.rules.modes import AdditiveTask, ImitationRule, MajorityRule, Opinions
from sim.rules.state import State, Tally, state_of
from sim.viz.drawing import COLOR_BY, NetworkData, node_values

TINY = {
    "org": {"size": 4},
    "hierarchy": {"depth": 2, "span": 3},
    "stakeholders": {"count": 2},
    "environment": {"dims": 4},
}


def _same(a: dict, b: dict) -> bool:
    """Equal dicts of floats, NaN equal to NaN."""
    return a.keys() == b.keys() and all(
        (np.isnan(a[k]) and np.isnan(b[k])) if np.isnan(a[k]) else a[k] == b[k] for k in a
    )


def _hand_state() -> State:
    """A state built by hand: four members and two stakeholders, four dimensions."""
    cfg = to_config(TINY)
    rng = np.random.default_rng(5)
    network = build_network(cfg, np.zeros(2, dtype=np.int64), rng)
    state = State.start(
        cfg,
        network,
        np.zeros(2, dtype=np.int64),
        np.array([1, 1, -1, -1], dtype=np.int8),
        AdditiveTask(),
        rng,
    )
    state.beliefs[:] = [
        [1, 1, -1, -1],
        [1, 0, 0, 0],
        [-1, -1, 1, 1],
        [1, 1, 0, -1],
        [1, 1, -1, -1],
        [0, 1, 0, 0],
    ]
    state.code[:] = [1, 1, 1, 0]
    state.engagement[:] = [0.2, 0.4, 0.6, 0.8, 0.5, 0.5]
    state.trust[:] = [1.0, 0.0, 0.5, 0.5, 0.5, 0.5]
    state.satisfaction[:] = [1.0, 0.5]
    state.follow(rng, np.array([True, False, False, False]))
    return state


def test_measure_takes_a_hand_built_state():
    state = _hand_state()
    row = metrics.measure(state)
    assert row["knowledge_code"] == pytest.approx((1 + 1 - 1 + 0) / 4)
    assert row["knowledge_individuals"] == pytest.approx((4 / 4 + 1 / 4 + 0 / 4 + 3 / 4) / 4)
    assert row["knowledge_stakeholders"] == pytest.approx((4 / 4 + 1 / 4) / 2)
    assert row["engagement"] == pytest.approx(0.5) and row["trust"] == pytest.approx(0.5)
    assert row["stakeholder_satisfaction"] == pytest.approx(0.75)
    # Nothing happened yet: no messages; the opinion mode and the NK task are off.
    assert row["messages_sent"] == 0.0 and row["reach"] == 0.0
    assert all(np.isnan(row[k]) for k in ("opinion_mean", "leader_influence", "performance"))
    # A tally passed apart is the one measured.
    tally = Tally(state.n_nodes)
    tally.sent, tally.sent_by_kind[KINDS.index("post")] = 3, 3
    other = metrics.measure(state, tally)
    assert other["messages_sent"] == 3.0 and other["sent_post"] == 3.0
    assert state.tally.sent == 0


def test_measure_of_a_hand_built_state_equals_the_models():
    """The same arrays in a model (written through its attributes) and in a state built by
    hand measure the same, metric for metric."""
    state = _hand_state()
    model = AgoraModel(TINY, seed=1)
    for name in ("reality", "beliefs", "code", "engagement", "trust", "satisfaction"):
        setattr(model, name, getattr(state, name).copy())
    model.measure()
    row = {k: v for k, v in model.records[-1].items() if k != "step"}
    assert _same(row, metrics.measure(state))
    assert _same(metrics.measure_org(model.state, 0), metrics.measure_org(state, 0))


def test_the_model_measures_its_state_and_its_names_are_the_states():
    model = AgoraModel(load_config(["org.size=60", "steps=5", "population.opinion=fj"]), seed=3)
    model.run()
    row = {k: v for k, v in model.records[-1].items() if k != "step"}
    assert _same(row, metrics.measure(model.state))
    state = model.state
    assert model.beliefs is state.beliefs and model.tally is state.tally
    assert model.network is state.network and model.cfg is state.cfg
    assert model.current_step == state.step == 5
    assert model.opinion is state.opinions.opinion and model.landscape is None
    model.engagement = np.zeros(model.n_nodes)  # written through
    assert not state.engagement.any()
    assert state_of(model) is state and state_of(state) is state
    with pytest.raises(TypeError, match="State or a model"):
        state_of(object())


def test_pictures_take_the_state():
    model = AgoraModel(TINY, seed=2)
    model.run(2)
    for color_by in COLOR_BY:
        assert np.array_equal(node_values(model.state, color_by), node_values(model, color_by))
    data = NetworkData(model.state)
    a, b = data.frame(model.state), NetworkData(model).frame(model)
    assert a.step == b.step == 2 and a.delivered == b.delivered == len(model.state.delivered)
    assert np.array_equal(a.values, b.values) and np.array_equal(a.ends, b.ends)


# ------------------------------------------------------------------ the modes, by reference


def _naive_say(state: State, who: np.ndarray, u: np.ndarray) -> np.ndarray:
    """MajorityRule.say in plain loops: ``post_dims`` dimensions per speaker, a stakeholder's
    among its needs (needed ones first, in order)."""
    m, n = state.reality.size, state.n_individuals
    out = np.zeros((who.size, m), dtype=np.int8)
    for i, w in enumerate(who):
        for x in u[i]:
            if w >= n:
                needed = [d for d in range(m) if state.needs[w - n, d]]
                d = needed[int(x * len(needed))]
            else:
                d = int(x * m)
            out[i, d] = state.beliefs[w, d]
    return out


@pytest.mark.parametrize("seed", range(5))
def test_majority_says_what_a_naive_reference_says(seed):
    state = _hand_state()
    rng = np.random.default_rng(seed)
    state.needs[:] = rng.random(state.needs.shape) < 0.5
    state.needs[:, 0] = True
    state.__post_init__()  # the needs' order and counts follow
    who = rng.integers(0, state.n_nodes, 7)
    said = MajorityRule().say(state, who, np.random.default_rng(seed))
    u = np.random.default_rng(seed).random((who.size, state.cfg.population.post_dims))
    assert np.array_equal(said, _naive_say(state, who, u))


def test_imitation_says_whole_solutions_and_draws_nothing():
    state = _hand_state()
    rng = np.random.default_rng(0)
    before = rng.bit_generator.state
    said = ImitationRule().say(state, np.array([2, 0]), rng)
    assert rng.bit_generator.state == before
    assert np.array_equal(said, state.beliefs[[2, 0]])
    said[:] = 0  # a copy
    assert state.beliefs[2].any()


def test_opinions_are_inert_while_off_and_draw_from_their_own_stream():
    cfg = to_config(TINY)
    rng = np.random.default_rng(0)
    ops, before = Opinions(), rng.bit_generator.state
    ops.configure(cfg, rng, np.zeros(6, dtype=bool), np.zeros(6, dtype=np.int64))
    ops.newcomers(np.array([1]))
    assert not ops.on and np.isnan(ops.leader_influence())
    assert rng.bit_generator.state == before
    on = to_config({**TINY, "population": {"opinion": "degroot"}})
    ops.configure(on, rng, np.array([True] + [False] * 5), np.zeros(6, dtype=np.int64))
    assert ops.on and rng.bit_generator.state == before  # spawned, not drawn
    assert np.all(np.abs(ops.opinion) <= 1) and ops.leader_influence() == pytest.approx(1 / 6)


# ------------------------------------------------------------------ golden values of the modes

# Recorded from the model before its state and modes became components (commit 1ffdbe7) and
# unchanged since: the refactoring moved no number. Seed 2026, the final row.
GOLDEN_MODES = {
    "opinion_fj_chain": (
        [
            "population.opinion=fj",
            "population.turnover=0.05",
            "hierarchy=chain",
            "org.size=80",
            "steps=30",
        ],
        {
            "knowledge_code": 1.0,
            "knowledge_individuals": 0.46125,
            "engagement": 0.5875619492,
            "trust": 0.5963022983,
            "diversity": 0.6164662447,
            "opinion_mean": 0.1197836011,
            "opinion_variance": 0.0910659071,
            "leader_influence": 0.3934345133,
            "retention": 1.0,
            "messages_sent": 200.0,
        },
    ),
    "imitate_nk": (
        [
            "population.peer_rule=imitate",
            "environment.landscape=nk",
            "environment.dims=12",
            "environment.k=3",
            "population.turnover=0.05",
            "org.size=80",
            "steps=30",
        ],
        {
            "knowledge_code": 0.8333333333,
            "knowledge_individuals": 0.709375,
            "engagement": 0.612765359,
            "trust": 0.5797830663,
            "diversity": 0.3360759494,
            "performance": 0.2924303958,
            "retention": 1.0,
            "messages_sent": 225.0,
        },
    ),
    "modes_switched": (
        [
            "org.size=80",
            "steps=30",
            "+interventions=[{at: 10, set: {population.opinion: degroot, population.peer_rule: imitate}}, {at: 20, set: {population.opinion: 'off', population.peer_rule: majority}}]",
        ],
        {
            "knowledge_code": 0.8,
            "knowledge_individuals": 0.6075,
            "engagement": 0.6207022544,
            "trust": 0.5654310989,
            "diversity": 0.3939029536,
            "retention": 1.0,
            "messages_sent": 223.0,
        },
    ),
    "several_switching": (
        ["org=several", "stakeholders.switching=0.5", "steps=30"],
        {
            "knowledge_code": 0.9111111111,
            "knowledge_individuals": 0.713037037,
            "engagement": 0.6285866669,
            "trust": 0.5584140412,
            "diversity": 0.3086407655,
            "retention": 0.7266666667,
            "messages_sent": 738.0,
        },
    ),
}


@pytest.mark.parametrize("name", GOLDEN_MODES)
def test_golden_final_metrics_of_the_modes(name):
    overrides, expected = GOLDEN_MODES[name]
    model = AgoraModel(load_config(overrides), seed=2026)
    model.run()
    last = model.records[-1]
    assert {k: round(float(last[k]), 10) for k in expected} == pytest.approx(expected, abs=1e-9)
    # The switched modes left their component where they were: the opinions off, the rule back.
    if name == "modes_switched":
        assert not model.state.opinions.on and type(model.state.peers) is MajorityRule
        assert np.isnan(last["opinion_mean"]) and not np.isnan(model.records[15]["opinion_mean"])
