"""Configuration, the bottom layer: schema, named regimes, interventions, composition, checks.

Every key a run reads is declared in :mod:`sim.config.schema` with its type and default and
registered in Hydra's ConfigStore, so a misspelt key or a value of the wrong type fails while
composing. Ranges (a probability above 1, a negative span, an unknown routing) are checked by
:func:`validate`, which raises :class:`ConfigError` naming the key and what is allowed, before
any step runs. Nothing here imports the model, its rules or the experiment machinery.

:mod:`sim.config.schema`
    the dataclasses, the values each field allows, their registration in Hydra's ConfigStore.
:mod:`sim.config.regimes`
    named regimes as points in the space of communication practices.
:mod:`sim.config.interventions`
    changes of configuration at a given step, checked before anything runs.
:mod:`sim.config.checks`
    ranges (read from the schema) and cross-field consistency.
:mod:`sim.config.guards`, :mod:`sim.config.hydra_keys`
    configuration never runs code: known keys, safe resolvers, Hydra's allow list.
:mod:`sim.config.hydra_hook`
    the one private hook into Hydra, which puts the guards in front of every composition.
:mod:`sim.config.build`, :mod:`sim.config.loading`
    the one road from Hydra overrides, mappings and dataclasses to a checked config.
:mod:`sim.config.paths`
    where ``conf/`` and ``data/`` are, and how data files named in a config are found.

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

from sim.config.loading import (
    as_flat_dict,
    load_config,
    merge_checked,
    option_file,
    to_config,
    validate,
)
from sim.config.paths import CONF_DIR, PROJECT_DIR, resolve_data_path
from sim.config.schema import (
    AgoraConfig,
    ConfigError,
    InterventionConfig,
    RegimeConfig,
    register_configs,
)

__all__ = [
    "AgoraConfig",
    "ConfigError",
    "CONF_DIR",
    "PROJECT_DIR",
    "InterventionConfig",
    "RegimeConfig",
    "as_flat_dict",
    "load_config",
    "merge_checked",
    "option_file",
    "register_configs",
    "resolve_data_path",
    "to_config",
    "validate",
]
