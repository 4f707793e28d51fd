"""Metrics: one home for every measured quantity, under the names other tools read.

:data:`METRICS` maps each name of DESIGN section 5 to a function of a :class:`Snapshot` of
the model's state (:class:`sim.rules.state.State`, ``model.state``), in column order:
:func:`measure` takes the state, not the model. The array helpers below accept leading batch
axes, so the batched March 1991 kernel measures with the very same formulas.

Undefined values are NaN rather than a made-up number: ``silo_ei`` in a step without peer
messages, ``cocreation`` before the code has changed, ``voice_answered`` in a step in which the
organization read no idea, and the stakeholder metrics in a world without stakeholders.

``innovations`` counts changes of the code to the correct value; ``innovations_net`` subtracts
the changes to a wrong value, so re-corrections do not inflate it. ``sent_<kind>`` count what
was sent this step by kind (``messages_sent`` is their sum); ``ideas_considered`` the ideas the
organization took into account this step (read through its attention, or observed under
March's idealisation), ``ideas_adopted`` those that supported a change of the code, and
``voice_answered`` the share of the ideas read that got an answer. ``performance`` is the mean
score of members on an NK task (:mod:`sim.rules.landscape`, ``environment.landscape=nk``), the
normalised NK score; on March's additive reality it is NaN, since the score there is the share
of dimensions right, which ``knowledge_individuals`` already reports.

Model 3.0's metrics can move both ways (DESIGN section 7.2). ``adaptation_lag`` is the mean
number of steps, over the spells ended so far, from a flip of reality that made the code wrong
on a dimension to the step the code was right there again (0: within the step of the flip;
NaN while no spell has ended): :func:`adaptation_lags` is its reference arithmetic.
``bottom_up_share`` is the share of the improvements so far (``innovations``) whose supporting
weight came mostly from outside the leadership (``innovations_bottom_up``); the leadership
explores first hand too, so it is not 1 by definition (NaN before the first improvement).
``cocreation`` is the share of code changes supported by two or more independent origins:
different units, the leadership, or the stakeholders (one origin each). ``gini_access_peer``
is the Gini of peer messages (posts, colleagues' replies) read this step, apart from the
organization's broadcasts and answers.

The essays' mechanisms add ``adoption`` (the share of members on the peer platform,
:mod:`sim.rules.platform`; 1 under ``platform.rollout=everyone``), ``platform_active`` (the
share of members who posted, replied or voted there this step), ``leader_activity`` (the share
of leaders who did), ``authenticity_gap`` (the responsiveness claimed in broadcasts minus the
answer rate experienced, averaged over agents who read a claim and voiced;
:mod:`sim.rules.authenticity`), and with ``value.economy`` on (NaN otherwise,
:mod:`sim.rules.economy`) ``value_created`` (this step), ``value_share_stakeholders`` (the
share of it stakeholders received) and ``org_value`` (what the organizations kept); then
``gini_value`` is the Gini of the value stakeholders have received so far.
``practice_responsiveness`` and ``practice_broadcast_rate`` are what the organization does now
(they move under ``org.adapt=on`` and by interventions); ``decisions_by_vote`` counts the code
changes ratified by members' votes this step (``regime.decision=vote``; 0 otherwise).

The continuous-opinion mode (``population.opinion``) adds ``opinion_mean`` and
``opinion_variance`` (over members) and ``leader_influence`` (the leadership's share of the
influence of the time-averaged trust weights, :func:`sim.rules.opinion.column_influence`); they
are NaN while the mode is off, as the stakeholder metrics are without stakeholders.

Examples
--------
>>> import numpy as np
>>> float(knowledge_code(np.array([[1, 0, -1, 1]]), np.array([1, 1, 1, 1])))
0.25
>>> round(float(diversity(np.array([[1, 1], [1, -1], [0, -1]]))), 4)
0.6667
>>> ei_index(internal=3, external=1)
-0.5
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from sim.rules.messages import KINDS
from sim.rules.state import State, Tally
from sim.util.constants import BLOCK_ROWS, ones32
from sim.util.stats import gini

__all__ = [
    "METRIC_NAMES",
    "METRICS",
    "knowledge_code",
    "share_correct",
    "diversity",
    "ei_index",
    "measure",
    "measure_org",
    "measure_worlds",
    "WORLD_METRICS",
    "ORG_METRIC_NAMES",
    "Snapshot",
    "adaptation_lags",
]


def knowledge_code(code: np.ndarray, reality: np.ndarray) -> np.ndarray:
    """March's score ``c . r / m``, averaged over organizations (axis -2)."""
    product = code * reality[..., None, :]
    if product.ndim == 2:
        # One model, measured every step: the mean of means as sums, with the same result.
        return np.add.reduce(np.add.reduce(product, -1) / product.shape[-1]) / product.shape[0]
    return product.mean(-1).mean(-1)


def share_correct(beliefs: np.ndarray, reality: np.ndarray) -> np.ndarray:
    """Per agent, the share of dimensions it has right."""
    m = beliefs.shape[-1]
    if beliefs.ndim != 2 or beliefs.shape[0] <= BLOCK_ROWS:
        right = (beliefs == reality[..., None, :]).astype(np.float32)
        # A float32 matrix product sums exactly here (counts far below 2**24) and runs in BLAS.
        return np.divide(np.matmul(right, ones32(m)), m, dtype=np.float64)
    count = np.empty(beliefs.shape[0], dtype=np.float32)
    for start in range(0, beliefs.shape[0], BLOCK_ROWS):  # in cache, block by block
        block = slice(start, start + BLOCK_ROWS)
        count[block] = (beliefs[block] == reality).astype(np.float32) @ ones32(m)
    return np.divide(count, m, dtype=np.float64)


def diversity(beliefs: np.ndarray) -> np.ndarray:
    """Mean pairwise disagreement: over all pairs and dimensions, the share that differ.

    Counted per dimension from the numbers holding -1, 0 and +1, so it costs O(n m), not O(n^2).
    """
    n = beliefs.shape[-2]
    if n < 2:
        return np.zeros(beliefs.shape[:-2])
    # With values in {-1, 0, +1}: sum(b) = n(+1) - n(-1) and sum(|b|) = n(+1) + n(-1). A
    # float32 product sums exactly (counts far below 2**24) and runs in BLAS, faster than an
    # integer reduction over axis -2.
    total, nonzero = _column_counts(beliefs)
    zero = n - nonzero
    # Pairs that agree, over all dimensions: the sum of c (c - 1) / 2 over the three counts c
    # of every dimension. The counts add up to n, and n(+1)^2 + n(-1)^2 = (nonzero^2 +
    # total^2) / 2; every term is an exact integer (squares summed in float64).
    squares = (_sum_of_squares(nonzero) + _sum_of_squares(total)) / 2 + _sum_of_squares(zero)
    m = beliefs.shape[-1]
    agreeing_pairs = (squares - m * n) / 2
    return 1 - agreeing_pairs / (m * n * (n - 1) / 2)


def _column_counts(beliefs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per column (over axis -2), the sum and the sum of absolute values, as float32 (exact:
    counts far below 2**24); one model's rows block by block, in cache."""
    if beliefs.ndim != 2 or beliefs.shape[0] <= BLOCK_ROWS:
        b = beliefs.astype(np.float32)
        ones = ones32(beliefs.shape[-2])
        return np.matmul(ones, b), np.matmul(ones, np.abs(b))
    total = np.zeros(beliefs.shape[-1], dtype=np.float32)
    nonzero = np.zeros(beliefs.shape[-1], dtype=np.float32)
    for start in range(0, beliefs.shape[0], BLOCK_ROWS):
        b = beliefs[start : start + BLOCK_ROWS].astype(np.float32)
        ones = ones32(b.shape[0])
        total += ones @ b
        nonzero += ones @ np.abs(b, out=b)
    return total, nonzero


def _sum_of_squares(x: np.ndarray) -> np.ndarray:
    """Sum of squares over the last axis, in float64 (exact for integer counts: sums < 2**53)."""
    return np.vecdot(x, x, dtype=np.float64)


def ei_index(internal, external):
    """Krackhardt's E-I index: (external - internal) / total, NaN when there is nothing;
    element by element for arrays of counts (one per world)."""
    return _ratio(external - internal, internal + external)


def adaptation_lags(codes: np.ndarray, realities: np.ndarray) -> np.ndarray:
    """The lags of every adaptation spell ended in a history, one organization's code.

    ``codes[t]`` and ``realities[t]`` are the code and reality at the end of step ``t``
    (``t = 0`` the start). A spell starts at step ``t`` on a dimension where reality flipped
    (``realities[t] != realities[t - 1]``) while the code was right there
    (``codes[t - 1] == realities[t - 1]``), and ends at the first step ``s >= t`` where the
    code is right again; its lag is ``s - t``. A reference in plain loops: the model and the
    March kernel keep the same spells incrementally.

    >>> r = np.array([[1, 1], [-1, 1], [-1, 1], [-1, 1]])
    >>> c = np.array([[1, 0], [1, 0], [1, 0], [-1, 0]])
    >>> adaptation_lags(c, r).tolist()
    [2]
    """
    lags = []
    steps, m = realities.shape
    for d in range(m):
        since = -1
        for t in range(1, steps):
            if realities[t, d] != realities[t - 1, d] and codes[t - 1, d] == realities[t - 1, d]:
                since = t
            if since >= 0 and codes[t, d] == realities[t, d]:
                lags.append(t - since)
                since = -1
    return np.array(lags, dtype=np.int64)


# The helpers below reduce over the last axis, so one world (the model) and several (``sim.
# batch``: a leading axis of worlds) are measured by the same formulas, with the same floats:
# each row is summed as the one vector would be.


def _mean(x: np.ndarray):
    """The mean over the last axis (NaN for none)."""
    n = x.shape[-1]
    if not n:
        return np.full(x.shape[:-1], np.nan)[()]
    if x.dtype == bool:  # counted by add.reduce: count_nonzero's wrapper costs more
        return np.add.reduce(x, axis=-1, dtype=np.int64) / n
    return np.add.reduce(x, axis=-1) / n  # add.reduce skips sum()'s wrapper


def _members_opinion(state: State) -> np.ndarray | None:
    x = state.opinions.opinion
    return None if x is None else x[: state.n_individuals]


def _opinion_mean(state: State) -> float:
    x = _members_opinion(state)
    return float("nan") if x is None else _mean(x)


def _opinion_variance(state: State) -> float:
    x = _members_opinion(state)
    return float("nan") if x is None or not x.size else float(np.var(x))


def _leader_activity(state: State, tally: Tally):
    """The share of leaders active on the platform this step (posting, replying, voting)."""
    leaders = state.leadership.leaders
    return _mean(tally.on_platform[..., leaders]) if leaders.size else float("nan")


def _share(part, whole, empty: float = 0.0):
    """``part / whole``, ``empty`` where ``whole`` is 0 (element by element for arrays)."""
    if np.ndim(whole) == 0:
        return part / whole if whole else empty
    some = whole != 0
    return np.where(some, part / np.where(some, whole, 1), empty)


def _ratio(part, whole):
    """``part / whole``, NaN where ``whole`` is 0."""
    return _share(part, whole, float("nan"))


def _practice(value):
    """A practice of the regime in force (a resolved configuration sets every one; NaN for
    one left unset); one per world where the worlds differ (:mod:`sim.batch`)."""
    return float("nan") if value is None else np.asarray(value, dtype=float)


class Snapshot:
    """The state at measurement and the step's tally, with the quantities several metrics
    share computed once."""

    def __init__(self, state: State, tally: Tally | None = None) -> None:
        n = state.n_individuals
        self.state = state
        self.tally = state.tally if tally is None else tally
        correct = share_correct(state.beliefs, state.reality)  # one pass over every node
        self.correct_individuals = correct[..., :n]
        self.correct_stakeholders = correct[..., n:]
        # Members' scores on an NK task (None on March's additive reality, where the score is
        # the share right: knowledge_individuals).
        self.scores = state.task.performance(state.beliefs[..., :n, :])

    @property
    def model(self) -> State:
        """The state under the name metric functions used before it had its own type (it
        carries the model's arrays under the same names: ``s.model.engagement``)."""
        return self.state


def _sent_of_kind(i: int) -> Callable[[Snapshot], Any]:
    """``sent_<kind>``: what was sent this step of kind ``KINDS[i]``."""
    return lambda s: s.tally.sent_by_kind[..., i]


#: name -> function(snapshot) -> a number (one per world for several), in the column order of
#: the metrics table.
METRICS: dict[str, Callable[[Snapshot], Any]] = {
    "knowledge_code": lambda s: knowledge_code(s.state.code, s.state.reality),
    "knowledge_individuals": lambda s: _mean(s.correct_individuals),
    "knowledge_stakeholders": lambda s: _mean(s.correct_stakeholders),
    "reach": lambda s: _mean(s.tally.reached),
    "engagement": lambda s: _mean(s.state.engagement),
    "active_share": lambda s: _mean(s.tally.active),
    "trust": lambda s: _mean(s.state.trust),
    "silo_ei": lambda s: ei_index(s.tally.peer_inside, s.tally.peer_across),
    "gini_knowledge": lambda s: gini(s.correct_individuals),
    "gini_access": lambda s: gini(s.tally.received),
    "diversity": lambda s: diversity(s.state.beliefs[..., : s.state.n_individuals, :]),
    "innovations": lambda s: np.add.reduce(s.state.innovations, axis=-1),
    "innovations_bottom_up": lambda s: np.add.reduce(s.state.innovations_bottom_up, axis=-1),
    "cocreation": lambda s: _ratio(
        np.add.reduce(s.state.cocreated, axis=-1), np.add.reduce(s.state.code_changes, axis=-1)
    ),
    "stakeholder_satisfaction": lambda s: _mean(s.state.satisfaction),
    "gini_value": lambda s: gini(s.state.value) if s.state.value.size else float("nan"),
    "retention": lambda s: _mean(s.state.stakeholder_org == s.state.initial_stakeholder_org),
    "overload": lambda s: _share(s.tally.dropped, s.tally.dropped + s.tally.delivered),
    "filtered": lambda s: _share(s.tally.filtered, s.tally.relayed),
    "messages_sent": lambda s: s.tally.sent,
    "messages_delivered": lambda s: s.tally.delivered,
    "innovations_net": lambda s: np.add.reduce(s.state.innovations_net, axis=-1),
    **{f"sent_{kind}": _sent_of_kind(i) for i, kind in enumerate(KINDS)},
    "ideas_considered": lambda s: s.tally.ideas_considered,
    "ideas_adopted": lambda s: s.tally.ideas_adopted,
    "voice_answered": lambda s: _ratio(s.tally.answered, s.tally.ideas_read),
    "opinion_mean": lambda s: _opinion_mean(s.state),
    "opinion_variance": lambda s: _opinion_variance(s.state),
    "leader_influence": lambda s: s.state.opinions.leader_influence(),
    "performance": lambda s: float("nan") if s.scores is None else _mean(s.scores),
    "adaptation_lag": lambda s: _ratio(s.state.lag_sum, s.state.lag_count),
    "bottom_up_share": lambda s: _ratio(
        np.add.reduce(s.state.innovations_bottom_up, axis=-1),
        np.add.reduce(s.state.innovations, axis=-1),
    ),
    "gini_access_peer": lambda s: gini(s.tally.peer_received),
    "adoption": lambda s: s.state.platform.adoption(),
    "platform_active": lambda s: _mean(s.tally.on_platform[..., : s.state.n_individuals]),
    "leader_activity": lambda s: _leader_activity(s.state, s.tally),
    "authenticity_gap": lambda s: s.state.authenticity.mean_gap(
        s.state.ideas_heard, s.state.ideas_ignored
    ),
    "value_created": lambda s: s.state.economy.metric("value_created"),
    "value_share_stakeholders": lambda s: s.state.economy.metric("value_share_stakeholders"),
    "org_value": lambda s: s.state.economy.metric("org_value"),
    "practice_responsiveness": lambda s: _practice(s.state.cfg.regime.responsiveness),
    "practice_broadcast_rate": lambda s: _practice(s.state.cfg.regime.broadcast_rate),
    "decisions_by_vote": lambda s: s.tally.decisions_by_vote,
}

#: The metric names of DESIGN section 5, in column order.
METRIC_NAMES: tuple[str, ...] = tuple(METRICS)
#: The metrics :func:`measure_worlds` measures per world: every one defined here, each reduced
#: over the last axis and checked against the model world by world (``tests/test_batch.py``).
#: A metric added to ``METRICS`` later is not among them, so its runs go through the model.
WORLD_METRICS: frozenset[str] = frozenset(METRICS)


def _org_view(state: State, org: int) -> tuple[np.ndarray, np.ndarray]:
    """Masks of an organization's members (over individuals) and stakeholders."""
    n = state.n_individuals
    return state.node_org[:n] == org, state.node_org[n:] == org


#: Per-organization metrics (several organizations), name -> function(state, org, members,
#: stakeholders).
ORG_METRICS: dict[str, Callable] = {
    "knowledge_code": lambda st, o, mem, sh: float(np.mean(st.code[o] * st.reality)),
    "knowledge_individuals": lambda st, o, mem, sh: _mean(
        share_correct(st.beliefs[: st.n_individuals][mem], st.reality)
    ),
    "engagement": lambda st, o, mem, sh: _mean(st.engagement[: st.n_individuals][mem]),
    "trust": lambda st, o, mem, sh: _mean(st.trust[: st.n_individuals][mem]),
    "stakeholders": lambda st, o, mem, sh: float(sh.sum()),
    "stakeholder_satisfaction": lambda st, o, mem, sh: _mean(st.satisfaction[sh]),
    "gini_value": lambda st, o, mem, sh: float(gini(st.value[sh])) if sh.any() else float("nan"),
    "retention": lambda st, o, mem, sh: _mean(
        st.stakeholder_org[st.initial_stakeholder_org == o] == o
    ),
    "innovations": lambda st, o, mem, sh: float(st.innovations[o]),
    "innovations_bottom_up": lambda st, o, mem, sh: float(st.innovations_bottom_up[o]),
    "innovations_net": lambda st, o, mem, sh: float(st.innovations_net[o]),
    "org_value": lambda st, o, mem, sh: (
        float(st.economy.kept[o]) if st.economy.on else float("nan")
    ),
    # Each organization's own practices (they differ once several adapt: sim.rules.adapt).
    "practice_responsiveness": lambda m, o, mem, sh: float(
        m.adaptation.rates(m.cfg, "responsiveness")[o]
    ),
    "practice_broadcast_rate": lambda m, o, mem, sh: float(
        m.adaptation.rates(m.cfg, "broadcast_rate")[o]
    ),
}

ORG_METRIC_NAMES: tuple[str, ...] = tuple(ORG_METRICS)


def measure_org(state: State, org: int) -> dict[str, float]:
    """The per-organization metrics of ``org`` in ``state`` (``model.state``).

    ``retention`` is the share of the stakeholders it started with that are still tied to it;
    ``stakeholders`` how many are tied to it now.
    """
    members, stakeholders = _org_view(state, org)
    return {name: float(fn(state, org, members, stakeholders)) for name, fn in ORG_METRICS.items()}


def measure(state: State, tally: Tally | None = None) -> dict[str, float]:
    """Every metric of ``state`` (``model.state``) and a step's ``tally`` (the state's own,
    ``state.tally``, by default)."""
    snapshot = Snapshot(state, tally)
    return {name: float(fn(snapshot)) for name, fn in METRICS.items()}


def measure_worlds(state, tally, worlds: int) -> np.ndarray:
    """Every metric of ``worlds`` worlds at once: ``(len(METRIC_NAMES), worlds)``, the
    metrics in column order. ``state`` and ``tally`` hold the arrays of :class:`State` and
    :class:`Tally` with a leading axis of worlds (each count one per world), as
    :mod:`sim.batch` keeps them. The same formulas as :func:`measure`, reduced over the last
    axis, give each world the floats its model would.
    """
    snapshot = Snapshot(state, tally)
    out = np.empty((len(METRICS), worlds))
    for row, fn in zip(out, METRICS.values(), strict=True):
        row[...] = fn(snapshot)  # a number the same in every world fills the row
    return out
