"""Composition: Hydra overrides, plain mappings and dataclasses into one checked config.

Examples
--------
>>> to_config({"regime": {"name": "broadcast"}, "steps": 10}).regime.upward
'chain'
>>> option_file("regime", "hybrid").name
'hybrid.yaml'
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from sim.config.checks import validate
from sim.config.guards import (
    check_interpolations,
    check_keys,
    check_values,
    install_hydra_guard,
    yaml_error,
)
from sim.config.paths import CONF_DIR
from sim.config.regimes import resolve_regime
from sim.config.schema import AgoraConfig, ConfigError, InterventionConfig

__all__ = ["load_config", "to_config", "option_file", "as_flat_dict", "merge_checked", "load_yaml"]

# Every composition Hydra does in this process is checked before it is used: callbacks,
# logging, environment, unknown keys, resolvers (see sim.config.guards). Installed on import
# so that any entry point that reads a configuration has it.
install_hydra_guard()


def _schema() -> DictConfig:
    return OmegaConf.structured(AgoraConfig)


def merge_checked(base: DictConfig, update: Mapping[str, Any] | DictConfig) -> DictConfig:
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
    missing = re.match(r"In '[^']*': Could not find '(\w+)/([^']+)'", text)
    if missing and options:  # a mistyped option of a group: name it, the nearest, the rest
        group, name = missing.groups()
        near = difflib.get_close_matches(name, options, n=1)
        return (f"{group}={name} is unknown" + (f": did you mean {near[0]}?" if near else "")
                + f" ({group} is one of {', '.join(options)})")
    if options:
        text += f"; available: {', '.join(options)}"
    key = getattr(cause, "full_key", None)
    if key and " not in " in text:  # a mistyped key: say it as check_keys does, nearest first
        nested: Any = None
        for part in reversed(str(key).split(".")):
            nested = {part: nested}
        try:
            check_keys(nested)
        except ConfigError as refused:
            return str(refused)
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
    sim.config.ConfigError: stepz: Key 'stepz' not in 'AgoraConfig': did you mean steps?

    A dataclass is type-checked field by field (it never went through OmegaConf), and the
    caller's object is not modified.
    """
    if isinstance(cfg, AgoraConfig):
        check_values(cfg)
        obj = dataclasses.replace(cfg)
    else:
        interventions = None
        if cfg is None:
            node = load_config(validate_now=False)
        else:
            # Unknown keys and resolvers that read the environment are refused before
            # OmegaConf sees (or resolves) anything.
            if isinstance(cfg, DictConfig):
                plain = OmegaConf.to_container(cfg, resolve=False)
            elif isinstance(cfg, Mapping):
                plain = _python_scalars(dict(cfg))
            else:
                raise ConfigError(
                    f"a configuration is an AgoraConfig, a mapping or a DictConfig, not "
                    f"{type(cfg).__name__}"
                )
            check_interpolations(plain)
            check_keys(plain)
            if isinstance(cfg, DictConfig):
                node = merge_checked(_schema(), cfg)
            else:
                # Interventions are built directly: OmegaConf takes milliseconds per item of
                # a typed list, minutes for 20,000 of them.
                interventions = plain.pop("interventions", None)
                node = merge_checked(load_config(validate_now=False), plain)
        try:
            obj = OmegaConf.to_object(node)
        except Exception as err:  # MissingMandatoryValue and friends
            key = getattr(err, "full_key", None) or "?"
            raise ConfigError(f"{key}: {_first_line(err)}") from None
        if interventions is not None:
            obj.interventions = _interventions(interventions)
        check_values(obj)  # types (interventions), finite numbers, text without control codes
    # A string that resolved to resolver syntax (an escaped ``\\${oc.env:X}``) would come
    # alive the next time the configuration passes through OmegaConf: refused too.
    check_interpolations(obj)
    obj.regime = resolve_regime(obj.regime)
    return validate(obj)


def _python_scalars(node: Any) -> Any:
    """``node`` with numpy scalars as Python numbers (OmegaConf refuses ``np.int64(3)``)."""
    if isinstance(node, Mapping):
        return {k: _python_scalars(v) for k, v in node.items()}
    if isinstance(node, (list, tuple)):
        return [_python_scalars(v) for v in node]
    if type(node).__module__ == "numpy" and hasattr(node, "item"):
        return node.item()
    return node


def _interventions(items: Any) -> list[InterventionConfig]:
    """``interventions`` of a plain mapping as dataclasses (keys already checked)."""
    if not isinstance(items, (list, tuple)):
        raise ConfigError(f"interventions={items!r:.60}: a list of {{at: STEP, set: {{...}}}}")
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise ConfigError(f"interventions[{i}]={item!r:.60}: a mapping {{at: STEP, set: ...}}")
        if "at" not in item:
            raise ConfigError(f"interventions[{i}].at: Missing mandatory value: at")
        changes = item.get("set") or {}
        if not isinstance(changes, Mapping):
            raise ConfigError(f"interventions[{i}].set={changes!r:.60}: a mapping KEY: VALUE")
        out.append(InterventionConfig(at=item["at"], set=dict(changes)))
    return out


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
            except ConfigError as err:  # refused by sim.config.guards while composing
                raise ConfigError(getattr(err, "reason", str(err))) from None
            except (HydraException, OmegaConfBaseException) as err:
                raise ConfigError(yaml_error(err) or _explain(err)) from None
    finally:
        GlobalHydra.instance().clear()
        if previous is not None:
            GlobalHydra.instance().initialize(previous)
    # Unresolved: ``node.items()`` would resolve an escaped ``\${...}`` into a live one.
    node = merge_checked(_schema(), OmegaConf.masked_copy(node, [k for k in node if k != "hydra"]))
    if validate_now:
        to_config(node)
    return node


def load_yaml(path: str | Path) -> DictConfig:
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
