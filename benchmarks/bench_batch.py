"""Batched replicates against single ones, in one run: CPU per replicate.

Run: ``python benchmarks/bench_batch.py [--rounds 3] [--out benchmarks/results/batch.json]``

Two engines step replicates together, each seed for seed equal to the Mesa model:
:func:`sim.march.run_batch` for March's (1991) model (``tests/test_march.py``) and
:func:`sim.batch.run_batch` for most configurations of the general model (``tests/
test_batch.py``). Each round, interleaved so the machine's drift falls on every case alike,
this measures per replicate:

- ``march_kernel_R``: March's kernel at R = 1, 10 and 100 replicates in one batch;
- ``march_mesa``: the same configuration and seeds through the Mesa model, one replicate at
  a time (:class:`sim.model.AgoraModel`);
- ``default_batch_R``: the default scenario batched, R = 10 and 30 replicates in one batch;
- ``default_single``: the default scenario through the Mesa model, one replicate at a time;
- ``arms_together``: the main job's three regime arms (broadcast, hybrid, conversational; 10
  seeds each) as one batch of 30 worlds, each under its own practices
  (:func:`sim.simulation.run_arms`), against ``arms_apart``: each arm's 10 batched alone.

CPU time (``time.process_time``) with one BLAS thread; the minimum and the median over
rounds, and the load average around the run. A benchmark, not a timed test.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from sim.util.threads import blas_threads, pin_threads  # noqa: E402  before numpy loads

pin_threads()

#: Batch sizes of March's kernel and of the general model's batch, and how many replicates
#: each single-replicate case runs per round.
BATCHES = (1, 10, 100)
DEFAULT_BATCHES = (10, 30)
MESA_REPLICATES = 3
DEFAULT_REPLICATES = 3


def _cpu_per_replicate(run, replicates: int) -> float:
    started = time.process_time()
    run()
    return (time.process_time() - started) / replicates


def cases() -> dict:
    """Name -> (function running the case, replicates it runs)."""
    from sim import batch
    from sim.config import load_config
    from sim.march import run_batch
    from sim.model import AgoraModel
    from sim.simulation import run_arms
    from sim.util.seeding import replicate_seeds

    march = load_config(["scenario=march1991"])
    default = load_config([])
    seeds = replicate_seeds(march.seed, max(BATCHES))

    def mesa(cfg, n):
        def run():
            for seed in replicate_seeds(cfg.seed, n):
                AgoraModel(cfg, seed=seed).run()

        return run

    out = {f"march_kernel_{r}": (lambda r=r: run_batch(march, seeds[:r]), r) for r in BATCHES}
    out["march_mesa"] = (mesa(march, MESA_REPLICATES), MESA_REPLICATES)
    for r in DEFAULT_BATCHES:
        out[f"default_batch_{r}"] = (
            lambda r=r: batch.run_batch(default, replicate_seeds(default.seed, r)),
            r,
        )
    out["default_single"] = (mesa(default, DEFAULT_REPLICATES), DEFAULT_REPLICATES)
    arms = [load_config([f"regime={r}"]) for r in ("broadcast", "hybrid", "conversational")]
    ten = replicate_seeds(default.seed, 10)
    out["arms_together"] = (lambda: run_arms([(a, 0, ten) for a in arms]), 3 * len(ten))
    out["arms_apart"] = (lambda: [batch.run_batch(a, ten) for a in arms], 3 * len(ten))
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "batch.json"))
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    todo = cases()
    for run, _ in todo.values():  # warm up: imports, first allocations
        run()
    times: dict[str, list[float]] = {name: [] for name in todo}
    for _ in range(args.rounds):
        for name, (run, replicates) in todo.items():
            times[name].append(_cpu_per_replicate(run, replicates))
    result = {
        "cpu_s_per_replicate": {
            name: {"min": min(t), "median": statistics.median(t)} for name, t in times.items()
        },
        "blas_threads": blas_threads(),
        "load_average": [load_before, os.getloadavg()],
        "rounds": args.rounds,
    }
    per = result["cpu_s_per_replicate"]
    for name, row in per.items():
        single = per["march_mesa" if name.startswith("march") else "default_single"]["min"]
        row["speedup_vs_single"] = single / row["min"]
        print(f"{name:16s} {row['min'] * 1e3:9.2f} ms min  {row['median'] * 1e3:9.2f} ms median")
    print(f"load average {load_before} -> {os.getloadavg()}, BLAS threads {blas_threads()}")
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
