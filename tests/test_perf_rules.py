"""The optimized rules of issue 26 against naive references, and the allocator setting."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.rules.feedback import share_right
from sim.rules.influence import peer_candidates, sum_by_receiver
from sim.rules.learning import socialization_candidates, socialize
from sim.rules.routing import attention_filter


def naive_share_right(judged, seen, both):
    judged = np.broadcast_to(judged, seen.shape)
    share, defined = [], []
    for j, s in zip(judged, seen, strict=True):
        looked = [d for d in range(s.size) if s[d] != 0 and (j[d] != 0 or not both)]
        right = [d for d in looked if j[d] == s[d]]
        share.append(len(right) / max(len(looked), 1))
        defined.append(bool(looked))
    return np.array(share), np.array(defined)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 7),
    m=st.integers(1, 6),
    one_row=st.booleans(),
    both=st.booleans(),
)
def test_share_right_in_int8_matches_naive_and_float32(seed, n, m, one_row, both):
    rng = np.random.default_rng(seed)
    seen = np.floor(rng.random((n, m)) * 3).astype(np.int8) - 1
    judged = np.floor(rng.random(m if one_row else (n, m)) * 3).astype(np.int8) - 1
    share, defined = share_right(judged, seen, both=both)
    want, want_defined = naive_share_right(judged, seen, both)
    assert np.array_equal(defined, want_defined)
    assert share.dtype == np.float64 and np.array_equal(share, want)
    # The model stored these as float32 before: the same figures, bit for bit.
    share32, defined32 = share_right(judged.astype(np.float32), seen.astype(np.float32), both=both)
    assert np.array_equal(share32, share) and np.array_equal(defined32, defined)


def test_sum_by_receiver_widens_where_int16_could_overflow():
    # 40,000 messages to one receiver, all +1 on dimension 0: past int16's 32,767.
    receiver = np.zeros(40_000, dtype=np.int64)
    values = np.zeros((40_000, 2), dtype=np.int8)
    values[:, 0] = 1
    values[::2, 1] = -1
    sums = sum_by_receiver(receiver, values, 3)
    assert sums.tolist() == [[40_000, -20_000], [0, 0], [0, 0]]
    small = sum_by_receiver(receiver[:10], values[:10], 3)
    assert small.dtype == np.int16 and small[0].tolist() == [10, -5]
    assert sum_by_receiver(receiver[:0], values[:0], 2).tolist() == [[0, 0], [0, 0]]


def test_peer_candidates_ignore_the_width_of_the_sums():
    beliefs = np.array([[1, 0, -1, 1]], dtype=np.int8)
    heard = np.array([[-300, 2, 0, 40_000]], dtype=np.int64)
    assert peer_candidates(beliefs, heard).tolist() == [[True, True, False, False]]


def full_sort_filter(receiver, capacity, tiebreak, priority):
    """The attention filter as it ranked every arrival (before issue 26): the reference."""
    n = receiver.size
    load = np.bincount(receiver, minlength=capacity.size)
    within = (
        tiebreak
        if priority is None
        else 0.999999 / (1.0 + np.maximum(priority, 0) + 0.5 * tiebreak)
    )
    order = np.argsort(receiver + within, kind="stable")
    rec_sorted = receiver[order]
    starts = np.concatenate([[0], np.cumsum(load)[:-1]])
    keep = np.empty(n, dtype=bool)
    keep[order] = np.arange(n) - starts[rec_sorted] < capacity[rec_sorted]
    return keep


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    k=st.integers(1, 80),
    n=st.integers(1, 9),
    with_priority=st.booleans(),
)
def test_attention_filter_ranks_as_a_sort_of_every_arrival(seed, k, n, with_priority):
    rng = np.random.default_rng(seed)
    receiver = np.floor(rng.random(k) * n).astype(np.int64)
    capacity = np.floor(rng.random(n) * 6).astype(np.int64)  # some over their cap, some not
    priority = np.floor(rng.random(k) * 3) if with_priority else None
    draws = np.random.default_rng(seed + 1)
    keep = attention_filter(receiver, capacity, draws, priority, draw_always=True)
    tiebreak = np.random.default_rng(seed + 1).random(k)
    assert np.array_equal(keep, full_sort_filter(receiver, capacity, tiebreak, priority))
    # The same stream consumed either way.
    assert draws.random() == np.random.default_rng(seed + 1).random(k + 1)[-1]


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1), r=st.integers(1, 3), n=st.integers(1, 5), m=st.integers(1, 5)
)
def test_socialize_with_batch_axes_and_one_code_row(seed, r, n, m):
    rng = np.random.default_rng(seed)
    beliefs = np.floor(rng.random((r, n, m)) * 3).astype(np.int8) - 1
    code = np.floor(rng.random((r, 1, m)) * 3).astype(np.int8) - 1
    rate = rng.random((r, n))
    cand = socialization_candidates(beliefs, code)
    u = rng.random(int(cand.sum()))
    got = socialize(beliefs, code, rate, u)
    want, k = beliefs.copy(), 0
    for idx in np.ndindex(beliefs.shape):
        c = code[idx[0], 0, idx[2]]
        if c != 0 and beliefs[idx] != c:
            if u[k] < rate[idx[:2]]:
                want[idx] += c
            k += 1
    assert got.dtype == np.int8 and np.array_equal(got, want)


_FAULTS = """
import json, resource
import numpy as np
from sim.util.memory import keep_freed_memory
kept = keep_freed_memory()
for _ in range(2):
    np.ones(64 << 20, dtype=np.int8)  # 64 MiB, above glibc's largest mmap threshold; freed
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(5):
    np.ones(64 << 20, dtype=np.int8)
print(json.dumps({"kept": kept,
                  "faults": resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before}))
"""


def _faults(malloc: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "AGORA_MALLOC"}
    if malloc:
        env["AGORA_MALLOC"] = malloc
    out = subprocess.run(
        [sys.executable, "-c", _FAULTS], env=env, check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mallopt is glibc's")
def test_kept_memory_is_reused_without_page_faults_and_can_be_switched_off():
    kept, system = _faults(None), _faults("system")
    assert kept["kept"] and not system["kept"]
    # 5 x 64 MiB fresh from the kernel is 81,920 4-KiB pages (fewer with huge pages: 160);
    # reused from the heap, next to none.
    assert kept["faults"] < 100 < system["faults"]
