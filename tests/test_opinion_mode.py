"""The continuous-opinion mode (population.opinion): DeGroot (1974) and Friedkin-Johnsen (1999)
inside Agora's own step, against naive references, hand-worked values and the library."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import frame_hash
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import simulate
from sim.config import ConfigError, load_config, to_config
from sim.model import AgoraModel
from sim.rules import opinion
from sim.rules.messages import BROADCAST, POST, REPLY
from sim.validation import degroot

OPINION_METRICS = ["opinion_mean", "opinion_variance", "leader_influence"]

#: Only the organization speaks: no posts, no ideas (so no answers), no newcomers.
BROADCAST_ONLY = [
    "regime=broadcast",
    "population.talk=0",
    "population.voice=0",
    "population.turnover=0",
    "stakeholders.count=0",
]


class Recording(AgoraModel):
    """Keeps every step's W and what was read, and checks W is row-stochastic."""

    def opinion_step(self, W) -> None:
        assert opinion.is_row_stochastic(W, atol=1e-12)
        self.seen_W = getattr(self, "seen_W", []) + [W]
        self.seen_parts = getattr(self, "seen_parts", []) + [
            {k: self.parts[k] for k in (POST, REPLY, BROADCAST)}
        ]
        self.seen_trust = getattr(self, "seen_trust", []) + [self.trust.copy()]
        super().opinion_step(W)


# ------------------------------------------------------------------ the rule, against naive code


def naive_weights(n, reader, sender, peer_w, org_reader, org, org_w, leaders_of, self_w=1.0):
    """Row by row, message by message, in plain Python."""
    rows = [dict() for _ in range(n)]
    for i in range(n):
        rows[i][i] = self_w
    for r, s in zip(reader, sender, strict=True):
        rows[r][s] = rows[r].get(s, 0.0) + peer_w
    for r, o, w in zip(org_reader, org, org_w, strict=True):
        heads = leaders_of[o]
        for h in heads:
            rows[r][h] = rows[r].get(h, 0.0) + w / len(heads)
    W = np.zeros((n, n))
    for i, row in enumerate(rows):
        total = sum(row.values())
        for j, v in row.items():
            W[i, j] = v / total
    return W


def naive_update(W, x, x0, a):
    out = []
    for i in range(len(x)):
        heard = sum(W[i, j] * x[j] for j in range(len(x)))
        out.append(a * heard + (1 - a) * x0[i])
    return np.array(out)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 12), n_orgs=st.integers(1, 3))
def test_heard_weights_and_update_match_naive_reference(seed, n, n_orgs):
    rng = np.random.default_rng(seed)
    n_orgs = min(n_orgs, n)
    org_of = rng.integers(0, n_orgs, n)
    org_of[:n_orgs] = np.arange(n_orgs)  # every organization has someone
    leader = rng.random(n) < 0.3
    leader[[np.flatnonzero(org_of == o)[0] for o in range(n_orgs)]] = True
    leaders_of = [np.flatnonzero(leader & (org_of == o)).tolist() for o in range(n_orgs)]
    k, kb = int(rng.integers(0, 3 * n)), int(rng.integers(0, 2 * n))
    reader, sender = rng.integers(0, n, k), rng.integers(0, n, k)
    org_reader, org = rng.integers(0, n, kb), rng.integers(0, n_orgs, kb)
    trust = rng.random(n)
    W = opinion.heard_weights(
        n,
        reader,
        sender,
        0.5,
        org_reader=org_reader,
        org=org,
        org_weight=trust[org_reader],
        leaders=opinion.leader_average(org_of, leader, n_orgs),
    )
    ref = naive_weights(n, reader, sender, 0.5, org_reader, org, trust[org_reader], leaders_of)
    np.testing.assert_allclose(W.toarray(), ref, rtol=0, atol=1e-14)
    x, x0, a = rng.uniform(-1, 1, n), rng.uniform(-1, 1, n), float(rng.random())
    new = opinion.update(W, x, x0, a)
    np.testing.assert_allclose(new, naive_update(ref, x, x0, a), rtol=0, atol=1e-14)
    assert np.all(np.abs(new) <= 1)


def test_models_W_matches_naive_reference_built_from_what_was_read():
    """Every channel at once: posts, colleagues' replies, answers, broadcasts passed down the
    chain, stakeholders, two organizations with a two-level leadership."""
    cfg = load_config(
        [
            "regime=conversational",
            "hierarchy=chain",
            "org=several",
            "steps=12",
            "org.size=40",
            "org.leader_levels=2",
            "population.opinion=fj",
        ]
    )
    model = Recording(cfg, seed=11)
    model.run()
    tree_level = np.concatenate([model.network.tree.level, np.full(model.n_stakeholders, 99)])
    leaders_of = [
        np.flatnonzero((model.node_org == o) & (tree_level < 2)).tolist()
        for o in range(model.cfg.org.count)
    ]
    seen = {"post": 0, "peer reply": 0, "answer": 0, "relayed broadcast": 0}
    for W, parts, trust in zip(model.seen_W, model.seen_parts, model.seen_trust, strict=True):
        post, reply, b = parts[POST], parts[REPLY], parts[BROADCAST]
        peer = reply.sender >= 0
        reader = list(post.target) + list(reply.target[peer])
        sender = list(post.sender) + list(reply.sender[peer])
        org_reader = list(b.target) + list(reply.target[~peer])
        org = [-o - 1 for o in list(b.origin) + list(reply.sender[~peer])]
        ref = naive_weights(
            model.n_nodes,
            reader,
            sender,
            opinion.PEER_WEIGHT,
            org_reader,
            org,
            [trust[r] for r in org_reader],
            leaders_of,
            opinion.SELF_WEIGHT,
        )
        np.testing.assert_allclose(W.toarray(), ref, rtol=0, atol=1e-14)
        seen["post"] += len(post)
        seen["peer reply"] += int(peer.sum())
        seen["answer"] += int((~peer).sum())
        seen["relayed broadcast"] += int((b.sender >= 0).sum())
    assert all(v > 0 for v in seen.values()), seen


# ------------------------------------------------------------------ exact values by hand


def _three_people(mode: str, stubbornness: float = 0.0) -> AgoraModel:
    """A top and two reports, nobody else: three opinion nodes, node 0 the leadership."""
    model = AgoraModel(
        {
            "org": {"size": 3},
            "hierarchy": {"depth": 2, "span": 2},
            "stakeholders": {"count": 0},
            "population": {"opinion": mode, "stubbornness": stubbornness},
        },
        seed=1,
    )
    model.opinion[:] = degroot.X0
    model.opinion0[:] = degroot.X0
    return model


def test_degroot_mode_exact_on_the_hand_worked_3x3():
    model = _three_people("degroot")
    for _ in range(200):
        model.opinion_step(degroot.W3)
    np.testing.assert_allclose(model.opinion, degroot.HAND_CONSENSUS, rtol=0, atol=1e-12)
    np.testing.assert_allclose(model.opinion_influence, degroot.HAND_INFLUENCE, atol=1e-12)
    # The leadership is node 0: its share of the influence is pi_1 = 1/4.
    assert model.metrics_frame is not None
    model.measure()
    assert model.records[-1]["leader_influence"] == pytest.approx(0.25, abs=1e-12)


def test_fj_mode_exact_on_the_hand_worked_3x3():
    model = _three_people("fj", stubbornness=0.5)
    for _ in range(200):
        model.opinion_step(degroot.W3)
    np.testing.assert_allclose(model.opinion, degroot.HAND_FJ, rtol=0, atol=1e-12)
    # Column 1 of V is the equilibrium from x0 = e1, (17/24, 1/8, 1/24): its mean is 7/24.
    model.measure()
    assert model.records[-1]["leader_influence"] == pytest.approx(7 / 24, abs=1e-12)
    V = opinion.fj_influence_matrix(degroot.W3, 0.5)
    np.testing.assert_allclose(model.opinion_influence, V.mean(axis=0), atol=1e-12)


# ------------------------------------------------------------------ invariants


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**31),
    mode=st.sampled_from(["degroot", "fj"]),
    stubbornness=st.floats(0, 1),
    mix=st.floats(0, 1),
    routing=st.sampled_from(["direct", "chain"]),
    talk=st.floats(0, 1),
    stakeholders=st.integers(0, 10),
)
def test_opinions_stay_in_range_and_W_is_row_stochastic(
    seed, mode, stubbornness, mix, routing, talk, stakeholders
):
    model = Recording(
        {
            "org": {"size": 30},
            "hierarchy": {"depth": 3, "routing": routing},
            "stakeholders": {"count": stakeholders},
            "regime": {"mix": mix},
            "population": {
                "opinion": mode,
                "stubbornness": stubbornness,
                "talk": talk,
                "turnover": 0.05,
            },
        },
        seed=seed,
    )
    model.run(8)  # Recording checks every W
    assert len(model.seen_W) == 8
    assert np.all(np.abs(model.opinion) <= 1) and np.all(np.abs(model.opinion0) <= 1)
    frame = model.metrics_frame()
    assert frame["opinion_variance"].between(0, 1).all()
    assert frame["leader_influence"].between(-1e-12, 1 + 1e-12).all()
    total = np.sum(model.opinion_influence)
    # DeGroot keeps the mass at 1 every sweep; FJ's partial sums climb to 1 from below.
    assert -1e-12 <= total <= 1 + 1e-9
    if model.influence_converged:
        assert total == pytest.approx(1.0, abs=1e-9)


# ------------------------------------------------------------------ on Agora's hierarchy


def test_broadcast_only_the_leadership_takes_all_influence_and_everyone_follows():
    model = AgoraModel(
        load_config([*BROADCAST_ONLY, "population.opinion=degroot", "steps=200"]), seed=5
    )
    top = np.flatnonzero(model.network.tree.level == 0)
    assert top.size == 1
    start = model.opinion[top[0]]
    model.run()
    frame = model.metrics_frame()
    assert frame["leader_influence"].iloc[0] == pytest.approx(1 / model.n_nodes)
    # 25 warm-started sweeps a step: from step 3 on the estimate sits at 1 within 1e-9.
    lead = frame["leader_influence"].to_numpy()
    assert np.all(np.diff(lead[1:]) > -1e-12)  # it only climbs
    assert np.all(np.abs(lead[3:] - 1) < 1e-9)
    # The leader hears only the organization, whose opinion is its own: it never moves.
    assert model.opinion[top[0]] == pytest.approx(start, abs=1e-12)  # up to rounding
    # The library agrees on the time-averaged W: one closed class, the top.
    ops = model.state.opinions
    pi = opinion.influence_vector((ops.w_sum / ops.w_steps).toarray())
    assert pi[top[0]] == pytest.approx(1.0, abs=1e-9)
    # Members whose trust has fallen to almost nothing barely listen any more: they close in
    # on the leader ever more slowly (weight t / (1 + t) per step), but never move away.
    assert np.max(np.abs(model.opinion - start)) < 1e-3


def test_broadcast_only_with_steady_trust_everyone_reaches_the_leader():
    model = AgoraModel(
        load_config(
            [*BROADCAST_ONLY, "population.opinion=degroot", "population.trust_rate=0", "steps=120"]
        ),
        seed=5,
    )
    start = model.opinion[model.network.tree.level == 0][0]
    model.run()
    # Weight 0.6 / 1.6 on the organization per step: the gap shrinks by 0.625 a step.
    assert np.max(np.abs(model.opinion - start)) < 1e-12
    assert model.metrics_frame()["opinion_variance"].iloc[-1] < 1e-20


def test_peer_talk_spreads_influence_beyond_the_leadership():
    frame = simulate(load_config(["population.opinion=degroot", "steps=60"])).metrics
    assert frame["leader_influence"].iloc[-1] < 0.99


def test_fj_leaves_lasting_disagreement_at_the_library_fixed_point():
    """Trust fixed and a broadcast every step: W is the same each step, so the mode must end at
    the FJ equilibrium the library solves, with disagreement that does not fade."""
    cfg = load_config(
        [
            *BROADCAST_ONLY,
            "population.opinion=fj",
            "population.stubbornness=0.3",
            "population.trust_rate=0",
            "steps=200",
        ]
    )
    model = Recording(cfg, seed=2)
    model.run()
    W = model.seen_W[0]
    assert all((w != W).nnz == 0 for w in model.seen_W)
    fixed = opinion.fj_equilibrium(W, model.opinion0, 0.7)
    np.testing.assert_allclose(model.opinion, fixed, rtol=0, atol=1e-9)
    frame = model.metrics_frame()
    var = frame["opinion_variance"]
    assert var.iloc[-1] > 1e-2
    assert var.iloc[-1] == pytest.approx(var.iloc[-50], abs=1e-9)  # settled, not fading
    V = opinion.fj_influence_matrix(W, 0.7)
    top = np.flatnonzero(model.network.tree.level == 0)
    assert frame["leader_influence"].iloc[-1] == pytest.approx(V.mean(0)[top].sum(), abs=1e-9)
    # DeGroot on the same world reaches consensus.
    dg = AgoraModel(
        load_config(
            [*BROADCAST_ONLY, "population.opinion=degroot", "population.trust_rate=0", "steps=200"]
        ),
        seed=2,
    )
    dg.run()
    assert dg.metrics_frame()["opinion_variance"].iloc[-1] < 1e-10


# ------------------------------------------------------------------ off, seeds, config


def test_mode_off_draws_nothing_and_measures_nan(small):
    model = AgoraModel(small, seed=3)
    model.run(5)
    assert model.opinion is None and model.opinion0 is None
    assert model.rng.bit_generator.seed_seq.n_children_spawned == 0
    assert model.metrics_frame()[OPINION_METRICS].isna().all().all()


def test_mode_on_leaves_every_other_metric_draw_for_draw(small):
    off = simulate({**small, "seed": 9}).metrics
    on = simulate({**small, "seed": 9, "population": {"opinion": "fj"}}).metrics
    others = [c for c in off.columns if c not in OPINION_METRICS]
    assert frame_hash(off[others]) == frame_hash(on[others])
    assert on[OPINION_METRICS].notna().all().all()


def test_same_seed_same_output_different_seed_different(small):
    cfg = {**small, "population": {"opinion": "fj", "turnover": 0.05}, "replicates": 2}
    a = simulate({**cfg, "seed": 4}).metrics
    b = simulate({**cfg, "seed": 4}).metrics
    c = simulate({**cfg, "seed": 5}).metrics
    assert frame_hash(a) == frame_hash(b)
    assert frame_hash(a[OPINION_METRICS]) != frame_hash(c[OPINION_METRICS])


def test_newcomers_bring_fresh_opinions_and_anchors():
    model = AgoraModel(
        {
            "org": {"size": 30},
            "hierarchy": {"depth": 3},
            "population": {"opinion": "fj", "turnover": 0.5},
        },
        seed=8,
    )
    before = model.opinion0.copy()
    model.step()
    changed = model.opinion0 != before
    assert 0 < changed[: model.n_individuals].sum() < model.n_individuals
    assert not changed[model.n_individuals :].any()  # stakeholders do not turn over


def test_an_intervention_can_switch_the_mode_on():
    cfg = {
        "steps": 10,
        "org": {"size": 30},
        "hierarchy": {"depth": 3},
        "interventions": [{"at": 4, "set": {"population.opinion": "degroot"}}],
    }
    frame = simulate(cfg).metrics
    assert frame.loc[frame.step < 4, OPINION_METRICS].isna().all().all()
    assert frame.loc[frame.step >= 4, OPINION_METRICS].notna().all().all()


@pytest.mark.parametrize(
    "override, message",
    [
        (
            "population.opinion=consensus",
            r"population.opinion='consensus' is out of range: one of \['off', 'degroot', 'fj'\]",
        ),
        ("population.stubbornness=1.5", r"population.stubbornness=1.5 is out of range"),
        ("population.stubbornness=-0.1", r"population.stubbornness=-0.1 is out of range"),
    ],
)
def test_bad_values_fail_naming_the_key(override, message):
    with pytest.raises(ConfigError, match=message):
        to_config(load_config([override]))


def test_column_influence_warm_start_reaches_the_same_shares():
    W = sp.csr_matrix(degroot.W3)
    cold, state, ok = opinion.column_influence(W, 0.5)
    warm, _, ok2 = opinion.column_influence(W, 0.5, state=state, max_iter=3)
    assert ok and ok2
    np.testing.assert_allclose(warm, cold, atol=1e-13)
