"""Generic guards: configuration never runs code, every key is known, every value well formed.

These checks walk the schema instead of listing keys, so a key added to
:mod:`sim.config.schema` is covered without touching this file:

* :func:`check_keys` refuses a key that is not in the schema, at the top or inside a group
  (``hierarchy.routng``), suggesting the nearest valid key;
* :func:`check_interpolations` refuses resolvers that read the environment or files
  (``${oc.env:...}``, ``${oc.decode:...}``, any resolver not in :data:`SAFE_RESOLVERS`);
* :func:`check_values` checks the type of every field of a dataclass config (a config built
  in Python skips OmegaConf's type checks), that every float is finite and every number within
  :data:`MAX_MAGNITUDE`;
* :func:`check_hydra` refuses ``hydra.callbacks`` other than the project's own, logging
  configurations that would import arbitrary code and ``hydra.job.env_set`` outside a short
  list of thread-count variables.

:func:`sim.config.hydra_hook.install_hydra_guard` puts :func:`check_composed` in front of every
composition Hydra does (the application's primary config, each job of a sweep,
:func:`hydra.compose`), so the checks run before Hydra instantiates a callback or configures
logging.

Examples
--------
>>> check_keys({"hierarchy": {"routng": "chain"}})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
sim.config.ConfigError: hierarchy.routng: ...: did you mean hierarchy.routing?
>>> check_interpolations({"scenario": {"description": "${oc.env:HOME}"}})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
sim.config.ConfigError: scenario.description='${oc.env:HOME}': the resolver oc.env is not ...
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import typing
from collections.abc import Mapping
from functools import cache
from typing import Any

from sim.config.hydra_keys import (
    INSTANTIATION_KEYS,
    changed_leaves,
    check_choices,
    check_hydra_changes,
    find_instantiation_keys,
)
from sim.config.schema import AgoraConfig, ConfigError

__all__ = [
    "SAFE_RESOLVERS",
    "PROJECT_CALLBACKS",
    "MAX_MAGNITUDE",
    "check_keys",
    "check_interpolations",
    "check_values",
    "check_hydra",
    "check_composed",
    "as_plain",
    "dataclass_of",
    "describe_type",
    "first_line",
    "yaml_error",
]

#: Resolvers a value may use: none reads the environment, a file or runs code. ``oc.env``,
#: ``oc.decode`` (it resolves the interpolations inside a string it is given) and any resolver
#: registered by other code are refused.
SAFE_RESOLVERS = ("now", "oc.select", "oc.dict.keys", "oc.dict.values", "hydra")

#: The only Hydra callbacks a run may instantiate (``conf/hydra/callbacks/agora.yaml``).
PROJECT_CALLBACKS = ("sim.exec.sweeps.ValidateCallback",)

#: Environment variables ``hydra.job.env_set`` may set: thread counts only. Anything else
#: (PATH, LD_PRELOAD, PYTHONPATH...) would change which code a subprocess or import loads.
SAFE_ENV = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "BLIS_NUM_THREADS",
)

#: No number in a configuration is larger than this in magnitude (sizes are bounded much
#: more tightly by :mod:`sim.config.limits`); 1e300 or 2**70 is a typo, not a setting.
MAX_MAGNITUDE = 2**63 - 1


# --------------------------------------------------------------------------- keys


@cache
def _fields(cls: type) -> dict[str, Any]:
    """Field name -> resolved type hint of a dataclass."""
    return typing.get_type_hints(cls)


@cache
def _all_keys(cls: type = AgoraConfig, prefix: str = "") -> tuple[str, ...]:
    out: list[str] = []
    for name, kind in _fields(cls).items():
        sub = dataclass_of(kind)
        if sub is not None:
            out += _all_keys(sub, f"{prefix}{name}.")
        else:
            out.append(f"{prefix}{name}")
    return tuple(out)


def _dataclass_type(kind: Any) -> type | None:
    return kind if isinstance(kind, type) and dataclasses.is_dataclass(kind) else None


def dataclass_of(kind: Any) -> type | None:
    """The dataclass a field holds (through Optional), or None."""
    if _dataclass_type(kind) is not None:
        return kind
    args = [a for a in typing.get_args(kind) if a is not type(None)]
    if len(args) == 1 and typing.get_origin(kind) is not list:
        return _dataclass_type(args[0])
    return None


def _list_item(kind: Any) -> type | None:
    if typing.get_origin(kind) is list:
        (item,) = typing.get_args(kind) or (None,)
        return _dataclass_type(item)
    return None


def suggest(key: str, cls: type = AgoraConfig, prefix: str = "") -> str:
    """': did you mean X?' for the valid key nearest to dotted ``key``, or ''."""
    name = key.rsplit(".", 1)[-1]
    if name.startswith("_"):  # _target_ and friends: nothing to suggest
        return ""
    local = [f"{prefix}{n}" for n in _fields(cls)]
    # The right name in the wrong group first, then a near name here, then anywhere.
    near = [k for k in _all_keys() if k.rsplit(".", 1)[-1] == name and k != key][:1]
    near = near or difflib.get_close_matches(key, local, n=1, cutoff=0.6)
    if not near:  # the right name in the wrong group (org.routing -> hierarchy.routing)
        everywhere = _all_keys()
        near = difflib.get_close_matches(key, everywhere, n=1, cutoff=0.75)
        if not near:
            by_name = {k.rsplit(".", 1)[-1]: k for k in everywhere}
            close = difflib.get_close_matches(name, list(by_name), n=1, cutoff=0.8)
            near = [by_name[close[0]]] if close else []
    return f": did you mean {near[0]}?" if near else ""


def check_keys(node: Any, cls: type = AgoraConfig, prefix: str = "") -> None:
    """Refuse any key of the plain mapping ``node`` that the dataclass ``cls`` does not have.

    Groups are checked as the top is, recursively; ``interventions`` items are checked
    against :class:`~sim.config.schema.InterventionConfig` (their ``set`` is checked when the
    interventions are applied). A key ``hydra`` at the top is left to :func:`check_hydra`.
    """
    if not isinstance(node, Mapping):
        return
    hints = _fields(cls)
    for key, value in node.items():
        key = str(key)
        if not prefix and key == "hydra":
            continue
        if key not in hints and key in INSTANTIATION_KEYS:
            raise ConfigError(
                f"{prefix}{key}: '{key}' keys are refused: nothing may be instantiated from a "
                "configuration (it would run code)"
            )
        if key not in hints:
            raise ConfigError(
                f"{prefix}{key}: Key '{key}' not in '{cls.__name__}'"
                f"{suggest(prefix + key, cls, prefix)}"
            )
        kind = hints[key]
        sub = dataclass_of(kind)
        if sub is not None and isinstance(value, Mapping):
            check_keys(value, sub, f"{prefix}{key}.")
        item = _list_item(kind)
        if item is not None and isinstance(value, (list, tuple)):
            for i, entry in enumerate(value):
                check_keys(entry, item, f"{prefix}{key}[{i}].")


# --------------------------------------------------------------------------- interpolations


def _strings(node: Any, prefix: str = ""):
    """(dotted key, text) of every string holding ``${`` in plain containers and dataclasses,
    mapping keys included. Only strings can hold an interpolation, so nothing else is built."""
    if isinstance(node, str):
        if "${" in node:
            yield prefix.rstrip("."), node
    elif hasattr(node, "__dataclass_fields__") and not isinstance(node, type):
        for name, value in vars(node).items():
            if not isinstance(value, (int, float, bool)) and value is not None:
                yield from _strings(value, f"{prefix}{name}.")
    elif isinstance(node, Mapping):
        for k, v in node.items():
            if isinstance(k, str) and "${" in k:
                yield f"{prefix}{k}", k
            yield from _strings(v, f"{prefix}{k}.")
    elif isinstance(node, (list, tuple)):
        for i, v in enumerate(node):
            yield from _strings(v, f"{prefix.rstrip('.')}[{i}].")


def resolver_names(text: str) -> list[str]:
    """Every resolver ``text`` would call, read with OmegaConf's own grammar (so an escaped
    ``\\${`` is text and an escaped backslash before a live ``${`` is not).

    >>> resolver_names(r"a ${oc.select:x,${oc.env:HOME}} \\${oc.env:B}")
    ['oc.select', 'oc.env']
    >>> resolver_names(r"\\\\${oc.env:SECRET}")
    ['oc.env']

    Raises :class:`ConfigError` for a string that does not parse (OmegaConf would fail on it
    when resolving) and a resolver whose name is itself an interpolation.
    """
    from omegaconf import grammar_parser
    from omegaconf.errors import GrammarParseError
    from omegaconf.grammar.gen.OmegaConfGrammarParser import OmegaConfGrammarParser

    try:
        tree = grammar_parser.parse(text)
    except GrammarParseError as err:
        raise ConfigError(f"{first_line(str(err))}: not a valid interpolation") from None
    names: list[str] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, OmegaConfGrammarParser.InterpolationResolverContext):
            names.append(node.resolverName().getText())
        stack.extend(reversed(list(getattr(node, "children", None) or [])))
    return names


def first_line(text: str) -> str:
    """The first non-blank line of an error's text, for a one-line message."""
    return text.strip().splitlines()[0] if text.strip() else text


def check_interpolations(node: Any, where: str = "") -> None:
    """Refuse strings that call a resolver outside :data:`SAFE_RESOLVERS`.

    ``node`` is a plain container (``OmegaConf.to_container(..., resolve=False)``) or a
    dataclass config. Plain references (``${regime.mix}``) are allowed. Each string is parsed
    with OmegaConf's grammar (:func:`resolver_names`), never matched with a pattern.
    """
    for key, value in _strings(node):
        try:
            names = resolver_names(value)
        except ConfigError as err:
            raise ConfigError(f"{where}{key}={value!r}: {err}") from None
        for name in names:
            if name not in SAFE_RESOLVERS:
                raise ConfigError(
                    f"{where}{key}={value!r}: the resolver {name} is not allowed: "
                    "configuration values must not read the environment or files "
                    f"(allowed: plain ${{key}} references and {', '.join(SAFE_RESOLVERS)})"
                )


# --------------------------------------------------------------------------- values


def describe_type(kind: Any) -> str:
    """A field's type in words, as an error says it: ``int | None`` is "null or an integer"."""
    if kind is int:
        return "an integer"
    if kind is float:
        return "a number"
    if kind is bool:
        return "true or false"
    if kind is str:
        return "a string"
    args = typing.get_args(kind)
    if type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return "null or " + " or ".join(describe_type(a) for a in rest)
    origin = typing.get_origin(kind)
    if origin is list:
        return "a list"
    if origin is dict:
        return "a mapping"
    return getattr(kind, "__name__", str(kind))


def _type_ok(kind: Any, value: Any) -> bool:
    import numbers

    if kind is Any:
        return True
    args = typing.get_args(kind)
    origin = typing.get_origin(kind)
    if origin is list:
        return isinstance(value, (list, tuple))
    if origin is dict:
        return isinstance(value, Mapping)
    if args:  # X | None
        return any(_type_ok(a, value) for a in args)
    if kind is type(None):
        return value is None
    if kind is bool:
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if kind is int:
        return isinstance(value, numbers.Integral)
    if kind is float:
        return isinstance(value, numbers.Real)
    if kind is str:
        return isinstance(value, str)
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        return isinstance(value, kind)
    return True


@cache
def _plan(cls: type) -> tuple[tuple[str, Any, frozenset], ...]:
    """Per field: its name, its type, and the exact types accepted without a closer look."""
    out = []
    for name, kind in _fields(cls).items():
        simple: dict[Any, set[type]] = {int: {int}, float: {float, int}, str: {str}, bool: {bool}}
        args = set(typing.get_args(kind)) if typing.get_origin(kind) is not list else set()
        accepted: set = set()
        for k in args or {kind}:
            if k is type(None):
                accepted.add(type(None))
            elif k in simple:
                accepted |= simple[k]
        out.append((name, kind, frozenset(accepted)))
    return tuple(out)


def check_values(obj: Any, prefix: str = "") -> None:
    """Every field of dataclass ``obj`` of its declared type, every number finite and bounded.

    A config made in Python (``AgoraConfig(steps="3")``) never went through OmegaConf's type
    checks; one composed by Hydra did, and passes in microseconds.

    >>> check_values(AgoraConfig(steps="3"))
    Traceback (most recent call last):
    ...
    sim.config.ConfigError: steps='3' is a str: an integer is expected
    >>> from sim.config.schema import NetworkConfig
    >>> check_values(AgoraConfig(network=NetworkConfig(lam=float("inf"))))
    Traceback (most recent call last):
    ...
    sim.config.ConfigError: network.lam=inf is not a finite number
    """
    cls_of_obj: type = type(obj)
    for name, kind, accepted in _plan(cls_of_obj):
        value = getattr(obj, name)
        cls = type(value)
        if cls not in accepted and not _type_ok(kind, value):
            key = f"{prefix}{name}"
            raise ConfigError(
                f"{key}={value!r} is a {cls.__name__}: {describe_type(kind)} is expected"
            )
        if cls is str:
            _check_text(f"{prefix}{name}", value)
        elif cls is float:
            if not math.isfinite(value):
                raise ConfigError(f"{prefix}{name}={value!r} is not a finite number")
            if abs(value) > MAX_MAGNITUDE:
                raise ConfigError(
                    f"{prefix}{name}={value!r} is out of range: at most {MAX_MAGNITUDE:.3g}"
                )
        elif cls is int:
            if abs(value) > MAX_MAGNITUDE:
                raise ConfigError(
                    f"{prefix}{name}={value!r} is out of range: at most {MAX_MAGNITUDE:.3g}"
                )
        elif hasattr(value, "__dataclass_fields__"):
            check_values(value, f"{prefix}{name}.")
        elif cls is list or cls is tuple:
            for i, item in enumerate(value):
                if hasattr(item, "__dataclass_fields__"):
                    check_values(item, f"{prefix}{name}[{i}].")
        elif isinstance(value, float) and not math.isfinite(value):  # numpy floats
            raise ConfigError(f"{prefix}{name}={value!r} is not a finite number")


#: Control characters a text may not hold: a NUL or an escape sequence in a name ends up in
#: file names, terminals and reports. Descriptions may hold tabs and line breaks.
_CONTROL = frozenset(chr(c) for c in [*range(0, 32), 127]) - {"\t", "\n", "\r"}


def _check_text(key: str, value: str) -> None:
    bad = next((c for c in value if c in _CONTROL), None) if not value.isprintable() else None
    if bad is not None or (key.endswith("name") and any(c in value for c in "\t\n\r")):
        bad = bad or next(c for c in value if c in "\t\n\r")
        raise ConfigError(
            f"{key}={value[:40]!r}: holds the control character {bad!r}: names and "
            "descriptions are text (line breaks only in descriptions)"
        )


# --------------------------------------------------------------------------- hydra's own part


def as_plain(node: Any) -> dict[str, Any]:
    """A DictConfig as a plain dict, its interpolations left unresolved."""
    from omegaconf import OmegaConf

    out = OmegaConf.to_container(node, resolve=False)
    assert isinstance(out, dict), type(out)  # a DictConfig is always a mapping
    return typing.cast(dict[str, Any], out)  # keys from YAML and the command line are text


def _plain(node: Any) -> Any:
    from omegaconf import DictConfig, ListConfig, OmegaConf

    if isinstance(node, (DictConfig, ListConfig)):
        return OmegaConf.to_container(node, resolve=False)
    return node


def _check_logging(name: str, conf: Any) -> None:
    """A ``logging.config.dictConfig`` mapping that imports nothing outside :mod:`logging`.

    ``()`` makes dictConfig call any importable callable and ``class`` import any class; a
    file handler opened with ``mode: w`` empties whatever file it names.
    """
    if not isinstance(conf, Mapping):
        return
    for section in ("handlers", "filters", "formatters"):
        for entry, spec in (conf.get(section) or {}).items():
            if not isinstance(spec, Mapping):
                continue
            where = f"hydra.{name}.{section}.{entry}"
            if "()" in spec:
                raise ConfigError(f"{where}: '()' factories are not allowed (they run code)")
            cls = spec.get("class")
            if cls is not None and not (isinstance(cls, str) and cls.startswith("logging.")):
                raise ConfigError(
                    f"{where}.class={cls!r}: only classes of the logging module are allowed"
                )
            if spec.get("mode", "a") != "a":
                raise ConfigError(
                    f"{where}.mode={spec.get('mode')!r}: log files are only appended to (mode a)"
                )


def check_hydra(hydra: Any) -> None:
    """Refuse the parts of Hydra's own configuration that would run or load code.

    ``hydra.callbacks``: only :data:`PROJECT_CALLBACKS`, with no arguments (Hydra
    instantiates every entry, so ``_target_: builtins.open`` opens a file).
    ``hydra.job_logging`` / ``hydra.hydra_logging``: see ``_check_logging``.
    ``hydra.job.env_set``: only :data:`SAFE_ENV`.
    """
    hydra = _plain(hydra)
    if not isinstance(hydra, Mapping):
        return
    for name, spec in (hydra.get("callbacks") or {}).items():
        target = spec.get("_target_") if isinstance(spec, Mapping) else None
        extra = sorted(set(spec) - {"_target_"}) if isinstance(spec, Mapping) else []
        if target not in PROJECT_CALLBACKS or extra:
            raise ConfigError(
                f"hydra.callbacks.{name}: callbacks other than the project's own "
                f"({', '.join(PROJECT_CALLBACKS)}, without arguments) are refused: Hydra "
                f"instantiates them, so they would run code (got _target_={target!r}"
                + (f" with {', '.join(map(str, extra))}" if extra else "")
                + ")"
            )
    for name in ("job_logging", "hydra_logging"):
        _check_logging(name, hydra.get(name))
    env = ((hydra.get("job") or {}).get("env_set")) or {}
    for var in env:
        if var not in SAFE_ENV:
            raise ConfigError(
                f"hydra.job.env_set.{var}: only thread counts may be set "
                f"({', '.join(SAFE_ENV)}): other variables change which code runs"
            )


def check_composed(cfg: Any, reference: Any = None) -> None:
    """All the checks of a configuration Hydra has just composed, before anything uses it.

    ``reference`` is Hydra's own configuration composed with the same group choices and
    nothing else (see :func:`install_hydra_guard`): every ``hydra.*`` key that differs from it
    must be on the allow list of :mod:`sim.config.hydra_keys`, and resolvers are refused in
    those keys as everywhere else. No ``_target_`` may appear in the application's part.
    """
    from omegaconf import OmegaConf

    if "hydra" in cfg:
        check_hydra(cfg.hydra)
        hydra = as_plain(cfg.hydra)
        choices = (hydra.get("runtime") or {}).get("choices") or {}
        check_choices(choices)
        if reference is not None:
            changed = changed_leaves(hydra, as_plain(reference))
            check_hydra_changes(changed, choices)
            check_interpolations(changed, where="hydra.")
    plain = OmegaConf.to_container(
        OmegaConf.masked_copy(cfg, [k for k in cfg if k != "hydra"]), resolve=False
    )
    target = find_instantiation_keys(plain)
    if target is not None:
        raise ConfigError(
            f"{target}: '{target.rsplit('.', 1)[-1]}' keys are refused: nothing may be "
            "instantiated from a configuration (it would run code)"
        )
    check_interpolations(plain)
    if OmegaConf.get_type(cfg) is AgoraConfig:
        check_keys(plain)


def yaml_error(err: BaseException) -> str | None:
    """One line naming the file for a YAML error found anywhere in ``err``'s chain, else None.

    PyYAML's safe loader refuses tags such as ``!!python/object/apply``; Hydra wraps that error
    in a long traceback. This finds it and says where it is.
    """
    import yaml

    seen = set()
    e: BaseException | None = err
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, yaml.YAMLError):
            mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
            where = f"{mark.name}, line {mark.line + 1}" if mark is not None else "a YAML file"
            problem = getattr(e, "problem", None) or str(e).strip().splitlines()[0]
            return f"{where}: {problem.strip()} (YAML tags that build Python objects are refused)"
        e = e.__cause__ or e.__context__
    return None
