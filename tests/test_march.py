"""March (1991): the batched kernel is the model, and the model has March's shape."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest

from sim import simulate
from sim.config import load_config, to_config
from sim.config.schema import MechanismsConfig
from sim.march import is_march, run_batch
from sim.rules.metrics import METRIC_NAMES
from sim.simulation import run_replicate


@pytest.mark.parametrize(
    "overrides",
    [
        [],
        ["population.turnover=0.1"],
        ["environment.turbulence=0.05", "population.turnover=0.02"],
        ["population.fast_share=0.4", "regime.socialization=0.1"],
        ["regime.listening=0.0"],
    ],
)
def test_kernel_equals_mesa_model_seed_for_seed(overrides):
    cfg = to_config(load_config(["scenario=march1991", "steps=25", *overrides]))
    assert is_march(cfg)
    seeds = [3, 2**40 + 7]
    batch = run_batch(cfg, seeds, chunk=1)  # chunking must not matter either
    assert batch.equals(run_batch(cfg, seeds))
    for r, seed in enumerate(seeds):
        model = run_replicate(cfg, seed)
        mine = batch[batch.replicate == r].reset_index(drop=True)
        for name in METRIC_NAMES:
            np.testing.assert_array_equal(
                model[name].to_numpy(), mine[name].to_numpy(), err_msg=name
            )


def test_anything_beyond_march_uses_the_model():
    assert not is_march(to_config(load_config(["scenario=march1991", "population.talk=0.1"])))
    assert not is_march(to_config(load_config([])))


@pytest.mark.parametrize(
    "override",
    [
        *[f"mechanisms.{f.name}=false" for f in fields(MechanismsConfig)],
        "population.time_read=1",
        "population.time_post=1",
        "population.time_reply=1",
        "population.time_vote=1",
        "population.time_voice=1",
        "org.answer_cost=1",
        "population.engagement_loss_post=0.1",
        "population.engagement_clarity=0.1",
        "population.engagement_fatigue=0.1",
        "org.exploration=0.5",
    ],
)
def test_any_model_3_option_away_from_march_runs_the_general_model(override):
    """The kernel never silently ignores a mechanism switch or a Model 3.0 option."""
    assert is_march(to_config(load_config(["scenario=march1991"])))
    assert not is_march(to_config(load_config(["scenario=march1991", override])))


def final_code_knowledge(p1, p2, replicates=160, **extra):
    overrides = [
        "scenario=march1991",
        f"regime.socialization={p1}",
        f"regime.listening={p2}",
        f"replicates={replicates}",
        "seed=1991",
    ]
    overrides += [f"{k}={v}" for k, v in extra.items()]
    return simulate(load_config(overrides)).summary["metrics"]["knowledge_code"]["mean"]


def test_knowledge_falls_as_socialization_rises():
    low, mid, high = (final_code_knowledge(p1, 0.5) for p1 in (0.1, 0.5, 0.9))
    assert low > mid > high
    assert low - high > 0.08


def test_code_never_moves_without_listening():
    r = simulate(load_config(["scenario=march1991", "regime.listening=0", "replicates=20"]))
    assert (r.metrics["knowledge_code"] == 0).all()
    assert (r.metrics["innovations"] == 0).all()


def test_a_code_that_listens_learns():
    assert final_code_knowledge(0.5, 0.5, replicates=40) > 0.5
