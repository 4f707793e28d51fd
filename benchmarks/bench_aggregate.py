"""Benchmark: aggregating a sweep (``sim.studies.aggregate.aggregate``), its wall and CPU time.

Usage (from the repository root)::

    python benchmarks/bench_aggregate.py                          # 1000 default jobs, 3 rounds
    python benchmarks/bench_aggregate.py --sweep DIR --rounds 5   # an existing sweep
    python benchmarks/bench_aggregate.py --against /tmp/base      # A/B with another checkout

Without ``--sweep`` it first runs a sweep of ``--n`` default jobs of one replicate each
(``seed=range(0,N)``, the ``pool`` launcher, 2 workers) into a temporary folder. Each round
aggregates a fresh copy of the sweep (with the plots and the Parquet dataset, as
``agora aggregate`` does) in a fresh process with one BLAS thread, timed by the clock and by
``time.process_time``, the load average beside it.

``--against DIR`` runs every round with a second checkout's code too (the code before a
change, e.g. ``git archive BASE | tar -x -C DIR``), that checkout first on the process's
path, alternating which side goes first, and prints the medians and their ratio: an A/B under
the same load.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ab import ROOT, checkouts, code_env, code_root, in_order  # noqa: E402


def make_sweep(n: int, folder: Path) -> None:
    """``n`` default jobs of one replicate each into ``folder`` (the pool launcher)."""
    cmd = [
        sys.executable,
        str(ROOT / "experiments" / "run.py"),
        "-m",
        "hydra/launcher=pool",
        "hydra.launcher.n_jobs=2",
        f"seed=range(0,{n})",
        f"hydra.sweep.dir={folder}",
    ]
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def one_round(sweep: Path) -> dict:
    """Aggregate a fresh copy of ``sweep`` in this process; its timings."""
    sys.path.insert(0, str(code_root()))
    from sim.util.threads import pin_threads

    pin_threads()
    import sim.studies.aggregate as aggregate_module  # imported before timing

    with tempfile.TemporaryDirectory(prefix="agora-bench-aggregate-") as tmp:
        copy = Path(tmp) / "sweep"
        shutil.copytree(sweep, copy)
        load = os.getloadavg()[0]
        c0, t0 = time.process_time(), time.perf_counter()
        report = aggregate_module.aggregate(copy, plots=True)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {
        "jobs": report.jobs,
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "cpu_ms_per_job": 1000 * cpu / max(report.jobs, 1),
        "load_average_before": load,
        "load_average_after": os.getloadavg()[0],
        "code": str(Path(aggregate_module.__file__).resolve().parent.parent.parent),
    }


def run_round(sweep: Path, code: Path) -> dict:
    """:func:`one_round` in a fresh process measuring the checkout ``code``."""
    env = {**code_env(code), "OPENBLAS_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    done = subprocess.run(
        [sys.executable, __file__, "--one-round", str(sweep)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="jobs in the sweep made first")
    parser.add_argument("--sweep", help="aggregate this sweep instead of making one")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--against", metavar="DIR", help="also measure the checkout at DIR")
    parser.add_argument("--out", default="benchmarks/results/aggregate.json")
    parser.add_argument("--one-round", metavar="SWEEP", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one_round:
        print(json.dumps(one_round(Path(args.one_round))))
        return 0
    sides = checkouts(args.against)
    with tempfile.TemporaryDirectory(prefix="agora-bench-sweep-") as tmp:
        sweep = Path(args.sweep) if args.sweep else Path(tmp) / "sweep"
        if not args.sweep:
            make_sweep(args.n, sweep)
        rounds = []
        for i in range(args.rounds):
            for side in in_order(sides, i):
                row = {"side": side, "round": i, **run_round(sweep, sides[side])}
                rounds.append(row)
                print(json.dumps(row), flush=True)
    medians = {
        side: statistics.median(r["wall_seconds"] for r in rounds if r["side"] == side)
        for side in sides
    }
    for side, wall in medians.items():
        print(f"{side}: median {wall:.2f} s wall")
    if args.against:
        print(f"this / against: x{medians['this'] / medians['against']:.3f}")
    out = {"cpu_count": os.cpu_count(), "sweep": args.sweep or f"{args.n} default jobs"}
    out["rounds"], out["median_wall_seconds"] = rounds, medians
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
