"""NK landscapes and Lazer & Friedman's parallel problem solving."""

import numpy as np
import pytest

from sim.validation import lazer_friedman as lf_validation
from sim.validation.nk import NKLandscape, lazer_friedman, lf_network


def _naive_fitness(land: NKLandscape, state: int) -> float:
    bits = [(state >> i) & 1 for i in range(land.n)]
    total = 0.0
    for i in range(land.n):
        idx = sum(bits[locus] << b for b, locus in enumerate(land.deps[i]))
        total += land.contrib[i, idx]
    return total / land.n


@pytest.mark.parametrize("interactions", ["random", "adjacent"])
def test_fitness_matches_naive_reference(interactions):
    land = NKLandscape(8, 3, np.random.default_rng(4), interactions=interactions)
    states = np.arange(2**8)
    ref = np.array([_naive_fitness(land, int(s)) for s in states])
    np.testing.assert_allclose(land.fitness(states), ref, rtol=0, atol=1e-15)
    np.testing.assert_allclose(land.table, ref)
    assert land.score(land.argmax) == 1.0
    assert land.score(states).max() == 1.0 and land.score(states).min() >= 0


def test_dependencies_are_distinct_and_include_self():
    land = NKLandscape(20, 5, np.random.default_rng(0))
    assert land.deps.shape == (20, 6)
    assert (land.deps[:, 0] == np.arange(20)).all()
    assert all(len(set(row)) == 6 for row in land.deps.tolist())


def test_same_seed_same_landscape():
    a = NKLandscape(10, 2, np.random.default_rng(9))
    b = NKLandscape(10, 2, np.random.default_rng(9))
    np.testing.assert_array_equal(a.table, b.table)


def test_invalid_parameters():
    with pytest.raises(ValueError, match="0 <= k < n"):
        NKLandscape(5, 5)
    with pytest.raises(ValueError, match="unknown network"):
        lf_network("star", 5)


def test_networks():
    full = lf_network("full", 6)
    assert full.shape == (6, 5) and all(i not in row for i, row in enumerate(full.tolist()))
    ring = lf_network("linear", 6)
    assert sorted(map(tuple, np.sort(ring, axis=1).tolist())) == sorted(
        tuple(sorted(((i - 1) % 6, (i + 1) % 6))) for i in range(6)
    )
    line = lf_network("line", 4)
    assert line.tolist() == [[-1, 1], [0, 2], [1, 3], [2, -1]]
    sw = lf_network("small_world", 30, np.random.default_rng(1))
    assert ((sw >= -1) & (sw < 30)).all()


def test_scores_never_fall_without_error_and_runs_are_reproducible():
    land = NKLandscape(12, 3, np.random.default_rng(2))
    nb = lf_network("linear", 20)
    a = lazer_friedman(land, nb, 30, np.random.default_rng(5))
    b = lazer_friedman(land, nb, 30, np.random.default_rng(5))
    np.testing.assert_array_equal(a.mean_score, b.mean_score)
    assert (np.diff(a.mean_score) >= -1e-15).all()
    assert (np.diff(a.max_score) >= 0).all()


def test_isolated_agents_hill_climb_to_local_optima():
    land = NKLandscape(10, 2, np.random.default_rng(3))
    nb = np.empty((15, 0), dtype=np.int64)
    res = lazer_friedman(land, nb, 400, np.random.default_rng(4))
    # Every final solution is a local optimum: no single-bit flip improves it.
    s = res.final_states
    flips = s[:, None] ^ (1 << np.arange(10))[None, :]
    assert (land.score(flips) <= land.score(s)[:, None]).all()


def test_full_network_converges_to_one_solution():
    land = NKLandscape(12, 3, np.random.default_rng(6))
    res = lazer_friedman(land, lf_network("full", 30), 200, np.random.default_rng(7))
    assert res.unique_solutions[-1] == 1


def test_imitation_error_and_velocity_change_the_dynamics():
    land = NKLandscape(12, 3, np.random.default_rng(6))
    nb = lf_network("full", 30)
    init = land.random_states(30, np.random.default_rng(0))
    base = lazer_friedman(land, nb, 20, np.random.default_rng(1), init=init)
    noisy = lazer_friedman(land, nb, 20, np.random.default_rng(1), error=0.3, init=init)
    slow = lazer_friedman(land, nb, 20, np.random.default_rng(1), velocity=0.2, init=init)
    # Both keep diversity longer than perfect, always-on imitation (which collapses at once).
    assert base.unique_solutions[2] == 1
    assert noisy.unique_solutions[2] > 5 and slow.unique_solutions[2] > 5


def test_lazer_friedman_ordering_at_fixed_seed():
    curves = lf_validation.simulate_curves(landscapes=4, rounds=60, seed=2007)
    full, linear = curves["full"].mean(axis=0), curves["linear"].mean(axis=0)
    assert full[5] > linear[5] + 0.1  # totally connected leads early
    assert linear[-1] > full[-1] + 0.1  # linear wins in the long run
