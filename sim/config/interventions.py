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

import dataclasses
from typing import Any

from omegaconf import OmegaConf

from sim.config.guards import check_interpolations, check_keys
from sim.config.loading import load_yaml, merge_checked, option_file, to_config
from sim.config.schema import AgoraConfig, ConfigError

__all__ = ["GROUPS", "FIXED", "STRUCTURAL", "apply_changes", "check_interventions"]

#: Config groups whose options an intervention can switch to by name.
GROUPS = ("regime", "openness", "hierarchy")

#: Keys a running model cannot change.
FIXED = (
    "seed", "steps", "replicates", "environment.dims", "org.count", "org.size",
    "stakeholders.count", "stakeholders.needs", "interventions", "scenario",
    # Read once, when the population is built: changing them later would do nothing.
    "org.chart", "org.network", "population.fast_share", "limits",
    # The task is drawn and tabulated once, at setup.
    "environment.landscape", "environment.k",
    # Who gets the platform is decided when it is rolled out (sim.rules.platform).
    "platform.rollout", "platform.champions",
    # Whether the organization adapts is part of what it is (sim.rules.adapt).
    "org.adapt",
)

#: Prefixes of keys whose change rebuilds the communication network.
STRUCTURAL = ("hierarchy.depth", "hierarchy.span", "openness.", "network.", "org.leader_levels")


def _option(group: str, name: str) -> dict[str, Any]:
    try:
        path = option_file(group, name)
    except ConfigError as err:
        raise ConfigError(f"interventions: {err}") from None
    return {group: OmegaConf.to_container(load_yaml(path))}


def _nest(dotted: str, value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    node = out
    parts = dotted.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return out


def apply_changes(cfg: AgoraConfig, changes: dict[str, Any]) -> AgoraConfig:
    """A new validated config: ``cfg`` with ``changes`` applied (``cfg`` is left unchanged)."""
    node = OmegaConf.structured(cfg)
    # A regime switched by name takes that regime's own values, not leftovers of the old one.
    for key, value in changes.items():
        if not isinstance(key, str):
            raise ConfigError(f"interventions: a key is a dotted name, got {key!r}")
        if any(key == k or key.startswith(k + ".") for k in FIXED):
            raise ConfigError(
                f"interventions cannot change {key}: a running population keeps its size"
                if key in ("org.size", "org.count", "stakeholders.count")
                else f"interventions cannot change {key}: it is read once, when the "
                "population is built"
                if key in ("org.chart", "org.network", "population.fast_share",
                           "environment.landscape", "environment.k", "platform.rollout",
                           "platform.champions", "org.adapt")
                else f"interventions cannot change {key} during a run"
            )
        if key in GROUPS:
            if not isinstance(value, str):
                raise ConfigError(f"interventions: {key} takes an option name, got {value!r}")
            if key == "regime":
                node.regime = OmegaConf.structured(type(cfg.regime))
            update = _option(key, value)
        else:
            update = _nest(key, value)
            check_keys(update)  # an unknown key, with the nearest valid one suggested
        check_interpolations(update, "interventions: ")
        node = merge_checked(node, update)
    # Validate the result without re-checking the interventions themselves (no recursion).
    node.interventions = []
    new = to_config(node)
    return dataclasses.replace(new, interventions=cfg.interventions)


def changes_structure(changes: dict[str, Any]) -> bool:
    """Whether applying ``changes`` needs the network rebuilt."""
    return any(
        key in ("hierarchy", "openness") or key.startswith(STRUCTURAL) for key in changes
    )


def check_interventions(cfg: AgoraConfig) -> None:
    """Apply every intervention in order on a copy, so a bad one fails before the run."""
    current = cfg
    # Applied in step order, but an error names the index the user wrote.
    order = sorted(range(len(cfg.interventions)), key=lambda i: cfg.interventions[i].at)
    for i in order:
        iv = cfg.interventions[i]
        try:
            current = apply_changes(current, dict(iv.set))
        except ConfigError as err:
            raise ConfigError(f"interventions[{i}] (at step {iv.at}): {err}") from None
