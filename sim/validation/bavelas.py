"""Bavelas-Leavitt five-person networks through Agora's own network input.

The scenario ``bavelas_leavitt`` loads an org chart and a communication network from
``data/bavelas_<net>_chart.csv`` and ``data/bavelas_<net>_network.csv`` (wheel, chain, Y,
circle; person C is the centre of the wheel, the middle of the chain and the fork of the Y).
The reporting lines of each chart are edges of the net itself, so the five people can message
exactly the colleagues the experiment allowed; no organization broadcasts or listens.

What is compared, and how it was obtained
-----------------------------------------
* Leavitt (1951) Journal of Abnormal and Social Psychology; his 1949 MIT thesis (abstract, p. ii,
  read through our search tool on studylib): five members, four patterns (circle, chain, Y,
  wheel), a task of simple collation of data. Only the abstract's opening was readable.
* The Pfeiffer Library vol. 6 (1998), p. 368 (secondary, read through our tool): the most
  central position has the greatest centrality in the leader-centred pattern (wheel), less in
  the Y and still less in the chain; no position of the circle is more central than another;
  centrality "primarily determines the leadership role, variation of activity, and
  group-member satisfaction". These are patterns: no number was obtained.
* levminikes.com (2025, secondary, read through our tool): with a clear task the wheel groups
  were fastest, "almost twice as fast" as the circle. A pattern (the factor comes from a blog
  and is not used as a target).
* Shaw (1964): not readable through our tool; its simple-versus-complex findings are not used.
  Time and errors on a simple (5 dimensions) and a complex (20 dimensions) task are reported.

Centrality is Bavelas's index ``sum of all distances / sum of distances from i``, computed on
the network the model actually built from the CSVs (an exact check of the input path).

Examples
--------
>>> c = centrality("wheel")
>>> [round(c[p], 2) for p in "CABDE"]
[8.0, 4.57, 4.57, 4.57, 4.57]
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from sim.util.stats import diff_ci
from sim.validation.common import Comparison, fmt_ci, row, save_figure
from sim.validation.traces import seeds, trace

__all__ = ["NETS", "POSITIONS", "centrality", "overrides", "run"]

NETS = ("wheel", "y", "chain", "circle")
#: Person i of the model is data row i of the chart: C first.
POSITIONS = ("C", "A", "B", "D", "E")
#: Tasks: dimensions of reality (how much must be pooled) and steps run.
TASKS = {"simple": 5, "complex": 20}
#: Time to solve: the first step at which the group's mean share of right beliefs reaches this.
SOLVED = 0.8

LEAVITT = "Leavitt (1949) MIT thesis, abstract p. ii"
PFEIFFER = "Pfeiffer Library vol. 6 (1998) p. 368 (secondary)"
BLOG = "levminikes.com (2025), secondary, on Bavelas & Leavitt"


def overrides(net: str, dims: int = 5, steps: int = 60) -> list[str]:
    """The ``load_config`` overrides of one network and task."""
    if net not in NETS:
        raise ValueError(f"net must be one of {NETS}, got {net!r}")
    return [
        "scenario=bavelas_leavitt",
        f"org.chart=data/bavelas_{net}_chart.csv",
        f"org.network=data/bavelas_{net}_network.csv",
        f"environment.dims={dims}",
        f"steps={steps}",
    ]


def centrality(net: str) -> dict[str, float]:
    """Bavelas's centrality index of each position, on the network the model built."""
    import networkx as nx

    from sim.config import load_config
    from sim.model import AgoraModel

    model = AgoraModel(load_config(overrides(net, steps=1)), seed=0)
    nw = model.network
    g = nx.Graph()
    for i in range(model.n_individuals):
        for j in nw.indices[nw.indptr[i] : nw.indptr[i + 1]]:
            if j < model.n_individuals:
                g.add_edge(i, int(j))
    dist = dict(nx.all_pairs_shortest_path_length(g))
    from_i = {i: sum(dist[i].values()) for i in g}
    total = sum(from_i.values())
    return {POSITIONS[i]: total / from_i[i] for i in sorted(g)}


def _runs(net: str, task: str, replicates: int, steps: int, seed: int) -> dict[str, np.ndarray]:
    from sim.config import load_config
    from sim.simulation import window_steps

    cfg = load_config(overrides(net, TASKS[task], steps))
    share, eng_gap, eng, solve, wrong = [], [], [], [], []
    for s in seeds(seed, replicates):
        t = trace(cfg, s)
        rec = t["received"].sum(axis=0)
        share.append(rec[0] / max(rec.sum(), 1))
        first, last = window_steps(steps)  # the trace's row i is step i + 1
        e = t["engagement"][first - 1 : last].mean(axis=0)
        eng.append(e)
        eng_gap.append(e[0] - e[1:].mean())
        group = t["right"].mean(axis=1)
        hit = np.flatnonzero(group >= SOLVED)
        solve.append(hit[0] + 1 if hit.size else steps + 1)  # censored at the horizon
        wrong.append(t["wrong"][-1].mean())
    return {
        "hub_share": np.array(share),
        "eng_gap": np.array(eng_gap),
        "engagement": np.array(eng),
        "time": np.array(solve, float),
        "errors": np.array(wrong),
    }


Results = dict[tuple[str, str], dict[str, np.ndarray]]
Section = tuple[list[dict], dict[str, bool]]


def _centrality_section(cent: dict[str, dict[str, float]]) -> Section:
    """1. Centrality (exact, on the loaded network)."""
    top = {net: max(cent[net], key=cent[net].__getitem__) for net in NETS}
    exact_ok = (
        all(top[n] == "C" for n in ("wheel", "y", "chain"))
        and cent["wheel"]["C"] > cent["y"]["C"] > cent["chain"]["C"]
        and np.ptp(list(cent["circle"].values())) < 1e-12
    )
    rows = [
        row(
            f"{net}: Bavelas centrality C, A, B, D, E",
            PFEIFFER,
            "exact",
            "C most central: wheel > Y > chain; circle all equal",
            ", ".join(f"{cent[net][p]:.2f}" for p in POSITIONS),
            "",
            "",
            "pass" if exact_ok else "FAIL",
            through="reference",
        )
        for net in NETS
    ]
    return rows, {"centrality": exact_ok}


def _hub_section(res: Results) -> Section:
    """2. Who emerges as the hub: C's share of all messages received (simple task)."""
    rows, checks = [], {}
    for net in NETS:
        h = res[net, "simple"]["hub_share"]
        lo, hi = _mean_ci(h)
        expect = net != "circle"
        ok = lo > 0.2 if expect else lo < 0.2 < hi
        checks[f"hub {net}"] = bool(ok)
        rows.append(
            row(
                f"{net}: C's share of messages received",
                PFEIFFER,
                "pattern",
                "> 1/5 where C is most central; 1/5 in the circle",
                f"{h.mean():.3f}",
                f"{h.mean() - 0.2:+.3f} vs 1/5",
                fmt_ci(lo, hi),
                "pass" if ok else "FAIL",
            )
        )
    order = [res[n, "simple"]["hub_share"].mean() for n in ("wheel", "y", "chain")]
    ok = order[0] > order[1] > order[2]
    checks["hub ordering"] = bool(ok)
    rows.append(
        row(
            "C's share: wheel > Y > chain",
            PFEIFFER,
            "pattern",
            "centrality of C: wheel > Y > chain",
            " > ".join(f"{v:.3f}" for v in order),
            "",
            "",
            "pass" if ok else "FAIL",
        )
    )
    return rows, checks


def _satisfaction_section(res: Results) -> Section:
    """3. Satisfaction (engagement) by position: C minus the others, paired within runs."""
    rows, checks = [], {}
    for net in ("wheel", "y", "chain"):
        g = res[net, "simple"]["eng_gap"]
        lo, hi = _mean_ci(g)
        ok = lo > 0
        checks[f"satisfaction {net}"] = bool(ok)
        rows.append(
            row(
                f"{net}: engagement of C minus the others (last third)",
                PFEIFFER,
                "pattern",
                "> 0 (centrality determines satisfaction)",
                f"{g.mean():+.4f}",
                "",
                fmt_ci(lo, hi),
                "pass" if ok else "FAIL",
            )
        )
    return rows, checks


def _speed_section(res: Results) -> Section:
    """4. Time on the simple task: the wheel against the circle."""
    d = diff_ci(res["wheel", "simple"]["time"], res["circle", "simple"]["time"])
    ok = d["ci_high"] < 0
    rows = [
        row(
            "simple task: steps to solve, wheel minus circle",
            BLOG,
            "pattern",
            "< 0 (wheel fastest on a clear task)",
            f"{res['wheel', 'simple']['time'].mean():.1f} vs "
            f"{res['circle', 'simple']['time'].mean():.1f}",
            f"{d['diff']:+.1f}",
            fmt_ci(d["ci_low"], d["ci_high"], 1),
            "pass" if ok else "FAIL",
        )
    ]
    return rows, {"wheel faster than circle (simple)": bool(ok)}


def _reported_rows(res: Results, steps: int) -> list[dict]:
    """Share of runs solved and wrong beliefs, both tasks and every net (no direction used)."""
    rows = []
    for task in TASKS:
        for net in NETS:
            r = res[net, task]
            solved = np.mean(r["time"] <= steps)
            rows.append(
                row(
                    f"{task} task ({TASKS[task]} dims), {net}: share of runs solved "
                    f"within {steps} steps / wrong beliefs at the end",
                    LEAVITT,
                    "pattern",
                    "(Shaw 1964 not read: no direction used)",
                    f"{solved:.0%} / {r['errors'].mean():.3f}",
                    "",
                    fmt_ci(*_mean_ci(r["errors"])),
                    "reported",
                )
            )
    return rows


def _details(cent: dict, checks: dict[str, bool], reps: int, res: Results) -> dict:
    """The numbers written to results.json."""
    return {
        "centrality": cent,
        "checks": checks,
        "replicates": reps,
        "hub_share": {f"{n}|{t}": float(v["hub_share"].mean()) for (n, t), v in res.items()},
        "eng_gap": {f"{n}|{t}": float(v["eng_gap"].mean()) for (n, t), v in res.items()},
        "time": {f"{n}|{t}": float(v["time"].mean()) for (n, t), v in res.items()},
        "errors": {f"{n}|{t}": float(v["errors"].mean()) for (n, t), v in res.items()},
    }


def run(
    quick: bool = True,
    seed: int = 1951,
    out_dir: Path | str | None = None,
    replicates: int | None = None,
) -> Comparison:
    """Centrality, hub, satisfaction by position; time and errors on two tasks."""
    t0 = time.perf_counter()
    reps = replicates or (6 if quick else 60)
    steps = 40 if quick else 60
    cent = {net: centrality(net) for net in NETS}
    res = {
        (net, task): _runs(net, task, reps, steps, seed + 17 * i + 5 * j)
        for i, net in enumerate(NETS)
        for j, task in enumerate(TASKS)
    }
    rows: list[dict] = []
    checks: dict[str, bool] = {}
    for section_rows, section_checks in (
        _centrality_section(cent),
        _hub_section(res),
        _satisfaction_section(res),
        _speed_section(res),
    ):
        rows += section_rows
        checks.update(section_checks)
    rows += _reported_rows(res, steps)
    passed = bool(all(checks.values()))
    failed = [k for k, v in checks.items() if not v]
    figures = []
    if out_dir is not None:
        figures.append(_plot(res, Path(out_dir) / "bavelas.png"))
    return Comparison(
        "Bavelas-Leavitt networks (Leavitt 1951)",
        "Leavitt (1951) Journal of Abnormal and Social Psychology; Leavitt (1949) MIT thesis",
        "Patterns (secondary sources): the most central position becomes the hub and is the "
        "most satisfied; the wheel is fastest on a clear task. No number obtained.",
        f"{reps} runs per net and task: C's share of messages wheel "
        f"{res['wheel', 'simple']['hub_share'].mean():.2f}, circle "
        f"{res['circle', 'simple']['hub_share'].mean():.2f}; engagement gap C minus others in "
        f"the wheel {res['wheel', 'simple']['eng_gap'].mean():+.3f}",
        "all patterns reproduced" if passed else "not reproduced: " + "; ".join(failed),
        passed,
        figures,
        rows,
        _details(cent, checks, reps, res),
        time.perf_counter() - t0,
        note=NOTE,
        closing=CLOSING,
    )


def _mean_ci(x) -> tuple[float, float]:
    from sim.util.stats import mean_ci

    s = mean_ci(x)
    return s["ci_low"], s["ci_high"]


NOTE = (
    "Scenario `bavelas_leavitt` (conf/scenario/bavelas_leavitt.yaml) run through Agora's "
    "network input: `org.chart=data/bavelas_<net>_chart.csv org.network=data/bavelas_<net>"
    "_network.csv`. Five members; each step each posts to one neighbour what it believes on "
    "one dimension (talk 1), replies with chance 0.6 x engagement, learns one dimension first "
    "hand with chance 0.1 and follows the majority of what it heard with chance 0.5; no "
    "broadcasts, no voice, no code learning. Engagement (satisfaction) rises when a colleague "
    "replies and drifts back to its baseline otherwise. 'Solved' is the first step at which "
    "the group's mean share of right beliefs reaches 0.8 (runs that never do count as the "
    "horizon + 1). Simple task: 5 dimensions; complex: 20."
)

CLOSING = (
    "Centrality and the wheel's and Y's hub follow from who can reach whom. The middle of the "
    "chain is not a hub in Agora: members post to a random neighbour, so B and D, who are "
    "the only contacts of the ends, receive more than C; in the experiment the task routed "
    "information to the middle. Satisfaction does not follow centrality either: in Agora "
    "being heard depends on one's own posting and on the reader's chance to reply, not on "
    "how many people one reaches, so the centre of the wheel is no more engaged than the "
    "periphery. Leavitt's explanation (the central member has the information and the "
    "decision, the others depend on it) is not a mechanism of the model. Nor is the wheel's "
    "speed: here knowledge spreads by peer majority, which the centre's four voices slow "
    "rather than speed. The model was not changed. Leavitt's numbers (time, errors and "
    "satisfaction by position) could not be read: searched again through our tool (pages, "
    "docs and code; 2026-12-05) for the thesis's tables, every query returned only the "
    "opening of the thesis on studylib (title page and the first paragraph of the abstract: "
    "five members, five symbols on each card, one in common), never a table, so no number "
    "of his is a target here. His forwarding rule (`population.peer_rule: forward`, asked "
    "for in issue 23) is not yet an option of the model: it needs a change to "
    "`sim/model.py`."
)


def _plot(res: dict, out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(11, 3.4))
    x = np.arange(len(NETS))
    hub = [res[n, "simple"]["hub_share"] for n in NETS]
    axes[0].bar(x, [h.mean() for h in hub], color="C0")
    axes[0].axhline(0.2, color="k", lw=0.7, ls=":")
    axes[0].set_xticks(x, NETS)
    axes[0].set_ylabel("C's share of messages received")
    eng = np.array([res[n, "simple"]["engagement"].mean(axis=0) for n in NETS])
    for k, p in enumerate(POSITIONS):
        axes[1].plot(x, eng[:, k], marker="o", label=p, color="C3" if p == "C" else f"C{k + 4}")
    axes[1].set_xticks(x, NETS)
    axes[1].set_ylabel("engagement, last third")
    axes[1].legend(fontsize=7, title="position")
    for j, task in enumerate(TASKS):
        axes[2].bar(
            x + (j - 0.5) * 0.4,
            [res[n, task]["time"].mean() for n in NETS],
            0.4,
            label=f"{task} ({TASKS[task]} dims)",
            color=f"C{j}",
        )
    axes[2].set_xticks(x, NETS)
    axes[2].set_ylabel("steps to solve")
    axes[2].legend(fontsize=7)
    fig.suptitle("Bavelas-Leavitt networks through Agora's network input")
    return save_figure(fig, out)
