"""Generate the two communication networks of Lazer & Friedman (2007) for Agora's network input.

Writes, for 100 agents ``m000`` to ``m099`` (the paper's population):

* ``data/lazer_friedman_full_chart.csv`` and ``..._full_network.csv``: the totally connected
  network (every pair talks); the chart is a flat group (everyone reports to ``m000``, a
  reporting line that is also one of the ties).
* ``data/lazer_friedman_linear_chart.csv`` and ``..._linear_network.csv``: the linear network
  (a line: each agent talks to the one before and the one after it; the two ends to one); the
  chart is the same chain, so the reporting lines add no tie.

No randomness: re-running gives the same files::

    python data/make_lazer_friedman_networks.py [--agents 100] [--out data]
"""

from __future__ import annotations

import argparse
from pathlib import Path


def write(out: Path, agents: int = 100) -> list[Path]:
    """Write the four files into ``out``; return their paths."""
    ids = [f"m{i:03d}" for i in range(agents)]
    files = {
        "full_chart": ["id,manager_id,unit,title"]
        + [f"{p},{'' if i == 0 else ids[0]},group,Agent {i}" for i, p in enumerate(ids)],
        "full_network": ["source,target"]
        + [f"{ids[i]},{ids[j]}" for i in range(agents) for j in range(i + 1, agents)],
        "linear_chart": ["id,manager_id,unit,title"]
        + [f"{p},{'' if i == 0 else ids[i - 1]},group,Agent {i}" for i, p in enumerate(ids)],
        "linear_network": ["source,target"] + [f"{ids[i]},{ids[i + 1]}" for i in range(agents - 1)],
    }
    paths = []
    for name, lines in files.items():
        path = out / f"lazer_friedman_{name}.csv"
        path.write_text("\n".join(lines) + "\n")
        paths.append(path)
    return paths


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--agents", type=int, default=100)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent)
    args = ap.parse_args()
    for path in write(args.out, args.agents):
        print(path)


if __name__ == "__main__":
    main()
