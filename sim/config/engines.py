"""Which engine runs a configuration: a pure function of its values, so that the memory
estimate (:mod:`sim.config.limits`) and the simulation (:mod:`sim.simulation`) agree.

Replicates of most configurations are stepped together (:mod:`sim.batch`):
:func:`batch_refusals` says why one cannot be, and :func:`worlds_per_batch` how many
replicates one batch holds.

The batched March kernel (:mod:`sim.march`) runs a configuration only when every key of the
schema it does not model has a value that cannot act: :data:`KERNEL_REQUIRES` says which value
each such key must have; the keys it reads (:data:`KERNEL_READS`) and those that cannot act in
a March-shaped run (:data:`KERNEL_INERT`) complete the schema. ``tests/test_march_kernel.py``
fails on a key in none of the three and checks each class by running both engines, so no
option can be silently ignored by the kernel.

Examples
--------
>>> from sim.config import load_config, to_config
>>> is_march(to_config(load_config(["scenario=march1991"])))
True
>>> is_march(to_config({}))
False
>>> kernel_refusals(to_config(load_config(["scenario=march1991", "population.talk=0.1"])))
['population.talk']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import Any

from sim.config.schema import AgoraConfig, MechanismsConfig

__all__ = [
    "KERNEL_REQUIRES",
    "KERNEL_READS",
    "KERNEL_INERT",
    "is_march",
    "kernel_refusals",
    "kernel_value",
    "MAX_NODES",
    "batch_refusals",
    "worlds_per_batch",
]


def _zero(v: Any) -> bool:
    return v == 0


#: Every key of the schema that the kernel does not model, with the test its value must pass
#: for the kernel to give the Mesa model's numbers; anything else runs the general model.
KERNEL_REQUIRES: dict[str, Callable[[Any], bool]] = {
    "org.count": lambda v: v == 1,
    "org.chart": lambda v: v is None,
    "org.network": lambda v: v is None,
    "stakeholders.count": _zero,
    "regime.upward": lambda v: v == "observe",
    "regime.broadcast_rate": lambda v: v >= 1,
    "regime.responsiveness": _zero,
    "regime.voting": lambda v: not v,
    "population.exploration": _zero,
    "population.talk": _zero,
    "population.voice": _zero,
    "population.reply": _zero,
    "population.trust": lambda v: v == 1,
    "population.trust_rate": _zero,
    # The kernel reports engagement 1 throughout: the Mesa model keeps the initial value.
    "population.engagement": lambda v: v == 1,
    "population.engagement_gain": _zero,
    "population.engagement_loss": _zero,
    "population.engagement_drift": _zero,
    "population.attention": lambda v: v >= 1,
    "population.opinion": lambda v: v == "off",
    "environment.landscape": lambda v: v == "additive",
    "hierarchy.routing": lambda v: v == "direct",
    "openness.peer": _zero,
    "openness.internal": _zero,
    "interventions": lambda v: not v,
    # Model 3.0: nothing costs time, no clarity, fatigue or ignored posts, and a leadership
    # that does not explore first hand.
    "population.engagement_loss_post": _zero,
    "population.engagement_clarity": _zero,
    "population.engagement_fatigue": _zero,
    "population.time_read": _zero,
    "population.time_post": _zero,
    "population.time_reply": _zero,
    "population.time_vote": _zero,
    "population.time_voice": _zero,
    "org.answer_cost": _zero,
    "org.exploration": _zero,
    # The essays' mechanisms at their inert defaults (sim.rules.platform and the rest).
    "platform.rollout": lambda v: v == "everyone",
    "leadership.participation": _zero,
    "value.economy": lambda v: not v,
    "org.adapt": lambda v: v == "off",
    "regime.decision": lambda v: v == "leaders",
    # Every assumed mechanism on: the kernel is March's model with all of them as it has them.
    **{f"mechanisms.{f.name}": bool for f in fields(MechanismsConfig)},
}

#: Keys the kernel reads: any valid value runs on it.
KERNEL_READS = frozenset(
    {
        "seed",
        "steps",
        "replicates",
        "environment.dims",
        "environment.turbulence",
        "population.turnover",
        "population.fast_share",
        "population.fast_socialization",
        "regime.socialization",
        "regime.listening",
        "org.size",
        "org.leader_levels",
        "hierarchy.depth",
        "hierarchy.span",
    }
)

#: Keys that cannot act once :data:`KERNEL_REQUIRES` holds (no talk, no stakeholders, one
#: organization, direct routing, the additive task): any valid value runs on the kernel.
KERNEL_INERT = frozenset(
    {
        "environment.k",  # the NK landscape's interactions; the task is additive
        # Talk between members: none (population.talk, openness.peer and internal are 0).
        "population.post_dims",
        "population.peer_influence",
        "population.peer_rule",
        "population.audience",
        "population.memory",
        "population.stubbornness",  # continuous opinions are off
        "population.time",  # a budget nothing draws from (every cost is 0)
        "hierarchy.relay",
        "hierarchy.distortion",  # relaying along the chain; routing is direct
        "org.attention",  # ideas voiced to the organization: nobody voices
        "org.espoused",  # a claim about answering; nobody voices, so nobody can compare
        "org.review",
        "org.objective",
        "org.adapt_step",
        "org.adapt_noise",  # org.adapt is off
        "regime.quorum",  # decisions are the leaders'
        "stakeholders.needs",
        "stakeholders.threshold",
        "stakeholders.switching",  # none
        # The network's ties carry only talk, and none is had (the kernel's tree is the chart's).
        "network.peer_degree",
        "network.rewire",
        "network.cross_unit_degree",
        "network.external_degree",
        "network.inter_org_degree",
        "network.pattern",
        "network.lam",
        "network.zeta",
        "openness.external",
        "openness.inter_org",
        "openness.voice",
        "openness.hear_stakeholders",
        "regime.name",
        "regime.mix",  # only through the regime's values, which are checked
        "scenario.name",
        "scenario.description",
        "limits.memory_gb",
        # The platform is everyone's from the start (rollout everyone), leaders do not take part,
        # and there is no economy: these only shape what those mechanisms do.
        "platform.champions",
        "platform.rate",
        "platform.threshold",
        "platform.threshold_sd",
        "platform.usefulness",
        "platform.leader_weight",
        "platform.patience",
        "leadership.voice_lift",
        "value.idea_value",
        "value.share",
        "value.share_max",
        "value.bargaining",
    }
)


def kernel_value(cfg: AgoraConfig, key: str) -> Any:
    """The value of a dotted ``key`` of ``cfg`` (``"population.talk"``)."""
    value: Any = cfg
    for part in key.split("."):
        value = getattr(value, part)
    return value


def kernel_refusals(cfg: AgoraConfig) -> list[str]:
    """The keys of :data:`KERNEL_REQUIRES` whose value keeps ``cfg`` off the kernel."""
    return [key for key, ok in KERNEL_REQUIRES.items() if not ok(kernel_value(cfg, key))]


def is_march(cfg: AgoraConfig) -> bool:
    """True when nothing but March's mutual learning happens in ``cfg``: every key of
    :data:`KERNEL_REQUIRES` passes its test."""
    return not kernel_refusals(cfg)


#: The most nodes a batch of replicates stacks (:mod:`sim.batch`). Batching pays where a step
#: is mostly the fixed cost of numpy calls (small worlds); past this a replicate's own arrays
#: fill the calls.
MAX_NODES = 50_000


def worlds_per_batch(cfg: AgoraConfig) -> int:
    """How many replicates of ``cfg`` one batch steps together: as many worlds as fit
    :data:`MAX_NODES`, at most 64 and at most ``cfg.replicates`` (1: not batched).

    >>> from sim.config import to_config
    >>> worlds_per_batch(to_config({"replicates": 100}))
    64
    >>> worlds_per_batch(to_config({"replicates": 100, "org": {"size": 40_000}}))
    1
    """
    nodes = cfg.org.count * ((cfg.org.size or 0) + cfg.stakeholders.count)
    return int(max(1, min(64, cfg.replicates, MAX_NODES // max(nodes, 1))))


def batch_refusals(cfg: AgoraConfig) -> list[str]:
    """Why the replicates of ``cfg`` (resolved) cannot be stepped together (empty: they can),
    one plain reason per setting, for the rules in force at the start (:func:`sim.batch.
    refusals` adds the interventions' and the metrics')."""
    pop = cfg.population
    checks = [
        (cfg.org.count == 1, "several organizations (stakeholders may switch between them)"),
        (cfg.environment.landscape == "additive", "an NK task (one landscape per world)"),
        (pop.opinion == "off", "the opinion mode"),
        (pop.peer_rule == "majority", f"the peer rule {pop.peer_rule}"),
        (pop.audience == "one", "posts to every neighbour"),
        # Chain routing cascades broadcasts down the tree; under network routing broadcasts
        # go directly and only ideas follow the ties (the derived chain, sim.rules.netroute).
        (cfg.hierarchy.routing != "chain", "chain broadcast routing"),
        (cfg.regime.upward != "observe", "the code observing members (March's idealisation)"),
        (cfg.regime.decision == "leaders", "decisions by vote"),
        (cfg.org.adapt == "off", "practices that adapt"),
        (cfg.leadership.participation == 0, "leaders taking part"),
        (not cfg.value.economy, "the economy"),
        (cfg.regime.broadcast_rate is None or not is_march(cfg), "March's own model (its kernel)"),
    ]
    return [reason for ok, reason in checks if not ok]
