"""Throughput by organization size: agent-steps per CPU-second and peak memory, 1k to 1M members.

Run: ``python benchmarks/bench_scale.py [--sizes 1000 10000 100000 1000000]
[--rounds 1] [--against DIR] [--out benchmarks/results/scale.json]``

``--against DIR`` runs every size with the code of a second checkout too (the code before a
change, e.g. ``git archive BASE | tar -x -C DIR``), measured by this file, alternating which
goes first round by round, and prints per size the ratio of the medians: an A/B under the
same load and the same measurement.

Each size runs in a fresh process (so its peak resident memory is its own) with one BLAS
thread (:func:`sim.util.threads.pin_threads`). The default scenario at ``org.size`` = N
(stakeholders ``max(50, min(2000, N // 4))``, hierarchy depth growing with N so spans stay
near ten to thirty) is built, stepped ``WARMUP`` times, then stepped ``STEPS[N]`` more times.
Reported per size: agent-steps (members x steps) per CPU-second and the nanoseconds per
agent-step (CPU and wall) of the timed steps, the same for the warm-up steps on their own,
setup CPU per member, minor page faults per step, peak RSS, and the load average around the
run. CPU time is the figure to read on a shared machine: it leaves out the time the process
waited for a core.

The first steps of a large model cost more than the ones after: the process's heap is still
growing to its high-water mark, and each page of it faults in zeroed (at 1M members, steps 2
to 11 took 508 ns per agent-step and 55 ms of kernel CPU per step; steps 11 to 30, 447 ns and
6 ms). The timed steps come after ``WARMUP`` steps, so they measure a long run's steps; the
warm-up's figure is printed beside them. 100k and 1M members are timed over the same steps
(11 to 30), so they compare the same phase of the dynamics.

Targets of issue 26 (a benchmark, not a timed test): >= 3M agent-steps per CPU-second at
every size from 10k to 1M, ns per agent-step at 1M at most 1.2x that at 100k, peak RSS at 1M
at most 1.5 GiB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ab import checkouts, code_env, code_root, in_order  # noqa: E402

sys.path.insert(0, str(code_root()))  # the checkout measured: this one, or --against's
from sim.util.threads import blas_threads, pin_threads  # noqa: E402  before numpy loads

pin_threads()

#: Steps timed at each size (after the warm-up): enough work to dwarf the timer, little
#: enough that 1M members finish in a minute.
STEPS = {1_000: 300, 10_000: 100, 100_000: 20, 1_000_000: 20}
#: Steps before the timed ones, at every size: lazy imports, the heap's growth (see above).
WARMUP = 10
DEPTH = {1_000: 4, 10_000: 5, 100_000: 6, 1_000_000: 7}


def config(members: int) -> dict:
    """The default scenario at ``members`` members (see the module docstring)."""
    depth = DEPTH.get(members, max(3, len(str(members))))
    return {
        "org": {"size": members},
        "hierarchy": {"depth": depth},
        "stakeholders": {"count": max(50, min(2000, members // 4))},
        "limits": {"memory_gb": 20},
    }


def measure(members: int, steps: int) -> dict:
    """Build and step the model in this process; its figures."""
    from sim.config import to_config
    from sim.model import AgoraModel

    cfg = to_config(config(members))
    load_start = os.getloadavg()[0]
    c0, w0 = time.process_time(), time.perf_counter()
    model = AgoraModel(cfg, seed=0)
    setup_cpu = time.process_time() - c0
    c_warm = time.process_time()
    for _ in range(WARMUP):  # lazy imports, the heap's growth to its high-water mark
        model.step()
    warmup_cpu = time.process_time() - c_warm
    faults0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    c1, w1 = time.process_time(), time.perf_counter()
    for _ in range(steps):
        model.step()
    cpu, wall = time.process_time() - c1, time.perf_counter() - w1
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults0
    work = members * steps
    return {
        "members": members,
        "steps": steps,
        "agent_steps": work,
        "agent_steps_per_cpu_s": work / cpu,
        "agent_steps_per_wall_s": work / wall,
        "ns_per_agent_step_cpu": 1e9 * cpu / work,
        "ns_per_agent_step_wall": 1e9 * wall / work,
        "step_cpu_s": cpu / steps,
        "warmup_steps": WARMUP,
        "ns_per_agent_step_cpu_warmup": 1e9 * warmup_cpu / (members * WARMUP),
        "setup_cpu_us_per_member": 1e6 * setup_cpu / members,
        "minor_page_faults_per_step": faults / steps,
        "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
        "total_wall_s": time.perf_counter() - w0,
        "blas_threads": blas_threads(),
        "load_average_at_start": load_start,
        "load_average_at_end": os.getloadavg()[0],
    }


def _child(code: Path, members: int, steps: int | None) -> dict:
    """One size measured in a fresh process by this file, with the code of the checkout
    ``code`` (this one or another)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(members)]
    if steps:
        cmd += ["--steps", str(steps)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=code_env(code))
    return json.loads(out.stdout.strip().splitlines()[-1])


def _print_row(row: dict) -> None:
    print(
        f"{row['members']:>10,} {row['code']:>8} {row['agent_steps_per_cpu_s'] / 1e6:>17.2f}M "
        f"{row['ns_per_agent_step_cpu']:>18,.0f} {row['ns_per_agent_step_wall']:>8,.0f} "
        f"{row.get('ns_per_agent_step_cpu_warmup', float('nan')):>12,.0f} "
        f"{row['setup_cpu_us_per_member']:>16.1f} "
        f"{row['minor_page_faults_per_step']:>12,.0f} {row['peak_rss_gib']:>13.2f} "
        f"{row['load_average_at_start']:>5.1f}-{row['load_average_at_end']:<5.1f}",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(STEPS))
    parser.add_argument(
        "--steps", type=int, default=None, help="steps timed at every size (default: STEPS by size)"
    )
    parser.add_argument("--out", default="benchmarks/results/scale.json")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument(
        "--against", metavar="DIR", help="also run every size from the checkout at DIR, interleaved"
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.child, args.steps or STEPS.get(args.child, 20))))
        return 0
    trees = checkouts(args.against)  # with --against, an A/B interleaved (benchmarks/ab.py)
    rows = []
    print(
        f"{'members':>10} {'code':>8} {'agent-steps/CPU-s':>18} {'ns/agent-step CPU':>18} "
        f"{'(wall)':>8} {'(warm-up)':>12} {'setup us/member':>16} {'faults/step':>12} "
        f"{'peak RSS GiB':>13} {'load':>11}"
    )
    for r in range(args.rounds):
        for members in args.sizes:
            for name in in_order(trees, r):
                row = {"code": name, **_child(trees[name], members, args.steps)}
                rows.append(row)
                _print_row(row)
    if args.against:
        for members in args.sizes:
            ns = {
                name: [
                    x["ns_per_agent_step_cpu"]
                    for x in rows
                    if x["members"] == members and x["code"] == name
                ]
                for name in trees
            }
            # The best round is the one least slowed by other processes sharing the caches
            # and cores: on a busy machine it varies less than the median.
            print(
                f"{members:>10,}: CPU per agent-step this / against = "
                f"{statistics.median(ns['this']) / statistics.median(ns['against']):.2f} "
                f"(medians), {min(ns['this']) / min(ns['against']):.2f} (best rounds)"
            )
    result = {"python": sys.version.split()[0], "cpu_count": os.cpu_count(), "rows": rows}
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
