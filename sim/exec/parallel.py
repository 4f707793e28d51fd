"""Running the replicates of several jobs in parallel, in worker processes started the same way
everywhere.

:func:`run_jobs` is what the regime comparison and the what-if runs share: each block of up to
:data:`BLOCK` replicates of a job is one task in a process pool (a worker steps a block
together, :mod:`sim.batch`), and each job directory ends up exactly as
:func:`sim.exec.jobs.run_job` would have written it (so they resume the same way). Jobs that differ
only in their practices or mechanism switches (:func:`sim.config.batching.batch_groups`: the
comparison's arms and ablations) are stepped together, up to :data:`GROUP_WORLDS` of their
replicates in one task; when such a task fails, each of its jobs is run again on its own, so a bad
job fails alone.

Examples
--------
>>> process_context().get_start_method() in ("forkserver", "spawn")
True
>>> [(first, len(seeds)) for first, seeds in blocks(list(range(25)), 10)]
[(0, 10), (10, 10), (20, 5)]
>>> [[(name, first, len(seeds)) for name, first, seeds in task]
...  for task in group_tasks(["a", "b"], {"a": [1, 2, 3], "b": [1, 2, 3]}, 4)]
[[('a', 0, 3), ('b', 0, 1)], [('b', 1, 2)]]
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.exec.workers import process_context, stop_pool, watch_parent

__all__ = ["BLOCK", "GROUP_WORLDS", "blocks", "group_tasks", "process_context", "PlannedJob"]
__all__ += ["run_jobs", "stop_pool"]
__all__ += ["watch_parent"]

log = logging.getLogger(__name__)

#: The most replicates of one job a task steps together: at the default size ten replicates
#: stepped as one cost about a third of ten apart (``benchmarks/bench_batch.py``), and more
#: add little while they leave fewer tasks to spread over the workers.
BLOCK = 10
#: The most replicates of jobs stepped together (arms differing only in their practices or
#: switches) in one task: at the default size a replicate among 30 costs about 0.7 of one among 10
#: (``benchmarks/bench_batch.py``), with tasks still small enough to share out evenly.
GROUP_WORLDS = 30

#: A task: blocks ``(job name, first replicate, seeds)`` stepped together.
Task = list[tuple[str, int, list[int]]]


def blocks(seeds: list[int], size: int) -> list[tuple[int, list[int]]]:
    """The seeds in consecutive blocks of at most ``size``: ``(first replicate, seeds)``."""
    return [(first, seeds[first : first + size]) for first in range(0, len(seeds), size)]


def group_tasks(names: Sequence[str], seeds: Mapping[str, list[int]], size: int) -> list[Task]:
    """Every replicate of the jobs ``names`` (in order, job after job) in tasks of at most
    ``size``; in each task, one block per job it holds."""
    worlds = [(name, r, seed) for name in names for r, seed in enumerate(seeds[name])]
    tasks = []
    for start in range(0, len(worlds), size):
        task: Task = []
        for name, r, seed in worlds[start : start + size]:
            if task and task[-1][0] == name:
                task[-1][2].append(seed)
            else:
                task.append((name, r, [seed]))
        tasks.append(task)
    return tasks


@dataclass
class PlannedJob:
    """One job for :func:`run_jobs`: its configuration, directory, overrides and what the
    summary's ``job`` entry should say about it (e.g. ``{"driver": "compare"}``)."""

    cfg: Any  # AgoraConfig
    dir: Path
    overrides: Sequence[str] = ()
    info: Mapping[str, Any] = field(default_factory=dict)


def run_jobs(
    jobs: Mapping[str, PlannedJob],
    *,
    workers: int = 2,
    progress: bool = False,
    desc: str = "replicates",
    on_progress=None,
) -> dict[str, dict[str, Any]]:
    """Run named jobs, their replicates spread over ``workers`` processes; return the summaries.

    ``on_progress(done, total)``, if given, is called after each replicate (for a progress bar
    that is not a terminal, such as the teaching app's).

    Every job directory is prepared first (resume: a job done for the same configuration is
    skipped; :class:`sim.exec.jobs.JobConflict` is raised before anything runs). A replicate that
    fails marks its job failed (status and error in its ``summary.json``) without stopping the
    others; a batch of several jobs that fails is run again job by job first. With
    ``workers <= 1`` the replicates run in this process, with the same rows.
    """
    from sim.exec.folders import make_agora_folder
    from sim.exec.jobs import config_hash, lock_job

    # The folders holding the job folders are marked as Agora's (when this creates them), so
    # --fresh may later remove them and nothing else.
    for parent in sorted({Path(j.dir).parent for j in jobs.values()}):
        make_agora_folder(parent, "job folders")
    # Every job directory is locked for the whole run (a job of the same configuration running
    # elsewhere is waited for, one of another configuration refused), released on every path.
    locks = []
    try:
        # In path order: two drivers sharing job directories then never wait for each other
        # in a circle.
        for j in sorted(jobs.values(), key=lambda j: str(Path(j.dir).resolve())):
            locks.append(lock_job(j.dir, config_hash(j.cfg)))
        return _run_locked(
            jobs, workers=workers, progress=progress, desc=desc, on_progress=on_progress
        )
    finally:
        for lock in locks:
            lock.release()


def _run_locked(
    jobs: Mapping[str, PlannedJob],
    *,
    workers: int,
    progress: bool,
    desc: str,
    on_progress=None,
) -> dict[str, dict[str, Any]]:
    import pandas as pd
    from tqdm.auto import tqdm

    from sim.config.batching import batch_groups
    from sim.exec.jobs import (
        SUMMARY_FILE,
        config_hash,
        new_summary,
        prepare_job_dir,
        read_summary,
        replicate_group_task,
        replicate_task,
        resolved_dict,
        write_job_result,
        write_json_atomic,
    )
    from sim.util.seeding import replicate_seeds
    from sim.util.threads import blas_threads

    todo = [name for name, j in jobs.items() if prepare_job_dir(j.dir, j.cfg) == "run"]
    # Each summary starts now, as run_job's does when its job starts.
    summaries = {
        name: new_summary(
            jobs[name].dir, overrides=list(jobs[name].overrides), job=dict(jobs[name].info)
        )
        for name in todo
    }
    all_seeds = {
        name: replicate_seeds(jobs[name].cfg.seed, jobs[name].cfg.replicates) for name in todo
    }
    # Blocks small enough that every worker has one, at most BLOCK replicates of a job each,
    # or GROUP_WORLDS of jobs stepped together.
    runs = sum(len(seeds) for seeds in all_seeds.values())
    per_worker = -(-runs // max(workers, 1))
    size, group_size = max(1, min(BLOCK, per_worker)), max(1, min(GROUP_WORLDS, per_worker))
    tasks: list[Task] = []
    for names in batch_groups({name: jobs[name].cfg for name in todo}):
        if len(names) > 1:
            tasks += group_tasks(names, all_seeds, group_size)
        else:
            tasks += [[(names[0], *block)] for block in blocks(all_seeds[names[0]], size)]
    frames: dict[str, list] = {name: [] for name in todo}
    errors: dict[str, str] = {}
    sim_time = dict.fromkeys(todo, 0.0)
    sim_cpu = dict.fromkeys(todo, 0.0)
    bar = tqdm(total=runs, desc=desc, unit="run", disable=not progress)

    def run(task: Task, submit=lambda fn, *args: fn(*args)):
        """The task's blocks run (or submitted): one job's alone, several jobs' as one batch."""
        if len(task) == 1:
            name, first, seeds = task[0]
            return submit(replicate_task, jobs[name].cfg, first, seeds)
        return submit(replicate_group_task, [(jobs[n].cfg, f, s) for n, f, s in task])

    def alone(block: tuple[str, int, list[int]]):
        """One job's block run on its own, here; its result or its error."""
        name, first, seeds = block
        try:
            return replicate_task(jobs[name].cfg, first, seeds)
        except Exception as err:
            return err

    def collect(task: Task, get) -> None:
        try:
            results = [get()] if len(task) == 1 else get()
        except Exception as err:  # one bad task fails its jobs, not the others
            # A batch of several jobs fails as one: each job is run again alone (in this
            # process: a rare path), so one bad job fails alone and its batch-mates finish.
            results = [err] if len(task) == 1 else [alone(block) for block in task]
        for (name, first, seeds), result in zip(task, results, strict=True):
            if isinstance(result, Exception):
                which = f"{first}" if len(seeds) == 1 else f"s {first}-{first + len(seeds) - 1}"
                errors.setdefault(name, f"replicate{which}: {type(result).__name__}: {result}")
            else:
                frame, seconds, cpu = result
                frames[name].append(frame)
                sim_time[name] += seconds
                sim_cpu[name] += cpu
            bar.update(len(seeds))
            bar.set_postfix_str(name)
            if on_progress is not None:
                on_progress(bar.n, runs)

    in_process = workers <= 1 or len(tasks) <= 1
    if in_process:
        for task in tasks:
            collect(task, lambda task=task: run(task))
    else:
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=process_context())
        try:
            futures = {run(task, pool.submit): task for task in tasks}
            for fut in as_completed(futures):
                collect(futures[fut], fut.result)
        except BaseException:
            # Interrupted (Ctrl-C, a signal turned into an exception): stop the workers now
            # instead of waiting for every queued replicate.
            stop_pool(pool)
            raise
        pool.shutdown(wait=True)
    bar.close()

    for name in todo:
        j, summary = jobs[name], summaries[name]
        # The replicates' CPU seconds beside their wall time, as run_job records them.
        summary["cpu_time"] = sim_cpu[name]
        if name in errors:
            summary.update(
                error=errors[name], config=resolved_dict(j.cfg), config_hash=config_hash(j.cfg)
            )
            Path(j.dir).mkdir(parents=True, exist_ok=True)
            write_json_atomic(Path(j.dir) / SUMMARY_FILE, summary)
            continue
        metrics = pd.concat(frames[name], ignore_index=True).sort_values(
            ["replicate", "step"], kind="stable", ignore_index=True
        )
        if in_process:
            summary["blas_threads"] = blas_threads()  # what simulate records for a job alone
        # Its job_time is its own: its share of the simulation's wall time, then its writing
        # (the jobs of one task share its wall time by replicates).
        write_job_result(
            j.dir,
            j.cfg,
            metrics,
            summary,
            wall_time=sim_time[name],
            started=time.perf_counter() - sim_time[name],
        )
    return {name: read_summary(j.dir) or {} for name, j in jobs.items()}
