"""Benchmark: the main job (``agora compare`` at its defaults), its CPU time and its wall time.

Usage (from the repository root)::

    python benchmarks/bench_compare.py                    # the default job, CPU and wall rounds
    python benchmarks/bench_compare.py --rounds cpu       # only the one-process CPU round
    python benchmarks/bench_compare.py steps=100          # overrides for every arm

Two rounds, each into a fresh temporary folder (nothing is resumed):

- ``cpu``: the whole job in this one process (``--workers 1``, one BLAS thread), timed with
  ``time.process_time``: the CPU seconds the job costs, whatever else the machine runs. On two
  cores the job's floor is half of it plus the serial part (planning, analysis, report).
- ``wall``: the job as users run it (``--workers 2``), timed by the clock, with the load
  average before and after: on a shared machine the wall time says as much about the others.

Both are written to ``--out`` (JSON) with the number of runs, the pairs of switches run and the
machine's CPU count. The job's promise is under 2 minutes of wall time on 2 quiet cores.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path


def one_round(kind: str, overrides: list[str], folder: Path) -> dict:
    """Run the job once; its timings and size."""
    from sim.cli.compare import main

    workers = 1 if kind == "cpu" else 2
    load_before = os.getloadavg()
    c0, t0 = time.process_time(), time.perf_counter()
    status = main([*overrides, "--out", str(folder), "--workers", str(workers), "--no-progress"])
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    if status != 0:
        raise RuntimeError(f"compare exited with {status}")
    summaries = [json.loads(p.read_text()) for p in folder.glob("runs/**/summary.json")]
    runs = sum(int(s["config"]["replicates"]) for s in summaries)
    pairs = sorted(
        {
            p.parent.name.split("-no-", 1)[1]
            for p in folder.glob("runs/ablations/*/summary.json")
            if "+" in p.parent.name
        }
    )
    return {
        "round": kind,
        "workers": workers,
        "jobs": len(summaries),
        "runs": runs,
        "pairs": pairs,
        "cpu_seconds_this_process": cpu if kind == "cpu" else None,
        "wall_seconds": wall,
        "simulation_seconds_sum": sum(float(s.get("wall_time") or 0) for s in summaries),
        "load_average_before": load_before[0],
        "load_average_after": os.getloadavg()[0],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", nargs="+", choices=("cpu", "wall"), default=["cpu", "wall"])
    parser.add_argument("--out", default="benchmarks/results/bench_compare.json")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides for every arm")
    args = parser.parse_args(argv)
    # One BLAS thread, set before numpy is first imported (the workers inherit it).
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"

    import sim.cli.compare  # noqa: F401  imported before timing: not part of the job

    results = []
    with tempfile.TemporaryDirectory(prefix="agora-bench-compare-") as tmp:
        for i, kind in enumerate(args.rounds):
            results.append(one_round(kind, list(args.overrides), Path(tmp) / f"{i}-{kind}"))
            print(json.dumps(results[-1], indent=1), flush=True)
    out = {"cpu_count": os.cpu_count(), "overrides": args.overrides, "rounds": results}
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
