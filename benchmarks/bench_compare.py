"""Benchmark: the main job (``agora compare`` at its defaults), its CPU time and its wall time.

Usage (from the repository root)::

    python benchmarks/bench_compare.py                    # the default job, CPU and wall rounds
    python benchmarks/bench_compare.py --rounds cpu       # only the one-process CPU round
    python benchmarks/bench_compare.py --rounds tree      # CPU of every process, 2 workers
    python benchmarks/bench_compare.py steps=100          # overrides for every arm
    python benchmarks/bench_compare.py --rounds wall --against /tmp/base --repeat 3

Two rounds, each into a fresh temporary folder (nothing is resumed):

- ``cpu``: the whole job in this one process (``--workers 1``, one BLAS thread), timed with
  ``time.process_time``: the CPU seconds the job costs, whatever else the machine runs. On two
  cores the job's floor is half of it plus the serial part (planning, analysis, report).
- ``wall``: the job as users run it (``--workers 2``), timed by the clock, with the load
  average before and after: on a shared machine the wall time says as much about the others.
- ``tree``: the job as users run it (``agora compare --workers 2`` in its own process), its
  CPU seconds summed over that process and every process it starts (sampled with psutil, as
  ``bench_sweep.py`` does), by role, against the simulation's CPU seconds (``cpu_time`` of
  every job's ``summary.json``): the *CPU-based efficiency*, which a busy machine does not
  distort, and the CPU seconds per run spent on anything else (planning, the pool, writing,
  the analysis and the report).

Both are written to ``--out`` (JSON) with the number of runs, the pairs of switches run and the
machine's CPU count. The job's promise is under 2 minutes of wall time on 2 quiet cores.

``--against DIR`` measures a second checkout's code too (the code before a change, e.g.
``git archive BASE | tar -x -C DIR``): every round runs ``--repeat`` times for each side, each
in a fresh process with that side's code first on its path, alternating which side goes first,
and the medians of each side's wall (and CPU) seconds are printed with their ratio: an A/B
under the same load.
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

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parent))
from ab import checkouts, code_env, in_order  # noqa: E402


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


def tree_round(overrides: list[str], folder: Path) -> dict:
    """Run the job in its own process with 2 workers; the CPU of every process it ran."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_sweep import ROOT, run_sampling_cpu

    cmd = [sys.executable, "-m", "sim.cli", "compare", *overrides, "--out", str(folder)]
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    done, cpu, by_role = run_sampling_cpu([*cmd, "--workers", "2", "--no-progress"])
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"compare exited with {done.returncode}:\n{done.stderr[-3000:]}")
    summaries = [json.loads(p.read_text()) for p in folder.glob("runs/**/summary.json")]
    runs = sum(int(s["config"]["replicates"]) for s in summaries)
    sim_cpu = sum(float(s.get("cpu_time") or 0) for s in summaries)
    return {
        "round": "tree",
        "workers": 2,
        "jobs": len(summaries),
        "runs": runs,
        "cpu_seconds_all_processes": cpu,
        "cpu_seconds_by_role": by_role,
        "simulation_cpu_seconds_sum": sim_cpu,  # 0 for summaries without cpu_time
        "efficiency_cpu": sim_cpu / cpu if cpu else float("nan"),
        "other_cpu_seconds_per_run": (cpu - sim_cpu) / runs if runs else float("nan"),
        "wall_seconds": wall,
        "load_average_before": load_before[0],
        "load_average_after": os.getloadavg()[0],
        "root": str(ROOT),
    }


def one_side(code: Path, rounds: list[str], overrides: list[str], tmp: Path) -> list[dict]:
    """The rounds run in a fresh process with the checkout ``code`` first on its path."""
    out = tmp / "side.json"
    cmd = [sys.executable, str(HERE), "--rounds", *rounds, "--out", str(out), *overrides]
    subprocess.run(cmd, env=code_env(code), check=True, stdout=subprocess.DEVNULL)
    return [{**r, "code": str(code)} for r in json.loads(out.read_text())["rounds"]]


def against(args) -> list[dict]:
    """Every round for this checkout and the one at ``args.against``, ``args.repeat`` times
    each, alternating which goes first; prints each round's medians and their ratio."""
    sides = checkouts(args.against)
    results: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="agora-bench-compare-ab-") as tmp:
        for i in range(args.repeat):
            for side in in_order(sides, i):
                rows = one_side(sides[side], args.rounds, list(args.overrides), Path(tmp))
                results += [{**r, "side": side, "repeat": i} for r in rows]
                print(side, i, [round(r["wall_seconds"], 1) for r in rows], flush=True)
    for kind in args.rounds:
        for key in ("wall_seconds", "cpu_seconds_this_process", "cpu_seconds_all_processes"):
            got = {
                side: [r.get(key) for r in results if r["side"] == side and r["round"] == kind]
                for side in sides
            }
            if all(got.values()) and None not in got["this"] + got["against"]:
                this, base = (statistics.median(got[s]) for s in sides)
                print(f"{kind} {key}: this {this:.1f}, against {base:.1f}: x{this / base:.3f}")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rounds", nargs="+", choices=("cpu", "wall", "tree"), default=["cpu", "wall"]
    )
    parser.add_argument("--out", default="benchmarks/results/bench_compare.json")
    parser.add_argument(
        "--against", metavar="DIR", help="also run every round with the checkout at DIR"
    )
    parser.add_argument("--repeat", type=int, default=3, help="rounds per side with --against")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides for every arm")
    args = parser.parse_args(argv)
    if args.against:
        out = {"cpu_count": os.cpu_count(), "overrides": args.overrides, "rounds": against(args)}
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(out, indent=2) + "\n")
        print(f"written to {args.out}")
        return 0
    # One BLAS thread, set before numpy is first imported (the workers inherit it).
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"

    import sim.cli.compare  # noqa: F401  imported before timing: not part of the job

    results = []
    with tempfile.TemporaryDirectory(prefix="agora-bench-compare-") as tmp:
        for i, kind in enumerate(args.rounds):
            folder = Path(tmp) / f"{i}-{kind}"
            if kind == "tree":
                results.append(tree_round(list(args.overrides), folder))
            else:
                results.append(one_round(kind, list(args.overrides), folder))
            print(json.dumps(results[-1], indent=1), flush=True)
    out = {"cpu_count": os.cpu_count(), "overrides": args.overrides, "rounds": results}
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
