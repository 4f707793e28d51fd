"""Fang, Lee & Schilling's learning from superior contacts (``population.peer_rule=learn_superior``)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import frame_hash
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import simulate
from sim.config import ConfigError, load_config, to_config
from sim.march import is_march, run_batch
from sim.model import AgoraModel
from sim.rules.metrics import METRIC_NAMES
from sim.rules.modes import PEER_RULES, LearnSuperiorRule
from sim.rules.superior import learn_superior
from sim.simulation import run_replicate

LINEAR = [
    "org.chart=data/lazer_friedman_linear_chart.csv",
    "org.network=data/lazer_friedman_linear_network.csv",
]
#: Lazer & Friedman's setup with the superior-contacts rule: nothing but the rule moves beliefs.
ONLY_PEERS = [
    "scenario=lazer_friedman2007",
    "population.peer_rule=learn_superior",
    "population.exploration=0",
    "population.turnover=0",
]
#: A small NK task (whole solutions are posted: a post speaks about every dimension).
SMALL_NK = ["environment.dims=10", "environment.k=3", "population.post_dims=10"]


# ------------------------------------------------------------------ the rule, against naive


def _naive(beliefs, own, reader, values, score, rate, u):
    """One member at a time, one dimension at a time; one uniform per candidate cell in order."""
    out = beliefs.copy()
    used = 0
    for i in range(len(beliefs)):
        sup = [j for j in range(len(reader)) if reader[j] == i and score[j] > own[i]]
        for d in range(beliefs.shape[1]):
            plus = sum(1 for j in sup if values[j, d] > 0)
            minus = sum(1 for j in sup if values[j, d] < 0)
            major = 1 if plus > minus else -1 if minus > plus else 0
            if major != 0 and beliefs[i, d] != major:
                if u[used] < rate:
                    out[i, d] = major
                used += 1
    return out, used


def _hand_built(seed: int, n: int, degree: int):
    """A ring of ``n`` members, each tied to ``degree`` neighbours on each side, posting its
    whole solution to every contact (some posts lost at random, as to attention)."""
    rng = np.random.default_rng(seed)
    beliefs = rng.choice(np.array([-1, 0, 1], dtype=np.int8), size=(n, 6))
    own = rng.integers(0, 5, n) / 4  # coarse scores: ties happen
    ties = [(i, (i + k) % n) for i in range(n) for k in range(-degree, degree + 1) if k]
    ties = [t for t in ties if t[0] != t[1] and rng.random() < 0.8]
    sender = np.array([s for s, _ in ties], dtype=np.int64)
    reader = np.array([r for _, r in ties], dtype=np.int64)
    return beliefs, own, reader, beliefs[sender], own[sender]


@given(st.integers(0, 2**31 - 1), st.integers(2, 12), st.integers(1, 3), st.floats(0, 1))
@settings(max_examples=60, deadline=None)
def test_rule_matches_naive_per_agent_reference(seed, n, degree, rate):
    beliefs, own, reader, values, score = _hand_built(seed, n, degree)
    u = np.random.default_rng(seed + 1).random(beliefs.size)
    taken = []

    def draw(count):
        taken.append(count)
        return u[:count]

    new = learn_superior(beliefs, own, reader, values, score, rate, draw)
    ref, used = _naive(beliefs, own, reader, values, score, rate, u)
    np.testing.assert_array_equal(new, ref)
    assert taken == [used]  # one call, one uniform per candidate cell, whatever the rate


def test_member_with_no_superior_contact_keeps_its_beliefs():
    beliefs = np.array([[1, 1, -1], [-1, -1, 1], [1, -1, 1]], dtype=np.int8)
    own = np.array([0.9, 0.5, 0.5])
    # 0 reads 1 and 2 (both worse); 1 reads 2 (equal, not superior); 2 reads 0 (better).
    reader, sender = np.array([0, 0, 1, 2]), np.array([1, 2, 2, 0])
    new = learn_superior(beliefs, own, reader, beliefs[sender], own[sender], 1.0, np.zeros)
    assert new[0].tolist() == [1, 1, -1] and new[1].tolist() == [-1, -1, 1]
    assert new[2].tolist() == [1, 1, -1]  # its one superior contact is the majority
    # Nothing read, nothing learnt, and one (empty) draw.
    none = np.array([], dtype=np.int64)
    same = learn_superior(beliefs, own, none, beliefs[none], own[none], 1.0, np.zeros)
    np.testing.assert_array_equal(same, beliefs)


def test_a_split_superior_majority_leaves_the_dimension_alone():
    beliefs = np.array([[1, 1], [-1, 1], [1, -1]], dtype=np.int8)
    own = np.array([0.0, 1.0, 1.0])
    reader, sender = np.array([0, 0]), np.array([1, 2])
    new = learn_superior(beliefs, own, reader, beliefs[sender], own[sender], 1.0, np.zeros)
    assert new[0].tolist() == [1, 1]  # one for, one against on each dimension


# ------------------------------------------------------------------ in the model


def test_model_step_matches_the_rule_by_hand_on_the_line():
    """One step on Lazer & Friedman's line (each reads both neighbours' whole solutions):
    every dimension takes the superior neighbours' majority (rate 1), by hand."""
    model = AgoraModel(load_config([*ONLY_PEERS, *LINEAR, "population.peer_influence=1"]))
    assert isinstance(model.state.peers, LearnSuperiorRule)
    n = model.n_individuals
    before, own = model.beliefs[:n].copy(), model.scores()[:n]
    model.step()
    after = model.beliefs[:n]
    for i in range(n):
        sup = [j for j in (i - 1, i + 1) if 0 <= j < n and own[j] > own[i]]
        votes = before[sup].astype(int).sum(axis=0) if sup else np.zeros(before.shape[1])
        expect = np.where(votes != 0, np.sign(votes), before[i])
        np.testing.assert_array_equal(after[i], expect, err_msg=f"member {i}")


@given(st.integers(0, 10**6))
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_invariants_beliefs_stay_complete_and_the_best_never_gets_worse(seed):
    model = AgoraModel(load_config([*ONLY_PEERS, *SMALL_NK]), seed=seed)
    n = model.n_individuals
    best = model.scores()[:n].max()
    for _ in range(6):
        model.step()
        assert set(np.unique(model.beliefs[:n])) <= {-1, 1}  # solutions stay complete
        s = model.scores()[:n]
        assert ((s >= 0) & (s <= 1)).all()
        # Nobody outscores the best member, so it keeps its solution: the top never falls.
        assert s.max() >= best
        best = s.max()


def test_off_by_default_and_acting_when_on(small):
    cfg = to_config(load_config([]))
    assert cfg.population.peer_rule == "majority"
    assert PEER_RULES["learn_superior"] is LearnSuperiorRule
    base = simulate(small).metrics
    explicit = simulate(
        {**small, "population": {**small.get("population", {}), "peer_rule": "majority"}}
    ).metrics
    assert frame_hash(base) == frame_hash(explicit)
    on = simulate(
        {**small, "population": {**small.get("population", {}), "peer_rule": "learn_superior"}}
    ).metrics
    assert frame_hash(on) != frame_hash(base)


def test_same_seed_same_output():
    args = ["scenario=fang2010", "population.peer_rule=learn_superior", "steps=5", "seed=4"]
    a = simulate(load_config(args)).metrics
    b = simulate(load_config(args)).metrics
    assert frame_hash(a) == frame_hash(b)


def test_bad_rule_fails_naming_the_key():
    with pytest.raises(ConfigError, match=r"population.peer_rule='superior'.*learn_superior"):
        to_config(load_config(["population.peer_rule=superior"]))


def test_march_kernel_runs_it_as_the_model_does():
    """Without talk no post is read, so the rule cannot act: the kernel keeps the config and
    gives the Mesa model's numbers (``population.peer_rule`` is in ``KERNEL_INERT``)."""
    march = ["scenario=march1991", "steps=6", "hierarchy.span=24", "org.size=24"]
    cfg = to_config(load_config([*march, "population.peer_rule=learn_superior"]))
    assert is_march(cfg)
    batch = run_batch(cfg, [5])
    model = run_replicate(cfg, 5)
    for name in METRIC_NAMES:
        np.testing.assert_array_equal(model[name].to_numpy(), batch[name].to_numpy(), name)
