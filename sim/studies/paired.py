"""A practice's effect at every point of a design, paired by seed.

Every point of a design runs twice, once at each of two settings of one practice (say
``regime.responsiveness`` at 0 and at 0.6), with the same replicate seeds: replicate *i* of
both runs is the same organization with the same random stream, and only the practice
differs. The effect at a point is the mean over its replicates of *(value at B) - (value at
A)*; each replicate's value is its average over the end-of-run window
(:func:`end_window`, by default the last third of the run).

:func:`run_paired` writes one job per point and setting into ``OUT/runs/point_NNNNN/{a,b}/``
(the job format of :mod:`sim.exec.jobs`, so an interrupted run resumes) through
:func:`sim.exec.parallel.run_jobs`; :func:`pair_table` reads them back into one row per point,
replicate seed and metric.

Examples
--------
>>> end_window(300), end_window(9), end_window(1)
((201, 300), (7, 9), (1, 1))
>>> import tempfile
>>> pts = pd.DataFrame({"population.attention": [5, 20]})
>>> with tempfile.TemporaryDirectory() as out:
...     plan = plan_paired(pts, ("openness.internal", ["0", "1"]),
...                        ["steps=6", "replicates=2", "org.size=30", "stakeholders.count=5"])
...     _ = run_paired(plan, out, workers=1)
...     pairs = pair_table(plan, out)
>>> sorted(pairs["point"].unique().tolist()), int(pairs["seed"].nunique())
([0, 1], 2)
>>> row = pairs[pairs["metric"] == "trust"].iloc[0]
>>> bool(abs(row["diff"] - (row["b"] - row["a"])) < 1e-12)
True
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

# One definition of the end-of-run window, and of a replicate's mean over it: the outcomes kit's.
from sim.studies.outcomes import WINDOW as WINDOW_FRACTION
from sim.studies.outcomes import window_means
from sim.studies.outcomes import window_steps as end_window

__all__ = [
    "end_window",
    "window_means",
    "PairedPlan",
    "plan_paired",
    "run_paired",
    "pair_table",
    "point_effects",
    "WINDOW_FRACTION",
]


@dataclass
class PairedPlan:
    """A design's points, the practice and its two settings, the jobs (one per point and
    setting) and the overrides every job shares."""

    points: pd.DataFrame
    key: str
    settings: list[str]
    overrides: list[str]
    jobs: dict[str, Any]  # name -> PlannedJob

    def describe(self) -> dict[str, Any]:
        return {
            "compare": {"key": self.key, "values": self.settings},
            "overrides": self.overrides,
            "points": len(self.points),
        }


def _value(text: str) -> Any:
    """An override's value as YAML reads it (0.6 -> float, true -> bool, voice -> str)."""
    return yaml.safe_load(str(text))


def _with(base: Any, flat: Mapping[str, Any]) -> Any:
    """A deep copy of the configuration ``base`` with dotted ``key: value`` pairs set."""
    import copy

    from sim.config import ConfigError

    cfg = copy.deepcopy(base)
    for key, value in flat.items():
        node = cfg
        *parents, leaf = key.split(".")
        for part in parents:
            node = getattr(node, part, None)
        if node is None or not hasattr(node, leaf):
            raise ConfigError(f"{key}: not a configuration key")
        setattr(node, leaf, value.item() if hasattr(value, "item") else value)
    return cfg


def job_name(point: int, arm: str) -> str:
    return f"point_{point:05d}/{arm}"


def plan_paired(
    points: pd.DataFrame, compare: tuple[str, Sequence[str]], overrides: Sequence[str] = ()
) -> PairedPlan:
    """Compose and check every job (nothing runs). Arm ``a`` is the first setting, ``b`` the
    second; every job shares ``overrides`` (``steps=200``, ``replicates=3``, a scenario...).

    Raises
    ------
    ConfigError
        A bad override, or a point or setting outside what the schema allows.
    """
    from sim.config import load_config, to_config
    from sim.exec.parallel import PlannedJob

    key, settings = compare[0], [str(v) for v in compare[1]]
    # Composed once through Hydra; each job is a copy with its values set and checked again
    # (composing every job would take a second each).
    base = to_config(load_config(list(overrides)))
    jobs = {}
    for i, row in enumerate(points.to_dict(orient="records")):
        for arm, setting in zip(("a", "b"), settings, strict=True):
            cfg = to_config(_with(base, {**row, key: _value(setting)}))
            point_overrides = [f"{k}={v}" for k, v in row.items()]
            jobs[job_name(i, arm)] = PlannedJob(
                cfg,
                Path(job_name(i, arm)),
                [*overrides, *point_overrides, f"{key}={setting}"],
                {"driver": "paired", "point": i, "arm": arm},
            )
    return PairedPlan(points.reset_index(drop=True), key, settings, list(overrides), jobs)


def run_paired(
    plan: PairedPlan, out: str | os.PathLike, *, workers: int = 2, progress: bool = False
) -> dict[str, dict[str, Any]]:
    """Run every job of ``plan`` into ``out/runs/``; return their summaries (resumes)."""
    from dataclasses import replace

    from sim.exec.parallel import run_jobs

    runs = Path(out) / "runs"
    jobs = {name: replace(j, dir=runs / j.dir) for name, j in plan.jobs.items()}
    return run_jobs(jobs, workers=workers, progress=progress, desc="paired runs")


def pair_table(
    plan: PairedPlan, out: str | os.PathLike, *, fraction: float = WINDOW_FRACTION
) -> pd.DataFrame:
    """One row per point, replicate seed and metric: ``a`` and ``b`` (end-of-run window
    averages at each setting), ``diff`` = b - a, and the window's steps.

    Raises
    ------
    FileNotFoundError
        A job has no results (it failed or never ran): its error is quoted.
    """
    from sim.exec.jobs import METRICS_FILE, read_summary
    from sim.rules.metrics import METRIC_NAMES

    runs = Path(out) / "runs"
    rows = []
    for i in range(len(plan.points)):
        sides = {}
        for arm in ("a", "b"):
            d = runs / job_name(i, arm)
            if not (d / METRICS_FILE).is_file():
                error = (read_summary(d) or {}).get("error") or "it did not run"
                raise FileNotFoundError(f"point {i}, setting {arm}: no results in {d}: {error}")
            frame = pd.read_parquet(d / METRICS_FILE)
            metrics = [m for m in METRIC_NAMES if m in frame.columns]
            sides[arm] = window_means(
                frame, metrics, share=fraction, cumulative_at_last=True
            ).set_index("seed")
            window = end_window(int(frame["step"].max()), fraction)
        a, b = sides["a"], sides["b"]
        seeds = a.index.intersection(b.index)
        for m in metrics:
            va = a.loc[seeds, m].to_numpy(dtype=float)
            vb = b.loc[seeds, m].to_numpy(dtype=float)
            rows.append(
                pd.DataFrame(
                    {
                        "point": i,
                        "seed": seeds.to_numpy(),
                        "metric": m,
                        "a": va,
                        "b": vb,
                        "diff": vb - va,
                        "window_from": window[0],
                        "window_to": window[1],
                    }
                )
            )
    return pd.concat(rows, ignore_index=True)


def point_effects(pairs: pd.DataFrame, points: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Per point: its parameters, then ``effect`` (mean paired difference over replicates),
    ``effect_sd``, ``n`` (pairs), ``a`` and ``b`` (mean values at each setting)."""
    sub = pairs[pairs["metric"] == metric]
    if sub.empty:
        raise ValueError(f"unknown metric {metric!r}")
    g = sub.groupby("point")
    table = pd.DataFrame(
        {
            "effect": g["diff"].mean(),
            "effect_sd": g["diff"].std(),
            "n": g["diff"].count(),
            "a": g["a"].mean(),
            "b": g["b"].mean(),
        }
    )
    table = table.reindex(range(len(points)))
    return pd.concat([points.reset_index(drop=True), table.reset_index(drop=True)], axis=1)
