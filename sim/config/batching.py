"""Which configurations may step together as one batch (:mod:`sim.batch`): their rules run
batched, and they differ at most in their regime's practices and their mechanism switches (a
study's arms and ablations, a sweep over ``regime.mix``, a mechanism or the seeds).

A pure function of the configurations' values, kept out of :mod:`sim.batch` so that a process
that only plans work (the sweep launchers' parent, which groups a sweep's jobs for its
workers) decides it without loading the model. :func:`sim.batch.refusals` adds the one check
that needs the model's metrics.

Examples
--------
>>> from sim.config import to_config
>>> a, b = (to_config({"regime": {"name": r}}) for r in ("broadcast", "conversational"))
>>> shared_part(a) == shared_part(b), rule_refusals(a)
(True, [])
>>> c = to_config({"mechanisms": {"voice_effect": False}})
>>> shared_part(a) == shared_part(c)
True
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from sim.config.engines import batch_refusals, worlds_per_batch
from sim.config.interventions import apply_changes, changes_structure
from sim.config.loading import to_config
from sim.config.schema import AgoraConfig, MechanismsConfig, RegimeConfig

__all__ = ["WORLD_MECHANISMS", "WORLD_PRACTICES", "batch_groups", "rule_refusals", "shared_part"]

#: The regime's settings that may differ between the worlds of one batch: its practices (and
#: the name and mix they were resolved from). Each world draws and measures under its own.
WORLD_PRACTICES = (
    "name",
    "mix",
    "broadcast_rate",
    "socialization",
    "listening",
    "upward",
    "responsiveness",
    "voting",
)

#: The mechanism switches that may differ between the worlds of one batch: all of them (the
#: main job's ablations step together). Each world's causal paths follow its own switches.
WORLD_MECHANISMS = tuple(f.name for f in dataclasses.fields(MechanismsConfig))


def rule_refusals(cfg: AgoraConfig) -> list[str]:
    """Why the rules of ``cfg`` cannot run batched (empty: they can), one plain reason per
    setting: those of :func:`sim.config.engines.batch_refusals` for the rules at the start and
    for the rules each intervention puts in force, and an intervention that rewires."""
    cfg = to_config(cfg)  # its practices resolved
    reasons = batch_refusals(cfg)
    current = cfg
    for iv in sorted(cfg.interventions, key=lambda iv: iv.at):
        if changes_structure(dict(iv.set)):
            reasons.append(f"an intervention that rewires (at step {iv.at})")
            continue
        current = apply_changes(current, dict(iv.set))
        reasons += [f"{r} (from step {iv.at})" for r in batch_refusals(current)]
    return list(dict.fromkeys(reasons))


def shared_part(cfg: AgoraConfig) -> tuple[AgoraConfig, tuple]:
    """What every world of one batch shares, to compare with ``==``: ``cfg`` but its regime,
    its mechanism switches (:data:`WORLD_MECHANISMS`), its seed and its number of replicates,
    and its regime but the practices (:data:`WORLD_PRACTICES`)."""
    cfg = to_config(cfg)
    rest = dataclasses.replace(
        cfg, regime=RegimeConfig(), mechanisms=MechanismsConfig(), seed=0, replicates=1
    )
    regime = dataclasses.asdict(cfg.regime)
    return rest, tuple((k, v) for k, v in regime.items() if k not in WORLD_PRACTICES)


def batch_groups(cfgs: Mapping[str, AgoraConfig]) -> list[list[str]]:
    """The names of ``cfgs`` in groups whose replicates may step as one batch: configurations
    whose rules run batched (:func:`rule_refusals`), with small enough worlds to gain, and
    that differ at most in their practices and mechanism switches (:func:`shared_part`);
    every other name alone.
    Groups in the order of their first name.

    >>> from sim.config import to_config
    >>> a, b = (to_config({"regime": {"name": r}}) for r in ("broadcast", "conversational"))
    >>> batch_groups({"a": a, "b": b, "c": to_config({"steps": 5})})
    [['a', 'b'], ['c']]
    """
    groups: list[tuple[tuple | None, list[str]]] = []
    for name, cfg in cfgs.items():
        stacked = worlds_per_batch(dataclasses.replace(cfg, replicates=2)) > 1
        key = shared_part(cfg) if stacked and not rule_refusals(cfg) else None
        same = next((g for k, g in groups if key is not None and k == key), None)
        if same is None:
            groups.append((key, [name]))
        else:
            same.append(name)
    return [names for _, names in groups]
