"""The values each key allows live on the schema's fields; the checks are derived from them.

Pins every key's message (``docs/`` and other tests quote them), that a field added with a
range is checked without touching :mod:`sim.config.checks`, that every number in the schema
says what it allows (or is named here as unbounded), and that the roads into a configuration
give the same checked config.
"""

from __future__ import annotations

import copy
import dataclasses
import typing

import pytest

from sim.config import AgoraConfig, ConfigError, load_config, to_config
from sim.config.checks import check_config, check_ranges, range_rules
from sim.config.guards import dataclass_of
from sim.config.schema import ALLOWED_META, at_least, one_of, probability

#: Every key with a range and what its error says is allowed, in the schema's order.
MESSAGES = {
    "seed": "an integer from 0 to 2**63 - 1",
    "steps": "an integer >= 0",
    "replicates": "an integer >= 1",
    "environment.dims": "an integer >= 1",
    "environment.turbulence": "a probability in [0, 1]",
    "environment.landscape": "one of ['additive', 'nk']",
    "environment.k": "an integer >= 0",
    "population.turnover": "a probability in [0, 1]",
    "population.exploration": "a probability in [0, 1]",
    "population.attention": "an integer >= 0",
    "population.talk": "a probability in [0, 1]",
    "population.reply": "a probability in [0, 1]",
    "population.voice": "a probability in [0, 1]",
    "population.post_dims": "an integer >= 1",
    "population.peer_influence": "a probability in [0, 1]",
    "population.engagement": "a number in [0, 1]",
    "population.trust": "a number in [0, 1]",
    "population.engagement_gain": "a number in [0, 1]",
    "population.engagement_loss": "a number in [0, 1]",
    "population.engagement_drift": "a number in [0, 1]",
    "population.trust_rate": "a number in [0, 1]",
    "population.memory": "a number in [0, 1]",
    "population.fast_share": "a number in [0, 1]",
    "population.fast_socialization": "a probability in [0, 1]",
    "population.peer_rule": "one of ['majority', 'imitate', 'learn_superior']",
    "population.audience": "one of ['one', 'all']",
    "population.opinion": "one of ['off', 'degroot', 'fj'] (in a YAML file write 'off' in quotes)",
    "population.stubbornness": "a number in [0, 1]",
    "population.engagement_loss_post": "a number in [0, 1]",
    "population.engagement_clarity": "a number in [0, 1]",
    "population.engagement_fatigue": "a number in [0, 1]",
    "population.time": "a number >= 0",
    "population.time_read": "a number >= 0",
    "population.time_post": "a number >= 0",
    "population.time_reply": "a number >= 0",
    "population.time_vote": "a number >= 0",
    "population.time_voice": "a number >= 0",
    "hierarchy.depth": "an integer from 1 to 12",
    "hierarchy.span": "null or an integer >= 1",
    "hierarchy.routing": "one of ['direct', 'chain', 'network']",
    "hierarchy.relay": "a probability in [0, 1]",
    "hierarchy.distortion": "a probability in [0, 1]",
    "org.count": "an integer from 1 to 100",
    "org.size": "null or an integer >= 1",
    "org.attention": "an integer >= 0",
    "org.leader_levels": "an integer >= 1",
    "org.answer_cost": "a number >= 0",
    "org.exploration": "a probability in [0, 1]",
    "org.espoused": "a probability in [0, 1]",
    "org.adapt": "one of ['off', 'on']",
    "org.review": "an integer >= 1",
    "org.objective": "one of ['engagement', 'value']",
    "org.adapt_step": "a number in [0, 1]",
    "org.adapt_noise": "a number >= 0",
    "stakeholders.count": "an integer >= 0",
    "stakeholders.needs": "a share in (0, 1]",
    "stakeholders.threshold": "a number in [0, 1]",
    "stakeholders.switching": "a probability in [0, 1]",
    "network.peer_degree": "an even integer >= 0",
    "network.rewire": "a probability in [0, 1]",
    "network.cross_unit_degree": "a number >= 0",
    "network.external_degree": "a number >= 0",
    "network.inter_org_degree": "a number >= 0",
    "network.pattern": "one of ['random', 'multiscale']",
    "network.lam": "a number from 0.01 to 100",
    "network.zeta": "a number from 0.01 to 100",
    "openness.peer": "a number in [0, 1]",
    "openness.internal": "a number in [0, 1]",
    "openness.external": "a number in [0, 1]",
    "openness.inter_org": "a number in [0, 1]",
    "openness.voice": "a number in [0, 1]",
    "regime.mix": "a number in [0, 1]",
    "regime.broadcast_rate": "a probability in [0, 1]",
    "regime.socialization": "a probability in [0, 1]",
    "regime.listening": "a probability in [0, 1]",
    "regime.upward": "one of ['chain', 'voice', 'observe']",
    "regime.responsiveness": "a probability in [0, 1]",
    "regime.decision": "one of ['leaders', 'vote']",
    "regime.quorum": "an integer >= 0",
    "platform.rollout": "one of ['everyone', 'champions', 'top_down']",
    "platform.champions": "a number in [0, 1]",
    "platform.rate": "a probability in [0, 1]",
    "platform.threshold_sd": "a number >= 0",
    "platform.usefulness": "a number >= 0",
    "platform.leader_weight": "a number >= 0",
    "platform.patience": "an integer >= 1",
    "leadership.participation": "a number in [0, 1]",
    "leadership.voice_lift": "a number >= 0",
    "value.idea_value": "a number >= 0",
    "value.share": "a number in [0, 1]",
    "value.share_max": "a number in [0, 1]",
    "value.bargaining": "a number in [0, 1]",
}

#: Numbers of the schema without a range, each for a reason.
UNBOUNDED = {
    "platform.threshold",  # a mean adoption threshold: any number is a setting (Granovetter)
    "limits.memory_gb",  # null or a number of GB; checked against the estimate in limits
    "interventions",  # a list, checked item by item when applied
}


def test_every_message_is_as_before():
    assert {key: text for key, _, text in range_rules()} == MESSAGES


def _numbers(cls: type = AgoraConfig, prefix: str = ""):
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        kind, key = hints[f.name], f"{prefix}{f.name}"
        sub = dataclass_of(kind)
        if sub is not None:
            yield from _numbers(sub, key + ".")
        elif kind is not bool and (
            {int, float} & {kind, *typing.get_args(kind)} or typing.get_origin(kind) is list
        ):
            yield key, f


def test_every_number_says_what_it_allows_or_is_named_unbounded():
    missing = [
        key for key, f in _numbers() if ALLOWED_META not in f.metadata and key not in UNBOUNDED
    ]
    assert not missing, f"give these a range in sim/config/schema.py: {missing}"
    assert UNBOUNDED <= {key for key, _ in _numbers()}


def _outside(allowed, value):
    """A value of ``value``'s type that ``allowed`` refuses."""
    if allowed.choices:
        return "bogus"
    if allowed.even:
        return 3
    if allowed.high is not None and allowed.high < 2**62:
        return type(value or 0)(allowed.high + 1)
    return type(value or 0)(allowed.low - 1)


@pytest.fixture(scope="module")
def default():
    return to_config({})


@pytest.mark.parametrize("key", list(MESSAGES))
def test_each_key_out_of_its_range_is_refused_naming_it(key, default):
    cfg = copy.deepcopy(default)
    *groups, name = key.split(".")
    node = cfg
    for group in groups:
        node = getattr(node, group)
    allowed = next(a for k, a, _ in range_rules() if k == key)
    setattr(node, name, _outside(allowed, getattr(node, name)))
    with pytest.raises(ConfigError, match=rf"^{key}=\S+ is out of range: "):
        check_config(cfg)


def test_a_field_added_with_a_range_is_checked_without_touching_the_checks():
    @dataclasses.dataclass
    class Extra:
        rate: float = probability(0.5)
        size: int | None = at_least(None, 1)
        mode: str = one_of("a", ("a", "b"))

    rules = {key: text for key, _, text in range_rules(Extra, "extra.")}
    assert rules == {
        "extra.rate": "a probability in [0, 1]",
        "extra.size": "null or an integer >= 1",
        "extra.mode": "one of ['a', 'b']",
    }
    allowed = {key: a for key, a, _ in range_rules(Extra, "extra.")}
    assert allowed["extra.rate"].ok(1.0) and not allowed["extra.rate"].ok(1.01)
    assert allowed["extra.size"].ok(None) and not allowed["extra.size"].ok(0)


def test_check_ranges_reads_the_fields_metadata():
    cfg = AgoraConfig()
    check_ranges(cfg)
    cfg.network.peer_degree = 5
    with pytest.raises(
        ConfigError, match=r"^network\.peer_degree=5 is out of range: an even integer >= 0$"
    ):
        check_ranges(cfg)


def test_the_roads_into_a_configuration_meet():
    overrides = ["steps=7", "hierarchy.relay=0.5", "regime.mix=0.25"]
    from_overrides = to_config(load_config(overrides))
    from_mapping = to_config({"steps": 7, "hierarchy": {"relay": 0.5}, "regime": {"mix": 0.25}})
    from_dataclass = to_config(dataclasses.replace(from_overrides))
    assert from_overrides == from_mapping == from_dataclass == to_config(overrides)
    assert from_mapping.regime.broadcast_rate == pytest.approx(0.8)  # filled from the mix
