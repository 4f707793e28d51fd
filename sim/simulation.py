"""Run a configuration, with replicates, and get its metrics and summary.

Examples
--------
>>> from sim import simulate
>>> r = simulate({"steps": 4, "replicates": 2, "org": {"size": 20}, "stakeholders": {"count": 4}})
>>> r.metrics.shape[0], r.metrics.columns[:4].tolist()
(10, ['replicate', 'seed', 'step', 'knowledge_code'])
>>> sorted(r.summary["metrics"]["engagement"])
['ci_high', 'ci_low', 'mean', 'n', 'sd']
>>> r.summary["window"]
{'first_step': 4, 'last_step': 4, 'share': 0.3333333333333333}
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.config import AgoraConfig, to_config
from sim.config.engines import worlds_per_batch
from sim.rules.metrics import METRIC_NAMES
from sim.util.seeding import replicate_seeds
from sim.util.stats import mean_ci
from sim.util.threads import blas_threads

__all__ = [
    "SimulationResult",
    "simulate",
    "run_replicate",
    "run_replicates",
    "run_arms",
    "final_summary",
    "window_summary",
    "end_of_run",
    "window_steps",
    "WINDOW",
]

ID_COLUMNS = ("replicate", "seed", "step")

#: The share of the run, at its end, whose average is a replicate's outcome. Final-step values
#: are noisy (one step of turnover, turbulence and chance), so outcomes are compared as
#: averages over the last third of the run; the final step stays available.
WINDOW = 1 / 3


@dataclass
class SimulationResult:
    """The outcome of :func:`simulate`.

    ``metrics`` has one row per replicate and step (step 0 included): ``replicate``, ``seed``,
    ``step``, then every metric of :data:`sim.rules.metrics.METRIC_NAMES`. ``summary`` holds the
    resolved config, the seeds, the wall and CPU time (``wall_time``, ``cpu_time``) and the BLAS
    threads (``blas_threads``), and, per metric, the mean, sd and 95% CI over
    replicates of its end-of-run value (``metrics``: the average over the last third of the
    run, ``window`` says which steps) and of its final value (``final``). With several
    organizations, ``org_metrics`` has one row per replicate, step and organization
    (:data:`sim.rules.metrics.ORG_METRIC_NAMES`); otherwise None.
    """

    config: AgoraConfig
    metrics: pd.DataFrame
    summary: dict[str, Any]
    org_metrics: pd.DataFrame | None = None


def run_replicate(cfg: AgoraConfig, seed: int, *, per_org: bool = False):
    """One replicate through the Mesa model: its metrics, one row per step.

    With ``per_org``, returns ``(metrics, org_metrics)``.
    """
    from sim.model import AgoraModel

    model = AgoraModel(cfg, seed=seed)
    try:
        model.run(cfg.steps)
        if per_org:
            return model.metrics_frame(), model.org_metrics_frame()
        return model.metrics_frame()
    finally:
        _release(model)


#: Agents from which a finished replicate's model is collected at once (see _release).
_COLLECT_FROM = 1_000


def _release(model: Any) -> None:
    """Let the finished model be freed at once. Agents and their model refer to each other,
    so only the cycle collector frees them, and it may not run for many replicates: for a big
    model one collection (milliseconds) keeps memory flat across replicates; small ones are
    left to the collector's own schedule. (mesa 3.3's own hold on every model is undone in
    :mod:`sim.agents.mesa_ids`.)"""
    # The model's size from its arrays: ``model.agents`` would create the agents not yet made.
    if int(getattr(model, "n_nodes", 0)) >= _COLLECT_FROM:
        import gc

        gc.collect()


def _frame(replicate: int, seed: int, table: pd.DataFrame) -> pd.DataFrame:
    table = table.copy()
    table.insert(0, "seed", np.int64(seed))
    table.insert(0, "replicate", replicate)
    return table


def _metric_columns(metrics: pd.DataFrame) -> list[str]:
    return [c for c in metrics.columns if c not in ID_COLUMNS]


def final_summary(metrics: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Per metric, mean, sd and 95% CI over replicates of its value at the last step."""
    last = metrics[metrics["step"] == metrics["step"].max()]
    return {name: mean_ci(last[name].to_numpy(dtype=float)) for name in _metric_columns(metrics)}


def window_steps(last_step: int, share: float = WINDOW) -> tuple[int, int]:
    """The first and last step of the end-of-run window: the last ``share`` of the steps
    after step 0, at least the final step.

    The package's one definition of the window: summaries, studies, the lab and the dockings
    all call it (``sim.studies.paired.end_window`` and ``sim.studies.compare.window_bounds`` are
    this function under the names their modules export).

    >>> window_steps(300), window_steps(1), window_steps(0), window_steps(10, 1.0)
    ((201, 300), (1, 1), (0, 0), (1, 10))
    >>> window_steps(300, 0)
    Traceback (most recent call last):
    ...
    ValueError: window 0: a fraction of the run in (0, 1]
    """
    if not 0 < share <= 1:
        raise ValueError(f"window {share!r}: a fraction of the run in (0, 1]")
    last_step = int(last_step)
    length = max(1, int(round(last_step * share)))
    return max(last_step - length + 1, min(1, last_step)), last_step


def end_of_run(metrics: pd.DataFrame, share: float = WINDOW) -> pd.DataFrame:
    """Each replicate's outcome: its metrics averaged over the end-of-run window (NaN steps
    skipped), one row per replicate with ``replicate`` and ``seed``."""
    first, last = window_steps(int(metrics["step"].max()), share)
    window = metrics[metrics["step"].between(first, last)]
    return window.groupby(["replicate", "seed"], as_index=False)[_metric_columns(metrics)].mean()


def window_summary(metrics: pd.DataFrame, share: float = WINDOW) -> dict[str, dict[str, float]]:
    """Per metric, mean, sd and 95% CI over replicates of its end-of-run window average."""
    outcome = end_of_run(metrics, share)
    return {name: mean_ci(outcome[name].to_numpy(dtype=float)) for name in _metric_columns(metrics)}


def describe_window(metrics: pd.DataFrame, share: float = WINDOW) -> dict[str, Any]:
    """Which steps the window covers, for summaries."""
    first, last = window_steps(int(metrics["step"].max()), share)
    return {"first_step": first, "last_step": last, "share": share}


def run_replicates(
    cfg: AgoraConfig, seeds: list[int], *, first: int = 0, progress: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The rows of replicates ``first``, ``first + 1``, ... of ``cfg``, one per seed, and
    their per-organization rows (with several organizations; None otherwise).

    Each runs on the fastest engine that gives the Mesa model's numbers, seed for seed: March's
    kernel (:mod:`sim.march`) for March's own model, the replicates stepped together
    (:mod:`sim.batch`) where :func:`sim.batch.batchable` allows and worlds are small enough
    to gain (:func:`sim.config.engines.worlds_per_batch`), else the model one replicate
    after another (the only one that shows a ``progress`` bar).
    """
    from sim import batch, march

    stacked = worlds_per_batch(dataclasses.replace(cfg, replicates=len(seeds))) > 1
    if march.is_march(cfg) or (stacked and not progress and batch.batchable(cfg)):
        engine = march if march.is_march(cfg) else batch
        metrics = engine.run_batch(cfg, seeds)
        metrics["replicate"] += first
        return metrics[[*ID_COLUMNS, *METRIC_NAMES]], None
    frames, org_frames = [], []
    iterator = enumerate(seeds, start=first)
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(iterator, total=len(seeds), desc="replicates", unit="run")
    for r, seed in iterator:
        table, org_table = run_replicate(cfg, seed, per_org=True)
        frames.append(_frame(r, seed, table))
        org_frames.append(_frame(r, seed, org_table))
    metrics = pd.concat(frames, ignore_index=True)[[*ID_COLUMNS, *METRIC_NAMES]]
    return metrics, pd.concat(org_frames, ignore_index=True) if cfg.org.count > 1 else None


def run_arms(arms: Sequence[tuple[AgoraConfig, int, list[int]]]) -> list[pd.DataFrame]:
    """Several configurations' replicates stepped as one batch (configurations that
    :func:`sim.batch.batch_groups` puts together: a study's arms, differing in their practices
    or mechanism switches):
    for each ``(cfg, first, seeds)``, the rows ``run_replicates(cfg, seeds, first=first)``
    gives, seed for seed.
    """
    from sim import batch

    cfgs = [cfg for cfg, _, seeds in arms for _ in seeds]
    seeds = [seed for _, _, arm_seeds in arms for seed in arm_seeds]
    rows = batch.run_batch(cfgs, seeds)[[*ID_COLUMNS, *METRIC_NAMES]]
    per_world = cfgs[0].steps + 1  # each world's rows, world after world
    out, start = [], 0
    for _, first, arm_seeds in arms:
        part = rows.iloc[start * per_world : (start + len(arm_seeds)) * per_world]
        part = part.assign(replicate=part["replicate"] + (first - start)).reset_index(drop=True)
        out.append(part)
        start += len(arm_seeds)
    return out


def simulate(config=None, *, progress: bool = False) -> SimulationResult:
    """Run ``config`` with ``config.replicates`` replicates.

    Replicate seeds are spawned from ``config.seed`` by ``numpy.random.SeedSequence``; each is
    written into its rows and re-runs that replicate alone (``AgoraModel(cfg, seed=...)``).
    Configurations that are exactly March's (1991) model run on a kernel vectorised over
    replicates (:mod:`sim.march`), and most others with their replicates stepped together
    (:mod:`sim.batch`, which says which); both give the Mesa model's numbers, seed for seed.

    Parameters
    ----------
    config
        Anything :func:`sim.config.to_config` accepts.
    progress
        Show a progress bar over replicates.
    """
    cfg = to_config(config)
    started, cpu_started = time.perf_counter(), time.process_time()
    seeds = replicate_seeds(cfg.seed, cfg.replicates)
    metrics, org_metrics = run_replicates(cfg, seeds, progress=progress)
    summary = {
        "config": dataclasses.asdict(cfg),
        "seeds": seeds,
        "wall_time": time.perf_counter() - started,
        # This process's CPU seconds (on a busy machine wall time counts others' work too),
        # and the BLAS threads it ran with (sim.util.threads.pin_threads makes it 1).
        "cpu_time": time.process_time() - cpu_started,
        "blas_threads": blas_threads(),
        "window": describe_window(metrics),
        "metrics": window_summary(metrics),
        "final": final_summary(metrics),
    }
    return SimulationResult(cfg, metrics, summary, org_metrics)
