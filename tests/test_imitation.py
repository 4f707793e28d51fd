"""The NK task environment and Lazer & Friedman's imitation in Agora's peer channel."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SMALL, frame_hash
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import simulate
from sim.config import ConfigError, load_config, to_config
from sim.model import AgoraModel
from sim.rules.imitation import best_read, imitate, improving_trials
from sim.rules.landscape import NKLandscape, additive_scores, flip, from_codes, to_codes
from sim.validation import lazer_friedman as lf

LINEAR = [
    "org.chart=data/lazer_friedman_linear_chart.csv",
    "org.network=data/lazer_friedman_linear_network.csv",
]


def _lf(*extra: str, steps: int = 10) -> AgoraModel:
    return AgoraModel(load_config(["scenario=lazer_friedman2007", f"steps={steps}", *extra]))


# ------------------------------------------------------------------ the landscape


def _naive_fitness(land: NKLandscape, bits: list[int]) -> float:
    """Kauffman's definition, one locus at a time, on a list of bits."""
    total = 0.0
    for i in range(land.n):
        idx = sum(bits[locus] << b for b, locus in enumerate(land.deps[i]))
        total += land.contrib[i, idx]
    return total / land.n


@pytest.mark.parametrize("n,k", [(6, 0), (8, 3), (10, 9)])
def test_landscape_table_matches_naive_per_solution_reference(n, k):
    land = NKLandscape(n, k, np.random.default_rng(n + k))
    ref = np.array([_naive_fitness(land, [(s >> i) & 1 for i in range(n)]) for s in range(2**n)])
    np.testing.assert_array_equal(land.table, ref)  # the same sums in the same order
    naive_scores = (ref / ref.max()) ** 8
    np.testing.assert_allclose(land.scores, naive_scores, rtol=1e-15)
    assert land.scores.max() == 1.0 and land.scores.min() >= 0.0


def test_codes_and_beliefs_round_trip():
    rng = np.random.default_rng(0)
    b = np.where(rng.random((50, 12)) < 0.5, -1, 1).astype(np.int8)
    codes = to_codes(b)
    np.testing.assert_array_equal(from_codes(codes, 12), b)
    naive = [sum(1 << i for i in range(12) if row[i] > 0) for row in b.tolist()]
    assert codes.tolist() == naive


def test_additive_score_is_march_share_right():
    b = np.array([[1, -1, 0, 1], [1, 1, 1, 1]], dtype=np.int8)
    assert additive_scores(b, np.array([1, 1, 1, -1])).tolist() == [0.25, 0.75]


# ------------------------------------------------------------------ the rules, against naive


def _naive_imitate(beliefs, own, reader, values, score):
    out = beliefs.copy()
    copied = np.zeros(len(beliefs), dtype=bool)
    for node in range(len(beliefs)):
        best, best_j = -np.inf, -1
        for j in range(len(reader)):  # messages in the order read: the first best wins
            if reader[j] == node and score[j] > best:
                best, best_j = score[j], j
        if best_j >= 0 and best > own[node]:
            out[node] = values[best_j]
            copied[node] = True
    return out, copied


@given(st.integers(0, 2**31 - 1), st.integers(1, 12), st.integers(0, 40))
@settings(max_examples=60, deadline=None)
def test_imitation_matches_naive_per_agent_reference(seed, n, posts):
    rng = np.random.default_rng(seed)
    beliefs = np.where(rng.random((n, 5)) < 0.5, -1, 1).astype(np.int8)
    own = rng.integers(0, 4, n) / 4  # coarse scores: ties happen
    reader = rng.integers(0, n, posts)
    values = np.where(rng.random((posts, 5)) < 0.5, -1, 1).astype(np.int8)
    score = rng.integers(0, 4, posts) / 4
    new, copied = imitate(beliefs, own, reader, values, score)
    ref_new, ref_copied = _naive_imitate(beliefs, own, reader, values, score)
    np.testing.assert_array_equal(new, ref_new)
    np.testing.assert_array_equal(copied, ref_copied)


def test_imitation_velocity_draws_once_per_candidate():
    beliefs = np.ones((3, 2), dtype=np.int8)
    own = np.array([0.1, 0.9, 0.1])
    reader, score = np.array([0, 1, 2]), np.array([0.5, 0.5, 0.5])
    values = -np.ones((3, 2), dtype=np.int8)
    asked = []

    def draw(count):
        asked.append(count)
        return np.array([0.9, 0.1])  # node 0 does not look, node 2 does

    _, copied = imitate(beliefs, own, reader, values, score, rate=0.5, draw=draw)
    assert asked == [2] and copied.tolist() == [False, False, True]
    best, idx = best_read(reader[:0], score[:0], 3)
    assert np.isneginf(best).all() and (idx == -1).all()


@given(st.integers(0, 2**31 - 1))
@settings(max_examples=40, deadline=None)
def test_local_search_matches_naive_and_never_lowers_a_score(seed):
    rng = np.random.default_rng(seed)
    land = NKLandscape(8, 3, rng)
    beliefs = np.where(rng.random((15, 8)) < 0.5, -1, 1).astype(np.int8)
    own = land.score_beliefs(beliefs)
    rows = np.flatnonzero(rng.random(15) < 0.7)
    dims = rng.integers(0, 8, rows.size)
    kept_rows, kept = improving_trials(beliefs, own, rows, dims, land.score_beliefs)
    naive_rows, naive_vals = [], []
    for r, d in zip(rows.tolist(), dims.tolist(), strict=True):
        trial = beliefs[r].copy()
        trial[d] = -trial[d]
        if land.score(to_codes(trial[None])[0]) > own[r]:
            naive_rows.append(r)
            naive_vals.append(trial)
    assert kept_rows.tolist() == naive_rows
    np.testing.assert_array_equal(kept, np.array(naive_vals).reshape(-1, 8))
    assert (land.score_beliefs(kept) > own[kept_rows]).all()
    # A zero belief (no view yet) tries +1.
    assert flip(np.array([[0, 1]], np.int8), np.array([0]), np.array([0])).tolist() == [[1, 1]]


# ------------------------------------------------------------------ the model


def test_options_off_leave_default_outputs_unchanged(small):
    """Writing the defaults out changes nothing, draw for draw."""
    base = simulate(small).metrics
    explicit = simulate(
        {
            **small,
            "environment": {**small.get("environment", {}), "landscape": "additive", "k": 3},
            "population": {
                **small.get("population", {}),
                "peer_rule": "majority",
                "audience": "one",
            },
        }
    ).metrics
    assert frame_hash(base) == frame_hash(explicit)
    assert base["performance"].isna().all()  # an NK score: none on the additive task


def test_scenario_is_lazer_and_friedmans_setup():
    model = _lf()
    n = model.n_individuals
    assert n == 100 and model.n_stakeholders == 0
    assert (model.network.degree()[:n] == 99).all()  # totally connected
    line = _lf(*LINEAR)
    deg = line.network.degree()[:n]
    assert deg[0] == deg[-1] == 1 and (deg[1:-1] == 2).all()  # a line
    assert model.landscape.n == 20 and model.landscape.k == 5
    assert set(np.unique(model.beliefs)) == {-1, 1}
    # The landscape and starting solutions are drawn before the wiring: shared by both nets.
    np.testing.assert_array_equal(model.landscape.contrib, line.landscape.contrib)
    np.testing.assert_array_equal(model.beliefs, line.beliefs)


def test_every_member_reads_every_neighbour_post_each_step():
    model = _lf(*LINEAR)
    model.step()
    assert model.records[-1]["sent_post"] == 2 * 99  # one per tie and direction
    assert model.records[-1]["overload"] == 0.0


@given(st.integers(0, 10**6))
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_invariants_under_nk(seed):
    model = AgoraModel(
        load_config(
            [
                "scenario=lazer_friedman2007",
                *LINEAR,
                "environment.dims=10",
                "environment.k=3",
                "population.post_dims=10",
                "population.turnover=0.05",
                "population.exploration=0.7",
            ]
        ),
        seed=seed,
    )
    for _ in range(8):
        model.step()
        b = model.beliefs[: model.n_individuals]
        assert set(np.unique(b)) <= {-1, 1}  # solutions stay complete, newcomers too
        s = model.scores()[: model.n_individuals]
        assert ((s >= 0) & (s <= 1)).all()
        assert 0 <= model.records[-1]["performance"] <= 1


def test_own_search_never_lowers_a_score_without_colleagues():
    """Members who hear no one only keep improving changes: scores never fall."""
    model = _lf(*LINEAR, "population.talk=0")
    prev = model.scores()
    for _ in range(15):
        model.step()
        now = model.scores()
        assert (now >= prev).all()
        prev = now


def test_model_rule_matches_lazer_friedman_on_one_step():
    """One step by hand: who copies whom and who keeps its search, from the model's state."""
    model = _lf(*LINEAR)
    n = model.n_individuals
    before = model.beliefs[:n].copy()
    own = model.scores()[:n]
    model.step()
    after = model.beliefs[:n]
    for i in range(n):
        nbs = [j for j in (i - 1, i + 1) if 0 <= j < n]
        best = max(nbs, key=lambda j: (own[j], -j))
        if own[best] > own[i]:
            assert (after[i] == before[best]).all(), i
        else:
            changed = np.flatnonzero(after[i] != before[i])
            assert changed.size <= 1
            if changed.size:
                assert model.landscape.score_beliefs(after[i][None])[0] > own[i]


def test_same_seed_same_output_and_runnable_by_the_normal_tools():
    a = simulate(load_config(["scenario=lazer_friedman2007", "steps=8", "seed=3"])).metrics
    b = simulate(load_config(["scenario=lazer_friedman2007", "steps=8", "seed=3"])).metrics
    assert frame_hash(a) == frame_hash(b)
    assert a["performance"].iloc[-1] > a["performance"].iloc[0]


def test_bad_options_fail_naming_the_key():
    with pytest.raises(ConfigError, match=r"environment.dims=30 is too large.*nk.*24"):
        to_config(load_config(["environment.landscape=nk"]))
    with pytest.raises(ConfigError, match=r"environment.k=20 is out of range"):
        to_config(
            load_config(["environment.landscape=nk", "environment.dims=20", "environment.k=20"])
        )
    with pytest.raises(ConfigError, match=r"population.peer_rule='copy'.*majority"):
        to_config(load_config(["population.peer_rule=copy"]))
    with pytest.raises(ConfigError, match=r"population.audience='some'"):
        to_config(load_config(["population.audience=some"]))
    with pytest.raises(ConfigError, match=r"environment.landscape='rugged'"):
        to_config(load_config(["environment.landscape=rugged"]))


def test_imitation_on_the_additive_task_runs():
    cfg = {
        **SMALL,
        "population": {**SMALL.get("population", {}), "peer_rule": "imitate", "audience": "all"},
    }
    m = simulate(cfg).metrics
    assert m["performance"].isna().all() and m["knowledge_individuals"].notna().all()


# ------------------------------------------------------------------ the docking


def test_quick_docking_through_the_model():
    c = lf.run(quick=True, landscapes=4, rounds=40)
    rows = {r["quantity"]: r for r in c.rows}
    assert rows["step 5: totally connected minus linear (mean score)"]["verdict"] == "pass"
    assert c.details["crossing"] > 5
    assert all(t["verdict"] != "different" for t in c.details["tost"].values())
    assert any(r["verdict"] == "counterpoint" for r in c.rows)


def test_lower_velocity_keeps_diversity_longer_in_the_model():
    """Lazer & Friedman's velocity (peer_influence under imitate): at 1 the totally connected
    group collapses onto one solution within a few steps; at 0.2 it still holds many."""

    def distinct(*extra):
        model = _lf(*extra)
        model.run(3)
        return np.unique(to_codes(model.beliefs[: model.n_individuals])).size

    assert distinct() <= 3
    assert distinct("population.peer_influence=0.2") > 10
