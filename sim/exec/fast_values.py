"""Setting plain override values on a typed configuration without Hydra: the fast path.

Composing a job through Hydra costs about 0.1 s; a sweep of thousands of jobs that differ only in
plain values (``org.size=80``) can instead copy one composed configuration and set each value,
type-checked against the schema. Anything this module is unsure of (a string that OmegaConf
would convert, a container) comes back as :data:`MISSING`, so that the exact, slow path decides.
Used by the sweep validation (:mod:`sim.exec.sweeps`) and the pool launcher's planning
(:mod:`sim.exec.plan`).

Examples
--------
>>> from sim.config import AgoraConfig
>>> with_value(AgoraConfig(), ["org", "size"], 80).org.size
80
>>> with_value(AgoraConfig(), ["org", "size"], "80") is MISSING
True
>>> leaves({"org": {"size": 80}, "steps": 3})
[('org.size', 80), ('steps', 3)]
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from omegaconf import DictConfig, OmegaConf

__all__ = ["MISSING", "coerce", "with_value", "leaves", "strip_hydra"]

#: "Not sure": the caller takes the exact path through Hydra.
MISSING = object()


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def coerce(kind: Any, value: Any) -> Any:
    """``value`` as a field of type ``kind`` accepts it, or MISSING when unsure.

    Deliberately narrow: anything OmegaConf might convert (strings to numbers, numbers to
    strings, containers) returns MISSING so that the exact, slow path decides.
    """
    args = typing.get_args(kind)
    if args:  # Optional[X] / X | None
        if value is None and type(None) in args:
            return None
        rest = [a for a in args if a is not type(None)]
        return coerce(rest[0], value) if len(rest) == 1 else MISSING
    if kind is bool:
        return value if isinstance(value, bool) else MISSING
    if isinstance(value, bool):
        return MISSING
    if kind is int:
        return value if isinstance(value, int) else MISSING
    if kind is float:
        return float(value) if isinstance(value, (int, float)) else MISSING
    if kind is str:
        return value if isinstance(value, str) else MISSING
    return MISSING


def with_value(obj: Any, parts: Sequence[str], value: Any) -> Any:
    """A copy of dataclass ``obj`` with the field at ``parts`` set (type-checked), or MISSING."""
    name = parts[0]
    # A dataclass *class* is not a value to copy (configurations hold instances); ruling it
    # out also narrows ``obj`` to an instance for ``dataclasses.replace``.
    if not dataclasses.is_dataclass(obj) or isinstance(obj, type):
        return MISSING
    if name not in {f.name for f in dataclasses.fields(obj)}:
        return MISSING
    if len(parts) == 1:
        checked = coerce(_hints(type(obj))[name], value)
        return MISSING if checked is MISSING else dataclasses.replace(obj, **{name: checked})
    child = with_value(getattr(obj, name), parts[1:], value)
    return MISSING if child is MISSING else dataclasses.replace(obj, **{name: child})


def leaves(node: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Every leaf of a nested mapping as ``(dotted key, value)``."""
    out: list[tuple[str, Any]] = []
    for k, v in node.items():
        if isinstance(v, Mapping) and v:
            out += leaves(v, f"{prefix}{k}.")
        else:
            out.append((f"{prefix}{k}", v))
    return out


def strip_hydra(config: DictConfig) -> DictConfig:
    """The configuration without its ``hydra`` node."""
    # masked_copy's stub asks for str keys; at run time it keeps any key the node has (OmegaConf
    # types a key as str, bytes, int, Enum, float or bool), so the list is passed as it is.
    keys = typing.cast(list[str], [k for k in config if k != "hydra"])
    return OmegaConf.masked_copy(config, keys)
