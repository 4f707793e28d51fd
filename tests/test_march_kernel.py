"""The March kernel is safe: every key of the schema is classified, and the class holds.

:func:`sim.march.is_march` sends a configuration to the batched kernel only when every key the
kernel does not model has a value that cannot act (:data:`sim.march.KERNEL_REQUIRES`). A key
added to the schema fails :func:`test_every_schema_key_is_classified` until it is placed; each
class is then checked by running: a key the kernel reads or that is inert gives the Mesa
model's numbers at a changed value, and a key the kernel requires sends the run to the
general model when it is set otherwise.
"""

from __future__ import annotations

import copy
import dataclasses
import typing

import numpy as np
import pytest

from sim import march, simulate
from sim.config import load_config, to_config
from sim.config.schema import AgoraConfig, InterventionConfig
from sim.march import KERNEL_INERT, KERNEL_READS, KERNEL_REQUIRES, is_march, run_batch
from sim.rules.metrics import METRIC_NAMES
from sim.simulation import run_replicate


def schema_keys(cls=AgoraConfig, prefix: str = "") -> list[str]:
    """Every leaf key of the schema, dotted, found by walking its dataclasses."""
    hints = typing.get_type_hints(cls)
    found = []
    for f in dataclasses.fields(cls):
        kind = hints[f.name]
        if dataclasses.is_dataclass(kind):
            found += schema_keys(kind, f"{prefix}{f.name}.")
        else:
            found.append(prefix + f.name)
    return found


#: A value outside March's model for every key the kernel requires.
OFF_MARCH = {
    "org.count": 2,
    "org.chart": "sample_orgchart.csv",
    "org.network": "sample_network.csv",
    "stakeholders.count": 5,
    "regime.upward": "voice",
    "regime.broadcast_rate": 0.5,
    "regime.responsiveness": 0.3,
    "regime.voting": True,
    "population.exploration": 0.01,
    "population.talk": 0.1,
    "population.voice": 0.2,
    "population.reply": 0.4,
    "population.trust": 0.6,
    "population.trust_rate": 0.05,
    "population.engagement": 0.5,
    "population.engagement_gain": 0.1,
    "population.engagement_loss": 0.05,
    "population.engagement_drift": 0.02,
    "population.attention": 0,
    "population.opinion": "degroot",
    "environment.landscape": "nk",
    "hierarchy.routing": "chain",
    "openness.peer": 0.5,
    "openness.internal": 0.5,
    "interventions": [InterventionConfig(at=2, set={"population.talk": 0.5})],
    "population.engagement_loss_post": 0.02,
    "population.engagement_clarity": 0.01,
    "population.engagement_fatigue": 0.05,
    "population.time_read": 1.0,
    "population.time_post": 1.0,
    "population.time_reply": 1.0,
    "population.time_vote": 0.25,
    "population.time_voice": 2.0,
    "org.answer_cost": 0.5,
    "org.exploration": 0.5,
    "platform.rollout": "top_down",
    "leadership.participation": 0.5,
    "value.economy": True,
    "org.adapt": "on",
    "regime.decision": "vote",
    **{f"mechanisms.{f.name}": False for f in dataclasses.fields(AgoraConfig().mechanisms)},
}

#: A changed, valid value (as an override) for every key the kernel reads or that is inert.
CHANGED = {
    "seed": "seed=11",
    "steps": "steps=4",
    "replicates": "replicates=3",
    "environment.dims": "environment.dims=12",
    "environment.turbulence": "environment.turbulence=0.1",
    "population.turnover": "population.turnover=0.1",
    "population.fast_share": "population.fast_share=0.3",
    "population.fast_socialization": "population.fast_socialization=0.5",
    "regime.socialization": "regime.socialization=0.7",
    "regime.listening": "regime.listening=0.2",
    "org.size": "org.size=12",
    "org.leader_levels": "org.leader_levels=2",
    "hierarchy.depth": "hierarchy.depth=3",
    "hierarchy.span": "hierarchy.span=null",
    "environment.k": "environment.k=2",
    "population.post_dims": "population.post_dims=1",
    "population.peer_influence": "population.peer_influence=0.9",
    "population.memory": "population.memory=0.5",
    "population.peer_rule": "population.peer_rule=imitate",
    "population.audience": "population.audience=all",
    "population.stubbornness": "population.stubbornness=0.8",
    "hierarchy.relay": "hierarchy.relay=0.3",
    "hierarchy.distortion": "hierarchy.distortion=0.6",
    "org.attention": "org.attention=7",
    "stakeholders.needs": "stakeholders.needs=0.7",
    "stakeholders.threshold": "stakeholders.threshold=0.9",
    "stakeholders.switching": "stakeholders.switching=0.5",
    "network.peer_degree": "network.peer_degree=8",
    "network.rewire": "network.rewire=0.9",
    "network.cross_unit_degree": "network.cross_unit_degree=5",
    "network.external_degree": "network.external_degree=5",
    "network.inter_org_degree": "network.inter_org_degree=3",
    "network.pattern": "network.pattern=multiscale",
    "network.lam": "network.lam=2",
    "network.zeta": "network.zeta=0.5",
    "openness.external": "openness.external=1",
    "openness.inter_org": "openness.inter_org=1",
    "openness.voice": "openness.voice=0",
    "openness.hear_stakeholders": "openness.hear_stakeholders=true",
    "regime.name": "regime.name=broadcast",
    "regime.mix": "regime.mix=1",
    "scenario.name": "scenario.name=other",
    "scenario.description": "scenario.description=changed",
    "limits.memory_gb": "limits.memory_gb=8",
    "population.time": "population.time=2",
    "org.espoused": "org.espoused=0.9",
    "org.review": "org.review=3",
    "org.objective": "org.objective=value",
    "org.adapt_step": "org.adapt_step=0.3",
    "org.adapt_noise": "org.adapt_noise=0.2",
    "regime.quorum": "regime.quorum=3",
    "platform.champions": "platform.champions=0.5",
    "platform.rate": "platform.rate=0.6",
    "platform.threshold": "platform.threshold=0.6",
    "platform.threshold_sd": "platform.threshold_sd=0.3",
    "platform.usefulness": "platform.usefulness=0.9",
    "platform.leader_weight": "platform.leader_weight=0.9",
    "platform.patience": "platform.patience=2",
    "leadership.voice_lift": "leadership.voice_lift=0.9",
    "value.idea_value": "value.idea_value=0.9",
    "value.share": "value.share=0.5",
    "value.share_max": "value.share_max=0.9",
    "value.bargaining": "value.bargaining=0.2",
}

MARCH = ["scenario=march1991", "steps=6", "hierarchy.span=24", "org.size=24"]


def test_every_schema_key_is_classified():
    keys = set(schema_keys())
    required, read, inert = set(KERNEL_REQUIRES), set(KERNEL_READS), set(KERNEL_INERT)
    assert not (required & read) and not (required & inert) and not (read & inert)
    unplaced = sorted(keys - required - read - inert)
    assert not unplaced, (
        f"place each in sim.march (KERNEL_REQUIRES, KERNEL_READS or KERNEL_INERT): {unplaced}"
    )
    stale = sorted((required | read | inert) - keys)
    assert not stale, f"not keys of the schema any more: {stale}"
    # The tests below know a value for each class, so a new key needs one here too.
    assert set(OFF_MARCH) == required
    assert set(CHANGED) == read | inert


def march_config():
    cfg = to_config(load_config(MARCH))
    assert is_march(cfg)
    return cfg


@pytest.mark.parametrize("key", sorted(KERNEL_REQUIRES))
def test_each_option_beyond_march_leaves_the_kernel(key):
    cfg = copy.deepcopy(march_config())
    *path, leaf = key.split(".")
    setattr(march.kernel_value(cfg, ".".join(path)) if path else cfg, leaf, OFF_MARCH[key])
    assert not is_march(cfg)
    assert march.kernel_refusals(cfg) == [key]


def test_a_config_off_the_kernel_runs_the_general_model(monkeypatch):
    def refuse(*_, **__):
        raise AssertionError("the kernel ran a configuration it does not model")

    monkeypatch.setattr(march, "run_batch", refuse)
    result = simulate(load_config([*MARCH, "population.talk=0.2", "steps=2"]))
    assert int(result.metrics["step"].max()) == 2


@pytest.mark.parametrize("key", sorted(set(CHANGED)))
def test_each_key_the_kernel_accepts_gives_the_models_numbers(key):
    overrides = [*MARCH, CHANGED[key]]
    cfg = to_config(load_config(overrides))
    assert is_march(cfg), f"{key}: classified as runnable on the kernel but refused"
    seeds = [5, 2**33 + 1]
    batch = run_batch(cfg, seeds)
    for r, seed in enumerate(seeds):
        model = run_replicate(cfg, seed)
        mine = batch[batch.replicate == r].reset_index(drop=True)
        for name in METRIC_NAMES:
            np.testing.assert_array_equal(
                model[name].to_numpy(), mine[name].to_numpy(), err_msg=f"{key}: {name}"
            )
