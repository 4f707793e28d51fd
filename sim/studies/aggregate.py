"""Aggregate a sweep directory into tables, streaming, whatever state its jobs are in.

:func:`aggregate` scans a sweep directory (it does not rely on Hydra's ``on_multirun_end``,
which does not fire when a job fails) and writes:

``runs.parquet``
    one row per job and replicate: job number and directory, the swept parameters, the
    ``condition`` label, ``status`` (ok, failed or missing), ``error``, ``replicate``, ``seed``,
    the job's simulation ``wall_time``, the ``model_version`` that produced it (see
    :data:`sim.MODEL_VERSION`; a sweep mixing versions is reported as a problem), every
    metric's **end-of-run value**: its average over the replicate's last third of steps
    (``window_from`` to ``window_to``, :func:`sim.studies.outcomes.window_of`), and its value at
    the last step as ``final_<metric>``. A failed job has a
    row per replicate seed it should have run (metrics empty); a missing job (expected from
    ``multirun.yaml`` but with no result: never started, still running, or killed) has one row.
``timeseries.parquet``
    every job's ``metrics.parquet`` with the job, its swept parameters and condition in front.
``summary.csv``
    per condition (a combination of swept values) and metric: mean, sd, 95% CI (t) and n of
    the end-of-run values over replicates of the ok jobs, the same mean and CI of the last
    step's values (``final_mean``, ``final_ci_low``, ``final_ci_high``), and how many of its
    jobs failed or are missing. With fewer than two replicates a condition has no interval:
    its CI columns are NaN and :func:`aggregate` warns.
``report.md``
    plain sentences first (what ran, which conditions differ most on each metric that
    varies), then the table; metrics constant over every run are folded into one line.
``timeseries_summary.csv``
    per condition, step and metric: mean, sd and 95% CI over replicates (for the bands).
``jobs.csv``
    one row per job: status, error and overrides, so failed and missing jobs are easy to list.

Memory stays bounded by the size of one job plus the per-condition accumulators: the time
series are written through a :class:`pyarrow.parquet.ParquetWriter` in row groups, and the
per-step bands are merged job by job (Chan et al.'s parallel variance update). Only the small
``runs`` table (jobs x replicates rows) is re-read whole for ``summary.csv``.

The swept keys come from ``multirun.yaml`` (the sweep's command line and
``hydra.sweeper.params``); without it, from the keys whose values differ across the jobs'
``.hydra/overrides.yaml``. ``seed`` is a replicate key, not a condition, unless asked otherwise.

Examples
--------
>>> import tempfile
>>> from sim.exec.jobs import run_job
>>> with tempfile.TemporaryDirectory() as sweep:
...     for num, regime in enumerate(["broadcast", "conversational"]):
...         s = run_job({"steps": 2, "org": {"size": 30}, "regime": {"name": regime},
...                      "stakeholders": {"count": 5}}, f"{sweep}/{num}",
...                     overrides=[f"regime={regime}"])
...     report = aggregate(sweep, plots=False)
>>> report.ok, report.failed, report.missing, report.swept_keys
(2, 0, 0, ['regime'])
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from sim.exec.jobs import METRICS_FILE
from sim.exec.scan import (
    ID_COLUMNS,
    Job,
    arrow_schema,
    column_name,
    find_jobs,
    label_from_sweep,
    metric_names,
    scan_sweep,
    sweep_columns,
    to_table,
)
from sim.rules.catalogue import bounds_of
from sim.studies.outcomes import t_interval, window_means, window_of
from sim.util.atomic import removing_temporaries, temporary_name

__all__ = ["AggregateReport", "aggregate", "find_jobs", "summarise_finals"]

log = logging.getLogger(__name__)

#: Panels drawn by default (the metrics that vary, headline first); plot_metrics for others.
MAX_PLOTTED = 12
#: Rows buffered before a row group of timeseries.parquet is written.
_ROW_GROUP = 200_000


@dataclasses.dataclass
class AggregateReport:
    """What :func:`aggregate` found and wrote."""

    sweep_dir: Path
    out_dir: Path
    jobs: int
    ok: int
    failed: int
    missing: int
    swept_keys: list[str]
    conditions: int
    files: dict[str, Path]
    problems: list[str]
    #: Seconds the aggregation took: the one number the terminal and report.md both print.
    elapsed: float | None = None

    def describe(self) -> str:
        """A few human lines: counts, then the failed and missing jobs (at most 20)."""
        lines = [
            f"{self.sweep_dir}: {self.jobs} jobs, {self.ok} ok, {self.failed} failed, "
            f"{self.missing} missing; {self.conditions} conditions over "
            f"{self.swept_keys or 'no swept keys'}; tables in {self.out_dir}"
            + (f" ({self.elapsed:.1f} s)" if self.elapsed is not None else ""),
            "  assumed: a run's value is its average over the last third of its steps (last "
            "step: final_* columns); intervals are t-based 95% CIs over replicates (none with "
            "one replicate); a condition is a combination of swept values, seeds are replicates",
        ]
        lines += [f"  {p}" for p in self.problems[:20]]
        if len(self.problems) > 20:
            lines.append(f"  ... and {len(self.problems) - 20} more (see jobs.csv)")
        return "\n".join(lines)


# --------------------------------------------------------------------------- scanning


# --------------------------------------------------------------------------- streaming stats


class _Bands:
    """Per-condition running mean and M2 per step and metric, merged job by job (Chan)."""

    def __init__(self, n_metrics: int):
        self.m = n_metrics
        self.acc: dict[str, list[np.ndarray]] = {}

    def add(self, condition: str, values: np.ndarray) -> None:
        """``values``: (replicates, steps, metrics), NaN where a metric is undefined."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            n_b = np.sum(~np.isnan(values), axis=0).astype(float)
            mean_b = np.where(n_b > 0, np.nanmean(values, axis=0), 0.0)
            m2_b = np.nansum((values - mean_b) ** 2, axis=0)
        if condition not in self.acc:
            self.acc[condition] = [n_b, mean_b, m2_b]
            return
        n_a, mean_a, m2_a = self.acc[condition]
        steps = max(n_a.shape[0], n_b.shape[0])  # jobs of one condition may differ in steps
        n_a, mean_a, m2_a, n_b, mean_b, m2_b = (
            np.pad(x, ((0, steps - x.shape[0]), (0, 0)))
            for x in (n_a, mean_a, m2_a, n_b, mean_b, m2_b)
        )
        n = n_a + n_b
        with np.errstate(invalid="ignore", divide="ignore"):
            delta = mean_b - mean_a
            mean = np.where(n > 0, mean_a + delta * n_b / n, 0.0)
            m2 = np.where(n > 0, m2_a + m2_b + delta**2 * n_a * n_b / n, 0.0)
        self.acc[condition] = [n, mean, m2]

    def frame(self, metrics: Sequence[str]) -> pd.DataFrame:
        parts = []
        for condition, (n, mean, m2) in self.acc.items():
            steps = np.repeat(np.arange(n.shape[0]), self.m)
            bounds = tuple(np.tile(b, n.shape[0]) for b in bounds_of(metrics))
            part = _ci_table(n.ravel(), mean.ravel(), m2.ravel(), bounds)
            part.insert(0, "metric", np.tile(np.asarray(metrics, dtype=object), n.shape[0]))
            part.insert(0, "step", steps)
            part.insert(0, "condition", condition)
            parts.append(part)
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _ci_table(
    n: np.ndarray, mean: np.ndarray, m2: np.ndarray, bounds: tuple | None = None
) -> pd.DataFrame:
    """mean, sd, t-based 95% CI, n: the vectorised twin of :func:`sim.util.stats.mean_ci`;
    with ``bounds`` (arrays of each row's metric's range), each interval is cut to it."""
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.where(n > 1, np.sqrt(np.maximum(m2, 0) / (n - 1)), np.nan)
    mean = np.where(n > 0, mean, np.nan)
    # One value has no interval: NaN, never a zero-width "interval" at the mean.
    low, high = t_interval(mean, sd, n, bounds=bounds)
    return pd.DataFrame(
        {
            "mean": mean,
            "sd": sd,
            "ci_low": low,
            "ci_high": high,
            "n": n.astype(int),
        }
    )


def summarise_finals(runs: pd.DataFrame, by: Sequence[str], metrics: Sequence[str]) -> pd.DataFrame:
    """Per group of ``by`` and metric: mean, sd, 95% CI and n over the ok rows.

    Groups whose rows all failed are kept, with n 0 and NaN statistics.

    Same numbers as :func:`sim.util.stats.mean_ci` on each group, computed for all groups at once.

    >>> runs = pd.DataFrame({"regime": ["a", "a", "a", "b"], "status": ["ok"] * 4,
    ...                      "x": [1.0, 2.0, 3.0, 5.0]})
    >>> t = summarise_finals(runs, ["regime"], ["x"])
    >>> t[["regime", "metric", "mean", "n"]].values.tolist()
    [['a', 'x', 2.0, 3], ['b', 'x', 5.0, 1]]
    >>> round(float(t["ci_high"][0]), 3)
    4.484
    """
    # Rows of failed or missing jobs stay (as NaN) so that their conditions are listed, n 0.
    ok = runs.copy()
    ok.loc[ok["status"] != "ok", list(metrics)] = np.nan
    keys = list(by) or None
    long = ok.melt(id_vars=list(by), value_vars=list(metrics), var_name="metric")
    grouped = long.groupby([*(keys or []), "metric"], sort=False, dropna=False)["value"]
    agg = grouped.agg(["count", "mean", "var"]).reset_index()
    m2 = agg["var"].fillna(0.0).to_numpy() * np.maximum(agg["count"].to_numpy() - 1, 0)
    bounds = bounds_of([str(m).removeprefix("final_") for m in agg["metric"]])
    table = _ci_table(agg["count"].to_numpy(), agg["mean"].to_numpy(), m2, bounds)
    out = pd.concat([agg[[*(keys or []), "metric"]].reset_index(drop=True), table], axis=1)
    order = {m: i for i, m in enumerate(metrics)}
    out["_m"] = out["metric"].map(order)
    return (
        out.sort_values([*(keys or []), "_m"], kind="stable")
        .drop(columns="_m")
        .reset_index(drop=True)
    )


# --------------------------------------------------------------------------- aggregation


def _plan(sweep_dir: Path, replicate_keys: Iterable[str]):
    """The sweep's jobs (those that never started included, as ``missing``), its swept keys,
    the keys that make conditions, each job's typed values and condition labels, and the
    problems met while scanning."""
    jobs, expected, swept, skipped = scan_sweep(sweep_dir)
    label_from_sweep(jobs, expected)
    # Jobs the sweep should have run but that left no directory at all.
    seen = {tuple(j.overrides) for j in jobs}
    seen_nums = {j.num for j in jobs}
    for num, ovs in enumerate(expected or []):
        if num not in seen_nums and tuple(ovs) not in seen:
            jobs.append(
                Job(sweep_dir / str(num), num, list(ovs), "missing", "never started", [], None)
            )
    swept, condition_keys, typed, labels = sweep_columns(jobs, swept, replicate_keys)
    return jobs, swept, condition_keys, typed, labels, list(skipped)


def _dtypes(typed, metrics: Sequence[str]) -> tuple[dict, dict]:
    """Fixed column types of ``runs.parquet`` and ``timeseries.parquet``, with pandas metadata
    in the schema so that readers get nullable integers back: a seed near 2**63 must never
    pass through float64."""
    params_dtypes = {c: s.dtype for c, s in typed.items()}
    runs_dtypes = {
        "job": "Int64",
        "job_dir": "string",
        **params_dtypes,
        "condition": "string",
        "status": "string",
        "error": "string",
        "replicate": "Int64",
        "seed": "Int64",
        "wall_time": "float64",
        "model_version": "Int64",
        "window_from": "Int64",
        "window_to": "Int64",
        **{m: "float64" for m in metrics},
        **{f"final_{m}": "float64" for m in metrics},
    }
    ts_dtypes = {
        "job": "Int64",
        **params_dtypes,
        "condition": "string",
        "replicate": "int64",
        "seed": "int64",
        "step": "int64",
        **{m: "float64" for m in metrics},
    }
    return runs_dtypes, ts_dtypes


def _outcome_rows(j: Job, frame: pd.DataFrame, head: dict, metrics: Sequence[str]):
    """An ok job's rows of ``runs.parquet``, one per replicate: its window means and finals
    (the outcomes kit), beside the job's facts."""
    last = frame.groupby("replicate", sort=True).tail(1)
    ends = window_means(frame, metrics)  # same replicate order as ``last``
    first_step, last_step = window_of(frame)
    rows = pd.DataFrame({**head, "status": "ok", "error": None}, index=last.index)
    rows["replicate"] = last["replicate"].to_numpy()
    rows["seed"] = last["seed"].to_numpy()
    rows["wall_time"] = j.wall_time
    rows["model_version"] = j.model_version
    rows["window_from"], rows["window_to"] = first_step, last_step
    end_values = pd.DataFrame(
        ends[list(metrics)].to_numpy(), index=last.index, columns=list(metrics)
    )
    finals = last[list(metrics)].rename(columns=lambda m: f"final_{m}")
    return pd.concat([rows, end_values, finals], axis=1)


def _missing_rows(j: Job, head: dict, metrics: Sequence[str]) -> pd.DataFrame:
    """A failed or missing job's rows: its seeds (if known) and NaN outcomes."""
    seeds: Sequence[int | None] = j.seeds or [None]
    rows = pd.DataFrame(
        {
            **head,
            "status": j.status,
            "error": j.error,
            "replicate": range(len(seeds)) if j.seeds else [None],
            "seed": seeds,
            "wall_time": None,
            "model_version": j.model_version,
        }
    )
    for m in metrics:
        rows[m] = np.nan
    return rows


def _read_job(j: Job, metrics: Sequence[str]) -> pd.DataFrame | None:
    """An ok job's metrics table, in replicate and step order; None (the job marked failed)
    when it cannot be read: a corrupt file is reported, not fatal."""
    if j.status != "ok":
        return None
    try:
        frame = pd.read_parquet(j.dir / METRICS_FILE)
    except Exception as err:
        j.status, j.error = "failed", f"unreadable {METRICS_FILE}: {err}"
        return None
    frame = frame.reindex(columns=[*ID_COLUMNS, *metrics])
    return frame.sort_values(["replicate", "step"], kind="stable")


def _stream(
    jobs, typed, labels, metrics, sweep_dir: Path, tmp_files: dict, problems: list, progress
) -> _Bands:
    """Read every job once and stream ``runs.parquet`` (and ``timeseries.parquet``) into
    ``tmp_files`` row group by row group; the per-step bands accumulate on the way."""
    runs_dtypes, ts_dtypes = _dtypes(typed, metrics)
    runs_schema, ts_schema = arrow_schema(runs_dtypes), arrow_schema(ts_dtypes)
    bands = _Bands(len(metrics))
    runs_rows: list[pd.DataFrame] = []
    ts_buffer: list[pd.DataFrame] = []
    ts_buffered = 0
    timeseries = "timeseries" in tmp_files
    ts_writer = pq.ParquetWriter(tmp_files["timeseries"], ts_schema) if timeseries else None
    runs_writer = pq.ParquetWriter(tmp_files["runs"], runs_schema)
    try:
        for i, j in enumerate(jobs):
            if progress is not None:
                progress(i, len(jobs))
            params = {c: s.iloc[i] for c, s in typed.items()}
            rel = str(j.dir.relative_to(sweep_dir)) if j.dir != sweep_dir else "."
            head = {"job": j.num, "job_dir": rel, **params, "condition": labels[i]}
            frame = _read_job(j, metrics)
            if frame is not None:
                rows = _outcome_rows(j, frame, head, metrics)
                bands.add(labels[i], _cube(frame, metrics))
                if ts_writer is not None:
                    ts = frame.copy()
                    for col, val in reversed(list({**head}.items())):
                        if col != "job_dir":
                            ts.insert(0, col, val)
                    ts_buffer.append(ts)  # converted a row group at a time (far cheaper)
                    ts_buffered += len(ts)
                    if ts_buffered >= _ROW_GROUP:
                        ts_writer.write_table(to_table(ts_buffer, ts_schema, ts_dtypes))
                        ts_buffer, ts_buffered = [], 0
            else:
                rows = _missing_rows(j, head, metrics)
                problems.append(f"job {j.num} {j.status}: {' '.join(j.overrides)}: {j.error}")
            runs_rows.append(rows)
            if sum(len(r) for r in runs_rows) >= _ROW_GROUP:
                runs_writer.write_table(to_table(runs_rows, runs_schema, runs_dtypes))
                runs_rows = []
        if runs_rows:
            runs_writer.write_table(to_table(runs_rows, runs_schema, runs_dtypes))
        if ts_writer is not None and ts_buffer:
            ts_writer.write_table(to_table(ts_buffer, ts_schema, ts_dtypes))
    finally:
        runs_writer.close()
        if ts_writer is not None:
            ts_writer.close()
    return bands


def _condition_summary(
    runs: pd.DataFrame, by: list[str], metrics: Sequence[str], problems: list
) -> pd.DataFrame:
    """``summary.csv``: per condition and metric, the window means' and the finals' mean and
    bounded interval, and the jobs that did not finish."""
    # Condition is a function of the swept values; grouping by both keeps runs' labels.
    summary = summarise_finals(runs, [*by, "condition"], metrics)
    final_cols = [f"final_{m}" for m in metrics]
    finals = summarise_finals(runs, [*by, "condition"], final_cols)
    summary["final_mean"] = finals["mean"].to_numpy()
    summary["final_ci_low"] = finals["ci_low"].to_numpy()
    summary["final_ci_high"] = finals["ci_high"].to_numpy()
    thin = summary.loc[summary["n"] == 1, "condition"].unique()
    if len(thin):
        message = (
            f"{len(thin)} of {summary['condition'].nunique()} conditions have a single "
            "replicate: no confidence interval (ci_low and ci_high are NaN); run "
            "replicates=2 or more"
        )
        warnings.warn(message, stacklevel=3)
        problems.append(message)
    per_job = runs.drop_duplicates("job_dir")
    not_ok = (
        per_job.assign(jobs_not_ok=per_job["status"] != "ok")
        .groupby([*by, "condition"], dropna=False)["jobs_not_ok"]
        .sum()
        .reset_index()
    )
    return summary.merge(not_ok, on=[*by, "condition"], how="left")


def _plot(out: Path, files: dict, summary, band_frame, metrics, plot_metrics, what) -> None:
    """``plots/over_time.png`` and ``plots/final_values.png`` of the metrics that vary."""
    from sim.viz.plots import plot_final_values, plot_over_time

    n_conditions = summary["condition"].nunique()
    if plot_metrics:
        chosen = list(plot_metrics)
    else:  # the metrics that vary, headline first: a constant panel says nothing
        from sim.studies.sweep_report import HEADLINE, constant_metrics

        flat = constant_metrics(summary)
        varying = [m for m in metrics if m not in flat]
        chosen = (
            [m for m in HEADLINE if m in varying] + [m for m in varying if m not in HEADLINE]
        )[:MAX_PLOTTED]
    (out / "plots").mkdir(exist_ok=True)
    files["plot_over_time"] = plot_over_time(
        band_frame,
        chosen,
        out / "plots" / "over_time.png",
        title=f"Metrics over time by {what} ({n_conditions} conditions)",
    )
    files["plot_final_values"] = plot_final_values(
        summary,
        chosen,
        out / "plots" / "final_values.png",
        title=f"End-of-run values by {what} ({n_conditions} conditions)",
        what="mean over replicates of each run's average over the last third of its steps",
    )


@removing_temporaries()  # no temporary table left behind on any error (a full disk)
def aggregate(
    sweep_dir: str | os.PathLike,
    out_dir: str | os.PathLike | None = None,
    *,
    replicate_keys: Iterable[str] = ("seed",),
    timeseries: bool = True,
    plots: bool = True,
    plot_metrics: Sequence[str] | None = None,
    dataset: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> AggregateReport:
    """Aggregate every job under ``sweep_dir`` into ``out_dir`` (default: ``sweep_dir``).

    Parameters
    ----------
    sweep_dir
        A Hydra sweep directory (or any directory of job directories, or one job directory).
    out_dir
        Where the tables and ``plots/`` go.
    replicate_keys
        Swept keys that only make replicates (default ``seed``): kept as columns, not
        conditions.
    timeseries
        Write ``timeseries.parquet`` (the largest output; skip it for huge sweeps if only
        final values matter). The bands of ``timeseries_summary.csv`` are always computed.
    plots
        Draw ``plots/over_time.png`` and ``plots/final_values.png``.
    plot_metrics
        Metrics to plot (default: up to 12 that vary across runs, headline metrics first).
    dataset
        Also write (or bring up to date) ``dataset/``, every step of every ok job as one
        Parquet dataset with the swept keys as columns (:mod:`sim.exec.dataset`).
    progress
        Called as ``progress(done, total)`` before each job is read (the command's progress bar).
    """
    started = time.perf_counter()
    sweep_dir = Path(sweep_dir)
    if not sweep_dir.is_dir():
        raise FileNotFoundError(f"sweep directory {sweep_dir} does not exist")
    out = Path(out_dir) if out_dir is not None else sweep_dir
    out.mkdir(parents=True, exist_ok=True)
    jobs, swept, condition_keys, typed, labels, problems = _plan(sweep_dir, replicate_keys)
    metrics = metric_names(jobs)
    files = {
        "runs": out / "runs.parquet",
        "summary": out / "summary.csv",
        "timeseries_summary": out / "timeseries_summary.csv",
        "jobs": out / "jobs.csv",
    }
    if timeseries:
        files["timeseries"] = out / "timeseries.parquet"
    versions = sorted({j.model_version for j in jobs if j.status == "ok"})
    if len(versions) > 1:
        problems.append(
            f"results of model versions {versions} are mixed in this sweep: the same "
            "configuration and seed give different numbers across versions (see model_version "
            "in runs.parquet); re-run the older jobs into a new sweep before comparing"
        )
    tmp_files = {name: temporary_name(path) for name, path in files.items()}
    bands = _stream(jobs, typed, labels, metrics, sweep_dir, tmp_files, problems, progress)
    # Only the small runs table is read back whole, to summarise final values per condition.
    runs = pd.read_parquet(tmp_files["runs"])
    by = [column_name(k) for k in condition_keys]
    summary = _condition_summary(runs, by, metrics, problems)
    summary.to_csv(tmp_files["summary"], index=False)
    band_frame = bands.frame(metrics)
    band_frame.to_csv(tmp_files["timeseries_summary"], index=False)
    pd.DataFrame(
        {
            "job": [j.num for j in jobs],
            "job_dir": [str(j.dir) for j in jobs],
            "condition": labels,
            "status": [j.status for j in jobs],
            "error": [j.error for j in jobs],
            "overrides": [" ".join(j.overrides) for j in jobs],
        }
    ).to_csv(tmp_files["jobs"], index=False)
    for name, path in files.items():
        os.replace(tmp_files[name], path)
    if dataset:  # the dataset parts (sim/exec/dataset.py): one folder every reader takes whole
        from sim.exec.dataset import write_dataset

        files["dataset"] = write_dataset(sweep_dir, out, replicate_keys=replicate_keys).path
    if plots and len(band_frame):
        what = " x ".join(by) if by else "one condition"
        _plot(out, files, summary, band_frame, metrics, plot_metrics, what)
    counts = {s: sum(1 for j in jobs if j.status == s) for s in ("ok", "failed", "missing")}
    result = AggregateReport(
        sweep_dir=sweep_dir,
        out_dir=out,
        jobs=len(jobs),
        ok=counts["ok"],
        failed=counts["failed"],
        missing=counts["missing"],
        swept_keys=[column_name(k) for k in swept],
        conditions=len(set(labels)),
        files=files,
        problems=problems,
    )
    from sim.studies.sweep_report import write_sweep_report

    # One clock: the time measured here is the one report.md and describe() both print.
    result.elapsed = time.perf_counter() - started
    files["report"] = write_sweep_report(out, result, summary, plots=plots and len(band_frame) > 0)
    return result


def _cube(frame: pd.DataFrame, metrics: Sequence[str]) -> np.ndarray:
    """(replicates, steps, metrics) array; replicates shorter than the longest are NaN-padded."""
    reps = frame["replicate"].to_numpy()
    steps = frame["step"].to_numpy()
    r_index = {r: i for i, r in enumerate(np.unique(reps))}
    cube = np.full((len(r_index), int(steps.max()) + 1, len(metrics)), np.nan)
    cube[[r_index[r] for r in reps], steps] = frame[list(metrics)].to_numpy(dtype=float)
    return cube
