"""The mechanism docking (being answered -> engagement, trust) runs through the model and can fail."""

import numpy as np
import pytest

from sim.validation import mechanisms


def test_partial_r_against_a_direct_formula():
    rng = np.random.default_rng(0)
    x, z = rng.random(300), rng.random(300)
    y = 0.5 * x + 2.0 * z + 0.1 * rng.random(300)
    # Direct: correlate the residuals of x and y on z.
    rx = x - np.polyval(np.polyfit(z, x, 1), z)
    ry = y - np.polyval(np.polyfit(z, y, 1), z)
    assert mechanisms.partial_r(x, y, z) == pytest.approx(np.corrcoef(rx, ry)[0, 1], abs=1e-9)
    assert np.isnan(mechanisms.partial_r(x, np.ones(300), z))


def test_experiment_accounts_answers_against_ideas():
    from sim.config import load_config
    from sim.validation.traces import seeds

    cfg = load_config(list(mechanisms.OVERRIDES))
    res = mechanisms.experiment(cfg, seeds(1, 1)[0], burn_in=20, window=20)
    # An answer needs an idea read: never more answers than ideas (by more than the ideas
    # read in the step before the window, whose answers arrive in it: none are counted).
    assert (res["answered"] <= res["read"]).all()
    assert res["read"].sum() > 0 and 0 < res["answered"].sum() < res["read"].sum()
    again = mechanisms.experiment(cfg, seeds(1, 1)[0], burn_in=20, window=20)
    for k in res:
        np.testing.assert_array_equal(res[k], again[k])


def test_being_answered_raises_engagement_and_trust_at_fixed_seed():
    out = mechanisms.measure(mechanisms.OVERRIDES, 6, seed=2002, burn_in=60, window=60)
    for key in ("engagement", "trust"):
        v = mechanisms.judge([o[key] for o in out])
        assert v["passed"], (key, v)


def test_planted_model_without_the_mechanism_fails():
    """With the engagement rules off, being answered cannot move engagement: the test fails."""
    from sim.validation.participation import PLANTED

    planted = [*mechanisms.OVERRIDES, *PLANTED]
    out = mechanisms.measure(planted, 3, seed=2002, burn_in=40, window=40)
    assert not mechanisms.judge([o["engagement"] for o in out])["passed"]
    frozen = [*mechanisms.OVERRIDES, "population.trust_rate=0"]
    out = mechanisms.measure(frozen, 3, seed=2002, burn_in=40, window=40)
    assert not mechanisms.judge([o["trust"] for o in out])["passed"]


def test_judge_bounds_the_order_of_magnitude():
    assert mechanisms.judge([0.3, 0.35, 0.4])["passed"]
    assert not mechanisms.judge([0.01, 0.02, 0.03])["passed"]  # positive but negligible
    assert not mechanisms.judge([0.95, 0.96, 0.97])["passed"]  # near deterministic
