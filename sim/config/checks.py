"""Range and consistency checks of a configuration, each naming the key and what is allowed.

Examples
--------
>>> from sim.config.schema import AgoraConfig
>>> validate(AgoraConfig()).steps
300
>>> cfg = AgoraConfig()
>>> cfg.hierarchy.relay = 1.5
>>> validate(cfg)
Traceback (most recent call last):
...
sim.config.ConfigError: hierarchy.relay=1.5 is out of range: a probability in [0, 1]
"""

from __future__ import annotations

import math
from typing import Any

from sim.config.guards import check_interpolations, check_values
from sim.config.limits import check_limits
from sim.config.paths import resolve_data_path
from sim.config.schema import (
    AUDIENCES,
    DECISIONS,
    LANDSCAPES,
    OBJECTIVES,
    OPINION_MODES,
    PATTERNS,
    PEER_RULES,
    ROLLOUTS,
    ROUTINGS,
    UPWARD,
    AgoraConfig,
    ConfigError,
)

__all__ = ["validate"]

_PROBABILITY = "a probability in [0, 1]"
_UNIT = "a number in [0, 1]"

# key -> (check, description of what is allowed); integers and floats are checked after the
# schema has already fixed their type.
_RULES: dict[str, tuple[Any, str]] = {
    "seed": (lambda v: 0 <= v < 2**63, "an integer from 0 to 2**63 - 1"),
    "steps": (lambda v: v >= 0, "an integer >= 0"),
    "replicates": (lambda v: v >= 1, "an integer >= 1"),
    "environment.dims": (lambda v: v >= 1, "an integer >= 1"),
    "environment.turbulence": (lambda v: 0 <= v <= 1, _PROBABILITY),
    "environment.landscape": (lambda v: v in LANDSCAPES, f"one of {list(LANDSCAPES)}"),
    "environment.k": (lambda v: v >= 0, "an integer >= 0"),
    "population.peer_rule": (lambda v: v in PEER_RULES, f"one of {list(PEER_RULES)}"),
    "population.audience": (lambda v: v in AUDIENCES, f"one of {list(AUDIENCES)}"),
    "population.turnover": (lambda v: 0 <= v <= 1, _PROBABILITY),
    "population.exploration": (lambda v: 0 <= v <= 1, _PROBABILITY),
    "population.attention": (lambda v: v >= 0, "an integer >= 0"),
    "population.talk": (lambda v: 0 <= v <= 1, _PROBABILITY),
    "population.reply": (lambda v: 0 <= v <= 1, _PROBABILITY),
    "population.voice": (lambda v: 0 <= v <= 1, _PROBABILITY),
    "population.engagement_drift": (lambda v: 0 <= v <= 1, _UNIT),
    "population.memory": (lambda v: 0 <= v <= 1, _UNIT),
    "population.post_dims": (lambda v: v >= 1, "an integer >= 1"),
    "population.peer_influence": (lambda v: 0 <= v <= 1, _PROBABILITY),
    "population.engagement": (lambda v: 0 <= v <= 1, _UNIT),
    "population.trust": (lambda v: 0 <= v <= 1, _UNIT),
    "population.engagement_gain": (lambda v: 0 <= v <= 1, _UNIT),
    "population.engagement_loss": (lambda v: 0 <= v <= 1, _UNIT),
    "population.trust_rate": (lambda v: 0 <= v <= 1, _UNIT),
    "population.fast_share": (lambda v: 0 <= v <= 1, _UNIT),
    "population.fast_socialization": (lambda v: 0 <= v <= 1, _PROBABILITY),
    # YAML reads a bare off as false, which a string field turns into 'False': say so.
    "population.opinion": (
        lambda v: v in OPINION_MODES,
        f"one of {list(OPINION_MODES)} (in a YAML file write 'off' in quotes)",
    ),
    "population.stubbornness": (lambda v: 0 <= v <= 1, _UNIT),
    "population.engagement_loss_post": (lambda v: 0 <= v <= 1, _UNIT),
    "population.engagement_clarity": (lambda v: 0 <= v <= 1, _UNIT),
    "population.engagement_fatigue": (lambda v: 0 <= v <= 1, _UNIT),
    "population.time": (lambda v: v >= 0, "a number >= 0"),
    "population.time_read": (lambda v: v >= 0, "a number >= 0"),
    "population.time_post": (lambda v: v >= 0, "a number >= 0"),
    "population.time_reply": (lambda v: v >= 0, "a number >= 0"),
    "population.time_vote": (lambda v: v >= 0, "a number >= 0"),
    "population.time_voice": (lambda v: v >= 0, "a number >= 0"),
    "org.answer_cost": (lambda v: v >= 0, "a number >= 0"),
    "org.exploration": (lambda v: 0 <= v <= 1, _PROBABILITY),
    "hierarchy.depth": (lambda v: 1 <= v <= 12, "an integer from 1 to 12"),
    "hierarchy.span": (lambda v: v is None or v >= 1, "null or an integer >= 1"),
    "hierarchy.routing": (lambda v: v in ROUTINGS, f"one of {list(ROUTINGS)}"),
    "hierarchy.relay": (lambda v: 0 <= v <= 1, _PROBABILITY),
    "hierarchy.distortion": (lambda v: 0 <= v <= 1, _PROBABILITY),
    "org.count": (lambda v: 1 <= v <= 100, "an integer from 1 to 100"),
    "org.size": (lambda v: v is None or v >= 1, "null or an integer >= 1"),
    "org.attention": (lambda v: v >= 0, "an integer >= 0"),
    "org.leader_levels": (lambda v: v >= 1, "an integer >= 1"),
    "stakeholders.count": (lambda v: v >= 0, "an integer >= 0"),
    "stakeholders.needs": (lambda v: 0 < v <= 1, "a share in (0, 1]"),
    "stakeholders.threshold": (lambda v: 0 <= v <= 1, _UNIT),
    "stakeholders.switching": (lambda v: 0 <= v <= 1, _PROBABILITY),
    "network.peer_degree": (lambda v: v >= 0 and v % 2 == 0, "an even integer >= 0"),
    "network.rewire": (lambda v: 0 <= v <= 1, _PROBABILITY),
    "network.cross_unit_degree": (lambda v: v >= 0, "a number >= 0"),
    "network.external_degree": (lambda v: v >= 0, "a number >= 0"),
    "network.pattern": (lambda v: v in PATTERNS, f"one of {list(PATTERNS)}"),
    # exp(-distance / lam): beyond 100 every weight is within 12% of 1 for any hierarchy
    # distance up to 12 (the random pattern); below 0.01 every weight but the nearest
    # underflows to 0. Either end is a typo, not a setting (issue 25).
    "network.lam": (lambda v: 0.01 <= v <= 100, "a number from 0.01 to 100"),
    "network.zeta": (lambda v: 0.01 <= v <= 100, "a number from 0.01 to 100"),
    "openness.peer": (lambda v: 0 <= v <= 1, _UNIT),
    "openness.internal": (lambda v: 0 <= v <= 1, _UNIT),
    "openness.external": (lambda v: 0 <= v <= 1, _UNIT),
    "openness.inter_org": (lambda v: 0 <= v <= 1, _UNIT),
    "openness.voice": (lambda v: 0 <= v <= 1, _UNIT),
    "network.inter_org_degree": (lambda v: v >= 0, "a number >= 0"),
    "regime.mix": (lambda v: 0 <= v <= 1, _UNIT),
    "regime.broadcast_rate": (lambda v: v is None or 0 <= v <= 1, _PROBABILITY),
    "regime.socialization": (lambda v: v is None or 0 <= v <= 1, _PROBABILITY),
    "regime.listening": (lambda v: v is None or 0 <= v <= 1, _PROBABILITY),
    "regime.upward": (lambda v: v is None or v in UPWARD, f"one of {list(UPWARD)}"),
    "regime.responsiveness": (lambda v: v is None or 0 <= v <= 1, _PROBABILITY),
    "org.espoused": (lambda v: v is None or 0 <= v <= 1, _PROBABILITY),
    "platform.rollout": (lambda v: v in ROLLOUTS, f"one of {list(ROLLOUTS)}"),
    "platform.champions": (lambda v: 0 <= v <= 1, _UNIT),
    "platform.rate": (lambda v: 0 <= v <= 1, _PROBABILITY),
    "platform.threshold_sd": (lambda v: v >= 0, "a number >= 0"),
    "platform.usefulness": (lambda v: v >= 0, "a number >= 0"),
    "platform.leader_weight": (lambda v: v >= 0, "a number >= 0"),
    "platform.patience": (lambda v: v >= 1, "an integer >= 1"),
    "leadership.participation": (lambda v: 0 <= v <= 1, _UNIT),
    "leadership.voice_lift": (lambda v: v >= 0, "a number >= 0"),
    "value.idea_value": (lambda v: v >= 0, "a number >= 0"),
    "value.share": (lambda v: 0 <= v <= 1, _UNIT),
    "value.share_max": (lambda v: 0 <= v <= 1, _UNIT),
    "value.bargaining": (lambda v: 0 <= v <= 1, _UNIT),
    "org.adapt": (lambda v: v in ("off", "on"), "one of ['off', 'on']"),
    "org.review": (lambda v: v >= 1, "an integer >= 1"),
    "org.objective": (lambda v: v in OBJECTIVES, f"one of {list(OBJECTIVES)}"),
    "org.adapt_step": (lambda v: 0 <= v <= 1, _UNIT),
    "org.adapt_noise": (lambda v: v >= 0, "a number >= 0"),
    "regime.decision": (lambda v: v in DECISIONS, f"one of {list(DECISIONS)}"),
    "regime.quorum": (lambda v: v >= 0, "an integer >= 0"),
}


def _get(cfg: Any, dotted: str) -> Any:
    node = cfg
    for part in dotted.split("."):
        node = getattr(node, part)
    return node


def _check_suffix(key: str, path: str, allowed: tuple[str, ...]) -> None:
    if not str(path).lower().endswith(allowed):
        raise ConfigError(f"{key}={path!r}: a data file ending in {' or '.join(allowed)}")


def validate(cfg: AgoraConfig) -> AgoraConfig:
    """Check every value against its allowed range; return ``cfg`` unchanged if all is well.

    Raises
    ------
    ConfigError
        Naming the first offending key, its value and what is allowed.
    """
    # Generic checks first (every field: its type, finite, bounded; no resolver reading the
    # environment), so the rules below only ever see numbers of the right kind.
    check_values(cfg)
    check_interpolations(cfg)
    for key, (ok, allowed) in _RULES.items():
        value = _get(cfg, key)
        if isinstance(value, float) and math.isnan(value):
            raise ConfigError(f"{key}=nan is out of range: {allowed}")
        if not ok(value):
            raise ConfigError(f"{key}={value!r} is out of range: {allowed}")
    if cfg.org.adapt == "on" and cfg.org.objective == "value" and not cfg.value.economy:
        raise ConfigError("org.objective=value needs value.economy=true: there is no value "
                          "to keep without it")
    # Cross-field checks: a structure that cannot exist.
    h, o = cfg.hierarchy, cfg.org
    if o.size is None and h.span is None:
        raise ConfigError("org.size and hierarchy.span are both null: set at least one")
    if h.span is not None and o.size is not None:
        capacity = sum(h.span**level for level in range(h.depth))
        if o.size > capacity:
            raise ConfigError(
                f"org.size={o.size} does not fit hierarchy.depth={h.depth} with "
                f"hierarchy.span={h.span} (at most {capacity}): raise the span or the depth, "
                "or set hierarchy.span=null to derive it"
            )
    if h.span is None and h.depth == 1 and o.size is not None and o.size > 1:
        raise ConfigError(f"hierarchy.depth=1 holds one person but org.size={o.size}")
    if cfg.population.post_dims > cfg.environment.dims:
        raise ConfigError(
            f"population.post_dims={cfg.population.post_dims} exceeds environment.dims="
            f"{cfg.environment.dims}: a message cannot speak about more dimensions than exist"
        )
    env = cfg.environment
    if env.landscape == "nk":
        # The NK fitness of all 2**dims solutions is tabulated once (sim.rules.landscape).
        if env.dims > 24:
            raise ConfigError(
                f"environment.dims={env.dims} is too large for environment.landscape=nk: at "
                "most 24 (the fitness of all 2**dims solutions is tabulated)"
            )
        if env.k >= env.dims:
            raise ConfigError(
                f"environment.k={env.k} is out of range for environment.dims={env.dims}: an "
                "integer from 0 to dims - 1 (each locus depends on k others)"
            )
    if o.chart is not None:
        if o.count != 1:
            raise ConfigError(
                f"org.chart is given but org.count={o.count}: a chart is one organization"
            )
        # Only data files are read: a configuration naming ~/.ssh/id_rsa as a chart would
        # otherwise copy pieces of it into error messages and results.
        _check_suffix("org.chart", o.chart, (".csv",))
        if o.network is not None:
            _check_suffix("org.network", o.network, (".csv", ".graphml", ".xml"))
        # Missing files fail here; a file's contents are checked row by row by
        # :func:`sim.preflight.check` before anything is built.
        resolve_data_path(o.chart, "org chart")
        if o.network is not None:
            resolve_data_path(o.network, "communication network")
    elif o.network is not None:
        raise ConfigError("org.network needs org.chart: an observed network is over a chart's ids")
    for i, iv in enumerate(cfg.interventions):
        if not 0 <= iv.at <= cfg.steps:
            raise ConfigError(
                f"interventions[{i}].at={iv.at} is out of range: a step in [0, steps]"
            )
    # Memory estimated from the sizes alone, before anything is allocated (sim.config.limits).
    check_limits(cfg)
    if cfg.interventions:
        # Interventions are whole configs applied in turn: they need the loader above.
        from sim.config.interventions import check_interventions

        check_interventions(cfg)
    return cfg
