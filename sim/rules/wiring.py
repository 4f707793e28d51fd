"""What follows from the rules in force and the network: who reads how much, who hears the
organization's broadcasts, who may speak, whose ideas go up the chain of command and to whom.

:func:`derive` computes a :class:`Wiring` from the configuration and the network; the model
derives it again when either changes (at setup, after an intervention, when stakeholders
switch organization) rather than every step, and its phases read it (``model.wiring``). It
draws nothing.

Examples
--------
>>> import numpy as np
>>> from sim.config import to_config
>>> from sim.org.network import build_network
>>> cfg = to_config({"org": {"size": 6}, "stakeholders": {"count": 2}})
>>> org = np.zeros(2, dtype=np.int64)
>>> network = build_network(cfg, org, np.random.default_rng(0))
>>> node_org = np.concatenate([network.tree.org, org])
>>> w = derive(cfg, network, node_org, np.zeros(6, dtype=bool))
>>> w.capacity.size == 6 + 2 + 1, w.attention.size, w.broadcast_to.size
(True, 8, 8)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.config import AgoraConfig
from sim.org.network import Network
from sim.rules.netroute import leadership_hops

__all__ = ["Wiring", "derive"]


@dataclass(eq=False)
class Wiring:
    """The quantities :func:`derive` computes; nodes are individuals then stakeholders.

    ``capacity`` is what each node reads per step followed by what each organization reads
    (``attention`` is its nodes' part); ``broadcast_to`` the nodes a broadcast goes to and
    ``broadcast_org`` the organization each hears; ``can_post`` who has a neighbour to post
    to; ``unit_of_node`` each node's unit (-1 for stakeholders and those above the units);
    ``leaders`` flags the members in the leadership and ``below`` the nodes whose ideas count
    as bottom-up (stakeholders included); ``observe`` whether the code observes members'
    actions (March's idealisation) instead of reading their ideas; ``may_voice`` who may send
    ideas at all, ``up_chain`` whose go up the chain of command (None: nobody's) and
    ``chain_up`` the next node up it (-1: the organization); ``socialization`` each node's
    rate of socialization; ``timed`` whether anything costs time (the attention filter's
    tie-breaks are drawn then) and ``budgeted`` whether time costs are in force;
    ``origin_group`` each node's independent origin (its unit, its organization's leadership,
    or the stakeholders) among ``n_groups``; ``org_root`` the top of each organization's tree
    (-1: no members) and ``members_of`` each organization's members' rows.
    """

    capacity: np.ndarray
    broadcast_to: np.ndarray
    broadcast_org: np.ndarray
    can_post: np.ndarray
    unit_of_node: np.ndarray
    leaders: np.ndarray
    below: np.ndarray
    observe: bool
    may_voice: np.ndarray
    up_chain: np.ndarray | None
    chain_up: np.ndarray
    socialization: np.ndarray
    timed: bool
    budgeted: bool
    origin_group: np.ndarray
    n_groups: int
    org_root: np.ndarray
    members_of: list[np.ndarray]

    @property
    def attention(self) -> np.ndarray:
        """What each node reads per step (its part of ``capacity``)."""
        return self.capacity[: self.unit_of_node.size]


def derive(cfg: AgoraConfig, network: Network, node_org: np.ndarray, fast: np.ndarray) -> Wiring:
    """The :class:`Wiring` of ``network`` under ``cfg``; ``node_org`` is each node's
    organization (individuals then stakeholders) and ``fast`` flags the fast learners among
    the members."""
    tree, n, n_nodes = network.tree, network.n_individuals, node_org.size
    k, n_orgs = n_nodes - n, cfg.org.count
    # What each node reads per step, then what each organization reads (see routing.route).
    capacity = np.concatenate(
        [
            np.full(n_nodes, cfg.population.attention, dtype=np.int64),
            np.full(n_orgs, cfg.org.attention, dtype=np.int64),
        ]
    )
    # Broadcasts go to every member (only the top of the tree under chain routing) and every
    # stakeholder of the organization that speaks.
    receivers = node_org >= 0
    if cfg.hierarchy.routing == "chain":
        receivers[:n] &= tree.manager < 0
    broadcast_to = np.flatnonzero(receivers)
    leaders = tree.level < cfg.org.leader_levels
    rate = np.full(n_nodes, cfg.regime.socialization)
    rate[:n][fast] = cfg.population.fast_socialization
    members_of = [np.flatnonzero(tree.org == o) for o in range(n_orgs)]
    timed, budgeted = _time_model(cfg)
    origin_group, n_groups = _origins(tree, n_orgs, k)
    return Wiring(
        capacity=capacity,
        broadcast_to=broadcast_to,
        broadcast_org=node_org[broadcast_to],
        can_post=network.degree() > 0,
        unit_of_node=np.concatenate([tree.unit, np.full(k, -1)]),
        leaders=leaders,
        # Below the leadership: what counts as a bottom-up idea (stakeholders included).
        below=np.concatenate([~leaders, np.ones(k, dtype=bool)]),
        observe=cfg.regime.upward == "observe",
        may_voice=_may_voice(cfg, n, n_nodes),
        up_chain=_up_chain(cfg, n, n_nodes),
        chain_up=_chain_up(cfg, network, leaders),
        socialization=rate,
        timed=timed,
        budgeted=budgeted,
        origin_group=origin_group,
        n_groups=n_groups,
        org_root=np.array(
            [m[np.argmin(tree.level[m])] if m.size else -1 for m in members_of], dtype=np.int64
        ),
        members_of=members_of,
    )


def _may_voice(cfg: AgoraConfig, n: int, n_nodes: int) -> np.ndarray:
    """Who may send ideas at all: every member, and the stakeholders where they are heard."""
    may = np.ones(n_nodes, dtype=bool)
    if not cfg.openness.hear_stakeholders:
        may[n:] = False
    return may


def _up_chain(cfg: AgoraConfig, n: int, n_nodes: int) -> np.ndarray | None:
    """Whose ideas go up the chain of command rather than straight to the organization:
    members without the direct channel (all where the regime has no voice channel; a share
    ``1 - openness.voice`` where it has one, spread evenly); None where nobody's do.
    Stakeholders are outside the chain and speak to the organization directly."""
    up = np.zeros(n_nodes, dtype=bool)
    if cfg.regime.upward == "voice":
        idx = np.arange(n)
        up[:n] = np.floor((idx + 1) * cfg.openness.voice) == np.floor(idx * cfg.openness.voice)
    else:
        up[:n] = True
    return up if up.any() else None


def _chain_up(cfg: AgoraConfig, network: Network, leaders: np.ndarray) -> np.ndarray:
    """The next node up the chain of command, -1 where the next is the organization.

    The chain ends in the leadership, which considers ideas as the organization, with the
    organization's attention: a manager hands what reaches it from below to its own manager,
    and a leader's direct report hands it to the organization. Under ``hierarchy.routing=
    network``, shortest paths over every tie instead (DESIGN 8.6).
    """
    tree = network.tree
    if cfg.hierarchy.routing == "network":
        return leadership_hops(network.indptr, network.indices, tree.org, leaders, tree.manager)
    boss = tree.manager
    return np.where((boss >= 0) & ~leaders[np.maximum(boss, 0)], boss, -1)


def _time_model(cfg: AgoraConfig) -> tuple[bool, bool]:
    """``(timed, budgeted)``: whether anything costs time (the attention filter's tie-breaks
    are drawn then, whether or not ``mechanisms.time_costs`` is on) and whether costs are in
    force."""
    pop = cfg.population
    costs = (
        pop.time_read,
        pop.time_post,
        pop.time_reply,
        pop.time_vote,
        pop.time_voice,
        cfg.org.answer_cost,
    )
    timed = any(c > 0 for c in costs)
    return timed, timed and cfg.mechanisms.time_costs


def _origins(tree, n_orgs: int, k: int) -> tuple[np.ndarray, int]:
    """``(origin_group, n_groups)``: each node's independent origin (cocreation) — its unit,
    its organization's leadership (those above the units), or the stakeholders — and how many
    there are."""
    n_units = tree.n_units
    group = np.where(tree.unit >= 0, tree.unit, n_units + tree.org)
    return np.concatenate([group, np.full(k, n_units + n_orgs)]), n_units + n_orgs + 1
