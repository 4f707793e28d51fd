"""Where each node is drawn: a radial tree per organization, computed once per structure.

The organization's hub (where its code lives) sits at the centre; hierarchy levels are rings
around it (the top just above the hub, the frontline on the outermost ring of members);
every person gets an angular wedge proportional to the size of the subtree under them, so a
manager sits in the middle of their reports and each unit (a subtree under level 1) is one
sector. Stakeholders sit on a ring outside, each near the frontline people it is tied to.
Several organizations are laid side by side on a grid.

Nothing here draws random numbers: the picture of a given structure is always the same.

Examples
--------
>>> from sim.model import AgoraModel
>>> model = AgoraModel({"org": {"size": 13}, "hierarchy": {"depth": 3},
...                     "stakeholders": {"count": 4}}, seed=1)
>>> lay = layout_of(model)
>>> lay.pos.shape, lay.n_units, lay.ring.tolist()[:5], int(lay.ring[-1])
((17, 2), 3, [0, 1, 1, 1, 2], 3)
>>> bool(np.allclose(np.hypot(*lay.pos[13:].T), 1.0))   # stakeholders on the unit circle
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.org.network import EXTERNAL, Network

__all__ = ["MAX_DRAW_NODES", "Layout", "radial_layout", "layout_of", "sample_nodes"]

#: Above this many nodes the picture shows an evenly spaced sample of each ring: beyond it
#: the markers overlap and a redraw no longer fits in the half second a class waits.
MAX_DRAW_NODES = 1500

#: Distance between organization centres (each drawing has radius 1).
ORG_SPACING = 2.6

#: Radius of the top level, as a share of the ring spacing (the hub itself is at 0).
TOP_RADIUS = 0.35

#: Gap between the frontline and the stakeholders' ring, as a share of the ring spacing.
STAKEHOLDER_GAP = 0.6


@dataclass(frozen=True)
class Layout:
    """Positions of every node and of each organization's hub.

    Attributes
    ----------
    pos
        ``(n_nodes, 2)``: individuals, then stakeholders.
    hub
        ``(n_orgs, 2)``: where each organization (its code) is drawn.
    ring
        Per node: its hierarchy level, or ``depth`` (one past the deepest level) for stakeholders.
    angle
        Per node: its angle on its ring, in radians, clockwise from the top.
    org
        Per node: the organization whose drawing it belongs to.
    sectors
        ``(n_units, 3)``: the organization of each unit and the start and end angle of its sector.
    step
        Distance between two rings.
    depth
        Number of member rings (levels).
    """

    pos: np.ndarray
    hub: np.ndarray
    ring: np.ndarray
    angle: np.ndarray
    org: np.ndarray
    sectors: np.ndarray
    step: float
    depth: int
    n_individuals: int

    @property
    def n_nodes(self) -> int:
        return int(self.pos.shape[0])

    @property
    def n_units(self) -> int:
        return int(self.sectors.shape[0])

    def extent(self, margin: float = 0.12) -> tuple[float, float, float, float]:
        """``(xmin, xmax, ymin, ymax)`` around every organization's drawing."""
        lo = self.hub.min(0) - 1 - margin
        hi = self.hub.max(0) + 1 + margin
        return float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])


def _subtree_sizes(manager: np.ndarray, level: np.ndarray) -> np.ndarray:
    """Number of people in each person's subtree (themselves included), bottom-up by level."""
    size = np.ones(manager.size)
    for lv in range(int(level.max(initial=0)), 0, -1):
        rows = np.flatnonzero(level == lv)
        size += np.bincount(manager[rows], weights=size[rows], minlength=manager.size)
    return size


def _split_wedges(
    keys: np.ndarray, weights: np.ndarray, parent_lo: np.ndarray, parent_width: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Split each parent's wedge among its children in proportion to their weights.

    ``keys`` indexes ``parent_lo``/``parent_width``; children keep their given order.

    >>> lo, w = _split_wedges(np.array([0, 0, 1]), np.array([1.0, 3.0, 2.0]),
    ...                       np.array([0.0, 1.0]), np.array([1.0, 0.5]))
    >>> lo.tolist(), w.tolist()
    ([0.0, 0.25, 1.0], [0.25, 0.75, 0.5])
    """
    order = np.argsort(keys, kind="stable")
    k, w = keys[order], weights[order]
    total = np.bincount(k, weights=w, minlength=parent_lo.size)
    cum = np.cumsum(w) - w
    first = np.searchsorted(k, k, side="left")
    before = cum - cum[first]
    lo = np.empty_like(w)
    width = np.empty_like(w)
    lo[order] = parent_lo[k] + before / total[k] * parent_width[k]
    width[order] = w / total[k] * parent_width[k]
    return lo, width


def _org_centres(n_orgs: int) -> np.ndarray:
    """Organization centres on a grid, left to right then top to bottom."""
    cols = int(np.ceil(np.sqrt(n_orgs)))
    idx = np.arange(n_orgs)
    return np.stack([(idx % cols) * ORG_SPACING, -(idx // cols) * ORG_SPACING], axis=1)


def _stakeholder_angles(
    network: Network, stakeholder_org: np.ndarray, member_angle: np.ndarray
) -> np.ndarray:
    """Evenly spaced angles per organization, ordered by the mean angle of each one's ties."""
    n, k = network.n_individuals, stakeholder_org.size
    ext = network.edges[network.edge_type == EXTERNAL]
    member, stake = ext[:, 0], ext[:, 1] - n
    # Circular mean of the angles of each stakeholder's frontline contacts.
    sx = np.bincount(stake, weights=np.sin(member_angle[member]), minlength=k)
    cx = np.bincount(stake, weights=np.cos(member_angle[member]), minlength=k)
    tied = np.bincount(stake, minlength=k) > 0
    wanted = np.mod(np.arctan2(sx, cx), 2 * np.pi)
    angle = np.zeros(k)
    for o in np.unique(stakeholder_org):
        rows = np.flatnonzero(stakeholder_org == o)
        slots = 2 * np.pi * np.arange(rows.size) / rows.size
        # Untied stakeholders fill the circle evenly; tied ones sit near their contacts.
        want = np.where(tied[rows], wanted[rows], slots)
        order = np.argsort(want, kind="stable")
        shift = np.angle(np.exp(1j * (want[order] - slots)).mean()) if tied[rows].any() else 0.0
        angle[rows[order]] = np.mod(slots + shift, 2 * np.pi)
    return angle


def radial_layout(network: Network, stakeholder_org: np.ndarray, n_orgs: int) -> Layout:
    """Lay out every organization as a radial tree with its stakeholders on an outer ring.

    Parameters
    ----------
    network
        The model's :class:`~sim.org.network.Network` (its tree and external ties are used).
    stakeholder_org
        The organization each stakeholder belongs to (drawn around that organization).
    n_orgs
        Number of organizations.

    Returns
    -------
    Layout
    """
    tree = network.tree
    n, k = network.n_individuals, int(stakeholder_org.size)
    level = tree.level
    deepest = int(level.max(initial=0))
    depth = deepest + 1
    outer = deepest + (STAKEHOLDER_GAP if k else 0)
    step = 1.0 / outer if outer > 0 else 1.0

    # Angular wedges, top-down: roots share their organization's full circle.
    size = _subtree_sizes(tree.manager, level)
    lo, width = np.zeros(n), np.zeros(n)
    roots = np.flatnonzero(level == 0)
    lo[roots], width[roots] = _split_wedges(
        tree.org[roots], size[roots], np.zeros(n_orgs), np.full(n_orgs, 2 * np.pi)
    )
    for lv in range(1, depth):
        rows = np.flatnonzero(level == lv)
        lo[rows], width[rows] = _split_wedges(tree.manager[rows], size[rows], lo, width)
    angle = lo + width / 2
    # A lone top person sits straight above the hub rather than half way round.
    lone = np.bincount(tree.org[roots], minlength=n_orgs)[tree.org[roots]] == 1
    angle[roots[lone]] = 0.0
    radius = np.where(level == 0, TOP_RADIUS * step, level * step)

    s_angle = _stakeholder_angles(network, stakeholder_org, angle) if k else np.zeros(0)
    all_angle = np.concatenate([angle, s_angle])
    all_radius = np.concatenate([radius, np.ones(k)])
    org = np.concatenate([tree.org, stakeholder_org]).astype(np.int64)
    centres = _org_centres(n_orgs)
    # Angles run clockwise from the top, like a clock face.
    pos = centres[org] + all_radius[:, None] * np.stack(
        [np.sin(all_angle), np.cos(all_angle)], axis=1
    )

    unit_rows = np.flatnonzero((level == 1) & (tree.unit >= 0))
    units = np.unique(tree.unit[unit_rows])
    sectors = np.zeros((units.size, 3))
    if units.size:
        u = np.searchsorted(units, tree.unit[unit_rows])
        sectors[:, 0] = np.bincount(u, weights=tree.org[unit_rows], minlength=units.size) / (
            np.bincount(u, minlength=units.size)
        )
        start = np.full(units.size, np.inf)
        end = np.full(units.size, -np.inf)
        np.minimum.at(start, u, lo[unit_rows])
        np.maximum.at(end, u, lo[unit_rows] + width[unit_rows])
        sectors[:, 1], sectors[:, 2] = start, end
    ring = np.concatenate([level, np.full(k, depth)]).astype(np.int64)
    return Layout(
        pos=pos,
        hub=centres.astype(float),
        ring=ring,
        angle=all_angle,
        org=org,
        sectors=sectors,
        step=step,
        depth=depth,
        n_individuals=n,
    )


def layout_of(model) -> Layout:
    """The layout of a model's structure, stakeholders drawn with their first organization."""
    return radial_layout(model.network, model.initial_stakeholder_org, model.cfg.org.count)


def sample_nodes(layout: Layout, max_nodes: int = MAX_DRAW_NODES) -> np.ndarray:
    """Indices of the nodes to draw: all of them, or an evenly spaced sample of every ring.

    Each ring of each organization keeps about ``max_nodes / n_nodes`` of its nodes, spread
    evenly around the ring, so the sample keeps the shape of the whole; small rings (the top
    levels) are kept whole.

    >>> from sim.model import AgoraModel
    >>> lay = layout_of(AgoraModel({"org": {"size": 400}, "stakeholders": {"count": 100}}))
    >>> keep = sample_nodes(lay, 250)
    >>> len(sample_nodes(lay, 1000)), 240 <= len(keep) <= 270, bool((lay.ring[keep] == 0).any())
    (500, True, True)
    """
    n = layout.n_nodes
    if n <= max_nodes:
        return np.arange(n)
    group = layout.org * (layout.depth + 1) + layout.ring
    order = np.lexsort((layout.angle, group))
    g = group[order]
    counts = np.bincount(g)
    first = np.searchsorted(g, g, side="left")
    rank = np.arange(n) - first
    want = np.ceil(counts * max_nodes / n)
    want = np.where(counts <= 12, counts, want)[g]
    size = counts[g]
    # Keep the rank where floor(rank * want / size) steps up: evenly spaced, no draws needed.
    keep = np.floor((rank + 1) * want / size) > np.floor(rank * want / size)
    return np.sort(order[keep])
