"""Speed of the teaching app's side by side on the server: one step of both models and the
data the browser draws from, at most 20 ms of CPU.

Run: ``python benchmarks/bench_app.py [--steps 30] [--out benchmarks/results/app.json]``

At the default size (each organization 200 people and 50 stakeholders, the default scenario),
A at the broadcast end and B at the conversational end, as the app opens. One *frame* is what
the server does per click of Step: both models step once (:meth:`sim.lab.pair.Pair.step`) and
the patches the browser draws from are built and encoded as JSON (:mod:`sim.lab.charts`: the
dots' colours and the messages of each network, the new point of each curve). Reports best and
median wall and CPU time: the machine is shared, so CPU time is the steadier figure. It also
times building a pair and its first pictures' data (what a join costs), and each export once
(the PNG and GIF are drawn with matplotlib only then). The whole server with real browsers is
measured by ``benchmarks/bench_classroom.py``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

TARGET_S = 0.02


def measure(steps: int) -> dict:
    from sim.lab.charts import MetricsFeed, NetworksFeed, dumps, network_patch
    from sim.lab.controls import complete
    from sim.lab.pair import Pair

    class Sink:  # stands for the browser's widget: receives the patch text
        patch = ""

    Pair(complete(regime="broadcast"), complete(regime="conversational"))  # one-time costs
    started = time.process_time()
    pair = Pair(complete(regime="broadcast"), complete(regime="conversational"))
    networks, metrics = NetworksFeed(pair), MetricsFeed(pair)
    build = time.process_time() - started
    sink = Sink()
    walls, cpus, sizes = [], [], []
    for _ in range(steps):
        w, c = time.perf_counter(), time.process_time()
        pair.step()
        networks(sink)
        size = len(sink.patch)
        metrics(sink)
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
        sizes.append(size + len(sink.patch))
    option_bytes = len(dumps(networks.option)) + len(dumps(metrics.option))
    assert network_patch(pair, networks.option["id"])["step"] == pair.current_step
    exports = {}
    for name, export in (("csv", pair.csv), ("png", pair.png), ("gif", pair.gif)):
        w = time.perf_counter()
        data = export()
        exports[name] = {"wall_s": round(time.perf_counter() - w, 4), "bytes": len(data)}
    nodes = [m.n_nodes for m in pair.models]
    return {
        "case": "side by side, default size, step of both + the browser's patches",
        "nodes_per_model": nodes,
        "frames": steps,
        "target_s": TARGET_S,
        "wall_best_s": round(min(walls), 4),
        "wall_median_s": round(statistics.median(walls), 4),
        "cpu_best_s": round(min(cpus), 4),
        "cpu_median_s": round(statistics.median(cpus), 4),
        "meets_target_cpu": statistics.median(cpus) < TARGET_S,
        "meets_target_wall": statistics.median(walls) < TARGET_S,
        "join_cpu_s": round(build, 3),
        "patch_bytes_median": int(statistics.median(sizes)),
        "whole_pictures_bytes": option_bytes,
        "exports": exports,
        "gif_frames": len(pair.frames),
        "python": platform.python_version(),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30, help="frames to time (default 30)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/app.json"))
    args = parser.parse_args(argv)
    from sim.util.threads import pin_threads

    pin_threads()  # one BLAS thread, as every benchmark and the agora command
    result = measure(args.steps)
    from sim.util.atomic import write_text_atomic

    write_text_atomic(args.out, json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0 if result["meets_target_cpu"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
