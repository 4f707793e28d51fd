"""Page faults and CPU per agent-step with the allocator keeping freed memory, or not (A/B).

Run: ``python benchmarks/bench_memory.py [--sizes 10000 1000000] [--rounds 2]
[--out benchmarks/results/memory.json]``

Each round runs, at each size, one fresh process with :func:`sim.util.memory.keep_freed_memory`
in force (``keep``, the default) and one under ``AGORA_MALLOC=system`` (``system``: glibc's
defaults), alternating which goes first, so both see the same load. Each process is
``benchmarks/bench_scale.py``'s child: the default scenario at that size, one warm-up step,
then the timed steps, one BLAS thread. Reported: minor page faults per step (``ru_minflt``),
ns per agent-step in CPU time (and wall), peak RSS, the load average; and per size the
median ratio keep / system.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCALE = HERE / "bench_scale.py"
STEPS = {10_000: 100, 1_000_000: 8}


def child(members: int, steps: int, mode: str) -> dict:
    """One measurement in a fresh process (``mode``: ``keep`` or ``system``)."""
    env = dict(os.environ)
    env.pop("AGORA_MALLOC", None)
    if mode == "system":
        env["AGORA_MALLOC"] = "system"
    cmd = [sys.executable, str(SCALE), "--child", str(members), "--steps", str(steps)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    return {"mode": mode, **json.loads(out.stdout.strip().splitlines()[-1])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(STEPS))
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", default="benchmarks/results/memory.json")
    args = parser.parse_args(argv)
    rows = []
    print(
        f"{'members':>10} {'mode':>7} {'faults/step':>12} {'ns/agent-step CPU':>18} "
        f"{'(wall)':>8} {'peak RSS GiB':>13} {'load':>11}"
    )
    for r in range(args.rounds):
        for members in args.sizes:
            modes = ("keep", "system") if r % 2 == 0 else ("system", "keep")
            for mode in modes:
                row = child(members, STEPS.get(members, 20), mode)
                rows.append(row)
                print(
                    f"{members:>10,} {mode:>7} {row['minor_page_faults_per_step']:>12,.0f} "
                    f"{row['ns_per_agent_step_cpu']:>18,.0f} "
                    f"{row['ns_per_agent_step_wall']:>8,.0f} {row['peak_rss_gib']:>13.2f} "
                    f"{row['load_average_at_start']:>5.1f}-{row['load_average_at_end']:<5.1f}",
                    flush=True,
                )
    summary = {}
    for members in args.sizes:

        def med(mode, key, members=members):
            return statistics.median(
                x[key] for x in rows if x["members"] == members and x["mode"] == mode
            )

        summary[members] = {
            f"{key}_{mode}": med(mode, key)
            for key in ("ns_per_agent_step_cpu", "minor_page_faults_per_step", "peak_rss_gib")
            for mode in ("keep", "system")
        }
        s = summary[members]
        s["cpu_ratio_keep_over_system"] = (
            s["ns_per_agent_step_cpu_keep"] / s["ns_per_agent_step_cpu_system"]
        )
        print(
            f"{members:>10,}: CPU per agent-step keep/system = "
            f"{s['cpu_ratio_keep_over_system']:.2f}, faults/step "
            f"{s['minor_page_faults_per_step_keep']:,.0f} vs "
            f"{s['minor_page_faults_per_step_system']:,.0f}, peak RSS "
            f"{s['peak_rss_gib_keep']:.2f} vs {s['peak_rss_gib_system']:.2f} GiB"
        )
    result = {
        "python": sys.version.split()[0],
        "cpu_count": os.cpu_count(),
        "rows": rows,
        "summary": summary,
    }
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
