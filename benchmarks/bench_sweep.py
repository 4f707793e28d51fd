"""Benchmark: a sweep of N default-scenario jobs per launcher, side by side, then aggregation.

Usage (from the repository root)::

    python benchmarks/bench_sweep.py                        # 1000 jobs, pool vs joblib, 2 workers
    python benchmarks/bench_sweep.py --n 100 --out benchmarks/results/sweep_100.json
    python benchmarks/bench_sweep.py --launchers pool local_parallel pool local_parallel

Each job is the default scenario with one replicate and its own root seed
(``seed=range(0,N)``; ``pool`` steps up to 30 such jobs as one batch, so its simulation costs
about a quarter of one job at a time and the same overhead per job is a larger share of the
sweep), run by ``experiments/run.py -m hydra/launcher=L`` for each launcher in
``--launchers``, one after the other in this one run (list a launcher twice to interleave
rounds: the machine's speed drifts). For each sweep it prints and writes to JSON the sweep's
wall time, the aggregation's, the simulation time (sum over jobs of simulate's wall time),
the *efficiency* (simulation seconds / (workers x sweep seconds): 1.0 would be both workers
simulating all the time) and the overheads: start-up (process start, composing and validating
every job's config, until the first job starts), per job inside the job (resolving, writing
``metrics.parquet`` and ``summary.json``) and per job outside it (the launcher, worker
start-up, Hydra's per-job composition and ``.hydra/`` files), as worker-seconds per job.

Wall-time figures mean little on a shared machine (issue 26: 1.6 s wall per job against
0.33 s CPU), so each sweep also reports CPU-based figures: the CPU seconds of every process
of the sweep (the launching process and its descendants, sampled every half second with
psutil), the simulation's CPU seconds (``cpu_time`` of every ``summary.json``), the
*CPU-based efficiency* (simulation CPU / sweep CPU: the share of the sweep's CPU that went
into simulating, which other work on the machine does not change), the CPU seconds per job
spent on anything else, the sweep's CPU by process role (launcher, forkserver, workers,
others), throughput in jobs and
agent-steps (members x steps) per CPU-second, and the load average at the start and end.
Every process runs with one BLAS thread (:func:`sim.util.threads.pin_threads`).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from sim.util.threads import pin_threads  # noqa: E402  before numpy loads

pin_threads()


def run_sampling_cpu(
    cmd: list[str], every: float = 0.5
) -> tuple[subprocess.CompletedProcess, float, dict[str, float]]:
    """Run ``cmd``; its result, the CPU seconds of it and every process it started, and those
    seconds by role (``launcher``, ``forkserver``, ``workers``, ``other: NAME``).

    Each process's CPU time is sampled every ``every`` seconds while the command runs and its
    last sample counted (so a process's last half second is missed; pool workers live for the
    whole sweep). Waiting is not counted: the figure does not grow on a busy machine. The
    roles show where a surprising total went.
    """
    import psutil

    proc = subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    seen: dict[tuple[int, float], tuple[float, str]] = {}
    root = psutil.Process(proc.pid)
    roles: dict[int, str] = {root.pid: "launcher"}

    def role(p: psutil.Process) -> str:
        if p.pid not in roles:
            # Workers are forks of the forkserver: its command line, its child. Every process
            # here descends from the launcher, whose role is known: the recursion ends there.
            parent = p.parent()
            if parent is not None and role(parent) == "forkserver":
                roles[p.pid] = "workers"
            elif "forkserver" in " ".join(p.cmdline()):
                roles[p.pid] = "forkserver"
            else:
                roles[p.pid] = f"other: {p.name()}"
        return roles[p.pid]

    while proc.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
        except psutil.Error:
            tree = []
        for p in tree:
            try:
                with p.oneshot():
                    times = p.cpu_times()
                    seen[(p.pid, p.create_time())] = (times.user + times.system, role(p))
            except psutil.Error:
                pass
        time.sleep(every)
    out, err = proc.communicate()
    by_role: dict[str, float] = {}
    for cpu, name in seen.values():
        by_role[name] = by_role.get(name, 0.0) + cpu
    done = subprocess.CompletedProcess(cmd, proc.returncode, out, err)
    return done, sum(cpu for cpu, _ in seen.values()), by_role


def one_sweep(launcher: str, n: int, workers: int, sweep: Path, overrides: list[str]) -> dict:
    """Run and aggregate one sweep; its timings (see the module docstring)."""
    from sim.studies.aggregate import aggregate

    cmd = [
        sys.executable,
        str(ROOT / "experiments" / "run.py"),
        "-m",
        f"hydra/launcher={launcher}",
        f"hydra.launcher.n_jobs={workers}",
        f"seed=range(0,{n})",
        *overrides,
        f"hydra.sweep.dir={sweep}",
    ]
    load_start = os.getloadavg()[0]
    t0 = time.time()
    proc, sweep_cpu, cpu_by_role = run_sampling_cpu(cmd)
    t1 = time.time()
    if proc.returncode != 0:
        raise RuntimeError(f"{launcher} sweep failed:\n{proc.stderr[-3000:]}")
    report = aggregate(sweep, plots=True)
    t2 = time.time()

    summaries = [json.loads(p.read_text()) for p in sweep.glob("*/summary.json")]
    sim = [s["wall_time"] for s in summaries]
    sim_cpu = [s.get("cpu_time") or 0.0 for s in summaries]
    job = [s["job_time"] for s in summaries]
    write = [s["timing"].get("write_metrics", 0.0) for s in summaries]
    first_start = min(s["started_unix"] for s in summaries)
    files = sum(1 for p in sweep.rglob("*") if p.is_file())
    count = len(summaries)
    sweep_wall = t1 - t0
    cfg = summaries[0]["config"]
    agent_steps = sum(
        s["config"]["org"]["size"] * s["config"]["steps"] * len(s.get("seeds") or [0])
        for s in summaries
    )
    return {
        "launcher": launcher,
        "jobs": count,
        "ok": report.ok,
        "workers": workers,
        "steps": cfg["steps"],
        "org_size": cfg["org"]["size"],
        "files_per_job": (files - 1) / count,  # without multirun.yaml, before aggregation
        "total_seconds": t2 - t0,
        "sweep_seconds": sweep_wall,
        "aggregate_seconds": t2 - t1,
        "simulation_seconds_sum": sum(sim),
        "simulation_seconds_per_job_mean": statistics.fmean(sim),
        "simulation_seconds_per_job_median": statistics.median(sim),
        "ideal_sweep_seconds": sum(sim) / workers,
        "startup_seconds": first_start - t0,
        "overhead_in_job_seconds_per_job": (sum(job) - sum(sim)) / count,
        "write_files_seconds_per_job": statistics.fmean(write),
        "overhead_outside_job_worker_seconds_per_job": (
            workers * (sweep_wall - (first_start - t0)) - sum(job)
        )
        / count,
        "overhead_total_worker_seconds_per_job": (workers * sweep_wall - sum(sim)) / count,
        "efficiency": sum(sim) / (workers * sweep_wall),
        # CPU-based: what a busy machine does not distort.
        "sweep_cpu_seconds": sweep_cpu,
        "simulation_cpu_seconds_sum": sum(sim_cpu),
        "efficiency_cpu": sum(sim_cpu) / sweep_cpu if sweep_cpu else float("nan"),
        "overhead_cpu_seconds_per_job": (sweep_cpu - sum(sim_cpu)) / count,
        "cpu_seconds_by_role": cpu_by_role,
        "jobs_per_cpu_second": count / sweep_cpu if sweep_cpu else float("nan"),
        "agent_steps_per_cpu_second": agent_steps / sweep_cpu if sweep_cpu else float("nan"),
        "jobs_per_wall_second": count / sweep_wall,
        "blas_threads": sorted({s.get("blas_threads") for s in summaries}, key=str),
        "load_average_at_start": load_start,
        "load_average_at_end": os.getloadavg()[0],
        "command": " ".join(cmd[1:]),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="number of jobs per sweep")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--launchers",
        nargs="+",
        default=["pool", "local_parallel"],
        help="launchers to run, in this order (repeat one for more rounds)",
    )
    parser.add_argument("--out", default="benchmarks/results/bench_sweep.json")
    parser.add_argument("--sweep-dir", default=None, help="default: a temporary directory")
    parser.add_argument("overrides", nargs="*", help="extra Hydra overrides for every job")
    args = parser.parse_args(argv)

    import sim.studies.aggregate  # noqa: F401  imported before timing: not part of any sweep

    tmp = tempfile.TemporaryDirectory(prefix="agora-bench-") if not args.sweep_dir else None
    base = Path(args.sweep_dir or tmp.name)
    runs = []
    for i, launcher in enumerate(args.launchers):
        sweep = base / f"{i}-{launcher}"
        runs.append(one_sweep(launcher, args.n, args.workers, sweep, list(args.overrides)))
        shown = {k: v for k, v in runs[-1].items() if k != "command"}
        print(json.dumps(shown, indent=1), flush=True)
    out = {"cpu_count": os.cpu_count(), "runs": runs}
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2) + "\n")
    keys = [
        "sweep_seconds",
        "ideal_sweep_seconds",
        "efficiency",
        "sweep_cpu_seconds",
        "simulation_cpu_seconds_sum",
        "efficiency_cpu",
        "overhead_cpu_seconds_per_job",
        "jobs_per_cpu_second",
        "jobs_per_wall_second",
        "load_average_at_start",
        "load_average_at_end",
        "startup_seconds",
        "overhead_outside_job_worker_seconds_per_job",
        "overhead_in_job_seconds_per_job",
        "files_per_job",
        "aggregate_seconds",
    ]
    print(f"{'':<45}" + "".join(f"{r['launcher']:>16}" for r in runs))
    for key in keys:
        print(f"{key:<45}" + "".join(f"{r[key]:>16.3f}" for r in runs))
    print(f"written to {path}")
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
