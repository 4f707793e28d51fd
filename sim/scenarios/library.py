"""The scenario library and the named interventions, read from ``conf/``.

A *scenario* is ``conf/scenario/NAME.yaml`` (``# @package _global_``): ``scenario.name``,
``scenario.description`` (one plain-words paragraph) and the keys that make the situation. A
*named intervention* is ``conf/intervention/NAME.yaml`` (``# @package _global_``) holding
``interventions: [{at: STEP, set: {...}}]``; its description is the comment paragraph at the
top of the file (the schema of an intervention has no room for one).

Files are read with ``yaml.safe_load``: listing them never executes anything, and a scenario's
settings are reported exactly as its file writes them.

Examples
--------
>>> names = [s.name for s in list_scenarios()]
>>> "default" in names and "march1991" in names
True
>>> get_scenario("march1991").settings["org.size"]
50
>>> get_scenario("nowhere")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
sim.config.ConfigError: scenario='nowhere' is unknown: one of ...
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sim.config import CONF_DIR, ConfigError, option_file

__all__ = [
    "Scenario",
    "NamedIntervention",
    "list_scenarios",
    "get_scenario",
    "list_interventions",
    "get_intervention",
    "flatten",
    "describe_changes",
    "format_listing",
]


@dataclass(frozen=True)
class Scenario:
    """One scenario file: its name, description and the settings it makes (dotted keys)."""

    name: str
    description: str
    path: Path
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NamedIntervention:
    """One intervention file: its name, description (top comment) and interventions."""

    name: str
    description: str
    path: Path
    interventions: list[dict[str, Any]] = field(default_factory=list)


def flatten(node: Any, prefix: str = "") -> dict[str, Any]:
    """Nested mappings as ``{"dotted.key": value}`` (lists kept whole).

    >>> flatten({"a": {"b": 1, "c": {"d": [1, 2]}}, "e": None})
    {'a.b': 1, 'a.c.d': [1, 2], 'e': None}
    """
    out: dict[str, Any] = {}
    if isinstance(node, dict):
        for key, value in node.items():
            out.update(
                flatten(value, f"{prefix}{key}.")
                if isinstance(value, dict)
                else {f"{prefix}{key}": value}
            )
    return out


def _load(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML ({err})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys at the top")
    return data


def _scenario(path: Path) -> Scenario:
    data = _load(path)
    meta = data.get("scenario") or {}
    settings = {k: v for k, v in flatten(data).items() if not k.startswith("scenario.")}
    return Scenario(
        name=str(meta.get("name", path.stem)),
        description=" ".join(str(meta.get("description", "")).split()),
        path=path,
        settings=settings,
    )


def _top_comment(path: Path) -> str:
    """The first paragraph of ``#`` comments, package directive left out."""
    lines: list[str] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        text = raw.strip()
        if not text.startswith("#"):
            if lines or text:
                break
            continue
        body = text.lstrip("#").strip()
        if body.startswith("@package"):
            continue
        lines.append(body)
    return " ".join(" ".join(lines).split())


def _options(group: str, conf_dir: Path) -> list[Path]:
    return sorted((Path(conf_dir) / group).glob("*.yaml"))


def list_scenarios(conf_dir: str | Path = CONF_DIR) -> list[Scenario]:
    """Every scenario in ``conf_dir/scenario``, ``default`` first, then by name."""
    found = [_scenario(p) for p in _options("scenario", Path(conf_dir))]
    return sorted(found, key=lambda s: (s.path.stem != "default", s.path.stem))


def get_scenario(name: str, conf_dir: str | Path = CONF_DIR) -> Scenario:
    """The scenario ``name`` (its file stem); :class:`ConfigError` listing the others if none."""
    return _scenario(option_file("scenario", name, conf_dir))


def _intervention(path: Path) -> NamedIntervention:
    data = _load(path)
    ivs = data.get("interventions")
    if not isinstance(ivs, list) or not ivs:
        raise ConfigError(f"{path}: expected 'interventions:' with a list of {{at, set}} items")
    for i, iv in enumerate(ivs):
        if not isinstance(iv, dict) or "at" not in iv or not isinstance(iv.get("set"), dict):
            raise ConfigError(f"{path}: interventions[{i}] needs 'at: STEP' and 'set: {{...}}'")
    return NamedIntervention(path.stem, _top_comment(path), path, ivs)


def list_interventions(conf_dir: str | Path = CONF_DIR) -> list[NamedIntervention]:
    """Every named intervention in ``conf_dir/intervention``, by name."""
    return [_intervention(p) for p in _options("intervention", Path(conf_dir))]


def get_intervention(name: str, conf_dir: str | Path = CONF_DIR) -> NamedIntervention:
    """The intervention ``name``; :class:`ConfigError` listing the others if there is none."""
    return _intervention(option_file("intervention", name, conf_dir))


def describe_changes(iv: NamedIntervention) -> str:
    """One line per change: ``at step 150: openness.internal=0.9``.

    >>> describe_changes(NamedIntervention("x", "", Path("x"), [{"at": 5, "set": {"a.b": 1}}]))
    'at step 5: a.b=1'
    """
    return "; ".join(
        f"at step {item['at']}: " + ", ".join(f"{k}={v}" for k, v in item["set"].items())
        for item in iv.interventions
    )


def format_listing(width: int = 88, *, settings: bool = False) -> str:
    """The scenarios and interventions with their descriptions, wrapped for a terminal."""
    out = ["Scenarios (agora run scenario=NAME):", ""]
    wrap = textwrap.TextWrapper(width=width, initial_indent="    ", subsequent_indent="    ")
    for s in list_scenarios():
        out.append(f"  {s.name}")
        out.extend(wrap.wrap(s.description or "(no description)"))
        if settings and s.settings:
            keys = ", ".join(f"{k}={v}" for k, v in s.settings.items())
            out.extend(wrap.wrap(f"sets: {keys}"))
        out.append("")
    out += ["Interventions (agora whatif scenario=NAME intervention=NAME):", ""]
    for iv in list_interventions():
        out.append(f"  {iv.name}  ({describe_changes(iv)})")
        out.extend(wrap.wrap(iv.description or "(no description)"))
        out.append("")
    return "\n".join(out).rstrip() + "\n"
