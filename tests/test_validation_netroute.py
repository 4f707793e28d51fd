"""Routing over the network (hierarchy.routing: network) against a naive per-message reference."""

from collections import deque

import numpy as np
import pytest

from sim.config import load_config
from sim.model import AgoraModel
from sim.rules import netroute
from sim.rules.messages import VOICE

# A hand-built organization: a tree 0 -> (1, 2), 1 -> (3, 4), 2 -> (5, 6), 3 -> 7, plus a
# cross-unit tie 4 - 5 and a tie 7 - 2 that cuts across the top.
MANAGER = np.array([-1, 0, 0, 1, 1, 2, 2, 3])
EXTRA = [(4, 5), (7, 2)]
EDGES = [(i, int(m)) for i, m in enumerate(MANAGER) if m >= 0] + EXTRA


def _neighbours():
    nb = {i: set() for i in range(MANAGER.size)}
    for a, b in EDGES:
        nb[a].add(b)
        nb[b].add(a)
    return nb


def _bfs(nb, sources):
    dist = {s: 0 for s in sources}
    queue = deque(sources)
    while queue:
        v = queue.popleft()
        for w in sorted(nb[v]):
            if w not in dist:
                dist[w] = dist[v] + 1
                queue.append(w)
    return dist


def _naive_next(nb, v, dist):
    """One message at v: the manager if it is a step closer, else the lowest closer index."""
    closer = [w for w in sorted(nb[v]) if dist.get(w, np.inf) == dist[v] - 1]
    if not closer:
        return -1
    return int(MANAGER[v]) if MANAGER[v] in closer else closer[0]


def test_next_hop_table_against_a_naive_bfs_per_message():
    ip, ix = netroute.csr(EDGES, MANAGER.size)
    table = netroute.next_hop_table(ip, ix, MANAGER)
    nb = _neighbours()
    for t in range(MANAGER.size):
        dist = _bfs(nb, [t])
        for v in range(MANAGER.size):
            expect = t if v == t else _naive_next(nb, v, dist)
            assert table[v, t] == expect, (v, t)
    # The tie 7 - 2 is a shortcut: from 7 to 6 the path goes 7, 2, 6, not up to the top.
    assert table[7, 6] == 2 and table[3, 0] == 1


def test_messages_travel_one_hop_a_step_along_shortest_paths():
    ip, ix = netroute.csr(EDGES, MANAGER.size)
    table = netroute.next_hop_table(ip, ix, MANAGER)
    nb = _neighbours()
    rng = np.random.default_rng(0)
    src = rng.integers(0, 8, 40)
    tgt = (src + rng.integers(1, 8, 40)) % 8
    holder, arrived_at = src.copy(), np.full(40, -1)
    roomy = np.full(8, 1000)
    for step in range(1, 6):
        moving = arrived_at < 0
        h = netroute.hop(holder[moving], tgt[moving], table, roomy, rng)
        assert not h.dropped.any()
        holder[moving] = h.holder
        arrived_at[np.flatnonzero(moving)[h.arrived]] = step
    for s, t, k in zip(src, tgt, arrived_at, strict=True):
        assert k == _bfs(nb, [int(t)])[int(s)]  # exactly the shortest distance


def test_attention_caps_what_each_node_reads_and_counts_intermediaries():
    ip, ix = netroute.csr(EDGES, MANAGER.size)
    table = netroute.next_hop_table(ip, ix, MANAGER)
    # Six messages from 3 and 4 to 6 all reach 1 or 5 first; 1 can read only two.
    src = np.array([3, 3, 3, 4, 4, 4])
    tgt = np.full(6, 6)
    cap = np.array([9, 2, 9, 9, 9, 9, 9, 9])
    h = netroute.hop(src, tgt, table, cap, np.random.default_rng(1), source=src)
    arrivals = np.bincount(h.holder, minlength=8)
    read = np.bincount(h.holder[~h.dropped], minlength=8)
    np.testing.assert_array_equal(read, np.minimum(arrivals, cap))
    assert h.passed_on.sum() == 0  # the senders hand over their own messages
    h2 = netroute.hop(
        h.holder[~h.dropped],
        tgt[~h.dropped],
        table,
        cap,
        np.random.default_rng(1),
        source=src[~h.dropped],
    )
    assert h2.passed_on.sum() == int((~h.dropped).sum())


def test_on_a_pure_tree_network_routing_is_the_chain_of_command():
    base = ["regime.upward=chain", "openness.peer=0", "openness.internal=0", "openness.external=0"]
    chain = AgoraModel(load_config([*base, "hierarchy.routing=chain"]), seed=3)
    net = AgoraModel(load_config([*base, "hierarchy.routing=network"]), seed=3)
    np.testing.assert_array_equal(chain.wiring.chain_up, net.wiring.chain_up)
    wide = AgoraModel(
        load_config(["regime.upward=chain", "hierarchy.routing=network", "openness.internal=1"]),
        seed=3,
    )
    assert (wide.wiring.chain_up != chain.wiring.chain_up).any()  # shortcuts over cross-unit ties


def _hops_to_leadership(up):
    steps = np.zeros(up.size, dtype=int)
    for v in range(up.size):
        k, w = 0, v
        while up[w] >= 0:
            w, k = up[w], k + 1
            assert k <= up.size
        steps[v] = k
    return steps


def test_network_paths_are_never_longer_than_the_chain():
    over = ["regime.upward=chain", "openness.internal=1"]
    chain = AgoraModel(load_config([*over, "hierarchy.routing=chain"]), seed=5)
    net = AgoraModel(load_config([*over, "hierarchy.routing=network"]), seed=5)
    a, b = _hops_to_leadership(chain.wiring.chain_up), _hops_to_leadership(net.wiring.chain_up)
    assert (b <= a).all() and (b < a).any()


def test_option_off_never_calls_the_network_rule(monkeypatch):
    """While routing is direct or chain, the rule is not called: default outputs unchanged."""
    import sim
    import sim.rules.wiring

    def boom(*args, **kwargs):
        raise AssertionError("network routing used while off")

    monkeypatch.setattr(sim.rules.wiring, "leadership_hops", boom)
    for routing in ("direct", "chain"):
        sim.simulate(load_config([f"hierarchy.routing={routing}", "steps=3", "org.size=40"]))


def test_network_routing_runs_and_is_reproducible():
    import sim

    cfg = load_config(
        [
            "regime.upward=chain",
            "hierarchy.routing=network",
            "openness.internal=1",
            "steps=15",
            "org.size=60",
        ]
    )
    a, b = sim.simulate(cfg).metrics, sim.simulate(cfg).metrics
    assert a.equals(b)
    assert a["ideas_considered"].sum() > 0


def test_unknown_routing_is_refused():
    with pytest.raises(Exception, match="hierarchy.routing"):
        load_config(["hierarchy.routing=teleport"])


def _network_config(draw, switch: bool):
    from hypothesis import strategies as st

    cfg = {
        "steps": 8,
        "seed": draw(st.integers(0, 10_000)),
        "org": {"size": draw(st.integers(8, 80)), "count": draw(st.integers(1, 2))},
        "hierarchy": {
            "depth": draw(st.integers(2, 4)),
            "routing": "chain" if switch else "network",
            "relay": draw(st.floats(0, 1)),
            "distortion": draw(st.floats(0, 1)),
        },
        "stakeholders": {"count": draw(st.integers(0, 12))},
        "population": {
            "attention": draw(st.integers(0, 4)),
            "talk": draw(st.floats(0, 1)),
            "voice": draw(st.floats(0, 1)),
        },
        "openness": {
            "internal": draw(st.floats(0, 1)),
            "external": draw(st.floats(0, 1)),
            "peer": draw(st.floats(0, 1)),
            "voice": draw(st.floats(0, 1)),
        },
        "regime": {
            "name": "hybrid",
            "mix": draw(st.floats(0, 1)),
            "upward": draw(st.sampled_from(["chain", "voice"])),
        },
    }
    if switch:  # to network routing mid-run, with ideas still on their way up the chain
        cfg["interventions"] = [
            {"at": draw(st.integers(1, 7)), "set": {"hierarchy.routing": "network"}}
        ]
    return cfg


def _check_step(model, totals):
    t, d = model.tally, model.delivered
    assert (t.read <= model.attention).all()
    assert t.sent_by_kind.sum() == t.sent
    totals[0] += t.sent
    totals[1] += t.delivered + t.dropped + t.filtered
    assert totals[0] == totals[1] + len(model.in_flight)
    assert np.array_equal(d.holder, d.target)


@pytest.mark.slow
def test_invariants_hold_under_network_routing():
    """Any configuration: every message accounted for, nobody reads beyond attention, and each
    idea in flight is as many hops from the leadership as the shortest path left it."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.data(), switch=st.booleans())
    def check(data, switch):
        cfg = _network_config(data.draw, switch)
        model = AgoraModel(cfg)
        totals = [0, 0]
        for _ in range(cfg["steps"]):
            model.step()
            _check_step(model, totals)
            if switch:
                continue
            left = _hops_to_leadership(model.wiring.chain_up)
            v = model.in_flight
            mine = v.origin < model.n_individuals
            hops = model.current_step - v.sent[mine] + 1
            assert np.array_equal(left[v.holder[mine]], left[v.origin[mine]] - hops)
            up = model.delivered.take(
                (model.delivered.kind == VOICE) & (model.delivered.origin < model.n_individuals)
            )
            via = model.wiring.up_chain[up.origin] if model.wiring.up_chain is not None else False
            assert np.array_equal(model.current_step - up.sent, np.where(via, left[up.origin], 0))

    check()
