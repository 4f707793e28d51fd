"""Routing over the network (``hierarchy.routing: network``, DESIGN section 8.6).

A message to a distant receiver travels along a shortest path over every tie inside its
organization (reporting lines, peer ties and cross-unit ties alike), one hop per step; each
node it passes through reads it through its own attention, so messages queue, and are lost,
where many paths cross (Dodds, Watts & Sabel 2003: congestion in a hierarchy, relieved by ties
that cut across it).

Two tables serve the two uses:

* :func:`toward_set`: for every node, the next hop on a shortest path towards the nearest node
  of a set (the organization's leadership, for ideas sent up without a direct channel); ``-1``
  where the next hop would be the set itself, so the holder hands the message over. On a pure
  reporting tree this is the chain of command, hop for hop.
* :func:`next_hop_table`: for every pair, the next hop from a node towards a target (the
  general case: messages between any two people).

Ties between shortest paths are broken without random draws: the manager first when it lies on
a shortest path (the formal route when it is as short: an assumption, with no source),
else the neighbour with the lowest index. :func:`hop` moves a batch of messages one step and
applies each receiver's attention.

Examples
--------
>>> import numpy as np
>>> # A chain 0 - 1 - 2 - 3 with a shortcut 3 - 0 for node 3.
>>> indptr, indices = csr([(0, 1), (1, 2), (2, 3), (3, 0)], 4)
>>> toward_set(indptr, indices, np.array([True, False, False, False]), np.full(4, -1)).tolist()
[-1, -1, 1, -1]
>>> next_hop_table(indptr, indices)[2].tolist()  # from node 2 towards 0, 1, 2, 3
[1, 1, 2, 3]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import shortest_path

from sim.rules.routing import attention_filter

__all__ = ["csr", "member_graph", "toward_set", "leadership_hops", "next_hop_table", "Hop", "hop"]


def csr(edges, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric CSR (``indptr``, ``indices``, sorted within rows) of an undirected edge list.

    >>> csr([(0, 2)], 3)[1].tolist()
    [2, 0]
    """
    e = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    src = np.concatenate([e[:, 0], e[:, 1]])
    dst = np.concatenate([e[:, 1], e[:, 0]])
    g = sp.csr_matrix((np.ones(src.size), (src, dst)), shape=(n, n))
    g.sum_duplicates()
    g.sort_indices()
    return g.indptr.astype(np.int64), g.indices.astype(np.int64)


def member_graph(
    indptr: np.ndarray, indices: np.ndarray, org: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The ties among the first ``org.size`` nodes (members) that stay inside one organization
    (stakeholders and ties between organizations carry no internal mail)."""
    n = org.size
    rows = np.repeat(np.arange(indptr.size - 1), np.diff(indptr))
    keep = (rows < n) & (indices < n)
    rows, cols = rows[keep], indices[keep]
    keep = org[rows] == org[cols]
    return csr(np.stack([rows[keep], cols[keep]], axis=1), n)


def _graph(indptr, indices) -> sp.csr_matrix:
    n = indptr.size - 1
    return sp.csr_matrix((np.ones(indices.size), indices, indptr), shape=(n, n))


def _formal(indptr, indices, manager: np.ndarray | None) -> np.ndarray:
    """Each node's manager where the reporting line is a tie of the graph, else -1."""
    n = indptr.size - 1
    m = np.full(n, -1, dtype=np.int64)
    if manager is not None:
        k = min(n, manager.size)
        m[:k] = manager[:k]
    has = np.flatnonzero(m >= 0)
    if has.size:
        tie = np.asarray(_graph(indptr, indices)[has, m[has]]).ravel() > 0
        m[has[~tie]] = -1
    return m


def _pick(indptr, indices, dist: np.ndarray, boss: np.ndarray) -> np.ndarray:
    """Per node, a neighbour one step closer (``dist`` one less): the manager ``boss`` if it
    is one, else the lowest index; -1 where none is."""
    n = indptr.size - 1
    rows = np.repeat(np.arange(n), np.diff(indptr))
    closer = np.isfinite(dist[rows]) & (dist[indices] == dist[rows] - 1)
    out = np.full(n, -1, dtype=np.int64)
    first = np.flatnonzero(closer)  # indices are sorted within rows: lowest index first
    r = rows[first]
    keep = np.r_[True, r[1:] != r[:-1]] if r.size else np.zeros(0, dtype=bool)
    out[r[keep]] = indices[first[keep]]
    has = boss >= 0
    use = has & (np.where(has, dist[np.maximum(boss, 0)], np.inf) == dist - 1)
    out[use] = boss[use]
    return out


def toward_set(
    indptr: np.ndarray, indices: np.ndarray, target: np.ndarray, manager: np.ndarray
) -> np.ndarray:
    """Next hop of every node on a shortest path to the nearest node where ``target`` holds.

    ``-1`` for nodes in the set, for nodes next to it (they hand the message over) and for
    nodes that cannot reach it. ``manager`` (per node, -1 for none) breaks ties.
    """
    n = indptr.size - 1
    if not target.any():
        return np.full(n, -1, dtype=np.int64)
    dist = shortest_path(
        _graph(indptr, indices), unweighted=True, directed=False, indices=np.flatnonzero(target)
    ).min(axis=0)
    nxt = _pick(indptr, indices, dist, _formal(indptr, indices, manager))
    nxt[dist <= 1] = -1
    return nxt


def leadership_hops(
    indptr: np.ndarray,
    indices: np.ndarray,
    org: np.ndarray,
    leaders: np.ndarray,
    manager: np.ndarray,
) -> np.ndarray:
    """Where each member hands an idea next under ``routing: network``: the next hop on a
    shortest path, over its organization's internal ties, to the nearest of its leaders (-1:
    hand it to the organization). The same array as the chain of command's ``manager`` in
    :func:`sim.rules.routing.route`, so ideas then move one hop per step through each
    holder's attention as up the chain.

    >>> ip, ix = csr([(0, 1), (1, 2), (2, 3), (0, 3)], 4)  # 3 also knows the top
    >>> leadership_hops(ip, ix, np.zeros(4, int), np.array([True, False, False, False]),
    ...                 np.array([-1, 0, 1, 2])).tolist()
    [-1, -1, 1, -1]
    """
    ip, ix = member_graph(indptr, indices, org)
    return toward_set(ip, ix, leaders, manager)


def next_hop_table(
    indptr: np.ndarray, indices: np.ndarray, manager: np.ndarray | None = None
) -> np.ndarray:
    """``T[v, t]``: the next hop from ``v`` towards ``t`` (``t`` itself when adjacent, ``v``
    when ``v == t``, -1 when unreachable), shape ``(n, n)``, int32."""
    n = indptr.size - 1
    boss = _formal(indptr, indices, manager)
    dist = shortest_path(_graph(indptr, indices), unweighted=True, directed=False)
    table = np.empty((n, n), dtype=np.int32)
    for t in range(n):  # one column per target: a whole-array pick over all nodes
        d = dist[t]
        col = _pick(indptr, indices, d, boss)
        col[d == 1] = t
        col[t] = t
        table[:, t] = col
    return table


@dataclass
class Hop:
    """One step of :func:`hop`: where each message is now, which arrived at their target, which
    were dropped over a receiver's attention, and how many each node passed on."""

    holder: np.ndarray
    arrived: np.ndarray
    dropped: np.ndarray
    passed_on: np.ndarray


def hop(
    holder: np.ndarray,
    target: np.ndarray,
    table: np.ndarray,
    capacity: np.ndarray,
    rng: np.random.Generator,
    source: np.ndarray | None = None,
) -> Hop:
    """Move every message one hop towards its target; each node reads at most
    ``capacity[node]`` of the messages arriving at it this step, the rest are dropped.

    A node passes a message on when it hands it to the next hop (counted in ``passed_on``,
    whether or not the next node then has room for it); with ``source``, only intermediaries
    count (not the sender handing over its own message).

    >>> ip, ix = csr([(0, 1), (1, 2)], 3)
    >>> h = hop(np.array([0, 0]), np.array([2, 1]), next_hop_table(ip, ix), np.array([9, 1, 9]),
    ...         np.random.default_rng(0))
    >>> h.holder.tolist(), int(h.dropped.sum()), h.arrived.sum() <= 1
    ([1, 1], 1, np.True_)
    """
    nxt = table[holder, target].astype(np.int64)
    read = attention_filter(nxt, capacity, rng)
    counted = holder if source is None else holder[holder != source]
    passed = np.bincount(counted, minlength=capacity.size)
    return Hop(holder=nxt, arrived=read & (nxt == target), dropped=~read, passed_on=passed)
