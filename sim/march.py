"""March (1991) mutual learning, vectorised across replicates.

When a configuration is exactly March's model (see :func:`is_march`), the Mesa model draws,
per step and in this order, uniform doubles for: turnover (``n``, then ``m`` per leaver, if p3 > 0),
turbulence (``m``, if p4 > 0), one coin per zero belief, one per socialization candidate
cell, and ``m`` for the code's learning. This kernel draws the same numbers from each
replicate's own Generator (consecutive draws concatenate, so one call per replicate and step
suffices) and applies the same rule functions (:mod:`sim.rules.learning`) to all replicates at once;
its output equals the model's, seed for seed, which ``tests/test_march.py`` checks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from sim.config import AgoraConfig
from sim.rules.learning import act, learn_code, random_beliefs, socialization_candidates, socialize
from sim.rules.metrics import METRIC_NAMES, diversity, knowledge_code, share_correct
from sim.util.stats import gini

__all__ = ["is_march", "run_batch", "KERNEL_REQUIRES", "KERNEL_READS", "KERNEL_INERT",
           "kernel_refusals", "kernel_value"]


#: Every key of the schema that the kernel does not model, with the test its value must pass
#: for the kernel to give the Mesa model's numbers; anything else runs the general model. The
#: keys the kernel reads (:data:`KERNEL_READS`) and those that cannot act in a March-shaped run
#: (:data:`KERNEL_INERT`) complete the schema: ``tests/test_march_kernel.py`` fails on a key
#: in none of the three, and checks each class by running both engines.
KERNEL_REQUIRES: dict[str, Callable[[Any], bool]] = {
    "org.count": lambda v: v == 1,
    "org.chart": lambda v: v is None,
    "org.network": lambda v: v is None,
    "stakeholders.count": lambda v: v == 0,
    "regime.upward": lambda v: v == "observe",
    "regime.broadcast_rate": lambda v: v >= 1,
    "regime.responsiveness": lambda v: v == 0,
    "regime.voting": lambda v: not v,
    "population.exploration": lambda v: v == 0,
    "population.talk": lambda v: v == 0,
    "population.voice": lambda v: v == 0,
    "population.reply": lambda v: v == 0,
    "population.trust": lambda v: v == 1,
    "population.trust_rate": lambda v: v == 0,
    # The kernel reports engagement 1 throughout: the Mesa model keeps the initial value.
    "population.engagement": lambda v: v == 1,
    "population.engagement_gain": lambda v: v == 0,
    "population.engagement_loss": lambda v: v == 0,
    "population.engagement_drift": lambda v: v == 0,
    "population.attention": lambda v: v >= 1,
    "population.opinion": lambda v: v == "off",
    "environment.landscape": lambda v: v == "additive",
    "hierarchy.routing": lambda v: v == "direct",
    "openness.peer": lambda v: v == 0,
    "openness.internal": lambda v: v == 0,
    "interventions": lambda v: not v,
}

#: Keys the kernel reads: any valid value runs on it.
KERNEL_READS = frozenset({
    "seed", "steps", "replicates", "environment.dims", "environment.turbulence",
    "population.turnover", "population.fast_share", "population.fast_socialization",
    "regime.socialization", "regime.listening", "org.size", "org.leader_levels",
    "hierarchy.depth", "hierarchy.span",
})

#: Keys that cannot act once :data:`KERNEL_REQUIRES` holds (no talk, no stakeholders, one
#: organization, direct routing, the additive task): any valid value runs on the kernel.
KERNEL_INERT = frozenset({
    "environment.k",  # the NK landscape's interactions; the task is additive
    # Talk between members: none (population.talk, openness.peer and internal are 0).
    "population.post_dims", "population.peer_influence", "population.peer_rule",
    "population.audience", "population.memory",
    "population.stubbornness",  # continuous opinions are off
    "hierarchy.relay", "hierarchy.distortion",  # relaying along the chain; routing is direct
    "org.attention",  # ideas voiced to the organization: nobody voices
    "stakeholders.needs", "stakeholders.threshold", "stakeholders.switching",  # none
    # The network's ties carry only talk, and none is had (the kernel's tree is the chart's).
    "network.peer_degree", "network.rewire", "network.cross_unit_degree",
    "network.external_degree", "network.inter_org_degree", "network.pattern", "network.lam",
    "network.zeta",
    "openness.external", "openness.inter_org", "openness.voice", "openness.hear_stakeholders",
    "regime.name", "regime.mix",  # only through the regime's values, which are checked
    "scenario.name", "scenario.description", "limits.memory_gb",
    # The mechanisms' switches (wired by Model 3.0): one that acts in a March-shaped run
    # moves to KERNEL_REQUIRES; tests/test_march_kernel.py fails until it does.
    "mechanisms.voice_effect", "mechanisms.frustration", "mechanisms.votes_as_heard",
    "mechanisms.broadcast_clarity", "mechanisms.broadcast_fatigue", "mechanisms.benevolence",
    "mechanisms.ability", "mechanisms.integrity", "mechanisms.broadcast_socialization",
    "mechanisms.answer_learning", "mechanisms.time_costs",
})


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
    """True when nothing but March's mutual learning happens in ``cfg``.

    One organization whose members only hear its broadcast every step, a code that observes
    everyone, no exploration, talk, stakeholders, trust or engagement dynamics: every key of
    :data:`KERNEL_REQUIRES` passes its test.
    """
    return not kernel_refusals(cfg)


def run_batch(cfg: AgoraConfig, seeds: list[int], chunk: int = 128) -> pd.DataFrame:
    """Run March's model for every seed; metrics in the model's layout.

    Replicates run ``chunk`` at a time, so memory stays bounded however many there are.
    """
    frames = [_run_chunk(cfg, seeds[i : i + chunk], i) for i in range(0, len(seeds), chunk)]
    return pd.concat(frames, ignore_index=True)


def _run_chunk(cfg: AgoraConfig, seeds: list[int], first: int) -> pd.DataFrame:
    from sim.org.network import hierarchy_tree

    tree = hierarchy_tree(cfg.org.size, cfg.hierarchy.depth, cfg.hierarchy.span)
    n = tree.size
    leader = (tree.level < cfg.org.leader_levels).astype(np.float32)
    m, steps, R = cfg.environment.dims, cfg.steps, len(seeds)
    p1, p2 = cfg.regime.socialization, cfg.regime.listening
    assert p1 is not None and p2 is not None, "to_config resolves the regime's values"
    p3, p4 = cfg.population.turnover, cfg.environment.turbulence
    gens = [np.random.default_rng(s) for s in seeds]

    reality = np.empty((R, m), dtype=np.int8)
    beliefs = np.empty((R, n, m), dtype=np.int8)
    for g, real, bel in zip(gens, reality, beliefs, strict=True):
        real[:] = np.where(g.random(m) < 0.5, -1, 1)
        bel[:] = random_beliefs(g.random((n, m)))
    code = np.zeros((R, m), dtype=np.int8)

    idx = np.arange(n)
    share = cfg.population.fast_share
    fast = np.floor((idx + 1) * share) > np.floor(idx * share)
    rate = np.broadcast_to(np.where(fast, cfg.population.fast_socialization, p1), (R, n))

    h_code = np.empty((steps + 1, R, m), dtype=np.int8)
    h_beliefs = np.empty((steps + 1, R, n, m), dtype=np.int8)
    h_reality = np.empty((steps + 1, R, m), dtype=np.int8)
    changes = np.zeros((steps + 1, R), dtype=np.int64)
    innovations = np.zeros((steps + 1, R), dtype=np.int64)
    net = np.zeros((steps + 1, R), dtype=np.int64)
    adopted = np.zeros((steps + 1, R), dtype=np.int64)
    bottom_up = np.zeros((steps + 1, R), dtype=np.int64)
    cocreated = np.zeros((steps + 1, R), dtype=np.int64)
    h_code[0], h_beliefs[0], h_reality[0] = code, beliefs, reality

    for t in range(steps):
        if p3 > 0:
            leave = np.stack([g.random(n) for g in gens]) < p3
            counts = leave.sum(1)
            # Then, per replicate, fresh beliefs for its leavers (and turbulence's draws).
            extra = m if p4 > 0 else 0
            after = [g.random(k * m + extra) for g, k in zip(gens, counts, strict=True)]
            fresh = np.concatenate([a[: k * m] for a, k in zip(after, counts, strict=True)])
            beliefs[leave] = random_beliefs(fresh).reshape(-1, m)
            if p4 > 0:
                flip = np.stack([a[k * m :] for a, k in zip(after, counts, strict=True)]) < p4
        elif p4 > 0:
            flip = np.stack([g.random(m) for g in gens]) < p4
        if p4 > 0:
            reality = (reality * (1 - 2 * flip.astype(np.int8))).astype(np.int8)
        zero = beliefs == 0
        cells = socialization_candidates(beliefs, code[:, None, :])
        z = np.count_nonzero(zero.reshape(R, -1), axis=1)
        c = np.count_nonzero(cells.reshape(R, -1), axis=1)
        draws = [g.random(zr + cr + m) for g, zr, cr in zip(gens, z, c, strict=True)]
        coin = np.concatenate([d[:zr] for d, zr in zip(draws, z, strict=True)])
        social = np.concatenate([d[zr : zr + cr] for d, zr, cr in zip(draws, z, c, strict=True)])
        learn_u = np.stack([d[zr + cr :] for d, zr, cr in zip(draws, z, c, strict=True)])

        actions = act(beliefs, coin)
        beliefs = socialize(beliefs, code[:, None, :], rate, social, candidates=cells)
        real32 = reality.astype(np.float32)[..., None]
        perf = np.matmul(actions.astype(np.float32), real32)[..., 0]
        code_perf = np.matmul(code.astype(np.float32)[:, None, :], real32)[:, 0, 0]
        weight = (perf > code_perf[:, None]).astype(np.float32)
        new_code, changed = learn_code(code, actions, weight, p2, learn_u)
        # Contributors to a change: superior members whose action is the new value; the change
        # is bottom-up when most of their weight comes from below the leadership.
        agree = (actions == new_code[:, None, :]).astype(np.float32)
        support = np.matmul(weight[:, None, :], agree)[:, 0, :]
        from_top = np.matmul((weight * leader)[:, None, :], agree)[:, 0, :]
        code = new_code
        innovation = changed & (code == reality)
        changes[t + 1] = changes[t] + changed.sum(-1)
        innovations[t + 1] = innovations[t] + innovation.sum(-1)
        net[t + 1] = net[t] + 2 * innovation.sum(-1) - changed.sum(-1)
        # Members whose action supported a change: superior, and agreeing on a changed dimension.
        backed = (weight > 0) & (agree.astype(bool) & changed[:, None, :]).any(-1)
        adopted[t + 1] = backed.sum(-1)
        bottom_up[t + 1] = bottom_up[t] + (innovation & (support - from_top > from_top)).sum(-1)
        cocreated[t + 1] = cocreated[t] + (changed & (support >= 2)).sum(-1)
        h_code[t + 1], h_beliefs[t + 1], h_reality[t + 1] = code, beliefs, reality

    frame = _metrics(
        seeds, h_code, h_beliefs, h_reality, changes, innovations, bottom_up, cocreated, n,
        net, adopted,
    )
    frame["replicate"] += first
    return frame


def _metrics(
    seeds, code, beliefs, reality, changes, innovations, bottom_up, cocreated, n, net, adopted
) -> pd.DataFrame:
    steps1, R = code.shape[:2]
    correct = share_correct(beliefs, reality)  # (steps+1, R, n)
    nan = np.full((steps1, R), np.nan)
    ones, zeros = np.ones((steps1, R)), np.zeros((steps1, R))
    sent = np.where(np.arange(steps1)[:, None] > 0, float(n), 0.0) * ones
    with np.errstate(invalid="ignore", divide="ignore"):
        cocreation = np.where(changes > 0, cocreated / np.maximum(changes, 1), np.nan)
    columns = {
        "knowledge_code": knowledge_code(code[:, :, None, :], reality),
        "knowledge_individuals": correct.mean(-1),
        "knowledge_stakeholders": nan,
        "reach": np.where(sent > 0, 1.0, 0.0),
        "engagement": ones,
        "active_share": zeros,
        "trust": ones,
        "silo_ei": nan,
        "gini_knowledge": gini(correct),
        "gini_access": np.where(sent > 0, 0.0, 0.0),
        "diversity": diversity(beliefs),
        "innovations": innovations.astype(float),
        "innovations_bottom_up": bottom_up.astype(float),
        "cocreation": cocreation,
        "stakeholder_satisfaction": nan,
        "gini_value": nan,
        "retention": nan,
        "overload": zeros,
        "filtered": zeros,
        "messages_sent": sent,
        "messages_delivered": sent,
        "innovations_net": net.astype(float),
        "sent_broadcast": sent,
        "sent_post": zeros,
        "sent_reply": zeros,
        "sent_vote": zeros,
        "sent_voice": zeros,
        # The code observes every member each step (from step 1): n ideas considered.
        "ideas_considered": sent,
        "ideas_adopted": adopted.astype(float),
        "voice_answered": nan,
        # No continuous opinions in March's model (is_march needs population.opinion off).
        "opinion_mean": nan,
        "opinion_variance": nan,
        "leader_influence": nan,
        "performance": nan,  # an NK task's score; March's task is additive
    }
    assert tuple(columns) == METRIC_NAMES
    steps_idx, rep_idx = np.meshgrid(np.arange(steps1), np.arange(R), indexing="ij")
    frame = pd.DataFrame(
        {
            "replicate": rep_idx.T.ravel(),
            "seed": np.asarray(seeds, dtype=np.int64)[rep_idx.T.ravel()],
            "step": steps_idx.T.ravel(),
            **{k: np.asarray(v, dtype=float).T.ravel() for k, v in columns.items()},
        }
    )
    return frame
