"""The model's state as one typed object: the arrays, the step's tally and the components.

:class:`State` is what rules, metrics and pictures read: ``metrics.measure(state)``,
``viz.drawing`` and ``validation.traces`` take it (``model.state``) instead of reading the
model's attributes by name. Nodes are individuals ``0 .. n-1`` followed by stakeholders;
``beliefs``, ``engagement``, ``trust``, ``seen``, ``told`` and ``node_org`` cover all nodes,
``code`` and the innovation counts have one row per organization. :class:`Tally` counts what
happened in one step.

:meth:`State.start` draws the initial arrays from the model's Generator (beliefs, then the
stakeholders' needs) and builds the essays' components (platform, leadership, authenticity,
economy, adaptation) and the modes' (:mod:`sim.rules.modes`); what follows from the wiring
(attention, who hears whom) the model derives.

Examples
--------
>>> import numpy as np
>>> from sim.config import to_config
>>> from sim.org.network import build_network
>>> cfg = to_config({"org": {"size": 4}, "stakeholders": {"count": 1},
...                  "environment": {"dims": 3}})
>>> rng = np.random.default_rng(0)
>>> network = build_network(cfg, np.zeros(1, dtype=np.int64), rng)
>>> state = State.start(cfg, network, np.zeros(1, dtype=np.int64),
...                     np.array([1, -1, 1], dtype=np.int8), AdditiveTask(), rng)
>>> state.beliefs.shape, state.n_nodes, state.code.shape, state.tally.received.shape
((5, 3), 5, (1, 3), (5,))
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.config import AgoraConfig
from sim.org.network import Network
from sim.rules.adapt import Adaptation
from sim.rules.authenticity import Authenticity
from sim.rules.economy import Economy
from sim.rules.leadership import Leadership
from sim.rules.learning import random_beliefs
from sim.rules.messages import BROADCAST, KINDS, POST, REPLY, Messages
from sim.rules.modes import PEER_RULES, AdditiveTask, NKTask, Opinions, PeerRule
from sim.rules.platform import Platform

__all__ = ["State", "Tally", "state_of"]

_NOBODY = np.zeros(0, dtype=np.int64)


@dataclass
class Tally:
    """What happened in one step: message counts and who sent, received, read and was reached.

    ``received`` counts messages (votes included) that reached each node as their receiver;
    ``read`` counts what each node read through its attention, relays included; ``sent_by_kind``
    counts what was sent, by kind (``KINDS``); ``ideas_read`` the ideas the organizations read,
    ``ideas_considered`` the ideas they took into account (whatever the channel: read, or
    observed under March's idealisation), ``ideas_adopted`` those of them that changed a code,
    and ``answered`` the ideas read that got an answer. ``peer_received`` counts the peer
    messages (posts, colleagues' replies) each node read, ``spent`` the time each node spent
    (speaking, reading, replying, voting) and ``overloaded`` flags who had more arriving than
    it could read.
    """

    n_nodes: int
    sent: int = 0
    delivered: int = 0
    dropped: int = 0
    filtered: int = 0
    relayed: int = 0
    peer_inside: int = 0
    peer_across: int = 0
    ideas_read: int = 0
    ideas_considered: int = 0
    ideas_adopted: int = 0
    answered: int = 0
    decisions_by_vote: int = 0
    # One entry per node (per kind for sent_by_kind), made by __post_init__.
    sent_by_kind: np.ndarray = field(init=False)
    reached: np.ndarray = field(init=False)
    active: np.ndarray = field(init=False)
    received: np.ndarray = field(init=False)
    read: np.ndarray = field(init=False)
    peer_received: np.ndarray = field(init=False)
    spent: np.ndarray = field(init=False)
    overloaded: np.ndarray = field(init=False)
    on_platform: np.ndarray = field(init=False)

    def count_reading(
        self, delivered: Messages, parts: dict, forward_holder: np.ndarray, time_read: float
    ) -> np.ndarray:
        """What routing delivered (``delivered``, and the same by kind, ``parts``) and what
        managers read on the way up (``forward_holder``): who received and read how much, who
        was reached by a broadcast, the peer messages each read; reading takes ``time_read``
        each from the time spent. Returns each node's reading time."""
        target = delivered.target
        reached = np.bincount(target[target >= 0], minlength=self.n_nodes)
        self.received += reached
        self.read += reached
        if forward_holder.size:  # read on the way up the chain too
            self.read += np.bincount(forward_holder, minlength=self.n_nodes)
        read_time = self.read * time_read
        self.spent += read_time
        self.reached[parts[BROADCAST].target] = True
        post, reply = parts[POST], parts[REPLY]
        peer_read = np.concatenate([post.target, reply.target[reply.sender >= 0]])
        self.peer_received += np.bincount(peer_read, minlength=self.n_nodes)
        return read_time

    def __post_init__(self) -> None:
        self.on_platform = np.zeros(self.n_nodes, dtype=bool)  # posted, replied or voted
        self.read = np.zeros(self.n_nodes, dtype=np.int64)
        self.peer_received = np.zeros(self.n_nodes, dtype=np.int64)
        self.spent = np.zeros(self.n_nodes)
        self.overloaded = np.zeros(self.n_nodes, dtype=bool)
        self.reached = np.zeros(self.n_nodes, dtype=bool)
        self.active = np.zeros(self.n_nodes, dtype=bool)
        self.received = np.zeros(self.n_nodes, dtype=np.int64)
        self.sent_by_kind = np.zeros(len(KINDS), dtype=np.int64)


@dataclass(eq=False)
class State:
    """Everything a run carries from step to step, and this step's tally.

    ``cfg`` is the configuration in force (interventions and ``org.adapt`` change it),
    ``network`` the wiring (interventions and stakeholders who switch change it), ``step`` the
    steps done.
    ``seen`` is what each node has seen first hand and ``told`` what it was last told by its
    organization (-1, +1; 0: nothing), in int8, the smallest type that holds them (trust's
    judgements convert them in one pass);
    ``ideas_heard`` and ``ideas_ignored`` the decayed record of its ideas answered or acted on
    versus ended unanswered. ``lag_sum`` and ``lag_count`` add up the adaptation spells ended so
    far. ``delivered`` is what routing delivered this step and ``parts`` the same by kind.
    """

    cfg: AgoraConfig
    network: Network
    n_individuals: int
    n_stakeholders: int
    # The world and the task.
    reality: np.ndarray
    task: AdditiveTask | NKTask
    # One row per node.
    beliefs: np.ndarray
    needs: np.ndarray
    engagement: np.ndarray
    trust: np.ndarray
    seen: np.ndarray
    told: np.ndarray
    ideas_heard: np.ndarray
    ideas_ignored: np.ndarray
    node_org: np.ndarray
    initial_stakeholder_org: np.ndarray
    fast: np.ndarray
    votes: np.ndarray
    actions: np.ndarray
    # One row per organization.
    code: np.ndarray
    code_changes: np.ndarray
    innovations: np.ndarray
    innovations_net: np.ndarray
    innovations_bottom_up: np.ndarray
    cocreated: np.ndarray
    # One row per stakeholder.
    satisfaction: np.ndarray
    value: np.ndarray
    # The components: the essays' mechanisms and the modes.
    platform: Platform
    leadership: Leadership
    authenticity: Authenticity
    economy: Economy
    adaptation: Adaptation
    opinions: Opinions
    step: int = 0
    lag_sum: int = 0
    lag_count: int = 0
    # Made by __post_init__: the peer rule in force (follow() keeps it so), this step's tally
    # and deliveries, last step's votes.
    peers: PeerRule = field(init=False)
    tally: Tally = field(init=False)
    delivered: Messages = field(init=False)
    parts: dict = field(init=False)
    previous_votes: np.ndarray = field(init=False)
    # Carried to the next step: messages on their way (ideas up the chain, broadcasts
    # cascading down), replies and the organization's answers waiting for the next outbox,
    # the origins of ideas adopted (heard next step), the time the answers take from the
    # organization's attention, and, per organization and dimension, the step since which
    # the code has been wrong where reality flipped away from it (-1: none pending).
    in_flight: Messages = field(init=False)
    pending_broadcasts: Messages = field(init=False)
    replies: list = field(init=False)
    answers: list = field(init=False)
    adopted: np.ndarray = field(init=False)
    answer_load: np.ndarray = field(init=False)
    wrong_since: np.ndarray = field(init=False)
    # This step's: each node's time left (set when speaking), what the leadership found first
    # hand ((orgs, dims) or None), the posts and ideas lost on the way.
    budget: np.ndarray = field(init=False)
    leader_found: tuple | None = field(init=False, default=None)
    lost_posts: np.ndarray = field(init=False)
    lost_ideas: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        # Needs never change: their float form and count serve satisfaction and scores, and
        # their dimensions, needed ones first, what a stakeholder can speak about.
        self.needs32 = self.needs.astype(np.float32)
        self.need_count = np.maximum(np.count_nonzero(self.needs, axis=-1), 1)
        self.need_order = np.argsort(~self.needs, axis=1, kind="stable")
        m, n_orgs = self.reality.size, self.code.shape[0]
        self.peers = PEER_RULES[self.cfg.population.peer_rule]()
        self.tally = Tally(self.n_nodes)
        self.delivered = Messages.empty(m)
        self.parts = self.delivered.by_kind()
        self.previous_votes = self.votes
        self.in_flight = Messages.empty(m)
        self.pending_broadcasts = Messages.empty(m)
        self.replies, self.answers = [], []
        self.adopted = self.lost_posts = self.lost_ideas = _NOBODY
        self.answer_load = np.zeros(n_orgs)
        self.wrong_since = np.full((n_orgs, m), -1, dtype=np.int64)
        self.budget = np.full(self.n_nodes, np.inf)

    @classmethod
    def start(
        cls,
        cfg: AgoraConfig,
        network: Network,
        stakeholder_org: np.ndarray,
        reality: np.ndarray,
        task: AdditiveTask | NKTask,
        rng: np.random.Generator,
    ) -> State:
        """The state at step 0: members' beliefs, then stakeholders' needs and beliefs, drawn
        from ``rng`` in that order; everything else starts from the configuration (reality,
        the task (:func:`sim.rules.modes.make_task`) and the network are drawn before)."""
        n, k, m, n_orgs = network.n_individuals, stakeholder_org.size, reality.size, cfg.org.count
        n_nodes = n + k
        org_of_node = np.concatenate([network.tree.org, stakeholder_org])
        beliefs = np.empty((n_nodes, m), dtype=np.int8)
        beliefs[:n] = task.fresh_beliefs(rng.random((n, m)))
        needs = np.zeros((k, m), dtype=bool)
        seen = np.zeros((n_nodes, m), dtype=np.int8)
        if k:
            u = rng.random((k, m))
            needs = u < cfg.stakeholders.needs
            needs[np.arange(k), u.argmin(1)] = True  # everyone needs something
            beliefs[n:] = np.where(needs, reality, random_beliefs(rng.random((k, m))))
            seen[n:] = np.where(needs, reality, 0)
        pop = cfg.population
        # Fast learners (March 1991, Figure 2) spread evenly over the members, no draws needed.
        idx = np.arange(n)

        def per_org() -> np.ndarray:
            return np.zeros(n_orgs, dtype=np.int64)

        return cls(
            cfg=cfg,
            network=network,
            n_individuals=n,
            n_stakeholders=k,
            reality=reality,
            task=task,
            beliefs=beliefs,
            needs=needs,
            engagement=np.full(n_nodes, pop.engagement),
            trust=np.full(n_nodes, pop.trust),
            seen=seen,
            told=np.zeros((n_nodes, m), dtype=np.int8),
            ideas_heard=np.zeros(n_nodes),
            ideas_ignored=np.zeros(n_nodes),
            node_org=org_of_node,
            initial_stakeholder_org=stakeholder_org.copy(),
            fast=np.floor((idx + 1) * pop.fast_share) > np.floor(idx * pop.fast_share),
            votes=np.zeros(n_nodes, dtype=np.int64),
            actions=np.zeros((n, m), dtype=np.int8),
            code=np.zeros((n_orgs, m), dtype=np.int8),
            code_changes=per_org(),
            innovations=per_org(),
            innovations_net=per_org(),
            innovations_bottom_up=per_org(),
            cocreated=per_org(),
            satisfaction=np.zeros(k),
            value=np.zeros(k),
            platform=Platform(cfg, n, n_nodes, rng),
            leadership=Leadership(cfg, _NOBODY, rng),
            authenticity=Authenticity(n_nodes),
            economy=Economy(cfg, k),
            adaptation=Adaptation(cfg, rng),
            opinions=Opinions(),
        )

    def follow(self, rng: np.random.Generator, leaders: np.ndarray) -> None:
        """The components follow the configuration in force (at setup, after an
        intervention, when stakeholders switch): the peer rule, who leads, the opinion mode.
        ``leaders`` flags the members in the leadership."""
        rule = PEER_RULES[self.cfg.population.peer_rule]
        if type(self.peers) is not rule:
            self.peers = rule()
        self.leadership.leaders = np.flatnonzero(leaders)
        self.leadership.configure(self.cfg, rng)
        is_leader = np.concatenate([leaders, np.zeros(self.n_stakeholders, dtype=bool)])
        self.opinions.configure(self.cfg, rng, is_leader, self.node_org)

    # ---------------------------------------------------------------- derived views

    @property
    def n_nodes(self) -> int:
        return self.n_individuals + self.n_stakeholders

    @property
    def stakeholder_org(self) -> np.ndarray:
        return self.node_org[self.n_individuals :]

    @property
    def landscape(self):
        """The NK landscape of the task (None on March's additive reality)."""
        return self.task.landscape

    def score_of(self, solutions: np.ndarray) -> np.ndarray:
        """What each row of ``solutions`` (belief vectors) is worth on the task: its NK score
        (environment.landscape=nk) or the share of dimensions right (additive)."""
        return self.task.score_of(solutions, self.reality)

    def scores(self) -> np.ndarray:
        """Every node's score on the task (:meth:`score_of` of its beliefs)."""
        return self.score_of(self.beliefs)


def state_of(source) -> State:
    """The :class:`State` of a model (``model.state``), or ``source`` itself if it is one:
    pictures and readers take either.

    >>> state_of(None)
    Traceback (most recent call last):
    ...
    TypeError: expected a State or a model with one, not NoneType
    """
    if isinstance(source, State):
        return source
    state = getattr(source, "state", None)
    if not isinstance(state, State):
        raise TypeError(f"expected a State or a model with one, not {type(source).__name__}")
    return state
