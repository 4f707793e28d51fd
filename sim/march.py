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

import numpy as np
import pandas as pd

from sim.config import AgoraConfig
from sim.config.engines import (
    KERNEL_INERT,
    KERNEL_READS,
    KERNEL_REQUIRES,
    is_march,
    kernel_refusals,
    kernel_value,
)
from sim.rules.catalogue import record
from sim.rules.learning import act, learn_code, random_beliefs, socialization_candidates, socialize
from sim.rules.metrics import METRIC_NAMES, diversity, knowledge_code, share_correct
from sim.util.stats import gini

# The classification of the schema's keys lives with is_march in sim.config.engines (the
# memory estimate needs it too); re-exported here, beside the kernel it protects.
__all__ = [
    "is_march",
    "run_batch",
    "KERNEL_REQUIRES",
    "KERNEL_READS",
    "KERNEL_INERT",
    "kernel_refusals",
    "kernel_value",
]


def run_batch(cfg: AgoraConfig, seeds: list[int], chunk: int = 128) -> pd.DataFrame:
    """Run March's model for every seed; metrics in the model's layout.

    Replicates run ``chunk`` at a time, so memory stays bounded however many there are.
    """
    frames = [_run_chunk(cfg, seeds[i : i + chunk], i) for i in range(0, len(seeds), chunk)]
    return pd.concat(frames, ignore_index=True)


def _run_chunk(cfg: AgoraConfig, seeds: list[int], first: int) -> pd.DataFrame:
    leader, in_group = _leaders_and_origins(cfg)
    n = leader.size
    p1, p2 = cfg.regime.socialization, cfg.regime.listening
    if p1 is None or p2 is None:  # a config that did not go through sim.config.to_config
        raise ValueError("regime.socialization and regime.listening are unresolved (null)")
    m, steps, R = cfg.environment.dims, cfg.steps, len(seeds)
    p3, p4 = cfg.population.turnover, cfg.environment.turbulence
    gens = [np.random.default_rng(s) for s in seeds]
    reality, beliefs = _initial_reality_and_beliefs(gens, n, m)
    code = np.zeros((R, m), dtype=np.int8)
    rate = _socialization_rates(cfg, n, R, p1)

    h_code, h_reality = (np.empty((steps + 1, R, m), dtype=np.int8) for _ in range(2))
    h_members = np.empty((3, steps + 1, R))  # knowledge, its Gini, diversity
    changes, innovations, net, adopted, bottom_up, cocreated, lag_sum, lag_count = (
        np.zeros((steps + 1, R), dtype=np.int64) for _ in range(8)
    )
    wrong_since = np.full((R, m), -1, dtype=np.int64)
    h_code[0], h_reality[0] = code, reality
    h_members[:, 0] = _member_metrics(beliefs, reality)

    for t in range(steps):
        flip = _turnover_and_turbulence(gens, beliefs, p3, p4) if p3 > 0 or p4 > 0 else None
        if flip is not None:
            # Adaptation spells start where the code was right and reality moves away.
            wrong_since[flip & (code == reality)] = t + 1
            reality = (reality * (1 - 2 * flip.astype(np.int8))).astype(np.int8)
        cells = socialization_candidates(beliefs, code[:, None, :])
        coin, social, learn_u = _step_draws(gens, beliefs, cells)
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
        backers = (weight[:, :, None] > 0) & agree.astype(bool)  # (R, n, m)
        origins = np.matmul(in_group.T, backers.astype(np.float32)) > 0  # (R, groups, m)
        cocreated[t + 1] = cocreated[t] + (changed & (origins.sum(1) >= 2)).sum(-1)
        done = (wrong_since >= 0) & (code == reality)
        lag_sum[t + 1] = lag_sum[t] + np.where(done, t + 1 - wrong_since, 0).sum(-1)
        lag_count[t + 1] = lag_count[t] + done.sum(-1)
        wrong_since[done] = -1
        h_code[t + 1], h_reality[t + 1] = code, reality
        h_members[:, t + 1] = _member_metrics(beliefs, reality)

    frame = _metrics(
        seeds,
        h_code,
        h_members,
        h_reality,
        changes,
        innovations,
        bottom_up,
        cocreated,
        n,
        net,
        adopted,
        (lag_sum, lag_count),
    )
    frame["replicate"] += first
    return frame


def _leaders_and_origins(cfg: AgoraConfig) -> tuple[np.ndarray, np.ndarray]:
    """Who is in the leadership (1.0) and, per member, its origin group (one-hot).

    Independent origins as in the model: each unit, and the leadership above the units.
    """
    from sim.org.network import hierarchy_tree

    tree = hierarchy_tree(cfg.org.size, cfg.hierarchy.depth, cfg.hierarchy.span)
    n = tree.size
    leader = (tree.level < cfg.org.leader_levels).astype(np.float32)
    group = np.where(tree.unit >= 0, tree.unit, tree.n_units)
    in_group = np.zeros((n, tree.n_units + 1), dtype=np.float32)
    in_group[np.arange(n), group] = 1
    return leader, in_group


def _initial_reality_and_beliefs(
    gens: list[np.random.Generator], n: int, m: int
) -> tuple[np.ndarray, np.ndarray]:
    """Each replicate's reality (m of +-1), then its members' beliefs, from its own Generator."""
    R = len(gens)
    reality = np.empty((R, m), dtype=np.int8)
    beliefs = np.empty((R, n, m), dtype=np.int8)
    for g, real, bel in zip(gens, reality, beliefs, strict=True):
        real[:] = np.where(g.random(m) < 0.5, -1, 1)
        bel[:] = random_beliefs(g.random((n, m)))
    return reality, beliefs


def _socialization_rates(cfg: AgoraConfig, n: int, R: int, p1: float) -> np.ndarray:
    """Each member's socialization rate: the fast share spread evenly over the members."""
    idx = np.arange(n)
    share = cfg.population.fast_share
    fast = np.floor((idx + 1) * share) > np.floor(idx * share)
    return np.broadcast_to(np.where(fast, cfg.population.fast_socialization, p1), (R, n))


def _turnover_and_turbulence(
    gens: list[np.random.Generator], beliefs: np.ndarray, p3: float, p4: float
) -> np.ndarray | None:
    """One step's turnover (leavers' beliefs replaced in place) and turbulence's flips.

    Draws in the model's order: per replicate ``n`` for who leaves, then ``m`` per leaver and,
    with turbulence, ``m`` more. Returns the dimensions of reality that flip (or None).
    """
    n, m = beliefs.shape[1:]
    if p3 > 0:
        leave = np.stack([g.random(n) for g in gens]) < p3
        counts = leave.sum(1)
        # Then, per replicate, fresh beliefs for its leavers (and turbulence's draws).
        extra = m if p4 > 0 else 0
        after = [g.random(k * m + extra) for g, k in zip(gens, counts, strict=True)]
        fresh = np.concatenate([a[: k * m] for a, k in zip(after, counts, strict=True)])
        beliefs[leave] = random_beliefs(fresh).reshape(-1, m)
        if p4 > 0:
            return np.stack([a[k * m :] for a, k in zip(after, counts, strict=True)]) < p4
        return None
    if p4 > 0:
        return np.stack([g.random(m) for g in gens]) < p4
    return None


def _step_draws(
    gens: list[np.random.Generator], beliefs: np.ndarray, cells: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One step's uniforms after turnover and turbulence, one call per replicate: a coin per
    zero belief, one per socialization candidate cell, and ``m`` for the code's learning."""
    R, m = len(gens), beliefs.shape[-1]
    z = np.count_nonzero((beliefs == 0).reshape(R, -1), axis=1)
    c = np.count_nonzero(cells.reshape(R, -1), axis=1)
    draws = [g.random(zr + cr + m) for g, zr, cr in zip(gens, z, c, strict=True)]
    coin = np.concatenate([d[:zr] for d, zr in zip(draws, z, strict=True)])
    social = np.concatenate([d[zr : zr + cr] for d, zr, cr in zip(draws, z, c, strict=True)])
    learn_u = np.stack([d[zr + cr :] for d, zr, cr in zip(draws, z, c, strict=True)])
    return coin, social, learn_u


def _member_metrics(beliefs: np.ndarray, reality: np.ndarray) -> np.ndarray:
    """One step's member metrics per replicate: knowledge, its Gini and diversity."""
    correct = share_correct(beliefs, reality)  # (R, n)
    return np.stack([correct.mean(-1), gini(correct), diversity(beliefs)])


def _metrics(
    seeds,
    code,
    members,
    reality,
    changes,
    innovations,
    bottom_up,
    cocreated,
    n,
    net,
    adopted,
    lags,
) -> pd.DataFrame:
    steps1, R = code.shape[:2]
    nan = np.full((steps1, R), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        cocreation = np.where(changes > 0, cocreated / np.maximum(changes, 1), np.nan)
        lag = np.where(lags[1] > 0, lags[0] / np.maximum(lags[1], 1), np.nan)
        up_share = np.where(innovations > 0, bottom_up / np.maximum(innovations, 1), np.nan)
    columns = {
        "knowledge_code": knowledge_code(code[:, :, None, :], reality),
        "knowledge_individuals": members[0],
        "gini_knowledge": members[1],
        "diversity": members[2],
        "innovations": innovations.astype(float),
        "innovations_bottom_up": bottom_up.astype(float),
        "cocreation": cocreation,
        "innovations_net": net.astype(float),
        "ideas_adopted": adopted.astype(float),
        "adaptation_lag": lag,
        "bottom_up_share": up_share,
        **_fixed_columns(steps1, R, n),
    }
    # The catalogue says which metrics March's model defines: the others are NaN here.
    columns = {m: columns[m] if record(m).march else nan for m in METRIC_NAMES}
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


def _fixed_columns(steps1: int, R: int, n: int) -> dict[str, np.ndarray]:
    """The metrics that March's model fixes: constants, NaN where it has no such thing, and
    the per-step counts of its one kind of message (each member observed from step 1)."""
    nan = np.full((steps1, R), np.nan)
    ones, zeros = np.ones((steps1, R)), np.zeros((steps1, R))
    sent = np.where(np.arange(steps1)[:, None] > 0, float(n), 0.0) * ones
    return {
        "knowledge_stakeholders": nan,
        "reach": np.where(sent > 0, 1.0, 0.0),
        "engagement": ones,
        "active_share": zeros,
        "trust": ones,
        "silo_ei": nan,
        "gini_access": np.where(sent > 0, 0.0, 0.0),
        "stakeholder_satisfaction": nan,
        "gini_value": nan,
        "retention": nan,
        "overload": zeros,
        "filtered": zeros,
        "messages_sent": sent,
        "messages_delivered": sent,
        "sent_broadcast": sent,
        "sent_post": zeros,
        "sent_reply": zeros,
        "sent_vote": zeros,
        "sent_voice": zeros,
        # The code observes every member each step (from step 1): n ideas considered.
        "ideas_considered": sent,
        "voice_answered": nan,
        # No continuous opinions in March's model (is_march needs population.opinion off).
        "opinion_mean": nan,
        "opinion_variance": nan,
        "leader_influence": nan,
        "performance": nan,  # an NK task's score; March's task is additive
        "gini_access_peer": zeros,  # no peer messages: everyone equal at 0
        "adoption": ones,  # platform.rollout=everyone: everyone is on it
        "platform_active": zeros,
        "leader_activity": zeros,
        "authenticity_gap": nan,  # no one voices: no experience to compare a claim with
        "value_created": nan,  # value.economy off
        "value_share_stakeholders": nan,
        "org_value": nan,
        "practice_responsiveness": zeros,  # is_march: responsiveness 0, broadcasts every step
        "practice_broadcast_rate": ones,
        "decisions_by_vote": zeros,
    }
