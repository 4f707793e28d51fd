"""Model 3.0: every assumed mechanism switchable, symmetric and costly accounting, answers that
carry the code, and metrics that can move both ways (DESIGN section 7)."""

from __future__ import annotations

import copy
from dataclasses import fields, replace

import numpy as np
import pytest
from conftest import SMALL, frame_hash
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import simulate
from sim.config.regimes import ENDS
from sim.config.schema import MechanismsConfig
from sim.model import AgoraModel, Tally
from sim.rules.messages import BROADCAST, POST, REPLY, VOICE, Messages, org_node
from sim.rules.metrics import adaptation_lags
from sim.util.stats import gini

SWITCHES = [f.name for f in fields(MechanismsConfig)]

# Within one step from the same state, what each switch may change; everything else (and the
# random stream) must come out identical. time_costs changes what is read, and so the draws
# that follow: it is checked on its own below.
MAY_CHANGE = {
    "voice_effect": {"engagement"},
    "frustration": {"engagement"},
    "posts_ignored": {"engagement"},
    "votes_as_heard": {"engagement"},
    "broadcast_clarity": {"engagement"},
    "broadcast_fatigue": {"engagement"},
    "benevolence": {"trust"},
    "ability": {"trust"},
    "integrity": {"trust"},
    "broadcast_socialization": {"beliefs"},
    "answer_learning": {"beliefs"},
    "leader_exploration": {"beliefs", "seen"},
}
STATE = (
    "engagement",
    "trust",
    "beliefs",
    "seen",
    "told",
    "code",
    "ideas_heard",
    "ideas_ignored",
    "replies",
)


def _state(model) -> dict[str, object]:
    out = {k: getattr(model, k).copy() for k in STATE if k != "replies"}
    out["replies"] = [tuple(np.asarray(a).tobytes() for a in g) for g in model.replies]
    return out


def _switched(model: AgoraModel, **switches) -> AgoraModel:
    other = copy.deepcopy(model)
    other.cfg = replace(other.cfg, mechanisms=replace(other.cfg.mechanisms, **switches))
    other._derive()
    return other


#: Switches that change beliefs: the rest of the step depends on beliefs (votes, how many cells
#: a colleague's post can move), so the stream and the state are compared right after the
#: phase they act in, where only beliefs (and what one has seen) may differ.
ACTS_IN = {
    "broadcast_socialization": "_socialize_to_what_was_told",
    "answer_learning": "_socialize_to_what_was_told",
    "leader_exploration": "experience",
}


def _run_until(model: AgoraModel, phase: str) -> AgoraModel:
    """Run the next step up to and including ``phase`` (see ACTS_IN)."""
    model.current_step += 1
    model.tally = Tally(model.n_nodes)
    model.intervene()
    model.environment()
    model.experience()
    if phase != "experience":
        model.route(model.speak())
        model._socialize_to_what_was_told()
    return model


@pytest.mark.parametrize("switch", sorted(MAY_CHANGE))
def test_each_switch_changes_only_what_it_names_within_a_step(switch):
    cfg = {
        **SMALL,
        "regime": {"name": "hybrid", "mix": 0.6},
        "steps": 40,
        "environment": {"turbulence": 0.05},
        "org": {"size": 60, "exploration": 1.0},
        "population": {"attention": 2},
    }
    base = AgoraModel(cfg, seed=11)
    base.run(25)
    changed = set()
    for _ in range(6):  # a few steps from the same state, so each mechanism gets to act
        on, off = copy.deepcopy(base), _switched(base, **{switch: False})
        if switch in ACTS_IN:
            _run_until(on, ACTS_IN[switch])
            _run_until(off, ACTS_IN[switch])
        else:
            on.step()
            off.step()
        # The random stream is the same whatever the switch.
        assert on.rng.bit_generator.state == off.rng.bit_generator.state
        a, b = _state(on), _state(off)
        for key in STATE:
            same = (a[key] == b[key]) if key == "replies" else np.array_equal(a[key], b[key])
            if not same:
                changed.add(key)
        base.step()
    assert changed <= MAY_CHANGE[switch], (switch, changed)
    assert changed, f"{switch} off changed nothing in six steps"


#: The essays' switches act only where their own section is set (a platform rollout, a claim,
#: the economy): tests/test_essays.py checks each where it acts.
ESSAY_SWITCHES = {"adoption", "leader_visibility", "authenticity", "bargaining"}


def test_every_switch_has_its_effect_checked():
    assert set(MAY_CHANGE) | {"time_costs"} | ESSAY_SWITCHES == set(SWITCHES)


def test_time_costs_off_reads_up_to_attention_and_answers_cost_nothing():
    cfg = {
        **SMALL,
        "steps": 30,
        "regime": {"name": "conversational"},
        "population": {"time": 1.0, "attention": 4},
        "org": {"size": 60, "attention": 6, "answer_cost": 2.0},
    }
    on = AgoraModel(cfg, seed=2)
    off = AgoraModel({**cfg, "mechanisms": {"time_costs": False}}, seed=2)
    on.run(30)
    off.run(30)
    capacity = on._capacity_now()
    assert (capacity[: on.n_nodes] <= 1).all()  # a unit of time reads one message at most
    assert np.array_equal(off._capacity_now(), off.capacity)
    sum_on = sum(r["ideas_considered"] for r in on.records)
    sum_off = sum(r["ideas_considered"] for r in off.records)
    assert sum_on < sum_off  # answering took the organization's attention


@pytest.mark.parametrize("switch", SWITCHES)
def test_a_hybrid_with_the_same_practices_and_switches_is_the_named_end(switch):
    for name, practices in ENDS.items():
        off = {"mechanisms": {switch: False}, "steps": 12}
        named = simulate({**SMALL, **off, "regime": {"name": name}}).metrics
        hybrid = simulate(
            {**SMALL, **off, "regime": {"name": "hybrid", "mix": 0.37, **practices}}
        ).metrics
        assert frame_hash(named) == frame_hash(hybrid), (switch, name)


# ------------------------------------------------------------- the accounting, by hand

WEIGHTS = {
    "engagement_gain": 0.1,
    "engagement_loss": 0.05,
    "engagement_loss_post": 0.03,
    "engagement_clarity": 0.02,
    "engagement_fatigue": 0.07,
    "engagement_drift": 0.01,
}


def _five_people(mechanisms: dict[str, bool]) -> tuple[AgoraModel, Messages]:
    """Five members (a top and four reports), no stakeholders, voting on, nothing answered,
    attention 2; and an outbox: a broadcast to all, a post from 0 that 1 agrees with (a
    vote), two posts from 2 that 3 disagrees with (over 3's attention with the broadcast),
    an idea from 4 and a colleague's reply to 4."""
    cfg = {
        "org": {"size": 5, "attention": 10, "exploration": 0.0},
        "stakeholders": {"count": 0},
        "hierarchy": {"depth": 2},
        "environment": {"dims": 4, "turbulence": 0.0},
        "population": {
            "attention": 2,
            "reply": 0.0,
            "talk": 0.0,
            "voice": 0.0,
            "turnover": 0.0,
            "exploration": 0.0,
            "engagement": 0.5,
            **WEIGHTS,
        },
        "regime": {
            "name": "hybrid",
            "voting": True,
            "responsiveness": 0.0,
            "upward": "voice",
            "broadcast_rate": 1.0,
            "socialization": 0.0,
            "listening": 0.0,
        },
        "mechanisms": {"time_costs": False, **mechanisms},
    }
    model = AgoraModel(cfg, seed=5)
    model.code[0] = [1, 1, -1, -1]
    model.beliefs[:] = [[1, 1, 1, 1], [1, 1, 0, 0], [1, -1, 1, 1], [-1, -1, -1, -1], [0, 0, 0, 0]]
    model.seen[:] = 0
    model.seen[1, :2] = [1, 1]  # the broadcast is right on what 1 has seen: clear
    model.seen[0, 2:] = [1, 1]  # and wrong on what 0 has seen: not clear
    model.engagement[:] = [0.5, 1.0, 0.4, 0.3, 0.6]  # 1 votes surely (chance = engagement)
    b = (
        BROADCAST,
        org_node(np.zeros(5, dtype=np.int64)),
        np.arange(5),
        np.repeat(model.code[:1], 5, axis=0),
    )
    post = (
        POST,
        np.array([0, 2, 2]),
        np.array([1, 3, 3]),
        np.array([[1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 0, 1]]),
    )
    reply = (REPLY, np.array([3]), np.array([4]), np.array([[0, 0, 0, -1]]))
    voice = (VOICE, np.array([4]), np.array([org_node(0)]), np.array([[0, 1, 0, 0]]))
    model.current_step = 1
    model.tally = Tally(model.n_nodes)
    return model, Messages.assemble(1, [b, post, reply, voice])


def naive_engagement(model, outbox, beliefs, e0, mech) -> list[float]:
    """Per person, in plain Python: heard, ignored (ideas, posts), clear, overloaded. Who read
    what is taken from routing (``model.parts``); the rest is worked out here."""
    w, read = WEIGHTS, model.parts
    votes_count = mech.get("votes_as_heard", True)
    voted_for, post_ignored = [False] * 5, [False] * 5
    for s, r, v in zip(read[POST].sender, read[POST].target, read[POST].values, strict=True):
        agree = sum(int(beliefs[r, d]) * int(v[d]) for d in range(4)) > 0
        assert not agree or e0[r] == 1.0  # a vote is then sure (chance = engagement)
        voted_for[s] = voted_for[s] or agree
        if not (agree and votes_count):  # no reply (reply chance 0), no vote that counts
            post_ignored[s] = True
    for s in range(5):
        sent = sum(
            1 for k, x in zip(outbox.kind, outbox.sender, strict=True) if k == POST and x == s
        )
        if sent > sum(1 for x in read[POST].sender if x == s):  # dropped unread
            post_ignored[s] = True
    out = []
    for i in range(5):
        over = sum(1 for t in outbox.target if t == i) > model.attention[i]
        heard = any(t == i for t in read[REPLY].target) or (voted_for[i] and votes_count)
        idea_ignored = any(o == i for o in read[VOICE].origin)  # nothing is answered
        clear = False
        for t, v in zip(read[BROADCAST].target, read[BROADCAST].values, strict=True):
            if t == i:
                both = [d for d in range(4) if v[d] != 0 and model.seen[i, d] != 0]
                right = [d for d in both if v[d] == model.seen[i, d]]
                clear = clear or (len(both) > 0 and len(right) / len(both) > 0.5)
        up = w["engagement_gain"] * heard * mech.get("voice_effect", True) + w[
            "engagement_clarity"
        ] * clear * mech.get("broadcast_clarity", True)
        frustration = mech.get("frustration", True)
        down = (
            w["engagement_loss"] * idea_ignored * frustration
            + w["engagement_loss_post"]
            * post_ignored[i]
            * frustration
            * mech.get("posts_ignored", True)
            + w["engagement_fatigue"] * over * mech.get("broadcast_fatigue", True)
        )
        e = e0[i]
        e = e + w["engagement_drift"] * (0.5 - e) + up * (1 - e) - down * e
        out.append(min(max(e, 0.0), 1.0))
    return out


@pytest.mark.parametrize(
    "off",
    [
        None,
        "voice_effect",
        "frustration",
        "votes_as_heard",
        "broadcast_clarity",
        "broadcast_fatigue",
        "posts_ignored",
    ],
)
def test_symmetric_accounting_matches_a_naive_reference(off):
    mech = {} if off is None else {off: False}
    model, outbox = _five_people(mech)
    e0, beliefs = model.engagement.copy(), model.beliefs.copy()
    model.route(outbox)
    model.respond()
    assert model.votes[0] == 1 and model.votes[2] == 0  # 1 endorsed 0's post, 3 did not
    assert model.tally.overloaded[3] and not model.tally.overloaded[1]
    expected = naive_engagement(model, outbox, beliefs, e0, mech)
    assert model.engagement.tolist() == pytest.approx(expected)
    if off is None:
        # Each way of being heard has its way of being ignored.
        assert model.engagement[0] > e0[0]  # 0 was voted for
        assert model.engagement[2] < e0[2]  # 2's posts drew nothing
        assert model.engagement[3] < e0[3]  # 3 read beyond its attention


# ------------------------------------------------------------------ time budgets


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_nobody_spends_more_than_its_time(data):
    draw = data.draw
    pop = {
        "time": draw(st.floats(0, 8)),
        "attention": draw(st.integers(0, 6)),
        "talk": draw(st.floats(0, 1)),
        "reply": draw(st.floats(0, 1)),
        "voice": draw(st.floats(0, 1)),
        "audience": draw(st.sampled_from(["one", "all"])),
        **{f"time_{k}": draw(st.floats(0, 3)) for k in ("read", "post", "reply", "vote", "voice")},
    }
    cfg = {
        "steps": 6,
        "seed": draw(st.integers(0, 1000)),
        "org": {"size": draw(st.integers(6, 60)), "answer_cost": draw(st.floats(0, 3))},
        "stakeholders": {"count": draw(st.integers(0, 8))},
        "population": pop,
        "hierarchy": {"routing": draw(st.sampled_from(["direct", "chain"]))},
        "regime": {"name": "hybrid", "mix": draw(st.floats(0, 1))},
    }
    model = AgoraModel(cfg)
    for _ in range(6):
        model.step()
        t = model.tally
        assert (t.spent <= pop["time"] + 1e-9).all()
        assert (t.read <= model.attention).all()
        assert (t.spent >= 0).all()


# ------------------------------------------------------------ answers carry the code


def test_answers_carry_the_code_as_it_stands_when_sent():
    cfg = {**SMALL, "steps": 30, "regime": {"name": "conversational", "responsiveness": 1.0}}
    model = AgoraModel(cfg, seed=4)
    seen_answers = 0
    for _ in range(30):
        code = model.code[0].copy()  # the code when this step's answers are composed
        model.step()
        r = model.parts[REPLY]
        answers = r.values[r.sender < 0]
        said = answers != 0
        assert (answers == code)[said].all()
        seen_answers += int(said.any(axis=1).sum())
    assert seen_answers > 0


def _answered_only(answer_learning: bool) -> AgoraModel:
    """Members hear the organization only through answers: no broadcasts, no peers, no
    exploration or turnover, a code that does not learn."""
    cfg = {
        "steps": 40,
        "org": {"size": 40, "exploration": 0.0},
        "stakeholders": {"count": 0},
        "environment": {"turbulence": 0.0},
        "population": {"turnover": 0.0, "exploration": 0.0, "talk": 0.0, "voice": 0.5},
        "regime": {
            "name": "conversational",
            "broadcast_rate": 0.0,
            "responsiveness": 1.0,
            "socialization": 0.5,
            "listening": 0.0,
        },
        "mechanisms": {"answer_learning": answer_learning},
    }
    model = AgoraModel(cfg, seed=8)
    model.code[0] = np.where(np.random.default_rng(1).random(30) < 0.5, -1, 1)
    return model


def test_members_learn_from_answers_only_while_the_mechanism_is_on():
    on, off = _answered_only(True), _answered_only(False)
    start = off.beliefs.copy()
    on.run(40)
    off.run(40)
    assert np.array_equal(off.beliefs, start)  # nothing else moves beliefs here
    # March's score of members against the code: -1 -> 0 -> +1 steps towards it all count.
    agree = [float((m.beliefs[: m.n_individuals] * m.code[0]).mean()) for m in (on, off)]
    assert agree[0] > agree[1] + 0.05


# ------------------------------------------------------------ metrics, against references


def test_adaptation_lag_matches_a_naive_reference():
    cfg = {**SMALL, "steps": 120, "environment": {"turbulence": 0.05}}
    model = AgoraModel(cfg, seed=3)
    codes, realities = [model.code[0].copy()], [model.reality.copy()]
    for _ in range(120):
        model.step()
        codes.append(model.code[0].copy())
        realities.append(model.reality.copy())
    lags = adaptation_lags(np.array(codes), np.array(realities))
    assert lags.size > 5
    assert model.records[-1]["adaptation_lag"] == pytest.approx(lags.mean())
    assert np.isnan(model.records[0]["adaptation_lag"])


def naive_gini(x):
    x = [float(v) for v in x]
    n, mean = len(x), sum(x) / len(x)
    if mean == 0:
        return 0.0
    return sum(abs(a - b) for a in x for b in x) / (2 * n * n * mean)


def test_gini_access_peer_counts_peer_messages_only():
    model = AgoraModel({**SMALL, "regime": {"name": "hybrid", "mix": 0.8}}, seed=6)
    for _ in range(8):
        model.step()
        got = np.zeros(model.n_nodes)
        for t in model.parts[POST].target:
            got[t] += 1
        for s, t in zip(model.parts[REPLY].sender, model.parts[REPLY].target, strict=True):
            if s >= 0:
                got[t] += 1
        assert model.records[-1]["gini_access_peer"] == pytest.approx(naive_gini(got))
        assert model.records[-1]["gini_access_peer"] == pytest.approx(float(gini(got)))


def test_bottom_up_share_is_a_share_of_improvements_and_not_one_by_definition():
    r = simulate(
        {
            **SMALL,
            "steps": 150,
            "replicates": 3,
            "org": {"size": 60, "exploration": 1.0},
            "environment": {"turbulence": 0.05},
        }
    ).metrics
    last = r[r.step == 150]
    share = last["bottom_up_share"]
    assert ((share >= 0) & (share <= 1)).all()
    assert np.allclose(share, last["innovations_bottom_up"] / last["innovations"])
    assert (share < 1).any()  # the leadership's own findings count from the top
