"""Benchmark: a sweep of N default-scenario jobs with the joblib launcher, then aggregation.

Usage (from the repository root)::

    python benchmarks/bench_sweep.py                 # N=1000 jobs of 300 steps, 2 workers
    python benchmarks/bench_sweep.py --n 100 --out benchmarks/results/sweep_100.json

Each job is the default scenario with one replicate and its own root seed
(``seed=range(0,N)``), run by ``experiments/run.py -m hydra/launcher=local_parallel``. Prints
and writes to JSON: the sweep's wall time, the aggregation's, the simulation time (sum over
jobs of simulate's wall time) and the overheads: start-up (process start, composing and
validating every job's config, until the first job starts), per job inside the job
(resolving, writing metrics.parquet and summary.json) and per job outside it (Hydra's
launcher, worker start-up, saving .hydra/), as worker-seconds per job.
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="number of jobs")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default="benchmarks/results/bench_sweep.json")
    parser.add_argument("--sweep-dir", default=None, help="default: a temporary directory")
    parser.add_argument("overrides", nargs="*", help="extra Hydra overrides for every job")
    args = parser.parse_args(argv)

    from sim.runs.aggregate import aggregate  # imported before timing: not part of the sweep

    tmp = tempfile.TemporaryDirectory(prefix="agora-bench-") if not args.sweep_dir else None
    sweep = Path(args.sweep_dir or tmp.name) / "sweep"
    cmd = [sys.executable, str(ROOT / "experiments" / "run.py"), "-m",
           "hydra/launcher=local_parallel", f"hydra.launcher.n_jobs={args.workers}",
           f"seed=range(0,{args.n})", *args.overrides, f"hydra.sweep.dir={sweep}"]
    t0 = time.time()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    t1 = time.time()
    if proc.returncode != 0:
        print(proc.stderr[-3000:], file=sys.stderr)
        return 1
    report = aggregate(sweep, plots=True)
    t2 = time.time()

    summaries = [json.loads(p.read_text()) for p in sweep.glob("*/summary.json")]
    sim = [s["wall_time"] for s in summaries]
    job = [s["job_time"] for s in summaries]
    write = [s["timing"].get("write_metrics", 0.0) for s in summaries]
    first_start = min(s["started_unix"] for s in summaries)
    n = len(summaries)
    sweep_wall = t1 - t0
    out = {
        "jobs": n,
        "ok": report.ok,
        "workers": args.workers,
        "steps": summaries[0]["config"]["steps"],
        "org_size": summaries[0]["config"]["org"]["size"],
        "cpu_count": os.cpu_count(),
        "load_average_at_end": os.getloadavg()[0],
        "total_seconds": t2 - t0,
        "sweep_seconds": sweep_wall,
        "aggregate_seconds": t2 - t1,
        "simulation_seconds_sum": sum(sim),
        "simulation_seconds_per_job_mean": statistics.fmean(sim),
        "simulation_seconds_per_job_median": statistics.median(sim),
        "ideal_sweep_seconds": sum(sim) / args.workers,
        "startup_seconds": first_start - t0,
        "overhead_in_job_seconds_per_job": (sum(job) - sum(sim)) / n,
        "write_files_seconds_per_job": statistics.fmean(write),
        "overhead_outside_job_worker_seconds_per_job": (
            args.workers * (sweep_wall - (first_start - t0)) - sum(job)
        ) / n,
        "overhead_total_worker_seconds_per_job": (args.workers * sweep_wall - sum(sim)) / n,
        "efficiency": sum(sim) / (args.workers * sweep_wall),
        "command": " ".join(cmd[1:]),
    }
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2) + "\n")
    width = max(map(len, out))
    for key, value in out.items():
        shown = f"{value:.3f}" if isinstance(value, float) else value
        print(f"{key:<{width}}  {shown}")
    print(f"written to {path}")
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
