"""Interventions: change the configuration at a given step of a run.

An intervention is ``{at: STEP, set: {KEY: VALUE, ...}}``. A key is a dotted config key
(``openness.internal: 0.8``) or the name of a config group with one of its options
(``regime: conversational`` loads ``conf/regime/conversational.yaml``, as ``regime=...`` would
on the command line). It takes effect at the start of step ``at``: the metrics row of step
``at`` is the first one produced under the new rules, the rows before it are untouched.

Every intervention is checked when the configuration is validated, before anything runs: an
unknown key, a value out of range, or a change of something a running population cannot
change (its size, the number of dimensions) fails with the key named.

Examples
--------
>>> from sim.config import to_config
>>> cfg = to_config({"steps": 10})
>>> after = apply_changes(cfg, {"regime": "conversational", "openness.internal": 0.9})
>>> after.regime.name, after.regime.responsiveness, after.openness.internal
('conversational', 0.6, 0.9)
>>> apply_changes(cfg, {"org.size": 10})
Traceback (most recent call last):
...
sim.config.ConfigError: interventions cannot change org.size: a running population keeps its size
"""

from __future__ import annotations

import copy
import dataclasses
import functools
from typing import Any, cast

from omegaconf import OmegaConf

from sim.config.build import from_node, load_yaml, merge_checked, option_file
from sim.config.checks import check_config
from sim.config.guards import check_interpolations, check_keys, check_values
from sim.config.regimes import resolve_regime
from sim.config.schema import AgoraConfig, ConfigError

__all__ = ["GROUPS", "FIXED", "STRUCTURAL", "apply_changes", "check_interventions"]

#: Config groups whose options an intervention can switch to by name.
GROUPS = ("regime", "openness", "hierarchy")

#: Keys a running model cannot change.
FIXED = (
    "seed",
    "steps",
    "replicates",
    "environment.dims",
    "org.count",
    "org.size",
    "stakeholders.count",
    "stakeholders.needs",
    "interventions",
    "scenario",
    # Read once, when the population is built: changing them later would do nothing.
    "org.chart",
    "org.network",
    "population.fast_share",
    "limits",
    # The task is drawn and tabulated once, at setup.
    "environment.landscape",
    "environment.k",
    # Who gets the platform is decided when it is rolled out (sim.rules.platform).
    "platform.rollout",
    "platform.champions",
    # Whether the organization adapts is part of what it is (sim.rules.adapt).
    "org.adapt",
)

#: Prefixes of keys whose change rebuilds the communication network.
STRUCTURAL = ("hierarchy.depth", "hierarchy.span", "openness.", "network.", "org.leader_levels")


def _option(group: str, name: str) -> dict[str, Any]:
    return {group: copy.deepcopy(_option_values(group, name))}


@functools.lru_cache(maxsize=64)
def _option_values(group: str, name: str) -> dict[str, Any]:
    """An option file's values, read once (interventions often switch back and forth)."""
    try:
        path = option_file(group, name)
    except ConfigError as err:
        raise ConfigError(f"interventions: {err}") from None
    # An option file is a mapping of keys (Hydra composes it as one).
    return cast(dict[str, Any], OmegaConf.to_container(load_yaml(path)))


def _nest(dotted: str, value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    node = out
    parts = dotted.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return out


def _check_key(key: Any, value: Any) -> dict[str, Any]:
    """The nested update one change makes, after refusing what no intervention may change."""
    if not isinstance(key, str):
        raise ConfigError(f"interventions: a key is a dotted name, got {key!r}")
    if any(key == k or key.startswith(k + ".") for k in FIXED):
        raise ConfigError(
            f"interventions cannot change {key}: a running population keeps its size"
            if key in ("org.size", "org.count", "stakeholders.count")
            else f"interventions cannot change {key}: it is read once, when the population is built"
            if key
            in (
                "org.chart",
                "org.network",
                "population.fast_share",
                "environment.landscape",
                "environment.k",
                "platform.rollout",
                "platform.champions",
                "org.adapt",
            )
            else f"interventions cannot change {key} during a run"
        )
    if key in GROUPS:
        if not isinstance(value, str):
            raise ConfigError(f"interventions: {key} takes an option name, got {value!r}")
        update = _option(key, value)
    else:
        update = _nest(key, value)
        check_keys(update)  # an unknown key, with the nearest valid one suggested
    check_interpolations(update, "interventions: ")
    return update


def apply_changes(cfg: AgoraConfig, changes: dict[str, Any]) -> AgoraConfig:
    """A new validated config: ``cfg`` with ``changes`` applied (``cfg`` is left unchanged)."""
    node = OmegaConf.structured(cfg)
    for key, value in changes.items():
        update = _check_key(key, value)
        if key == "regime":
            # A regime switched by name takes that regime's own values, not leftovers of the
            # old one.
            node.regime = OmegaConf.structured(type(cfg.regime))
        node = merge_checked(node, update)
    # Check the result without re-checking the interventions themselves (no recursion).
    node.interventions = []
    new = from_node(node)
    return dataclasses.replace(new, interventions=cfg.interventions)


class _Slow(Exception):
    """A change the fast path does not handle exactly as OmegaConf would: take the slow one."""


def _replace(obj: Any, update: dict[str, Any], reset: bool = False) -> Any:
    """``obj`` (a dataclass) with the nested plain ``update`` set, copying only that path."""
    values = {}
    for name, value in update.items():
        current = getattr(obj, name)
        if isinstance(value, dict):
            if not dataclasses.is_dataclass(current) or isinstance(current, type):
                raise _Slow
            values[name] = _replace(type(current)() if reset else current, value)
        elif dataclasses.is_dataclass(current) or isinstance(value, (list, tuple)):
            raise _Slow
        else:
            values[name] = value
    return dataclasses.replace(obj, **values)


def _apply_fast(cfg: AgoraConfig, changes: dict[str, Any]) -> AgoraConfig:
    """:func:`apply_changes` on the dataclasses themselves, in microseconds instead of a
    re-composition: values of the field's exact type only (else :class:`_Slow`)."""
    new = cfg
    for key, value in changes.items():
        update = _check_key(key, value)
        new = _replace(new, update, reset=key == "regime")
    try:
        check_values(new)
    except ConfigError:
        raise _Slow from None  # OmegaConf may convert the value ("0.5" to 0.5): let it try
    new = dataclasses.replace(new, regime=resolve_regime(new.regime), interventions=[])
    return check_config(new)


def changes_structure(changes: dict[str, Any]) -> bool:
    """Whether applying ``changes`` needs the network rebuilt."""
    return any(key in ("hierarchy", "openness") or key.startswith(STRUCTURAL) for key in changes)


def check_interventions(cfg: AgoraConfig) -> None:
    """Apply every intervention in order on a copy, so a bad one fails before the run.

    One pass on the dataclasses (:func:`_apply_fast`): 20,000 interventions take seconds. A
    change the fast path cannot make exactly as composition would is made by
    :func:`apply_changes`, which also gives its error message.
    """
    current = dataclasses.replace(cfg, interventions=[])
    # Applied in step order, but an error names the index the user wrote.
    order = sorted(range(len(cfg.interventions)), key=lambda i: cfg.interventions[i].at)
    for i in order:
        iv = cfg.interventions[i]
        try:
            try:
                current = _apply_fast(current, dict(iv.set))
            except _Slow:
                current = dataclasses.replace(
                    apply_changes(current, dict(iv.set)), interventions=[]
                )
        except ConfigError as err:
            raise ConfigError(f"interventions[{i}] (at step {iv.at}): {err}") from None
