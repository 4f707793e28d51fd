"""Replicates batched: R replicates of one configuration stepped as one array program.

:func:`run_batch` builds each replicate as the Mesa model does (``AgoraModel(cfg, seed=s)``:
the same setup draws, the same network), then stacks the replicates' worlds one after
another (world ``w`` holds nodes ``w * N`` to ``(w + 1) * N - 1``, its members first, and its
organization is organization ``w``) and steps them together: each phase is the model's phase
(:class:`sim.model.AgoraModel`), made of the same rule functions, on arrays R times longer.

**Seed for seed.** Every random number is drawn from its own replicate's Generator, in the
order the model draws it (:class:`sim.util.seeding.Streams`), so a batched replicate is the
model's replicate exactly: the same metrics, to the bit, and any row still re-runs with
``AgoraModel(cfg, seed=row.seed)``. ``tests/test_batch.py`` checks this over every kind of
configuration the batch runs. The metrics of every world are measured at once by the model's
formulas (:func:`sim.rules.metrics.measure_worlds`).

**What it runs** (:func:`batchable`): one organization per world, March's additive reality,
the majority peer rule, broadcasts routed directly (ideas may go up the chain or along the
ties), any platform rollout, practices that do not adapt, leaders who do not take part, no
economy, no opinions, decisions by the leadership, not March's own model
(which has its kernel, :mod:`sim.march`), interventions that change only rules (not the
wiring) to rules of this list, and only the metrics checked world by world
(:data:`sim.rules.metrics.WORLD_METRICS`). Anything else runs one replicate at a time;
:func:`refusals` says why.

**Arms together.** The worlds of one batch may differ in their regime's practices
(:data:`WORLD_PRACTICES`: a study's arms, such as the main job's ends, hybrids and design
points) and in their mechanism switches (:data:`WORLD_MECHANISMS`: the main job's
ablations), each world drawing and measuring under its own; everything else in their
configurations is the same (:func:`shared_part`). :func:`batch_groups` says which of several
configurations step together (both live in :mod:`sim.config.batching`, re-exported here).

Examples
--------
>>> from sim.config import to_config
>>> cfg = to_config({"org": {"size": 30}, "stakeholders": {"count": 5}, "steps": 3})
>>> batchable(cfg)
True
>>> table = run_batch(cfg, [11, 12])
>>> table.shape[0], table["replicate"].unique().tolist()
(8, [0, 1])
>>> arms = [to_config({**c, "regime": {"name": name}}) for c, name in
...         [({"org": {"size": 30}, "stakeholders": {"count": 5}, "steps": 3}, "broadcast"),
...          ({"org": {"size": 30}, "stakeholders": {"count": 5}, "steps": 3}, "conversational")]]
>>> run_batch(arms, [11, 11])["replicate"].unique().tolist()
[0, 1]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import fields
from types import SimpleNamespace

import numpy as np
import pandas as pd

from sim.config import AgoraConfig, to_config
from sim.config.batching import (
    WORLD_MECHANISMS,
    WORLD_PRACTICES,
    batch_groups,
    rule_refusals,
    shared_part,
)
from sim.config.engines import worlds_per_batch
from sim.config.interventions import apply_changes
from sim.model import AgoraModel
from sim.rules import metrics
from sim.rules.authenticity import Authenticity, gap
from sim.rules.budget import afford, capacity_left, pay_for_speaking
from sim.rules.feedback import (
    move_towards,
    share_of,
    share_right,
    share_tallies,
    trust_target,
    update_engagement,
)
from sim.rules.influence import peer_majority, what_peers_said
from sim.rules.learning import (
    assign_where,
    learn_code,
    organization_said,
    random_beliefs,
    socialization_candidates,
    socialize,
    superior_ideas,
)
from sim.rules.messages import BROADCAST, KINDS, POST, REPLY, VOICE, Messages, org_node
from sim.rules.modes import words
from sim.rules.routing import first_hop, read_first, reading_order, up_one
from sim.rules.state import State, Tally
from sim.rules.wiring import Wiring, derive
from sim.util.constants import ones32
from sim.util.seeding import Streams

__all__ = [
    "Batch",
    "WORLD_MECHANISMS",
    "WORLD_PRACTICES",
    "batch_groups",
    "batchable",
    "refusals",
    "run_batch",
    "shared_part",
]

_NOBODY = np.zeros(0, dtype=np.int64)


def refusals(cfg: AgoraConfig) -> list[str]:
    """Why ``cfg`` cannot run batched (empty: it can), one plain reason per setting: those of
    its rules (:func:`sim.config.batching.rule_refusals`) and metrics not checked world by
    world."""
    reasons = rule_refusals(cfg)
    added = [name for name in metrics.METRICS if name not in metrics.WORLD_METRICS]
    if added:  # measured per world only once checked against the model
        reasons.append("metrics added since sim.rules.metrics loaded: " + ", ".join(added))
    return reasons


def batchable(cfg: AgoraConfig) -> bool:
    """Whether ``cfg`` runs batched (:func:`refusals` has no reason against it)."""
    return not refusals(cfg)


def _count(mask: np.ndarray, axis: int) -> np.ndarray:
    """The true cells of a boolean ``mask`` along ``axis`` (int64): ``count_nonzero``'s
    numbers without its wrapper, which costs more than the count on short rows."""
    return np.add.reduce(mask, axis=axis, dtype=np.int64)


def _count_by_row(mask: np.ndarray) -> np.ndarray:
    """The true cells of each row of a 2-D ``mask``: numpy's whole-array count, row by row,
    is three times faster on rows of thousands than ``count_nonzero(mask, axis=1)``.

    >>> _count_by_row(np.array([[True, False, True], [False, False, False]])).tolist()
    [2, 0]
    """
    return np.fromiter(map(np.count_nonzero, mask), np.int64, mask.shape[0])


class _Worlds:
    """Where each stacked node lives: its world, and whether it is a member."""

    def __init__(self, R: int, n: int, k: int) -> None:
        self.R, self.n, self.k, self.N = R, n, k, n + k
        local = np.tile(np.arange(self.N), R)
        self.of_node = np.repeat(np.arange(R), self.N)
        self.member = local < n
        self.members = self.member.nonzero()[0]
        self.stakeholders = (~self.member).nonzero()[0]
        # Every id's world by one lookup: organizations -R .. -1 (organization w is world w,
        # id -w - 1), then the nodes.
        self._world_of_id = np.concatenate([np.arange(R)[::-1], self.of_node])

    def of(self, ids: np.ndarray) -> np.ndarray:
        """The world of node ids (organization ids, negative, are worlds' own)."""
        return self._world_of_id.take(ids + self.R)

    def count(self, ids: np.ndarray) -> np.ndarray:
        """How many of ``ids`` fall in each world."""
        return np.bincount(self.of(ids), minlength=self.R)


#: The counts of a step's :class:`~sim.rules.state.Tally` (one per world in the batch).
_COUNTS = tuple(f.name for f in fields(Tally) if f.init and f.name != "n_nodes")
#: Its arrays with one entry per node.
_NODE_TALLIES = tuple(f.name for f in fields(Tally) if not f.init and f.name != "sent_by_kind")


class _GapsByWorld:
    """``authenticity_gap`` for every world (:meth:`sim.rules.authenticity.Authenticity.
    mean_gap`): the gaps in one pass, then each world's mean over its agents who voiced and
    read a claim, taken over that world's gaps alone as its model takes it."""

    def __init__(self, authenticity: Authenticity, worlds: int) -> None:
        self.claimed = authenticity.claimed.reshape(worlds, -1)
        self.voiced = authenticity.voiced.reshape(worlds, -1)

    def mean_gap(self, heard: np.ndarray, ignored: np.ndarray) -> np.ndarray:
        gaps = gap(self.claimed, heard, ignored)
        counted = self.voiced & ~np.isnan(gaps)
        n = _count(counted, axis=1)
        if not n.any():  # no claim read (none made) or nobody voiced: NaN everywhere
            return np.full(n.size, np.nan)
        # Each world's counted gaps, world after world; a world's slice is the contiguous
        # vector its model takes the mean of: ndarray.mean's own arithmetic (a pairwise sum,
        # then one division) without its wrapper gives the same floats.
        values, ends = gaps[counted], np.cumsum(n).tolist()
        sums = [np.add.reduce(values[a:b]) for a, b in zip([0, *ends[:-1]], ends, strict=True)]
        return np.where(n > 0, np.array(sums) / np.maximum(n, 1), np.nan)


class _AdoptionByWorld:
    """``adoption`` for every world (:meth:`sim.rules.platform.Platform.adoption`)."""

    def __init__(self, adopted: np.ndarray, n: int) -> None:
        self.adopted, self.n = adopted, n

    def adoption(self) -> np.ndarray:
        if not self.n:
            return np.full(self.adopted.shape[0], np.nan)
        return np.count_nonzero(self.adopted[:, : self.n], axis=1) / self.n


# The state's arrays that the metrics read per node and per organization.
_NODE_FIELDS = ("beliefs", "seen", "told", "engagement", "trust", "ideas_heard", "ideas_ignored")
_ORG_FIELDS = (
    "code",
    "code_changes",
    "innovations",
    "innovations_net",
    "innovations_bottom_up",
    "cocreated",
)


def run_batch(
    cfg: AgoraConfig | Sequence[AgoraConfig], seeds: list[int], chunk: int | None = None
) -> pd.DataFrame:
    """Run every seed of a :func:`batchable` ``cfg``; metrics in :func:`sim.simulate`'s
    layout (``replicate``, ``seed``, ``step``, the metrics), ``chunk`` replicates at a time
    (by default :func:`sim.config.engines.worlds_per_batch`, for any number of seeds).

    ``cfg`` may also be one configuration per seed, differing at most in their practices and
    mechanism switches (:func:`shared_part`): world ``i`` runs ``cfg[i]`` with ``seeds[i]``, as
    replicate ``i``.
    """
    cfgs = _world_configs(cfg, len(seeds))
    chunk = chunk or worlds_per_batch(dataclasses.replace(cfgs[0], replicates=len(seeds)))
    frames = []
    for first in range(0, len(seeds), chunk):
        part = slice(first, first + chunk)
        batch = Batch(cfgs[part], seeds[part])
        batch.run(cfgs[0].steps)
        for w, (seed, table) in enumerate(zip(batch.seeds, batch.tables(), strict=True)):
            table.insert(0, "seed", np.int64(seed))
            table.insert(0, "replicate", first + w)
            frames.append(table)
    return pd.concat(frames, ignore_index=True)


def _world_configs(cfg, worlds: int) -> list[AgoraConfig]:
    """One checked configuration per world: ``cfg`` for all (a list of strings is one
    configuration: its overrides), or the sequence of configurations given (one per world),
    each checked once."""
    if isinstance(cfg, Sequence) and cfg and not any(isinstance(c, str) for c in cfg):
        if len(cfg) != worlds:
            raise ValueError(f"{len(cfg)} configurations for {worlds} seeds: one per seed")
        checked: dict[int, AgoraConfig] = {}
        return [checked.setdefault(id(c), to_config(c)) for c in cfg]
    return [to_config(cfg)] * worlds


class Batch:
    """R replicates of ``cfg`` (one per seed), stacked and stepped as one (see the module);
    or one configuration per seed, differing at most in their practices and mechanism
    switches (a study's arms and ablations).

    Each replicate is set up by its own Mesa model (``AgoraModel(cfg, seed=s)``: the same
    draws, network and step 0); the batch then holds their arrays end to end and draws from
    their Generators. ``history`` holds each step's metrics, ``(metrics, worlds)``.
    """

    def __init__(self, cfg: AgoraConfig | Sequence[AgoraConfig], seeds: list[int]) -> None:
        cfgs = _world_configs(cfg, len(seeds))
        distinct = list({id(c): c for c in cfgs}.values())
        reasons = [r for c in distinct for r in refusals(c)]
        if len(distinct) > 1 and any(shared_part(c) != shared_part(cfgs[0]) for c in distinct):
            reasons.append("worlds that differ in more than their practices and switches")
        if reasons:
            raise ValueError("not batchable: " + "; ".join(dict.fromkeys(reasons)))
        models = [AgoraModel(c, seed=s) for c, s in zip(cfgs, seeds, strict=True)]
        states = [m.state for m in models]
        first = states[0]
        self.cfgs = [s.cfg for s in states]  # each world's rules (its practices its own)
        self.cfg, self.step_count = first.cfg, 0
        self.seeds = [m.seed for m in models]
        self.W = _Worlds(len(seeds), first.n_individuals, first.n_stakeholders)
        self.m = first.cfg.environment.dims
        self.streams = Streams([m.rng for m in models])
        # What the wiring is derived from again when an intervention changes the rules.
        self._wired = [(s.network, s.node_org, s.fast) for s in states]
        self._stack_state(states)
        self._stack_wiring([m.wiring for m in models])
        self._read_world_rules()
        self._view = self._worlds_view(first)
        self.history = [
            np.array([[m.records[0][name] for m in models] for name in metrics.METRIC_NAMES])
        ]

    def _read_world_rules(self) -> None:
        """Each world's practices and mechanism switches, one entry per world (the rest of
        the rules are shared)."""
        regimes = [c.regime for c in self.cfgs]
        self.switches = {
            name: np.array([getattr(c.mechanisms, name) for c in self.cfgs], dtype=bool)
            for name in WORLD_MECHANISMS
        }
        self._switched: dict[tuple[str, ...], bool | np.ndarray] = {}  # see _switch
        # Whose told code socializes, by source: a column of each row's world's switch.
        self._sources_on = SimpleNamespace(
            **{
                name: np.reshape(self._switch(name), (-1, 1))
                for name in ("broadcast_socialization", "answer_learning")
            }
        )
        self.broadcast_rate = np.array([r.broadcast_rate for r in regimes], dtype=float)
        self.responsiveness = np.array([r.responsiveness for r in regimes], dtype=float)
        self.listening = np.array([r.listening for r in regimes], dtype=float)
        self.voting = np.array([bool(r.voting) for r in regimes])
        self.claims = np.array([Authenticity.claim(c) for c in self.cfgs], dtype=float)

    def _by_node(self, on: np.ndarray) -> bool | np.ndarray:
        """A per-world flag ``(R,)`` as the rules take it: one bool where every world agrees
        (the rules' own scalar path, as in the model), else one per stacked node."""
        if on.all() or not on.any():
            return bool(on[0])
        return on[self.W.of_node]

    def _switch(self, *names: str) -> bool | np.ndarray:
        """Whether the mechanisms ``names`` are all on (:meth:`_by_node`); worked out once
        per set of rules (every step asks)."""
        on = self._switched.get(names)
        if on is None:
            every = np.logical_and.reduce([self.switches[name] for name in names])
            on = self._switched[names] = self._by_node(every)
        return on

    def _sum_on(
        self, *terms: tuple[tuple[str, ...], Callable[[], np.ndarray]]
    ) -> float | np.ndarray:
        """The model's sum of the terms whose mechanisms are on (``0.0``: none), each term
        computed only if on in some world and counted only in the worlds where it is on."""
        total: float | np.ndarray = 0.0
        first = True
        for names, term in terms:
            on = self._switch(*names)
            if on is False:
                continue
            value = term() if on is True else np.where(on, term(), 0.0)
            total, first = (value if first else total + value), False
        return total

    # ------------------------------------------------------------------ stacking

    def _stack_state(self, states: list[State]) -> None:
        """The replicates' arrays end to end, and what a run carries from step to step."""
        W = self.W

        def joined(name: str) -> np.ndarray:
            return np.concatenate([getattr(s, name) for s in states])

        # Per node, world after world.
        self.beliefs, self.seen, self.told = joined("beliefs"), joined("seen"), joined("told")
        self.engagement, self.trust = joined("engagement"), joined("trust")
        self.ideas_heard, self.ideas_ignored = joined("ideas_heard"), joined("ideas_ignored")
        # Per world (its one organization).
        self.code, self.code_changes = joined("code"), joined("code_changes")
        self.innovations, self.innovations_net = joined("innovations"), joined("innovations_net")
        self.innovations_bottom_up = joined("innovations_bottom_up")
        self.cocreated, self.wrong_since = joined("cocreated"), joined("wrong_since")
        self.reality = np.stack([s.reality for s in states])
        # Per stakeholder.
        self.satisfaction, self.value = joined("satisfaction"), joined("value")
        self.needs, self.need_count = joined("needs"), joined("need_count")
        self.need_order = joined("need_order")
        self.needs32 = self.needs.astype(np.float32)
        self.stakeholder_org = np.stack([s.stakeholder_org for s in states])
        self.authenticity = Authenticity(W.R * W.N)  # no claim read, nobody voiced yet
        # The platform: each world's own component (its draws from its own child stream),
        # whose adoption is a view of one stacked array, so posts are filtered at once.
        self.platforms = [s.platform for s in states]
        self.platform_adopted = np.concatenate([p.adopted for p in self.platforms])
        for w, p in enumerate(self.platforms):
            p.adopted = self.platform_adopted[w * W.N : (w + 1) * W.N]
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
        self.tally, self.counts = self._new_tally()
        self.parts = Messages.empty(self.m).by_kind()
        self.lost_posts = self.lost_ideas = _NOBODY
        self.leader_found: tuple[np.ndarray, np.ndarray] | None = None

    def _worlds_view(self, first: State) -> SimpleNamespace:
        """The state as :func:`sim.rules.metrics.measure_worlds` reads it: each array with a
        leading axis of worlds (views of the batch's). The components the batch keeps inert
        (leaders not taking part, the economy and the opinions off, the additive task) and
        the tree (the same in every world: it draws nothing) are alike in every world, so
        the first world's answer for all."""
        W = self.W
        return SimpleNamespace(
            cfg=self._practices_view(),
            n_individuals=W.n,
            reality=self.reality,
            **{name: self._per_world(name, W.N) for name in _NODE_FIELDS},
            **{name: self._per_world(name, 1) for name in _ORG_FIELDS},
            satisfaction=self.satisfaction.reshape(W.R, W.k),
            value=self.value.reshape(W.R, W.k),
            stakeholder_org=self.stakeholder_org,
            initial_stakeholder_org=self.stakeholder_org,  # nobody switches (one organization)
            lag_sum=self.lag_sum,
            lag_count=self.lag_count,
            task=first.task,
            platform=_AdoptionByWorld(self.platform_adopted.reshape(W.R, W.N), W.n),
            leadership=first.leadership,
            economy=first.economy,
            opinions=first.opinions,
            authenticity=_GapsByWorld(self.authenticity, W.R),
        )

    def _practices_view(self) -> SimpleNamespace:
        """The rules as the metrics read them from the state (``cfg.regime``): the practices
        they report (``practice_*``), one value per world."""
        regime = SimpleNamespace(
            responsiveness=self.responsiveness, broadcast_rate=self.broadcast_rate
        )
        return SimpleNamespace(regime=regime)

    def _new_tally(self) -> tuple[Tally, dict[str, np.ndarray]]:
        """A step's tally over the stacked nodes, and its counts one per world (``(R,)``;
        ``sent_by_kind`` ``(R, kinds)``) instead of the tally's single numbers."""
        R = self.W.R
        counts = {name: np.zeros(R, dtype=np.int64) for name in _COUNTS}
        counts["sent_by_kind"] = np.zeros((R, len(KINDS)), dtype=np.int64)
        return Tally(R * self.W.N), counts

    def _per_world(self, name: str, rows: int) -> np.ndarray:
        """The stacked array ``name`` with a leading axis of worlds, ``rows`` per world."""
        whole = getattr(self, name)
        return whole.reshape(self.W.R, rows, *whole.shape[1:])

    def _stack_wiring(self, wirings: list[Wiring]) -> None:
        """The replicates' wiring and networks end to end (node ids offset by world)."""
        W = self.W
        offsets = np.arange(W.R) * W.N

        def nodes(name):
            return np.concatenate([getattr(x, name)[: W.N] for x in wirings])

        def shifted(arrays):
            return np.concatenate([a + off for a, off in zip(arrays, offsets, strict=True)])

        self.capacity = np.concatenate([nodes("capacity"), [x.capacity[W.N] for x in wirings]])
        self._slot_world = np.concatenate([W.of_node, np.arange(W.R)])  # capacity's order
        self.broadcast_to = shifted([x.broadcast_to for x in wirings])
        self.broadcast_org = W.of_node[self.broadcast_to]
        self.can_post = nodes("can_post")
        self.unit_of_node = nodes("unit_of_node")
        self.below = nodes("below")
        self.may_voice = nodes("may_voice")
        self.socialization = nodes("socialization")
        # Whose ideas go up the chain (none in worlds whose practice is the direct channel).
        chains = [x.up_chain for x in wirings]
        self.up_chain = (
            None
            if all(c is None for c in chains)
            else np.concatenate(
                [np.zeros(W.N, dtype=bool) if c is None else c[: W.N] for c in chains]
            )
        )
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
        # Independent origins (cocreation): the tree, and so the groups, are every world's.
        self.origin_group = nodes("origin_group")
        self.n_groups = wirings[0].n_groups
        # Whether anything costs time is shared (the costs are); whether the costs are in
        # force follows each world's ``time_costs`` switch: per node where worlds differ,
        # and per reading slot (nodes, then organizations) for the capacities.
        self.timed = wirings[0].timed
        budgeted = np.array([x.budgeted for x in wirings])
        self.budgeted = self._by_node(budgeted)
        self._budgeted_slot = budgeted[self._slot_world]
        nets = [network for network, _, _ in self._wired]
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
        self.tally, self.counts = self._new_tally()
        self.intervene()
        self.environment()
        self.experience()
        outbox = self.speak()
        self.route(outbox)
        self.listen()
        self.respond()
        self.learn()
        self.serve_stakeholders()
        self.measure()

    # 0 -------------------------------------------------------------------
    def intervene(self) -> None:
        """The interventions due now (:meth:`AgoraModel.intervene`): the rules change in every
        world and each world's wiring is derived again (none rewires: :func:`refusals`)."""
        for iv in self.cfg.interventions:
            if iv.at == self.step_count and iv.at > 0:
                self.cfgs = [apply_changes(c, dict(iv.set)) for c in self.cfgs]
                self.cfg = self.cfgs[0]
                wired = zip(self.cfgs, self._wired, strict=True)
                self._stack_wiring([derive(c, *w) for c, w in wired])
                self._read_world_rules()
                self._view.cfg = self._practices_view()

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
            self._platform_newcomers(leave)
        if self.cfg.environment.turbulence > 0:
            flip = self.streams.each(m) < self.cfg.environment.turbulence
            if flip.any():
                was_right = flip & (self.code == self.reality)
                self.wrong_since[was_right] = self.step_count
            self.reality[flip] *= -1

    # 2 -------------------------------------------------------------------
    def experience(self) -> None:
        """Exploration, the stakeholders' needs, the leadership's findings
        (:meth:`AgoraModel.experience`). Each world's draws for the step's exploration (who,
        then which dimension) and its leadership's (found, which dimension) follow one
        another in its stream, so they are drawn in one call per world."""
        W, m = self.W, self.m
        p, p_org = self.cfg.population.exploration, self.cfg.org.exploration
        explore = W.n if p > 0 and W.n else 0
        u = self.streams.each(2 * explore + (2 if p_org > 0 else 0))
        if explore:
            rows = (u[:, :explore] < p).reshape(-1).nonzero()[0]
            node = W.members[rows]
            dims = (u[:, explore : 2 * explore].reshape(-1)[rows] * m).astype(np.int64)
            truth = self.reality[W.of_node[node], dims]
            self.beliefs[node, dims] = truth
            self.seen[node, dims] = truth
        if W.k:
            # Stakeholders see their needs' truth, world by world (views of the stacked rows).
            truth = self.reality[:, None, :]
            needs = self.needs.reshape(W.R, W.k, self.m)
            for name in ("beliefs", "seen"):
                assign_where(getattr(self, name).reshape(W.R, W.N, self.m)[:, W.n :], truth, needs)
        self._explore_leadership(u[:, 2 * explore :])

    def _explore_leadership(self, u: np.ndarray) -> None:
        """Each world's leadership finds the truth of one dimension with probability
        ``org.exploration`` (``u``: each world's two draws, none when it is 0)."""
        p, m = self.cfg.org.exploration, self.m
        self.leader_found = None
        if p <= 0:
            return
        found = (u[:, 0] < p) & (self.org_root >= 0) & self.switches["leader_exploration"]
        if not found.any():
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
        # Actions are drawn only where the code observes them (not batched): skipped here.
        silent = self.beliefs.reshape(W.R, W.N, self.m)[:, : W.n] == 0
        self.streams.skip(_count_by_row(silent.reshape(W.R, -1)))
        # Whether each world's organization speaks, then who posts: one call per world.
        coin_u, node_u = self._speaking_draws()
        broadcasts = self._broadcasts(coin_u)
        posters, readers = self._posters(node_u)
        if self.platforms[0].live:  # posts happen between adopters
            keep = self.platform_adopted[posters] & self.platform_adopted[readers]
            posters, readers = posters[keep], readers[keep]
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

    def _speaking_draws(self) -> tuple[np.ndarray, np.ndarray]:
        """Each world's coin for its organization (``(R, 1)``; drawn only where the broadcast
        rate is strictly between 0 and 1, NaN elsewhere), then one uniform per node for
        posting (``(R, N)``; none when nobody talks), in that order in each world's stream."""
        W = self.W
        coins = (self.broadcast_rate > 0) & (self.broadcast_rate < 1)
        per_node = W.N if self.cfg.population.talk > 0 else 0
        if coins.all() or not coins.any():  # the same count in every world: one row each
            coin = int(coins[0])
            u = self.streams.each(coin + per_node)
            return u[:, :coin], u[:, coin:]
        counts = coins + per_node
        flat = self.streams.by_count(counts)
        start = np.cumsum(counts) - counts
        coin_u = np.full((W.R, 1), np.nan)
        coin_u[coins, 0] = flat[start[coins]]
        return coin_u, flat[(start + coins)[:, None] + np.arange(per_node)]

    def _broadcasts(self, u: np.ndarray):
        """The code, to every member and stakeholder of each world whose organization speaks
        (with probability its broadcast rate: ``u`` holds each world's coin)."""
        to, org = self.broadcast_to, self.broadcast_org
        rate = self.broadcast_rate
        if (rate < 1).any():
            speaking = rate >= 1
            coin = (rate > 0) & (rate < 1)
            if coin.any():
                speaking[coin] = u[coin, 0] < rate[coin]
            keep = speaking[org]
            to, org = to[keep], org[keep]
        return BROADCAST, org_node(org), to, self.code[org]

    def _posters(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each node posts to one random neighbour with probability engagement x talk
        (``u``: each world's coin per node, none when nobody talks)."""
        talk = self.cfg.population.talk
        if talk <= 0:
            return _NOBODY, _NOBODY
        posting = u.reshape(-1) < self.engagement * talk
        who = (posting & self.can_post).nonzero()[0]
        pick = (self.streams.for_elements(self.W.of_node[who]) * self.degree[who]).astype(np.int64)
        return who, self.indices[self.indptr[who] + pick]

    def _voicers(self) -> np.ndarray:
        """Who sends an idea up: with probability engagement x voice, among those who may."""
        p = self.cfg.population.voice
        if p <= 0:
            return _NOBODY
        voicing = self.streams.each(self.W.N).reshape(-1) < self.engagement * p
        return (voicing & self.may_voice).nonzero()[0]

    def _say(self, who: np.ndarray) -> np.ndarray:
        """The majority rule's words (:meth:`sim.rules.modes.MajorityRule.say`)."""
        W = self.W
        u = self.streams.for_elements(W.of_node[who], self.cfg.population.post_dims)
        # A stakeholder's row in the stacked needs: its world's block, then its place there.
        stakeholder = np.where(W.member[who], -1, W.of_node[who] * W.k + who % W.N - W.n)
        return words(self.beliefs, who, u, stakeholder, self.need_count, self.need_order)

    def _pay_for_speaking(self, posters, voicers) -> tuple[np.ndarray, np.ndarray]:
        self.budget, spent, posting, voicing = pay_for_speaking(
            self.W.R * self.W.N, posters, voicers, self.cfg.population, self.budgeted
        )
        self.tally.spent += spent
        return posting, voicing

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
            self.counts["relayed"] += np.bincount(world, minlength=W.R)
            self.counts["filtered"] += np.bincount(world[~ok], minlength=W.R)
            lost.append(in_flight.origin[~ok & (in_flight.kind == VOICE)])
            passed = in_flight.take(ok)
            moving.append(passed)
            arrive.append(up_one(passed.holder, self.chain_up, W.of_node))
        msgs = Messages.concat(moving).replace(holder=np.concatenate(arrive))
        self.counts["sent"] += W.count(new.sender)
        K = len(KINDS)  # one count per world and kind: (world, kind) as one code
        by_kind = np.bincount(W.of(new.sender) * K + new.kind, minlength=W.R * K)
        self.counts["sent_by_kind"] += by_kind.reshape(W.R, K)
        read = self._attention(msgs)
        unread = ~read
        self.counts["dropped"] += W.count(msgs.sender[unread])
        lost.append(msgs.origin[unread & (msgs.kind == VOICE)])
        self.lost_posts = msgs.sender[unread & (msgs.kind == POST)]
        slot = self._slot(msgs.holder)
        t.overloaded = np.bincount(slot[unread], minlength=self.capacity.size)[: W.R * W.N] > 0
        final = msgs.holder == msgs.target  # read there: delivered; else on its way
        d, self.in_flight = msgs.take(read & final), msgs.take(read & ~final)
        self.lost_ideas = np.concatenate(lost)
        # The outbox is in kind order and only ideas (the last kind) are ever on their way,
        # so what is delivered is in kind order: its parts are views, nothing sorted.
        self.parts = parts = d.by_kind(in_kind_order=True)
        self.counts["delivered"] += W.count(d.sender)
        read_time = t.count_reading(d, parts, self.in_flight.holder, cfg.population.time_read)
        self.budget = self.budget - read_time
        post, reply = parts[POST], parts[REPLY]
        sender = np.concatenate([post.sender, reply.sender])
        target = np.concatenate([post.target, reply.target])
        peer = sender >= 0
        su, tu = self.unit_of_node[sender[peer]], self.unit_of_node[target[peer]]
        in_units, world = (su >= 0) & (tu >= 0), W.of_node[sender[peer]]
        self.counts["peer_inside"] += np.bincount(world[in_units & (su == tu)], minlength=W.R)
        self.counts["peer_across"] += np.bincount(world[in_units & (su != tu)], minlength=W.R)

    def _slot(self, holder: np.ndarray) -> np.ndarray:
        """Each holder's reading slot: nodes, then organizations (``capacity``'s order)."""
        nodes = self.W.R * self.W.N
        return np.where(holder < 0, nodes - 1 - holder, holder)

    def _capacity_now(self) -> np.ndarray:
        """What each node and world's organization can read this step
        (:meth:`AgoraModel._capacity_now`)."""
        if self.budgeted is False:
            return self.capacity
        cfg = self.cfg
        left = capacity_left(
            self.capacity,
            self.budget,
            cfg.population.time_read,
            cfg.org.answer_cost,
            self.answer_load,
        )
        return left if self.budgeted is True else np.where(self._budgeted_slot, left, self.capacity)

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
        world = self._slot_world.take(slot)
        if self.timed:  # drawn whatever the caps (AgoraModel's draw_always)
            tiebreak = self.streams.for_elements(world)
        else:
            drawing = np.zeros(W.R, dtype=bool)
            drawing[self._slot_world[over_cap]] = True
            tiebreak = np.zeros(n)
            draws = drawing[world]
            tiebreak[draws] = self.streams.for_elements(world[draws])
        if not over_cap.any():
            return np.ones(n, dtype=bool)
        idx = over_cap[slot].nonzero()[0]
        within = tiebreak[idx]
        to_org = msgs.holder < 0
        if self.voting.any() and to_org.any():
            # Organizations read the most voted first, in the worlds where one is read at all
            # (the model ranks by votes only in a step in which its organization reads) and
            # whose practice is voting.
            prioritized = np.zeros(W.R, dtype=bool)
            prioritized[world[to_org]] = True
            prioritized &= self.voting
            prio = np.where(to_org, self.previous_votes[np.maximum(msgs.origin, 0)], 0.0)[idx]
            within = np.where(prioritized[world[idx]], reading_order(within, prio), within)
        return read_first(slot, capacity, load, idx, within)

    # 5 -------------------------------------------------------------------
    def listen(self) -> None:
        """Socialization to what the organization said, then the peer majority
        (:meth:`AgoraModel.listen`)."""
        self._socialize_to_what_was_told()
        self._follow_peers()

    def _socialize_to_what_was_told(self) -> None:
        """March's socialization towards the broadcasts and answers heard this step, one
        uniform per candidate cell from its world's stream
        (:func:`sim.rules.learning.socialize_drawing`)."""
        b, reply = self.parts[BROADCAST], self.parts[REPLY]
        answer = reply.sender < 0
        if not (len(b) or answer.any()):
            return
        said, on = organization_said(self.W.R * self.W.N, b, reply, self._sources_on)
        assign_where(self.told, said, said != 0)
        cells = socialization_candidates(self.beliefs, said)
        u = self.streams.by_count(_count_by_row(cells.reshape(self.W.R, -1)))
        if on is not None:
            u = u[on[cells]]
            cells = cells & on
        rate = self.socialization * self.trust
        self.beliefs[...] = socialize(self.beliefs, said, rate, u, cells)

    def _follow_peers(self) -> None:
        """The majority rule's listening (:func:`sim.rules.influence.follow_peers`): one
        uniform per candidate cell of the rows that heard something, from its world's
        stream."""
        post, reply = self.parts[POST], self.parts[REPLY]
        influence = self.cfg.population.peer_influence
        if not (len(post) + len(reply) and influence > 0):
            return
        peer = reply.sender >= 0
        receiver = np.concatenate([post.target, reply.target[peer]])
        values = np.concatenate([post.values, reply.values[peer]])
        rows, mine, heard, cells = what_peers_said(self.beliefs, receiver, values)
        counts = np.bincount(self.W.of_node[rows], _count(cells, axis=1), self.W.R)
        u = self.streams.by_count(counts.astype(np.int64))
        self.beliefs[rows] = peer_majority(mine, heard, influence, u, cells)

    # 6 -------------------------------------------------------------------
    def respond(self) -> None:
        """Replies and votes, the organization's answers, then engagement and trust from what
        each agent experienced (:meth:`AgoraModel.respond`)."""
        cfg, t, nodes = self.cfg, self.tally, self.W.R * self.W.N
        pop = cfg.population
        # Each world's code against what each of its nodes has seen, tallied once.
        W = self.W
        tallies = share_tallies(self.code, self.seen.reshape(W.R, W.N, self.m))
        self.code_tallies = tuple(x.reshape(-1) for x in tallies)
        heard = np.zeros(nodes, dtype=bool)
        posts_ignored = self._respond_to_posts(heard)
        ideas_ignored = self._answer_ideas()
        reply_to = self.parts[REPLY].target
        heard[reply_to] = True
        heard[self.adopted] = True
        # Each term where its world's mechanism is on (the model's ifs, world by world).
        up = self._sum_on(
            (("voice_effect",), lambda: pop.engagement_gain * heard),
            (("broadcast_clarity",), lambda: pop.engagement_clarity * self._clear_broadcasts()),
        )
        down = self._sum_on(
            (("frustration",), lambda: pop.engagement_loss * ideas_ignored),
            (("frustration", "posts_ignored"), lambda: pop.engagement_loss_post * posts_ignored),
            (("broadcast_fatigue",), lambda: pop.engagement_fatigue * t.overloaded),
        )
        self.engagement[...] = update_engagement(
            self.engagement, up, down, pop.engagement, 1.0, 1.0, pop.engagement_drift
        )
        readers = self.parts[BROADCAST].target  # each noting its own world's claim
        self.authenticity.read(readers, self.claims[self.W.of_node[readers]])
        self._assess_trust(reply_to[self.parts[REPLY].sender < 0], ideas_ignored)
        self.previous_votes = self.votes
        self._update_platform(posts_ignored)

    def _platform_newcomers(self, leave: np.ndarray) -> None:
        """Newcomers start afresh on the platform (:meth:`Platform.newcomers`), world by
        world: nothing to do where everyone is on it for good."""
        if not self.platforms[0].live:
            return
        W = self.W
        world = W.of_node[leave]
        for w in np.unique(world).tolist():
            self.platforms[w].newcomers(self.cfgs[w], leave[world == w] - w * W.N)

    def _update_platform(self, posts_ignored: np.ndarray) -> None:
        """Adoption and drop-out (:meth:`AgoraModel._update_platform`), world by world: each
        world's platform draws from its own stream (leaders take no part here: none seen)."""
        if not self.platforms[0].live:
            return
        W, reply = self.W, self.parts[REPLY]
        heard = self.votes > 0
        heard[reply.target[reply.sender >= 0]] = True
        worlds = zip(self.platforms, self._wired, self.cfgs, strict=True)
        for w, (platform, (network, _, _), cfg) in enumerate(worlds):
            rows = slice(w * W.N, (w + 1) * W.N)
            platform.update(
                cfg,  # its own switches (adoption, leader_visibility)
                network,
                self.tally.on_platform[rows],
                heard[rows],
                posts_ignored[rows],
                0.0,
                self.cfg.population.memory,
            )

    def _respond_to_posts(self, heard: np.ndarray) -> np.ndarray:
        W, cfg, t, nodes = self.W, self.cfg, self.tally, self.W.R * self.W.N
        pop = cfg.population
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
        voting = self.voting[world]  # the posts read in worlds whose practice is voting
        if voting.any():
            on = slice(None) if voting.all() else voting.nonzero()[0]
            vote = self._vote(reader[on], writer[on], said[on], world[on])
            as_heard = self._switch("votes_as_heard")
            if as_heard is not False:
                if as_heard is not True:  # only in the worlds where a vote counts as heard
                    vote = vote & as_heard[writer[on]]
                heard[writer[on][vote]] = True
                voted = np.zeros(reader.size, dtype=bool)
                voted[on] = vote
                answered |= voted
        ignored = np.zeros(nodes, dtype=bool)
        ignored[writer[~answered]] = True
        ignored[self.lost_posts] = True
        return ignored

    def _vote(self, reader, writer, said, world) -> np.ndarray:
        """Readers vote the posts they agree with up (with probability their engagement,
        time allowing); returns which posts were voted up, and counts the votes."""
        W, t, pop, m = self.W, self.tally, self.cfg.population, self.m
        agree = (self.beliefs[reader] * said).astype(np.float32) @ ones32(m) > 0
        wants = agree & (self.streams.for_elements(world) < self.engagement[reader])
        vote, paid = afford(reader, wants, pop.time_vote, self.budget)
        self.budget -= paid
        t.spent += paid
        n_votes = np.bincount(world[vote], minlength=W.R)
        self.counts["sent"] += n_votes
        self.counts["sent_by_kind"][:, KINDS.index("vote")] += n_votes
        self.counts["delivered"] += n_votes
        self.votes = np.bincount(writer[vote], minlength=W.R * W.N)
        t.received += self.votes
        t.active[reader[vote]] = True
        t.on_platform[reader[vote]] = True
        return vote

    def _answer_ideas(self) -> np.ndarray:
        """The organization answers a share ``responsiveness`` of the ideas it read
        (:meth:`AgoraModel._answer_ideas`); returns who had an idea end unanswered."""
        W = self.W
        ideas = self.parts[VOICE]
        world = W.of(ideas.target)
        self.counts["ideas_read"] += np.bincount(world, minlength=W.R)
        ignored = np.zeros(W.R * W.N, dtype=bool)
        self.answer_load = np.zeros(W.R)
        if len(ideas):
            rate = self.responsiveness[world]
            drawn = rate > 0  # drawn only in worlds that answer at all
            if drawn.all():
                answer = self.streams.for_elements(world) < rate
            else:
                answer = np.zeros(len(ideas), dtype=bool)
                answer[drawn] = self.streams.for_elements(world[drawn]) < rate[drawn]
            self.counts["answered"] += np.bincount(world[answer], minlength=W.R)
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
        pop, nodes = self.cfg.population, self.W.R * self.W.N
        self.ideas_heard *= pop.memory
        self.ideas_ignored *= pop.memory
        heard = np.concatenate([answered, self.adopted])
        if heard.size:
            self.ideas_heard += np.bincount(heard, minlength=nodes)
        self.ideas_ignored += ignored
        if pop.trust_rate <= 0:
            return

        def benevolence():
            record = self.ideas_heard + self.ideas_ignored
            return self.ideas_heard / np.maximum(record, 1e-12), record > 1e-6

        def ability():
            right, _, looked = self.code_tallies
            return share_of(right, looked)

        factors = []
        for name, factor in (
            ("benevolence", benevolence),
            ("ability", ability),
            ("integrity", self._integrity),
        ):
            on = self._switch(name)
            if on is not False:  # judged only in the worlds where the factor is on
                value, defined = factor()
                factors.append((value, defined if on is True else defined & on))
        if not factors:
            return
        target, judged = trust_target(*factors)
        self.trust[...] = move_towards(self.trust, target, pop.trust_rate, judged)

    def _integrity(self) -> tuple[np.ndarray, np.ndarray]:
        """The integrity factor (:meth:`Authenticity.integrity`), lowered by the gap in the
        worlds whose ``authenticity`` switch is on."""
        plain = share_right(self.told, self.seen, both=True)
        on = self._switch("authenticity")
        # A world whose switch is on: every one's, or the first such (mixed worlds).
        cfg = self.cfgs[int(self.switches["authenticity"].argmax())]
        lived = self.authenticity.integrity(cfg, *plain, self.ideas_heard, self.ideas_ignored)
        if on is True or on is False:
            return lived
        value, judged = (np.where(on, a, b) for a, b in zip(lived, plain, strict=True))
        return value, judged

    # 7 -------------------------------------------------------------------
    def learn(self) -> None:
        """Every world's code learns from the superior group among the ideas it considers
        (:meth:`AgoraModel.learn`), all worlds in one product: each world's ideas (and its
        leadership's finding) are rows of a ``(worlds, most ideas, m)`` array, the rest zero
        with no weight, which changes no sum."""
        W = self.W
        voice = self.parts[VOICE]
        world = W.of(voice.target)
        self.counts["ideas_considered"] += np.bincount(world, minlength=W.R)
        origin, contrib, world = self._with_leader_findings(voice.origin, voice.values, world)
        superior = superior_ideas(contrib, self.code[world], self.reality[world])
        weight = superior.astype(float)
        if self.voting.any():  # votes are none in worlds that do not vote: a factor 1
            weight *= 1 + self.votes[origin]
        ideas, weights, origins = self._ideas_by_world(world, contrib, weight, origin)
        new_code, changed = learn_code(
            self.code, ideas, weights, self.listening[:, None], self.streams.each(self.m)
        )
        self.adopted = self._credit(new_code, changed, ideas, weights, origins)
        self.code[...] = new_code
        self.counts["ideas_adopted"] += W.count(self.adopted)
        self._track_adaptation()

    def _with_leader_findings(self, origin, contrib, world):
        """The ideas considered, plus what each world's leadership found first hand this step
        (one dimension, its true value), credited to the top of its tree."""
        if self.leader_found is None:
            return origin, contrib, world
        orgs, dims = self.leader_found
        finding = np.zeros((orgs.size, self.m), dtype=np.int8)
        finding[np.arange(orgs.size), dims] = self.reality[orgs, dims]
        return (
            np.concatenate([origin, self.org_root[orgs]]),
            np.concatenate([contrib, finding]),
            np.concatenate([world, orgs]),
        )

    def _ideas_by_world(self, world, contrib, weight, origin):
        """The ideas as rows of ``(worlds, most ideas)``: contributions, weights (0 for the
        padding) and origins (-1)."""
        R, order = self.W.R, np.argsort(world, kind="stable")
        world = world[order]
        counts = np.bincount(world, minlength=R)
        rank = np.arange(world.size) - (np.cumsum(counts) - counts)[world]
        most = max(int(counts.max(initial=0)), 1)
        ideas = np.zeros((R, most, self.m), dtype=np.int8)
        weights = np.zeros((R, most))
        origins = np.full((R, most), -1, dtype=np.int64)
        ideas[world, rank] = contrib[order]
        weights[world, rank] = weight[order]
        origins[world, rank] = origin[order]
        return ideas, weights, origins

    def _credit(self, new_code, changed, ideas, weights, origins) -> np.ndarray:
        """:meth:`AgoraModel._credit` for every world: innovations, cocreation and who
        contributed to each change; returns the adopted ideas' origins."""
        agrees = (ideas == new_code[:, None, :]) & (weights[..., None] > 0) & changed[:, None, :]
        correct = changed & (new_code == self.reality)
        known = origins >= 0
        below = np.where(known, self.below[np.maximum(origins, 0)], False)
        # Independent origins per changed dimension: units, the leadership, the stakeholders.
        group = np.where(known, self.origin_group[np.maximum(origins, 0)], 0)
        support = np.zeros((self.W.R, self.n_groups, self.m), dtype=bool)
        w, i, d = np.nonzero(agrees)
        support[w, group[w, i], d] = True
        origins_per_dim = _count(support, axis=1)
        from_below = np.matmul((weights * below)[:, None, :], agrees)[:, 0, :]
        from_top = np.matmul((weights * ~below)[:, None, :], agrees)[:, 0, :]
        n_changed = _count(changed, axis=1)
        n_correct = _count(correct, axis=1)
        self.code_changes += n_changed
        self.cocreated += _count(origins_per_dim >= 2, axis=1)
        self.innovations += n_correct
        self.innovations_net += 2 * n_correct - n_changed
        self.innovations_bottom_up += _count(correct & (from_below > from_top), axis=1)
        return origins[agrees.any(axis=2)]

    def _track_adaptation(self) -> None:
        pending = self.wrong_since >= 0
        if not pending.any():
            return
        done = pending & (self.code == self.reality)
        if done.any():
            lags = np.where(done, self.step_count - self.wrong_since, 0)
            self.lag_sum += np.add.reduce(lags, axis=1)
            self.lag_count += _count(done, axis=1)
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
        """Every world's metrics at once (:func:`sim.rules.metrics.measure_worlds`), kept as
        this step's row of :attr:`history`."""
        W, t = self.W, self.tally
        per_node = {name: getattr(t, name).reshape(W.R, W.N) for name in _NODE_TALLIES}
        tally = SimpleNamespace(**self.counts, **per_node)
        self.history.append(metrics.measure_worlds(self._view, tally, W.R))

    def tables(self) -> list[pd.DataFrame]:
        """Each replicate's metrics so far, one row per step (step 0 included): the table its
        model's ``metrics_frame()`` gives."""
        history = np.stack(self.history)  # (steps + 1, metrics, worlds)
        steps = np.arange(history.shape[0])
        return [
            pd.DataFrame(
                {"step": steps, **dict(zip(metrics.METRIC_NAMES, history[:, :, w].T, strict=True))}
            )
            for w in range(self.W.R)
        ]
