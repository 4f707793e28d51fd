"""The typed communication network: built once from the config, held as CSR arrays.

Nodes are individuals ``0 .. n-1`` followed by stakeholders ``n .. n+k-1``. Edge types:

``reports_to``  individual -> manager (a tree per organization, level 0 at the top)
``peer``        small world inside a unit (units are the subtrees under level 1)
``cross_unit``  between units of one organization, ``random`` or ``multiscale``
``external``    frontline individuals <-> stakeholders
``inter_org``   between members of different organizations (an extension of DESIGN's four)

Every random choice draws from the Generator passed in, and a builder draws nothing when it
has nothing to build, so a structure without peers or stakeholders (March 1991) costs no
random numbers. Builders are vectorised: the only Python loops run over tree levels and
rejection rounds, never over agents.

Examples
--------
>>> import numpy as np
>>> tree = hierarchy_tree(size=13, depth=3, span=3)
>>> tree.level.tolist()
[0, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2]
>>> tree.manager[:5].tolist(), tree.unit[:5].tolist()
([-1, 0, 0, 0, 1], [-1, 0, 1, 2, 0])
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import networkx as nx
import numpy as np

from sim.org.tree import Tree

__all__ = [
    "EDGE_TYPES",
    "Tree",
    "Network",
    "derive_span",
    "hierarchy_tree",
    "small_world_ties",
    "cross_unit_ties",
    "external_ties",
    "build_network",
]

#: Edge type codes, in the order of their integer ids.
EDGE_TYPES = ("reports_to", "peer", "cross_unit", "external", "inter_org")
REPORTS_TO, PEER, CROSS_UNIT, EXTERNAL, INTER_ORG = range(5)


def derive_span(size: int, depth: int) -> int:
    """Smallest span whose complete tree of ``depth`` levels holds ``size`` people.

    >>> derive_span(200, 4), derive_span(1, 1), derive_span(50, 2)
    (6, 1, 49)
    """
    if depth == 1:
        return 1
    span = 1
    while sum(span**level for level in range(depth)) < size:
        span += 1
    return span


def hierarchy_tree(size: int | None, depth: int, span: int | None, org: int = 0) -> Tree:
    """One organization's reporting tree, filled level by level.

    Level ``L`` holds ``min(span**L, remaining)`` people; the ``k``-th person of a level reports
    to manager ``k mod (size of the level above)``, so a partly filled last level is spread
    evenly over the managers above it. Units are the subtrees under level 1; in a tree of one
    or two levels everyone is in unit 0.
    """
    if span is None:
        if size is None:
            raise ValueError("size and span are both None: one of them is needed")
        span = derive_span(size, depth)
    if size is None:
        size = sum(span**level for level in range(depth))
    counts, remaining = [], size
    for depth_level in range(depth):
        counts.append(min(span**depth_level, remaining))
        remaining -= counts[-1]
    counts = [c for c in counts if c > 0]
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    manager = np.full(size, -1, dtype=np.int64)
    level = np.zeros(size, dtype=np.int64)
    for lv in range(1, len(counts)):
        k = np.arange(counts[lv])
        rows = starts[lv] + k
        manager[rows] = starts[lv - 1] + k % counts[lv - 1]
        level[rows] = lv
    unit = np.zeros(size, dtype=np.int64)
    if len(counts) >= 3:
        unit[0] = -1
        unit[starts[1] : starts[1] + counts[1]] = np.arange(counts[1])
        for lv in range(2, len(counts)):
            rows = np.arange(starts[lv], starts[lv] + counts[lv])
            unit[rows] = unit[manager[rows]]
    return Tree(manager, level, unit, np.full(size, org, dtype=np.int64))


def _concat_trees(trees: list[Tree]) -> Tree:
    """Stack organizations' trees, shifting manager ids and unit ids to be global."""
    managers, units = [], []
    offset, unit_offset = 0, 0
    for t in trees:
        managers.append(np.where(t.manager >= 0, t.manager + offset, -1))
        units.append(np.where(t.unit >= 0, t.unit + unit_offset, -1))
        offset += t.size
        unit_offset += t.n_units
    return Tree(
        np.concatenate(managers),
        np.concatenate([t.level for t in trees]),
        np.concatenate(units),
        np.concatenate([t.org for t in trees]),
    )


def _unique_pairs(u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Undirected pairs without self-loops or repeats, as (low, high), sorted."""
    keep = u != v
    lo, hi = np.minimum(u[keep], v[keep]), np.maximum(u[keep], v[keep])
    pairs = np.unique(np.stack([lo, hi], axis=1), axis=0) if lo.size else np.empty((0, 2), int)
    return pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.int64)


def small_world_ties(
    unit: np.ndarray, degree: int, rewire: float, keep: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Watts-Strogatz ties inside each unit, for all units at once.

    Members of a unit sit on a ring and tie to their ``degree // 2`` nearest neighbours on each
    side; each tie's far end is rewired to a random member of the same unit with probability
    ``rewire``; each tie then survives with probability ``keep`` (``openness.peer``).

    >>> rng = np.random.default_rng(0)
    >>> u, v = small_world_ties(np.array([0, 0, 0, 0, 1, 1, 1]), 2, 0.0, 1.0, rng)
    >>> sorted(zip(u.tolist(), v.tolist()))
    [(0, 1), (0, 3), (1, 2), (2, 3), (4, 5), (4, 6), (5, 6)]
    """
    members = np.flatnonzero(unit >= 0)
    if degree == 0 or keep == 0 or members.size < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    order = members[np.argsort(unit[members], kind="stable")]
    u_sorted = unit[order]
    sizes = np.bincount(u_sorted)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    pos = np.arange(order.size) - starts[u_sorted]
    size_of = sizes[u_sorted]
    src, dst = [], []
    for offset in range(1, degree // 2 + 1):
        ok = size_of > offset
        src.append(np.flatnonzero(ok))
        dst.append(starts[u_sorted[ok]] + (pos[ok] + offset) % size_of[ok])
    src_i, dst_i = np.concatenate(src), np.concatenate(dst)
    if rewire > 0 and src_i.size:
        flip = rng.random(src_i.size) < rewire
        draw = rng.random(src_i.size)
        new = starts[u_sorted[src_i]] + np.floor(draw * size_of[src_i]).astype(np.int64)
        dst_i = np.where(flip, new, dst_i)
    u, v = _unique_pairs(order[src_i], order[dst_i])
    if keep < 1 and u.size:
        alive = rng.random(u.size) < keep
        u, v = u[alive], v[alive]
    return u, v


def cross_unit_ties(
    tree: Tree,
    count: int,
    pattern: str,
    rng: np.random.Generator,
    zeta: float = 1.0,
    lam: float = 1.0,
    max_rounds: int = 100,
) -> tuple[np.ndarray, np.ndarray]:
    """``count`` ties between different units of the same organization.

    ``random`` draws pairs uniformly. ``multiscale`` follows Dodds, Watts & Sabel (2003): a pair
    ``(i, j)`` is drawn with probability proportional to ``exp(-D/lam) * exp(-x/zeta)``, where
    ``D`` is the height of the pair's lowest common ancestor above the deeper of the two and
    ``x = sqrt(d_i**2 + d_j**2 - 2)`` with ``d`` the distance of each to that ancestor. Across
    units that ancestor is the top of the tree, so the weight depends on the two levels only:
    a level pair is drawn from its total weight, then a person uniformly at each level, and
    pairs inside one unit or already drawn are redrawn in vectorised rounds.

    >>> t = hierarchy_tree(40, 3, None)
    >>> u, v = cross_unit_ties(t, 30, "multiscale", np.random.default_rng(0))
    >>> len(u), bool((t.unit[u] != t.unit[v]).all())
    (30, True)
    """
    eligible = np.flatnonzero(tree.unit >= 0)
    if count <= 0 or eligible.size < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    orgs = np.unique(tree.org[eligible])
    per_org = np.bincount(tree.org[eligible], minlength=int(tree.org.max()) + 1)[orgs]
    quota = np.floor(count * per_org / per_org.sum()).astype(np.int64)
    quota[: count - quota.sum()] += 1
    found_u, found_v = [], []
    for org, want in zip(orgs, quota, strict=True):
        members = eligible[tree.org[eligible] == org]
        if np.unique(tree.unit[members]).size < 2 or want == 0:
            continue
        # Members grouped by level; level-pair weights times the number of pairs.
        members = members[np.argsort(tree.level[members], kind="stable")]
        levels, counts = np.unique(tree.level[members], return_counts=True)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        li, lj = np.meshgrid(np.arange(levels.size), np.arange(levels.size), indexing="ij")
        di, dj = levels[li].astype(float), levels[lj].astype(float)
        if pattern == "multiscale":
            x = np.sqrt(np.maximum(di**2 + dj**2 - 2.0, 0.0))
            weight = np.exp(-(np.maximum(di, dj) - 1.0) / lam) * np.exp(-x / zeta)
        else:
            weight = np.ones_like(di)
        mass = (weight * counts[li] * counts[lj]).ravel()
        cdf = np.cumsum(mass / mass.sum())
        got_u, got_v = np.empty(0, np.int64), np.empty(0, np.int64)
        for _ in range(max_rounds):
            need = want - got_u.size
            if need <= 0:
                break
            batch = 2 * need + 16
            cell = np.minimum(np.searchsorted(cdf, rng.random(batch), side="right"), cdf.size - 1)
            a, b = np.divmod(cell, levels.size)
            i = members[starts[a] + np.floor(rng.random(batch) * counts[a]).astype(np.int64)]
            j = members[starts[b] + np.floor(rng.random(batch) * counts[b]).astype(np.int64)]
            ok = tree.unit[i] != tree.unit[j]
            got_u, got_v = _unique_pairs(
                np.concatenate([got_u, i[ok]]), np.concatenate([got_v, j[ok]])
            )
        if got_u.size > want:
            pick = np.sort(rng.permutation(got_u.size)[:want])
            got_u, got_v = got_u[pick], got_v[pick]
        found_u.append(got_u)
        found_v.append(got_v)
    if not found_u:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(found_u), np.concatenate(found_v)


def external_ties(
    frontline: np.ndarray,
    frontline_org: np.ndarray,
    stakeholder_org: np.ndarray,
    per_stakeholder: float,
    n_individuals: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Ties between each stakeholder and frontline members of the organization it is tied to.

    Every stakeholder gets ``floor(per_stakeholder)`` ties and one more with probability equal
    to the fractional part. Returns (individual, stakeholder node id) pairs.
    """
    k = stakeholder_org.size
    if k == 0 or per_stakeholder <= 0 or frontline.size == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    whole, frac = int(per_stakeholder), per_stakeholder - int(per_stakeholder)
    n_ties = np.full(k, whole, dtype=np.int64)
    if frac > 0:
        n_ties += rng.random(k) < frac
    s = np.repeat(np.arange(k), n_ties)
    order = np.argsort(frontline_org, kind="stable")
    fl, fl_org = frontline[order], frontline_org[order]
    sizes = np.bincount(fl_org, minlength=int(stakeholder_org.max()) + 1)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    o = stakeholder_org[s]
    has = sizes[o] > 0
    s, o = s[has], o[has]
    j = fl[starts[o] + np.floor(rng.random(s.size) * sizes[o]).astype(np.int64)]
    pairs = np.unique(np.stack([j, s + n_individuals], axis=1), axis=0)
    return pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.int64)


def inter_org_ties(
    tree: Tree, count: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """``count`` ties between members of different organizations, drawn uniformly.

    >>> t = _concat_trees([hierarchy_tree(5, 2, None, org=0), hierarchy_tree(5, 2, None, org=1)])
    >>> u, v = inter_org_ties(t, 4, np.random.default_rng(0))
    >>> len(u), bool((t.org[u] != t.org[v]).all())
    (4, True)
    """
    if count <= 0 or np.unique(tree.org).size < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    got_u, got_v = np.empty(0, np.int64), np.empty(0, np.int64)
    for _ in range(100):
        need = count - got_u.size
        if need <= 0:
            break
        i = np.floor(rng.random(2 * need + 16) * tree.size).astype(np.int64)
        j = np.floor(rng.random(i.size) * tree.size).astype(np.int64)
        ok = tree.org[i] != tree.org[j]
        got_u, got_v = _unique_pairs(np.concatenate([got_u, i[ok]]), np.concatenate([got_v, j[ok]]))
    return got_u[:count], got_v[:count]


@dataclass
class Network:
    """The built network: the tree, the typed edge list and its CSR adjacency.

    ``edges`` is an ``(E, 2)`` array of undirected pairs and ``edge_type`` their type codes;
    ``indptr``/``indices``/``neighbor_type`` is the symmetric CSR of all of them, and
    ``children_indptr``/``children`` the CSR of each manager's direct reports.
    """

    tree: Tree
    n_individuals: int
    n_stakeholders: int
    edges: np.ndarray
    edge_type: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    neighbor_type: np.ndarray
    children_indptr: np.ndarray
    children: np.ndarray
    frontline: np.ndarray

    @property
    def n_nodes(self) -> int:
        return self.n_individuals + self.n_stakeholders

    @cached_property
    def _degree(self) -> np.ndarray:
        return np.diff(self.indptr)

    def degree(self) -> np.ndarray:
        """Number of neighbours of every node (computed once; a network does not change)."""
        return self._degree

    def edge_count(self, kind: str) -> int:
        """Number of undirected edges of one type (``reports_to``, ``peer``, ...)."""
        return int(np.count_nonzero(self.edge_type == EDGE_TYPES.index(kind)))

    def with_edges(self, edges: np.ndarray, edge_type: np.ndarray) -> Network:
        """The same structure with another edge list (CSR rebuilt)."""
        indptr, indices, ntype = _csr(edges, edge_type, self.n_nodes)
        return Network(
            self.tree,
            self.n_individuals,
            self.n_stakeholders,
            edges,
            edge_type,
            indptr,
            indices,
            ntype,
            self.children_indptr,
            self.children,
            self.frontline,
        )

    def to_networkx(self, stakeholder_org: np.ndarray | None = None) -> nx.Graph:
        """An undirected networkx graph with node and edge attributes, ready for GraphML.

        Nodes carry ``kind`` (``individual`` or ``stakeholder``), ``org``, ``unit``, ``level``
        and ``label``; edges carry ``type`` (one of :data:`EDGE_TYPES`).
        """
        g = nx.Graph()
        t = self.tree
        for i in range(self.n_individuals):
            g.add_node(
                i,
                kind="individual",
                org=int(t.org[i]),
                unit=int(t.unit[i]),
                level=int(t.level[i]),
                label=f"I{i}",
            )
        for s in range(self.n_stakeholders):
            org = int(stakeholder_org[s]) if stakeholder_org is not None else -1
            g.add_node(
                self.n_individuals + s,
                kind="stakeholder",
                org=org,
                unit=-1,
                level=-1,
                label=f"S{s}",
            )
        g.add_edges_from(
            (int(a), int(b), {"type": EDGE_TYPES[int(k)]})
            for (a, b), k in zip(self.edges, self.edge_type, strict=True)
        )
        return g


def _csr(edges: np.ndarray, edge_type: np.ndarray, n: int):
    """Symmetric CSR (indptr, indices, type per entry) of an undirected edge list."""
    src = np.concatenate([edges[:, 0], edges[:, 1]])
    dst = np.concatenate([edges[:, 1], edges[:, 0]])
    typ = np.concatenate([edge_type, edge_type])
    order = np.lexsort((dst, src))
    indptr = np.concatenate([[0], np.cumsum(np.bincount(src, minlength=n))]).astype(np.int64)
    return indptr, dst[order].astype(np.int64), typ[order].astype(np.int8)


def build_network(
    cfg, stakeholder_org: np.ndarray, rng: np.random.Generator, units: np.ndarray | None = None
) -> Network:
    """Build every organization's tree and all typed ties from a validated config.

    Parameters
    ----------
    cfg
        An :class:`sim.config.AgoraConfig`.
    stakeholder_org
        The organization each stakeholder is tied to.
    rng
        The model's Generator; the only source of randomness.
    units
        Units to keep instead of the new tree's (a reorganization that removes levels does not
        dissolve departments); one per individual.
    """
    tree, observed = _tree_of(cfg, units)
    n = tree.size
    has_reports = np.zeros(n, dtype=bool)
    has_reports[tree.manager[tree.manager >= 0]] = True
    frontline = np.flatnonzero(~has_reports)
    parts = _typed_ties(cfg, tree, observed, frontline, stakeholder_org, rng)
    edges, edge_type = _one_tie_per_pair(parts, n + stakeholder_org.size)
    indptr, indices, ntype = _csr(edges, edge_type, n + stakeholder_org.size)

    order = np.argsort(tree.manager, kind="stable")
    order = order[tree.manager[order] >= 0]
    children_indptr = np.concatenate(
        [[0], np.cumsum(np.bincount(tree.manager[order], minlength=n))]
    ).astype(np.int64)
    return Network(
        tree,
        n,
        int(stakeholder_org.size),
        edges,
        edge_type,
        indptr,
        indices,
        ntype,
        children_indptr,
        order.astype(np.int64),
        frontline,
    )


def _tree_of(cfg, units: np.ndarray | None) -> tuple[Tree, tuple[np.ndarray, np.ndarray] | None]:
    """The organizations' tree (from the chart a config names, or generated) and the observed
    communication ties that come with a chart (or None)."""
    h = cfg.hierarchy
    observed = None
    if cfg.org.chart is not None:
        # Here, not at the top: a chart is read only when the config names one.
        from sim.org.orgchart import load_comm_network, load_org_chart

        chart = load_org_chart(cfg.org.chart)
        tree = chart.tree
        if cfg.org.network is not None:
            observed = load_comm_network(cfg.org.network, chart)
    else:
        trees = [hierarchy_tree(cfg.org.size, h.depth, h.span, org=o) for o in range(cfg.org.count)]
        tree = _concat_trees(trees)
    if units is not None:
        tree = Tree(tree.manager, tree.level, np.asarray(units, dtype=np.int64), tree.org)
    return tree, observed


def _typed_ties(
    cfg,
    tree: Tree,
    observed: tuple[np.ndarray, np.ndarray] | None,
    frontline: np.ndarray,
    stakeholder_org: np.ndarray,
    rng: np.random.Generator,
) -> list[tuple[np.ndarray, np.ndarray, int]]:
    """Every tie as (u, v, type) batches in order of precedence: reporting lines, peers,
    cross-unit, external, inter-organizational (drawn from ``rng`` in that order)."""
    net, op = cfg.network, cfg.openness
    n = tree.size
    parts = []
    rows = np.flatnonzero(tree.manager >= 0)
    parts.append((rows, tree.manager[rows], REPORTS_TO))
    if observed is not None:
        # The observed network replaces the generated peer and cross-unit ties.
        u, v = observed
        same = (tree.unit[u] == tree.unit[v]) & (tree.unit[u] >= 0)
        parts.append((u[same], v[same], PEER))
        parts.append((u[~same], v[~same], CROSS_UNIT))
    else:
        parts.append(
            (*small_world_ties(tree.unit, net.peer_degree, net.rewire, op.peer, rng), PEER)
        )
        eligible = np.count_nonzero(tree.unit >= 0)
        n_cross = int(round(op.internal * net.cross_unit_degree * eligible / 2))
        parts.append(
            (
                *cross_unit_ties(tree, n_cross, net.pattern, rng, zeta=net.zeta, lam=net.lam),
                CROSS_UNIT,
            )
        )
    parts.append(
        (
            *external_ties(
                frontline,
                tree.org[frontline],
                stakeholder_org,
                op.external * net.external_degree,
                n,
                rng,
            ),
            EXTERNAL,
        )
    )
    n_inter = int(round(op.inter_org * net.inter_org_degree * n / 2))
    parts.append((*inter_org_ties(tree, n_inter, rng), INTER_ORG))
    return parts


def _one_tie_per_pair(
    parts: list[tuple[np.ndarray, np.ndarray, int]], n_total: int
) -> tuple[np.ndarray, np.ndarray]:
    """The edges and their types, one tie per pair of nodes: where a peer tie lands on a
    reporting line, the reporting line stays (parts are in order of precedence and np.unique
    keeps the first occurrence)."""
    edges = np.concatenate([np.stack([u, v], axis=1) for u, v, _ in parts]).astype(np.int64)
    edge_type = np.concatenate([np.full(u.size, k, dtype=np.int8) for u, _, k in parts])
    key = np.minimum(edges[:, 0], edges[:, 1]) * n_total + np.maximum(edges[:, 0], edges[:, 1])
    first = np.sort(np.unique(key, return_index=True)[1])
    return edges[first], edge_type[first]
