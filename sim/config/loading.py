"""Composition: Hydra overrides, plain mappings and dataclasses into one checked config.

:func:`to_config` is the one road to an :class:`AgoraConfig` a run may use (the road is drawn
in :mod:`sim.config.build`): :func:`load_config` composes overrides with Hydra's public
``compose``, a mapping is merged onto that composition, a dataclass is type-checked, and all
three end in the same checks, the interventions last.

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
from typing import Any

from omegaconf import DictConfig, OmegaConf

from sim.config.build import (
    finish,
    from_node,
    load_yaml,
    merge_checked,
    merge_onto_schema,
    option_file,
    to_object,
)
from sim.config.checks import check_config
from sim.config.guards import (
    check_interpolations,
    check_keys,
    check_values,
    first_line,
    yaml_error,
)
from sim.config.hydra_hook import install_hydra_guard
from sim.config.interventions import check_interventions
from sim.config.paths import CONF_DIR
from sim.config.schema import AgoraConfig, ConfigError, InterventionConfig

__all__ = [
    "load_config",
    "to_config",
    "validate",
    "option_file",
    "as_flat_dict",
    "merge_checked",
    "load_yaml",
]

# Every composition Hydra does in this process is checked before it is used: callbacks,
# logging, environment, unknown keys, resolvers (see sim.config.hydra_hook). Installed on
# import so that any entry point that reads a configuration has it.
install_hydra_guard()


def validate(cfg: AgoraConfig) -> AgoraConfig:
    """Check ``cfg`` (ranges, structure, memory, then each intervention applied in turn);
    return it unchanged if all is well.

    >>> validate(AgoraConfig()).steps
    300

    Raises
    ------
    ConfigError
        Naming the first offending key, its value and what is allowed.
    """
    check_config(cfg)
    if cfg.interventions:
        check_interventions(cfg)
    return cfg


def _one_value_file(overrides: list[str], error: str) -> str:
    """Which option file of ``overrides`` holds one value where keys and values belong (what
    OmegaConf's ``Invalid loaded object type: int`` is about), in a sentence."""
    import yaml

    kind = error.rsplit(":", 1)[-1].strip()  # a Python type's name
    kind = {"int": "number", "float": "number", "bool": "truth value"}.get(kind, kind)
    what = "an option file"
    for override in overrides:
        group, _, name = override.lstrip("+~").partition("=")
        path = CONF_DIR / group / f"{name}.yaml"
        if name and "." not in group and path.is_file():
            text = yaml.safe_load(path.read_text(encoding="utf-8"))
            if text is not None and not isinstance(text, (dict, list)):
                what = f"{group}/{name}.yaml"
                break
    return f"{what} holds one {kind}: an option file holds keys and values (`key: value` lines)"


def _explain(err: Exception) -> str:
    """One readable sentence from a Hydra/OmegaConf error: the key, the fault, the options.

    >>> hydra_said = ("In 'regime/mine': ValidationError raised while composing config:\\n"
    ...               "Merge error: list is not a subclass of RegimeConfig. value: [1, 2]")
    >>> _explain(ValueError(hydra_said))
    'regime/mine.yaml holds a list: an option file holds keys and values (`key: value` lines)'
    """
    text = first_line(str(err))
    if text.endswith(":"):  # Hydra says why on the next line
        text = " ".join([text, *[line.strip() for line in str(err).splitlines()[1:2]]])
    shape = re.match(r"In '([^']+)': .*Merge error: (\w+) is not a subclass of \w+Config", text)
    if shape:  # an option file whose text is a list or a single value, not a mapping
        return (
            f"{shape[1]}.yaml holds a {shape[2]}: an option file holds keys and values "
            "(`key: value` lines)"
        )
    cause = err.__cause__
    if cause is not None:
        key = getattr(cause, "full_key", None)
        text = f"{key}: {first_line(str(cause))}" if key else f"{text}: {first_line(str(cause))}"
    options = re.findall(r"^\t(\w+)$", str(err), flags=re.MULTILINE)
    options = [o for o in options if not o.endswith("_schema")]
    missing = re.match(r"In '[^']*': Could not find '(\w+)/([^']+)'", text)
    if missing and options:  # a mistyped option of a group: name it, the nearest, the rest
        group, name = missing.groups()
        near = difflib.get_close_matches(name, options, n=1)
        return (
            f"{group}={name} is unknown"
            + (f": did you mean {near[0]}?" if near else "")
            + f" ({group} is one of {', '.join(options)})"
        )
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


def to_config(
    cfg: AgoraConfig | DictConfig | Mapping[str, Any] | list[str] | tuple[str, ...] | None = None,
) -> AgoraConfig:
    """Turn any accepted configuration into a validated :class:`AgoraConfig`.

    A list of Hydra overrides is composed by :func:`load_config` (so ``to_config(overrides)``
    is ``to_config(load_config(overrides))`` checked once). A plain mapping is merged onto the
    composed default configuration (``conf/config.yaml``), so ``{"regime": {"name": ...}}``
    changes only what it names. Regime values left null are resolved from the mix.

    Examples
    --------
    >>> to_config(["regime=broadcast", "steps=5"]).regime.upward
    'chain'
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
        obj = finish(dataclasses.replace(cfg))
    elif isinstance(cfg, DictConfig):
        obj = from_node(cfg)
    elif isinstance(cfg, (list, tuple)) and all(isinstance(o, str) for o in cfg):
        obj = from_node(load_config(cfg, validate_now=False))
    else:
        obj = finish(_from_mapping(cfg))
    if obj.interventions:
        check_interventions(obj)
    return obj


def _from_mapping(cfg: object) -> AgoraConfig:
    """A plain mapping (or None) merged onto the composed defaults, its types checked."""
    interventions = None
    if cfg is None:
        node = load_config(validate_now=False)
    elif isinstance(cfg, Mapping):
        plain = _python_scalars(dict(cfg))
        # Unknown keys and resolvers that read the environment are refused before
        # OmegaConf sees (or resolves) anything.
        check_interpolations(plain)
        check_keys(plain)
        # Interventions are built directly: OmegaConf takes milliseconds per item of a typed
        # list, minutes for 20,000 of them.
        interventions = plain.pop("interventions", None)
        node = merge_checked(load_config(validate_now=False), plain)
    else:
        raise ConfigError(
            "a configuration is an AgoraConfig, a mapping, a DictConfig or a list of "
            f"overrides, not {type(cfg).__name__}"
        )
    obj = to_object(node)
    if interventions is not None:
        obj.interventions = _interventions(interventions)
    check_values(obj)  # types (interventions), finite numbers, text without control codes
    return obj


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
            except OSError as err:  # OmegaConf.load: a file whose text is one value, not keys
                if "Invalid loaded object type" not in str(err):
                    raise
                raise ConfigError(_one_value_file(overrides, str(err))) from None
    finally:
        GlobalHydra.instance().clear()
        if previous is not None:
            GlobalHydra.instance().initialize(previous)
    # Unresolved: ``node.items()`` would resolve an escaped ``\${...}`` into a live one.
    node = merge_onto_schema(OmegaConf.masked_copy(node, [str(k) for k in node if k != "hydra"]))
    if validate_now:
        to_config(node)
    return node


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
