"""Sweeps: list the jobs of a Hydra multirun and validate every one before any starts.

:func:`expand_sweep` lists a sweep's jobs exactly as Hydra's basic sweeper does;
:func:`validate_sweep` checks each job's configuration (types and ranges) so a bad value fails
before any job writes anything; :class:`ValidateCallback` runs these checks from Hydra
(``conf/hydra/callbacks/agora.yaml``).
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from sim import preflight
from sim.config import AgoraConfig, ConfigError, to_config

__all__ = ["expand_sweep", "validate_sweep", "ValidateCallback"]




def expand_sweep(task_overrides: Iterable[str], params: Mapping[str, Any] | None = None) -> list:
    """The job override lists of a sweep, in Hydra's job order (``hydra.job.num``).

    Mirrors Hydra's ``BasicSweeper``: ``hydra.sweeper.params`` first, then the command line,
    a later value of a key replacing an earlier one, and the cartesian product of the rest.

    >>> expand_sweep(["regime=broadcast,hybrid", "steps=5"], {"seed": "0,1"})
    [['seed=0', 'regime=broadcast', 'steps=5'], ['seed=0', 'regime=hybrid', 'steps=5'], \
['seed=1', 'regime=broadcast', 'steps=5'], ['seed=1', 'regime=hybrid', 'steps=5']]
    """
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser

    args = [f"{k}={v}" for k, v in (params or {}).items()] + [str(o) for o in task_overrides]
    parsed = OverridesParser.create().parse_overrides(args)
    (batch,) = BasicSweeper.split_arguments(parsed, None)
    return batch


def _is_structural(key: str) -> bool:
    """True for overrides that change the defaults list (groups, +/~ edits, packages)."""
    if key[:1] in "+~" or "@" in key or "/" in key or key.startswith("hydra"):
        return True
    from sim.config import CONF_DIR

    return (CONF_DIR / key).is_dir()


def _global_option_file(override: Any, searchpath: Sequence[str]) -> Path | None:
    """The YAML file of a ``+group=option`` override if it only sets values globally.

    Such a file (``# @package _global_``, no defaults list), found in a ``file://`` entry of
    ``hydra.searchpath``, is what :mod:`sim.runs.designs` writes for each design point; merging it
    is exactly what composing it would do, at a thousandth of the cost.
    """
    if not override.is_add() or override.is_sweep_override():
        return None
    group, option = override.key_or_group, override.get_value_element_as_str()
    for entry in searchpath:
        if not str(entry).startswith("file://"):
            continue
        path = Path(str(entry)[len("file://"):]) / group / f"{option}.yaml"
        if path.is_file():
            with open(path, encoding="utf-8") as fh:
                first = fh.readline().strip()
            if first == "# @package _global_" and "defaults" not in OmegaConf.load(path):
                return path
    return None


_MISSING = object()


@cache
def _hints(cls: type) -> dict[str, Any]:
    import typing

    return typing.get_type_hints(cls)


def _coerce(kind: Any, value: Any) -> Any:
    """``value`` as a field of type ``kind`` accepts it, or _MISSING when unsure.

    Deliberately narrow: anything OmegaConf might convert (strings to numbers, numbers to
    strings, containers) returns _MISSING so that the exact, slow path decides.
    """
    import typing

    args = typing.get_args(kind)
    if args:  # Optional[X] / X | None
        if value is None and type(None) in args:
            return None
        rest = [a for a in args if a is not type(None)]
        return _coerce(rest[0], value) if len(rest) == 1 else _MISSING
    if kind is bool:
        return value if isinstance(value, bool) else _MISSING
    if isinstance(value, bool):
        return _MISSING
    if kind is int:
        return value if isinstance(value, int) else _MISSING
    if kind is float:
        return float(value) if isinstance(value, (int, float)) else _MISSING
    if kind is str:
        return value if isinstance(value, str) else _MISSING
    return _MISSING


def _with_value(obj: Any, parts: list[str], value: Any) -> Any:
    """A copy of dataclass ``obj`` with the field at ``parts`` set (type-checked), or _MISSING."""
    name = parts[0]
    if not dataclasses.is_dataclass(obj) or name not in {f.name for f in dataclasses.fields(obj)}:
        return _MISSING
    if len(parts) == 1:
        checked = _coerce(_hints(type(obj))[name], value)
        return _MISSING if checked is _MISSING else dataclasses.replace(obj, **{name: checked})
    child = _with_value(getattr(obj, name), parts[1:], value)
    return _MISSING if child is _MISSING else dataclasses.replace(obj, **{name: child})


def _leaves(node: Any, prefix: str = "") -> list[tuple[str, Any]]:
    out = []
    for k, v in node.items():
        if isinstance(v, Mapping) and v:
            out += _leaves(v, f"{prefix}{k}.")
        else:
            out.append((f"{prefix}{k}", v))
    return out


def _fast_check(raw: AgoraConfig, pairs: list[tuple[str, Any]]) -> bool:
    """Validate ``raw`` (unresolved) with ``pairs`` set; False when the exact path is needed."""
    from sim.config import validate
    from sim.config.regimes import resolve_regime

    obj = raw
    for key, value in pairs:
        obj = _with_value(obj, key.split("."), value)
        if obj is _MISSING:
            return False
    validate(dataclasses.replace(obj, regime=resolve_regime(obj.regime)))
    return True


def validate_sweep(config: DictConfig, jobs: Sequence[Sequence[str]]) -> None:
    """Compose and validate every job of a sweep; raise ConfigError naming job and key.

    Composition through Hydra costs ~0.1 s and a full :func:`~sim.config.to_config` ~30 ms,
    too much for sweeps of thousands of jobs. So composition is done once per distinct set of
    structural overrides (config groups, ``+``/``~``); each job's plain ``key=value``
    overrides, and the values of :mod:`sim.runs.designs` option files, are then set on that base's
    dataclass with a strict type check and the result validated (well under a millisecond).
    Anything the fast path does not handle with certainty (a string for a number, a list, an
    unknown key) goes through the exact path: Hydra's own override application on a deep copy
    of the composed config, then :func:`~sim.config.to_config`.
    """
    import copy

    from hydra._internal.config_loader_impl import ConfigLoaderImpl
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser = OverridesParser.create()
    loader = GlobalHydra.instance().config_loader()
    searchpath = list(OmegaConf.select(config, "hydra.searchpath", default=None) or [])
    bases: dict[tuple[str, ...], tuple[DictConfig, AgoraConfig]] = {}
    option_files: dict[Path, DictConfig] = {}
    for num, job in enumerate(jobs):
        where = f"job {num} ({' '.join(job)})"
        try:
            parsed = parser.parse_overrides(list(job))
            files, structural, values = [], [], []
            for o in parsed:
                path = _global_option_file(o, searchpath)
                if path is not None:
                    files.append(path)
                elif _is_structural(o.get_key_element()):
                    structural.append(str(o.input_line))
                else:
                    values.append(o)
            key = tuple(structural)
            if key not in bases:
                node = _strip_hydra(loader.load_sweep_config(config, list(key)))
                _checked(node)  # the base itself, exactly
                raw = OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(AgoraConfig), node))
                bases[key] = (node, raw)
            node, raw = bases[key]
            for f in files:
                if f not in option_files:
                    option_files[f] = _strip_hydra(OmegaConf.load(f))
            pairs = [pair for f in files for pair in _leaves(option_files[f])]
            plain = not any(o.is_add() or o.is_force_add() or o.is_delete() for o in values)
            if plain and _fast_check(raw, pairs + [(o.key_or_group, o.value()) for o in values]):
                continue
            exact = copy.deepcopy(node)
            if files:
                exact = OmegaConf.merge(exact, *[option_files[f] for f in files])
            ConfigLoaderImpl._apply_overrides_to_config(values, exact)
            _checked(exact)
        except ConfigError as err:
            raise ConfigError(f"{where}: {err}") from None
        except Exception as err:  # Hydra/OmegaConf composition errors name the key too
            raise ConfigError(f"{where}: {type(err).__name__}: {err}") from None


def _checked(node: DictConfig) -> AgoraConfig:
    """The full check of one job: keys, types and ranges, then its input files."""
    return preflight.check(to_config(node))


def _strip_hydra(config: DictConfig) -> DictConfig:
    return OmegaConf.masked_copy(config, [k for k in config if k != "hydra"])


try:  # the callback base class is Hydra's; importing it is cheap and side-effect free
    from hydra.experimental.callback import Callback as _HydraCallback
except ImportError:  # pragma: no cover - hydra-core is a dependency
    _HydraCallback = object  # type: ignore[assignment,misc]


class ValidateCallback(_HydraCallback):
    """Hydra callback: validate the run, or every job of a sweep, before anything starts.

    Hydra swallows exceptions raised by callbacks (it only warns), so an invalid
    configuration is reported on stderr and the process exits with status 2, before the
    sweep directory or any job directory is created. Enabled by ``experiments/run.py``
    through ``hydra/callbacks=agora`` (``conf/hydra/callbacks/agora.yaml``).
    """

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        try:
            _checked(_strip_hydra(config))
        except Exception as err:
            _exit_invalid(err)

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        try:
            task = OmegaConf.to_container(config.hydra.overrides.task, resolve=False)
            params = OmegaConf.select(config, "hydra.sweeper.params", default=None)
            params = OmegaConf.to_container(params) if params is not None else {}
            jobs = expand_sweep(task, params)
            validate_sweep(config, jobs)
        except Exception as err:
            _exit_invalid(err)
        _spare_second_validation({tuple(job) for job in jobs})


def _spare_second_validation(validated: set[tuple[str, ...]]) -> None:
    """Let Hydra's basic sweeper skip re-composing the jobs this callback has validated.

    Before launching, ``BasicSweeper`` composes every job once more to catch composition
    errors early (~0.2 s a job: minutes for a sweep of thousands, before the first job
    starts). Every job has just been composed and range-checked here, so a batch made only of
    those jobs is not composed again; any other batch is. Patched here, not at import time,
    because Hydra re-imports its plugin modules when it scans them.
    """
    module = sys.modules.get("hydra._internal.core_plugins.basic_sweeper")
    sweeper = getattr(module, "BasicSweeper", None)
    if sweeper is None:
        return
    original = getattr(sweeper.validate_batch_is_legal, "_agora_original",
                       sweeper.validate_batch_is_legal)

    def validate_batch_is_legal(self: Any, batch: Sequence[Sequence[str]]) -> None:
        if not all(tuple(job) in validated for job in batch):
            original(self, batch)

    validate_batch_is_legal._agora_original = original  # type: ignore[attr-defined]
    sweeper.validate_batch_is_legal = validate_batch_is_legal


def _exit_invalid(err: BaseException) -> None:
    sys.stderr.write(f"Agora: invalid configuration, no job was started: {err}\n")
    sys.stderr.flush()
    # SystemExit passes through Hydra's callback wrapper, which swallows Exceptions.
    raise SystemExit(2)
