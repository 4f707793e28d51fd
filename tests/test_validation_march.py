"""March (1991) through the march1991 scenario, against the values read from Figure 1."""

import numpy as np
import pytest

from sim.validation import march1991 as march

REPLICATES = 300  # 95% half-width about 0.01, well inside the 0.03 tolerance


@pytest.fixture(scope="module")
def figure1_p2_half():
    """Final code knowledge at p2 = 0.5 for slow and fast socialization, 300 runs each."""
    return {
        p1: march.final_knowledge(
            [f"regime.socialization={p1}", "regime.listening=0.5"], REPLICATES, seed=11
        )
        for p1 in (0.1, 0.9)
    }


@pytest.mark.parametrize("p1", [0.1, 0.9])
def test_figure1_points_within_tolerance(figure1_p2_half, p1):
    k = figure1_p2_half[p1]
    assert k.size == REPLICATES
    assert k.mean() == pytest.approx(march.FIG1_READ[0.5][p1], abs=march.TOLERANCE)


def test_figure1_slow_socialization_wins(figure1_p2_half):
    assert figure1_p2_half[0.1].mean() > figure1_p2_half[0.9].mean() + 0.15


def test_chunks_are_reproducible_and_independent():
    over = ["regime.socialization=0.9", "regime.listening=0.5"]
    a = march.final_knowledge(over, 30, seed=3)
    np.testing.assert_array_equal(a, march.final_knowledge(over, 30, seed=3))
    assert not np.array_equal(a, march.final_knowledge(over, 30, seed=4))


def test_figure2_mix_beats_homogeneous_average_rate():
    f2 = march.figure2([0.5], 120, seed=5)
    assert f2["mixed"][0.5]["mean"] > f2["homogeneous"][0.5]["mean"] + 0.03


def test_figure5_turbulence_decays_without_turnover():
    f5 = march.figure5(60, seed=7)
    no_turn, turn = f5[0.0][0], f5[0.1][0]
    assert no_turn.max() > 0.5 and no_turn[-1] < no_turn.max() - 0.3
    assert turn[-1] > no_turn[-1] + 0.3
