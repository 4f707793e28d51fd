"""The hot kernels of issue 26 (second pass) against naive Python-loop references."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.rules import feedback, learning
from sim.rules.feedback import share_of, share_right, share_tallies
from sim.rules.influence import follow_peers, peer_candidates, peer_majority, sum_by_receiver
from sim.rules.learning import (
    act,
    assign_where,
    socialization_candidates,
    socialize,
    socialize_drawing,
)
from sim.rules.messages import POST, VOICE, Messages
from sim.rules.routing import _argsort_stable


def naive_sum_by_receiver(receiver, values, n):
    sums = [[0] * values.shape[1] for _ in range(n)]
    for r, row in zip(receiver.tolist(), values.tolist(), strict=True):
        for d, v in enumerate(row):
            sums[r][d] += v
    return sums


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(0, 40), n=st.integers(1, 6))
def test_sum_by_receiver_matches_a_loop(seed, k, n):
    rng = np.random.default_rng(seed)
    m = int(rng.integers(1, 5))
    receiver = rng.integers(0, n, k)
    values = rng.integers(-1, 2, (k, m)).astype(np.int8)
    assert sum_by_receiver(receiver, values, n).tolist() == naive_sum_by_receiver(
        receiver, values, n
    )


def test_sum_by_receiver_bounds_by_the_largest_magnitude_either_sign():
    # -128 is the int8 value whose magnitude a naive np.abs gets wrong.
    receiver = np.zeros(300, dtype=np.int64)
    values = np.full((300, 1), -128, dtype=np.int8)
    sums = sum_by_receiver(receiver, values, 1)
    assert sums.dtype == np.int64 and sums.tolist() == [[-38_400]]


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 30), levels=st.integers(1, 6))
def test_argsort_stable_is_the_stable_sort_with_and_without_ties(seed, n, levels):
    rng = np.random.default_rng(seed)
    key = rng.integers(0, levels, n) + (rng.random(n) if levels > 3 else 0.0)
    if n and levels == 2:
        key[rng.integers(0, n)] = np.nan  # NaN sorts last in both; the stable sort decides
    want = sorted(range(n), key=lambda i: (np.isnan(key[i]), 0.0 if np.isnan(key[i]) else key[i]))
    assert _argsort_stable(key).tolist() == want


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(0, 12))
def test_take_by_mask_index_and_slice_is_selecting_each_field(seed, k):
    rng = np.random.default_rng(seed)
    kinds = rng.choice([POST, VOICE], k)
    msgs = Messages.create(
        rng.integers(0, 9, k), rng.integers(-2, 9, k), kinds, rng.integers(-1, 2, (k, 3)), 4
    )
    mask = rng.random(k) < 0.5
    index = rng.integers(0, k, int(rng.integers(0, 5))) if k else np.zeros(0, dtype=np.int64)
    for sel, rows in (
        (mask, [i for i in range(k) if mask[i]]),
        (index, index.tolist()),
        (slice(1, 3), list(range(k))[1:3]),
    ):
        part = msgs.take(sel)
        for name, column in msgs.__dict__.items():
            got = getattr(part, name)
            assert got.dtype == column.dtype
            assert got.tolist() == [column.tolist()[i] for i in rows], name


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    shape=st.sampled_from([(0, 3), (4, 3), (2, 5, 3), (7, 1)]),
    dtype=st.sampled_from([np.int8, np.int16, np.int64, np.uint8, np.float32, np.float64]),
    row_src=st.booleans(),
)
def test_assign_where_is_copyto_with_where(seed, shape, dtype, row_src):
    rng = np.random.default_rng(seed)
    dst = rng.integers(-1 if dtype != np.uint8 else 0, 3, shape).astype(dtype)
    src_shape = shape[-1:] if row_src else shape
    src = rng.integers(-1 if dtype != np.uint8 else 0, 3, src_shape).astype(dtype)
    where = rng.random(shape) < 0.4
    want = dst.copy()
    flat_want, flat_src = want.reshape(-1), np.broadcast_to(src, shape).reshape(-1)
    for i, w in enumerate(where.reshape(-1).tolist()):  # the naive loop
        if w:
            flat_want[i] = flat_src[i]
    got = assign_where(dst, src, where)
    assert got is dst and got.dtype == dtype and np.array_equal(got, want)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), shape=st.sampled_from([(0, 2), (3, 4), (2, 3, 5)]))
def test_act_tosses_a_coin_in_c_order_where_silent(seed, shape):
    rng = np.random.default_rng(seed)
    beliefs = rng.integers(-1, 2, shape).astype(np.int8)
    coin = rng.random(int(np.count_nonzero(beliefs == 0)))
    want, k = [], 0
    for b in beliefs.reshape(-1).tolist():
        if b == 0:
            want.append(-1 if coin[k] < 0.5 else 1)
            k += 1
        else:
            want.append(b)
    assert act(beliefs, coin).reshape(-1).tolist() == want
    assert act(beliefs, coin, silent=beliefs == 0).reshape(-1).tolist() == want


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 8), one_row=st.booleans())
def test_share_tallies_give_both_readings_of_share_right_for_any_rows(seed, n, one_row):
    rng = np.random.default_rng(seed)
    m = int(rng.integers(1, 6))
    seen = rng.integers(-1, 2, (n, m)).astype(np.int8)
    judged = rng.integers(-1, 2, m if one_row else (n, m)).astype(np.int8)
    right, spoken, looked = share_tallies(judged, seen)
    rows = rng.integers(0, n, 5) if n else np.zeros(0, dtype=np.int64)
    for both, count in ((True, spoken), (False, looked)):
        want = share_right(judged, seen, both=both)
        got = share_of(right, count)
        assert all(np.array_equal(g, w) and g.dtype == w.dtype for g, w in zip(got, want))
        if one_row:  # a subset of rows, tallied once for all
            sub = share_right(judged, seen[rows], both=both)
            got = share_of(right[rows], count[rows])
            assert all(np.array_equal(g, w) for g, w in zip(got, sub, strict=True))
    # Naive counts.
    js = np.broadcast_to(judged, seen.shape)
    assert right.tolist() == [sum(a == b != 0 for a, b in zip(j, s)) for j, s in zip(js, seen)]
    assert spoken.tolist() == [
        sum(a != 0 and b != 0 for a, b in zip(j, s)) for j, s in zip(js, seen)
    ]
    assert looked.tolist() == [sum(b != 0 for b in s) for s in seen]


def naive_socialize(beliefs, code, rate, u):
    code = np.broadcast_to(code, beliefs.shape)
    out, k = beliefs.copy().reshape(-1, beliefs.shape[-1]), 0
    for r, (b_row, c_row) in enumerate(zip(out, code.reshape(out.shape), strict=True)):
        for d in range(b_row.size):
            if c_row[d] != 0 and b_row[d] != c_row[d]:  # a candidate: draws, in C order
                if u[k] < rate.reshape(-1)[r]:
                    b_row[d] += c_row[d]
                k += 1
    return out.reshape(beliefs.shape)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 2**32 - 1),
    shape=st.sampled_from([(0, 3), (5, 3), (7, 4), (2, 5, 3), (3, 1)]),
    block=st.sampled_from([1, 2, 3, 8192]),
    one_code_row=st.booleans(),
)
def test_socialize_in_blocks_matches_a_loop(monkeypatch, seed, shape, block, one_code_row):
    monkeypatch.setattr(learning, "BLOCK_ROWS", block)
    rng = np.random.default_rng(seed)
    beliefs = rng.integers(-1, 2, shape).astype(np.int8)
    code_shape = (*shape[:-2], 1, shape[-1]) if one_code_row else shape
    code = rng.integers(-1, 2, code_shape).astype(np.int8)
    rate = rng.random(shape[:-1])
    u = rng.random(int(np.count_nonzero(socialization_candidates(beliefs, code))))
    got = socialize(beliefs, code, rate, u)
    assert got.dtype == np.int8 and np.array_equal(got, naive_socialize(beliefs, code, rate, u))
    with pytest.raises(ValueError, match="uniforms"):
        socialize(beliefs, code, rate, np.append(u, 0.5))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 9),
    block=st.sampled_from([1, 2, 4]),
    form=st.sampled_from(["row", "rows", "broadcast"]),
)
def test_share_right_in_blocks_equals_one_pass(monkeypatch, seed, n, block, form):
    rng = np.random.default_rng(seed)
    seen = rng.integers(-1, 2, (n, 4)).astype(np.int8)
    shape = {"row": 4, "rows": (n, 4), "broadcast": (1, 4)}[form]
    judged = rng.integers(-1, 2, shape).astype(np.int8)
    whole = [share_right(judged, seen, both=b) for b in (False, True)] + [
        share_tallies(judged, seen)
    ]
    monkeypatch.setattr(feedback, "BLOCK_ROWS", block)
    blocked = [share_right(judged, seen, both=b) for b in (False, True)] + [
        share_tallies(judged, seen)
    ]
    for w, b in zip(whole, blocked, strict=True):
        assert all(x.dtype == y.dtype and np.array_equal(x, y) for x, y in zip(w, b, strict=True))


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    shape=st.sampled_from([(40, 5), (3, 30, 4)]),
    k=st.integers(0, 3),
)
def test_socialize_with_few_candidates_matches_a_loop(seed, shape, k):
    rng = np.random.default_rng(seed)
    code = rng.choice(np.array([-1, 1], dtype=np.int8), (*shape[:-2], 1, shape[-1]))
    beliefs = np.broadcast_to(code, shape).copy()
    flat = beliefs.reshape(-1)
    flat[rng.choice(flat.size, k, replace=False)] = 0  # k candidates: few of many cells
    rate = rng.random(shape[:-1])
    u = rng.random(k)
    got = socialize(beliefs, code, rate, u)
    assert got.dtype == np.int8 and np.array_equal(got, naive_socialize(beliefs, code, rate, u))
    with pytest.raises(ValueError, match="uniforms"):
        socialize(beliefs, code, rate, np.append(u, 0.5))


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 9),
    k=st.integers(0, 25),
    rate=st.sampled_from([0.0, 0.3, 1.0]),
)
def test_follow_peers_is_the_dense_peer_majority_draw_for_draw(seed, n, k, rate):
    rng = np.random.default_rng(seed)
    m = int(rng.integers(1, 5))
    beliefs = rng.integers(-1, 2, (n, m)).astype(np.int8)
    receiver = rng.integers(0, n, k)
    values = rng.integers(-1, 2, (k, m)).astype(np.int8)
    # The dense reference: sums over every row, candidates, draws, the step.
    dense_rng, sparse_rng = np.random.default_rng(seed + 1), np.random.default_rng(seed + 1)
    heard = sum_by_receiver(receiver, values, n)
    cells = peer_candidates(beliefs, heard)
    u = dense_rng.random(np.count_nonzero(cells))
    want = peer_majority(beliefs, heard, rate, u, cells)
    got = follow_peers(beliefs, receiver, values, rate, sparse_rng)
    assert got.dtype == np.int8 and np.array_equal(got, want)
    assert dense_rng.random() == sparse_rng.random()  # the same number of draws
    # And a Python loop over the cells, in C order.
    loop, j = beliefs.copy(), 0
    sums = naive_sum_by_receiver(receiver, values, n)
    for r in range(n):
        for d in range(m):
            s = int(np.sign(sums[r][d]))
            if s != 0 and beliefs[r, d] != s:
                if u[j] < rate:
                    loop[r, d] += s
                j += 1
    assert np.array_equal(got, loop)


def socialize_as_the_model_did(beliefs, code, rate, rng, on):
    """The model's sequence before socialize_drawing: candidates, draws, the switch, the step."""
    cells = socialization_candidates(beliefs, code)
    u = rng.random(np.count_nonzero(cells))
    if on is not None:
        u = u[on.reshape(-1)[cells.reshape(-1).nonzero()[0]]]
        cells = cells & on
    return socialize(beliefs, code, rate, u, cells)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 70),
    block=st.sampled_from([1, 3, 16, 8192]),
    said=st.sampled_from([0.02, 0.5, 1.0]),
    switch=st.sampled_from(["none", "mask", "row"]),
)
def test_socialize_drawing_is_the_models_sequence(monkeypatch, seed, n, block, said, switch):
    monkeypatch.setattr(learning, "BLOCK_ROWS", block)
    rng = np.random.default_rng(seed)
    m = 4
    beliefs = rng.integers(-1, 2, (n, m)).astype(np.int8)
    code = (rng.integers(-1, 2, (n, m)) * (rng.random((n, m)) < said)).astype(np.int8)
    if switch == "row":
        code = code[:1] if n else code[:0]
        code = np.broadcast_to(code, beliefs.shape) if n else code
    rate = rng.random(n)
    on = rng.random((n, m)) < 0.5 if switch == "mask" else None
    a, b = np.random.default_rng(seed + 1), np.random.default_rng(seed + 1)
    want = socialize_as_the_model_did(beliefs, code, rate, a, on)
    got = socialize_drawing(beliefs, code, rate, b, on)
    assert got.dtype == np.int8 and np.array_equal(got, want)
    assert a.random() == b.random()  # as many draws


# --------------------------------------------------------------------------- gini by counting


@pytest.mark.parametrize("n", [4096, 10_000, 100_003])
@pytest.mark.parametrize("high", [1, 2, 30, 5000])
def test_gini_by_counting_is_the_sorted_gini_to_the_bit(n, high):
    from sim.util.stats import _gini_by_counting, gini

    x = np.random.default_rng(n + high).integers(0, high, n)
    counted = _gini_by_counting(x)
    assert counted is not None
    assert counted == gini(x.astype(float))  # the float path sorts


def test_gini_by_counting_leaves_what_it_cannot_count_to_the_sort():
    from sim.util.stats import _gini_by_counting

    assert _gini_by_counting(np.arange(10)) is None  # short: a sort is cheaper
    assert _gini_by_counting(np.linspace(0, 1, 5000)) is None  # floats
    assert _gini_by_counting(np.full(5000, -1)) is None  # negative
    assert _gini_by_counting(np.array([0] * 4999 + [10**9])) is None  # counting array too large
    assert _gini_by_counting(np.zeros((2, 5000), dtype=int)) is None  # a batch
    assert _gini_by_counting(np.zeros(5000, dtype=int)) == 0.0


# --------------------------------------------------------------------------- skipped draws


@pytest.mark.parametrize("before", ["nothing", "a 32-bit integer", "a float32"])
@pytest.mark.parametrize("k", [0, 1, 7, 12_345, np.int64(1000)])
def test_skipping_uniforms_leaves_the_stream_drawing_them_leaves(before, k):
    from sim.util.seeding import skip_uniforms

    drawn, skipped = np.random.default_rng(5), np.random.default_rng(5)
    for rng in (drawn, skipped):  # the last two leave half of a 64-bit output buffered
        if before == "a 32-bit integer":
            rng.integers(0, 10, dtype=np.int32)
        elif before == "a float32":
            rng.random(dtype=np.float32)
    drawn.random(k)
    skip_uniforms(skipped, k)

    def next_of(rng):
        return (
            rng.random(5).tolist(),
            rng.integers(0, 100, 5, dtype=np.int32).tolist(),
            rng.random(3, dtype=np.float32).tolist(),
            rng.permutation(9).tolist(),
        )

    assert next_of(drawn) == next_of(skipped)


def test_skipping_uniforms_draws_them_on_another_bit_generator():
    from sim.util.seeding import skip_uniforms

    drawn = np.random.Generator(np.random.MT19937(2))
    skipped = np.random.Generator(np.random.MT19937(2))
    drawn.random(100)
    skip_uniforms(skipped, 100)
    assert drawn.random() == skipped.random()
