"""Several organizations adapt together: each moves its own practices on its own objective
(sim.rules.adapt), against a naive per-organization reference, and the model reads each
organization's own practice when it answers ideas and broadcasts."""

from __future__ import annotations

import numpy as np
import pytest

from sim.config import to_config
from sim.model import AgoraModel
from sim.rules.adapt import PRACTICES, Adaptation
from sim.rules.messages import org_node

SMALL = {
    "steps": 30,
    "org": {"size": 40, "count": 3},
    "stakeholders": {"count": 8},
    "hierarchy": {"depth": 3},
}


def _naive(objectives, start, *, review, step, sd, rng):
    """Each organization alone, written out plainly: its review means, a baseline, then its
    practices in turn, each moved by step (kept, or reversed if its objective fell) + noise."""
    n = len(objectives[0])
    value = {p: [start[p]] * n for p in PRACTICES}
    direction = {p: [1.0] * n for p in PRACTICES}
    previous, turn, history = None, 0, []
    for t in range(review - 1, len(objectives), review):
        mean = [
            sum(objectives[s][o] for s in range(t - review + 1, t + 1)) / review for o in range(n)
        ]
        if previous is not None:
            p = PRACTICES[turn % 2]
            turn += 1
            noise = rng.normal(0.0, sd, size=n)
            for o in range(n):
                if mean[o] < previous[o]:
                    direction[p][o] = -direction[p][o]
                value[p][o] = min(1.0, max(0.0, value[p][o] + direction[p][o] * step + noise[o]))
            history.append((t, p, list(value[p])))
        previous = mean
    return history


def test_each_organization_adapts_on_its_own_objective_against_a_naive_reference():
    cfg = to_config(
        {
            "org": {"count": 3, "adapt": "on", "review": 3, "adapt_step": 0.1, "adapt_noise": 0.02},
            "regime": {"name": "hybrid", "mix": 0.5},
        }
    )
    objectives = np.random.default_rng(5).random((30, 3)).tolist()
    start = {p: getattr(cfg.regime, p) for p in PRACTICES}
    expected = _naive(
        objectives, start, review=3, step=0.1, sd=0.02, rng=np.random.default_rng(11).spawn(1)[0]
    )
    adaptation = Adaptation(cfg, np.random.default_rng(11))
    got = []
    for t, x in enumerate(objectives):
        new = adaptation.step(cfg, x)
        if new is not None:
            p = PRACTICES[(adaptation.reviews - 1) % 2]
            got.append((t, p, adaptation.rates(new, p).tolist()))
            assert getattr(new.regime, p) == pytest.approx(np.mean(got[-1][2]))
            cfg = new
    assert [(t, p) for t, p, _ in got] == [(t, p) for t, p, _ in expected]
    for (_, _, a), (_, _, b) in zip(got, expected, strict=True):
        assert a == pytest.approx(b, abs=1e-11)
    # The organizations drifted apart: each has its own regime.
    assert len({tuple(np.round(v, 9)) for _, _, v in got[-2:]}) == 2
    assert any(len(set(np.round(v, 9))) > 1 for _, _, v in got)


def test_an_intervention_sets_a_practice_for_every_organization():
    cfg = to_config({"org": {"count": 2, "adapt": "on", "review": 1, "adapt_noise": 0.0}})
    adaptation = Adaptation(cfg, np.random.default_rng(0))
    adaptation.step(cfg, [1.0, 1.0])
    cfg = adaptation.step(cfg, [2.0, 0.5])
    assert len(set(adaptation.rates(cfg, "responsiveness"))) == 2
    from dataclasses import replace

    told = replace(cfg, regime=replace(cfg.regime, responsiveness=0.7))
    assert adaptation.rates(told, "responsiveness").tolist() == [0.7, 0.7]


def test_the_model_answers_and_broadcasts_by_each_organizations_own_practice():
    model = AgoraModel({**SMALL, "regime": {"name": "conversational"}}, seed=2)
    model.run(10)
    model.adaptation.practice["responsiveness"] = np.array([0.0, 1.0, 0.0])
    model.adaptation.practice["broadcast_rate"] = np.array([0.0, 0.0, 1.0])
    answered, senders = set(), set()
    for _ in range(10):
        model.step()
        answered |= {int(-o - 1) for org, _, _ in model.answers for o in org}
        _, sender, _, _ = model._broadcasts()
        senders |= set(sender.tolist())
    assert answered == {1}
    assert senders == {org_node(2)}


def test_several_organizations_adapting_drift_apart_and_report_their_mean():
    cfg = {**SMALL, "steps": 120, "org": {**SMALL["org"], "adapt": "on", "review": 5}}
    model = AgoraModel(cfg, seed=4)
    model.run()
    for p in PRACTICES:
        own = model.adaptation.rates(model.cfg, p)
        assert own.shape == (3,)
        assert getattr(model.cfg.regime, p) == pytest.approx(own.mean())
    assert len(set(np.round(model.adaptation.rates(model.cfg, "responsiveness"), 9))) > 1
    frame = model.metrics_frame()
    assert frame["practice_responsiveness"].nunique() > 1
    per_org = model.org_metrics_frame()
    last = per_org[per_org["step"] == per_org["step"].max()].sort_values("org")
    own = model.adaptation.rates(model.cfg, "responsiveness")
    assert last["practice_responsiveness"].tolist() == pytest.approx(own.tolist())
    assert frame["practice_responsiveness"].iloc[-1] == pytest.approx(
        per_org.groupby("step")["practice_responsiveness"].mean().iloc[-1]
    )
    off = AgoraModel({**SMALL, "steps": 120}, seed=4)
    off.run()
    for p in PRACTICES:
        assert (off.adaptation.rates(off.cfg, p) == getattr(off.cfg.regime, p)).all()
