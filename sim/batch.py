"""Replicates batched: R replicates of one configuration stepped as one array program.

:func:`run_batch` builds each replicate as the Mesa model does (``AgoraModel(cfg, seed=s)``:
the same setup draws, the same network), then stacks the replicates' worlds one after
another (world ``w`` holds nodes ``w * N`` to ``(w + 1) * N - 1``, its members first, and its
organization is organization ``w``) and steps them together: each phase is the model's phase
(:class:`sim.model.AgoraModel`), made of the same rule functions, on arrays R times longer.

**Seed for seed.** Every random number is drawn from its own replicate's Generator, in the
order the model draws it (:class:`Streams`), so a batched replicate is the model's replicate
exactly: the same metrics, to the bit, and any row still re-runs with
``AgoraModel(cfg, seed=row.seed)``. ``tests/test_batch.py`` checks this over every kind of
configuration the batch runs. Each world's metrics are measured by :func:`sim.rules.metrics.
measure` on that replicate's own state, whose arrays are views of the batch's.

**What it runs** (:func:`batchable`): one organization per world, March's additive reality,
the majority peer rule, direct broadcast routing (ideas may still go up the chain), no
interventions, practices that do not adapt, the platform as everyone's, leaders who do not
take part, no economy, no opinions, decisions by the leadership, and not March's own model
(which has its kernel, :mod:`sim.march`). Anything else runs one replicate at a time.

Examples
--------
>>> from sim.config import to_config
>>> cfg = to_config({"org": {"size": 30}, "stakeholders": {"count": 5}, "steps": 3})
>>> batchable(cfg)
True
>>> table = run_batch(cfg, [11, 12])
>>> table.shape[0], table["replicate"].unique().tolist()
(8, [0, 1])
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.config import AgoraConfig
from sim.config.engines import is_march
from sim.model import AgoraModel
from sim.rules import metrics
from sim.rules.authenticity import Authenticity
from sim.rules.budget import EPS, afford, reading_capacity
from sim.rules.feedback import (
    move_towards,
    share_of,
    share_right,
    share_tallies,
    trust_target,
    update_engagement,
)
from sim.rules.influence import peer_candidates, peer_majority, sum_by_receiver
from sim.rules.learning import (
    assign_where,
    count_origins,
    learn_code,
    random_beliefs,
    socialization_candidates,
    socialize,
    superior_ideas,
)
from sim.rules.messages import BROADCAST, KINDS, POST, REPLY, VOICE, Messages, org_node
from sim.rules.routing import first_hop, up_one
from sim.rules.state import State
from sim.util.constants import ones32
from sim.util.seeding import skip_uniforms

__all__ = ["Streams", "batchable", "refusals", "run_batch"]

_NOBODY = np.zeros(0, dtype=np.int64)


def refusals(cfg: AgoraConfig) -> list[str]:
    """Why ``cfg`` cannot run batched (empty: it can), one plain reason per setting."""
    pop = cfg.population
    checks = [
        (cfg.org.count == 1, "several organizations (stakeholders may switch between them)"),
        (cfg.environment.landscape == "additive", "an NK task (one landscape per world)"),
        (pop.opinion == "off", "the opinion mode"),
        (pop.peer_rule == "majority", f"the peer rule {pop.peer_rule}"),
        (pop.audience == "one", "posts to every neighbour"),
        (cfg.hierarchy.routing == "direct", f"{cfg.hierarchy.routing} broadcast routing"),
        (cfg.regime.upward != "observe", "the code observing members (March's idealisation)"),
        (cfg.regime.decision == "leaders", "decisions by vote"),
        (not cfg.interventions, "interventions"),
        (cfg.org.adapt == "off", "practices that adapt"),
        (cfg.platform.rollout == "everyone", "a platform that members adopt"),
        (cfg.leadership.participation == 0, "leaders taking part"),
        (not cfg.value.economy, "the economy"),
        (not is_march(cfg), "March's own model (its kernel: sim.march)"),
    ]
    return [reason for ok, reason in checks if not ok]


def batchable(cfg: AgoraConfig) -> bool:
    """Whether ``cfg`` runs batched (:func:`refusals` has no reason against it)."""
    return not refusals(cfg)


class Streams:
    """One Generator per world, each drawn in the order its own model would draw.

    Draws for elements tagged by world come from that world's Generator, in element order
    within the world: the numbers the model of that world draws for the same elements.

    >>> s = Streams([np.random.default_rng(1), np.random.default_rng(2)])
    >>> u = s.for_elements(np.array([1, 0, 1]))
    >>> bool(u[0] == np.random.default_rng(2).random(2)[0])
    True
    """

    def __init__(self, generators: list[np.random.Generator]) -> None:
        self.generators = generators
        self.worlds = len(generators)

    def each(self, shape) -> np.ndarray:
        """``shape`` uniforms from every world, stacked: ``(R, *shape)``."""
        return np.stack([g.random(shape) for g in self.generators])

    def by_count(self, counts: np.ndarray, cols: int | None = None) -> np.ndarray:
        """``counts[w]`` uniforms (rows of ``cols``) from world ``w``, worlds in order."""
        shape = (lambda c: c) if cols is None else (lambda c: (c, cols))
        parts = [g.random(shape(int(c))) for g, c in zip(self.generators, counts, strict=True)]
        return np.concatenate(parts)

    def for_elements(self, world: np.ndarray, cols: int | None = None) -> np.ndarray:
        """One uniform (or row of ``cols``) per element, from the world ``world[i]`` of
        each, in element order within a world."""
        counts = np.bincount(world, minlength=self.worlds)
        u = self.by_count(counts, cols)
        if world.size < 2 or np.all(world[1:] >= world[:-1]):
            return u
        out = np.empty_like(u)
        out[np.argsort(world, kind="stable")] = u
        return out

    def skip(self, counts: np.ndarray) -> None:
        """Each world's stream moves past ``counts[w]`` uniforms unmade."""
        for g, c in zip(self.generators, counts, strict=True):
            skip_uniforms(g, int(c))


class _Worlds:
    """Where each stacked node lives: its world, and whether it is a member."""

    def __init__(self, R: int, n: int, k: int) -> None:
        self.R, self.n, self.k, self.N = R, n, k, n + k
        local = np.tile(np.arange(self.N), R)
        self.of_node = np.repeat(np.arange(R), self.N)
        self.member = local < n
        self.members = self.member.nonzero()[0]
        self.stakeholders = (~self.member).nonzero()[0]

    def of(self, ids: np.ndarray) -> np.ndarray:
        """The world of node ids (organization ids, negative, are worlds' own)."""
        return np.where(ids >= 0, self.of_node[np.maximum(ids, 0)], -ids - 1)

    def count(self, ids: np.ndarray, weights=None) -> np.ndarray:
        """How many of ``ids`` (or their ``weights``) fall in each world."""
        return np.bincount(self.of(ids), weights, minlength=self.R)


class _Tallies:
    """This step's counts per world (``(R,)`` each) beside the tally's per-node arrays."""

    SCALARS = (
        "sent",
        "delivered",
        "dropped",
        "filtered",
        "relayed",
        "peer_inside",
        "peer_across",
        "ideas_read",
        "ideas_considered",
        "ideas_adopted",
        "answered",
        "decisions_by_vote",
    )

    def __init__(self, R: int, nodes: int) -> None:
        for name in self.SCALARS:
            setattr(self, name, np.zeros(R, dtype=np.int64))
        self.sent_by_kind = np.zeros((R, len(KINDS)), dtype=np.int64)
        self.reached = np.zeros(nodes, dtype=bool)
        self.active = np.zeros(nodes, dtype=bool)
        self.on_platform = np.zeros(nodes, dtype=bool)
        self.received = np.zeros(nodes, dtype=np.int64)
        self.read = np.zeros(nodes, dtype=np.int64)
        self.peer_received = np.zeros(nodes, dtype=np.int64)
        self.spent = np.zeros(nodes)
        self.overloaded = np.zeros(nodes, dtype=bool)


# Per-node arrays of the state that the batch stacks (each replicate's state keeps a view).
_NODE_FIELDS = ("beliefs", "seen", "told", "engagement", "trust", "ideas_heard", "ideas_ignored")
_ORG_FIELDS = ("code", "code_changes", "innovations", "innovations_net", "innovations_bottom_up")
_ORG_FIELDS += ("cocreated",)
_STAKEHOLDER_FIELDS = ("satisfaction", "value")


def run_batch(cfg: AgoraConfig, seeds: list[int], chunk: int = 64) -> pd.DataFrame:
    """Run every seed of a :func:`batchable` ``cfg``; metrics in :func:`sim.simulate`'s
    layout (``replicate``, ``seed``, ``step``, the metrics), ``chunk`` replicates at a time."""
    frames = []
    for first in range(0, len(seeds), chunk):
        batch = Batch(cfg, seeds[first : first + chunk])
        batch.run(cfg.steps)
        for w, model in enumerate(batch.models):
            table = model.metrics_frame()
            table.insert(0, "seed", np.int64(model.seed))
            table.insert(0, "replicate", first + w)
            frames.append(table)
    return pd.concat(frames, ignore_index=True)


class Batch:
    """R replicates of ``cfg`` (one per seed), stacked and stepped as one (see the module).

    ``models`` are the replicates' Mesa models as set up; their states' arrays are views of
    the batch's, so each model's records are its replicate's metrics, step by step.
    """

    def __init__(self, cfg: AgoraConfig, seeds: list[int]) -> None:
        reasons = refusals(cfg)
        if reasons:
            raise ValueError("not batchable: " + "; ".join(reasons))
        self.models = [AgoraModel(cfg, seed=s) for s in seeds]
        self.states: list[State] = [m.state for m in self.models]
        first = self.states[0]
        self.cfg, self.step_count = first.cfg, 0
        self.W = _Worlds(len(seeds), first.n_individuals, first.n_stakeholders)
        self.m = cfg.environment.dims
        self.streams = Streams([m.rng for m in self.models])
        self._stack_state()
        self._stack_wiring()

    # ------------------------------------------------------------------ stacking

    def _stack(self, name: str, per: int) -> np.ndarray:
        """The states' ``name`` arrays as one, each state keeping a view of its rows."""
        whole = np.concatenate([getattr(s, name) for s in self.states])
        for w, s in enumerate(self.states):
            setattr(s, name, whole[w * per : (w + 1) * per])
        return whole

    def _stack_state(self) -> None:
        W, first = self.W, self.states[0]
        for name in _NODE_FIELDS:
            setattr(self, name, self._stack(name, W.N))
        for name in _ORG_FIELDS:
            setattr(self, name, self._stack(name, 1))
        for name in _STAKEHOLDER_FIELDS:
            setattr(self, name, self._stack(name, W.k))
        self.reality = np.stack([s.reality for s in self.states])
        for w, s in enumerate(self.states):
            s.reality = self.reality[w]
        self.needs = np.concatenate([s.needs for s in self.states])
        self.needs32 = self.needs.astype(np.float32)
        self.need_count = np.concatenate([s.need_count for s in self.states])
        self.need_order = np.concatenate([s.need_order for s in self.states])
        self.authenticity = Authenticity(W.R * W.N)
        for name in ("claimed", "voiced"):
            whole = np.concatenate([getattr(s.authenticity, name) for s in self.states])
            setattr(self.authenticity, name, whole)
            for w, s in enumerate(self.states):
                setattr(s.authenticity, name, whole[w * W.N : (w + 1) * W.N])
        self.wrong_since = np.concatenate([s.wrong_since for s in self.states])
        self.lag_sum = np.zeros(W.R, dtype=np.int64)
        self.lag_count = np.zeros(W.R, dtype=np.int64)
        self.votes = np.zeros(W.R * W.N, dtype=np.int64)
        self.previous_votes = self.votes
        self.in_flight = Messages.empty(self.m)
        self.replies: list = []
        self.answers: list = []
        self.adopted = _NOBODY
        self.answer_load = np.zeros(W.R)
        self.budget = np.full(W.R * W.N, np.inf)
        self.tally = _Tallies(W.R, W.R * W.N)
        self.parts = Messages.empty(self.m).by_kind()
        self.lost_posts = self.lost_ideas = _NOBODY
        self.leader_found: tuple[np.ndarray, np.ndarray] | None = None
        assert first.step == 0

    def _stack_wiring(self) -> None:
        W, wirings = self.W, [m.wiring for m in self.models]
        offsets = np.arange(W.R) * W.N

        def nodes(name):
            return np.concatenate([getattr(x, name)[: W.N] for x in wirings])

        def shifted(arrays):
            return np.concatenate([a + off for a, off in zip(arrays, offsets, strict=True)])

        self.capacity = np.concatenate([nodes("capacity"), [x.capacity[W.N] for x in wirings]])
        self.broadcast_to = shifted([x.broadcast_to for x in wirings])
        self.broadcast_org = W.of_node[self.broadcast_to]
        self.can_post = nodes("can_post")
        self.unit_of_node = nodes("unit_of_node")
        self.below = nodes("below")
        self.may_voice = nodes("may_voice")
        self.socialization = nodes("socialization")
        self.up_chain = None if wirings[0].up_chain is None else nodes("up_chain")
        # The next node up the chain for every node (-1: the organization, stakeholders too).
        self.chain_up = np.full(W.R * W.N, -1, dtype=np.int64)
        for w, x in enumerate(wirings):
            up = x.chain_up
            self.chain_up[offsets[w] : offsets[w] + up.size] = np.where(
                up >= 0, up + offsets[w], -1
            )
        self.org_root = np.array(
            [
                x.org_root[0] + off if x.org_root[0] >= 0 else -1
                for x, off in zip(wirings, offsets, strict=True)
            ]
        )
        self.origin_group = [x.origin_group for x in wirings]
        self.n_groups = [x.n_groups for x in wirings]
        self.timed, self.budgeted = wirings[0].timed, wirings[0].budgeted
        nets = [s.network for s in self.states]
        self.degree = np.concatenate([net.degree() for net in nets])
        self.indices = shifted([net.indices for net in nets])
        ends = np.cumsum([0] + [net.indices.size for net in nets])
        self.indptr = np.concatenate(
            [net.indptr[:-1] + ends[w] for w, net in enumerate(nets)] + [ends[-1:]]
        )

    # ------------------------------------------------------------------ the step

    def run(self, steps: int) -> None:
        for _ in range(steps):
            self.step()

    def step(self) -> None:
        """One step of every world, phase by phase as :meth:`AgoraModel.step`."""
        self.step_count += 1
        self.tally = _Tallies(self.W.R, self.W.R * self.W.N)
        self.environment()
        self.experience()
        outbox = self.speak()
        self.route(outbox)
        self.listen()
        self.respond()
        self.learn()
        self.serve_stakeholders()
        self.measure()

    # 1 -------------------------------------------------------------------
    def environment(self) -> None:
        W, m, pop = self.W, self.m, self.cfg.population
        if pop.turnover > 0:
            leaving = self.streams.each(W.n).reshape(-1) < pop.turnover
            leave = W.members[leaving]
            self.beliefs[leave] = random_beliefs(self.streams.for_elements(W.of_node[leave], m))
            self.engagement[leave] = pop.engagement
            self.trust[leave] = pop.trust
            self.seen[leave] = 0
            self.told[leave] = 0
            self.ideas_heard[leave] = 0
            self.ideas_ignored[leave] = 0
            self.authenticity.newcomers(leave)
        if self.cfg.environment.turbulence > 0:
            flip = self.streams.each(m) < self.cfg.environment.turbulence
            if flip.any():
                was_right = flip & (self.code == self.reality)
                self.wrong_since[was_right] = self.step_count
            self.reality[flip] *= -1

    # 2 -------------------------------------------------------------------
    def experience(self) -> None:
        W, m = self.W, self.m
        p = self.cfg.population.exploration
        if p > 0 and W.n:
            who = self.streams.each(W.n) < p
            dim = (self.streams.each(W.n) * m).astype(np.int64)
            rows = who.reshape(-1).nonzero()[0]
            node, dims = W.members[rows], dim.reshape(-1)[rows]
            truth = self.reality[W.of_node[node], dims]
            self.beliefs[node, dims] = truth
            self.seen[node, dims] = truth
        if W.k:
            # Stakeholders see their needs' truth, world by world (views of the stacked rows).
            truth = self.reality[:, None, :]
            needs = self.needs.reshape(W.R, W.k, self.m)
            for name in ("beliefs", "seen"):
                assign_where(getattr(self, name).reshape(W.R, W.N, self.m)[:, W.n :], truth, needs)
        self._explore_leadership()

    def _explore_leadership(self) -> None:
        p, m = self.cfg.org.exploration, self.m
        self.leader_found = None
        if p <= 0:
            return
        u = self.streams.each((2, 1))[:, :, 0]
        found = (u[:, 0] < p) & (self.org_root >= 0)
        if not (found.any() and self.cfg.mechanisms.leader_exploration):
            return
        orgs = found.nonzero()[0]
        dims = (u[orgs, 1] * m).astype(np.int64)
        root = self.org_root[orgs]
        self.beliefs[root, dims] = self.reality[orgs, dims]
        self.seen[root, dims] = self.reality[orgs, dims]
        self.leader_found = (orgs, dims)

    # 3 -------------------------------------------------------------------
    def speak(self) -> Messages:
        """Broadcasts, posts, last step's replies and answers, ideas: one outbox in kind
        order (within each kind, world after world)."""
        W = self.W
        silent = self.beliefs[W.members] == 0
        # Actions are drawn only where the code observes them (not batched): skipped here.
        self.streams.skip(np.count_nonzero(silent.reshape(W.R, -1), axis=1))
        broadcasts = self._broadcasts()
        posters, readers = self._posters()
        voicers = self._voicers()
        said = self._say(np.concatenate([posters, voicers]))
        posting, voicing = self._pay_for_speaking(posters, voicers)
        said = np.concatenate([said[: posters.size][posting], said[posters.size :][voicing]])
        posters, readers, voicers = posters[posting], readers[posting], voicers[voicing]
        t = self.tally
        t.active[posters] = True
        t.on_platform[posters] = True
        self.authenticity.voiced[voicers] = True
        t.active[voicers] = True
        replies, self.replies = self.replies, []
        answers, self.answers = self.answers, []
        composed = [(REPLY, org, to, self.code[-org - 1] * dims) for org, to, dims in answers]
        return Messages.assemble(
            self.step_count,
            [
                broadcasts,
                (POST, posters, readers, said[: posters.size]),
                *replies,
                *composed,
                (VOICE, voicers, org_node(W.of_node[voicers]), said[posters.size :]),
            ],
        )

    def _broadcasts(self):
        to, org = self.broadcast_to, self.broadcast_org
        rate = self.cfg.regime.broadcast_rate
        assert rate is not None  # resolve_regime fills every practice
        if rate < 1:
            speaking = (
                self.streams.each(1)[:, 0] < rate if rate > 0 else np.zeros(self.W.R, dtype=bool)
            )
            keep = speaking[org]
            to, org = to[keep], org[keep]
        return BROADCAST, org_node(org), to, self.code[org]

    def _posters(self) -> tuple[np.ndarray, np.ndarray]:
        talk = self.cfg.population.talk
        if talk <= 0:
            return _NOBODY, _NOBODY
        posting = self.streams.each(self.W.N).reshape(-1) < self.engagement * talk
        who = (posting & self.can_post).nonzero()[0]
        pick = (self.streams.for_elements(self.W.of_node[who]) * self.degree[who]).astype(np.int64)
        return who, self.indices[self.indptr[who] + pick]

    def _voicers(self) -> np.ndarray:
        p = self.cfg.population.voice
        if p <= 0:
            return _NOBODY
        voicing = self.streams.each(self.W.N).reshape(-1) < self.engagement * p * 1.0
        return (voicing & self.may_voice).nonzero()[0]

    def _say(self, who: np.ndarray) -> np.ndarray:
        """The majority rule's words (:meth:`sim.rules.modes.MajorityRule.say`): each
        speaker's beliefs on ``post_dims`` random dimensions (a stakeholder: ones it needs)."""
        W, m, k = self.W, self.m, self.cfg.population.post_dims
        u = self.streams.for_elements(W.of_node[who], k)
        dims = (u * m).astype(np.int64)
        outside = ~W.member[who]
        if outside.any():
            rows = outside.nonzero()[0]
            s = W.of_node[who[rows]] * W.k + (who[rows] % W.N - W.n)  # stacked stakeholder
            pick = (u[rows] * self.need_count[s, None]).astype(np.int64)
            dims[rows] = self.need_order.reshape(-1)[(s * m)[:, None] + pick]
        values = np.zeros((who.size, m), dtype=np.int8)
        values.reshape(-1)[(np.arange(0, who.size * m, m)[:, None] + dims).reshape(-1)] = (
            self.beliefs.reshape(-1)[((who * m)[:, None] + dims).reshape(-1)]
        )
        return values

    def _pay_for_speaking(self, posters, voicers) -> tuple[np.ndarray, np.ndarray]:
        pop, t, nodes = self.cfg.population, self.tally, self.W.R * self.W.N
        self.budget = budget = np.full(nodes, pop.time if self.budgeted else np.inf)
        poster = np.zeros(nodes, dtype=bool)
        poster[posters] = True
        poster &= budget >= pop.time_post - EPS
        budget -= poster * pop.time_post
        voice = budget[voicers] >= pop.time_voice - EPS
        budget[voicers[voice]] -= pop.time_voice
        t.spent += poster * pop.time_post
        t.spent[voicers[voice]] += pop.time_voice
        return poster[posters], voice

    # 4 -------------------------------------------------------------------
    def route(self, new: Messages) -> None:
        """Direct routing (:func:`sim.rules.routing.route`): ideas up the chain move one hop,
        relays pass them on or lose them, and each receiver reads what its attention allows,
        with each world's draws from its own stream."""
        W, cfg, t = self.W, self.cfg, self.tally
        hop = cfg.hierarchy
        moving, arrive = [new], [first_hop(new, self.chain_up, W.of_node, self.up_chain)]
        lost = [_NOBODY]
        in_flight = self.in_flight
        if len(in_flight):
            world = W.of(in_flight.sender)
            ok = np.ones(len(in_flight), dtype=bool)
            if hop.relay < 1:
                ok = self.streams.for_elements(world) < hop.relay
            if hop.distortion > 0 and ok.any():
                kept = self.streams.for_elements(world[ok], self.m) >= hop.distortion
                values = in_flight.values.copy()
                values[ok] *= kept
                in_flight = in_flight.replace(values=values)
            t.relayed += np.bincount(world, minlength=W.R)
            t.filtered += np.bincount(world[~ok], minlength=W.R)
            lost.append(in_flight.origin[~ok & (in_flight.kind == VOICE)])
            passed = in_flight.take(ok)
            moving.append(passed)
            arrive.append(up_one(passed.holder, self.chain_up, W.of_node))
        msgs = Messages.concat(moving).replace(holder=np.concatenate(arrive))
        t.sent += W.count(new.sender)
        np.add.at(t.sent_by_kind, (W.of(new.sender), new.kind), 1)
        read = self._attention(msgs)
        unread = ~read
        t.dropped += W.count(msgs.sender[unread])
        lost.append(msgs.origin[unread & (msgs.kind == VOICE)])
        self.lost_posts = msgs.sender[unread & (msgs.kind == POST)]
        slot = self._slot(msgs.holder)
        t.overloaded = np.bincount(slot[unread], minlength=self.capacity.size)[: W.R * W.N] > 0
        msgs = msgs.take(read)
        final = msgs.holder == msgs.target
        d, self.in_flight = msgs.take(final), msgs.take(~final)
        self.lost_ideas = np.concatenate(lost)
        self.parts = parts = d.by_kind()
        t.delivered += W.count(d.sender)
        reached = np.bincount(d.target[d.target >= 0], minlength=W.R * W.N)
        t.received += reached
        t.read += reached
        if len(self.in_flight):
            t.read += np.bincount(self.in_flight.holder, minlength=W.R * W.N)
        read_time = t.read * cfg.population.time_read
        t.spent += read_time
        self.budget = self.budget - read_time
        t.reached[parts[BROADCAST].target] = True
        post, reply = parts[POST], parts[REPLY]
        peer_read = np.concatenate([post.target, reply.target[reply.sender >= 0]])
        t.peer_received += np.bincount(peer_read, minlength=W.R * W.N)
        sender = np.concatenate([post.sender, reply.sender])
        target = np.concatenate([post.target, reply.target])
        peer = sender >= 0
        su, tu = self.unit_of_node[sender[peer]], self.unit_of_node[target[peer]]
        in_units, world = (su >= 0) & (tu >= 0), W.of_node[sender[peer]]
        t.peer_inside += np.bincount(world[in_units & (su == tu)], minlength=W.R)
        t.peer_across += np.bincount(world[in_units & (su != tu)], minlength=W.R)

    def _slot(self, holder: np.ndarray) -> np.ndarray:
        """Each holder's reading slot: nodes, then organizations (``capacity``'s order)."""
        nodes = self.W.R * self.W.N
        return np.where(holder < 0, nodes - 1 - holder, holder)

    def _capacity_now(self) -> np.ndarray:
        if not self.budgeted:
            return self.capacity
        nodes, pop = self.W.R * self.W.N, self.cfg.population
        capacity = self.capacity.copy()
        capacity[:nodes] = reading_capacity(capacity[:nodes], self.budget, pop.time_read)
        taken = np.ceil(self.cfg.org.answer_cost * self.answer_load - 1e-9).astype(np.int64)
        capacity[nodes:] = np.maximum(capacity[nodes:] - taken, 0)
        return capacity

    def _attention(self, msgs: Messages) -> np.ndarray:
        """Which arrivals are read (:func:`sim.rules.routing.attention_filter`): tie-breaks
        drawn in the worlds where someone is over its cap (every world while time counts)."""
        W, n = self.W, len(msgs)
        if n == 0:
            return np.ones(0, dtype=bool)
        capacity = self._capacity_now()
        slot = self._slot(msgs.holder)
        load = np.bincount(slot, minlength=capacity.size)
        over_cap = load > capacity
        slot_world = np.concatenate([W.of_node, np.arange(W.R)])
        drawing = np.full(W.R, self.timed)
        drawing[slot_world[over_cap]] = True
        world = slot_world[slot]
        tiebreak = np.zeros(n)
        draws = drawing[world]
        tiebreak[draws] = self.streams.for_elements(world[draws])
        if not over_cap.any():
            return np.ones(n, dtype=bool)
        idx = over_cap[slot].nonzero()[0]
        sub = slot[idx]
        within = tiebreak[idx]
        to_org = msgs.holder < 0
        if self.cfg.regime.voting and to_org.any():
            # Organizations read the most voted first, in the worlds where one is read at all.
            prioritized = np.zeros(W.R, dtype=bool)
            prioritized[world[to_org]] = True
            prio = np.where(to_org, self.previous_votes[np.maximum(msgs.origin, 0)], 0.0)[idx]
            ranked = 0.999999 / (1.0 + np.maximum(prio, 0) + 0.5 * within)
            within = np.where(prioritized[world[idx]], ranked, within)
        order = np.argsort(sub + within, kind="stable")
        rec_sorted = sub[order]
        starts = np.cumsum(np.where(over_cap, load, 0)) - load
        rank = np.arange(idx.size) - starts[rec_sorted]
        keep = np.ones(n, dtype=bool)
        keep[idx[order]] = rank < capacity[rec_sorted]
        return keep

    # 5 -------------------------------------------------------------------
    def listen(self) -> None:
        self._socialize_to_what_was_told()
        self._follow_peers()

    def _socialize_to_what_was_told(self) -> None:
        b, reply = self.parts[BROADCAST], self.parts[REPLY]
        answer = reply.sender < 0
        if not (len(b) or answer.any()):
            return
        mech, m, nodes = self.cfg.mechanisms, self.m, self.W.R * self.W.N
        said = np.zeros((nodes, m), dtype=np.int8)
        said[b.target] = b.values
        from_answer = None
        if answer.any():
            values = reply.values[answer]
            flat = values.reshape(-1).nonzero()[0]
            rows = flat // m
            cell = flat + (reply.target[answer][rows] - rows) * m
            from_answer = np.zeros((nodes, m), dtype=bool)
            from_answer.reshape(-1)[cell] = True
            said.reshape(-1)[cell] = values.reshape(-1)[flat]
        assign_where(self.told, said, said != 0)
        cells = socialization_candidates(self.beliefs, said)
        u = self.streams.by_count(np.count_nonzero(cells.reshape(self.W.R, -1), axis=1))
        if not (mech.broadcast_socialization and mech.answer_learning):
            if from_answer is None:
                on = np.full(said.shape, mech.broadcast_socialization)
            else:
                on = np.where(from_answer, mech.answer_learning, mech.broadcast_socialization)
            u = u[on[cells]]
            cells = cells & on
        rate = self.socialization * self.trust
        self.beliefs[...] = socialize(self.beliefs, said, rate, u, cells)

    def _follow_peers(self) -> None:
        """The majority rule's listening (:func:`sim.rules.influence.follow_peers`)."""
        post, reply = self.parts[POST], self.parts[REPLY]
        influence = self.cfg.population.peer_influence
        if not (len(post) + len(reply) and influence > 0):
            return
        peer = reply.sender >= 0
        receiver = np.concatenate([post.target, reply.target[peer]])
        values = np.concatenate([post.values, reply.values[peer]])
        heard_by = np.zeros(self.W.R * self.W.N, dtype=bool)
        heard_by[receiver] = True
        rows = heard_by.nonzero()[0]
        place = np.cumsum(heard_by, dtype=np.int64) - 1
        heard = sum_by_receiver(place.take(receiver), values, rows.size)
        mine = self.beliefs.take(rows, axis=0)
        cells = peer_candidates(mine, heard)
        counts = np.bincount(self.W.of_node[rows], np.count_nonzero(cells, axis=1), self.W.R)
        u = self.streams.by_count(counts.astype(np.int64))
        self.beliefs[rows] = peer_majority(mine, heard, influence, u, cells)

    # 6 -------------------------------------------------------------------
    def respond(self) -> None:
        """Replies and votes, the organization's answers, then engagement and trust from what
        each agent experienced (:meth:`AgoraModel.respond`)."""
        cfg, t, nodes = self.cfg, self.tally, self.W.R * self.W.N
        pop, mech = cfg.population, cfg.mechanisms
        # Each world's code against what each of its nodes has seen, tallied once.
        self.code_tallies = share_tallies(self.code[self.W.of_node], self.seen)
        heard = np.zeros(nodes, dtype=bool)
        posts_ignored = self._respond_to_posts(heard)
        ideas_ignored = self._answer_ideas()
        reply_to = self.parts[REPLY].target
        heard[reply_to] = True
        heard[self.adopted] = True
        up = pop.engagement_gain * heard if mech.voice_effect else 0.0
        if mech.broadcast_clarity:
            up = up + pop.engagement_clarity * self._clear_broadcasts()
        down = pop.engagement_loss * ideas_ignored if mech.frustration else 0.0
        if mech.frustration and mech.posts_ignored:
            down = down + pop.engagement_loss_post * posts_ignored
        if mech.broadcast_fatigue:
            down = down + pop.engagement_fatigue * t.overloaded
        self.engagement[...] = update_engagement(
            self.engagement, up, down, pop.engagement, 1.0, 1.0, pop.engagement_drift
        )
        self.authenticity.read(cfg, self.parts[BROADCAST].target)
        self._assess_trust(reply_to[self.parts[REPLY].sender < 0], ideas_ignored)
        self.previous_votes = self.votes

    def _respond_to_posts(self, heard: np.ndarray) -> np.ndarray:
        W, cfg, t, nodes = self.W, self.cfg, self.tally, self.W.R * self.W.N
        pop, m = cfg.population, self.m
        post = self.parts[POST]
        writer, reader, said = post.sender, post.target, post.values
        world = W.of_node[reader]
        answered = np.zeros(reader.size, dtype=bool)
        if reader.size and pop.reply > 0:
            wants = self.streams.for_elements(world) < pop.reply * self.engagement[reader]
            reply, paid = afford(reader, wants, pop.time_reply, self.budget)
            self.budget -= paid
            t.spent += paid
            to, by = writer[reply], reader[reply]
            self.replies.append((REPLY, by, to, self.beliefs[by] * (said[reply] != 0)))
            t.active[by] = True
            t.on_platform[by] = True
            answered |= reply
        self.votes = np.zeros(nodes, dtype=np.int64)
        if reader.size and cfg.regime.voting:
            agree = (self.beliefs[reader] * said).astype(np.float32) @ ones32(m) > 0
            wants = agree & (self.streams.for_elements(world) < self.engagement[reader])
            vote, paid = afford(reader, wants, pop.time_vote, self.budget)
            self.budget -= paid
            t.spent += paid
            n_votes = np.bincount(world[vote], minlength=W.R)
            t.sent += n_votes
            t.sent_by_kind[:, KINDS.index("vote")] += n_votes
            t.delivered += n_votes
            self.votes = np.bincount(writer[vote], minlength=nodes)
            t.received += self.votes
            t.active[reader[vote]] = True
            t.on_platform[reader[vote]] = True
            if cfg.mechanisms.votes_as_heard:
                heard[writer[vote]] = True
                answered |= vote
        ignored = np.zeros(nodes, dtype=bool)
        ignored[writer[~answered]] = True
        ignored[self.lost_posts] = True
        return ignored

    def _answer_ideas(self) -> np.ndarray:
        W, t = self.W, self.tally
        ideas = self.parts[VOICE]
        world = W.of(ideas.target)
        t.ideas_read += np.bincount(world, minlength=W.R)
        ignored = np.zeros(W.R * W.N, dtype=bool)
        self.answer_load = np.zeros(W.R)
        if len(ideas):
            rate = self.cfg.regime.responsiveness
            assert rate is not None  # resolve_regime fills every practice
            answer = (
                self.streams.for_elements(world) < rate
                if rate > 0
                else np.zeros(len(ideas), dtype=bool)
            )
            t.answered += np.bincount(world[answer], minlength=W.R)
            if answer.any():
                org = ideas.target[answer]
                dims = (ideas.values[answer] != 0).astype(np.int8)
                self.answers.append((org, ideas.origin[answer], dims))
                self.answer_load = np.bincount(-org - 1, minlength=W.R).astype(float)
            ignored[ideas.origin[~answer]] = True
        ignored[self.lost_ideas] = True
        return ignored

    def _clear_broadcasts(self) -> np.ndarray:
        b = self.parts[BROADCAST]
        clear = np.zeros(self.W.R * self.W.N, dtype=bool)
        if len(b):
            right, spoken, _ = self.code_tallies
            share, judged = share_of(right[b.target], spoken[b.target])
            clear[b.target[judged & (share > 0.5)]] = True
        return clear

    def _assess_trust(self, answered: np.ndarray, ignored: np.ndarray) -> None:
        pop, mech, nodes = self.cfg.population, self.cfg.mechanisms, self.W.R * self.W.N
        self.ideas_heard *= pop.memory
        self.ideas_ignored *= pop.memory
        heard = np.concatenate([answered, self.adopted])
        if heard.size:
            self.ideas_heard += np.bincount(heard, minlength=nodes)
        self.ideas_ignored += ignored
        if pop.trust_rate <= 0:
            return
        factors = []
        if mech.benevolence:
            record = self.ideas_heard + self.ideas_ignored
            factors.append((self.ideas_heard / np.maximum(record, 1e-12), record > 1e-6))
        if mech.ability:
            right, _, looked = self.code_tallies
            factors.append(share_of(right, looked))
        if mech.integrity:
            factors.append(
                self.authenticity.integrity(
                    self.cfg,
                    *share_right(self.told, self.seen, both=True),
                    self.ideas_heard,
                    self.ideas_ignored,
                )
            )
        if not factors:
            return
        target, judged = trust_target(*factors)
        self.trust[...] = move_towards(self.trust, target, pop.trust_rate, judged)

    # 7 -------------------------------------------------------------------
    def learn(self) -> None:
        """Each world's code learns from the superior group it considers (March 1991)."""
        W, cfg, t, m = self.W, self.cfg, self.tally, self.m
        listening = cfg.regime.listening
        assert listening is not None  # resolve_regime fills every practice
        # The ideas grouped by world (in order within each), each world's a slice.
        voice = self.parts[VOICE]
        of_world = W.of(voice.target)
        voice = voice.take(np.argsort(of_world, kind="stable"))
        bounds = np.searchsorted(np.sort(of_world), np.arange(W.R + 1)).tolist()
        adopted = []
        for o, g in enumerate(self.streams.generators):
            code = self.code[o]
            heard = voice.take(slice(bounds[o], bounds[o + 1]))
            origin, contrib = heard.origin, heard.values
            superior = superior_ideas(contrib, code, self.reality[o])
            t.ideas_considered[o] += origin.size
            origin, contrib, superior = self._with_leader_finding(o, origin, contrib, superior)
            weight = superior.astype(float)
            if cfg.regime.voting:
                weight *= 1 + self.votes[origin]
            new_code, changed = learn_code(code, contrib, weight, listening, g.random(m))
            if changed.any():
                adopted.append(self._credit(o, new_code, changed, contrib, weight, origin))
            self.code[o] = new_code
        self.adopted = np.concatenate(adopted) if adopted else _NOBODY
        t.ideas_adopted += W.count(self.adopted)
        self._track_adaptation()

    def _with_leader_finding(self, o, origin, contrib, superior):
        if self.leader_found is None:
            return origin, contrib, superior
        orgs, dims = self.leader_found
        at = np.flatnonzero(orgs == o)
        if not at.size:
            return origin, contrib, superior
        finding = np.zeros((1, self.m), dtype=np.int8)
        d = dims[at[0]]
        finding[0, d] = self.reality[o, d]
        better = superior_ideas(finding, self.code[o], self.reality[o])
        return (
            np.concatenate([origin, self.org_root[o : o + 1]]),
            np.concatenate([contrib, finding]),
            np.concatenate([superior, better]),
        )

    def _credit(self, o, new_code, changed, contrib, weight, origin) -> np.ndarray:
        """:meth:`AgoraModel._credit` for world ``o``."""
        dims = changed.nonzero()[0]
        agrees = (contrib[:, dims] == new_code[dims]) & (weight[:, None] > 0)
        correct = new_code[dims] == self.reality[o, dims]
        below = self.below[origin]
        group = self.origin_group[o][origin - o * self.W.N]
        origins = count_origins(group, agrees, self.n_groups[o])
        from_below = (weight * below) @ agrees
        from_top = (weight * ~below) @ agrees
        n_correct = int(np.count_nonzero(correct))
        self.code_changes[o] += dims.size
        self.cocreated[o] += int(np.count_nonzero(origins >= 2))
        self.innovations[o] += n_correct
        self.innovations_net[o] += 2 * n_correct - dims.size
        self.innovations_bottom_up[o] += int(np.count_nonzero(correct & (from_below > from_top)))
        return origin[agrees.any(1)]

    def _track_adaptation(self) -> None:
        pending = self.wrong_since >= 0
        if not pending.any():
            return
        done = pending & (self.code == self.reality)
        if done.any():
            lags = np.where(done, self.step_count - self.wrong_since, 0)
            self.lag_sum += np.add.reduce(lags, axis=1)
            self.lag_count += np.count_nonzero(done, axis=1)
            self.wrong_since[done] = -1

    # 8 -------------------------------------------------------------------
    def serve_stakeholders(self) -> None:
        """Satisfaction: the share of each stakeholder's needs its world's code gets right
        (:func:`sim.rules.stakeholders.fit_to_each_org`); value received is the satisfaction
        (no economy)."""
        W = self.W
        if not W.k:
            return
        right = (self.code == self.reality).astype(np.float32)
        met = np.matmul(self.needs32.reshape(W.R, W.k, self.m), right[:, :, None])
        self.satisfaction[...] = met.reshape(-1) / self.need_count
        self.value += self.satisfaction

    # 9 -------------------------------------------------------------------
    def measure(self) -> None:
        """Each world's metrics, measured on its own replicate's state (views of the batch)."""
        W, t = self.W, self.tally
        for w, (model, state) in enumerate(zip(self.models, self.states, strict=True)):
            rows = slice(w * W.N, (w + 1) * W.N)
            tw = state.tally
            for name in ("reached", "active", "on_platform", "received", "read"):
                setattr(tw, name, getattr(t, name)[rows])
            for name in ("peer_received", "spent", "overloaded"):
                setattr(tw, name, getattr(t, name)[rows])
            for name in _Tallies.SCALARS:
                setattr(tw, name, int(getattr(t, name)[w]))
            tw.sent_by_kind = t.sent_by_kind[w]
            state.lag_sum, state.lag_count = int(self.lag_sum[w]), int(self.lag_count[w])
            state.step = self.step_count
            model.records.append({"step": self.step_count, **metrics.measure(state)})
