"""What-if runs: a scenario with and without an intervention, and the table that compares them.

A what-if has two *arms*, each an ordinary job composed by Hydra exactly as
``experiments/run.py`` would compose it:

``baseline``      ``scenario=NAME`` plus any extra overrides;
``intervention``  the same plus ``+intervention=NAME`` (``conf/intervention/NAME.yaml``).

Both arms run the same replicate seeds (spawned from ``seed``), so replicate *i* of the two
arms is the same organization with the same random stream: their rows are identical before
the intervention step and any difference after it is the intervention's doing.

:func:`run_whatif` runs every replicate of both arms in a process pool (``forkserver`` where
available, else ``spawn``, chosen explicitly because ``import mesa`` changes the global
default) into ``OUT/runs/<arm>/`` (``metrics.parquet`` + ``summary.json``, the job format of
:mod:`sim.exec.jobs`, so an interrupted what-if resumes). :func:`aggregate_whatif` then reduces them
to the tables the report is built from, and nothing else:

``timeseries.parquet``       every row of both arms, with ``arm`` in front;
``timeseries_summary.csv``   per arm (``condition``), step and metric: mean, sd, 95% CI, n;
``differences.csv``          per metric: the value before the intervention, each arm's mean
                             and 95% CI at the end, and the difference intervention minus
                             baseline with its 95% CI paired by seed
                             (:func:`sim.util.stats.paired_diff_ci`).

Examples
--------
>>> import tempfile
>>> plan = plan_whatif("default", "open_channels",
...                    ["org.size=30", "stakeholders.count=5"], replicates=2, steps=6, at=3)
>>> plan.at, plan.arms["intervention"].interventions[0].at
(3, 3)
>>> with tempfile.TemporaryDirectory() as out:
...     _ = run_whatif(plan, out, workers=1)
...     table = aggregate_whatif(out)
>>> row = table.set_index("metric").loc["engagement"]
>>> row[["window", "before_from", "before_step", "end_from", "end_step"]].astype(int).tolist()
[2, 1, 2, 5, 6]
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.config import AgoraConfig, ConfigError, load_config, to_config
from sim.exec.jobs import (
    METRICS_FILE,
    read_summary,
    resolved_dict,
    write_json_atomic,
)
from sim.exec.parallel import PlannedJob, run_jobs
from sim.rules import metrics as measured
from sim.rules.catalogue import record
from sim.scenarios.library import (
    NamedIntervention,
    Scenario,
    get_intervention,
    get_scenario,
)
from sim.studies.outcomes import window_means
from sim.studies.outcomes import window_steps as end_window
from sim.util.atomic import write_atomic
from sim.util.stats import bounded_ci, mean_ci, paired_diff_ci

__all__ = [
    "ARMS",
    "WhatIfPlan",
    "plan_whatif",
    "run_whatif",
    "aggregate_whatif",
    "PLAN_FILE",
    "DIFFERENCES_FILE",
    "BANDS_FILE",
    "TIMESERIES_FILE",
]

ARMS = ("baseline", "intervention")
PLAN_FILE = "whatif.json"
DIFFERENCES_FILE = "differences.csv"
BANDS_FILE = "timeseries_summary.csv"
TIMESERIES_FILE = "timeseries.parquet"


@dataclass
class WhatIfPlan:
    """Both arms of a what-if, composed and validated, with what they were made from."""

    scenario: Scenario
    intervention: NamedIntervention
    overrides: dict[str, list[str]]
    arms: dict[str, AgoraConfig]
    at: int
    extra: list[str] = field(default_factory=list)

    def describe(self) -> dict[str, Any]:
        """Plain data for ``whatif.json``: enough to write the report from files alone."""
        treated = self.arms["intervention"]
        return {
            "scenario": {
                "name": self.scenario.name,
                "description": self.scenario.description,
                "settings": self.scenario.settings,
            },
            "intervention": {
                "name": self.intervention.name,
                "description": self.intervention.description,
                "changes": [{"at": iv.at, "set": dict(iv.set)} for iv in treated.interventions],
            },
            "at": self.at,
            "overrides": self.overrides,
            "extra_overrides": self.extra,
            "config": resolved_dict(self.arms["baseline"]),
        }


def _shifted(intervention: NamedIntervention, at: int | None) -> list[str]:
    """Overrides moving the intervention's first step to ``at`` (later ones keep their gaps)."""
    if at is None:
        return []
    first = min(int(iv["at"]) for iv in intervention.interventions)
    return [
        f"interventions.{i}.at={int(iv['at']) + at - first}"
        for i, iv in enumerate(intervention.interventions)
    ]


def plan_whatif(
    scenario: str,
    intervention: str,
    overrides: list[str] | tuple[str, ...] = (),
    *,
    replicates: int | None = None,
    steps: int | None = None,
    seed: int | None = None,
    at: int | None = None,
) -> WhatIfPlan:
    """Compose and validate both arms; nothing runs.

    Parameters
    ----------
    scenario, intervention
        Names of ``conf/scenario/*.yaml`` and ``conf/intervention/*.yaml``.
    overrides
        Extra Hydra overrides applied to both arms (``org.size=100``, ``regime.mix=0.3``).
    replicates, steps, seed
        Shorthands for those overrides.
    at
        Move the intervention to this step (several changes keep their spacing).

    Raises
    ------
    ConfigError
        An unknown scenario or intervention, a bad value, or an intervention outside the run.
    """
    sc = get_scenario(scenario)
    iv = get_intervention(intervention)
    extra = [str(o) for o in overrides]
    for key, value in (("replicates", replicates), ("steps", steps), ("seed", seed)):
        if value is not None:
            extra.append(f"{key}={value}")
    base = [f"scenario={sc.path.stem}", *extra]
    treated = [*base, f"+intervention={iv.name}", *_shifted(iv, at)]
    arms = {"baseline": to_config(load_config(base))}
    try:
        arms["intervention"] = to_config(load_config(treated))
    except ConfigError:
        steps_run = arms["baseline"].steps
        first = at if at is not None else min(int(x["at"]) for x in iv.interventions)
        if first > steps_run or first < 0:
            raise ConfigError(
                f"intervention {iv.name!r} is at step {first} but the run has {steps_run} "
                f"steps: pass at=N with 0 < N < {steps_run}, or more steps=N"
            ) from None
        raise
    start = min(x.at for x in arms["intervention"].interventions)
    return WhatIfPlan(sc, iv, {"baseline": base, "intervention": treated}, arms, start, extra)


# --------------------------------------------------------------------------- running


def run_whatif(
    plan: WhatIfPlan,
    out: str | os.PathLike,
    *,
    workers: int = 2,
    progress: bool = False,
    on_progress=None,
) -> dict[str, dict[str, Any]]:
    """Run both arms' replicates into ``out/runs/<arm>/``; return each arm's summary.

    ``on_progress(done, total)`` is called after each replicate (see :func:`run_jobs`).

    An arm already finished for the same configuration is not run again (resume). With
    ``workers`` <= 1 the replicates run in this process, one after the other; the rows are the
    same either way. A replicate that fails marks its arm failed (status and error in its
    ``summary.json``) without stopping the other arm.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_json_atomic(out / PLAN_FILE, plan.describe())
    jobs = {
        arm: PlannedJob(
            plan.arms[arm],
            out / "runs" / arm,
            plan.overrides[arm],
            {"driver": "whatif", "arm": arm},
        )
        for arm in ARMS
    }
    return run_jobs(
        jobs, workers=workers, progress=progress, desc="what-if replicates", on_progress=on_progress
    )


# --------------------------------------------------------------------------- aggregation


def _bands(data: pd.DataFrame, metrics: list[str]) -> pd.DataFrame:
    """Per arm, step and metric: mean, sd, t-based 95% CI (inside the metric's range, see
    :func:`sim.util.stats.bounded_ci`) and n (NaNs left out), vectorised."""
    long = data.melt(id_vars=["arm", "step"], value_vars=metrics, var_name="metric")
    g = long.groupby(["arm", "step", "metric"], sort=False)["value"]
    table = g.agg(mean="mean", sd="std", n="count").reset_index()
    ranges = {m: record(m).range for m in metrics}
    bounds = [
        table["metric"].map(lambda m, i=i: ranges[m][i]).astype(float).to_numpy() for i in (0, 1)
    ]
    low, high = bounded_ci(
        table["mean"].to_numpy(), table["sd"].to_numpy(), table["n"].to_numpy(dtype=float), bounds
    )
    n = table["n"].to_numpy()
    # One replicate: no interval, a line at the mean (the plots say so).
    table["ci_low"] = np.where(n > 1, low, table["mean"])
    table["ci_high"] = np.where(n > 1, high, table["mean"])
    table = table.rename(columns={"arm": "condition"})
    return table[["condition", "step", "metric", "mean", "sd", "ci_low", "ci_high", "n"]]


def _window_means(frame: pd.DataFrame, first: int, last: int, metrics: list[str]):
    """Each replicate's value of every metric over steps ``first..last``: its mean (NaN steps
    skipped), except for cumulative counts, whose value at ``last`` is what they mean."""
    return window_means(
        frame, metrics, (first, last), by=("replicate",), cumulative_at_last=True
    ).set_index("replicate")


def aggregate_whatif(out: str | os.PathLike, *, window: int | None = None) -> pd.DataFrame:
    """Reduce ``out/runs/<arm>/metrics.parquet`` to the what-if tables; return the differences.

    A replicate's value *at the end* is its mean over the last ``window`` steps (by default the
    last third of the run, :func:`sim.studies.outcomes.window_steps`, as every summary of the
    package compares), and *before* its mean over the ``window`` steps before the intervention (both
    shortened to fit: the end window never reaches back before the intervention). Cumulative
    counts (the catalogue's kind ``cumulative``: innovations) are taken at the window's last
    step instead: a running total averaged over a window mixes the past into the end. Each
    arm's interval stays inside the metric's range (:func:`sim.util.stats.bounded_ci`).
    ``differences.csv`` has one row per metric: ``at`` (the intervention step), ``window``,
    ``before_from``, ``before_step`` and ``before_mean`` (the baseline's mean over replicates
    there, the same in both arms since they share seeds), ``end_from``, ``end_step``, then for
    each arm ``<arm>_mean``, ``<arm>_ci_low``, ``<arm>_ci_high``, ``n_<arm>`` (mean over
    replicates of the end values and its t-based 95% CI), and ``diff``, ``diff_ci_low``,
    ``diff_ci_high``: intervention minus baseline, the mean over replicates of each seed's
    difference with its t-based 95% CI (the arms share their seeds: replicate *i* is the same
    organization in both, so the difference is paired), cut to the range of a difference of
    the metric (``[lo - hi, hi - lo]``: a share's in [-1, 1]).

    Raises
    ------
    FileNotFoundError
        An arm has no ``metrics.parquet`` (it failed or never ran).
    """
    out = Path(out)
    plan = json.loads((out / PLAN_FILE).read_text(encoding="utf-8"))
    parts = []
    for arm in ARMS:
        path = out / "runs" / arm / METRICS_FILE
        if not path.is_file():
            error = (read_summary(path.parent) or {}).get("error") or "it did not run"
            raise FileNotFoundError(f"the {arm} arm has no results in {path.parent}: {error}")
        frame = pd.read_parquet(path)
        frame.insert(0, "arm", arm)
        parts.append(frame)
    data = pd.concat(parts, ignore_index=True)
    # A metric NaN in every run (its option off in both arms, e.g. the opinion mode's) has
    # nothing to compare.
    # (Read at call time: a metric registered after import is compared too.)
    metrics = [m for m in measured.METRICS if m in data.columns and data[m].notna().any()]
    write_atomic(out / TIMESERIES_FILE, lambda p: data.to_parquet(p, index=False))
    bands = _bands(data, metrics)
    write_atomic(out / BANDS_FILE, lambda p: bands.to_csv(p, index=False))

    at = int(plan["at"])
    end = int(data["step"].max())
    # Per-step metrics (reach, silo_ei, overload...) jump from step to step, so each replicate's
    # value "at the end" and "before" is its mean over a window of steps, never one lucky step.
    if window is None:
        first, last = end_window(end)
        window = last - first + 1
    window = max(1, min(int(window), end - at + 1, max(at, 1)))
    before_from, before_step = max(at - window, 0), max(at - 1, 0)
    end_from = end - window + 1
    base, treated = (data[data["arm"] == arm] for arm in ARMS)
    before_all = _window_means(base, before_from, before_step, metrics)
    b_all = _window_means(base, end_from, end, metrics)
    t_all = _window_means(treated, end_from, end, metrics)
    rows = []
    for m in metrics:
        b_end, t_end = b_all[m].to_numpy(dtype=float), t_all[m].to_numpy(dtype=float)
        before = mean_ci(before_all[m].to_numpy(dtype=float))
        bounds = record(m).range
        b, t = mean_ci(b_end, bounds=bounds), mean_ci(t_end, bounds=bounds)
        pair = pd.concat([t_all[m], b_all[m]], axis=1, join="inner")  # same replicate
        d = paired_diff_ci(pair.iloc[:, 0], pair.iloc[:, 1])
        lo, hi = bounds
        if lo is not None and hi is not None:  # a difference of shares stays in [-1, 1]
            d["ci_low"], d["ci_high"] = max(d["ci_low"], lo - hi), min(d["ci_high"], hi - lo)
        rows.append(
            {
                "metric": m,
                "at": at,
                "window": window,
                "before_from": before_from,
                "before_step": before_step,
                "before_mean": before["mean"],
                "end_from": end_from,
                "end_step": end,
                "baseline_mean": b["mean"],
                "baseline_ci_low": b["ci_low"],
                "baseline_ci_high": b["ci_high"],
                "n_baseline": b["n"],
                "intervention_mean": t["mean"],
                "intervention_ci_low": t["ci_low"],
                "intervention_ci_high": t["ci_high"],
                "n_intervention": t["n"],
                "diff": d["diff"],
                "diff_ci_low": d["ci_low"],
                "diff_ci_high": d["ci_high"],
            }
        )
    table = pd.DataFrame(rows)
    write_atomic(out / DIFFERENCES_FILE, lambda p: table.to_csv(p, index=False))
    return table
