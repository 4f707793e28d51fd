"""Reading a sweep folder: its job folders, what each one's summary says, and whether it can be
trusted to be the job its folder stands for.

:func:`scan_sweep` is what :mod:`sim.studies.aggregate` and :mod:`sim.exec.dataset` both read a
sweep with. Besides each job's status (ok, failed, missing; a result whose checksum does not
match is failed), it ties every result to its folder (issue 25): a summary whose recorded
identity (job number, sweep id, config hash: :func:`sim.exec.jobs.new_summary`) does not match
its folder, its ``.hydra/overrides.yaml`` or the sweep, and a second folder holding the same
job (a copy), are refused (status failed, the error naming both paths); a link to a job folder
already found is counted once, and links that loop are skipped with a warning.

Examples
--------
>>> import tempfile
>>> from sim.exec.jobs import run_job
>>> with tempfile.TemporaryDirectory() as sweep:
...     s = run_job({"steps": 2, "org": {"size": 30}, "stakeholders": {"count": 5}},
...                 f"{sweep}/0", job={"num": 0})
...     jobs, expected, swept, problems = scan_sweep(Path(sweep))
>>> [(j.num, j.status) for j in jobs], problems
([(0, 'ok')], [])
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from sim.exec.designs import design_columns
from sim.exec.jobs import METRICS_FILE, SUMMARY_FILE, hash_resolved, read_summary, verify_result
from sim.exec.sweeps import expand_sweep, sweep_id

__all__ = [
    "ID_COLUMNS",
    "Job",
    "arrow_schema",
    "column_name",
    "find_jobs",
    "identity_problem",
    "key_of",
    "label_from_sweep",
    "metric_names",
    "read_yaml",
    "scan_sweep",
    "sweep_columns",
    "to_table",
    "typed_column",
]

log = logging.getLogger(__name__)

SKIP_DIRS = {".hydra", ".submitit", "plots", "__pycache__", "dataset"}
ID_COLUMNS = ("replicate", "seed", "step")

try:
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    _Loader = yaml.SafeLoader


def read_yaml(path: Path) -> Any:
    """A YAML file's content (safe loader), or None if it is missing or unreadable."""
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.load(fh, Loader=_Loader)
    except (OSError, yaml.YAMLError):
        return None


def _is_dir(entry: os.DirEntry, problems: list[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError as err:  # a link that loops (ELOOP), a folder gone meanwhile
        problems.append(f"{entry.path}: skipped: {err.strerror or err}")
        return False


def find_jobs(sweep_dir: str | os.PathLike, problems: list[str] | None = None) -> list[Path]:
    """Job directories under ``sweep_dir``: those with ``summary.json`` or ``.hydra/``.

    ``sweep_dir`` itself counts when it is a job directory (a single run). The walk does not
    descend into a job directory, Hydra's or submitit's folders, or ``plots``; it enters each
    real folder once, so a link that loops is skipped, and a link to a job folder already
    found is not a second job. What was skipped is appended to ``problems`` (and logged).
    """
    root = Path(sweep_dir)
    problems = [] if problems is None else problems
    before = len(problems)
    found: dict[tuple[int, int], Path] = {}
    entered: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        here = stack.pop()
        try:
            st = here.stat()
            entries = list(os.scandir(here))
        except OSError as err:
            problems.append(f"{here}: skipped: {err.strerror or err}")
            continue
        key = (st.st_dev, st.st_ino)
        if key in entered or key in found:
            other = found.get(key)
            problems.append(
                f"{here}: skipped: a link to {other} (counted once)"
                if other is not None
                else f"{here}: skipped: a link back to a folder already read (a loop)"
            )
            continue
        names = {e.name for e in entries}
        if SUMMARY_FILE in names or (".hydra" in names and here != root):
            found[key] = here
            continue
        entered.add(key)
        # Real folders first, so a job is known by its own folder and not by a link to it.
        subdirs = [
            e
            for e in entries
            if e.name not in SKIP_DIRS and not e.name.startswith(".") and _is_dir(e, problems)
        ]
        subdirs.sort(key=lambda e: (not e.is_symlink(), e.name))  # popped from the end
        stack.extend(Path(e.path) for e in subdirs)
    for message in problems[before:]:
        log.warning("%s", message)

    def order(p: Path) -> tuple:
        rel = p.relative_to(root).parts
        return tuple((0, int(x), "") if x.isdigit() else (1, 0, x) for x in rel)

    return sorted(found.values(), key=order)


@dataclasses.dataclass
class Job:
    """One job folder of a sweep as the aggregator sees it."""

    dir: Path
    num: int | None
    overrides: list[str]
    status: str  # ok, failed, missing
    error: str | None
    seeds: list[int]
    wall_time: float | None
    model_version: int | None = None
    #: (sweep id, job number), or (config hash, seeds) for a job outside a numbered sweep.
    identity: tuple | None = None


def identity_problem(
    job_dir: Path, summary: dict, hydra_overrides: Any, sweep: str | None
) -> str | None:
    """Why ``summary`` is not the result of the job ``job_dir`` stands for, or None.

    Its job number must be the folder's name (when that is a number), its overrides those of
    ``.hydra/overrides.yaml`` (when there is one), its sweep id the sweep's, and its
    configuration hash that of the configuration it records.
    """
    job = summary.get("job")
    info = job if isinstance(job, dict) else {}
    num = info.get("num")
    if job_dir.name.isdigit() and isinstance(num, int) and num != int(job_dir.name):
        return (
            f"identity: {SUMMARY_FILE} is the result of job {num} but lies in folder "
            f"{job_dir.name} (moved or swapped files): not counted"
        )
    recorded = info.get("overrides")
    if (
        isinstance(hydra_overrides, list)
        and isinstance(recorded, list)
        and recorded
        and [str(o) for o in hydra_overrides] != [str(o) for o in recorded]
    ):
        return (
            f"identity: {SUMMARY_FILE} records overrides {recorded} but "
            f".hydra/overrides.yaml says {hydra_overrides}: not counted"
        )
    ident = summary.get("identity")
    if not isinstance(ident, dict):
        return None  # a summary from before identities were recorded
    if sweep and ident.get("sweep_id") and ident["sweep_id"] != sweep:
        return (
            f"identity: {SUMMARY_FILE} comes from sweep {ident['sweep_id']}, this folder "
            f"is sweep {sweep}: not counted"
        )
    config = summary.get("config")
    if summary.get("status") == "ok" and isinstance(config, dict):
        if hash_resolved(config) != summary.get("config_hash"):
            return (
                f"identity: the configuration in {SUMMARY_FILE} does not have its recorded "
                f"config_hash {summary.get('config_hash')} (edited): not counted"
            )
    return None


def _identity(summary: dict | None, num: int | None) -> tuple | None:
    if not summary or summary.get("status") != "ok":
        return None
    recorded = summary.get("identity")
    ident = recorded if isinstance(recorded, dict) else {}
    if num is not None:
        return ("job", ident.get("sweep_id"), num)
    return ("config", summary.get("config_hash"), tuple(summary.get("seeds") or ()))


def _read_job(d: Path, sweep: str | None) -> Job:
    summary = read_summary(d)
    hydra_overrides = read_yaml(d / ".hydra" / "overrides.yaml")
    overrides = hydra_overrides
    if overrides is None and summary is not None:
        overrides = (summary.get("job") or {}).get("overrides") or []
    num = (summary or {}).get("job", {}).get("num")
    if num is None and d.name.isdigit():
        num = int(d.name)
    status: str
    error: str | None  # a summary's error as recorded (None when it records none)
    if summary is None:
        status, error = "missing", "no summary.json: not finished (killed or still running)"
    elif summary.get("status") == "ok" and (
        problem := identity_problem(d, summary, hydra_overrides, sweep) or verify_result(d, summary)
    ):
        status, error = "failed", problem  # moved, missing, truncated or altered: reported
    else:
        status, error = summary.get("status", "failed"), summary.get("error")
    return Job(
        dir=d,
        num=num,
        overrides=[str(o) for o in overrides or []],
        status=status,
        error=error,
        seeds=[int(s) for s in (summary or {}).get("seeds") or []],
        wall_time=(summary or {}).get("wall_time"),
        # Summaries from before versions were recorded are version 1.
        model_version=summary.get("model_version", 1) if summary else None,
        identity=_identity(summary, num) if status == "ok" else None,
    )


def _refuse_duplicates(jobs: list[Job]) -> None:
    """A second ok folder with the identity of one already seen (a copy) is not counted; the
    folder named after the job's number is the one kept."""
    first: dict[tuple, Job] = {}
    ranked = sorted(jobs, key=lambda j: (j.num is None or j.dir.name != str(j.num), str(j.dir)))
    for j in ranked:
        if j.identity is None:
            continue
        if j.identity in first:
            j.status = "failed"
            j.error = (
                f"identity: a copy of job {first[j.identity].dir} (same sweep, job "
                f"number and seeds): {j.dir} is not counted again"
            )
            continue
        first[j.identity] = j


def scan_sweep(
    sweep_dir: Path,
) -> tuple[list[Job], list[list[str]] | None, list[str] | None, list[str]]:
    """Every job's overrides and status; the expected jobs and swept keys if known; what was
    skipped while reading the folder (links, loops)."""
    problems: list[str] = []
    sweep = sweep_id(sweep_dir)
    jobs = [_read_job(d, sweep) for d in find_jobs(sweep_dir, problems)]
    _refuse_duplicates(jobs)
    expected, swept = None, None
    multirun = read_yaml(sweep_dir / "multirun.yaml")
    if isinstance(multirun, dict) and "hydra" in multirun:
        from hydra.core.override_parser.overrides_parser import OverridesParser

        task = multirun["hydra"].get("overrides", {}).get("task") or []
        params = (multirun["hydra"].get("sweeper") or {}).get("params") or {}
        expected = expand_sweep(task, params)
        parsed = OverridesParser.create().parse_overrides([str(t) for t in task])
        swept = [str(k) for k in params] + [
            o.get_key_element() for o in parsed if o.is_sweep_override()
        ]
        swept = list(dict.fromkeys(swept))
    return jobs, expected, swept, problems


def key_of(override: str) -> str:
    return override.split("=", 1)[0]


_RESERVED = {
    "job",
    "job_dir",
    "condition",
    "status",
    "error",
    "replicate",
    "step",
    "wall_time",
    "model_version",
}


def column_name(key: str) -> str:
    """Column of a swept key: readable ("+design" -> "design"), never clashing.

    A swept ``seed`` is the job's root seed; ``seed`` itself is each replicate's own seed.
    """
    name = key.lstrip("+~")
    if name == "seed":
        return "root_seed"
    return f"param.{name}" if name in _RESERVED else name


def typed_column(values: list[str | None]) -> pd.Series:
    """Override values as one consistently typed column (int, float, bool or string)."""
    s = pd.Series(values, dtype="object")
    present = s.dropna()
    if len(present) and present.isin(["true", "false"]).all():
        return s.map({"true": True, "false": False, None: None}).astype("boolean")
    num = pd.to_numeric(present, errors="coerce")
    if len(present) and num.notna().all():
        if (num == np.round(num)).all() and not present.str.contains(r"[.eE]").any():
            return pd.to_numeric(s, errors="coerce").astype("Int64")
        return pd.to_numeric(s, errors="coerce").astype("float64")
    return s.astype("string")


def metric_names(jobs: list[Job]) -> list[str]:
    """Metric columns: the schema of the first readable ok job, else the model's list."""
    for j in jobs:
        if j.status == "ok":
            try:
                names = pq.read_schema(j.dir / METRICS_FILE).names
            except Exception:
                continue
            return [n for n in names if n not in ID_COLUMNS and not n.startswith("__")]
    try:
        from sim.rules.metrics import METRIC_NAMES

        return list(METRIC_NAMES)
    except ImportError:  # pragma: no cover
        return []


def arrow_schema(dtypes: dict[str, Any]) -> pa.Schema:
    template = pd.DataFrame({c: pd.Series(dtype=d) for c, d in dtypes.items()})
    return pa.Schema.from_pandas(template, preserve_index=False)


def to_table(parts: list[pd.DataFrame], schema: pa.Schema, dtypes: dict[str, Any]) -> pa.Table:
    frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    frame = frame.reindex(columns=list(dtypes))
    for col, dtype in dtypes.items():
        if frame[col].dtype != dtype:
            if str(dtype) == "Int64" and frame[col].dtype == object:
                # None and Python ints (up to 2**63) straight to nullable int, never via float
                frame[col] = pd.array(frame[col].tolist(), dtype="Int64")
            else:
                frame[col] = frame[col].astype(dtype)
    return pa.Table.from_pandas(frame, schema=schema, preserve_index=False)


def label_from_sweep(jobs: list, expected) -> None:
    """A job killed before Hydra saved its overrides is known by its number alone: take its
    overrides from the sweep's expansion, so it is neither unlabelled nor counted twice."""
    for j in jobs:
        if not j.overrides and expected and j.num is not None and j.num < len(expected):
            j.overrides = list(expected[j.num])


def sweep_columns(jobs: list, swept, replicate_keys: Iterable[str]):
    """Sort ``jobs`` in sweep order; return the swept keys, the condition keys (the swept keys
    but replicate keys), each swept key's typed column and each job's condition label.

    Without ``multirun.yaml`` (``swept`` None) the swept keys are those whose value differs,
    or is absent, across jobs.
    """
    if swept is None:
        seen_values: dict[str, set[str]] = {}
        for j in jobs:
            for o in j.overrides:
                seen_values.setdefault(key_of(o), set()).add(o)
        swept = [
            k
            for k, v in seen_values.items()
            if len(v) > 1 or not all(any(key_of(o) == k for o in j.overrides) for j in jobs)
        ]
    replicate = {k.lstrip("+~") for k in replicate_keys}
    condition_keys = [k for k in swept if k.lstrip("+~") not in replicate]
    jobs.sort(key=lambda j: (j.num is None, j.num if j.num is not None else 0, str(j.dir)))
    raw: dict[str, list] = {k: [] for k in swept}
    for j in jobs:
        given = {key_of(o): o.split("=", 1)[1] if "=" in o else None for o in j.overrides}
        for k in swept:
            raw[k].append(given.get(k))
    typed = {column_name(k): typed_column(raw[k]) for k in swept}
    # A design sweep's points carry their parameter values as typed columns.
    typed.update(design_columns([j.dir for j in jobs], typed))
    labels = [
        ", ".join(f"{column_name(k)}={raw[k][i]}" for k in condition_keys) or "all"
        for i in range(len(jobs))
    ]
    return swept, condition_keys, typed, labels
