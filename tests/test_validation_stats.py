"""Equivalence tests and pattern statistics of sim.validation.stats against direct formulas."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from sim.validation import stats


def test_tost_matches_the_90_percent_interval_rule():
    rng = np.random.default_rng(1)
    a, b = rng.normal(0.0, 1.0, 200), rng.normal(0.05, 1.0, 300)
    for margin in (0.1, 0.2, 0.3, 0.5):
        t = stats.tost_two_sample(a, b, margin)
        inside = -margin < t.ci_low and t.ci_high < margin
        assert t.equivalent == inside
    # The interval is Welch's 90% interval, computed here by hand.
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    half = sps.t.ppf(0.95, df) * math.sqrt(va + vb)
    t = stats.tost_two_sample(a, b, 0.2)
    assert t.ci_low == pytest.approx(a.mean() - b.mean() - half)
    assert t.ci_high == pytest.approx(a.mean() - b.mean() + half)


def test_tost_verdicts():
    rng = np.random.default_rng(2)
    base = rng.normal(0.5, 0.1, 400)
    assert stats.tost_two_sample(base, rng.normal(0.5, 0.1, 400), 0.03).verdict == "equivalent"
    assert stats.tost_two_sample(base, rng.normal(0.8, 0.1, 400), 0.03).verdict == "different"
    assert stats.tost_two_sample(base[:5], rng.normal(0.5, 0.1, 5), 0.01).verdict == "inconclusive"
    one = stats.tost_one_sample(base, 0.5, 0.03)
    assert one.equivalent and one.n == (400,)
    with pytest.raises(ValueError, match="margin"):
        stats.tost_two_sample(base, base, 0.0)


def test_power_formula_against_simulation():
    """The planned n gives about the promised power when the true difference is zero."""
    sd, margin = 0.2, 0.05
    n = stats.replicates_for_tost(sd, margin)
    assert stats.tost_power(sd, margin, n) == pytest.approx(0.8, abs=0.01)
    rng = np.random.default_rng(3)
    hits = sum(
        stats.tost_two_sample(rng.normal(0, sd, n), rng.normal(0, sd, n), margin).equivalent
        for _ in range(300)
    )
    assert 0.72 < hits / 300 < 0.88


@settings(max_examples=40, deadline=None)
@given(shift=st.floats(-1, 1), seed=st.integers(0, 2**31))
def test_tost_p_is_the_larger_one_sided_p(shift, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(shift, 1, 30), rng.normal(0, 1, 40)
    t = stats.tost_two_sample(a, b, 0.4)
    lower = sps.t.sf((t.diff + 0.4) / t.se, t.df)
    upper = sps.t.cdf((t.diff - 0.4) / t.se, t.df)
    assert t.p == pytest.approx(max(lower, upper))
    assert 0 <= t.p <= 1


def test_paired_diff_and_argmax():
    d = stats.paired_diff([1.0, 2.0, 3.0, 4.0], [0.5, 1.5, 2.5, 3.5])
    assert d["mean"] == pytest.approx(0.5) and d["ci_low"] == pytest.approx(0.5)
    rng = np.random.default_rng(4)
    curve = np.array([0.1, 0.5, 0.2])
    v = curve + rng.normal(0, 0.05, (50, 3))
    r = stats.argmax_bootstrap(v, [0.0, 0.5, 1.0], rng)
    assert r["argmax"] == 0.5 and r["ci_low"] == r["ci_high"] == 0.5
    assert r["interior_share"] == 1.0


@settings(max_examples=40, deadline=None)
@given(p=st.lists(st.floats(0, 1), min_size=1, max_size=12))
def test_holm_against_a_naive_step_down(p):
    k = len(p)
    order = sorted(range(k), key=lambda i: p[i])
    naive, running = [0.0] * k, 0.0
    for rank, i in enumerate(order):  # the definition, one test at a time
        running = max(running, min(1.0, (k - rank) * p[i]))
        naive[i] = running
    np.testing.assert_allclose(stats.holm(p), naive)


def test_poisson_binomial_against_enumeration():
    import itertools

    probs = [0.9, 0.2, 0.55, 0.7]
    pmf = np.zeros(5)
    for hits in itertools.product([0, 1], repeat=4):
        pmf[sum(hits)] += math.prod(q if h else 1 - q for q, h in zip(probs, hits, strict=True))
    np.testing.assert_allclose(stats.poisson_binomial(probs), pmf)


def _grid(rng, shifts, sd=0.1, margin=0.02):
    n = stats.replicates_for_tost(sd, margin, groups=1)
    tosts = [stats.tost_one_sample(rng.normal(s, sd, n), 0.0, margin) for s in shifts]
    powers = [stats.tost_power(t.se * math.sqrt(n), margin, n, groups=1) for t in tosts]
    return stats.agreement(tosts, powers)


def test_grid_criterion_passes_exact_agreement_and_fails_real_misses():
    rng = np.random.default_rng(27)
    exact = [_grid(rng, [0.0] * 27)["passed"] for _ in range(100)]
    # Exact agreement: the every-cell criterion would pass 0.8^27 = 0.2% of grids.
    assert np.mean(exact) > 0.85
    # Off by 0.6 of the margin everywhere: each cell loses most of its power, (ii) fails.
    drift = [_grid(rng, [0.012] * 27) for _ in range(40)]
    assert np.mean([g["passed"] for g in drift]) < 0.2
    # One cell off by three margins: (i) names it.
    one = [_grid(rng, [0.0] * 26 + [0.06]) for _ in range(40)]
    assert all(26 in g["different"] and not g["passed"] for g in one)
