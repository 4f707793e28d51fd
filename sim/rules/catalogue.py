"""The metric catalogue: one record per metric, the one home of what describes a metric.

Each :class:`Metric` names a metric of :data:`sim.rules.metrics.METRICS` (whose function
measures it) and says how to show it: a ``label`` (words for a sentence), a ``short`` label
(panel titles, table rows, legends), its ``unit``, its ``kind``, its ``range``, its ``rank`` in
headlines and whether March's 1991 model defines it (``march``: the batched kernel of
:mod:`sim.march` fills the others with NaN). Every report's labels and order, every plot's
labels and the app's labels are read from here, so adding a metric is one record (below, or
:func:`register`) plus its function.

Kinds:

``level``       a state averaged over members (engagement, trust, a Gini coefficient);
``share``       a proportion in [0, 1], told in percent;
``count``       events in one step (messages sent, ideas adopted): a rate per step;
``cumulative``  events counted since the start (innovations): compared at the end of the run,
                never averaged over a window.

``range`` is ``(lo, hi)``, ``None`` where the metric is unbounded on that side: intervals of a
bounded metric are computed so that they stay inside it (:func:`sim.util.stats.mean_ci`).

Examples
--------
>>> short_label("knowledge_code"), label("trust")
("Strategy's fit to reality", 'Trust in the organization')
>>> record("reach").kind, record("reach").range, record("innovations").kind
('share', (0.0, 1.0), 'cumulative')
>>> headline(["reach", "trust", "engagement"])
('engagement', 'trust', 'reach')
>>> record("not_a_metric").short  # unknown names get a readable default
'Not a metric'
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "KINDS",
    "LEVELS",
    "HEADLINE_SIZE",
    "Metric",
    "CATALOGUE",
    "register",
    "record",
    "label",
    "short_label",
    "headline",
    "leading",
    "bounds_of",
    "march_metrics",
]

#: The kinds a metric can have (see the module docstring).
KINDS = ("level", "share", "count", "cumulative")
#: How many headline metrics a report opens with (and its headline plot shows).
HEADLINE_SIZE = 6

_UNIT = (0.0, 1.0)
_SIGNED = (-1.0, 1.0)
_COUNT = (0.0, None)


@dataclass(frozen=True)
class Metric:
    """What describes one metric (its function lives in :data:`sim.rules.metrics.METRICS`)."""

    name: str
    label: str
    short: str
    kind: str = "level"
    range: tuple[float | None, float | None] = (None, None)
    unit: str = ""
    rank: int | None = None
    march: bool = False
    #: The level of communication it describes (:data:`LEVELS`), None for activity counts.
    level: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"metric {self.name!r}: kind {self.kind!r} is not one of {KINDS}")
        lo, hi = self.range
        if lo is not None and hi is not None and not lo < hi:
            raise ValueError(f"metric {self.name!r}: range {self.range} is empty")

    @property
    def bounded(self) -> bool:
        """Whether the metric has a bound on either side (its intervals must respect it)."""
        return self.range != (None, None)


def _m(name, label, short, kind="level", range=(None, None), unit="", rank=None, march=False):
    return Metric(name, label, short, kind, range, unit, rank, march)


_PER_STEP = "per step"
_RECORDS = [
    # name, label (a sentence's words), short (panel, table), kind, range, unit, rank, March
    _m(
        "knowledge_code",
        "The strategy's fit to reality (March's code knowledge, -1 to 1)",
        "Strategy's fit to reality",
        "level",
        _SIGNED,
        "score",
        1,
        True,
    ),
    _m(
        "knowledge_individuals",
        "The share of the market members read right",
        "Members' knowledge",
        "share",
        _UNIT,
        "share",
        2,
        True,
    ),
    _m(
        "knowledge_stakeholders",
        "The share of the market stakeholders read right",
        "Stakeholders' knowledge",
        "share",
        _UNIT,
        "share",
        21,
    ),
    _m(
        "reach",
        "The share of people the organization's messages reach each step",
        "Reach",
        "share",
        _UNIT,
        "share",
        15,
        True,
    ),
    _m("engagement", "Engagement", "Engagement", "level", _UNIT, "", 3, True),
    _m(
        "active_share",
        "The share of people who speak up each step",
        "Speaking up",
        "share",
        _UNIT,
        "share",
        16,
        True,
    ),
    _m("trust", "Trust in the organization", "Trust", "level", _UNIT, "", 4, True),
    _m(
        "silo_ei",
        "The silo E-I index of peer messages (-1 all inside units, +1 all across)",
        "Silo E-I (-1 inside, +1 across)",
        "level",
        _SIGNED,
        "",
        7,
    ),
    _m(
        "gini_knowledge",
        "Inequality of knowledge among members (Gini)",
        "Gini of knowledge",
        "level",
        _UNIT,
        "",
        20,
        True,
    ),
    _m(
        "gini_access",
        "Inequality of who gets messages (Gini)",
        "Gini of access",
        "level",
        _UNIT,
        "",
        18,
        True,
    ),
    _m("diversity", "Diversity of views", "Diversity of views", "level", _UNIT, "", 19, True),
    _m(
        "innovations",
        "The number of correct changes to the strategy",
        "Innovations",
        "cumulative",
        _COUNT,
        "changes",
        17,
        True,
    ),
    _m(
        "innovations_bottom_up",
        "The number of correct changes to the strategy that came from below the top",
        "Innovations from below",
        "cumulative",
        _COUNT,
        "changes",
        10,
        True,
    ),
    _m(
        "cocreation",
        "The share of strategy changes supported by two or more independent origins",
        "Co-creation",
        "share",
        _UNIT,
        "share",
        14,
        True,
    ),
    _m(
        "stakeholder_satisfaction",
        "Stakeholder satisfaction",
        "Stakeholder satisfaction",
        "level",
        _UNIT,
        "",
        5,
    ),
    _m(
        "gini_value",
        "Inequality of the value stakeholders receive (Gini)",
        "Gini of value",
        "level",
        _UNIT,
        "",
        11,
    ),
    _m(
        "retention",
        "The share of stakeholders still with their first organization",
        "Retention",
        "share",
        _UNIT,
        "share",
        12,
    ),
    _m(
        "overload",
        "The share of messages lost to overload",
        "Overload",
        "share",
        _UNIT,
        "share",
        9,
        True,
    ),
    _m(
        "filtered",
        "The share of relayed messages that managers stopped",
        "Filtered",
        "share",
        _UNIT,
        "share",
        13,
        True,
    ),
    _m(
        "messages_sent",
        "Messages sent per step",
        "Messages sent per step",
        "count",
        _COUNT,
        _PER_STEP,
        22,
        True,
    ),
    _m(
        "messages_delivered",
        "Messages delivered per step",
        "Messages delivered per step",
        "count",
        _COUNT,
        _PER_STEP,
        23,
        True,
    ),
    _m(
        "innovations_net",
        "The net number of correct changes to the strategy (right minus wrong)",
        "Net innovations",
        "cumulative",
        (None, None),
        "changes",
        24,
        True,
    ),
    _m(
        "sent_broadcast",
        "Broadcasts per step",
        "Broadcasts per step",
        "count",
        _COUNT,
        _PER_STEP,
        march=True,
    ),
    _m("sent_post", "Posts per step", "Posts per step", "count", _COUNT, _PER_STEP, march=True),
    _m(
        "sent_reply", "Replies per step", "Replies per step", "count", _COUNT, _PER_STEP, march=True
    ),
    _m("sent_vote", "Votes per step", "Votes per step", "count", _COUNT, _PER_STEP, march=True),
    _m(
        "sent_voice",
        "Ideas sent up per step",
        "Ideas sent up per step",
        "count",
        _COUNT,
        _PER_STEP,
        march=True,
    ),
    _m(
        "ideas_considered",
        "Ideas the organization considers per step",
        "Ideas considered per step",
        "count",
        _COUNT,
        _PER_STEP,
        march=True,
    ),
    _m(
        "ideas_adopted",
        "Ideas that change the strategy per step",
        "Ideas adopted per step",
        "count",
        _COUNT,
        _PER_STEP,
        march=True,
    ),
    _m(
        "voice_answered",
        "The share of ideas read that the organization answers",
        "Ideas answered",
        "share",
        _UNIT,
        "share",
        8,
    ),
    # Model 3.0 (MODEL_VERSION 4): outcomes that can move both ways.
    _m(
        "adaptation_lag",
        "Steps the strategy takes to be right again after the market changes",
        "Adaptation lag (steps)",
        "level",
        _COUNT,
        "steps",
        6,
        True,
    ),
    _m(
        "bottom_up_share",
        "The share of correct changes to the strategy that came mostly from below the top",
        "Share of innovations from below",
        "share",
        _UNIT,
        "share",
        25,
        True,
    ),
    _m(
        "gini_access_peer",
        "Inequality of who gets colleagues' messages (Gini)",
        "Gini of peer access",
        "level",
        _UNIT,
        "",
        26,
        True,
    ),
    # The essays' dynamics (each NaN or constant while its mechanism is off).
    _m(
        "adoption",
        "The share of members who have adopted the platform",
        "Platform adoption",
        "share",
        _UNIT,
        "share",
        27,
        True,
    ),
    _m(
        "platform_active",
        "The share of members active on the platform this step",
        "Active on the platform",
        "share",
        _UNIT,
        "share",
        28,
        True,
    ),
    _m(
        "leader_activity",
        "The share of leaders active on the platform this step",
        "Leaders' activity",
        "share",
        _UNIT,
        "share",
        29,
        True,
    ),
    _m(
        "authenticity_gap",
        "The gap between the answer rate the organization claims and the one members experience",
        "Authenticity gap",
        "level",
        _SIGNED,
        "",
        30,
    ),
    _m(
        "value_created",
        "Value created with stakeholders per step",
        "Value created per step",
        "count",
        _COUNT,
        _PER_STEP,
        31,
    ),
    _m(
        "value_share_stakeholders",
        "The share of the value created that stakeholders receive",
        "Stakeholders' share of value",
        "share",
        _UNIT,
        "share",
        32,
    ),
    _m(
        "org_value",
        "Value the organization keeps per step",
        "Value kept per step",
        "count",
        _COUNT,
        _PER_STEP,
        33,
    ),
    _m(
        "practice_responsiveness",
        "The responsiveness the organization practises now",
        "Responsiveness practised",
        "level",
        _UNIT,
        "",
        34,
        True,
    ),
    _m(
        "practice_broadcast_rate",
        "The broadcast rate the organization practises now",
        "Broadcast rate practised",
        "level",
        _UNIT,
        "",
        35,
        True,
    ),
    _m(
        "decisions_by_vote",
        "Changes to the strategy decided by members' votes per step",
        "Decisions by vote per step",
        "count",
        _COUNT,
        _PER_STEP,
        36,
        True,
    ),
    _m("opinion_mean", "Members' mean opinion (-1 to 1)", "Mean opinion", "level", _SIGNED),
    _m("opinion_variance", "The variance of members' opinions", "Opinion variance", "level", _UNIT),
    _m(
        "leader_influence",
        "The leadership's share of influence on opinions",
        "Leaders' influence",
        "share",
        _UNIT,
        "share",
    ),
    _m(
        "performance",
        "Members' mean score on the NK task (normalised)",
        "NK performance",
        "level",
        _UNIT,
    ),
]

#: The essays' levels of communication: members, the organization, the economy around it.
LEVELS = ("individual", "organizational", "economic")

# The level each metric describes (message counts are left out: they describe no level).
_LEVEL: dict[str, str] = {
    **dict.fromkeys(
        (
            "engagement",
            "trust",
            "knowledge_individuals",
            "active_share",
            "gini_knowledge",
            "diversity",
            "adoption",
            "platform_active",
            "authenticity_gap",
        ),
        "individual",
    ),
    **dict.fromkeys(
        (
            "knowledge_code",
            "innovations",
            "innovations_net",
            "innovations_bottom_up",
            "cocreation",
            "voice_answered",
            "ideas_adopted",
            "adaptation_lag",
            "bottom_up_share",
            "leader_activity",
            "practice_responsiveness",
            "practice_broadcast_rate",
            "decisions_by_vote",
        ),
        "organizational",
    ),
    **dict.fromkeys(
        (
            "stakeholder_satisfaction",
            "knowledge_stakeholders",
            "gini_value",
            "retention",
            "value_created",
            "value_share_stakeholders",
            "org_value",
        ),
        "economic",
    ),
}
_RECORDS = [dataclasses.replace(r, level=_LEVEL.get(r.name)) for r in _RECORDS]

#: name -> record, in the column order of the metrics table.
CATALOGUE: dict[str, Metric] = {r.name: r for r in _RECORDS}


def register(metric: Metric) -> Metric:
    """Add (or replace) a record: with its function in ``METRICS``, all a new metric needs."""
    CATALOGUE[metric.name] = metric
    return metric


def record(name: str) -> Metric:
    """The record of ``name``; a readable default (a level, unbounded) for an unknown name."""
    found = CATALOGUE.get(name)
    if found is not None:
        return found
    words = name.replace("_", " ").capitalize()
    return Metric(name, words, words)


def label(name: str) -> str:
    """Words for ``name`` in a sentence."""
    return record(name).label


def short_label(name: str) -> str:
    """``name`` as a panel title, table row or legend entry."""
    return record(name).short


def headline(names: Iterable[str] | None = None) -> tuple[str, ...]:
    """``names`` (default: every catalogued metric) in headline order: ranked metrics by rank,
    then the others in their given order."""
    names = list(dict.fromkeys(CATALOGUE if names is None else names))
    ranked = sorted(
        (n for n in names if record(n).rank is not None), key=lambda n: record(n).rank or 0
    )
    return (*ranked, *(n for n in names if record(n).rank is None))


def leading(count: int = HEADLINE_SIZE) -> tuple[str, ...]:
    """The first ``count`` ranked metrics: what a report opens with.

    >>> leading(3)
    ('knowledge_code', 'knowledge_individuals', 'engagement')
    """
    ranked = [n for n in headline() if record(n).rank is not None]
    return tuple(ranked[:count])


def bounds_of(names: Iterable[str]) -> tuple[list[float], list[float]]:
    """Lower and upper bounds of each name's range, NaN where open (for array arithmetic).

    >>> bounds_of(["reach", "innovations_net", "messages_sent"])
    ([0.0, nan, 0.0], [1.0, nan, nan])
    """
    nan = float("nan")
    ranges = [record(n).range for n in names]
    return (
        [nan if lo is None else lo for lo, _ in ranges],
        [nan if hi is None else hi for _, hi in ranges],
    )


def march_metrics() -> tuple[str, ...]:
    """The metrics March's model defines (the batched kernel gives NaN for the others)."""
    return tuple(n for n, r in CATALOGUE.items() if r.march)
