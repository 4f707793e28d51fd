"""Sweeps: list the jobs of a Hydra multirun and validate every one before any starts.

:func:`expand_sweep` lists a sweep's jobs exactly as Hydra's basic sweeper does;
:func:`validate_sweep` checks each job's configuration (types and ranges) so a bad value fails
before any job writes anything; :class:`ValidateCallback` runs these checks from Hydra
(``conf/hydra/callbacks/agora.yaml``).

:func:`claim_sweep` keeps two sweeps from mixing results in one ``hydra.sweep.dir``: before
any job starts, a sweep records which configuration each of its job directories will hold
(a claim file, locked like a job, see :mod:`sim.exec.locks`) and is refused if a directory
holds, is producing, or is claimed by a live sweep for, another configuration. A sweep of the
same configurations is welcome: its jobs skip finished results and wait for running ones.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

from omegaconf import DictConfig, OmegaConf

from sim import preflight
from sim.config import AgoraConfig, ConfigError, to_config
from sim.config.hydra_hook import apply_overrides, spare_second_validation
from sim.config.loading import load_yaml
from sim.exec.fast_values import MISSING as _MISSING
from sim.exec.fast_values import leaves as _leaves
from sim.exec.fast_values import strip_hydra as _strip_hydra
from sim.exec.fast_values import with_value as _with_value
from sim.exec.locks import FileLock, describe_lock, is_stale, read_lock

__all__ = ["expand_sweep", "validate_sweep", "claim_sweep", "sweep_id", "ValidateCallback"]

#: Serialises the claims of sweeps starting at the same time (held for milliseconds).
SWEEP_MUTEX = ".agora-sweep.lock"
#: A running sweep's claim: ``.agora-sweep-<token>.claim``, holding ``{subdir: config_hash}``.
CLAIM_GLOB = ".agora-sweep-*.claim"
#: The sweep's identity (:func:`sweep_id`).
SWEEP_ID_FILE = ".agora-sweep.json"


def expand_sweep(task_overrides: Iterable[str], params: Mapping[str, Any] | None = None) -> list:
    """The job override lists of a sweep, in Hydra's job order (``hydra.job.num``).

    Mirrors Hydra's ``BasicSweeper``: ``hydra.sweeper.params`` first, then the command line,
    a later value of a key replacing an earlier one, and the cartesian product of the rest.

    >>> expand_sweep(["regime=broadcast,hybrid", "steps=5"], {"seed": "0,1"})
    [['seed=0', 'regime=broadcast', 'steps=5'], ['seed=0', 'regime=hybrid', 'steps=5'], \
['seed=1', 'regime=broadcast', 'steps=5'], ['seed=1', 'regime=hybrid', 'steps=5']]
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from sim.config.hydra_hook import split_sweep

    args = [f"{k}={v}" for k, v in (params or {}).items()] + [str(o) for o in task_overrides]
    return split_sweep(OverridesParser.create().parse_overrides(args))


def _is_structural(key: str) -> bool:
    """True for overrides that change the defaults list (groups, +/~ edits, packages)."""
    if key[:1] in "+~" or "@" in key or "/" in key or key.startswith("hydra"):
        return True
    from sim.config import CONF_DIR

    return (CONF_DIR / key).is_dir()


def _global_option_file(override: Any, searchpath: Sequence[str]) -> Path | None:
    """The YAML file of a ``+group=option`` override if it only sets values globally.

    Such a file (``# @package _global_``, no defaults list), found in a ``file://`` entry of
    ``hydra.searchpath``, is what :mod:`sim.exec.designs` writes for each design point; merging it
    is exactly what composing it would do, at a thousandth of the cost.
    """
    if not override.is_add() or override.is_sweep_override():
        return None
    group, option = override.key_or_group, override.get_value_element_as_str()
    for entry in searchpath:
        if not str(entry).startswith("file://"):
            continue
        path = Path(str(entry)[len("file://") :]) / group / f"{option}.yaml"
        if path.is_file():
            with open(path, encoding="utf-8") as fh:
                first = fh.readline().strip()
            if first == "# @package _global_" and "defaults" not in load_yaml(path):
                return path
    return None


def _fast_check(raw: AgoraConfig, pairs: list[tuple[str, Any]]) -> AgoraConfig | None:
    """``raw`` (unresolved) with ``pairs`` set, validated; None when the exact path is needed."""
    from sim.config import validate
    from sim.config.guards import check_interpolations
    from sim.config.regimes import resolve_regime

    obj = raw
    for key, value in pairs:
        obj = _with_value(obj, key.split("."), value)
        if obj is _MISSING:
            return None
    check_interpolations(dict(pairs))
    return validate(dataclasses.replace(obj, regime=resolve_regime(obj.regime)))


def validate_sweep(config: DictConfig, jobs: Sequence[Sequence[str]]) -> list[AgoraConfig]:
    """Compose and validate every job of a sweep; its resolved configs, in job order.

    Raises ConfigError naming the job and the key.

    Composition through Hydra costs ~0.1 s and a full :func:`~sim.config.to_config` ~30 ms,
    too much for sweeps of thousands of jobs. So composition is done once per distinct set of
    structural overrides (config groups, ``+``/``~``); each job's plain ``key=value``
    overrides, and the values of :mod:`sim.exec.designs` option files, are then set on that base's
    dataclass with a strict type check and the result validated (well under a millisecond).
    Anything the fast path does not handle with certainty (a string for a number, a list, an
    unknown key) goes through the exact path: Hydra's own override application on a deep copy
    of the composed config, then :func:`~sim.config.to_config`.
    """
    import copy

    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser = OverridesParser.create()
    loader = GlobalHydra.instance().config_loader()
    searchpath = list(OmegaConf.select(config, "hydra.searchpath", default=None) or [])
    bases: dict[tuple[str, ...], tuple[DictConfig, AgoraConfig]] = {}
    option_files: dict[Path, DictConfig] = {}
    resolved: list[AgoraConfig] = []
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
                # load_sweep_config goes through the guard of sim.config.guards: the job's
                # hydra part (callbacks, logging, env_set) is checked there.
                node = _strip_hydra(loader.load_sweep_config(config, list(key)))
                _checked(node)  # the base itself, exactly
                raw = OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(AgoraConfig), node))
                assert isinstance(raw, AgoraConfig)  # to_object of a structured AgoraConfig node
                bases[key] = (node, raw)
            node, raw = bases[key]
            for f in files:
                if f not in option_files:
                    # A design's option file is a mapping; load_yaml's type also allows a list,
                    # which masked_copy refuses (ValueError, reported as this job's error).
                    option_files[f] = _strip_hydra(cast(DictConfig, load_yaml(f)))
            pairs = [pair for f in files for pair in _leaves(option_files[f])]
            plain = not any(o.is_add() or o.is_force_add() or o.is_delete() for o in values)
            fast = None
            if plain:
                fast = _fast_check(raw, pairs + [(o.key_or_group, o.value()) for o in values])
            if fast is not None:
                resolved.append(fast)
                continue
            exact = copy.deepcopy(node)
            if files:
                merged = OmegaConf.merge(exact, *[option_files[f] for f in files])
                assert isinstance(merged, DictConfig)  # mappings merged into a mapping
                exact = merged
            apply_overrides(values, exact)
            resolved.append(_checked(exact))
        except ConfigError as err:  # ``reason``: a refusal of the guard, without its prefix
            raise ConfigError(f"{where}: {getattr(err, 'reason', err)}") from None
        except Exception as err:  # Hydra/OmegaConf composition errors name the key too
            raise ConfigError(f"{where}: {type(err).__name__}: {err}") from None
    return resolved


def _subdirs(config: DictConfig, count: int) -> list[str] | None:
    """Each job's ``hydra.sweep.subdir``, or None when it depends on more than the job number
    (then only the per-job locks and conflict checks of :mod:`sim.exec.jobs` apply)."""
    node = config.hydra.sweep._get_node("subdir") if "sweep" in config.hydra else None
    raw = str(node._value()).replace(" ", "") if node is not None else ""
    if raw in ("${hydra.job.num}", "${hydra:job.num}"):
        return [str(num) for num in range(count)]
    return None


def claim_sweep(sweep_dir: str | Path, jobs: Mapping[str, str]) -> FileLock:
    """Claim ``sweep_dir``'s job directories (``{subdir: config_hash}``) for this sweep.

    Returns the held claim (release it when the sweep ends; a claim of a process that died
    is stale and ignored). Refused, with nothing written but the claim machinery, when a
    directory already holds an ok result of another configuration, a live job of another
    configuration is running in it, or a live sweep has claimed it for another configuration.

    Raises
    ------
    ConfigError
        Naming the directory, the two configuration hashes and who holds the other.
    """
    from sim.exec.jobs import LOCK_FILE, read_summary

    sweep_dir = Path(sweep_dir)
    sweep_dir.mkdir(parents=True, exist_ok=True)
    mutex = FileLock(sweep_dir / SWEEP_MUTEX, info={"kind": "sweep mutex"}, stale_after=60)
    if not mutex.acquire(wait=60):
        raise ConfigError(f"{sweep_dir}: another sweep has been starting for a minute; retry")
    try:
        conflicts: list[str] = []
        for path in sorted(sweep_dir.glob(CLAIM_GLOB)):
            info = read_lock(path)
            if info is None:
                continue
            if is_stale(info):
                path.unlink(missing_ok=True)
                continue
            for sub, other in (info.get("jobs") or {}).items():
                if sub in jobs and jobs[sub] != other:
                    conflicts.append(
                        f"{sweep_dir / sub} is claimed for config_hash {other} by the sweep of "
                        f"{describe_lock(info)}, this sweep's job there is {jobs[sub]}"
                    )
        for sub, chash in jobs.items():
            d = sweep_dir / sub
            summary = read_summary(d)
            if summary and summary.get("status") == "ok" and summary.get("config_hash") != chash:
                conflicts.append(
                    f"{d} holds an ok result of config_hash {summary.get('config_hash')}, this "
                    f"sweep's job there is {chash}"
                )
            lock = read_lock(d / LOCK_FILE)
            if lock and not is_stale(lock) and lock.get("config_hash") not in (None, chash):
                conflicts.append(
                    f"{d} is being written by {describe_lock(lock)} for config_hash "
                    f"{lock.get('config_hash')}, this sweep's job there is {chash}"
                )
        if conflicts:
            more = f" (and {len(conflicts) - 3} more)" if len(conflicts) > 3 else ""
            raise ConfigError(
                f"{sweep_dir} holds or is producing the results of another sweep: "
                + "; ".join(conflicts[:3])
                + more
                + ". Nothing was run or overwritten: use another hydra.sweep.dir"
            )
        import secrets

        claim = FileLock(
            sweep_dir / f".agora-sweep-{secrets.token_hex(6)}.claim",
            info={"kind": "sweep", "jobs": dict(jobs)},
        )
        claim.acquire()
        sweep_id(sweep_dir, create=True)
        return claim
    finally:
        mutex.release()


def sweep_id(sweep_dir: str | Path, *, create: bool = False) -> str | None:
    """The sweep's identity, kept in ``<sweep_dir>/.agora-sweep.json``; None if it has none.

    Made once (``create``) when the sweep first starts and kept for every resume, so each
    job's summary records which sweep it belongs to and a job folder copied from another
    sweep is recognised by the aggregator wherever the folders are moved.
    """
    import json
    import os
    import secrets
    import time

    path = Path(sweep_dir) / SWEEP_ID_FILE
    if create and not path.exists():
        Path(sweep_dir).mkdir(parents=True, exist_ok=True)
        text = json.dumps({"sweep_id": secrets.token_hex(8), "created": time.time()}) + "\n"
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            pass  # another process made it first: read theirs
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(text)
    for _ in range(20):  # a file being written by another process reads empty for a moment
        try:
            value = json.loads(path.read_text()).get("sweep_id")
            return str(value) if value else None
        except FileNotFoundError:
            return None
        except (OSError, ValueError, AttributeError):
            time.sleep(0.05)
    return None


def _writable(key: str, folder: Path) -> None:
    """Make ``folder`` and check that a file can be written in it, before any job starts (a
    read-only or impossible output folder is one line, not Hydra's traceback)."""
    import tempfile

    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".agora-write-test-"):
            pass
    except OSError as err:
        raise ConfigError(
            f"{key}={folder}: cannot write there ({err.strerror or err}); choose another folder"
        ) from None


def _checked(node: DictConfig) -> AgoraConfig:
    """The full check of one job: keys, types and ranges, then its input files."""
    return preflight.check(to_config(node))


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
            cfg = _checked(_strip_hydra(config))
            _writable("hydra.run.dir", Path(str(config.hydra.run.dir)))
        except Exception as err:
            _exit_invalid(err)
        report_estimate([cfg])

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        try:
            # OmegaConf types to_container as any container; Hydra's schema makes
            # hydra.overrides.task a list of strings and hydra.sweeper.params a mapping.
            overrides = OmegaConf.to_container(config.hydra.overrides.task, resolve=False)
            task = cast(list[str], overrides)
            node = OmegaConf.select(config, "hydra.sweeper.params", default=None)
            params = cast(dict[str, Any], OmegaConf.to_container(node)) if node is not None else {}
            jobs = expand_sweep(task, params)
            configs = validate_sweep(config, jobs)
            self._claim(config, configs)
        except Exception as err:
            _exit_invalid(err)
        report_estimate(configs)
        spare_second_validation({tuple(job) for job in jobs})

    def _claim(self, config: DictConfig, configs: Sequence[AgoraConfig]) -> None:
        """Claim the sweep directory for these jobs (see :func:`claim_sweep`)."""
        import atexit

        from sim.exec.jobs import config_hash

        subdirs = _subdirs(config, len(configs))
        if subdirs is None:  # job directories named by more than the job number
            return
        sweep_dir = Path(str(config.hydra.sweep.dir))
        _writable("hydra.sweep.dir", sweep_dir)
        hashes = {s: config_hash(c) for s, c in zip(subdirs, configs, strict=True)}
        claim = claim_sweep(sweep_dir, hashes)
        # Kept in this module, not on the callback: Hydra pickles its callbacks for launchers
        # that run jobs in other processes, and a held lock has a thread.
        _CLAIMS.append(claim)
        atexit.register(claim.release)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        while _CLAIMS:
            _CLAIMS.pop().release()


_CLAIMS: list[FileLock] = []


def report_estimate(configs: Sequence[AgoraConfig]) -> str:
    """Log, before any job, what the jobs will cost (:mod:`sim.config.limits`); the line.

    Every job has already passed the memory limit (the estimate is part of validation).
    """
    import logging

    from sim.config.limits import estimate, memory_limit_gb

    if not configs:
        return ""
    estimates = [estimate(c) for c in configs]
    largest = max(estimates, key=lambda e: e.bytes)
    line = (
        f"Agora: {len(configs)} job(s); the largest needs about "
        f"{largest.bytes / 1e6:.3g} MB of memory "
        f"(limit {memory_limit_gb(configs[0]):.3g} GB, limits.memory_gb); work "
        f"{sum(e.work for e in estimates):.3g} node-steps in all"
    )
    logging.getLogger(__name__).info(line)
    return line


def _exit_invalid(err: BaseException) -> None:
    reason = getattr(err, "reason", err)
    sys.stderr.write(f"Agora: invalid configuration, no job was started: {reason}\n")
    sys.stderr.flush()
    # SystemExit passes through Hydra's callback wrapper, which swallows Exceptions.
    raise SystemExit(2)
