"""Range and consistency checks of a configuration, each naming the key and what is allowed.

The ranges are read from the schema's fields (:class:`~sim.config.schema.Allowed` metadata),
so a key added to :mod:`sim.config.schema` with its range is checked without touching this
file; what is here are the checks across fields (a structure that cannot exist).

Examples
--------
>>> from sim.config.schema import AgoraConfig
>>> check_config(AgoraConfig()).steps
300
>>> cfg = AgoraConfig()
>>> cfg.hierarchy.relay = 1.5
>>> check_config(cfg)
Traceback (most recent call last):
...
sim.config.ConfigError: hierarchy.relay=1.5 is out of range: a probability in [0, 1]
"""

from __future__ import annotations

import dataclasses
import typing
from functools import cache
from typing import Any

from sim.config.guards import check_interpolations, check_values, dataclass_of, describe_type
from sim.config.limits import check_limits
from sim.config.paths import resolve_data_path
from sim.config.schema import ALLOWED_META, AgoraConfig, Allowed, ConfigError

__all__ = ["allowed_text", "check_config", "check_ranges", "range_rules"]


def allowed_text(allowed: Allowed, kind: Any) -> str:
    """What an error says is allowed, from ``allowed`` and the field's type ``kind``.

    >>> allowed_text(Allowed(low=1), int | None)
    'null or an integer >= 1'
    >>> allowed_text(Allowed(low=0.01, high=100), float)
    'a number from 0.01 to 100'
    >>> allowed_text(Allowed(choices=("off", "on"), note="quoted"), str)
    "one of ['off', 'on'] (quoted)"
    """
    if allowed.text:
        text = allowed.text
    elif allowed.choices:
        text = f"one of {list(allowed.choices)}"
    elif (allowed.low, allowed.high) == (0, 1):
        text = f"{allowed.what or 'a number'} in {'(' if allowed.low_open else '['}0, 1]"
    elif allowed.high is not None:
        text = f"{describe_type(kind)} from {allowed.low:g} to {allowed.high:g}"
    else:
        noun = describe_type(kind).replace(
            "an integer", "an even integer" if allowed.even else "an integer"
        )
        text = f"{noun} >= {allowed.low:g}"
    return f"{text} ({allowed.note})" if allowed.note else text


@cache
def range_rules(cls: type = AgoraConfig, prefix: str = "") -> tuple[tuple[str, Allowed, str], ...]:
    """(dotted key, allowed values, their description) of every field of the schema that has
    :class:`~sim.config.schema.Allowed` metadata, in the schema's order.

    >>> key, allowed, text = range_rules()[0]
    >>> key, text
    ('seed', 'an integer from 0 to 2**63 - 1')
    """
    hints = typing.get_type_hints(cls)
    out: list[tuple[str, Allowed, str]] = []
    for f in dataclasses.fields(cls):
        sub = dataclass_of(hints[f.name])
        if sub is not None:
            out += range_rules(sub, f"{prefix}{f.name}.")
        elif ALLOWED_META in f.metadata:
            allowed = f.metadata[ALLOWED_META]
            out.append((f"{prefix}{f.name}", allowed, allowed_text(allowed, hints[f.name])))
    return tuple(out)


@cache
def _paths() -> tuple[tuple[str, tuple[str, ...], Allowed, str], ...]:
    return tuple(
        (key, tuple(key.split(".")), allowed, text) for key, allowed, text in range_rules()
    )


def check_ranges(cfg: AgoraConfig) -> None:
    """Refuse the first value outside what its field allows, naming the key and the range."""
    for key, path, allowed, text in _paths():
        value: Any = cfg
        for part in path:
            value = getattr(value, part)
        if not allowed.ok(value):
            raise ConfigError(f"{key}={value!r} is out of range: {text}")


def _check_suffix(key: str, path: str, allowed: tuple[str, ...]) -> None:
    if not str(path).lower().endswith(allowed):
        raise ConfigError(f"{key}={path!r}: a data file ending in {' or '.join(allowed)}")


def check_config(cfg: AgoraConfig) -> AgoraConfig:
    """Check every value against its allowed range and the structure it describes; return
    ``cfg`` unchanged if all is well. Interventions are checked above this module
    (:func:`sim.config.validate`), since applying one composes a configuration.

    Raises
    ------
    ConfigError
        Naming the first offending key, its value and what is allowed.
    """
    # Generic checks first (every field: its type, finite, bounded; no resolver reading the
    # environment), so the rules below only ever see numbers of the right kind.
    check_values(cfg)
    check_interpolations(cfg)
    check_ranges(cfg)
    if cfg.org.adapt == "on" and cfg.org.objective == "value" and not cfg.value.economy:
        raise ConfigError(
            "org.objective=value needs value.economy=true: there is no value to keep without it"
        )
    _check_structure(cfg)
    _check_files(cfg)
    for i, iv in enumerate(cfg.interventions):
        if not 0 <= iv.at <= cfg.steps:
            raise ConfigError(
                f"interventions[{i}].at={iv.at} is out of range: a step in [0, steps]"
            )
    # Memory estimated from the sizes alone, before anything is allocated (sim.config.limits).
    check_limits(cfg)
    return cfg


def _check_structure(cfg: AgoraConfig) -> None:
    """Cross-field checks: a structure that cannot exist."""
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


def _check_files(cfg: AgoraConfig) -> None:
    """A chart and a network are data files that exist, and a chart is one organization."""
    o = cfg.org
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
