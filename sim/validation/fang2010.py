"""Fang, Lee & Schilling (2010): moderate cross-group linking, through Agora's peer channel.

The scenario ``fang2010`` is March's organization (code, socialization p1 = 0.9, code learning
p2 = 0.5 from the superior group it observes) split into ten departments of eleven, whose
members also talk: each step each tells a neighbour what it believes on three dimensions and
follows the majority of what it heard with chance 0.3. Ties inside departments are open;
``openness.internal`` sets how many cross department lines (0: isolated subgroups; 1: four
cross-unit ties per person on average). Equilibrium knowledge is the end-of-run window average
(the last third) of ``knowledge_code`` and ``knowledge_individuals``.

What is compared, and how it was obtained
-----------------------------------------
Fang, Lee & Schilling (2010) Organization Science 21(3): 625-642, abstract (p. 625), stated in
the text: "moderate levels of cross-group linking lead to the highest equilibrium performance
by enabling superior ideas to diffuse across groups without reducing organizational diversity
too quickly". A *pattern*: the statistic is the level of ``openness.internal`` at which mean
equilibrium code knowledge peaks, with a bootstrap interval over replicates (all levels share
replicate seeds), and the paired differences between the peak and each end of the grid.
Their model is not Agora's: their members learn from better-performing peers, ours follow the
peer majority (see the closing note).

Examples
--------
>>> values = window_knowledge(["scenario=fang2010", "steps=6", "org.size=21",
...                            "hierarchy.span=4"], 2, seed=1)
>>> values["knowledge_code"].shape
(2,)
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from sim.validation.common import Comparison, fmt_ci, row, save_figure
from sim.validation.stats import argmax_bootstrap, paired_diff

__all__ = ["GRID", "QUICK_GRID", "SOURCE", "window_knowledge", "run"]

GRID = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0)
QUICK_GRID = (0.0, 0.2, 1.0)
SOURCE = "Fang, Lee & Schilling (2010) Org. Sci. 21(3), abstract p. 625"
METRICS = ("knowledge_code", "knowledge_individuals")


def window_knowledge(overrides: Sequence[str], replicates: int, seed: int) -> dict[str, np.ndarray]:
    """Per replicate, the mean of each knowledge metric over the last third of the run."""
    import sim
    from sim.config import load_config
    from sim.studies.outcomes import window_means, window_steps

    cfg = load_config([*overrides, f"replicates={replicates}", f"seed={seed}"])
    m = sim.simulate(cfg).metrics
    g = window_means(m, METRICS, window_steps(cfg.steps), by=("replicate",))
    return {k: g[k].to_numpy() for k in METRICS}


def _curves(grid, reps: int, steps: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Window knowledge of the code and of the members: a row per replicate, a column per
    level of ``openness.internal`` (the same seeds at every level)."""
    values = {
        x: window_knowledge(
            ["scenario=fang2010", f"openness.internal={x}", f"steps={steps}"], reps, seed
        )
        for x in grid
    }
    code = np.stack([values[x]["knowledge_code"] for x in grid], axis=1)
    indiv = np.stack([values[x]["knowledge_individuals"] for x in grid], axis=1)
    return code, indiv


def _peak(grid, code: np.ndarray, seed: int) -> dict:
    """Where code knowledge peaks, its bootstrap interval, and the peak minus each end."""
    rng = np.random.default_rng(seed)
    peak = argmax_bootstrap(code, grid, rng, draws=2000)
    best = int(np.argmax(code.mean(axis=0)))
    interior = 0 < best < len(grid) - 1
    ends = {
        grid[0]: paired_diff(code[:, best], code[:, 0]),
        grid[-1]: paired_diff(code[:, best], code[:, -1]),
    }
    return {
        "peak": peak,
        "best": best,
        "interior": interior,
        "ends": ends,
        "ok_peak": bool(interior and peak["ci_low"] > grid[0] and peak["ci_high"] < grid[-1]),
        "ok_ends": bool(interior and all(d["ci_low"] > 0 for d in ends.values())),
    }


def _rows(grid, code: np.ndarray, indiv: np.ndarray, pk: dict) -> list[dict]:
    """The peak, the peak minus each end, and the curve (reported)."""
    peak = pk["peak"]
    rows = [
        row(
            "openness.internal at the peak of equilibrium code knowledge",
            SOURCE,
            "pattern",
            "moderate (strictly inside the grid)",
            f"{grid[pk['best']]}",
            "",
            f"[{peak['ci_low']}, {peak['ci_high']}] (bootstrap); interior in "
            f"{peak['interior_share']:.0%} of draws",
            "pass" if pk["ok_peak"] else "FAIL",
        )
    ]
    for end, d in pk["ends"].items():
        rows.append(
            row(
                f"peak minus openness.internal = {end} (paired)",
                SOURCE,
                "pattern",
                "> 0",
                f"{d['mean']:+.4f}",
                "",
                fmt_ci(d["ci_low"], d["ci_high"], 4),
                "pass" if pk["interior"] and d["ci_low"] > 0 else "FAIL",
            )
        )
    for j, x in enumerate(grid):
        rows.append(
            row(
                f"openness.internal = {x}: code / members' knowledge",
                SOURCE,
                "pattern",
                "(curve)",
                f"{code[:, j].mean():.3f} / {indiv[:, j].mean():.3f}",
                "",
                "",
                "reported",
            )
        )
    return rows


def run(
    quick: bool = True,
    seed: int = 2010,
    out_dir: Path | str | None = None,
    replicates: int | None = None,
) -> Comparison:
    """Equilibrium knowledge over ``openness.internal``; where it peaks, with its interval."""
    t0 = time.perf_counter()
    grid = QUICK_GRID if quick else GRID
    reps = replicates or (6 if quick else 40)
    steps = 60 if quick else 150
    code, indiv = _curves(grid, reps, steps, seed)
    pk = _peak(grid, code, seed)
    best = pk["best"]
    passed = pk["ok_peak"] and pk["ok_ends"]
    figures = []
    if out_dir is not None:
        figures.append(_plot(grid, code, indiv, Path(out_dir) / "fang2010.png"))
    return Comparison(
        "Fang, Lee & Schilling (2010)",
        "Fang, Lee & Schilling (2010) Organization Science 21(3): 625-642",
        "Pattern stated in the abstract: moderate cross-group linking gives the highest "
        "equilibrium performance. No number obtained.",
        f"{reps} replicates per level (shared seeds), {steps} steps: code knowledge peaks at "
        f"openness.internal = {grid[best]} ({code[:, best].mean():.3f}; ends "
        f"{code[:, 0].mean():.3f} and {code[:, -1].mean():.3f})",
        "pattern reproduced (interior peak, both paired differences > 0)"
        if passed
        else "pattern NOT reproduced at the stated confidence",
        passed,
        figures,
        _rows(grid, code, indiv, pk),
        {
            "grid": list(grid),
            "code": code.mean(axis=0).tolist(),
            "individuals": indiv.mean(axis=0).tolist(),
            "peak": pk["peak"],
            "replicates": reps,
        },
        time.perf_counter() - t0,
        note=NOTE,
        closing=CLOSING,
    )


NOTE = (
    "Scenario `fang2010` (conf/scenario/fang2010.yaml), run by `sim.simulate` as "
    "`agora run scenario=fang2010 openness.internal=X` would: 111 members in "
    "ten departments, March's code (p1 = 0.9, p2 = 0.5, `regime.upward=observe`), peer posts "
    "on three dimensions each step with majority following (chance 0.3). Grid of "
    "`openness.internal` "
    f"{GRID} (quick: {QUICK_GRID}); all levels share replicate seeds. Equilibrium = mean of "
    "the last third of the run. The socialization rate was set to 0.9 after a first run at "
    "March's slow 0.1 put every level at the ceiling (code knowledge 1.0), where no curve can "
    "peak; no other value was tried."
)

CLOSING = (
    "Fang, Lee and Schilling's members copy better-performing peers, so cross-group ties carry "
    "superior ideas; Agora's peer channel follows the local majority whatever its merit, so "
    "ties mostly spread conformity, and superior ideas travel only through the code. Whether "
    "the curve peaks inside the grid therefore rests on a different mechanism, and where it "
    "does not the model was not changed to make it. Fang, Lee and Schilling's own rule "
    "(learning from superior contacts, dimension by dimension) is an option of the model "
    "(`population.peer_rule: learn_superior`, each detail that could not be read named an "
    "assumption in docs/odd.md), not run by this docking; and its parameters cannot be read: "
    "searched again through our tool "
    "(pages, docs and code; 2026-12-05) for the paper's model section, only its abstract "
    "(EconPapers, p. 625) was returned, so no number of theirs is compared here."
)


def _plot(grid, code, indiv, out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4))
    x = np.arange(len(grid))
    for k, (v, label) in enumerate(((code, "code"), (indiv, "members (mean)"))):
        m = v.mean(axis=0)
        half = 1.96 * v.std(axis=0, ddof=1) / np.sqrt(v.shape[0]) if v.shape[0] > 1 else 0 * m
        ax.errorbar(x, m, yerr=half, marker="o", capsize=3, color=f"C{k}", label=label)
    ax.set_xticks(x, [str(g) for g in grid])
    ax.set_xlabel("openness.internal (cross-department linking)")
    ax.set_ylabel("equilibrium knowledge (last third)")
    ax.set_title("Fang, Lee & Schilling (2010) through Agora's peer channel (95% CI)")
    ax.legend(fontsize=8)
    return save_figure(fig, out)
