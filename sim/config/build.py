"""The end of the one road to a checked configuration, below composition and interventions.

Every configuration Agora runs is made by :func:`sim.config.to_config`; whatever it starts
from, it ends here::

    Hydra overrides --load_config (hydra.compose)--> DictConfig --.
    a plain mapping --merged onto the composed defaults---------> DictConfig --from_node--.
    an AgoraConfig -----------------------------------------------(its types checked)------+
                                                                                           |
        finish: no live resolver, the regime's practices filled from its mix, ranges and   |
        cross-field checks (sim.config.checks)  <------------------------------------------'
        then the interventions, each applied in turn on a copy (sim.config.interventions)

The interventions come last and above this module: applying one goes along the same road
(:func:`from_node` and :func:`finish`), so nothing here imports them.

Examples
--------
>>> from omegaconf import OmegaConf
>>> from_node(OmegaConf.create({"steps": 5})).steps
5
>>> option_file("regime", "hybrid").name
'hybrid.yaml'
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from sim.config.checks import check_config
from sim.config.guards import (
    check_interpolations,
    check_keys,
    check_values,
    first_line,
    yaml_error,
)
from sim.config.paths import CONF_DIR
from sim.config.regimes import resolve_regime
from sim.config.schema import AgoraConfig, ConfigError

__all__ = [
    "finish",
    "from_node",
    "load_yaml",
    "merge_checked",
    "merge_onto_schema",
    "option_file",
    "schema_node",
    "to_object",
]


def schema_node() -> DictConfig:
    """The schema's defaults as a typed OmegaConf node."""
    return OmegaConf.structured(AgoraConfig)


@functools.lru_cache(maxsize=1)
def _schema_once() -> DictConfig:
    """:func:`schema_node`, built once: it is only ever merged onto, and a merge copies it
    first (building it is most of the cost of typing a configuration)."""
    return schema_node()


def merge_onto_schema(update: Mapping[str, Any] | DictConfig) -> DictConfig:
    """``update`` merged onto the schema's defaults (:func:`merge_checked`)."""
    return merge_checked(_schema_once(), update)


def merge_checked(base: DictConfig, update: Mapping[str, Any] | DictConfig) -> DictConfig:
    """Merge ``update`` into the typed ``base``, turning OmegaConf errors into ConfigError."""
    try:
        merged = OmegaConf.merge(base, update)
    except OmegaConfBaseException as err:
        key = getattr(err, "full_key", None) or "?"
        raise ConfigError(f"{key}: {first_line(str(err))}") from None
    assert isinstance(merged, DictConfig)  # a mapping merged into a mapping
    return merged


def to_object(node: DictConfig) -> AgoraConfig:
    """The dataclass of a typed node; a missing mandatory value is a ConfigError."""
    try:
        obj = OmegaConf.to_object(node)
    except Exception as err:  # MissingMandatoryValue and friends
        key = getattr(err, "full_key", None) or "?"
        raise ConfigError(f"{key}: {first_line(str(err))}") from None
    assert isinstance(obj, AgoraConfig)
    return obj


def from_node(node: DictConfig) -> AgoraConfig:
    """A checked :class:`AgoraConfig` from a DictConfig (its interventions not yet applied).

    Unknown keys and resolvers that read the environment are refused before OmegaConf
    resolves anything; the node is then typed by the schema.
    """
    plain = OmegaConf.to_container(node, resolve=False)
    check_interpolations(plain)
    check_keys(plain)
    obj = to_object(merge_onto_schema(node))
    check_values(obj)  # types (interventions), finite numbers, text without control codes
    return finish(obj)


def finish(obj: AgoraConfig) -> AgoraConfig:
    """``obj`` (types checked) with its regime resolved and every check but the interventions'.

    A string that resolved to resolver syntax (an escaped ``\\${oc.env:X}``) would come alive
    the next time the configuration passes through OmegaConf: refused too.
    """
    check_interpolations(obj)
    obj.regime = resolve_regime(obj.regime)
    return check_config(obj)


def load_yaml(path: str | Path) -> DictConfig | ListConfig:
    """``OmegaConf.load(path)`` with a one-line :class:`ConfigError` naming the file for bad YAML.

    PyYAML's safe loader refuses tags that build Python objects (``!!python/object/apply``).
    """
    try:
        return OmegaConf.load(path)
    except Exception as err:
        message = yaml_error(err)
        if message is None:
            raise
        raise ConfigError(message) from None


def option_file(group: str, name: str, conf_dir: str | Path = CONF_DIR) -> Path:
    """The option file ``conf_dir/<group>/<name>.yaml``, or a ConfigError listing the options.

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
