"""The Agora model: real Mesa agents over struct-of-arrays state, one visible step loop.

State lives in one typed object, ``model.state`` (:class:`sim.rules.state.State`): arrays
with one row per agent, the step's tally, and the components of the essays' mechanisms and of
the modes (:mod:`sim.rules.modes`: the task, the peer rule, the opinion mode), each with its
own state and the hooks the phases call. The phases, metrics and pictures read and write the
state by its name (``self.state.beliefs``), so its types are checked; the model's attributes
of the same names (``model.beliefs``, ``model.tally``, ...) read and write it for code and
users that use them. What follows from the rules and the network (who reads how much, who
hears broadcasts, whose ideas go up the chain) is ``model.wiring`` (:mod:`sim.rules.wiring`).
Each :class:`~sim.agents.Individual`, :class:`~sim.agents.Stakeholder` and
:class:`~sim.agents.Organization` reads and writes its own row through properties, while
:meth:`AgoraModel.step` works on whole arrays.

The model owns one numpy Generator (``self.rng``, Mesa's) and hands it to every rule; nothing
else draws random numbers, so a seed fixes the whole run. It keeps its own step counter
(``current_step``) rather than Mesa's ``steps``, which Mesa 4 removes.

No rule reads the regime's name: each phase reads the practices (``cfg.regime.upward``,
``responsiveness``, ...) and what agents experienced. Every assumed mechanism has a switch
(``cfg.mechanisms``); a switch off removes that causal path only, and the random draws are
the same either way (draws a mechanism needs are drawn whether or not it is on).

Examples
--------
>>> model = AgoraModel({"org": {"size": 40}, "stakeholders": {"count": 10}}, seed=7)
>>> model.run(5)
>>> len(model.records), model.current_step, len(model.agents_by_type[Individual])
(6, 5, 40)
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import fields
from operator import attrgetter

import mesa
import numpy as np

from sim.agents import Individual, Organization, Stakeholder
from sim.agents.lazy import LazyAgents
from sim.agents.mesa_face import configure, make_datacollector
from sim.config import AgoraConfig
from sim.config.interventions import apply_changes, changes_structure
from sim.org.network import EXTERNAL, build_network, external_ties
from sim.rules import metrics
from sim.rules.authenticity import Authenticity
from sim.rules.budget import afford, capacity_left, pay_for_speaking
from sim.rules.decisions import ratify
from sim.rules.feedback import (
    move_towards,
    share_of,
    share_right,
    share_tallies,
    trust_target,
    update_engagement,
)
from sim.rules.learning import (
    act,
    assign_where,
    count_origins,
    learn_code,
    organization_said,
    socialize_drawing,
    superior_ideas,
)
from sim.rules.messages import BROADCAST, KINDS, POST, REPLY, VOICE, Group, Messages, org_node
from sim.rules.modes import make_task
from sim.rules.routing import route
from sim.rules.stakeholders import choose_switch, fit_to_each_org
from sim.rules.state import State, Tally
from sim.rules.wiring import derive
from sim.util.constants import ones32
from sim.util.seeding import replicate_seeds, skip_uniforms

__all__ = ["AgoraModel", "Tally"]

_NOBODY = np.zeros(0, dtype=np.int64)


def _in_state(name: str) -> property:
    """A model attribute that lives in the state: ``model.x`` reads and writes
    ``model.state.x`` (so code and users that read the model's arrays by name keep working).
    The getter is an ``attrgetter``, C code: the phases read these names hundreds of times a
    step."""

    def set_(model, value) -> None:
        setattr(model.state, name, value)

    return property(attrgetter(f"state.{name}"), set_, doc=f"``state.{name}``")


class AgoraModel(mesa.Model):
    """Organizations, their members and stakeholders exchanging messages.

    Parameters
    ----------
    config
        Anything :func:`sim.config.to_config` accepts: an ``AgoraConfig``, a Hydra
        ``DictConfig``, a plain (partial) mapping, or None for the default scenario.
    seed
        The seed of this run's Generator. By default the first replicate seed spawned from
        ``config.seed``, so ``AgoraModel(cfg)`` is replicate 0 of ``simulate(cfg)``, and any
        row of a results table re-runs with ``AgoraModel(cfg, seed=row.seed)``. ``rng`` is
        the same, under Mesa's newer name; the keyword ``replicate=k`` picks replicate ``k`` of
        ``simulate`` instead (its seed is spawned from ``config.seed``).
    **params
        Keyword parameters instead of ``config``, as Mesa models take them
        (``AgoraModel(regime="conversational", org_size=200, seed=1)``): the names are in
        :data:`sim.agents.mesa_face.PARAMETERS`. With them, ``mesa.batch_run`` runs the model
        and reads ``model.datacollector`` (see :mod:`sim.agents.mesa_face`).
    """

    def __init__(
        self, config=None, *, seed: int | None = None, rng: int | None = None, **params
    ) -> None:
        cfg, seed = configure(config, params, seed=seed, rng=rng)
        if seed is None:
            seed = replicate_seeds(cfg.seed, 1)[0]
        # ``rng=`` is Mesa's current way to seed (3.3 through 4); an int gives the same stream
        # as the deprecated ``seed=``.
        super().__init__(rng=int(seed))
        self.seed = int(seed)
        for iv in cfg.interventions:
            if iv.at == 0:  # in force from the start
                cfg = apply_changes(cfg, dict(iv.set))
        self._setup(cfg)
        self.records: list[dict[str, float]] = []
        self.org_records: list[dict[str, float]] = []
        self.datacollector = make_datacollector(metrics.METRIC_NAMES)
        self.measure()

    # ------------------------------------------------------------------ setup

    def _setup(self, cfg: AgoraConfig) -> None:
        rng, m, n_orgs = self.rng, cfg.environment.dims, cfg.org.count
        k = cfg.stakeholders.count * n_orgs
        stakeholder_org = np.arange(k, dtype=np.int64) % n_orgs
        reality = np.where(rng.random(m) < 0.5, -1, 1).astype(np.int8)
        # The NK task (environment.landscape=nk) is drawn only then, and before the network:
        # runs that differ only in their wiring share landscape and starting solutions.
        task = make_task(cfg, rng)
        network = build_network(cfg, stakeholder_org, rng)
        self.state = State.start(cfg, network, stakeholder_org, reality, task, rng)
        n = network.n_individuals
        self._derive()
        self.organizations = [Organization(self, o) for o in range(n_orgs)]
        # Created when first asked for (sim.agents.lazy): at scale, most never are.
        self.individuals = LazyAgents(self, Individual, 0, n)
        self.stakeholders = LazyAgents(self, Stakeholder, n, k)

    # Mesa's registry holds every agent once anything reads it (lazy agents created first).
    @property
    def agents(self):
        self._create_agents()
        return super().agents

    @property
    def agents_by_type(self):
        self._create_agents()
        return super().agents_by_type

    @property
    def agent_types(self):
        self._create_agents()
        return super().agent_types

    def _create_agents(self) -> None:
        for group in (getattr(self, "individuals", ()), getattr(self, "stakeholders", ())):
            if isinstance(group, LazyAgents):
                group.create_all()

    def _derive(self) -> None:
        """What follows from the rules and the wiring (:mod:`sim.rules.wiring`), derived when
        those change (at setup, after an intervention, when stakeholders switch) rather than
        every step; then the components follow it (the peer rule, the leadership, the
        opinions)."""
        self.wiring = derive(
            self.state.cfg, self.state.network, self.state.node_org, self.state.fast
        )
        self.state.follow(self.rng, self.wiring.leaders)

    # The wiring's quantities that code and users read by name on the model.
    capacity = property(lambda self: self.wiring.capacity, doc="``wiring.capacity``")
    attention = property(lambda self: self.wiring.attention, doc="``wiring.attention``")
    members_of = property(lambda self: self.wiring.members_of, doc="``wiring.members_of``")

    @property
    def stakeholder_org(self) -> np.ndarray:
        return self.state.stakeholder_org

    @property
    def n_nodes(self) -> int:
        return self.state.n_nodes

    @property
    def current_step(self) -> int:
        """Steps done (the model's own counter, not Mesa's ``steps``, which Mesa 4 removes)."""
        return self.state.step

    @current_step.setter
    def current_step(self, step: int) -> None:
        self.state.step = step

    # ------------------------------------------------------------------ the step

    def step(self) -> None:
        """One step of DESIGN section 4, phase by phase."""
        self.current_step += 1
        self.state.tally = Tally(self.n_nodes)
        self.intervene()  # 0. scheduled changes of the rules take effect
        self.environment()  # 1. turnover (p3) and turbulence (p4)
        self.experience()  # 2. exploration; stakeholders observe their needs
        outbox = self.speak()  # 3. broadcast, post, voice (and last step's replies)
        self.route(outbox)  # 4. hops, relays, distortion, attention caps
        self.listen()  # 5. socialization and peer majority
        self.respond()  # 6. replies, votes, engagement and trust feedback
        self.learn()  # 7. the code learns from the superior group it hears
        self.serve_stakeholders()  # 8. satisfaction, value, switching
        self.adapt()  # 8b. the organization reviews its practices (org.adapt)
        self.measure()  # 9. every metric

    def run(self, steps: int | None = None) -> None:
        """Run ``steps`` steps (default: ``config.steps``)."""
        for _ in range(self.state.cfg.steps if steps is None else steps):
            self.step()

    # 0 -------------------------------------------------------------------
    def intervene(self) -> None:
        """Apply the interventions due at this step (see :mod:`sim.config.interventions`)."""
        for iv in self.state.cfg.interventions:
            if iv.at == self.current_step and iv.at > 0:
                changes = dict(iv.set)
                self.state.cfg = apply_changes(self.state.cfg, changes)
                if changes_structure(changes):
                    # The same people, newly wired: reporting lines and ties follow the new
                    # rules, while everyone stays in their department.
                    self.state.network = build_network(
                        self.state.cfg,
                        self.stakeholder_org.copy(),
                        self.rng,
                        units=self.state.network.tree.unit,
                    )
                self._derive()

    # 1 -------------------------------------------------------------------
    def environment(self) -> None:
        rng, n, m = self.rng, self.state.n_individuals, self.state.cfg.environment.dims
        pop = self.state.cfg.population
        if pop.turnover > 0:
            leave = (rng.random(n) < pop.turnover).nonzero()[0]
            self.state.beliefs[leave] = self.state.task.fresh_beliefs(rng.random((leave.size, m)))
            # A newcomer takes the seat: the same agent row, a new person's state.
            self.state.engagement[leave] = pop.engagement
            self.state.trust[leave] = pop.trust
            self.state.seen[leave] = 0
            self.state.told[leave] = 0
            self.state.ideas_heard[leave] = 0
            self.state.ideas_ignored[leave] = 0
            self.state.platform.newcomers(self.state.cfg, leave)
            self.state.authenticity.newcomers(leave)
            self.state.opinions.newcomers(leave)  # from its own stream, in the opinion mode
        if self.state.cfg.environment.turbulence > 0:
            flip = rng.random(m) < self.state.cfg.environment.turbulence
            if flip.any():
                # A spell of adaptation starts where the code was right and reality moves away.
                dims = flip.nonzero()[0]
                was_right = self.state.code[:, dims] == self.state.reality[dims]
                since = self.state.wrong_since[:, dims]
                since[was_right] = self.current_step
                self.state.wrong_since[:, dims] = since
            self.state.reality[flip] *= -1

    # 2 -------------------------------------------------------------------
    def experience(self) -> None:
        rng, n, m = self.rng, self.state.n_individuals, self.state.cfg.environment.dims
        p = self.state.cfg.population.exploration
        if p > 0 and n:
            who = rng.random(n) < p
            dim = (rng.random(n) * m).astype(np.int64)
            rows = who.nonzero()[0]
            # March: the member sees reality on that dimension; under peer_rule=imitate, local
            # search, kept at the end of listening unless the member copies a better solution.
            self.state.peers.explore(self.state, rows, dim[rows])
        if self.state.n_stakeholders:
            assign_where(self.state.beliefs[n:], self.state.reality, self.state.needs)
            assign_where(self.state.seen[n:], self.state.reality, self.state.needs)
        self._explore_leadership()

    def _explore_leadership(self) -> None:
        """The leadership learns the truth of one dimension first hand with probability
        ``org.exploration`` per organization and step (its own market contact, reports); the
        top of the tree believes it and the code considers it as the leadership's idea. Drawn
        whether or not ``mechanisms.leader_exploration`` is on."""
        p, n_orgs = self.state.cfg.org.exploration, self.state.cfg.org.count
        self.state.leader_found = None
        if p <= 0:
            return
        u = self.rng.random((2, n_orgs))
        found = (u[0] < p) & (self.wiring.org_root >= 0)
        if not (found.any() and self.state.cfg.mechanisms.leader_exploration):
            return
        orgs = found.nonzero()[0]
        dims = (u[1, orgs] * self.state.cfg.environment.dims).astype(np.int64)
        root = self.wiring.org_root[orgs]
        self.state.beliefs[root, dims] = self.state.reality[dims]
        self.state.seen[root, dims] = self.state.reality[dims]
        self.state.leader_found = (orgs, dims)

    # 3 -------------------------------------------------------------------
    def speak(self) -> Messages:
        """Who says what to whom: one batch in kind order (broadcasts, posts, the replies
        composed last step, ideas), so what arrives comes grouped by kind."""
        rng, n = self.rng, self.state.n_individuals
        mine = self.state.beliefs[:n]
        silent = mine == 0
        # Actions matter only where the code observes them (March's idealisation); elsewhere
        # the stream moves on past their coins unmade, as it has since MODEL_VERSION 3.
        if self.wiring.observe:
            self.state.actions = act(mine, rng.random(np.count_nonzero(silent)), silent)
        else:
            skip_uniforms(rng, int(np.count_nonzero(silent)))
        broadcasts = self._broadcasts()
        posters, readers = self._platform_posts(*self._posters())
        voicers = self._voicers()
        # What each would say is drawn before time is counted, so the draws do not depend on
        # whether time costs are on.
        said = self.state.peers.say(self.state, np.concatenate([posters, voicers]), self.rng)
        posting, voicing = self._pay_for_speaking(posters, voicers)
        said = np.concatenate([said[: posters.size][posting], said[posters.size :][voicing]])
        posters, readers, voicers = posters[posting], readers[posting], voicers[voicing]
        self.state.tally.active[posters] = True
        self.state.tally.on_platform[posters] = True
        self.state.authenticity.voiced[voicers] = True
        self.state.tally.active[voicers] = True
        replies, self.state.replies = self.state.replies, []
        return Messages.assemble(
            self.current_step,
            [
                broadcasts,
                (POST, posters, readers, said[: posters.size]),
                *replies,
                *self._compose_answers(),
                (VOICE, voicers, org_node(self.state.node_org[voicers]), said[posters.size :]),
            ],
        )

    def _platform_posts(self, posters, readers) -> tuple[np.ndarray, np.ndarray]:
        """The posts made on the platform: between adopters (sim.rules.platform), plus the
        posts of leaders taking part this step (sim.rules.leadership)."""
        posters, readers = self.state.platform.filter_posts(posters, readers)
        lead, to = self.state.leadership.take_part(
            self.state.cfg,
            self.state.platform.adopted,
            self.state.node_org,
            self.state.n_individuals,
        )
        if lead.size:
            posters, readers = np.concatenate([posters, lead]), np.concatenate([readers, to])
        return posters, readers

    def _pay_for_speaking(self, posters, voicers) -> tuple[np.ndarray, np.ndarray]:
        """A fresh time budget for the step, posting then voicing paid from it
        (:func:`sim.rules.budget.pay_for_speaking`); the masks of the posts and ideas that
        were affordable."""
        self.state.budget, spent, posting, voicing = pay_for_speaking(
            self.n_nodes, posters, voicers, self.state.cfg.population, self.wiring.budgeted
        )
        self.state.tally.spent += spent
        return posting, voicing

    def _compose_answers(self) -> list[Group]:
        """The organization's answers composed last step, each carrying the code as it stands
        now on the dimensions its idea spoke about."""
        answers, self.state.answers = self.state.answers, []
        groups = []
        for org, to, dims in answers:
            code = (
                self.state.code[0] if self.state.cfg.org.count == 1 else self.state.code[-org - 1]
            )
            groups.append((REPLY, org, to, code * dims))
        return groups

    def _broadcasts(self) -> Group:
        """The code, to members (the top only, under chain routing) and to stakeholders."""
        to, org = self.wiring.broadcast_to, self.wiring.broadcast_org
        rate, n_orgs = (
            self.state.adaptation.rates(self.state.cfg, "broadcast_rate"),
            self.state.cfg.org.count,
        )
        if (rate < 1).any():  # each organization speaks with probability its broadcast_rate
            if (rate > 0).any():
                speaking = self.rng.random(n_orgs) < rate
            else:
                speaking = np.zeros(n_orgs, dtype=bool)
            keep = speaking[org]
            to, org = to[keep], org[keep]
        return BROADCAST, org_node(org), to, self.state.code[org]

    def _posters(self) -> tuple[np.ndarray, np.ndarray]:
        """Each node posts to one random neighbour with probability engagement x talk."""
        rng, net, talk = self.rng, self.state.network, self.state.cfg.population.talk
        if talk <= 0:
            return _NOBODY, _NOBODY
        posting = rng.random(self.n_nodes) < self.state.engagement * talk
        who = (posting & self.wiring.can_post).nonzero()[0]
        if self.state.cfg.population.audience == "all":
            # To every neighbour, in adjacency order (no draws): Lazer and Friedman's agents
            # see all their neighbours' solutions each round.
            deg = net.degree()[who]
            first = np.repeat(net.indptr[who] - np.cumsum(deg) + deg, deg)
            return np.repeat(who, deg), net.indices[first + np.arange(first.size)]
        pick = (rng.random(who.size) * net.degree()[who]).astype(np.int64)
        return who, net.indices[net.indptr[who] + pick]

    def _voicers(self) -> np.ndarray:
        """Who sends an idea upward this step: with probability engagement x population.voice,
        among those who may be heard (none where the code observes members directly)."""
        p = self.state.cfg.population.voice
        if p <= 0 or self.wiring.observe:
            return _NOBODY
        lift = self.state.leadership.voice(
            self.state.cfg, self.state.n_individuals, self.n_nodes
        )  # 1.0: none
        voicing = self.rng.random(self.n_nodes) < self.state.engagement * p * lift
        return (voicing & self.wiring.may_voice).nonzero()[0]

    # 4 -------------------------------------------------------------------
    def route(self, outbox: Messages) -> None:
        cfg, net, t = self.state.cfg, self.state.network, self.state.tally
        # Direct routing delivers the outbox in its kind order, unless messages were still on
        # their way (ideas up the chain, broadcasts cascading down).
        in_kind_order = (
            cfg.hierarchy.routing == "direct"
            and self.wiring.up_chain is None
            and not (len(self.state.in_flight) or len(self.state.pending_broadcasts))
        )
        res = route(
            outbox,
            self.state.in_flight,
            self.state.pending_broadcasts,
            chain=cfg.hierarchy.routing == "chain",
            up_chain=self.wiring.up_chain,
            manager=self.wiring.chain_up,
            org_of=self.state.node_org,
            children_indptr=net.children_indptr,
            children=net.children,
            capacity=self._capacity_now(),
            org_priority=self.state.previous_votes if cfg.regime.voting else None,
            p_relay=cfg.hierarchy.relay,
            distortion=cfg.hierarchy.distortion,
            step=self.current_step,
            rng=self.rng,
            draw_always=self.wiring.timed,
        )
        self.state.in_flight, self.state.pending_broadcasts = res.forward, res.relay_broadcasts
        self.state.delivered = d = res.delivered
        self.state.lost_ideas = res.lost_voice
        # Each phase below reads the kinds it needs; posts, replies and broadcasts are addressed
        # to nodes, ideas to the organization.
        self.state.parts = parts = d.by_kind(in_kind_order)
        t.sent += res.sent
        t.sent_by_kind += res.sent_by_kind
        t.delivered += len(d)
        t.dropped += res.dropped
        t.filtered += res.filtered
        t.relayed += res.relayed
        # Reading (relaying included) takes time from what speaking left.
        read_time = t.count_reading(d, parts, res.forward.holder, cfg.population.time_read)
        self.state.budget = self.state.budget - read_time
        t.overloaded = res.overloaded
        self.state.lost_posts = res.lost_posts
        post, reply = parts[POST], parts[REPLY]
        # Peer talk between units (the organization's answers are not peer talk).
        sender = np.concatenate([post.sender, reply.sender])
        target = np.concatenate([post.target, reply.target])
        peer = sender >= 0
        unit = self.wiring.unit_of_node  # -1 for stakeholders and those above the units
        su, tu = unit[sender[peer]], unit[target[peer]]
        in_units = (su >= 0) & (tu >= 0)
        same = su == tu
        t.peer_inside += int(np.count_nonzero(in_units & same))
        t.peer_across += int(np.count_nonzero(in_units & ~same))

    def _capacity_now(self) -> np.ndarray:
        """What each node and organization can read this step: its attention, less for a node
        whose time left after speaking is short, and less for an organization by the time its
        answers of last step take (``org.answer_cost`` each) under ``mechanisms.time_costs``."""
        if not self.wiring.budgeted:
            return self.wiring.capacity
        cfg = self.state.cfg
        return capacity_left(
            self.wiring.capacity,
            self.state.budget,
            cfg.population.time_read,
            cfg.org.answer_cost,
            self.state.answer_load,
        )

    # 5 -------------------------------------------------------------------
    def listen(self) -> None:
        """Socialization to what the organization said, the peer rule on what colleagues said
        (sim.rules.modes), and the opinions' update in the opinion mode."""
        self._socialize_to_what_was_told()
        self.state.peers.listen(self.state, self.state.parts, self.rng)
        if self.state.opinions.on:
            self.opinion_step(self.heard_weights())

    def _socialize_to_what_was_told(self) -> None:
        """March's socialization towards what the organization said this step: its broadcasts
        and its answers to one's ideas (which carry its code on the ideas' dimensions; an
        answer speaks for itself where the two differ). Each is remembered as told (integrity
        judges it); each socializes only while its mechanism is on
        (``broadcast_socialization``, ``answer_learning``), with the same draws either way."""
        b, reply = self.state.parts[BROADCAST], self.state.parts[REPLY]
        answer = reply.sender < 0
        if not (len(b) or answer.any()):
            return
        said, on = organization_said(self.n_nodes, b, reply, self.state.cfg.mechanisms)
        assign_where(self.state.told, said, said != 0)
        rate = self.wiring.socialization * self.state.trust
        self.state.beliefs = socialize_drawing(self.state.beliefs, said, rate, self.rng, on)

    def score_of(self, solutions: np.ndarray) -> np.ndarray:
        """What each row of ``solutions`` is worth on the task (:meth:`State.score_of`)."""
        return self.state.score_of(solutions)

    def scores(self) -> np.ndarray:
        """Every node's score on the task (:meth:`score_of` of its beliefs)."""
        return self.state.scores()

    def heard_weights(self):
        """This step's row-stochastic W of the opinion mode (:meth:`Opinions.heard_weights`)."""
        return self.state.opinions.heard_weights(self.state.parts, self.state.trust)

    def opinion_step(self, W) -> None:
        """One update of the opinions with weights ``W`` (:meth:`Opinions.update`): the seam
        that the DeGroot docking and the tests drive with a fixed W."""
        self.state.opinions.update(W)

    # The opinion mode's arrays, under the names the dockings and users read (None while off).
    opinion = property(lambda self: self.state.opinions.opinion)
    opinion0 = property(lambda self: self.state.opinions.opinion0)
    opinion_influence = property(lambda self: self.state.opinions.influence)
    influence_converged = property(lambda self: self.state.opinions.influence_converged)
    landscape = property(lambda self: self.state.task.landscape)

    # 6 -------------------------------------------------------------------
    def respond(self) -> None:
        """Replies and votes between peers, the organization's answers to the ideas it read,
        then engagement and trust from what each agent experienced (DESIGN section 7.1)."""
        cfg, t = self.state.cfg, self.state.tally
        mech = cfg.mechanisms
        # The single organization's code against what each member has seen, tallied once:
        # broadcast clarity and ability both read it, and neither changes in between.
        code_tallies = functools.cache(lambda: share_tallies(self.state.code[0], self.state.seen))
        heard = np.zeros(self.n_nodes, dtype=bool)
        posts_ignored = self._respond_to_posts(heard)
        ideas_ignored = self._answer_ideas()
        # Heard: a reply (a colleague's, or the organization's answer) delivered now, an
        # endorsement (above), or one's idea adopted last step.
        reply_to = self.state.parts[REPLY].target
        heard[reply_to] = True
        heard[self.state.adopted] = True
        pop = cfg.population
        up = pop.engagement_gain * heard if mech.voice_effect else 0.0
        if mech.broadcast_clarity:
            up = up + pop.engagement_clarity * self._clear_broadcasts(code_tallies)
        down = pop.engagement_loss * ideas_ignored if mech.frustration else 0.0
        if mech.frustration and mech.posts_ignored:
            down = down + pop.engagement_loss_post * posts_ignored
        if mech.broadcast_fatigue:
            down = down + pop.engagement_fatigue * t.overloaded
        # Rates already weighted: gain and loss 1 (e + up (1 - e) - down e + drift).
        self.state.engagement = update_engagement(
            self.state.engagement,
            up,
            down,
            pop.engagement,
            1.0,
            1.0,
            pop.engagement_drift,
        )
        self.state.authenticity.read(self.state.parts[BROADCAST].target, Authenticity.claim(cfg))
        self._assess_trust(
            reply_to[self.state.parts[REPLY].sender < 0], ideas_ignored, code_tallies
        )
        self.state.previous_votes = self.state.votes
        self._update_platform(posts_ignored)

    def _update_platform(self, posts_ignored: np.ndarray) -> None:
        """Adoption and drop-out (sim.rules.platform), from being heard by colleagues there:
        a colleague's reply delivered now, or a vote."""
        reply = self.state.parts[REPLY]
        heard = self.state.votes > 0
        heard[reply.target[reply.sender >= 0]] = True
        self.state.platform.update(
            self.state.cfg,
            self.state.network,
            self.state.tally.on_platform,
            heard,
            posts_ignored,
            self.state.leadership.seen(),
            self.state.cfg.population.memory,
        )

    def _respond_to_posts(self, heard: np.ndarray) -> np.ndarray:
        """Readers reply (chance ``reply`` x engagement) and vote (where voting is on, for a
        post that fits what they know, chance engagement), each while their time lasts.

        Marks in ``heard`` the authors of posts voted for (``mechanisms.votes_as_heard``) and
        returns who had a post ignored: read and drawing neither reply nor vote (a vote
        counts only while votes count as heard), or dropped unread."""
        cfg, rng, t = self.state.cfg, self.rng, self.state.tally
        pop, m, mech = cfg.population, cfg.environment.dims, cfg.mechanisms
        post = self.state.parts[POST]
        writer, reader, said = post.sender, post.target, post.values
        answered = np.zeros(reader.size, dtype=bool)
        if reader.size and pop.reply > 0:
            wants = rng.random(reader.size) < pop.reply * self.state.engagement[reader]
            wants = self.state.leadership.wants_reply(reader, wants)
            reply, paid = afford(reader, wants, pop.time_reply, self.state.budget)
            self.state.budget -= paid
            t.spent += paid
            to, by = writer[reply], reader[reply]
            values = self.state.beliefs[by] * (said[reply] != 0)  # its view on what it was told
            self.state.replies.append((REPLY, by, to, values))
            t.active[by] = True
            t.on_platform[by] = True
            answered |= reply
        self.state.votes = np.zeros(self.n_nodes, dtype=np.int64)
        if reader.size and cfg.regime.voting:
            # A reader endorses a post that fits what it knows: more agreements than not.
            agree = (self.state.beliefs[reader] * said).astype(np.float32) @ ones32(m) > 0
            wants = agree & (rng.random(reader.size) < self.state.engagement[reader])
            vote, paid = afford(reader, wants, pop.time_vote, self.state.budget)
            self.state.budget -= paid
            t.spent += paid
            # A vote is a click on a platform: sent and delivered in the same step.
            n_votes = int(np.count_nonzero(vote))
            t.sent += n_votes
            t.sent_by_kind[KINDS.index("vote")] += n_votes
            t.delivered += n_votes
            self.state.votes = np.bincount(writer[vote], minlength=self.n_nodes)
            t.received += self.state.votes
            t.active[reader[vote]] = True
            t.on_platform[reader[vote]] = True
            if mech.votes_as_heard:
                heard[writer[vote]] = True
                answered |= vote
        ignored = np.zeros(self.n_nodes, dtype=bool)
        ignored[writer[~answered]] = True
        ignored[self.state.lost_posts] = True
        return ignored

    def _answer_ideas(self) -> np.ndarray:
        """The organization answers a share ``responsiveness`` of the ideas it read (the answers
        go out next step and take its attention then); returns who had an idea end unanswered:
        read and not answered, or lost on the way."""
        cfg, t = self.state.cfg, self.state.tally
        ideas = self.state.parts[VOICE]
        t.ideas_read += len(ideas)
        ignored = np.zeros(self.n_nodes, dtype=bool)
        self.state.answer_load = np.zeros(cfg.org.count)
        if len(ideas):
            rate = self.state.adaptation.rates(cfg, "responsiveness")  # each organization's own
            answer = (
                self.rng.random(len(ideas)) < rate[-ideas.target - 1]
                if (rate > 0).any()
                else np.zeros(len(ideas), dtype=bool)
            )
            t.answered += int(np.count_nonzero(answer))
            if answer.any():
                org = ideas.target[answer]  # the organization that read it (a negative id)
                dims = (ideas.values[answer] != 0).astype(np.int8)
                self.state.answers.append((org, ideas.origin[answer], dims))
                self.state.answer_load = np.bincount(-org - 1, minlength=cfg.org.count)
            ignored[ideas.origin[~answer]] = True
        ignored[self.state.lost_ideas] = True
        return ignored

    def _clear_broadcasts(self, code_tallies: Callable[[], tuple[np.ndarray, ...]]) -> np.ndarray:
        """Who read a broadcast that is right on most of what it has seen first hand (and
        spoke about any of it): the organization's word makes sense of one's experience."""
        b = self.state.parts[BROADCAST]
        clear = np.zeros(self.n_nodes, dtype=bool)
        if len(b):
            cfg = self.state.cfg
            if cfg.org.count == 1 and cfg.hierarchy.routing == "direct":
                # One organization broadcasting directly sends its code unchanged (the code
                # learns only after this phase): the code's tallies, read at the readers.
                right, spoken, _ = code_tallies()
                share, judged = share_of(right[b.target], spoken[b.target])
            else:
                share, judged = share_right(b.values, self.state.seen[b.target], both=True)
            clear[b.target[judged & (share > 0.5)]] = True
        return clear

    def _assess_trust(
        self,
        answered: np.ndarray,
        ignored: np.ndarray,
        code_tallies: Callable[[], tuple[np.ndarray, ...]],
    ) -> None:
        """Trust moves towards the mean of ability, benevolence and integrity, each judged
        where the agent has evidence (Mayer, Davis & Schoorman 1995) and while its mechanism
        is on."""
        pop, mech = self.state.cfg.population, self.state.cfg.mechanisms
        # Benevolence: the decayed record of one's ideas answered or acted on vs ignored.
        self.state.ideas_heard *= pop.memory
        self.state.ideas_ignored *= pop.memory
        heard = np.concatenate([answered, self.state.adopted])
        if heard.size:
            self.state.ideas_heard += np.bincount(heard, minlength=self.n_nodes)
        self.state.ideas_ignored += ignored
        if pop.trust_rate <= 0:
            return
        factors = []
        if mech.benevolence:
            record = self.state.ideas_heard + self.state.ideas_ignored
            factors.append((self.state.ideas_heard / np.maximum(record, 1e-12), record > 1e-6))
        if mech.ability and self.state.cfg.org.count == 1:
            right, _, looked = code_tallies()
            factors.append(share_of(right, looked))
        elif mech.ability:
            factors.append(share_right(self.state.code[self.state.node_org], self.state.seen))
        if mech.integrity:
            factors.append(
                self.state.authenticity.integrity(
                    self.state.cfg,
                    *share_right(self.state.told, self.state.seen, both=True),
                    self.state.ideas_heard,
                    self.state.ideas_ignored,
                )
            )
        if not factors:
            return
        target, judged = trust_target(*factors)
        self.state.trust = move_towards(self.state.trust, target, pop.trust_rate, judged)

    # 7 -------------------------------------------------------------------
    def learn(self) -> None:
        """The code learns from the superior group among the ideas it considers (March 1991)."""
        cfg, rng, t = self.state.cfg, self.rng, self.state.tally
        regime, m = cfg.regime, cfg.environment.dims
        listening = regime.listening
        assert listening is not None  # resolve_regime fills every practice
        voice = self.state.parts[VOICE]  # ideas read by the organizations
        reality = self.state.reality.astype(np.float32)
        adopted = []
        for o in range(cfg.org.count):
            code = self.state.code[o]
            if self.wiring.observe:
                # March's idealisation: the code sees every member's actions, and each member
                # is scored on every dimension against the code.
                origin = self.wiring.members_of[o]
                contrib = self.state.actions[origin]
                code_score = float(code.astype(np.float32) @ reality)
                superior = contrib.astype(np.float32) @ reality > code_score
            else:
                heard = voice if cfg.org.count == 1 else voice.take(voice.target == org_node(o))
                origin, contrib = heard.origin, heard.values
                superior = superior_ideas(contrib, code, self.state.reality)
            t.ideas_considered += origin.size
            origin, contrib, superior = self._with_leader_finding(o, origin, contrib, superior)
            weight = superior.astype(float)
            if regime.voting:
                weight *= 1 + self.state.votes[origin]
            new_code, changed = learn_code(code, contrib, weight, listening, rng.random(m))
            if regime.decision == "vote":
                new_code, changed = self._decide(code, new_code, changed, contrib, origin)
            if changed.any():
                adopted.append(self._credit(o, code, new_code, changed, contrib, weight, origin))
            self.state.code[o] = new_code
        self.state.adopted = np.concatenate(adopted) if adopted else _NOBODY
        t.ideas_adopted += self.state.adopted.size
        self._track_adaptation()

    def _decide(self, code, new_code, changed, contrib, origin):
        """Under ``regime.decision=vote`` a change stands only if the votes behind the ideas
        about it ratify it (sim.rules.decisions)."""
        passed = ratify(
            changed, new_code, contrib, self.state.votes[origin], self.state.cfg.regime.quorum
        )
        self.state.tally.decisions_by_vote += int(np.count_nonzero(passed))
        return np.where(passed, new_code, code).astype(code.dtype), passed

    def _with_leader_finding(self, o, origin, contrib, superior):
        """The ideas organization ``o`` considers, plus what its leadership found first hand
        this step (one dimension, its true value), credited to the top of its tree."""
        if self.state.leader_found is None:
            return origin, contrib, superior
        orgs, dims = self.state.leader_found
        at = np.flatnonzero(orgs == o)
        if not at.size:
            return origin, contrib, superior
        finding = np.zeros((1, contrib.shape[1]), dtype=np.int8)
        d = dims[at[0]]
        finding[0, d] = self.state.reality[d]
        better = superior_ideas(finding, self.state.code[o], self.state.reality)
        return (
            np.concatenate([origin, self.wiring.org_root[o : o + 1]]),
            np.concatenate([contrib, finding]),
            np.concatenate([superior, better]),
        )

    def _track_adaptation(self) -> None:
        """Spells of adaptation that end now: the code is right again on a dimension that
        reality flipped away from it (its lag: steps since the flip; 0 within that step)."""
        pending = self.state.wrong_since >= 0
        if not pending.any():
            return
        done = pending & (self.state.code == self.state.reality)
        if done.any():
            self.state.lag_sum += int(
                np.add.reduce(self.current_step - self.state.wrong_since[done])
            )
            self.state.lag_count += int(np.count_nonzero(done))
            self.state.wrong_since[done] = -1

    def _credit(self, o, old_code, new_code, changed, contrib, weight, origin) -> np.ndarray:
        """Count innovations and who contributed to each change; return the adopted ideas'
        origins (one per idea that supported a change)."""
        dims = changed.nonzero()[0]
        agrees = (contrib[:, dims] == new_code[dims]) & (weight[:, None] > 0)
        correct = new_code[dims] == self.state.reality[dims]
        below = self.wiring.below[origin]
        # Independent origins per changed dimension: units, the leadership, the stakeholders.
        origins = count_origins(self.wiring.origin_group[origin], agrees, self.wiring.n_groups)
        from_below = (weight * below) @ agrees
        from_top = (weight * ~below) @ agrees
        n_correct = int(np.count_nonzero(correct))
        self.state.code_changes[o] += dims.size
        self.state.cocreated[o] += int(np.count_nonzero(origins >= 2))
        self.state.innovations[o] += n_correct
        self.state.innovations_net[o] += 2 * n_correct - dims.size
        self.state.innovations_bottom_up[o] += int(
            np.count_nonzero(correct & (from_below > from_top))
        )
        return origin[agrees.any(1)]

    # 8 -------------------------------------------------------------------
    def serve_stakeholders(self) -> None:
        k = self.state.n_stakeholders
        if not k:
            return
        cfg, n = self.state.cfg, self.state.n_individuals
        org = self.stakeholder_org
        # Satisfaction from every organization at once: with one organization, no gathers.
        fits = fit_to_each_org(
            self.state.needs32, self.state.code, self.state.reality, self.state.need_count
        )
        self.state.satisfaction = fits[:, 0] if cfg.org.count == 1 else fits[np.arange(k), org]
        # Value received (sim.rules.economy; the satisfaction while value.economy is off).
        self.state.value += self.state.economy.step(
            cfg,
            self.state.satisfaction,
            self.state.adopted,
            n,
            org,
            self.state.ideas_heard[n:],
            self.state.ideas_ignored[n:],
        )
        if cfg.org.count > 1 and cfg.stakeholders.switching > 0:
            unserved = self.state.satisfaction < cfg.stakeholders.threshold
            # Who switches goes where it is offered most (its fit while value.economy is off).
            new = choose_switch(
                org,
                self.state.economy.offers(fits),
                unserved,
                self.rng.random(k),
                cfg.stakeholders.switching,
            )
            moved = np.flatnonzero(new != org)
            if moved.size:
                self.state.node_org[n + moved] = new[moved]
                self._retie(moved)
                self._derive()

    def _retie(self, moved: np.ndarray) -> None:
        """Stakeholders who switched lose their old frontline ties and get new ones."""
        net, n = self.state.network, self.state.n_individuals
        nodes = n + moved
        keep = ~((net.edge_type == EXTERNAL) & np.isin(net.edges[:, 1], nodes))
        fl = net.frontline
        u, v = external_ties(
            fl,
            net.tree.org[fl],
            self.state.node_org[nodes],
            self.state.cfg.openness.external * self.state.cfg.network.external_degree,
            n,
            self.rng,
        )
        v = nodes[v - n]
        edges = np.concatenate([net.edges[keep], np.stack([u, v], axis=1)])
        types = np.concatenate([net.edge_type[keep], np.full(u.size, EXTERNAL, np.int8)])
        self.state.network = net.with_edges(edges, types)

    # 8b ------------------------------------------------------------------
    def adapt(self) -> None:
        """Every ``org.review`` steps, under ``org.adapt=on``, one practice moves towards what
        raised the organization's objective (sim.rules.adapt)."""
        cfg = self.state.cfg
        if cfg.org.adapt != "on":
            return
        objective: np.ndarray | list[float]
        if cfg.org.objective == "value":  # each organization's own objective
            objective = self.state.economy.kept.astype(float)
        else:
            objective = [float(self.state.engagement[m].mean()) for m in self.wiring.members_of]
        new = self.state.adaptation.step(cfg, objective)
        if new is not None:
            self.state.cfg = new

    # 9 -------------------------------------------------------------------
    def measure(self) -> None:
        row: dict[str, float] = {"step": self.current_step}
        row.update(metrics.measure(self.state))
        self.records.append(row)
        self.datacollector.collect(self)  # Mesa's table reads the row just measured
        self.running = self.current_step < self.state.cfg.steps  # mesa.batch_run stops here
        if self.state.cfg.org.count > 1:
            for o in range(self.state.cfg.org.count):
                self.org_records.append(
                    {"step": self.current_step, "org": o, **metrics.measure_org(self.state, o)}
                )

    def metrics_frame(self):
        """The metrics so far as a pandas DataFrame, one row per step."""
        import pandas as pd

        return pd.DataFrame.from_records(self.records)

    def org_metrics_frame(self):
        """Per-organization metrics (only with several organizations), one row per step and org."""
        import pandas as pd

        return pd.DataFrame.from_records(
            self.org_records, columns=["step", "org", *metrics.ORG_METRIC_NAMES]
        )


# Every field of the state is also an attribute of the model (model.beliefs is
# model.state.beliefs), read and written through; but ``step``, Mesa's method, whose count
# is ``current_step``.
for _field in fields(State):
    if _field.name == "step":
        continue
    if hasattr(AgoraModel, _field.name):  # a field must not shadow a method of the model
        raise TypeError(f"State.{_field.name} shadows AgoraModel.{_field.name}")
    setattr(AgoraModel, _field.name, _in_state(_field.name))
