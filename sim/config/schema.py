"""The configuration schema: typed dataclasses registered in Hydra's ConfigStore.

Every key a run reads is declared here with its type, its default and, in the field's
metadata, the values it allows (:class:`Allowed`: a range or a list of choices, set with
:func:`probability`, :func:`unit`, :func:`at_least`, :func:`between`, :func:`one_of`), so a
misspelt key or a value of the wrong type fails while composing and a value out of range when
:func:`sim.config.validate` reads the metadata. The YAML option files in ``conf/`` only set
values; the schema, its defaults and its ranges live here. This module imports nothing else of
``sim``: configuration is the bottom layer.

Examples
--------
>>> AgoraConfig().hierarchy.routing
'direct'
>>> from dataclasses import fields
>>> relay = next(f for f in fields(HierarchyConfig) if f.name == "relay").metadata[ALLOWED_META]
>>> relay.what, relay.ok(0.9), relay.ok(1.5)
('a probability', True, False)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING

__all__ = [
    "AgoraConfig",
    "ConfigError",
    "EnvironmentConfig",
    "PopulationConfig",
    "HierarchyConfig",
    "OrgConfig",
    "StakeholderConfig",
    "NetworkConfig",
    "OpennessConfig",
    "RegimeConfig",
    "ScenarioConfig",
    "InterventionConfig",
    "LimitsConfig",
    "MechanismsConfig",
    "register_configs",
    "ROUTINGS",
    "PATTERNS",
    "UPWARD",
    "LANDSCAPES",
    "PEER_RULES",
    "AUDIENCES",
    "OPINION_MODES",
    "PlatformConfig",
    "LeadershipConfig",
    "ValueConfig",
    "ROLLOUTS",
    "DECISIONS",
    "OBJECTIVES",
    "ADAPT",
    "ALLOWED_META",
    "Allowed",
    "probability",
    "unit",
    "share",
    "at_least",
    "between",
    "one_of",
]


ROUTINGS = ("direct", "chain", "network")
PATTERNS = ("random", "multiscale")
UPWARD = ("chain", "voice", "observe")
LANDSCAPES = ("additive", "nk")
PEER_RULES = ("majority", "imitate", "learn_superior")
AUDIENCES = ("one", "all")
OPINION_MODES = ("off", "degroot", "fj")
ROLLOUTS = ("everyone", "champions", "top_down")
DECISIONS = ("leaders", "vote")
OBJECTIVES = ("engagement", "value")
ADAPT = ("off", "on")


class ConfigError(ValueError):
    """A configuration value is missing, of the wrong kind or out of its allowed range."""


# Shown as ``sim.config.ConfigError`` in tracebacks: that is where users import it from.
ConfigError.__module__ = "sim.config"


# --------------------------------------------------------------------------- allowed values

#: The key of a field's metadata that holds its :class:`Allowed` values.
ALLOWED_META: Final = "allowed"


@dataclass(frozen=True)
class Allowed:
    """The values a field may take beyond its type: a range, or a list of choices.

    A number from ``low`` to ``high`` (either bound may be absent; ``low_open`` excludes
    ``low``; ``even`` asks for an even number), or one of ``choices`` when they are given. Null
    passes: only a field typed ``X | None`` can hold it. ``what`` names the kind of number
    ("a probability"), ``note`` is added to the message in brackets and ``text``, when given,
    replaces the message :func:`sim.config.checks.allowed_text` derives from the rest and the
    field's type.

    Examples
    --------
    >>> Allowed(low=0, high=1).ok(0.5), Allowed(low=0, low_open=True).ok(0)
    (True, False)
    >>> Allowed(choices=("a", "b")).ok("c"), Allowed(low=0, even=True).ok(3)
    (False, False)
    """

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    even: bool = False
    choices: tuple[str, ...] = ()
    what: str = ""
    note: str = ""
    text: str = ""

    def ok(self, value: Any) -> bool:
        """Whether ``value`` (already of the field's type) is allowed."""
        if value is None:
            return True
        if self.choices:
            return value in self.choices
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        if self.high is not None and value > self.high:
            return False
        return not self.even or value % 2 == 0


def _field(default: Any, allowed: Allowed) -> Any:
    """A dataclass field with ``default`` whose allowed values are ``allowed``."""
    return field(default=default, metadata={ALLOWED_META: allowed})


def probability(default: float | None) -> Any:
    """A field holding a probability, in [0, 1]."""
    return _field(default, Allowed(low=0, high=1, what="a probability"))


def unit(default: float) -> Any:
    """A field holding a number in [0, 1] that is not a probability (a level, a share)."""
    return _field(default, Allowed(low=0, high=1))


def share(default: float) -> Any:
    """A field holding a share in (0, 1]: some, but not none."""
    return _field(default, Allowed(low=0, high=1, low_open=True, what="a share"))


def at_least(default: float | None, low: float, *, even: bool = False) -> Any:
    """A field holding a number (or an integer, by its type) of at least ``low``."""
    return _field(default, Allowed(low=low, even=even))


def between(default: float, low: float, high: float) -> Any:
    """A field holding a number (or an integer, by its type) from ``low`` to ``high``."""
    return _field(default, Allowed(low=low, high=high))


def one_of(default: str | None, choices: tuple[str, ...], note: str = "") -> Any:
    """A field holding one of ``choices``."""
    return _field(default, Allowed(choices=choices, note=note))


@dataclass
class EnvironmentConfig:
    """Reality the organization must understand.

    ``dims`` is March's *m*; ``turbulence`` (March's p4) is the per-step chance that each
    dimension of reality flips.

    ``landscape`` is the task members' solutions (their belief vectors) are scored on:
    ``additive`` (March's reality, each dimension alone) or ``nk`` (Kauffman's NK landscape as
    in Lazer & Friedman 2007: ``dims`` interacting bits, each locus depending on ``k`` others;
    ``k`` is read only under ``nk``).
    """

    dims: int = at_least(30, 1)
    turbulence: float = probability(0.02)
    landscape: str = one_of("additive", LANDSCAPES)
    k: int = at_least(5, 0)


@dataclass
class PopulationConfig:
    """Individuals: how they learn, talk, read, speak up, and how they judge their organization.

    ``turnover`` is March's p3 (chance per step that a member is replaced by a newcomer with
    random beliefs); ``exploration`` the chance per step to learn the truth of one dimension
    first hand; ``attention`` how many messages one can read per step; ``talk`` the chance per
    step to post to a neighbour at full engagement; ``reply`` the chance to answer a colleague's
    post at full engagement; ``voice`` the chance per step to send an idea upward at full
    engagement; ``post_dims`` how many dimensions a post or idea speaks about;
    ``peer_influence`` the per-dimension chance to follow the majority of what peers said.
    ``peer_rule`` is what a member does with its colleagues' posts: ``majority`` (follow the
    majority per dimension) or ``imitate`` (Lazer & Friedman 2007: posts carry whole solutions,
    a member copies the best-scoring one it read if it beats its own, with chance
    ``peer_influence``, and otherwise keeps what its local search found; ``exploration`` is
    then the chance per step to try flipping one dimension) or ``learn_superior`` (Fang, Lee &
    Schilling 2010: posts carry whole solutions; on each dimension a member takes, with chance
    ``peer_influence``, the value held by the majority of the contacts it read who score higher
    than itself). ``audience`` is whom a post goes to: ``one`` random neighbour or ``all``
    neighbours.

    Engagement starts at, and drifts back to, ``engagement`` at rate ``engagement_drift``;
    being heard (a reply, an endorsement, an answer, one's idea adopted) raises it by
    ``engagement_gain`` of the room left; an idea that ends unanswered lowers it by
    ``engagement_loss``. Trust starts at ``trust`` and moves at ``trust_rate`` per step towards
    the person's assessment of the organization's ability, benevolence and integrity (Mayer,
    Davis & Schoorman 1995); ``memory`` is how much of the record of one's ideas (answered or
    not) carries over from one step to the next.

    A share ``fast_share`` of members are fast learners whose socialization rate is
    ``fast_socialization`` instead of ``regime.socialization`` (March 1991, Figure 2).

    ``opinion`` switches on a continuous opinion in [-1, 1] per agent, averaged each step over
    what it read with trust weights: ``off``, ``degroot`` (DeGroot 1974) or ``fj`` (Friedkin &
    Johnsen 1999), where each agent keeps weight ``stubbornness`` (FJ's ``1 - a_i``) on its
    initial opinion; ``stubbornness`` is read only under ``fj``.

    Model 3.0's symmetric accounting (DESIGN section 7.1): a post read that draws neither a
    reply nor a vote, or that is dropped unread, lowers its writer's engagement by
    ``engagement_loss_post``; a broadcast read that is right on most of what one has seen first
    hand raises it by ``engagement_clarity`` of the room left; more arriving than one can read
    lowers it by ``engagement_fatigue``. Each node has ``time`` units per step: reading a
    message costs ``time_read``, a post ``time_post``, a reply ``time_reply``, a vote
    ``time_vote`` and an idea ``time_voice``; what is left after speaking caps what one reads,
    and what is left after reading caps replies and votes (``mechanisms.time_costs``).
    """

    turnover: float = probability(0.01)
    exploration: float = probability(0.02)
    attention: int = at_least(5, 0)
    talk: float = probability(0.5)
    reply: float = probability(0.6)
    voice: float = probability(0.3)
    post_dims: int = at_least(3, 1)
    peer_influence: float = probability(0.2)
    engagement: float = unit(0.5)
    trust: float = unit(0.6)
    engagement_gain: float = unit(0.1)
    engagement_loss: float = unit(0.05)
    engagement_drift: float = unit(0.02)
    trust_rate: float = unit(0.05)
    memory: float = unit(0.95)
    fast_share: float = unit(0.0)
    fast_socialization: float = probability(0.9)
    peer_rule: str = one_of("majority", PEER_RULES)
    audience: str = one_of("one", AUDIENCES)
    # YAML reads a bare off as false, which a string field turns into 'False': say so.
    opinion: str = one_of("off", OPINION_MODES, note="in a YAML file write 'off' in quotes")
    stubbornness: float = unit(0.2)
    engagement_loss_post: float = unit(0.02)
    engagement_clarity: float = unit(0.01)
    engagement_fatigue: float = unit(0.05)
    time: float = at_least(6.0, 0)
    time_read: float = at_least(1.0, 0)
    time_post: float = at_least(1.0, 0)
    time_reply: float = at_least(1.0, 0)
    time_vote: float = at_least(0.25, 0)
    time_voice: float = at_least(2.0, 0)


@dataclass
class HierarchyConfig:
    """The reporting tree and how messages travel along it.

    Each organization is a tree of ``depth`` levels (0 = top); every manager has ``span``
    reports (when ``span`` is null it is derived as the smallest span whose tree holds
    ``org.size``). ``routing`` is ``direct`` (one step to the receiver) or ``chain`` (one hop
    per step along ``reports_to``; each relaying manager passes a message on with probability
    ``relay`` and loses each dimension with probability ``distortion``) or ``network`` (ideas
    sent up without a direct channel take shortest paths over every internal tie, one hop per
    step, through each holder's attention: :mod:`sim.rules.netroute`; broadcasts as direct).
    """

    depth: int = between(4, 1, 12)
    span: int | None = at_least(None, 1)
    routing: str = one_of("direct", ROUTINGS)
    relay: float = probability(0.9)
    distortion: float = probability(0.2)


@dataclass
class OrgConfig:
    """Organizations: how many, how large, how much they can listen to.

    ``size`` individuals per organization (null: a complete tree of ``hierarchy.depth`` and
    ``hierarchy.span``); ``attention`` is how many voice messages the organization reads per
    step; ``leader_levels`` how many top levels count as leadership. ``chart`` is the path of a
    real org chart (CSV: ``id, manager_id, unit``, optional ``level``, ``kind``) that replaces the
    generated tree, and ``network`` an observed communication network (CSV edge list or
    GraphML over the chart's ids) that replaces the generated peer and cross-unit ties.

    ``answer_cost`` is what answering one idea takes of the next step's ``attention`` (in ideas
    read), so answering more means considering fewer new ideas (``mechanisms.time_costs``);
    ``exploration`` the chance per step that the leadership learns the truth of one dimension
    first hand and considers it as its own idea (``mechanisms.leader_exploration``).
    """

    count: int = between(1, 1, 100)
    size: int | None = at_least(200, 1)
    attention: int = at_least(50, 0)
    leader_levels: int = at_least(1, 1)
    chart: str | None = None
    network: str | None = None
    answer_cost: float = at_least(0.5, 0)
    exploration: float = probability(0.5)
    # The responsiveness the organization claims in its broadcasts (null: the enacted one,
    # regime.responsiveness, so claim and practice agree; sim.rules.authenticity).
    espoused: float | None = probability(None)
    # Adaptive practices (sim.rules.adapt): off | on, steps between reviews, what the
    # organization tries to raise (engagement | value), the size and noise of each move.
    adapt: str = one_of("off", ADAPT)
    review: int = at_least(20, 1)
    objective: str = one_of("engagement", OBJECTIVES)
    adapt_step: float = unit(0.1)
    adapt_noise: float = at_least(0.05, 0)


@dataclass
class StakeholderConfig:
    """Customers, suppliers, community members outside the organization.

    ``count`` per organization; ``needs`` the share of dimensions each one cares about (it
    observes reality there); ``threshold`` the satisfaction below which one is unserved;
    ``switching`` the chance per step that an unserved stakeholder moves to another
    organization (only with ``org.count`` > 1).
    """

    count: int = at_least(50, 0)
    needs: float = share(0.2)
    threshold: float = unit(0.5)
    switching: float = probability(0.05)


@dataclass
class NetworkConfig:
    """How the typed communication graph is generated.

    ``peer_degree`` and ``rewire`` shape the small world inside each unit;
    ``cross_unit_degree`` is the mean number of cross-unit ties per individual at
    ``openness.internal`` = 1; ``external_degree`` the ties per stakeholder at
    ``openness.external`` = 1; ``inter_org_degree`` the mean ties per individual to other
    organizations at ``openness.inter_org`` = 1. ``pattern`` places cross-unit ties at random
    or multiscale (Dodds, Watts & Sabel 2003) with homophily ``lam`` and rank preference
    ``zeta``.
    """

    peer_degree: int = at_least(4, 0, even=True)
    rewire: float = probability(0.1)
    cross_unit_degree: float = at_least(2.0, 0)
    external_degree: float = at_least(2.0, 0)
    inter_org_degree: float = at_least(1.0, 0)
    pattern: str = one_of("random", PATTERNS)
    # exp(-distance / lam): beyond 100 every weight is within 12% of 1 for any hierarchy
    # distance up to 12 (the random pattern); below 0.01 every weight but the nearest
    # underflows to 0. Either end is a typo, not a setting (issue 25).
    lam: float = between(1.0, 0.01, 100)
    zeta: float = between(1.0, 0.01, 100)


@dataclass
class OpennessConfig:
    """Which boundaries messages may cross, each a number in [0, 1].

    ``peer`` scales the ties inside units, ``internal`` the ties across units, ``external`` the
    ties to stakeholders, ``inter_org`` the ties between members of different organizations;
    ``voice`` is the share of members who can reach the organization's direct voice channel
    (where the regime has one; the others send ideas up the chain of command);
    ``hear_stakeholders`` says whether stakeholders' ideas may reach the organization at all.
    """

    peer: float = unit(1.0)
    internal: float = unit(0.5)
    external: float = unit(0.5)
    inter_org: float = unit(0.0)
    voice: float = unit(1.0)
    hear_stakeholders: bool = True


@dataclass
class RegimeConfig:
    """A communication regime: a point in the space of the organization's practices.

    ``broadcast_rate`` the share of steps the organization pushes its code; ``socialization``
    (March's p1) the pressure on members to adopt it, scaled by their trust; ``listening``
    (March's p2) how fast the code learns from the ideas it considers; ``upward`` how ideas
    reach it: ``chain`` (up the chain of command, one hop per step, with relays and
    distortion), ``voice`` (a direct channel beside the chain) or ``observe`` (March's 1991
    idealisation: the code sees every member's actions); ``responsiveness`` the share of the
    ideas it reads that it answers; ``voting`` whether peers' endorsements decide what it
    reads first.

    Null values are filled from ``mix`` (0 = the broadcast end, 1 = the conversational end) by
    :func:`sim.config.regimes.resolve_regime`, so ``hybrid`` is one mixing parameter and any
    single practice can still be set alone. No rule reads ``name``.
    """

    name: str = "hybrid"
    mix: float = unit(0.5)
    broadcast_rate: float | None = probability(None)
    socialization: float | None = probability(None)
    listening: float | None = probability(None)
    upward: str | None = one_of(None, UPWARD)
    responsiveness: float | None = probability(None)
    voting: bool | None = None
    # Who decides a change of the code (sim.rules.decisions): leaders | vote, and the votes
    # a change needs under vote.
    decision: str = one_of("leaders", DECISIONS)
    quorum: int = at_least(1, 0)


@dataclass
class MechanismsConfig:
    """Switches for every assumed mechanism of the model (DESIGN section 7.2), each on by default.

    Switching one off removes that one causal path and nothing else, so the main job can ask of
    every headline difference which assumption it rests on (``agora compare`` classifies them).
    ``docs/odd.md`` gives each its source or names it an assumption with a range.

    ``voice_effect``: being heard (answered, replied to, voted for, adopted) raises engagement;
    ``frustration``: being ignored (an idea or a post left unanswered) lowers it;
    ``votes_as_heard``: a vote counts as being heard by the author of what it endorses;
    ``broadcast_clarity``: a broadcast that speaks to what one has seen engages a little;
    ``broadcast_fatigue``: reading beyond one's attention lowers engagement;
    ``benevolence``, ``ability``, ``integrity``: the three factors of trust (Mayer, Davis &
    Schoorman 1995), each judged only while on;
    ``broadcast_socialization``: members adopt the code they are told by broadcasts;
    ``answer_learning``: the organization's answers carry its code, and members learn from them;
    ``time_costs``: talking, reading and answering draw from a time budget;
    ``posts_ignored``: a post that draws neither reply nor vote counts as ignored (a part of
    ``frustration``, switchable alone);
    ``leader_exploration``: the leadership learns first hand and considers what it found.

    The essays' mechanisms (each acting only where its own section is set): ``adoption``:
    members adopt and leave the platform (``platform.rollout`` other than ``everyone``);
    ``leader_visibility``: seeing leaders active raises adoption and voice;
    ``authenticity``: a gap between the responsiveness claimed (``org.espoused``) and the one
    experienced lowers integrity; ``bargaining``: heard stakeholders move the value split.
    """

    voice_effect: bool = True
    frustration: bool = True
    votes_as_heard: bool = True
    broadcast_clarity: bool = True
    broadcast_fatigue: bool = True
    benevolence: bool = True
    ability: bool = True
    integrity: bool = True
    broadcast_socialization: bool = True
    answer_learning: bool = True
    time_costs: bool = True
    posts_ignored: bool = True
    leader_exploration: bool = True
    adoption: bool = True
    leader_visibility: bool = True
    authenticity: bool = True
    bargaining: bool = True


@dataclass
class PlatformConfig:
    """Who uses the peer platform (posts, replies, votes): adoption (sim.rules.platform).

    ``rollout``: ``everyone`` (every member is on it from the start and stays: the model
    before adoption existed), ``champions`` (a share ``champions`` of members, spread evenly,
    start on it; the others may adopt) or ``top_down`` (everyone gets an account on day one,
    no one is asked: everyone starts on it, and the ignored drop out). Under the last two a
    member off the platform adopts each step with chance ``rate`` once what it sees (the
    share of its neighbours active there last step, its own record of being heard there
    times ``usefulness``, and ``leader_weight`` times the share of leaders active) reaches its
    threshold, drawn once per member from a normal distribution (``threshold``,
    ``threshold_sd``) as Granovetter (1978) does; an adopter ignored ``patience`` times in a
    row there (a post that drew neither reply nor vote) drops out.
    """

    rollout: str = one_of("everyone", ROLLOUTS)
    champions: float = unit(0.1)
    rate: float = probability(0.2)
    threshold: float = 0.3
    threshold_sd: float = at_least(0.15, 0)
    usefulness: float = at_least(0.5, 0)
    leader_weight: float = at_least(0.5, 0)
    patience: int = at_least(5, 1)


@dataclass
class LeadershipConfig:
    """What the leadership does on the platform (sim.rules.leadership).

    ``participation`` is the share of steps each leader (``org.leader_levels``) posts on the
    platform and replies to every post it reads, from its own time; ``voice_lift`` how much
    seeing leaders active raises members' chance to voice (times the share of leaders active).
    """

    participation: float = unit(0.0)
    voice_lift: float = at_least(0.5, 0)


@dataclass
class ValueConfig:
    """Value at the economic level (sim.rules.economy), off by default.

    With ``economy`` on, each step a stakeholder creates value ``fit`` (its satisfaction)
    plus ``idea_value`` per idea of its adopted into the code; its organization keeps a share
    and it receives the rest. Each organization's stakeholder share starts at ``share`` and
    moves at rate ``bargaining`` towards ``share + (share_max - share) x heard`` (``heard``:
    the share of its stakeholders' ideas answered or acted on, their benevolence record).
    """

    economy: bool = False
    idea_value: float = at_least(0.5, 0)
    share: float = unit(0.3)
    share_max: float = unit(0.7)
    bargaining: float = unit(0.05)


@dataclass
class LimitsConfig:
    """Resources one job may plan to use (not part of a job's identity: see sim.config.limits).

    ``memory_gb`` is the most memory, in GB, a job's estimated need may reach (null: half of
    this machine's memory); raise it with ``limits.memory_gb=64`` for a bigger run.
    """

    memory_gb: float | None = None


@dataclass
class ScenarioConfig:
    """A named situation and its plain-words description."""

    name: str = "default"
    description: str = ""


@dataclass
class InterventionConfig:
    """A change of configuration values at a given step (``set`` maps dotted keys to values)."""

    at: int = MISSING
    set: dict[str, Any] = field(default_factory=dict)


@dataclass
class AgoraConfig:
    """The whole configuration of one job."""

    seed: int = _field(0, Allowed(low=0, high=2**63 - 1, text="an integer from 0 to 2**63 - 1"))
    steps: int = at_least(300, 0)
    replicates: int = at_least(1, 1)
    environment: EnvironmentConfig = field(default_factory=EnvironmentConfig)
    population: PopulationConfig = field(default_factory=PopulationConfig)
    hierarchy: HierarchyConfig = field(default_factory=HierarchyConfig)
    org: OrgConfig = field(default_factory=OrgConfig)
    stakeholders: StakeholderConfig = field(default_factory=StakeholderConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    openness: OpennessConfig = field(default_factory=OpennessConfig)
    regime: RegimeConfig = field(default_factory=RegimeConfig)
    scenario: ScenarioConfig = field(default_factory=ScenarioConfig)
    interventions: list[InterventionConfig] = field(default_factory=list)
    mechanisms: MechanismsConfig = field(default_factory=MechanismsConfig)
    platform: PlatformConfig = field(default_factory=PlatformConfig)
    leadership: LeadershipConfig = field(default_factory=LeadershipConfig)
    value: ValueConfig = field(default_factory=ValueConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)


def register_configs() -> None:
    """Register the schemas in Hydra's ConfigStore (idempotent).

    ``agora_schema`` is the base of ``conf/config.yaml``; each group has a ``<group>_schema``
    entry that its option files can extend.
    """
    cs = ConfigStore.instance()
    cs.store(name="agora_schema", node=AgoraConfig)
    for name, node in [
        ("regime", RegimeConfig),
        ("org", OrgConfig),
        ("openness", OpennessConfig),
        ("hierarchy", HierarchyConfig),
        ("scenario", ScenarioConfig),
    ]:
        cs.store(group=name, name=f"{name}_schema", node=node)


register_configs()
