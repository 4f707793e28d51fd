"""Where a step's CPU goes: a cProfile of the default scenario at one size, in CPU time.

Run: ``python benchmarks/bench_profile.py [--members 100000] [--steps 10] [--top 25]
[--out benchmarks/results/profile_100000.json]``

The model is built as in ``benchmarks/bench_scale.py`` (same scenario at ``members``), stepped
once to warm up, then profiled for ``--steps`` steps with :func:`time.process_time` as the
profiler's clock, so time spent waiting for a core on a shared machine is left out. Prints
and writes the functions with the most CPU of their own (``tottime``) and with their callees
(``cumtime``), per step, and their share of the step. One BLAS thread.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
from sim.util.threads import pin_threads  # noqa: E402  before numpy loads

pin_threads()


def profile(members: int, steps: int) -> tuple[float, list[dict]]:
    """CPU seconds per step and one row per function, most own CPU first."""
    from bench_scale import config

    from sim.config import to_config
    from sim.model import AgoraModel

    model = AgoraModel(to_config(config(members)), seed=0)
    model.step()
    profiler = cProfile.Profile(time.process_time)
    c = time.process_time()
    profiler.enable()
    for _ in range(steps):
        model.step()
    profiler.disable()
    step_cpu = (time.process_time() - c) / steps
    stats = pstats.Stats(profiler).stats
    rows = [
        {
            "function": f"{Path(file).name}:{line}({name})",
            "calls_per_step": calls / steps,
            "own_ms_per_step": 1e3 * own / steps,
            "cum_ms_per_step": 1e3 * cum / steps,
            "own_share": own / steps / step_cpu,
        }
        for (file, line, name), (_, calls, own, cum, _) in stats.items()
    ]
    return step_cpu, sorted(rows, key=lambda r: -r["own_ms_per_step"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    step_cpu, rows = profile(args.members, args.steps)
    print(
        f"{args.members:,} members: {1e3 * step_cpu:.1f} ms CPU per step (profiled), "
        f"load average {load:.1f}-{os.getloadavg()[0]:.1f}"
    )
    print(f"{'own ms/step':>12} {'share':>6} {'cum ms/step':>12} {'calls/step':>11}  function")
    for r in rows[: args.top]:
        print(
            f"{r['own_ms_per_step']:>12.2f} {r['own_share']:>6.1%} {r['cum_ms_per_step']:>12.2f} "
            f"{r['calls_per_step']:>11.1f}  {r['function']}"
        )
    path = Path(args.out or f"benchmarks/results/profile_{args.members}.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "members": args.members,
                "steps": args.steps,
                "step_cpu_s": step_cpu,
                "load_average_at_start": load,
                "rows": rows[: args.top],
            },
            indent=2,
        )
        + "\n"
    )
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
