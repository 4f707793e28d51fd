"""Run one job into a directory, crash-safe and resumable.

A *job* is one configuration run with ``replicates`` replicates. :func:`run_job` resolves the
configuration, calls :func:`sim.simulate`, and writes into the job directory (DESIGN section 6):

``metrics.parquet``
    one row per replicate and step: ``replicate``, ``seed``, ``step``, then every metric.
``summary.json``
    ``status`` ("ok" or "failed", with ``error`` and ``traceback``), the resolved ``config`` and
    its ``config_hash``, the job's ``identity`` (config hash, sweep id, job number), ``seeds``,
    ``model_version``, package ``versions``, ``git_commit``,
    ``wall_time`` (simulation) and ``job_time`` (the whole job), ``cpu_time`` (the simulation's
    CPU seconds) and ``blas_threads``, and per metric the mean, sd and
    95% CI over replicates of its end-of-run window average (``final``: of its final value).

Both files are written to a temporary name and renamed (``os.replace``), ``metrics.parquet``
first: a ``summary.json`` with status ok is the commit record of a finished job, so a job
killed at any instant leaves either nothing or a complete, readable result. The summary
records ``metrics_file``: the rows, replicates, size and sha256 of ``metrics.parquet``, which
resume (:func:`job_state`) and the aggregator (:func:`verify_result`) check, so a truncated,
altered or swapped file is re-run or reported, never trusted.

While a job runs, its directory holds ``.agora.lock`` (:mod:`sim.exec.locks`: pid, host,
config hash). Another process that reaches the same directory waits for a job of the same
configuration to finish (and then skips it), and refuses one of another configuration with
:class:`JobConflict`. A lock left by a dead process is broken. Temporary files left by a
killed writer are removed when the next job takes the lock.

Every exception raised while resolving, simulating or writing is caught and written as
``status: failed``; :func:`run_job` returns the summary and the caller decides the exit status
(``experiments/run.py`` raises :class:`JobFailed` so a Hydra sweep ends non-zero).

Resume: :func:`run_job` skips a directory whose ``summary.json`` says ok for the same resolved
configuration (same :func:`config_hash`), re-runs a failed or missing job (keeping the previous
failed summary as ``summary.failed-N.json``) and refuses, with :class:`JobConflict`, to touch a
directory that holds an ok result of a *different* configuration, or of the same configuration
from another model version (:data:`sim.MODEL_VERSION`).

Validating a whole sweep before any job starts is :mod:`sim.exec.sweeps`.

Examples
--------
>>> import tempfile
>>> from sim.config import to_config
>>> cfg = to_config({"steps": 3, "org": {"size": 30}, "stakeholders": {"count": 5}})
>>> with tempfile.TemporaryDirectory() as d:
...     first = run_job(cfg, d)
...     again = run_job(cfg, d)
>>> first["status"], again["status"], again["skipped"]
('ok', 'ok', True)
>>> sorted(first["metrics"]["knowledge_code"])
['ci_high', 'ci_low', 'mean', 'n', 'sd']
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import json
import logging
import math
import os
import platform
import subprocess
import time
import traceback
from collections.abc import Mapping, Sequence
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig

from sim import MODEL_VERSION
from sim.config import AgoraConfig, to_config
from sim.exec.locks import FileLock, describe_lock, read_lock
from sim.exec.workers import watch_parent
from sim.util.atomic import write_atomic
from sim.util.seeding import replicate_seeds

__all__ = [
    "SUMMARY_FILE",
    "METRICS_FILE",
    "JobConflict",
    "JobFailed",
    "config_hash",
    "git_commit",
    "hash_resolved",
    "job_state",
    "lock_job",
    "new_summary",
    "package_versions",
    "prepare_job_dir",
    "read_summary",
    "replicate_task",
    "replicate_group_task",
    "resolved_dict",
    "run_job",
    "write_job_result",
    "verify_result",
    "write_json_atomic",
]

SUMMARY_FILE = "summary.json"
METRICS_FILE = "metrics.parquet"
LOCK_FILE = ".agora.lock"
#: Version of the summary.json layout, so readers can tell old files apart.
SUMMARY_SCHEMA = 1

log = logging.getLogger(__name__)

_PACKAGES = (
    "agora-sim",
    "numpy",
    "pandas",
    "pyarrow",
    "scipy",
    "networkx",
    "mesa",
    "hydra-core",
    "omegaconf",
)


class JobFailed(RuntimeError):
    """A job ran and failed; its ``summary.json`` says why. Raised by ``experiments/run.py``."""


class JobConflict(RuntimeError):
    """The job directory holds an ok result of a different configuration: nothing is touched."""


# --------------------------------------------------------------------------- provenance


@lru_cache(maxsize=1)
def package_versions() -> dict[str, str | None]:
    """Versions of Python and of the packages a result depends on (None if not installed).

    >>> "numpy" in package_versions() and "python" in package_versions()
    True
    """
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


@lru_cache(maxsize=1)
def git_commit() -> str | None:
    """The commit of the repository holding this package, with ``+dirty`` if it has changes.

    None when git or the repository is unavailable (an installed wheel, a repository without
    commits): provenance is best effort, never a reason for a job to fail. Only a source
    checkout counts: an installed package may sit in a virtual environment inside some other
    repository, whose commit says nothing about this code.
    """
    root = Path(__file__).resolve().parents[2]  # sim/exec/jobs.py -> the checkout
    if not (root / "pyproject.toml").is_file() or not (root / ".git").exists():
        return None
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10
        )
        if head.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
        )
        return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


# --------------------------------------------------------------------------- config identity


def _jsonable(value: Any) -> Any:
    """Plain JSON values: NaN and infinities become None (strict JSON has no NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        return _jsonable(value.item())
    return value


def resolved_dict(cfg: AgoraConfig) -> dict[str, Any]:
    """The resolved configuration as a nested plain dict (what ``summary.json`` stores).

    >>> resolved_dict(to_config({"steps": 4}))["steps"]
    4
    """
    return _jsonable(dataclasses.asdict(cfg))


def config_hash(cfg: AgoraConfig) -> str:
    """A short stable fingerprint of a resolved configuration (sha256 of canonical JSON).

    Two configurations have the same hash exactly when every resolved value is equal, so it
    is what resume compares.

    >>> a = config_hash(to_config({"steps": 4}))
    >>> a == config_hash(to_config({"steps": 4})), a == config_hash(to_config({"steps": 5}))
    (True, False)
    """
    return hash_resolved(resolved_dict(cfg))


def hash_resolved(resolved: Mapping[str, Any]) -> str:
    """:func:`config_hash` of a resolved configuration already turned into a plain dict (as
    ``summary.json`` stores it), so a reader can check a recorded hash against its config."""
    # Limits bound what a run may use, not what it computes: raising one must not make a
    # finished job look like another configuration.
    plain = {k: v for k, v in resolved.items() if k != "limits"}
    text = json.dumps(plain, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --------------------------------------------------------------------------- atomic files


def write_json_atomic(path: str | os.PathLike, obj: Any) -> None:
    """Write ``obj`` as strict JSON to ``path`` through a temporary file and a rename."""

    # Encoded whole, then written: the same text as ``json.dump``, without its many small
    # writes.
    text = json.dumps(_jsonable(obj), indent=2, allow_nan=False) + "\n"

    def write(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())

    write_atomic(path, write)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


#: pandas' schema metadata per column layout (names and dtypes): it says nothing of the rows.
_PANDAS_METADATA: dict[tuple[tuple[str, str], ...], Any] = {}


def _arrow_table(frame: Any) -> Any:
    """``frame`` (index dropped) as the Arrow table ``frame.to_parquet(index=False)`` writes.

    A frame of numbers is built column by column from its arrays, with pandas' schema
    metadata for its layout (made once per layout): the file's bytes are those pandas writes
    (``tests/test_pool_overhead.py``) at half the cost. Any other frame goes through pandas.
    """
    import pyarrow as pa

    if not all(dtype.kind in "biuf" for dtype in frame.dtypes):
        return pa.Table.from_pandas(frame, preserve_index=False)
    layout = tuple((str(c), str(d)) for c, d in frame.dtypes.items())
    if layout not in _PANDAS_METADATA:
        empty = pa.Table.from_pandas(frame.iloc[:0], preserve_index=False)
        _PANDAS_METADATA[layout] = empty.schema.metadata
    # from_pandas: NaN stored as null, as pandas stores it.
    table = pa.table({str(c): pa.array(frame[c].to_numpy(), from_pandas=True) for c in frame})
    return table.replace_schema_metadata(_PANDAS_METADATA[layout])


def _write_parquet_atomic(path: Path, frame: Any) -> dict[str, Any]:
    """Write ``frame`` atomically; what ``summary.json`` records about the file.

    The file is made in memory and its checksum taken from those bytes, so it is not read
    back from disk.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = pa.BufferOutputStream()
    pq.write_table(_arrow_table(frame), sink, compression="snappy")
    data = sink.getvalue()
    record: dict[str, Any] = {"bytes": data.size, "sha256": hashlib.sha256(data).hexdigest()}

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            fh.write(data)

    write_atomic(path, write)
    record["rows"] = int(len(frame))
    record["replicates"] = (
        int(len(np.unique(frame["replicate"].to_numpy()))) if "replicate" in frame else None
    )
    return record


def read_summary(job_dir: str | os.PathLike) -> dict[str, Any] | None:
    """The job's ``summary.json`` as a dict; None if there is none.

    A file that is not a JSON object (truncated, ``[]``, garbage) reads as a failed job whose
    ``error`` says so, never as an exception: resume re-runs it and the aggregator reports it.
    """
    path = Path(job_dir) / SUMMARY_FILE
    try:
        with open(path, encoding="utf-8") as fh:
            summary = json.load(fh)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:
        return {"status": "failed", "error": f"unreadable {SUMMARY_FILE}: {err}", "malformed": True}
    if not isinstance(summary, dict):
        return {
            "status": "failed",
            "error": f"malformed {SUMMARY_FILE}: a {type(summary).__name__}, not an object",
            "malformed": True,
        }
    problem = _malformed(summary)
    if problem is not None:
        return {
            "status": "failed",
            "error": f"malformed {SUMMARY_FILE}: {problem}",
            "malformed": True,
        }
    return summary


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


#: What readers take from a summary, and the form they expect it in.
_SUMMARY_FIELDS: dict[str, tuple[Any, str]] = {
    "status": (lambda v: isinstance(v, str), "a string"),
    "error": (lambda v: v is None or isinstance(v, str), "null or a string"),
    "job": (lambda v: isinstance(v, dict), "an object"),
    "config": (lambda v: v is None or isinstance(v, dict), "null or an object"),
    "config_hash": (lambda v: v is None or isinstance(v, str), "null or a string"),
    "seeds": (
        lambda v: (
            v is None
            or (
                isinstance(v, list)
                and all(isinstance(s, int) and not isinstance(s, bool) for s in v)
            )
        ),
        "null or a list of integers",
    ),
    "wall_time": (lambda v: v is None or _number(v), "null or a number"),
    "model_version": (lambda v: isinstance(v, int) and not isinstance(v, bool), "an integer"),
    "metrics_file": (lambda v: isinstance(v, dict), "an object"),
    "metrics": (lambda v: isinstance(v, dict), "an object"),
}


def _malformed(summary: Mapping[str, Any]) -> str | None:
    for key, (ok, allowed) in _SUMMARY_FIELDS.items():
        if key in summary and not ok(summary[key]):
            return f"{key}={summary[key]!r:.60} is not {allowed}"
    return None


def verify_result(job_dir: str | os.PathLike, summary: Mapping[str, Any]) -> str | None:
    """Why the ok result in ``job_dir`` cannot be trusted, or None if it checks out.

    ``metrics.parquet`` must exist and match what ``summary.json`` recorded about it (size
    and sha256); its rows must be ``replicates * (steps + 1)`` of the recorded configuration
    and ``seeds`` one per replicate. Summaries written before checksums were recorded are
    checked through the file's own row count.
    """
    path = Path(job_dir) / METRICS_FILE
    if not path.is_file():
        return f"summary says ok but {METRICS_FILE} is missing"
    record = summary.get("metrics_file")
    config = summary.get("config")
    no_config = f"{SUMMARY_FILE} says ok but records no configuration"
    if not isinstance(config, Mapping):  # absent, or JSON that is not an object
        return no_config
    try:
        steps, replicates = int(config["steps"]), int(config["replicates"])
    except (TypeError, KeyError, ValueError):
        return no_config
    expected_rows = replicates * (steps + 1)
    seeds = summary.get("seeds")
    if not isinstance(seeds, list) or len(seeds) != replicates:
        return f"{SUMMARY_FILE} records {len(seeds or [])} seeds for {replicates} replicates"
    if isinstance(record, Mapping):
        if record.get("rows") != expected_rows or record.get("replicates") != replicates:
            return (
                f"{SUMMARY_FILE} records {record.get('rows')} rows and "
                f"{record.get('replicates')} replicates; the configuration makes "
                f"{expected_rows} rows of {replicates} replicates"
            )
        size = path.stat().st_size
        if size != record.get("bytes"):
            return f"{METRICS_FILE} has {size} bytes, {record.get('bytes')} were written"
        if _sha256(path) != record.get("sha256"):
            return f"{METRICS_FILE} has changed since it was written (sha256 differs)"
        return None
    try:  # an older summary: at least the file must read and hold every row
        import pyarrow.parquet as pq

        rows = pq.ParquetFile(path).metadata.num_rows
    except Exception as err:
        return f"unreadable {METRICS_FILE}: {type(err).__name__}: {err}"
    if rows != expected_rows:
        return f"{METRICS_FILE} holds {rows} rows, the configuration makes {expected_rows}"
    return None


# --------------------------------------------------------------------------- resume


def job_state(job_dir: str | os.PathLike, chash: str) -> str:
    """What resume should do with ``job_dir`` for a configuration of hash ``chash``.

    Returns ``"done"`` (ok for this configuration: skip), ``"conflict"`` (ok for another
    configuration: refuse), ``"stale"`` (ok for this configuration, but from another
    :data:`sim.MODEL_VERSION`: refuse), ``"failed"`` (re-run, keeping the old summary: also
    when the result does not pass :func:`verify_result`) or ``"missing"``.
    """
    summary = read_summary(job_dir)
    if summary is None:
        return "missing"
    if summary.get("status") != "ok":
        return "failed"
    if summary.get("config_hash") != chash:
        return "conflict"
    problem = verify_result(job_dir, summary)
    if problem is not None:
        log.warning("job %s: %s: re-running it", job_dir, problem)
        return "failed"
    # Summaries from before versions were recorded are version 1.
    return "done" if summary.get("model_version", 1) == MODEL_VERSION else "stale"


def _keep_failed_summary(job_dir: Path) -> Path:
    """Rename a previous failed summary to the first free ``summary.failed-N.json``.

    A ``metrics.parquet`` beside a summary that is not ok (or whose result failed
    verification) goes with it, as ``metrics.failed-N.parquet``: nothing is deleted.
    """
    n = 1
    while (target := job_dir / f"summary.failed-{n}.json").exists() or (
        job_dir / f"metrics.failed-{n}.parquet"
    ).exists():
        n += 1
    if (job_dir / METRICS_FILE).exists():
        os.replace(job_dir / METRICS_FILE, job_dir / f"metrics.failed-{n}.parquet")
    os.replace(job_dir / SUMMARY_FILE, target)
    return target


def _remove_stale_temporaries(job_dir: Path) -> None:
    """Temporary files of writers that died (we hold the job's lock: no one else writes)."""
    for tmp in job_dir.glob(".*.tmp-*"):
        tmp.unlink(missing_ok=True)


def lock_job(job_dir: str | os.PathLike, chash: str, *, wait: bool = True) -> FileLock:
    """Take ``job_dir``'s lock for a job of hash ``chash``; the held :class:`FileLock`.

    If a live process holds it for the same configuration, wait for it (``wait``) and then
    take it (the caller will find the job done and skip it); for another configuration, or
    when not waiting, raise :class:`JobConflict` naming the holder.
    """
    job_dir = Path(job_dir)
    job_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(job_dir / LOCK_FILE, info={"config_hash": chash, "kind": "job"})
    announced = False
    while not lock.acquire(wait=False):
        holder = read_lock(lock.path) or {}
        mine = holder.get("pid") == os.getpid() and holder.get("host") == platform.node()
        if holder.get("config_hash") not in (None, chash) or not wait or mine:
            what = (
                "a job of another configuration (config_hash "
                f"{holder.get('config_hash')}, this job {chash})"
                if holder.get("config_hash") not in (None, chash)
                else "this job"
            )
            raise JobConflict(
                f"{job_dir} is in use: {describe_lock(holder)} is running {what}; refusing "
                "to touch it. Use a new sweep directory (hydra.sweep.dir=...) or wait."
            )
        if not announced:
            log.info("job %s is running in %s: waiting for it", job_dir, describe_lock(holder))
            announced = True
        time.sleep(0.5)
    _remove_stale_temporaries(job_dir)
    return lock


# --------------------------------------------------------------------------- the job


#: What :func:`_outcome_stats` returns, the same keys :func:`sim.simulate`'s summary has.
_STATS = ("window", "metrics", "final")


def _replicate_seeds(metrics: Any) -> list[int]:
    """Each replicate's seed, in the order the replicates first appear in ``metrics``."""
    replicate = metrics["replicate"].to_numpy()
    _, first = np.unique(replicate, return_index=True)
    return [int(s) for s in metrics["seed"].to_numpy()[np.sort(first)]]


def _outcome_stats(frame: Any) -> dict[str, Any]:
    """Per metric mean, sd and 95% CI over replicates of the end-of-run window average
    (``metrics``, with the ``window``'s steps) and of the final value (``final``)."""
    from sim.simulation import describe_window, final_summary, window_summary

    return {
        "window": describe_window(frame),
        "metrics": window_summary(frame),
        "final": final_summary(frame),
    }


def new_summary(
    job_dir: str | os.PathLike,
    *,
    overrides: Sequence[str] = (),
    job: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The skeleton of a ``summary.json`` (status failed until a result is recorded)."""
    return {
        "schema": SUMMARY_SCHEMA,
        "status": "failed",
        "error": None,
        "traceback": None,
        "job": {
            **dict(job or {}),
            "overrides": [str(o) for o in overrides],
            "dir": str(Path(job_dir).resolve()),
            "host": platform.node(),
            "pid": os.getpid(),
        },
        # What ties the result to its place in a sweep wherever the folder is moved: the
        # aggregator refuses a summary whose identity does not match its folder.
        "identity": {
            "sweep_id": (job or {}).get("sweep_id"),
            "num": (job or {}).get("num"),
            "config_hash": None,
        },
        "config": None,
        "config_hash": None,
        "seeds": None,
        "model_version": MODEL_VERSION,
        "versions": package_versions(),
        "git_commit": git_commit(),
        "started_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "started_unix": time.time(),
        "wall_time": None,
        "job_time": None,
        "timing": {},
        "metrics": {},
    }


def write_job_result(
    job_dir: str | os.PathLike,
    cfg: AgoraConfig,
    metrics: Any,
    summary: dict[str, Any],
    *,
    wall_time: float,
    started: float | None = None,
    stats: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Write ``metrics.parquet`` then an ok ``summary.json`` for a finished job.

    Used by :func:`run_job` and by drivers that run replicates themselves (the regime
    comparison runs them in a process pool), so every job directory looks the same.
    ``summary`` is a :func:`new_summary` skeleton; ``started`` a ``time.perf_counter()``
    value from the job's start, for ``job_time``. ``stats``, if given, is what
    :func:`sim.simulate` already computed from these same ``metrics`` (its summary's
    ``window``, ``metrics`` and ``final``), so it is not computed twice.
    """
    job_dir = Path(job_dir)
    job_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    summary["metrics_file"] = _write_parquet_atomic(job_dir / METRICS_FILE, metrics)
    resolved = resolved_dict(cfg)
    summary.update(
        status="ok",
        error=None,
        traceback=None,
        config=resolved,
        config_hash=hash_resolved(resolved),
        seeds=_replicate_seeds(metrics),
        wall_time=float(wall_time),
        **(_outcome_stats(metrics) if stats is None else {k: stats[k] for k in _STATS}),
    )
    summary["identity"] = {**summary.get("identity", {}), "config_hash": summary["config_hash"]}
    summary["timing"] = {**summary.get("timing", {}), "write_metrics": time.perf_counter() - t0}
    if started is not None:
        summary["job_time"] = time.perf_counter() - started
    write_json_atomic(job_dir / SUMMARY_FILE, summary)
    return summary


def prepare_job_dir(
    job_dir: str | os.PathLike,
    cfg: AgoraConfig,
    *,
    resume: bool = True,
    chash: str | None = None,
) -> str:
    """Apply the resume rules to ``job_dir`` before a job runs; return its state.

    ``"done"``: an ok result of this configuration is there (skip the job). ``"run"``: run it
    (a previous failed summary has been renamed to ``summary.failed-N.json``). ``chash`` is
    ``config_hash(cfg)``, if the caller has it already.

    Raises
    ------
    JobConflict
        ``job_dir`` holds an ok result of another configuration, or of this configuration
        from another model version; nothing is touched.
    """
    job_dir = Path(job_dir)
    chash = config_hash(cfg) if chash is None else chash
    state = job_state(job_dir, chash) if resume else "missing"
    if state == "done":
        return "done"
    if state == "stale":
        old = (read_summary(job_dir) or {}).get("model_version", 1)
        raise JobConflict(
            f"{job_dir} holds results of model version {old}, and this is version "
            f"{MODEL_VERSION}: the same configuration and seeds now give different numbers, so "
            "they must not be mixed; refusing to overwrite them. Use a new sweep directory "
            "(hydra.sweep.dir=...) or move the old results away."
        )
    if state == "conflict":
        other = (read_summary(job_dir) or {}).get("config_hash")
        raise JobConflict(
            f"{job_dir} already holds an ok result of another configuration (config_hash "
            f"{other}, this job {chash}); refusing to overwrite it. Use a new sweep directory "
            "(hydra.sweep.dir=...) or move the old results away."
        )
    if (job_dir / SUMMARY_FILE).exists():
        kept = _keep_failed_summary(job_dir)
        log.info("re-running job %s (previous summary kept as %s)", job_dir, kept.name)
    return "run"


def run_job(
    config: AgoraConfig | DictConfig | Mapping[str, Any] | None,
    job_dir: str | os.PathLike,
    *,
    overrides: Sequence[str] = (),
    job: Mapping[str, Any] | None = None,
    resume: bool = True,
) -> dict[str, Any]:
    """Run one job into ``job_dir`` and return its summary; never raises for a failing job.

    Parameters
    ----------
    config
        Anything :func:`sim.config.to_config` accepts (a Hydra job's DictConfig, a dict, an
        :class:`~sim.config.AgoraConfig`).
    job_dir
        The job's output directory (created if needed).
    overrides
        The job's Hydra overrides, recorded in the summary.
    job
        Extra facts recorded under ``summary["job"]`` (Hydra job number, launcher...).
    resume
        Skip the job if ``job_dir`` already holds an ok result of the same configuration.

    Returns
    -------
    dict
        The summary as written (``status`` "ok" or "failed"), plus ``skipped`` True when
        resume found the job done and nothing was run or written.

    Raises
    ------
    JobConflict
        ``job_dir`` holds an ok result of a different configuration: it is left untouched.
    """
    watch_parent()  # a worker whose parent is gone stops (see sim.exec.workers)
    started = time.perf_counter()
    job_dir = Path(job_dir)
    job_dir.mkdir(parents=True, exist_ok=True)
    overrides = [str(o) for o in overrides]
    summary = new_summary(job_dir, overrides=overrides, job=job)
    try:
        cfg = to_config(config)
        summary["config"] = resolved_dict(cfg)
        summary["config_hash"] = hash_resolved(summary["config"])
        # Known before running, so a failed job still says which seeds to re-run alone.
        summary["seeds"] = replicate_seeds(cfg.seed, cfg.replicates)
    except Exception as err:  # a config that does not resolve is a failed job, not a crash
        lock = lock_job(job_dir, "", wait=False)
        try:
            state = job_state(job_dir, "")  # "" matches no hash: an ok result reads "conflict"
            if state == "conflict":
                raise JobConflict(
                    f"{job_dir} holds an ok result and this job's configuration does not "
                    f"resolve ({err}); refusing to overwrite it"
                ) from err
            if state == "failed":
                _keep_failed_summary(job_dir)
            return _finish_failed(summary, err, job_dir, started)
        finally:
            lock.release()

    lock = lock_job(job_dir, summary["config_hash"])
    try:
        return _run_locked(cfg, job_dir, summary, overrides, started, resume)
    finally:
        lock.release()


def _run_locked(
    cfg: AgoraConfig,
    job_dir: Path,
    summary: dict[str, Any],
    overrides: Sequence[str],
    started: float,
    resume: bool,
) -> dict[str, Any]:
    """The part of :func:`run_job` done while holding the job directory's lock."""
    if prepare_job_dir(job_dir, cfg, resume=resume, chash=summary["config_hash"]) == "done":
        log.info("job %s already done (config %s): skipped", job_dir, summary["config_hash"])
        return {**(read_summary(job_dir) or {}), "skipped": True}

    try:
        from sim import simulate  # here: resolving and resume need no model code

        t0 = time.perf_counter()
        result = simulate(cfg)
        t1 = time.perf_counter()
        inner = dict(result.summary or {})
        summary["timing"] = {"setup": t0 - started, "simulate": t1 - t0}
        # CPU seconds beside wall_time: they hold on a busy machine, wall time does not.
        summary["cpu_time"] = inner.get("cpu_time")
        summary["blas_threads"] = inner.get("blas_threads")
        write_job_result(
            job_dir,
            cfg,
            result.metrics,
            summary,
            wall_time=float(inner.get("wall_time", t1 - t0)),
            started=started,
            stats=inner if all(k in inner for k in _STATS) else None,
        )
    except Exception as err:
        return _finish_failed(summary, err, job_dir, started)
    return {**summary, "skipped": False}


def _finish_failed(
    summary: dict[str, Any], err: BaseException, job_dir: Path, started: float
) -> dict[str, Any]:
    summary["status"] = "failed"
    summary["error"] = f"{type(err).__name__}: {err}"
    summary["traceback"] = traceback.format_exc()
    summary["job_time"] = time.perf_counter() - started
    log.error("job %s failed: %s", job_dir, summary["error"])
    try:
        write_json_atomic(job_dir / SUMMARY_FILE, summary)
    except Exception as write_err:  # a full disk must not hide the original error
        summary["error"] += f" (and summary.json could not be written: {write_err})"
    return {**summary, "skipped": False}


def replicate_task(cfg: AgoraConfig, first: int, seeds: list[int]) -> tuple[Any, float, float]:
    """Run replicates ``first``, ``first + 1``, ... (one per seed) in a worker process: their
    rows as ``simulate`` writes them, their wall seconds and their CPU seconds (this
    process's, as :func:`sim.simulate`'s ``cpu_time``).

    For drivers that spread the replicates of several jobs over a process pool (the regime
    comparison), a block of a job's replicates per task, stepped together where
    :mod:`sim.batch` can; the rows are identical to those :func:`sim.simulate` produces for
    the same replicates, so a job assembled from them is the job ``run_job`` would have
    written.
    """
    from sim.simulation import run_replicates

    watch_parent()
    t0, c0 = time.perf_counter(), time.process_time()
    rows, _ = run_replicates(cfg, list(seeds), first=first)
    return rows, time.perf_counter() - t0, time.process_time() - c0


def replicate_group_task(
    arms: Sequence[tuple[AgoraConfig, int, list[int]]],
) -> list[tuple[Any, float, float]]:
    """:func:`replicate_task` for blocks of several jobs' replicates stepped as one batch
    (:func:`sim.simulation.run_arms`: jobs that differ only in their practices or mechanism
    switches, such as the regime comparison's arms and ablations): each block's rows, and its
    share (by replicates) of the wall and CPU seconds.
    """
    from sim.simulation import run_arms

    watch_parent()
    t0, c0 = time.perf_counter(), time.process_time()
    parts = run_arms(arms)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    share = [len(seeds) / sum(len(s) for _, _, s in arms) for _, _, seeds in arms]
    return [(rows, wall * f, cpu * f) for rows, f in zip(parts, share, strict=True)]
