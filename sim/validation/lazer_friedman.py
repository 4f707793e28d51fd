"""Lazer & Friedman (2007): efficient networks win early, inefficient ones win late.

100 agents search an NK landscape (N = 20, K = 5) with :func:`sim.validation.nk.lazer_friedman`,
once on a totally connected network and once on a linear one (a ring: two neighbours each),
from the same landscapes and the same starting solutions (common random numbers, so the two
networks are compared landscape by landscape).

What is compared, and how it was obtained
-----------------------------------------
Lazer & Friedman (2007) ASQ 52(4), abstract (p. 667), stated in the text: "the more efficient
the network at disseminating information, the better the short-run but the lower the long-run
performance of the system". No number is compared: the paper's curves could not be digitised
(our search tool returns only the opening of the paper's public copies, no figure), and the
values the previous page "read by eye" (0.65 and 0.85) were not from a verifiable reading, so
they are removed. The comparison is a *pattern*: the paired difference (full minus linear) early
and late, with 95% intervals over landscapes, and the first round at which linear leads with a
bootstrap interval. Their Java code and example landscape are public
(sites.google.com/site/parallelproblemsolving); we did not run them.

Why not through Agora's peer channel: Agora's members post their beliefs on a few dimensions
of March's additive reality and follow the peer majority per dimension with a fixed chance;
Lazer and Friedman's agents copy a neighbour's *whole* solution only when it *scores higher*, on
a landscape whose dimensions interact (K = 5). Neither payoff-conditioned imitation nor
interacting dimensions exists in the model, so running their experiment through the peer
channel would test a different mechanism. Mason & Watts (2012) PNAS 109(3) is the experimental
counterpoint (abstract, stated in the text): in 256 web experiments with groups of 16 people,
efficient networks *outperformed* inefficient ones.

Examples
--------
>>> curves = simulate_curves(landscapes=2, rounds=30, seed=1, agents=20, n=10, k=3)
>>> curves["full"].shape
(2, 31)
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from sim.validation.common import Comparison, fmt_ci, row, save_figure
from sim.validation.nk import NKLandscape, lazer_friedman, lf_network
from sim.validation.stats import paired_diff

__all__ = ["SOURCE", "simulate_curves", "run"]

SOURCE = "Lazer & Friedman (2007) ASQ 52(4), abstract p. 667"
MASON_WATTS = "Mason & Watts (2012) PNAS 109(3), abstract"


def simulate_curves(
    landscapes: int,
    rounds: int,
    seed: int,
    agents: int = 100,
    n: int = 20,
    k: int = 5,
    networks=("full", "linear"),
) -> dict[str, np.ndarray]:
    """Mean score per round, one row per landscape, for each network."""
    curves = {net: [] for net in networks}
    nets = {net: lf_network(net, agents) for net in networks}
    for child in np.random.SeedSequence(seed).spawn(landscapes):
        rng = np.random.default_rng(child)
        land = NKLandscape(n, k, rng)
        init = land.random_states(agents, rng)
        run_seeds = child.spawn(len(networks))
        for net, s in zip(networks, run_seeds, strict=True):
            res = lazer_friedman(land, nets[net], rounds, np.random.default_rng(s), init=init)
            curves[net].append(res.mean_score)
    return {net: np.array(v) for net, v in curves.items()}


def _first_lead(full: np.ndarray, linear: np.ndarray) -> int:
    ahead = np.flatnonzero(linear.mean(axis=0) > full.mean(axis=0))
    return int(ahead[0]) if ahead.size else -1


def run(
    quick: bool = True,
    seed: int = 2007,
    out_dir: Path | str | None = None,
    landscapes: int | None = None,
    rounds: int | None = None,
) -> Comparison:
    """Paired differences (full minus linear) early and late, and the crossing round."""
    t0 = time.perf_counter()
    landscapes = landscapes or (6 if quick else 40)
    rounds = rounds or (60 if quick else 200)
    curves = simulate_curves(landscapes, rounds, seed)
    full, linear = curves["full"], curves["linear"]
    early_round = min(5, rounds)
    early = paired_diff(full[:, early_round], linear[:, early_round])
    late = paired_diff(linear[:, -1], full[:, -1])
    crossing = _first_lead(full, linear)
    rng = np.random.default_rng(seed + 1)
    boots = []
    for _ in range(500 if quick else 2000):
        pick = rng.integers(0, landscapes, landscapes)
        boots.append(_first_lead(full[pick], linear[pick]))
    boots = np.array(boots)
    lo, hi = np.quantile(boots[boots >= 0], [0.025, 0.975]) if (boots >= 0).any() else (-1, -1)
    early_ok, late_ok = early["ci_low"] > 0, late["ci_low"] > 0
    passed = bool(early_ok and late_ok)
    rows = [
        row(f"round {early_round}: full minus linear (mean score)", SOURCE, "pattern",
            "> 0 (efficient network better in the short run)", f"{early['mean']:+.3f}",
            "", fmt_ci(early["ci_low"], early["ci_high"]), "pass" if early_ok else "FAIL"),
        row(f"round {rounds}: linear minus full", SOURCE, "pattern",
            "> 0 (efficient network worse in the long run)", f"{late['mean']:+.3f}", "",
            fmt_ci(late["ci_low"], late["ci_high"]), "pass" if late_ok else "FAIL"),
        row("first round at which linear leads", SOURCE, "pattern", "exists (a crossing)",
            str(crossing), "", f"[{lo:.0f}, {hi:.0f}] (bootstrap over landscapes)",
            "pass" if crossing > 0 else "FAIL"),
        row("final mean score, totally connected / linear", SOURCE, "pattern",
            "(no number obtained)", f"{full[:, -1].mean():.3f} / {linear[:, -1].mean():.3f}",
            "", "", "reported"),
        row("efficient vs inefficient networks, human groups", MASON_WATTS, "pattern",
            "efficient networks outperformed inefficient ones", "(not simulated)", "", "",
            "counterpoint"),
    ]
    figures = []
    if out_dir is not None:
        figures.append(_plot(curves, Path(out_dir) / "lazer_friedman.png"))
    return Comparison(
        "Lazer & Friedman (2007)", "Lazer & Friedman (2007) ASQ 52(4): 667-694",
        "Pattern stated in the abstract: the efficient (totally connected) network is better in "
        "the short run, the inefficient (linear) one in the long run. No number obtained.",
        f"{landscapes} landscapes, {rounds} rounds: full ahead by {early['mean']:+.3f} at round "
        f"{early_round}; linear ahead by {late['mean']:+.3f} at the end; linear leads from round "
        f"{crossing}",
        ("pattern reproduced" if passed else "pattern NOT reproduced")
        + " (both paired 95% intervals exclude 0)" * passed,
        passed, figures, rows,
        {"early": early, "late": late, "crossing": crossing, "crossing_ci": [float(lo), float(hi)],
         "full_final": float(full[:, -1].mean()), "linear_final": float(linear[:, -1].mean()),
         "landscapes": landscapes, "rounds": rounds},
        time.perf_counter() - t0,
        note=NOTE,
    )


#: How the comparison is set up, for the report.
NOTE = (
    "Task environment `sim.validation.nk` (an independent implementation of the paper's setup, "
    "not Agora's model): Kauffman NK landscape (N = 20, K = 5, random interactions), fitness "
    "tabulated for all 2^20 solutions; score = (fitness / global max)^8. 100 agents; each "
    "round an agent copies its best neighbour if that one scores higher, otherwise flips one "
    "random bit and keeps it if better. Totally connected vs linear (a ring). **Not run through "
    "Agora's peer channel**: the model has neither payoff-conditioned imitation nor interacting "
    "dimensions (see the module docstring); the Fang, Lee & Schilling docking below is the "
    "peer-channel analogue. The previous page's 'read by eye' values (0.65, 0.85) are removed: "
    "they could not be verified. Mason & Watts (2012) found the opposite ordering with people."
)


def _plot(curves: dict[str, np.ndarray], out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4))
    labels = {"full": "totally connected", "linear": "linear"}
    for i, (net, c) in enumerate(curves.items()):
        m = c.mean(axis=0)
        se = c.std(axis=0, ddof=1) / np.sqrt(c.shape[0]) if c.shape[0] > 1 else 0 * m
        ax.plot(m, color=f"C{i}", label=labels.get(net, net))
        ax.fill_between(np.arange(m.size), m - 1.96 * se, m + 1.96 * se, color=f"C{i}", alpha=0.2)
    ax.set_xlabel("round")
    ax.set_ylabel("mean score")
    ax.set_ylim(0, 1)
    ax.set_title(f"Lazer & Friedman: NK N=20, K=5, {curves['full'].shape[0]} landscapes")
    ax.legend()
    return save_figure(fig, out)
