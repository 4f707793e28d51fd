"""Typed configuration: dataclass schemas, Hydra registration, composition and range checks.

Every key a run reads is declared here with its type and default, registered in Hydra's
ConfigStore, so a misspelt key or a value of the wrong type fails while composing. Ranges
(a probability above 1, a negative span, an unknown routing) are checked by :func:`validate`,
which raises :class:`ConfigError` naming the key and what is allowed, before any step runs.

The YAML option files in ``conf/`` only set values; the schema and its defaults live here.

Examples
--------
>>> cfg = load_config(["regime=conversational", "steps=10"])
>>> cfg.regime.name, cfg.steps
('conversational', 10)
>>> load_config(["hierarchy.relay=1.5"])
Traceback (most recent call last):
...
sim.config.ConfigError: hierarchy.relay=1.5 is out of range: a probability in [0, 1]
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, DictConfig, OmegaConf

__all__ = [
    "AgoraConfig",
    "ConfigError",
    "CONF_DIR",
    "load_config",
    "to_config",
    "validate",
    "register_configs",
    "option_file",
]

#: The Hydra config directory shipped with the project (``conf/`` beside ``sim/``).
CONF_DIR = Path(__file__).resolve().parent.parent / "conf"

ROUTINGS = ("direct", "chain")
PATTERNS = ("random", "multiscale")
LISTEN_TO = ("leaders", "voice", "everyone")


class ConfigError(ValueError):
    """A configuration value is missing, of the wrong kind or out of its allowed range."""


@dataclass
class EnvironmentConfig:
    """Reality the organization must understand.

    ``dims`` is March's *m*; ``turbulence`` (March's p4) is the per-step chance that each
    dimension of reality flips.
    """

    dims: int = 30
    turbulence: float = 0.02


@dataclass
class PopulationConfig:
    """Individuals: how they learn, talk and read.

    ``turnover`` is March's p3 (chance per step that a member is replaced by a newcomer with
    random beliefs); ``exploration`` the chance per step to learn the truth of one dimension;
    ``attention`` how many messages one can read per step; ``talk`` the chance per step to post
    to a neighbour at full engagement; ``post_dims`` how many dimensions a post or idea speaks
    about; ``peer_influence`` the per-dimension chance to follow the majority of what peers said.
    A share ``fast_share`` of members are fast learners whose socialization rate is
    ``fast_socialization`` instead of ``regime.socialization`` (March 1991, Figure 2).
    """

    turnover: float = 0.01
    exploration: float = 0.02
    attention: int = 5
    talk: float = 0.5
    post_dims: int = 3
    peer_influence: float = 0.2
    engagement: float = 0.5
    trust: float = 0.6
    engagement_gain: float = 0.1
    engagement_loss: float = 0.05
    trust_rate: float = 0.05
    fast_share: float = 0.0
    fast_socialization: float = 0.9


@dataclass
class HierarchyConfig:
    """The reporting tree and how messages travel along it.

    Each organization is a tree of ``depth`` levels (0 = top); every manager has ``span``
    reports (when ``span`` is null it is derived as the smallest span whose tree holds
    ``org.size``). ``routing`` is ``direct`` (one step to the receiver) or ``chain`` (one hop
    per step along ``reports_to``; each relaying manager passes a message on with probability
    ``relay`` and loses each dimension with probability ``distortion``).
    """

    depth: int = 4
    span: int | None = None
    routing: str = "direct"
    relay: float = 0.9
    distortion: float = 0.05


@dataclass
class OrgConfig:
    """Organizations: how many, how large, how much they can listen to.

    ``size`` individuals per organization (null: a complete tree of ``hierarchy.depth`` and
    ``hierarchy.span``); ``attention`` is how many voice messages the organization reads per
    step; ``leader_levels`` how many top levels count as leadership. ``chart`` is the path of a
    real org chart (CSV: ``id, manager_id, unit``, optional ``level``, ``kind``) that replaces the
    generated tree, and ``network`` an observed communication network (CSV edge list or
    GraphML over the chart's ids) that replaces the generated peer and cross-unit ties.
    """

    count: int = 1
    size: int | None = 200
    attention: int = 50
    leader_levels: int = 1
    chart: str | None = None
    network: str | None = None


@dataclass
class StakeholderConfig:
    """Customers, suppliers, community members outside the organization.

    ``count`` per organization; ``needs`` the share of dimensions each one cares about (it
    observes reality there); ``threshold`` the satisfaction below which one is unserved;
    ``switching`` the chance per step that an unserved stakeholder moves to another
    organization (only with ``org.count`` > 1).
    """

    count: int = 50
    needs: float = 0.2
    threshold: float = 0.5
    switching: float = 0.05


@dataclass
class NetworkConfig:
    """How the typed communication graph is generated.

    ``peer_degree`` and ``rewire`` shape the small world inside each unit;
    ``cross_unit_degree`` is the mean number of cross-unit ties per individual at
    ``openness.internal`` = 1; ``external_degree`` the ties per stakeholder at
    ``openness.external`` = 1; ``inter_org_degree`` the mean ties per individual to other
    organizations at ``openness.inter_org`` = 1. ``pattern`` places cross-unit ties at random
    or multiscale (Dodds, Watts & Sabel 2003) with homophily ``lam`` and rank preference
    ``zeta``.
    """

    peer_degree: int = 4
    rewire: float = 0.1
    cross_unit_degree: float = 2.0
    external_degree: float = 2.0
    inter_org_degree: float = 1.0
    pattern: str = "random"
    lam: float = 1.0
    zeta: float = 1.0


@dataclass
class OpennessConfig:
    """Which boundaries messages may cross, each a number in [0, 1].

    ``peer`` scales the ties inside units, ``internal`` the ties across units, ``external`` the
    ties to stakeholders, ``inter_org`` the ties between members of different organizations;
    ``hear_stakeholders`` says whether stakeholders' ideas may reach the organization at all.
    """

    peer: float = 1.0
    internal: float = 0.5
    external: float = 0.5
    inter_org: float = 0.0
    hear_stakeholders: bool = True


@dataclass
class RegimeConfig:
    """A communication regime: a point on the broadcast-conversation continuum.

    Null values are filled from ``mix`` (0 = broadcast, 1 = conversational) by
    :func:`sim.regimes.resolve_regime`, so ``hybrid`` is one mixing parameter and any single
    value can still be overridden.
    """

    name: str = "hybrid"
    mix: float = 0.5
    broadcast_rate: float | None = None
    socialization: float | None = None
    listening: float | None = None
    listen_to: str | None = None
    reply_rate: float | None = None
    voice_rate: float | None = None
    voting: bool | None = None


@dataclass
class ScenarioConfig:
    """A named situation and its plain-words description."""

    name: str = "default"
    description: str = ""


@dataclass
class InterventionConfig:
    """A change of configuration values at a given step (``set`` maps dotted keys to values)."""

    at: int = MISSING
    set: dict[str, Any] = field(default_factory=dict)


@dataclass
class AgoraConfig:
    """The whole configuration of one job."""

    seed: int = 0
    steps: int = 300
    replicates: int = 1
    environment: EnvironmentConfig = field(default_factory=EnvironmentConfig)
    population: PopulationConfig = field(default_factory=PopulationConfig)
    hierarchy: HierarchyConfig = field(default_factory=HierarchyConfig)
    org: OrgConfig = field(default_factory=OrgConfig)
    stakeholders: StakeholderConfig = field(default_factory=StakeholderConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    openness: OpennessConfig = field(default_factory=OpennessConfig)
    regime: RegimeConfig = field(default_factory=RegimeConfig)
    scenario: ScenarioConfig = field(default_factory=ScenarioConfig)
    interventions: list[InterventionConfig] = field(default_factory=list)


def register_configs() -> None:
    """Register the schemas in Hydra's ConfigStore (idempotent).

    ``agora_schema`` is the base of ``conf/config.yaml``; each group has a ``<group>_schema``
    entry that its option files can extend.
    """
    cs = ConfigStore.instance()
    cs.store(name="agora_schema", node=AgoraConfig)
    for name, node in [
        ("regime", RegimeConfig),
        ("org", OrgConfig),
        ("openness", OpennessConfig),
        ("hierarchy", HierarchyConfig),
        ("scenario", ScenarioConfig),
    ]:
        cs.store(group=name, name=f"{name}_schema", node=node)


register_configs()


# --------------------------------------------------------------------------- validation

_PROBABILITY = "a probability in [0, 1]"
_UNIT = "a number in [0, 1]"

# key -> (check, description of what is allowed); integers and floats are checked after the
# schema has already fixed their type.
_RULES: dict[str, tuple[Any, str]] = {
    "steps": (lambda v: v >= 0, "an integer >= 0"),
    "replicates": (lambda v: v >= 1, "an integer >= 1"),
    "environment.dims": (lambda v: v >= 1, "an integer >= 1"),
    "environment.turbulence": (lambda v: 0 <= v <= 1, _PROBABILITY),
    "population.turnover": (lambda v: 0 <= v <= 1, _PROBABILITY),
    "population.exploration": (lambda v: 0 <= v <= 1, _PROBABILITY),
    "population.attention": (lambda v: v >= 0, "an integer >= 0"),
    "population.talk": (lambda v: 0 <= v <= 1, _PROBABILITY),
    "population.post_dims": (lambda v: v >= 1, "an integer >= 1"),
    "population.peer_influence": (lambda v: 0 <= v <= 1, _PROBABILITY),
    "population.engagement": (lambda v: 0 <= v <= 1, _UNIT),
    "population.trust": (lambda v: 0 <= v <= 1, _UNIT),
    "population.engagement_gain": (lambda v: 0 <= v <= 1, _UNIT),
    "population.engagement_loss": (lambda v: 0 <= v <= 1, _UNIT),
    "population.trust_rate": (lambda v: 0 <= v <= 1, _UNIT),
    "population.fast_share": (lambda v: 0 <= v <= 1, _UNIT),
    "population.fast_socialization": (lambda v: 0 <= v <= 1, _PROBABILITY),
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
    "network.lam": (lambda v: v > 0, "a number > 0"),
    "network.zeta": (lambda v: v > 0, "a number > 0"),
    "openness.peer": (lambda v: 0 <= v <= 1, _UNIT),
    "openness.internal": (lambda v: 0 <= v <= 1, _UNIT),
    "openness.external": (lambda v: 0 <= v <= 1, _UNIT),
    "openness.inter_org": (lambda v: 0 <= v <= 1, _UNIT),
    "network.inter_org_degree": (lambda v: v >= 0, "a number >= 0"),
    "regime.mix": (lambda v: 0 <= v <= 1, _UNIT),
    "regime.broadcast_rate": (lambda v: v is None or 0 <= v <= 1, _PROBABILITY),
    "regime.socialization": (lambda v: v is None or 0 <= v <= 1, _PROBABILITY),
    "regime.listening": (lambda v: v is None or 0 <= v <= 1, _PROBABILITY),
    "regime.listen_to": (lambda v: v is None or v in LISTEN_TO, f"one of {list(LISTEN_TO)}"),
    "regime.reply_rate": (lambda v: v is None or 0 <= v <= 1, _PROBABILITY),
    "regime.voice_rate": (lambda v: v is None or 0 <= v <= 1, _PROBABILITY),
}


def _get(cfg: Any, dotted: str) -> Any:
    node = cfg
    for part in dotted.split("."):
        node = getattr(node, part)
    return node


def validate(cfg: AgoraConfig) -> AgoraConfig:
    """Check every value against its allowed range; return ``cfg`` unchanged if all is well.

    Raises
    ------
    ConfigError
        Naming the first offending key, its value and what is allowed.
    """
    for key, (ok, allowed) in _RULES.items():
        value = _get(cfg, key)
        if isinstance(value, float) and math.isnan(value):
            raise ConfigError(f"{key}=nan is out of range: {allowed}")
        if not ok(value):
            raise ConfigError(f"{key}={value!r} is out of range: {allowed}")
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
    if o.chart is not None:
        if o.count != 1:
            raise ConfigError(
                f"org.chart is given but org.count={o.count}: a chart is one organization"
            )
        from sim.scenarios.orgchart import load_comm_network, load_org_chart

        # A bad file fails here, naming the row and the fault, before anything runs.
        chart = load_org_chart(o.chart)
        if o.network is not None:
            load_comm_network(o.network, chart)
    elif o.network is not None:
        raise ConfigError("org.network needs org.chart: an observed network is over a chart's ids")
    for i, iv in enumerate(cfg.interventions):
        if not 0 <= iv.at <= cfg.steps:
            raise ConfigError(
                f"interventions[{i}].at={iv.at} is out of range: a step in [0, steps]"
            )
    if cfg.interventions:
        from sim.interventions import check_interventions

        check_interventions(cfg)
    return cfg


# --------------------------------------------------------------------------- composition


def _schema() -> DictConfig:
    return OmegaConf.structured(AgoraConfig)


def _merge_checked(base: DictConfig, update: Mapping[str, Any] | DictConfig) -> DictConfig:
    """Merge ``update`` into the typed ``base``, turning OmegaConf errors into ConfigError."""
    from omegaconf.errors import OmegaConfBaseException

    try:
        return OmegaConf.merge(base, update)
    except OmegaConfBaseException as err:
        key = getattr(err, "full_key", None) or "?"
        raise ConfigError(f"{key}: {_first_line(err)}") from None


def _first_line(err: Exception) -> str:
    return str(err).strip().splitlines()[0]


def _explain(err: Exception) -> str:
    """One readable sentence from a Hydra/OmegaConf error: the key, the fault, the options."""
    text = _first_line(err)
    cause = err.__cause__
    if cause is not None:
        key = getattr(cause, "full_key", None)
        text = f"{key}: {_first_line(cause)}" if key else f"{text}: {_first_line(cause)}"
    options = re.findall(r"^\t(\w+)$", str(err), flags=re.MULTILINE)
    options = [o for o in options if not o.endswith("_schema")]
    if options:
        text += f"; available: {', '.join(options)}"
    return text


def to_config(cfg: AgoraConfig | DictConfig | Mapping[str, Any] | None = None) -> AgoraConfig:
    """Turn any accepted configuration into a validated :class:`AgoraConfig`.

    A plain mapping is merged onto the composed default configuration (``conf/config.yaml``),
    so ``{"regime": {"name": ...}}`` changes only what it names. Regime values left null are
    resolved from the mix.

    Examples
    --------
    >>> to_config({"steps": 5, "org": {"size": 30}}).org.size
    30
    >>> to_config({"stepz": 5})
    Traceback (most recent call last):
    ...
    sim.config.ConfigError: stepz: Key 'stepz' not in 'AgoraConfig'
    """
    from sim.regimes import resolve_regime

    if isinstance(cfg, AgoraConfig):
        obj = cfg
    else:
        if cfg is None:
            node = load_config(validate_now=False)
        elif isinstance(cfg, DictConfig):
            node = _merge_checked(_schema(), cfg)
        else:
            node = _merge_checked(load_config(validate_now=False), dict(cfg))
        try:
            obj = OmegaConf.to_object(node)
        except Exception as err:  # MissingMandatoryValue and friends
            key = getattr(err, "full_key", None) or "?"
            raise ConfigError(f"{key}: {_first_line(err)}") from None
    obj.regime = resolve_regime(obj.regime)
    return validate(obj)


def load_config(
    overrides: Iterable[str] = (), *, validate_now: bool = True, config_name: str = "config"
) -> DictConfig:
    """Compose ``conf/<config_name>.yaml`` with Hydra overrides, as ``experiments/run.py`` would.

    Parameters
    ----------
    overrides
        Hydra override strings such as ``"regime=conversational"`` or ``"org.size=500"``.
    validate_now
        Check ranges (raising :class:`ConfigError`) before returning.

    Returns
    -------
    DictConfig
        The composed configuration, typed by :class:`AgoraConfig`.
    """
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    overrides = list(overrides)
    # Composition must not disturb an app that already initialised Hydra (a running job).
    previous = GlobalHydra.instance().hydra if GlobalHydra.instance().is_initialized() else None
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
            try:
                node = compose(config_name=config_name, overrides=overrides)
            except (HydraException, OmegaConfBaseException) as err:
                raise ConfigError(_explain(err)) from None
    finally:
        GlobalHydra.instance().clear()
        if previous is not None:
            GlobalHydra.instance().initialize(previous)
    node = _merge_checked(_schema(), {k: v for k, v in node.items() if k != "hydra"})
    if validate_now:
        to_config(node)
    return node


def option_file(group: str, name: str, conf_dir: str | Path = CONF_DIR) -> Path:
    """The option file ``conf_dir/<group>/<name>.yaml``, or a ConfigError listing the options.

    >>> option_file("regime", "hybrid").name
    'hybrid.yaml'
    >>> option_file("org", "huge")
    Traceback (most recent call last):
    ...
    sim.config.ConfigError: org='huge' is unknown: one of ['several', 'single']
    """
    folder = Path(conf_dir) / group
    path = folder / f"{name}.yaml"
    if not path.is_file():
        options = sorted(p.stem for p in folder.glob("*.yaml"))
        raise ConfigError(f"{group}={name!r} is unknown: one of {options}")
    return path


def as_flat_dict(cfg: AgoraConfig) -> dict[str, Any]:
    """Flatten a config into ``{"dotted.key": value}`` (lists kept whole).

    >>> as_flat_dict(to_config({"steps": 3}))["steps"]
    3
    """
    out: dict[str, Any] = {}

    def walk(node: Any, prefix: str) -> None:
        for f in fields(node):
            value = getattr(node, f.name)
            key = f"{prefix}{f.name}"
            if is_dataclass(value):
                walk(value, key + ".")
            else:
                out[key] = value

    walk(cfg, "")
    return out
