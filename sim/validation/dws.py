"""Dodds, Watts & Sabel (2003): congestion in a hierarchy, and which extra ties relieve it.

The backbone is a complete reporting tree (``sim.org.network.hierarchy_tree``). Messages travel
between random pairs of people; every holder passes a message to the neighbour closest to the
target in the tree (DWS's "pseudo-global knowledge": people know where everyone sits in the
formal hierarchy, but only their own ties). The load of a person is the number of messages
passing through them (as an intermediary). In a pure tree nearly every message between two
divisions crosses the top, so the top is the most congested node.

``m`` extra ties are then added between pairs drawn with DWS's probability::

    P(i, j) ~ exp(-D_ij / lam) * exp(-x_ij / zeta)

where ``D_ij`` is the depth of the pair's lowest common ancestor (LCA) counted from the top
(the top is at depth 1) and ``x_ij = sqrt(d_i**2 + d_j**2 - 2)``, with ``d`` the distance of each
to the LCA (siblings have ``x = 0``). The limits give DWS's named families:

=================  ===================  ====================================================
family             (lam, zeta)          ties
=================  ===================  ====================================================
``random``         (inf, inf)           uniformly random pairs
``team``           (inf, -> 0)          siblings only (local team ties), at any level
``interdivision``  (-> 0, inf)          random pairs in different divisions (LCA = top)
``multiscale``     (about 1, about 1)   close to the LCA, at every scale, more near the top
=================  ===================  ====================================================

The comparison also runs Agora's own cross-unit tie generator
(:func:`sim.org.network.cross_unit_ties`, ``random`` and ``multiscale``) on the same tree, so the
model's network option is checked against the same yardstick.

Examples
--------
>>> import numpy as np
>>> tree = make_tree(branching=3, levels=3)
>>> load = message_loads(tree, neighbor_lists(tree), 2000, np.random.default_rng(0))
>>> int(load.argmax())
0
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from sim.org.network import Tree, cross_unit_ties, hierarchy_tree
from sim.validation.common import Comparison, save_figure

__all__ = [
    "FAMILIES",
    "make_tree",
    "ancestors",
    "tree_distance",
    "dws_ties",
    "neighbor_lists",
    "message_loads",
    "run",
]

#: (lam, zeta) of each named tie family; ``0`` and ``inf`` stand for the limits.
FAMILIES = {
    "random": (np.inf, np.inf),
    "team": (np.inf, 0.0),
    "interdivision": (0.0, np.inf),
    "multiscale": (1.0, 1.0),
}


def make_tree(branching: int = 5, levels: int = 5) -> Tree:
    """A complete tree with ``levels`` levels and ``branching`` reports per manager.

    >>> make_tree(2, 3).manager.tolist()
    [-1, 0, 0, 1, 2, 1, 2]
    """
    return hierarchy_tree(None, levels, branching)


def ancestors(tree: Tree) -> np.ndarray:
    """``anc[i, l]`` = the ancestor of ``i`` at level ``l`` (``i`` itself at its own level), or -1.

    >>> ancestors(make_tree(2, 3))[3].tolist()
    [0, 1, 3]
    """
    n, depth = tree.size, int(tree.level.max()) + 1
    anc = np.full((n, depth), -1, dtype=np.int64)
    cur = np.arange(n)
    lvl = tree.level.copy()
    # Walk everyone up at once, one level per pass (at most ``depth`` passes).
    for _ in range(depth):
        ok = cur >= 0
        anc[np.flatnonzero(ok), lvl[ok]] = cur[ok]
        cur = np.where(ok, tree.manager[np.maximum(cur, 0)], -1)
        lvl = lvl - 1
    return anc


def _lca_depth(anc: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Level (0 = top) of the lowest common ancestor of each pair (same tree assumed)."""
    pa, pb = anc[a], anc[b]
    return ((pa == pb) & (pa >= 0)).sum(axis=-1) - 1


def tree_distance(tree: Tree, anc: np.ndarray, a, b) -> np.ndarray:
    """Number of reporting hops between ``a`` and ``b`` (arrays broadcast).

    >>> t = make_tree(2, 3)
    >>> tree_distance(t, ancestors(t), np.array([3, 3, 0]), np.array([4, 5, 6])).tolist()
    [4, 2, 2]
    """
    a, b = np.broadcast_arrays(np.asarray(a), np.asarray(b))
    lca = _lca_depth(anc, a, b)
    return tree.level[a] + tree.level[b] - 2 * lca


def dws_ties(
    tree: Tree,
    m: int,
    lam: float,
    zeta: float,
    rng: np.random.Generator,
    chunk: int = 2_000_000,
) -> tuple[np.ndarray, np.ndarray]:
    """``m`` distinct extra ties drawn with DWS's ``exp(-D/lam) exp(-x/zeta)`` weights.

    Pairs already tied by the tree (manager and report) and self-pairs are excluded. The
    draw is without replacement over all pairs (Gumbel top-``m``, over chunks so memory stays
    bounded); ``lam`` or ``zeta`` of ``0`` keeps only the pairs with the smallest ``D`` or ``x``
    (the limit), ``inf`` ignores that term.

    >>> t = make_tree(3, 3)
    >>> u, v = dws_ties(t, 4, np.inf, 0.0, np.random.default_rng(0))
    >>> bool(np.all(t.manager[u] == t.manager[v]))  # team ties join siblings
    True
    """
    anc = ancestors(tree)
    n = tree.size
    iu, ju = np.triu_indices(n, k=1)
    keep = (tree.manager[iu] != ju) & (tree.manager[ju] != iu)
    iu, ju = iu[keep], ju[keep]
    lca = _lca_depth(anc, iu, ju)
    D = (lca + 1).astype(float)
    di = tree.level[iu] - lca
    dj = tree.level[ju] - lca
    x = np.sqrt(np.maximum(di**2 + dj**2 - 2.0, 0.0))
    logw = np.zeros(iu.size)
    for value, scale in ((D, lam), (x, zeta)):
        if scale == 0:
            logw = np.where(value == value.min(), logw, -np.inf)
        elif np.isfinite(scale):
            logw = logw - value / scale
    ok = np.isfinite(logw)
    if np.count_nonzero(ok) < m:
        raise ValueError(f"only {np.count_nonzero(ok)} eligible pairs for {m} ties")
    # Gumbel top-m = sampling m pairs without replacement with probability ~ weight.
    keys = np.full(iu.size, -np.inf)
    for s in range(0, iu.size, chunk):
        e = min(s + chunk, iu.size)
        keys[s:e] = logw[s:e] + rng.gumbel(size=e - s)
    top = np.argpartition(-keys, m - 1)[:m] if m > 0 else np.empty(0, np.int64)
    top = np.sort(top)
    return iu[top].astype(np.int64), ju[top].astype(np.int64)


def neighbor_lists(tree: Tree, u=None, v=None) -> np.ndarray:
    """Padded (-1) neighbour lists of the tree plus extra undirected ties ``u``-``v``."""
    rows = np.flatnonzero(tree.manager >= 0)
    src = [rows, tree.manager[rows]]
    dst = [tree.manager[rows], rows]
    if u is not None and len(u):
        src += [np.asarray(u), np.asarray(v)]
        dst += [np.asarray(v), np.asarray(u)]
    src, dst = np.concatenate(src), np.concatenate(dst)
    pairs = np.unique(np.stack([src, dst], axis=1), axis=0)
    src, dst = pairs[:, 0], pairs[:, 1]
    deg = np.bincount(src, minlength=tree.size)
    start = np.concatenate([[0], np.cumsum(deg)[:-1]])
    out = np.full((tree.size, max(int(deg.max()), 1)), -1, dtype=np.int64)
    out[src, np.arange(src.size) - start[src]] = dst
    return out


def message_loads(
    tree: Tree,
    neighbors: np.ndarray,
    n_messages: int,
    rng: np.random.Generator,
    batch: int = 4000,
) -> np.ndarray:
    """Messages between random pairs, greedily routed; how many pass through each person.

    Each holder forwards to the neighbour with the smallest tree distance to the target,
    ties broken at random. Because the holder's manager or a report is always one hop closer,
    every hop brings the message closer and it arrives within the tree's diameter.
    """
    anc = ancestors(tree)
    n = tree.size
    load = np.zeros(n, dtype=np.int64)
    has = neighbors >= 0
    for s in range(0, n_messages, batch):
        k = min(batch, n_messages - s)
        src = rng.integers(0, n, size=k)
        tgt = (src + rng.integers(1, n, size=k)) % n  # a different person, uniformly
        cur = src
        active = np.ones(k, dtype=bool)
        while active.any():
            idx = np.flatnonzero(active)
            c, t = cur[idx], tgt[idx]
            nb = neighbors[c]
            d = tree_distance(tree, anc, np.maximum(nb, 0), t[:, None]).astype(float)
            d = np.where(has[c], d + rng.random(d.shape) * 0.5, np.inf)
            nxt = nb[np.arange(idx.size), d.argmin(axis=1)]
            arrived = nxt == t
            load += np.bincount(nxt[~arrived], minlength=n)
            cur[idx] = nxt
            active[idx[arrived]] = False
    return load


def run(
    quick: bool = True,
    seed: int = 2003,
    out_dir: Path | str | None = None,
    branching: int | None = None,
    levels: int | None = None,
    replicates: int | None = None,
) -> Comparison:
    """Max load in a pure hierarchy and with ``m`` added ties of each family.

    Quick: a tree of 4 x 5 levels (341 people); full: 5 x 5 (781), more messages and
    replicate networks. ``m`` is the number of people, as in DWS's ``m ~ N`` regime, and
    for ``ratio`` the max load is divided by the pure hierarchy's.
    """
    t0 = time.perf_counter()
    b = branching or (4 if quick else 5)
    L = levels or 5
    reps = replicates or (3 if quick else 10)
    tree = make_tree(b, L)
    n = tree.size
    m = n
    n_msg = 20 * n if quick else 50 * n
    root = np.random.SeedSequence(seed)
    families = ["hierarchy", *FAMILIES, "agora_random", "agora_multiscale"]
    loads = {f: [] for f in families}
    top_level = {f: [] for f in families}
    for child in root.spawn(reps):
        rng = np.random.default_rng(child)
        for fam in families:
            if fam == "hierarchy":
                u = v = None
            elif fam.startswith("agora_"):
                u, v = cross_unit_ties(tree, m, fam.split("_", 1)[1], rng)
            else:
                lam, zeta = FAMILIES[fam]
                u, v = dws_ties(tree, m, lam, zeta, rng)
            load = message_loads(tree, neighbor_lists(tree, u, v), n_msg, rng)
            loads[fam].append(load.max() / n_msg)
            top_level[fam].append(tree.level[load.argmax()])
    ours = {f: float(np.mean(loads[f])) for f in families}
    busiest = {f: float(np.mean(top_level[f])) for f in families}
    base = ours["hierarchy"]
    ratios = {f: ours[f] / base for f in families}
    passed = bool(
        busiest["hierarchy"] == 0
        and ours["multiscale"] < ours["random"]
        and ours["multiscale"] < ours["team"]
    )
    published = (
        "Pure hierarchy: the top is the most congested node. With m ~ N added links and "
        "messages between random pairs, multiscale ties (lam, zeta ~ 1) cut the maximum load "
        "far more than random or local-team ties (DWS 2003, Fig. 3)."
    )
    ours_text = (
        f"busiest person in the pure tree at level {busiest['hierarchy']:.0f} (the top) carrying "
        f"{base:.0%} of messages; max load relative to the pure tree: multiscale "
        f"{ratios['multiscale']:.2f}, random {ratios['random']:.2f}, team {ratios['team']:.2f}, "
        f"interdivision {ratios['interdivision']:.2f}; Agora's cross-unit generator: random "
        f"{ratios['agora_random']:.2f}, multiscale {ratios['agora_multiscale']:.2f}"
    )
    difference = (
        "ordering reproduced (top busiest; multiscale < random and < team)"
        if passed
        else "ordering NOT reproduced"
    )
    rows = [
        {"quantity": f"max load / pure tree, {f}",
         "published": _PUBLISHED_ORDER.get(f, "(not in DWS)"),
         "ours": f"{ratios[f]:.3f}", "difference": ""}
        for f in families
    ]
    figures = []
    if out_dir is not None:
        figures.append(_plot(ratios, Path(out_dir) / "dws_max_load.png", n, m))
    return Comparison(
        "Dodds, Watts & Sabel (2003)", "Dodds, Watts & Sabel (2003) PNAS 100(21)",
        published, ours_text, difference, passed, figures, rows,
        {"n": n, "m": m, "messages": n_msg, "replicates": reps, "ratio": ratios,
         "max_load_share": ours, "busiest_level": busiest, "branching": b, "levels": L},
        time.perf_counter() - t0,
    )


#: DWS's qualitative result per family (their Fig. 3 shows curves, not a table of numbers).
_PUBLISHED_ORDER = {
    "hierarchy": "1 (top is busiest)",
    "random": "modest reduction",
    "team": "little reduction",
    "interdivision": "reduction, less robust than multiscale",
    "multiscale": "largest reduction",
}


def _plot(ratios: dict[str, float], path: Path, n: int, m: int) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(ratios)
    fig, ax = plt.subplots(figsize=(7, 3.6))
    colors = ["0.4" if k == "hierarchy" else ("C3" if "multiscale" in k else "C0") for k in names]
    ax.bar(range(len(names)), [ratios[k] for k in names], color=colors)
    ax.set_xticks(range(len(names)), names, rotation=20)
    ax.set_ylabel("max load / pure hierarchy")
    ax.set_title(f"Dodds-Watts-Sabel: busiest node, N={n}, m={m} added ties")
    ax.axhline(1.0, color="k", lw=0.6)
    return save_figure(fig, path)
