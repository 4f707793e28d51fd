"""The scenario library, named interventions, interventions at a step, several organizations."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim import simulate
from sim.config import CONF_DIR, ConfigError, load_config, to_config
from sim.model import AgoraModel
from sim.org.network import EXTERNAL
from sim.scenarios.library import (
    get_intervention,
    get_scenario,
    list_interventions,
    list_scenarios,
)

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted(p.stem for p in (CONF_DIR / "scenario").glob("*.yaml"))
INTERVENTIONS = sorted(p.stem for p in (CONF_DIR / "intervention").glob("*.yaml"))
REQUIRED = {
    "default",
    "march1991",
    "broadcast_marketing",
    "off_the_shelf_network",
    "everyone_an_author",
    "distributed_strategy",
    "flatter_is_not_free",
    "social_trifecta",
}


def test_the_library_has_every_required_scenario():
    assert REQUIRED <= set(SCENARIOS)
    assert {"open_channels", "start_listening", "flatten", "voting_platform"} <= set(INTERVENTIONS)
    assert [s.name for s in list_scenarios()][0] == "default"


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_scenario_composes_runs_and_is_described(name):
    cfg = to_config(load_config([f"scenario={name}", "steps=3"]))
    assert cfg.scenario.name == name == get_scenario(name).name
    words = cfg.scenario.description.split()
    assert len(words) >= 25, "a description is one plain-words paragraph"
    assert cfg.scenario.description == get_scenario(name).description
    model = AgoraModel(cfg)
    model.run(3)
    frame = model.metrics_frame()
    assert frame["step"].tolist() == [0, 1, 2, 3]
    assert frame["engagement"].between(0, 1).all()


def test_scenarios_make_their_situation():
    cfg = {n: to_config(load_config([f"scenario={n}"])) for n in REQUIRED}
    assert cfg["broadcast_marketing"].regime.upward == "chain"
    assert not cfg["broadcast_marketing"].openness.hear_stakeholders
    assert cfg["off_the_shelf_network"].openness.internal == 1.0
    assert cfg["off_the_shelf_network"].regime.responsiveness == 0.0
    a = cfg["everyone_an_author"]
    assert a.regime.voting and a.regime.upward == "voice" and a.population.voice >= 0.5
    d = cfg["distributed_strategy"]
    assert d.environment.turbulence > 0.02 and d.network.pattern == "multiscale"
    assert d.regime.name == "conversational" and d.openness.internal == 1.0
    assert d.hierarchy.routing == "network" and d.openness.voice < 1.0  # ideas travel over ties
    f = cfg["flatter_is_not_free"]
    assert f.hierarchy.routing == "chain" and f.hierarchy.span is None and f.hierarchy.depth >= 4
    t = cfg["social_trifecta"]
    assert t.org.count == 3 and t.stakeholders.switching > 0 and t.openness.inter_org > 0


@pytest.mark.parametrize("name", INTERVENTIONS)
def test_every_named_intervention_composes_and_is_described(name):
    iv = get_intervention(name)
    assert len(iv.description.split()) >= 8
    cfg = to_config(load_config(["scenario=default", f"+intervention={name}"]))
    assert [i.at for i in cfg.interventions] == [item["at"] for item in iv.interventions]
    assert [dict(i.set) for i in cfg.interventions] == [item["set"] for item in iv.interventions]


def test_unknown_names_list_the_known_ones():
    with pytest.raises(ConfigError, match=r"scenario='nope' is unknown: one of \[.*default"):
        get_scenario("nope")
    with pytest.raises(ConfigError, match=r"intervention='nope' is unknown: one of \[.*flatten"):
        get_intervention("nope")


def test_scenarios_script_lists_every_scenario_with_its_description():
    proc = subprocess.run(
        [sys.executable, str(ROOT / "experiments" / "scenarios.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    flat = " ".join(proc.stdout.split())
    for s in list_scenarios():
        assert f" {s.name} " in flat
        assert s.description[:60] in flat
    for iv in list_interventions():
        assert iv.name in flat


# --------------------------------------------------------------------------- interventions

SMALL = {
    "steps": 12,
    "org": {"size": 60},
    "stakeholders": {"count": 15},
    "hierarchy": {"depth": 3},
    "openness": {"internal": 0.0},
}


def _with(interventions):
    return {**SMALL, "interventions": interventions}


@pytest.mark.parametrize("at", [1, 5, 11])
@pytest.mark.parametrize(
    "changes",
    [{"openness.internal": 1.0}, {"regime": "conversational"}, {"population.attention": 0}],
)
def test_an_intervention_takes_effect_exactly_at_its_step(at, changes):
    plain = simulate(SMALL).metrics
    changed = simulate(_with([{"at": at, "set": changes}])).metrics
    before = plain["step"] < at
    # Golden: the rows before `at` are the no-intervention run's, value for value ...
    assert changed[before].equals(plain[before])
    # ... and the row of step `at` is the first under the new rules.
    row = plain["step"] == at
    assert (
        not changed[row]
        .drop(columns=["replicate", "seed", "step"])
        .equals(plain[row].drop(columns=["replicate", "seed", "step"]))
    )


def test_opening_channels_rewires_at_the_step_golden_counts():
    model = AgoraModel(_with([{"at": 5, "set": {"openness.internal": 1.0}}]), seed=11)
    counts = []
    for _ in range(6):
        counts.append(model.network.edge_count("cross_unit"))
        model.step()
    counts.append(model.network.edge_count("cross_unit"))
    # Before step 5: openness.internal 0, no cross-unit ties. From step 5: 1.0 x 2.0 ties per
    # person over the 59 people in units (all but the top), 59 ties.
    assert counts == [0, 0, 0, 0, 0, 59, 59]
    assert model.cfg.openness.internal == 1.0


def test_a_regime_switch_changes_the_rules_at_its_step():
    model = AgoraModel(_with([{"at": 3, "set": {"regime": "conversational"}}]), seed=2)
    seen = []
    for _ in range(4):
        model.step()
        seen.append((model.current_step, model.cfg.regime.name, model.cfg.regime.responsiveness))
    assert seen == [
        (1, "hybrid", 0.3),
        (2, "hybrid", 0.3),
        (3, "conversational", 0.6),
        (4, "conversational", 0.6),
    ]


def test_an_intervention_at_step_zero_is_the_changed_run():
    from_start = simulate({**SMALL, "openness": {"internal": 0.9}}).metrics
    at_zero = simulate(_with([{"at": 0, "set": {"openness.internal": 0.9}}])).metrics
    assert at_zero.equals(from_start)


def test_named_intervention_breaks_the_series_at_its_step():
    base = ["scenario=default", "org.size=40", "stakeholders.count=8", "steps=8"]
    plain = simulate(load_config(base)).metrics
    treated = simulate(
        load_config([*base, "+intervention=start_listening", "interventions.0.at=4"])
    ).metrics
    assert treated[treated["step"] < 4].equals(plain[plain["step"] < 4])
    assert not treated[treated["step"] >= 4].equals(plain[plain["step"] >= 4])


def test_a_bad_intervention_fails_before_anything_runs():
    with pytest.raises(ConfigError, match="interventions cannot change org.size"):
        to_config(_with([{"at": 3, "set": {"org.size": 5}}]))
    with pytest.raises(ConfigError, match=r"interventions\[0\] \(at step 3\).*hierarchy.relay=1.5"):
        to_config(_with([{"at": 3, "set": {"hierarchy.relay": 1.5}}]))
    with pytest.raises(ConfigError, match="pass at=N"):
        from sim.scenarios.whatif import plan_whatif

        plan_whatif("march1991", "open_channels")


# --------------------------------------------------------------------------- several organizations

SEVERAL = {
    "steps": 40,
    "org": {"count": 3, "size": 30},
    "hierarchy": {"depth": 3},
    "stakeholders": {"count": 12, "threshold": 0.9, "switching": 0.5},
    "openness": {"external": 1.0, "inter_org": 0.5},
}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_several_organizations_conserve_stakeholders(seed):
    model = AgoraModel({**SEVERAL, "seed": seed})
    n, k = model.n_individuals, model.n_stakeholders
    assert k == 36
    moved = 0
    for _ in range(40):
        before = model.stakeholder_org.copy()
        model.step()
        org = model.stakeholder_org
        # Each stakeholder is tied to exactly one organization at a time; none appear or vanish.
        assert org.shape == (k,) and ((org >= 0) & (org < 3)).all()
        assert np.bincount(org, minlength=3).sum() == k
        moved += int((org != before).sum())
        # Its frontline ties all go to members of the organization it is tied to now.
        net = model.network
        ext = net.edges[net.edge_type == EXTERNAL]
        member, stakeholder = ext[:, 0], ext[:, 1] - n
        assert (net.tree.org[member] == org[stakeholder]).all()
    assert moved > 0, "the test must see stakeholders switch"
    per_org = model.org_metrics_frame()
    totals = per_org.groupby("step")["stakeholders"].sum()
    assert (totals == k).all()
    last = model.metrics_frame().iloc[-1]
    assert last["retention"] < 1


def test_social_trifecta_has_per_organization_metrics():
    result = simulate(
        load_config(
            [
                "scenario=social_trifecta",
                "steps=5",
                "replicates=2",
                "org.size=40",
                "stakeholders.count=10",
            ]
        )
    )
    om = result.org_metrics
    assert om is not None and sorted(om["org"].unique()) == [0, 1, 2]
    assert len(om) == 2 * 6 * 3
    assert (om.groupby(["replicate", "step"])["stakeholders"].sum() == 30).all()
