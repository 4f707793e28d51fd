"""A sweep's results as one Parquet dataset: every step of every ok job, swept keys as columns.

:func:`write_dataset` writes ``<out>/dataset/part-<first job>.parquet`` files, each holding the
rows of ``part_jobs`` consecutive jobs (default 1,000) in job order: ``job``, one typed column
per swept key (named as in ``runs.parquet``: a swept ``seed`` is ``root_seed``), ``condition``,
``replicate``, ``seed``, ``step`` and every metric. Every part has the same schema, so the
folder reads in one call::

    pandas.read_parquet("SWEEP/dataset")
    pyarrow.parquet.read_table("SWEEP/dataset")
    duckdb.sql("SELECT regime, avg(trust) FROM 'SWEEP/dataset/*.parquet' GROUP BY regime")
    polars.scan_parquet("SWEEP/dataset/*.parquet").filter(pl.col("step") == 300).collect()

The files are partitioned by job range rather than in ``key=value`` folders: a design sweep
sets continuous values per job (thousands of folders of one job each), and a folder name
loses the column's type, which each reader would guess differently. Rows are in job order,
so the row-group statistics of ``job`` and of the outermost swept key let readers skip what
a filter excludes.

Writing streams job by job (memory: one job plus one row group). Each part records a
fingerprint of its jobs' ``summary.json`` files (path, size, modification time) in its
Parquet metadata; a part whose jobs did not change since is left as it is, so aggregating
again after resuming a sweep of 100,000 jobs rewrites only the parts that gained jobs.
Failed and missing jobs have no rows here; ``runs.parquet`` and ``jobs.csv`` list them.

Examples
--------
>>> import tempfile
>>> import pandas as pd
>>> from sim.exec.jobs import run_job
>>> with tempfile.TemporaryDirectory() as sweep:
...     for num, regime in enumerate(["broadcast", "conversational"]):
...         _ = run_job({"steps": 2, "org": {"size": 30}, "regime": {"name": regime},
...                      "stakeholders": {"count": 5}}, f"{sweep}/{num}",
...                     overrides=[f"regime={regime}"])
...     info = write_dataset(sweep)
...     frame = pd.read_parquet(info.path)
>>> info.jobs, info.parts_written, len(frame), list(frame.columns[:6])
(2, 1, 6, ['job', 'regime', 'condition', 'replicate', 'seed', 'step'])
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.exec.jobs import METRICS_FILE, SUMMARY_FILE
from sim.exec.scan import (
    arrow_schema,
    label_from_sweep,
    metric_names,
    scan_sweep,
    sweep_columns,
    to_table,
)
from sim.util.atomic import temporary_name

__all__ = ["DATASET_DIR", "DatasetInfo", "write_dataset"]

DATASET_DIR = "dataset"
_FINGERPRINT = b"agora.fingerprint"
_ID_COLUMNS = ("replicate", "seed", "step")
#: Rows buffered before a row group is written.
_ROW_GROUP = 200_000


@dataclasses.dataclass
class DatasetInfo:
    """What :func:`write_dataset` wrote: the folder, its parts and how many were rewritten."""

    path: Path
    jobs: int
    parts: list[Path]
    parts_written: int
    rows_written: int


def _jobs_and_columns(sweep_dir: Path, replicate_keys: Iterable[str]):
    """Every job with its swept values typed per column (as :func:`aggregate` labels them)."""
    jobs, expected, swept, _ = scan_sweep(sweep_dir)
    label_from_sweep(jobs, expected)
    _, _, typed, labels = sweep_columns(jobs, swept, replicate_keys)
    return jobs, typed, labels


def _fingerprint(jobs: list) -> str:
    digest = hashlib.sha256()
    for j in jobs:
        try:
            st = os.stat(j.dir / SUMMARY_FILE)
            digest.update(f"{j.dir}|{j.status}|{st.st_size}|{st.st_mtime_ns}\n".encode())
        except OSError:
            digest.update(f"{j.dir}|{j.status}|-\n".encode())
    return digest.hexdigest()


def _stored_fingerprint(path: Path) -> bytes | None:
    try:
        return (pq.read_schema(path).metadata or {}).get(_FINGERPRINT)
    except (OSError, pa.ArrowException):
        return None


def write_dataset(
    sweep_dir: str | os.PathLike,
    out_dir: str | os.PathLike | None = None,
    *,
    part_jobs: int = 1000,
    replicate_keys: Iterable[str] = ("seed",),
) -> DatasetInfo:
    """Write (or bring up to date) ``<out_dir>/dataset/`` from the jobs under ``sweep_dir``.

    Parameters
    ----------
    sweep_dir
        A sweep directory (any directory of job directories).
    out_dir
        Where ``dataset/`` goes (default: ``sweep_dir``).
    part_jobs
        Jobs per part file (in job order).
    replicate_keys
        Swept keys that only make replicates: columns, but not part of ``condition``.
    """
    sweep_dir = Path(sweep_dir)
    folder = Path(out_dir if out_dir is not None else sweep_dir) / DATASET_DIR
    folder.mkdir(parents=True, exist_ok=True)
    jobs, typed, labels = _jobs_and_columns(sweep_dir, replicate_keys)
    metrics = metric_names(jobs)
    dtypes = {
        "job": "Int64",
        **{c: s.dtype for c, s in typed.items()},
        "condition": "string",
        "replicate": "int64",
        "seed": "int64",
        "step": "int64",
        **{m: "float64" for m in metrics},
    }
    schema = arrow_schema(dtypes)
    schema_text = schema.to_string().encode()
    parts, written, rows_written = [], 0, 0
    for start in range(0, max(len(jobs), 1), part_jobs):
        chunk = list(range(start, min(start + part_jobs, len(jobs))))
        path = folder / f"part-{start:06d}.parquet"
        parts.append(path)
        mark = (
            hashlib.sha256(_fingerprint([jobs[i] for i in chunk]).encode() + schema_text)
            .hexdigest()
            .encode()
        )
        if path.is_file() and _stored_fingerprint(path) == mark:
            continue  # its jobs have not changed since it was written
        rows_written += _write_part(
            path,
            mark,
            (_job_frame(jobs[i], i, typed, labels, metrics) for i in chunk),
            schema,
            dtypes,
        )
        written += 1
    keep = {p.name for p in parts}
    for stale in folder.glob("part-*.parquet"):  # parts of jobs that no longer exist
        if stale.name not in keep:
            stale.unlink()
    return DatasetInfo(
        path=folder, jobs=len(jobs), parts=parts, parts_written=written, rows_written=rows_written
    )


def _job_frame(job, i: int, typed: dict, labels: list, metrics: list) -> pd.DataFrame | None:
    """Job ``i``'s metrics in the dataset's columns, its swept keys and condition first; None
    for a job that failed or whose metrics cannot be read (aggregate reports those)."""
    if job.status != "ok":
        return None
    try:
        frame = pd.read_parquet(job.dir / METRICS_FILE)
    except Exception:  # unreadable: aggregate reports it; nothing to add here
        return None
    frame = frame.reindex(columns=[*_ID_COLUMNS, *metrics])
    frame = frame.sort_values(["replicate", "step"], kind="stable")
    head = {
        "job": job.num,
        **{c: s.iloc[i] for c, s in typed.items()},
        "condition": labels[i],
    }
    for col, val in reversed(head.items()):
        frame.insert(0, col, val)
    return frame


def _write_part(
    path: Path,
    mark: bytes,
    frames: Iterable[pd.DataFrame | None],
    schema: pa.Schema,
    dtypes: dict,
) -> int:
    """Write one part file from its jobs' frames (None skipped), fingerprint ``mark`` in its
    metadata, in row groups of about :data:`_ROW_GROUP` rows; atomically, the rows written."""
    rows_written = 0
    tmp = temporary_name(path)
    writer = pq.ParquetWriter(
        tmp, schema.with_metadata({**(schema.metadata or {}), _FINGERPRINT: mark})
    )
    try:
        # Frames are converted a row group at a time: one conversion of many jobs costs a
        # tenth of one per job.
        buffer: list[pd.DataFrame] = []
        buffered = 0
        for frame in frames:
            if frame is None:
                continue
            buffer.append(frame)
            buffered += len(frame)
            if buffered >= _ROW_GROUP:
                writer.write_table(to_table(buffer, schema, dtypes))
                rows_written += buffered
                buffer, buffered = [], 0
        if buffer:
            writer.write_table(to_table(buffer, schema, dtypes))
            rows_written += buffered
    except BaseException:
        writer.close()
        tmp.unlink(missing_ok=True)
        raise
    writer.close()
    os.replace(tmp, path)
    return rows_written
