"""The organization's structure: trees, units, typed ties, seeding and export."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from sim.config import to_config
from sim.org.network import (
    EDGE_TYPES,
    build_network,
    cross_unit_ties,
    derive_span,
    hierarchy_tree,
    small_world_ties,
)


@pytest.mark.parametrize(
    "size,depth,span", [(1, 1, None), (13, 3, 3), (200, 4, None), (40, 2, None), (100, 5, 3)]
)
def test_tree_is_a_tree_of_the_requested_shape(size, depth, span):
    t = hierarchy_tree(size, depth, span)
    assert t.size == size and t.level.max() < depth
    roots = np.flatnonzero(t.manager < 0)
    assert roots.tolist() == [0]
    for i in range(1, size):  # naive: every manager is exactly one level up
        assert t.level[t.manager[i]] == t.level[i] - 1
    span = span or derive_span(size, depth)
    assert np.bincount(t.manager[1:], minlength=size).max() <= span
    if t.level.max() >= 2:
        for i in np.flatnonzero(t.level >= 2):  # a unit is the subtree under level 1
            boss = i
            while t.level[boss] > 1:
                boss = t.manager[boss]
            assert t.unit[i] == t.unit[boss]


def test_last_level_is_spread_evenly():
    t = hierarchy_tree(200, 4, None)
    reports = np.bincount(t.manager[t.level == 3])
    reports = reports[reports > 0]
    assert reports.max() - reports.min() <= 1


def test_small_world_stays_inside_units():
    unit = np.repeat(np.arange(5), 12)
    u, v = small_world_ties(unit, 4, 0.3, 1.0, np.random.default_rng(1))
    assert (unit[u] == unit[v]).all() and (u < v).all()
    assert len(set(zip(u.tolist(), v.tolist()))) == u.size


@pytest.mark.parametrize("pattern", ["random", "multiscale"])
def test_cross_unit_ties_cross_units_in_requested_number(pattern):
    t = hierarchy_tree(300, 4, None)
    u, v = cross_unit_ties(t, 120, pattern, np.random.default_rng(2))
    assert u.size == 120
    assert (t.unit[u] != t.unit[v]).all() and (t.unit[u] >= 0).all()


def test_multiscale_ties_favour_higher_levels_than_random():
    t = hierarchy_tree(2000, 5, None)
    rng = np.random.default_rng(5)
    mean_level = {}
    for pattern in ("random", "multiscale"):
        u, v = cross_unit_ties(t, 400, pattern, rng)
        mean_level[pattern] = np.concatenate([t.level[u], t.level[v]]).mean()
    assert mean_level["multiscale"] < mean_level["random"] - 0.3


def test_openness_scales_tie_counts():
    counts = {}
    for internal in (0.0, 0.5, 1.0):
        cfg = to_config(
            {"org": {"size": 200}, "openness": {"internal": internal, "external": internal}}
        )
        net = build_network(cfg, np.zeros(50, np.int64), np.random.default_rng(0))
        counts[internal] = (net.edge_count("cross_unit"), net.edge_count("external"))
    assert counts[0.0] == (0, 0)
    assert 0 < counts[0.5][0] < counts[1.0][0]
    assert 0 < counts[0.5][1] < counts[1.0][1]


def test_same_generator_seed_same_network_and_export(tmp_path):
    cfg = to_config({"org": {"size": 120}, "stakeholders": {"count": 20}})
    org = np.zeros(20, np.int64)
    a = build_network(cfg, org, np.random.default_rng(9))
    b = build_network(cfg, org, np.random.default_rng(9))
    c = build_network(cfg, org, np.random.default_rng(10))
    assert np.array_equal(a.edges, b.edges) and not np.array_equal(a.edges, c.edges)
    g = a.to_networkx(org)
    assert g.number_of_nodes() == 140 and g.number_of_edges() == len(a.edges)
    assert {d["type"] for _, _, d in g.edges(data=True)} <= set(EDGE_TYPES)
    assert g.nodes[0]["level"] == 0 and g.nodes[130]["kind"] == "stakeholder"
    path = tmp_path / "org.graphml"
    nx.write_graphml(g, path)
    back = nx.read_graphml(path)
    assert back.number_of_edges() == g.number_of_edges()


def test_csr_lists_each_neighbour():
    cfg = to_config({"org": {"size": 60}, "stakeholders": {"count": 10}})
    net = build_network(cfg, np.zeros(10, np.int64), np.random.default_rng(4))
    neighbours = {i: set() for i in range(net.n_nodes)}
    for a, b in net.edges:
        neighbours[a].add(b)
        neighbours[b].add(a)
    for i in range(net.n_nodes):
        assert set(net.indices[net.indptr[i] : net.indptr[i + 1]].tolist()) == neighbours[i]
