"""DeGroot / Friedkin-Johnsen: exact values on a 3x3 matrix, naive references, hierarchies."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.org.network import hierarchy_tree
from sim.rules import opinion
from sim.validation import degroot

W3, X0 = degroot.W3, degroot.X0


def test_influence_vector_exact_on_3x3():
    pi = opinion.influence_vector(W3)
    np.testing.assert_allclose(pi, [0.25, 0.5, 0.25], rtol=0, atol=1e-9)
    np.testing.assert_allclose(pi @ W3, pi, rtol=0, atol=1e-12)


def test_degroot_limit_exact_and_by_iteration():
    np.testing.assert_allclose(opinion.degroot_limit(W3, X0), 0.25, rtol=0, atol=1e-9)
    np.testing.assert_allclose(opinion.iterate(W3, X0, 200), 0.25, rtol=0, atol=1e-9)
    # Several issues at once: consensus on pi . x0 for each column.
    x = np.array([[1.0, 4.0], [0.0, 0.0], [0.0, 8.0]])
    np.testing.assert_allclose(opinion.degroot_limit(W3, x), [[0.25, 3.0]] * 3, atol=1e-9)


def test_fj_equilibrium_exact_and_matches_iteration():
    fj = opinion.fj_equilibrium(W3, X0, 0.5)
    np.testing.assert_allclose(fj, [17 / 24, 1 / 8, 1 / 24], rtol=0, atol=1e-9)
    np.testing.assert_allclose(opinion.iterate(W3, X0, 300, 0.5), fj, rtol=0, atol=1e-9)
    sparse = opinion.fj_equilibrium(sp.csr_matrix(W3), X0, 0.5)
    np.testing.assert_allclose(sparse, fj, rtol=0, atol=1e-12)


def test_fj_influence_matrix_rows_are_stochastic_and_give_equilibrium():
    V = opinion.fj_influence_matrix(W3, [0.5, 0.2, 0.9])
    np.testing.assert_allclose(V.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(V @ X0, opinion.fj_equilibrium(W3, X0, [0.5, 0.2, 0.9]))


def _random_stochastic(seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    W = rng.random((n, n)) * (rng.random((n, n)) < 0.6)
    W += np.eye(n) * 0.1  # self-trust keeps W aperiodic and every row non-empty
    return opinion.row_stochastic(W)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 8))
def test_influence_vector_matches_numpy_eig_and_matrix_power(seed, n):
    W = _random_stochastic(seed, n)
    # Make it strongly connected: a ring of small weights.
    W = opinion.row_stochastic(W + 0.05 * np.roll(np.eye(n), 1, axis=1))
    pi = opinion.influence_vector(W)
    vals, vecs = np.linalg.eig(W.T)
    ref = np.real(vecs[:, np.argmin(np.abs(vals - 1))])
    ref = ref / ref.sum()
    np.testing.assert_allclose(pi, ref, atol=1e-9)
    np.testing.assert_allclose(np.linalg.matrix_power(W, 4000)[0], pi, atol=1e-9)
    x0 = np.random.default_rng(seed).random(n)
    np.testing.assert_allclose(opinion.degroot_limit(W, x0), pi @ x0, atol=1e-9)


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 8))
def test_fj_equilibrium_is_a_fixed_point(seed, n):
    W = _random_stochastic(seed, n)
    rng = np.random.default_rng(seed + 1)
    a, x0 = rng.random(n) * 0.95, rng.random(n)
    x = opinion.fj_equilibrium(W, x0, a)
    np.testing.assert_allclose(opinion.step(W, x, x0, a), x, atol=1e-10)
    np.testing.assert_allclose(opinion.iterate(W, x0, 2000, a), x, atol=1e-8)


@pytest.mark.parametrize("dense", [True, False])
def test_pure_hierarchy_converges_to_leader(dense):
    tree = hierarchy_tree(None, 4, 3)
    W = opinion.hierarchy_weights(tree.manager, self_weight=0.5, dense=dense)
    assert opinion.is_row_stochastic(W)
    x0 = np.random.default_rng(3).random(tree.size)
    pi = opinion.influence_vector(W)
    assert pi[0] == pytest.approx(1.0, abs=1e-9)
    np.testing.assert_allclose(opinion.iterate(W, x0, 100), x0[0], atol=1e-9)
    np.testing.assert_allclose(opinion.degroot_limit(W, x0), x0[0], atol=1e-9)


def test_hierarchy_with_trust_and_listening_top():
    W = opinion.hierarchy_weights([-1, 0, 0], self_weight=0.5, trust=[1, 0.5, 0], top_weight=0.8)
    np.testing.assert_allclose(W, [[0.8, 0.1, 0.1], [0.25, 0.75, 0], [0, 0, 1.0]])
    # Person 2 trusts no one but is heard by the top: the only closed group, so it leads all.
    np.testing.assert_allclose(opinion.influence_vector(W), [0, 0, 1], atol=1e-12)
    # Cut the top's ear and there are two closed groups: no unique influence vector.
    W2 = opinion.hierarchy_weights([-1, 0, 0], self_weight=0.5, trust=[1, 0.5, 0])
    with pytest.raises(ValueError, match="multiplicity 2"):
        opinion.influence_vector(W2)


def test_stubbornness_leaves_lasting_disagreement():
    tree = hierarchy_tree(None, 3, 4)
    W = opinion.hierarchy_weights(tree.manager)
    x0 = np.random.default_rng(5).random(tree.size)
    assert opinion.disagreement(opinion.degroot_limit(W, x0)) == pytest.approx(0, abs=1e-18)
    fj = opinion.fj_equilibrium(W, x0, np.where(tree.manager < 0, 0.0, 0.7))
    assert opinion.disagreement(fj) > 1e-3
    # Fully susceptible everywhere: the FJ system is singular (DeGroot has no unique fixed point).
    with pytest.raises(ValueError, match="singular"):
        opinion.fj_equilibrium(W, x0, 1.0)


def test_row_stochastic_and_network_weights():
    R = opinion.row_stochastic(np.array([[1.0, 3.0], [0.0, 0.0]]))
    np.testing.assert_allclose(R, [[0.25, 0.75], [0.0, 1.0]])
    with pytest.raises(ValueError, match="non-negative"):
        opinion.row_stochastic(np.array([[1.0, -1.0], [0.0, 1.0]]))
    W = opinion.network_weights(5, np.array([0, 1, 3]), np.array([1, 2, 4]), self_weight=0.3)
    assert opinion.is_row_stochastic(W)
    np.testing.assert_allclose(W[1], [0.35, 0.3, 0.35, 0, 0])
    Ws = opinion.network_weights(5, np.array([0, 1, 3]), np.array([1, 2, 4]), 0.3, dense=False)
    assert sp.issparse(Ws)
    np.testing.assert_allclose(Ws.toarray(), W)


def test_reducible_degroot_limit_per_group():
    W = opinion.network_weights(4, np.array([0, 2]), np.array([1, 3]))
    np.testing.assert_allclose(opinion.degroot_limit(W, [1.0, 0.0, 5.0, 1.0]), [0.5, 0.5, 3, 3])


def test_validation_run_passes():
    c = degroot.run()
    assert c.passed
    assert c.details["max_abs_error"] < 1e-9


def test_validation_checks_the_models_mode_not_only_the_library():
    c = degroot.run()
    model_rows = [r for r in c.rows if r["quantity"].startswith("model")]
    assert len(model_rows) >= 9
    assert all(r["verdict"].startswith(("pass", "reported")) for r in model_rows)
    assert c.details["model_passed"] and c.details["model_leader_influence"] == 1.0
    assert c.details["model_fj_gap"] < 1e-9 and c.details["model_fj_variance"] > 1e-3
    assert "not implemented" not in (c.note + c.closing + degroot.__doc__)


def test_validation_configs_equal_what_the_overrides_compose_to():
    from sim.config import load_config, to_config

    built = degroot._config(**degroot.BROADCAST_ONLY, opinion="fj", stubbornness=0.3)
    composed = to_config(
        load_config(
            [
                "regime=broadcast",
                "population.talk=0",
                "population.voice=0",
                "population.turnover=0",
                "stakeholders.count=0",
                "population.opinion=fj",
                "population.stubbornness=0.3",
            ]
        )
    )
    assert built == composed
    assert degroot._config("conversational") == to_config(load_config(["regime=conversational"]))
