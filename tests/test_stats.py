"""Intervals over replicates: the t interval, and the same cut to a metric's range."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.rules.catalogue import CATALOGUE
from sim.util.stats import bounded_ci, mean_ci

unit = st.floats(0.0, 1.0, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(st.lists(unit, min_size=2, max_size=8))
def test_a_bounded_interval_stays_in_range_and_holds_the_mean(values):
    b = mean_ci(values, bounds=(0.0, 1.0))
    t = mean_ci(values)
    assert 0.0 <= b["ci_low"] <= b["mean"] + 1e-12 and b["mean"] - 1e-12 <= b["ci_high"] <= 1.0
    # the t interval, cut to the range: never wider, and the same wherever it fits
    assert b["ci_low"] == max(t["ci_low"], 0.0) and b["ci_high"] == min(t["ci_high"], 1.0)
    assert (b["mean"], b["sd"], b["n"]) == (t["mean"], t["sd"], t["n"])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0.0, 1e4, allow_nan=False), min_size=2, max_size=6))
def test_a_count_interval_never_goes_below_zero(values):
    b = mean_ci(values, bounds=(0.0, None))
    assert b["ci_low"] >= 0.0 and b["ci_high"] == pytest.approx(mean_ci(values)["ci_high"])


def test_cutting_to_the_range_keeps_the_coverage():
    # Replicates of a share near its ceiling (Beta(20, 1), mean 20/21): the t interval often
    # passes 1; cut at 1 it covers the true mean in exactly the same samples.
    rng = np.random.default_rng(7)
    truth = 20 / 21
    covered_t = covered_b = 0
    for _ in range(2000):
        x = rng.beta(20, 1, size=3)
        t, b = mean_ci(x), mean_ci(x, bounds=(0.0, 1.0))
        inside_t = t["ci_low"] <= truth <= t["ci_high"]
        inside_b = b["ci_low"] <= truth <= b["ci_high"]
        assert inside_t == inside_b
        covered_t += inside_t
        covered_b += inside_b
        assert b["ci_high"] <= 1.0
    # (the t interval's own coverage of a skewed share from 3 replicates is below 95%: the
    # cut neither mends nor worsens it)
    assert covered_b == covered_t and covered_b > 1600


def test_the_vectorised_form_is_the_scalar_one():
    rng = np.random.default_rng(1)
    samples = [rng.uniform(0, 1, size=n) for n in (2, 3, 5, 8)]
    mean = np.array([s.mean() for s in samples])
    sd = np.array([s.std(ddof=1) for s in samples])
    n = np.array([s.size for s in samples])
    low, high = bounded_ci(mean, sd, n, (0.0, 1.0))
    for i, s in enumerate(samples):
        one = mean_ci(s, bounds=(0.0, 1.0))
        assert (low[i], high[i]) == pytest.approx((one["ci_low"], one["ci_high"]), abs=1e-12)


def test_no_interval_from_one_replicate_and_a_point_on_a_bound():
    one = mean_ci([0.7], bounds=(0.0, 1.0))
    assert math.isnan(one["ci_low"]) and math.isnan(one["ci_high"])
    flat = mean_ci([1.0, 1.0, 1.0], bounds=(0.0, 1.0))
    assert flat["ci_low"] == flat["ci_high"] == 1.0
    low, high = bounded_ci(0.5, 0.1, 1, (0.0, 1.0))
    assert np.isnan(low).all() and np.isnan(high).all()


def test_without_bounds_nothing_changes():
    assert mean_ci([1.0, 2.0, 3.0]) == mean_ci([1.0, 2.0, 3.0], bounds=(None, None))
    s = mean_ci([1.0, 2.0, 3.0])
    assert (round(s["ci_low"], 3), round(s["ci_high"], 3)) == (-0.484, 4.484)


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_every_catalogued_range_gives_intervals_inside_it(name):
    lo, hi = CATALOGUE[name].range
    a = lo if lo is not None else (hi - 5 if hi is not None else -5.0)
    b = hi if hi is not None else a + 5
    x = [a, a, b * 0.1 + a * 0.9]  # close to the lower end: the t interval would pass it
    s = mean_ci(x, bounds=(lo, hi))
    assert lo is None or s["ci_low"] >= lo
    assert hi is None or s["ci_high"] <= hi


def test_sweep_summaries_cut_intervals_to_each_metrics_range():
    import pandas as pd

    from sim.studies.aggregate import summarise_finals

    runs = pd.DataFrame(
        {
            "condition": "a",
            "status": "ok",
            "reach": [0.6, 0.95, 1.0],
            "final_sent_broadcast": [0.0, 0.0, 150.0],
            "x": [0.6, 0.95, 1.0],
        }
    )
    t = summarise_finals(runs, ["condition"], ["reach", "final_sent_broadcast", "x"])
    t = t.set_index("metric")
    assert t.loc["reach", "ci_high"] == 1.0 and t.loc["final_sent_broadcast", "ci_low"] == 0.0
    assert t.loc["x", "ci_high"] > 1.0  # not a catalogued metric: the plain t interval
    expected = mean_ci([0.6, 0.95, 1.0], bounds=(0.0, 1.0))
    assert t.loc["reach", "ci_low"] == pytest.approx(expected["ci_low"])


def test_paired_differences_of_identical_arms_have_no_width():
    from sim.util.stats import diff_ci, paired_diff_ci

    a = [0.41, 0.55, 0.62, 0.48]
    assert paired_diff_ci(a, a) == {"diff": 0.0, "ci_low": 0.0, "ci_high": 0.0, "n": 4}
    assert diff_ci(a, a)["ci_high"] > 0.1  # unpaired: a wide band around nothing
    shifted = [x + 0.1 for x in a]
    d = paired_diff_ci(shifted, a)
    assert d["diff"] == pytest.approx(0.1) and d["ci_high"] - d["ci_low"] < 1e-9
    with pytest.raises(ValueError, match="as many"):
        paired_diff_ci([1.0], [1.0, 2.0])
