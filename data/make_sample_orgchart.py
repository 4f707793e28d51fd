"""Generate the sample org chart and observed communication network shipped with Agora.

Writes ``data/sample_orgchart.csv`` (columns ``id, manager_id, unit, level, kind, title``) and
``data/sample_network.csv`` (columns ``source, target, messages``) for a fictional company of
a few hundred people: a CEO, one VP per unit (Sales, Engineering, Operations, Finance, HR,
Customer Support), directors, managers and staff. Employee ids are given in hiring order, not
in the order of the chart, and rows are sorted by id, as an HR export would be: managers often
come after the people who report to them.

The network stands for a month of observed messages (e-mail or chat): people talk mostly
within their own team, less across their unit, and a little across units, more so near the
top and on the customer-facing front (Sales and Customer Support). ``messages`` is the number
of messages seen on the tie (Agora uses only who talks to whom).

Seeded, so re-running gives the same files::

    python data/make_sample_orgchart.py [--seed 2024] [--out data]
"""

from __future__ import annotations

import argparse
import csv
import os
from pathlib import Path

import numpy as np

#: unit -> (directors, managers per director (low, high), staff per manager (low, high))
UNITS = {
    "Sales": (3, (2, 3), (5, 8)),
    "Engineering": (4, (2, 4), (5, 8)),
    "Operations": (3, (2, 3), (4, 7)),
    "Finance": (2, (1, 2), (3, 5)),
    "HR": (1, (2, 2), (3, 4)),
    "Customer Support": (2, (2, 3), (6, 9)),
}
STAFF_TITLE = {
    "Sales": "Account Executive",
    "Engineering": "Engineer",
    "Operations": "Operations Specialist",
    "Finance": "Analyst",
    "HR": "HR Partner",
    "Customer Support": "Support Agent",
}


def make_chart(rng: np.random.Generator) -> list[dict[str, object]]:
    """People as dicts (id assigned later), in top-down order, ``manager`` a list index."""
    people = [dict(manager=-1, unit="", level=0, kind="executive", title="Chief Executive")]
    for unit, (n_dir, mgr_range, staff_range) in UNITS.items():
        vp = len(people)
        people.append(dict(manager=0, unit=unit, level=1, kind="vp", title=f"VP {unit}"))
        for _ in range(n_dir):
            director = len(people)
            people.append(
                dict(manager=vp, unit=unit, level=2, kind="director", title=f"Director, {unit}")
            )
            for _ in range(int(rng.integers(mgr_range[0], mgr_range[1] + 1))):
                manager = len(people)
                people.append(
                    dict(
                        manager=director,
                        unit=unit,
                        level=3,
                        kind="manager",
                        title=f"{unit} Manager",
                    )
                )
                for _ in range(int(rng.integers(staff_range[0], staff_range[1] + 1))):
                    people.append(
                        dict(
                            manager=manager,
                            unit=unit,
                            level=4,
                            kind="staff",
                            title=STAFF_TITLE[unit],
                        )
                    )
    return people


def make_network(people: list[dict], rng: np.random.Generator) -> dict[tuple[int, int], int]:
    """Observed ties (i, j) -> messages seen, over list indices."""
    n = len(people)
    manager = np.array([p["manager"] for p in people])
    unit = np.array([p["unit"] for p in people])
    level = np.array([p["level"] for p in people])
    ties: dict[tuple[int, int], int] = {}

    def add(i: int, j: int, weight: int) -> None:
        if i != j:
            key = (min(i, j), max(i, j))
            ties[key] = ties.get(key, 0) + weight

    for i in range(n):
        if manager[i] >= 0:  # people talk to their manager, often
            add(i, int(manager[i]), int(rng.integers(10, 40)))
        team = np.flatnonzero((manager == manager[i]) & (np.arange(n) != i))
        for j in rng.choice(team, size=min(team.size, 3), replace=False) if team.size else []:
            add(i, int(j), int(rng.integers(5, 30)))
        same_unit = np.flatnonzero((unit == unit[i]) & (manager != manager[i]))
        if same_unit.size and rng.random() < 0.6:
            add(i, int(rng.choice(same_unit)), int(rng.integers(2, 12)))
        # Across units: more likely near the top and on the customer-facing front.
        p_cross = 0.15 + 0.2 * (level[i] <= 2) + 0.25 * (unit[i] in ("Sales", "Customer Support"))
        if rng.random() < p_cross:
            other = np.flatnonzero((unit != unit[i]) & (unit != ""))
            add(i, int(rng.choice(other)), int(rng.integers(1, 8)))
    return ties


def _write_csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    people = make_chart(rng)
    ties = make_network(people, rng)
    # Ids in hiring order: the CEO first, everyone else in random order.
    hired = np.concatenate([[0], 1 + rng.permutation(len(people) - 1)])
    ids = {int(k): f"E{pos + 1001:04d}" for pos, k in enumerate(hired)}
    rows = [
        [
            ids[k],
            ids[p["manager"]] if p["manager"] >= 0 else "",
            p["unit"],
            p["level"],
            p["kind"],
            p["title"],
        ]
        for k, p in enumerate(people)
    ]
    rows.sort(key=lambda r: r[0])
    args.out.mkdir(parents=True, exist_ok=True)
    _write_csv(
        args.out / "sample_orgchart.csv",
        ["id", "manager_id", "unit", "level", "kind", "title"],
        rows,
    )
    edges = sorted([ids[i], ids[j], w] for (i, j), w in ties.items())
    _write_csv(args.out / "sample_network.csv", ["source", "target", "messages"], edges)
    print(f"{len(rows)} people, {len(edges)} ties -> {args.out}")


if __name__ == "__main__":
    main()
