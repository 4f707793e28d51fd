"""Each rule against a small naive per-agent reference fed the same random draws."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sim.rules.budget import afford, reading_capacity
from sim.rules.feedback import move_towards, share_right, trust_target, update_engagement
from sim.rules.influence import peer_candidates, peer_majority, sum_by_receiver
from sim.rules.learning import (
    act,
    count_origins,
    learn_code,
    socialization_candidates,
    socialize,
    superior_ideas,
)
from sim.rules.metrics import diversity, ei_index, share_correct
from sim.rules.routing import attention_filter
from sim.util.stats import gini

beliefs_st = arrays(
    np.int8, st.tuples(st.integers(1, 8), st.integers(1, 6)), elements=st.integers(-1, 1)
)


def naive_act(beliefs, coin):
    out, k = beliefs.copy(), 0
    for i in range(beliefs.shape[0]):
        for d in range(beliefs.shape[1]):
            if beliefs[i, d] == 0:
                out[i, d] = -1 if coin[k] < 0.5 else 1
                k += 1
    return out


def naive_socialize(beliefs, code, rate, u):
    out, k = beliefs.copy(), 0
    for i in range(beliefs.shape[0]):
        for d in range(beliefs.shape[1]):
            c = code[i, d]
            if c != 0 and beliefs[i, d] != c:
                if u[k] < rate[i]:
                    # March's gradual step: opposite -> 0 -> code.
                    out[i, d] = 0 if beliefs[i, d] == -c else c
                k += 1
    return out


def naive_learn(code, contributions, weight, p, u):
    out = code.copy()
    for d in range(code.size):
        s = sum(weight[h] * contributions[h, d] for h in range(weight.size))
        if s != 0 and np.sign(s) != code[d] and u[d] < 1 - (1 - p) ** abs(s):
            out[d] = np.sign(s)
    return out


@settings(max_examples=60, deadline=None)
@given(beliefs=beliefs_st, seed=st.integers(0, 2**32 - 1))
def test_act_matches_naive(beliefs, seed):
    coin = np.random.default_rng(seed).random(int((beliefs == 0).sum()))
    assert np.array_equal(act(beliefs, coin), naive_act(beliefs, coin))


@settings(max_examples=60, deadline=None)
@given(beliefs=beliefs_st, seed=st.integers(0, 2**32 - 1))
def test_socialize_matches_naive(beliefs, seed):
    rng = np.random.default_rng(seed)
    code = np.floor(rng.random(beliefs.shape) * 3).astype(np.int8) - 1
    rate = rng.random(beliefs.shape[0])
    u = rng.random(int(socialization_candidates(beliefs, code).sum()))
    got = socialize(beliefs, code, rate, u)
    assert np.array_equal(got, naive_socialize(beliefs, code, rate, u))
    assert set(np.unique(got)) <= {-1, 0, 1}


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), h=st.integers(0, 7), m=st.integers(1, 6), p=st.floats(0, 1))
def test_learn_code_matches_naive(seed, h, m, p):
    rng = np.random.default_rng(seed)
    code = np.floor(rng.random(m) * 3).astype(np.int8) - 1
    contributions = np.floor(rng.random((h, m)) * 3).astype(np.int8) - 1
    weight = np.floor(rng.random(h) * 3)
    u = rng.random(m)
    new, changed = learn_code(code, contributions, weight, p, u)
    expected = naive_learn(code, contributions, weight, p, u)
    assert np.array_equal(new, expected)
    assert np.array_equal(changed, new != code)


def test_learn_code_with_p2_zero_never_moves():
    code = np.zeros(5, dtype=np.int8)
    new, changed = learn_code(code, np.ones((4, 5), np.int8), np.ones(4), 0.0, np.zeros(5))
    assert not changed.any() and not new.any()


@settings(max_examples=60, deadline=None)
@given(beliefs=beliefs_st, seed=st.integers(0, 2**32 - 1), rate=st.floats(0, 1))
def test_peer_majority_matches_naive(beliefs, seed, rate):
    rng = np.random.default_rng(seed)
    heard = np.floor(rng.random(beliefs.shape) * 7).astype(int) - 3
    u = rng.random(int(peer_candidates(beliefs, heard).sum()))
    got = peer_majority(beliefs, heard, rate, u)
    k = 0
    for i in range(beliefs.shape[0]):
        for d in range(beliefs.shape[1]):
            target, b = np.sign(heard[i, d]), beliefs[i, d]
            want = b
            if target != 0 and b != target:
                if u[k] < rate:
                    want = 0 if b == -target else target
                k += 1
            assert got[i, d] == want


def test_sum_by_receiver_matches_naive():
    rng = np.random.default_rng(3)
    receiver = np.floor(rng.random(40) * 6).astype(int)
    values = np.floor(rng.random((40, 4)) * 3).astype(np.int8) - 1
    expected = np.zeros((6, 4), int)
    for r, v in zip(receiver, values, strict=True):
        expected[r] += v
    assert np.array_equal(sum_by_receiver(receiver, values, 6), expected)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    k=st.integers(0, 60),
    n=st.integers(1, 8),
    cap=st.integers(0, 5),
    with_priority=st.booleans(),
)
def test_attention_filter_caps_and_prefers_priority(seed, k, n, cap, with_priority):
    rng = np.random.default_rng(seed)
    receiver = np.floor(rng.random(k) * n).astype(np.int64)
    capacity = np.full(n, cap)
    priority = np.floor(rng.random(k) * 3) if with_priority else None
    keep = attention_filter(receiver, capacity, rng, priority)
    load = np.bincount(receiver, minlength=n)
    kept = np.bincount(receiver[keep], minlength=n)
    # Each reads min(load, cap); nobody reads more than its attention.
    assert np.array_equal(kept, np.minimum(load, capacity))
    if with_priority:
        for r in range(n):
            mine = receiver == r
            if keep[mine].any() and (~keep[mine]).any():
                assert priority[mine & keep].min() >= priority[mine & ~keep].max()


def naive_engagement(e, heard, ignored, baseline, gain, loss, drift):
    out = []
    for x, h, i in zip(e, heard, ignored):
        y = x + drift * (baseline - x)
        if h:
            y += gain * (1 - x)
        if i:
            y -= loss * x
        out.append(min(max(y, 0.0), 1.0))
    return out


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 12),
    gain=st.floats(0, 1),
    loss=st.floats(0, 1),
    drift=st.floats(0, 1),
    baseline=st.floats(0, 1),
)
def test_engagement_matches_naive_and_stays_in_unit_interval(seed, n, gain, loss, drift, baseline):
    rng = np.random.default_rng(seed)
    e = rng.random(n)
    heard, ignored = rng.random(n) < 0.5, rng.random(n) < 0.5
    out = update_engagement(e, heard, ignored, baseline, gain, loss, drift)
    assert out.tolist() == pytest.approx(
        naive_engagement(e, heard, ignored, baseline, gain, loss, drift)
    )
    assert ((0 <= out) & (out <= 1)).all()


def test_ignored_voice_settles_below_the_baseline():
    e = np.array([0.5, 0.5])
    for _ in range(500):
        e = update_engagement(
            e, np.array([False, False]), np.array([True, False]), 0.5, 0.1, 0.05, 0.02
        )
    assert e[0] == pytest.approx(0.02 * 0.5 / (0.02 + 0.05), abs=1e-6)  # drift*b/(drift+loss)
    assert e[1] == pytest.approx(0.5)


@settings(max_examples=60, deadline=None)
@given(judged=beliefs_st, seed=st.integers(0, 2**32 - 1))
def test_share_right_matches_naive(judged, seed):
    seen = np.floor(np.random.default_rng(seed).random(judged.shape) * 3).astype(np.int8) - 1
    share, defined = share_right(judged, seen)
    for row in range(judged.shape[0]):
        looked = [d for d in range(judged.shape[1]) if seen[row, d] != 0]
        assert defined[row] == bool(looked)
        if looked:
            assert share[row] == pytest.approx(
                np.mean([judged[row, d] == seen[row, d] for d in looked])
            )


def test_trust_target_averages_the_factors_with_evidence():
    ability = (np.array([1.0, 0.0, 0.4, 0.9]), np.array([True, True, False, False]))
    benevolence = (np.array([0.0, 0.5, 0.2, 0.7]), np.array([True, False, True, False]))
    target, judged = trust_target(ability, benevolence)
    assert target.tolist() == pytest.approx([0.5, 0.0, 0.2, 0.0])
    assert judged.tolist() == [True, True, True, False]
    moved = move_towards(np.array([0.5, 0.5, 0.5, 0.5]), target, 0.5, judged)
    assert moved.tolist() == pytest.approx([0.5, 0.25, 0.35, 0.5])


def test_metric_helpers_against_naive():
    rng = np.random.default_rng(0)
    b = np.floor(rng.random((9, 5)) * 3).astype(np.int8) - 1
    r = np.where(rng.random(5) < 0.5, -1, 1).astype(np.int8)
    pairs = [(i, j) for i in range(9) for j in range(i + 1, 9)]
    naive = np.mean([np.mean(b[i] != b[j]) for i, j in pairs])
    assert float(diversity(b)) == pytest.approx(naive)
    assert share_correct(b, r).tolist() == pytest.approx([np.mean(row == r) for row in b])
    x = rng.random(12)
    naive_gini = np.abs(x[:, None] - x[None, :]).sum() / (2 * x.size**2 * x.mean())
    assert float(gini(x)) == pytest.approx(naive_gini)
    assert ei_index(0, 4) == 1 and ei_index(4, 0) == -1 and np.isnan(ei_index(0, 0))


@settings(max_examples=60, deadline=None)
@given(ideas=beliefs_st, seed=st.integers(0, 2**32 - 1))
def test_superior_ideas_match_naive(ideas, seed):
    rng = np.random.default_rng(seed)
    m = ideas.shape[1]
    code = np.floor(rng.random(m) * 3).astype(np.int8) - 1
    reality = np.where(rng.random(m) < 0.5, -1, 1).astype(np.int8)
    naive = []
    for idea in ideas:
        spoken = [d for d in range(m) if idea[d] != 0]
        naive.append(
            sum(int(idea[d]) * int(reality[d]) for d in spoken)
            > sum(int(code[d]) * int(reality[d]) for d in spoken)
        )
    assert superior_ideas(ideas, code, reality).tolist() == naive


# ------------------------------------------------------------------ Model 3.0 rules


def naive_afford(who, wants, cost, budget):
    left = [float(b) for b in budget]
    keep = []
    for w, want in zip(who, wants, strict=True):
        ok = bool(want) and (cost <= 0 or left[w] >= cost - 1e-9)
        if ok:
            left[w] -= cost
        keep.append(ok)
    return keep, left


@settings(max_examples=80, deadline=None)
@given(
    who=st.lists(st.integers(0, 4), min_size=0, max_size=20),
    data=st.data(),
    cost=st.sampled_from([0.0, 0.25, 1.0, 1.5]),
)
def test_afford_matches_naive(who, data, cost):
    wants = data.draw(st.lists(st.booleans(), min_size=len(who), max_size=len(who)))
    budget = np.array(data.draw(st.lists(st.floats(0, 4), min_size=5, max_size=5)))
    keep, paid = afford(np.array(who, dtype=np.int64), np.array(wants, dtype=bool), cost, budget)
    expected, left = naive_afford(who, wants, cost, budget)
    assert keep.tolist() == expected
    assert (budget - paid).tolist() == pytest.approx(left)
    assert (paid <= budget + 1e-9).all()


def test_reading_capacity_is_attention_or_what_time_allows():
    assert reading_capacity(
        np.array([5, 5, 5, 2]), np.array([6.0, 2.5, 0.0, 9.0]), 1.0
    ).tolist() == [5, 2, 0, 2]
    assert reading_capacity(np.array([5, 5]), np.array([1.0, 0.75]), 0.25).tolist() == [4, 3]


def naive_count_origins(group, agrees):
    return [
        len({group[i] for i in range(agrees.shape[0]) if agrees[i, j]})
        for j in range(agrees.shape[1])
    ]


@settings(max_examples=60, deadline=None)
@given(agrees=arrays(bool, st.tuples(st.integers(0, 8), st.integers(1, 5))), data=st.data())
def test_count_origins_matches_naive(agrees, data):
    group = np.array(
        data.draw(st.lists(st.integers(0, 3), min_size=agrees.shape[0], max_size=agrees.shape[0])),
        dtype=np.int64,
    )
    assert count_origins(group, agrees, 4).tolist() == naive_count_origins(group, agrees)
