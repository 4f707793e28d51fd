"""Compose every job of a sweep once, in the launching process, into a resolved configuration.

Hydra's own launchers compose each job's configuration again inside the worker (~0.2 s a
job: as long as the simulation of the default scenario). :class:`SweepPlan` composes through
Hydra once per distinct set of *structural* overrides (config groups, ``+``/``~`` edits,
``hydra.*``); each job's plain ``key=value`` overrides are then set on that base's
dataclass with a strict type check (well under a millisecond); a job the fast path is not
sure about (a string for a number, a list, an unknown key) is composed by Hydra in full.
The result is the :class:`~sim.config.AgoraConfig` that ``agora run`` would have resolved in
the job (same :func:`~sim.exec.jobs.config_hash`, checked by ``tests/test_launchers.py``),
so the launchers of :mod:`hydra_plugins.agora_launchers` ship it to long-lived workers.

Design points written by :mod:`sim.exec.designs` (``+agora_design=point_k``, one global
option file per point) are merged as values, not composed, for the same reason.

Examples
--------
>>> from sim.exec.plan import plain_override
>>> plain_override("org.size=50"), plain_override("regime=broadcast", groups={"regime"})
(('org.size', 50), None)
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, cast

from omegaconf import DictConfig, OmegaConf

from sim.config import CONF_DIR, AgoraConfig, ConfigError, to_config
from sim.exec.fast_values import MISSING as _MISSING
from sim.exec.fast_values import leaves as _leaves
from sim.exec.fast_values import strip_hydra as _strip_hydra
from sim.exec.fast_values import with_value as _with_value
from sim.exec.parallel import PlannedJob

__all__ = ["SweepPlan", "plain_override"]


def plain_override(text: str, *, groups: set[str] | frozenset[str] = frozenset()) -> Any:
    """``(key, value)`` of a plain ``key=value`` override, or None if it changes the defaults.

    Structural: ``+``/``~``/``++`` edits, packages (``@``), group paths (``/``), ``hydra.*``,
    a config group (a folder of ``conf/`` or a name in ``groups``), sweeps and containers.
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser

    (o,) = OverridesParser.create().parse_overrides([text])
    return _plain(o, groups)


def _plain(o: Any, groups: set[str] | frozenset[str]) -> tuple[str, Any] | None:
    key = o.key_or_group
    if (
        o.is_add()
        or o.is_force_add()
        or o.is_delete()
        or o.is_sweep_override()
        or o.package is not None
        or "/" in key
        or key.startswith("hydra")
        or key in groups
        or (CONF_DIR / key).is_dir()
    ):
        return None
    value = o.value()
    if isinstance(value, (list, dict)):
        return None
    return key, value


def _is_leaf(node: DictConfig, key: str) -> bool:
    from omegaconf import ListConfig

    value = OmegaConf.select(node, key, default=_MISSING)
    return value is not _MISSING and not isinstance(value, (DictConfig, ListConfig))


class SweepPlan:
    """The jobs of one Hydra launch, each with its resolved configuration and directory.

    Parameters
    ----------
    config
        The sweep's configuration as Hydra hands it to a launcher (``launcher.config``).
    config_loader
        ``hydra_context.config_loader``: composes a base exactly as Hydra's launchers do.
    launcher
        The launcher's name, recorded in each job's ``summary.json`` (``job.launcher``).
    """

    def __init__(self, config: DictConfig, config_loader: Any, launcher: str) -> None:
        self.config = config
        self.loader = config_loader
        self.launcher = launcher
        # Absolute: workers of a cluster do not share this process's working directory.
        self.sweep_dir = Path(str(config.hydra.sweep.dir)).absolute()
        # OmegaConf types to_container as any container; hydra.sweep is a mapping (SweepDir).
        sweep = cast(dict[str, Any], OmegaConf.to_container(config.hydra.sweep, resolve=False))
        raw_subdir = sweep.get("subdir")
        # The default subdir is the job number: no per-job composition needed to know it.
        self._subdir_is_num = str(raw_subdir).replace(" ", "") == "${hydra.job.num}"
        self._searchpath = [
            str(p) for p in OmegaConf.select(config, "hydra.searchpath", default=None) or []
        ]
        self._bases: dict[tuple[str, ...], tuple[DictConfig, AgoraConfig]] = {}
        self.sweep_id: str | None = None  # made by launch(), with the sweep directory
        self._option_files: dict[Path, list[tuple[str, Any]] | None] = {}

    # ------------------------------------------------------------------ composition

    def _base(self, structural: tuple[str, ...]) -> tuple[DictConfig, AgoraConfig]:
        if structural not in self._bases:
            node = _strip_hydra(self.loader.load_sweep_config(self.config, list(structural)))
            raw = OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(AgoraConfig), node))
            assert isinstance(raw, AgoraConfig)  # to_object of a structured AgoraConfig node
            self._bases[structural] = (node, raw)
        return self._bases[structural]

    def _option_file_values(self, o: Any) -> list[tuple[str, Any]] | None:
        """The values of a ``+group=option`` global option file with no defaults list, or None.

        Such a file (``# @package _global_``), found in a ``file://`` entry of
        ``hydra.searchpath``, is what :mod:`sim.exec.designs` writes for each design point;
        setting its values is what composing it would do.
        """
        if not o.is_add() or o.is_sweep_override() or o.package is not None:
            return None
        group, option = o.key_or_group, o.get_value_element_as_str()
        for entry in self._searchpath:
            if not entry.startswith("file://"):
                continue
            path = Path(entry[len("file://") :]) / group / f"{option}.yaml"
            if not path.is_file():
                continue
            if path not in self._option_files:
                with open(path, encoding="utf-8") as fh:
                    first = fh.readline().strip()
                node = OmegaConf.load(path)
                plain = first == "# @package _global_" and "defaults" not in node
                values: list[tuple[str, Any]] | None = None
                if plain:
                    # A design's option file is a mapping; OmegaConf.load's type also allows a
                    # list (which has no items(): AttributeError in _leaves, as before).
                    values = _leaves(cast(dict[str, Any], OmegaConf.to_container(node)))
                self._option_files[path] = values
            return self._option_files[path]
        return None

    def resolve(self, overrides: Sequence[str]) -> AgoraConfig:
        """The resolved configuration of one job, as ``experiments/run.py`` would compute it."""
        from hydra.core.override_parser.overrides_parser import OverridesParser

        parsed = OverridesParser.create().parse_overrides(list(overrides))
        structural, from_files, from_line = [], [], []
        for o in parsed:
            file_values = self._option_file_values(o)
            if file_values is not None:
                from_files += file_values
                continue
            pair = _plain(o, frozenset())
            if pair is None:
                structural.append(str(o.input_line))
            else:
                from_line.append(pair)
        node, raw = self._base(tuple(structural))
        # Hydra merges option files while composing, then applies the command line's values.
        pairs = from_files + from_line
        # A plain key must name a leaf of the composed base (a group packaged globally, or a
        # key the base lacks, is Hydra's business).
        fast = all(_is_leaf(node, k) for k, _ in pairs)
        obj = raw
        if fast:
            for key, value in pairs:
                obj = _with_value(obj, key.split("."), value)
                if obj is _MISSING:
                    fast = False
                    break
        if fast:
            # to_config resolves the regime in place: never touch the cached base.
            return to_config(copy.deepcopy(obj))
        # The exact path: Hydra composes this job as its own launchers would.
        return to_config(_strip_hydra(self.loader.load_sweep_config(self.config, list(overrides))))

    def job_dir(self, num: int, overrides: Sequence[str]) -> Path:
        """``hydra.sweep.dir / hydra.sweep.subdir`` of job ``num``."""
        if self._subdir_is_num:
            return self.sweep_dir / str(num)
        from omegaconf import open_dict

        full = self.loader.load_sweep_config(self.config, list(overrides))
        with open_dict(full):
            full.hydra.job.num = num
            full.hydra.job.id = f"{full.hydra.job.name}_{num}"
        return self.sweep_dir / str(full.hydra.sweep.subdir)

    # ------------------------------------------------------------------ the jobs

    def jobs(
        self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int = 0
    ) -> Iterator[PlannedJob | tuple[int, list[str], Path, str]]:
        """Each job as a :class:`~sim.exec.parallel.PlannedJob`, in order, composed lazily.

        A job whose configuration does not resolve is yielded as ``(num, overrides, dir,
        error)`` so the launcher records it failed without stopping the others (the
        validating callback normally stops such a sweep before it starts).
        """
        for i, overrides in enumerate(job_overrides):
            num = initial_job_idx + i
            overrides = [str(o) for o in overrides]
            job_dir = self.job_dir(num, overrides)
            try:
                cfg = self.resolve(overrides)
            except (ConfigError, Exception) as err:  # recorded as a failed job
                yield num, overrides, job_dir, f"{type(err).__name__}: {err}"
                continue
            info = {
                "num": num,
                "mode": "multirun",
                "launcher": self.launcher,
                "sweep_id": self.sweep_id,
            }
            yield PlannedJob(cfg=cfg, dir=job_dir, overrides=overrides, info=info)
