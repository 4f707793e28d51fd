"""The claims table's pieces: the classification of a claim's effect by the main job's
classifier, the verdict from a discovery's region, and the what-if that closes the gap
between espoused and enacted values."""

from __future__ import annotations

import numpy as np
import pytest

from sim.cli.claims import CLAIMS, _arms, _window_means, classify_claim, overall, rests_on
from sim.model import AgoraModel
from sim.util.seeding import replicate_seeds

QUICK = ["org.size=40", "stakeholders.count=8", "hierarchy.depth=3", "steps=40"]


@pytest.mark.slow
def test_a_fairer_split_rests_on_bargaining_by_the_main_jobs_classifier():
    claim = next(c for c in CLAIMS if c.key == "fairer_value")
    arms = _arms(claim, QUICK, 40)
    seeds = replicate_seeds(arms[0].seed, 3)
    main = tuple(_window_means(cfg, seeds, claim.metric) for cfg in arms)
    row = classify_claim(arms, seeds, claim.metric, main, max_pairs=0)
    assert row["difference"] > 0 and row["ci_low"] > 0
    assert row["class"] == "mechanism" and row["mechanism"] == "bargaining"
    assert row["share_removed"] == pytest.approx(1.0)
    assert rests_on(row) == "mechanism bargaining (removes 100%)"


def test_a_region_from_discovery_makes_the_verdict_depend_on_it():
    assert overall(
        "not supported (no clear effect)",
        {"conditions": ["turbulence > 0.05"], "cases": 12, "points": 30},
    ) == ("depends on: turbulence > 0.05 (the effect has the sign claimed in 12 of 30 conditions)")
    assert overall("supported", {"conditions": [], "cases": 3, "points": 30}).startswith(
        "supported; the effect has the sign claimed in 3 of 30"
    )
    assert overall("supported", None) == "supported"


def test_every_claim_names_a_practice_and_at_least_two_conditions_to_discover():
    from sim.exec.designs import parse_compare, parse_ranges

    for claim in CLAIMS:
        key, settings = parse_compare(claim.compare)
        ranges = parse_ranges(list(claim.explore))
        assert len(ranges) >= 2 and key not in ranges, claim.key


def test_living_its_values_closes_the_gap_and_restores_trust():
    from sim.config import load_config, to_config

    gaps, trust = [], []
    for what_if in ([], ["+intervention=live_its_values", "interventions.0.at=40"]):
        cfg = to_config(
            load_config(["scenario=says_it_listens", *QUICK[:3], "steps=120", *what_if])
        )
        frames = [_frame(cfg, s) for s in range(2)]
        gaps.append(np.mean([f["authenticity_gap"].iloc[80:].mean() for f in frames]))
        trust.append(np.mean([f["trust"].iloc[80:].mean() for f in frames]))
    assert gaps[1] < gaps[0] - 0.2
    assert trust[1] > trust[0]


def _frame(cfg, seed):
    model = AgoraModel(cfg, seed=seed)
    model.run()
    return model.metrics_frame()
