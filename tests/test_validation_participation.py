"""The mended participation test: burn-in, matched on prior output, and it fails on a planted model."""

import numpy as np
import pytest

from sim.validation import participation


def test_matched_gap_recovers_a_known_effect_and_ignores_selection():
    rng = np.random.default_rng(3)
    n = 4000
    p1 = rng.poisson(20, n).astype(float)
    att = rng.poisson(p1 * 0.5).astype(float)
    # No effect of attention: window 2 depends on window 1 only (regression to the mean).
    p2 = rng.poisson(0.5 * p1 + 10).astype(float)
    assert participation.matched_gap(att, p1, p2) == pytest.approx(0, abs=0.03)
    # A known effect: the least heard send 20% less.
    low = np.zeros(n, dtype=bool)
    edges = np.unique(np.quantile(p1, np.linspace(0, 1, 9)[1:-1]))
    b = np.searchsorted(edges, p1, side="right")
    for k in np.unique(b):
        inside = b == k
        low |= inside & (att <= np.quantile(att[inside], 0.25))
    p2_effect = np.where(low, 0.8, 1.0) * (0.5 * p1 + 10)
    assert participation.matched_gap(att, p1, p2_effect) == pytest.approx(-0.2, abs=0.01)


def planted():
    return participation.patterns(participation.PLANTED, replicates=4, seed=2009, burn_in=40,
                                  window=40)


def test_planted_model_where_attention_does_nothing_fails_the_first_test():
    res = planted()
    assert not res["ok1"]
    assert res["beta"]["ci_low"] < 0 < res["beta"]["ci_high"]


@pytest.mark.xfail(strict=True, reason=(
    "Known defect (Model 3.0, open in issue 23): on the planted model the matched comparison "
    "still finds the least-heard contributing less (gap -0.026 [-0.045, -0.006] at this seed; "
    "at seed 7 it does not), so the second statistic is not yet a test that fails when "
    "attention does nothing. Strict: this fails as soon as the defect is mended."))
def test_planted_model_where_attention_does_nothing_fails_the_second_test():
    assert not planted()["ok2"]


@pytest.mark.slow
def test_model_attention_feeds_later_contributions_at_fixed_seed():
    res = participation.patterns((), replicates=4, seed=2009, burn_in=40, window=40)
    assert res["ok1"], res["beta"]
    again = participation.patterns((), replicates=1, seed=2009, burn_in=40, window=40)
    np.testing.assert_array_equal(res["raw"][:1], again["raw"])
