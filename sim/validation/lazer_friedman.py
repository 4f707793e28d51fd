"""Lazer & Friedman (2007) through Agora's peer channel: efficient networks win early, lose late.

The scenario ``lazer_friedman2007`` (conf/scenario/lazer_friedman2007.yaml) runs L&F's
experiment in Agora's own model: 100 members on an NK landscape (``environment.landscape=nk``,
N = 20, K = 5), posting their whole solution to every colleague each step
(``population.peer_rule=imitate``, ``population.audience=all``), copying the best one read if it
beats their own and otherwise keeping what one step of local search found (``exploration=1``);
no organization speaks or listens. The two networks come in through Agora's own network input
(``org.chart`` and ``org.network``: ``data/lazer_friedman_{full,linear}_*.csv``, written by
``data/make_lazer_friedman_networks.py``). Each landscape is one model seed; the landscape and
the starting solutions are drawn before the network, so the two networks of a seed share them
(common random numbers).

What is compared, and how it was obtained
-----------------------------------------
* **The pattern** (Lazer & Friedman 2007, ASQ 52(4), abstract p. 667, stated in the text): "the
  more efficient the network at disseminating information, the better the short-run but the
  lower the long-run performance of the system". No number is compared: the paper's curves
  could not be read through our search tool (it returns the opening of the paper's public
  copies, no figure), so the comparison is a pattern: the paired difference (totally connected
  minus linear) early and (linear minus totally connected) at the end, with 95% intervals over
  landscapes, and the first step at which the linear network leads, with a bootstrap interval.
* **The implementation**: the model against :func:`sim.validation.nk.lazer_friedman`, an
  independent implementation of the same rules on integer codes and padded neighbour lists
  (sharing only the landscape class), run on the model's own landscape, from the model's own
  starting solutions, with its own random stream. Mean score at a few steps, for both networks,
  is tested for equivalence (paired TOST over landscapes) at a margin stated before running
  (:data:`MARGIN`), planned from a pilot on other seeds (:data:`SD_PLAN`).
* What the rules are was read from secondary sources, not the paper's pages (whose body our
  tool could not read): the normalisation ``(fitness / max) ** 8`` (Barkoczi & Galesic's
  "following Lazer and Friedman", quoted in a replication's code), the NK generator (L&F's
  public Java code, ``NK_gen``, as kept in a derivative repository: each locus's partners
  drawn at random, the score the mean contribution), and the rule, the line network (two ends
  with one neighbour), velocity and error (a summary of the paper in slides). Their Java code
  and example landscape are public (sites.google.com/site/parallelproblemsolving); we did not
  run them. Details and where each was read: ``docs/sources.md`` section 4.1.

Mason & Watts (2012) PNAS 109(3) is the experimental counterpoint (abstract, stated in the
text): in 256 web experiments with groups of 16 people, efficient networks *outperformed*
inefficient ones.

Examples
--------
>>> curves = simulate_curves(landscapes=1, rounds=3, seed=1)
>>> sorted(curves), curves["full"].shape
(['full', 'full_reference', 'linear', 'linear_reference'], (1, 4))
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from sim.rules.landscape import to_codes
from sim.validation.common import Comparison, fmt_ci, row, save_figure
from sim.validation.nk import lazer_friedman, lf_network
from sim.validation.stats import (
    Tost,
    paired_diff,
    replicates_for_tost,
    tost_one_sample,
    tost_power,
)

__all__ = ["SOURCE", "MARGIN", "SD_PLAN", "overrides", "simulate_curves", "run"]

SOURCE = "Lazer & Friedman (2007) ASQ 52(4), abstract p. 667"
REFERENCE = "Lazer & Friedman (2007) rules, via sim.validation.nk"
MASON_WATTS = "Mason & Watts (2012) PNAS 109(3), abstract"
SCENARIO = "lazer_friedman2007"
#: Each network's files (Agora's own network input).
NETWORK_FILES = {
    net: [
        f"org.chart=data/lazer_friedman_{net}_chart.csv",
        f"org.network=data/lazer_friedman_{net}_network.csv",
    ]
    for net in ("full", "linear")
}
#: The reference's network of the same name (the line: two ends with one neighbour).
REFERENCE_NETWORK = {"full": "full", "linear": "line"}
#: Equivalence margin of the model-vs-reference TOST on mean score (a 0..1 scale), stated
#: before the runs: full mode, quick mode.
MARGIN = {"full": 0.05, "quick": 0.15}
#: Planning sd of a paired (model - reference) difference in mean score: the largest over
#: steps 5, 25, 100, 200 and both networks in a pilot of 20 landscapes (seed 1, not the stated
#: seed), 0.147 (linear, step 200), rounded up. Full mode runs enough landscapes for a TOST
#: power of 0.8 at this sd and :data:`MARGIN` (:func:`replicates_for_tost`).
SD_PLAN = 0.15


def overrides(net: str, steps: int) -> list[str]:
    """The ``load_config`` overrides of one network: ``agora run`` takes the same."""
    if net not in NETWORK_FILES:
        raise ValueError(f"net must be one of {sorted(NETWORK_FILES)}, got {net!r}")
    return [f"scenario={SCENARIO}", *NETWORK_FILES[net], f"steps={steps}"]


def _model_seeds(seed: int, landscapes: int) -> list[int]:
    return [
        int(s.generate_state(1, np.uint64)[0] >> np.uint64(1))
        for s in np.random.SeedSequence(seed).spawn(landscapes)
    ]


def simulate_curves(landscapes: int, rounds: int, seed: int) -> dict[str, np.ndarray]:
    """Mean score per step (``performance``), one row per landscape: the model on each network
    and the reference on the same landscape from the same starting solutions."""
    from sim.config import load_config
    from sim.model import AgoraModel

    cfgs = {net: load_config(overrides(net, rounds)) for net in NETWORK_FILES}
    curves: dict[str, list] = {
        k: [] for k in ("full", "linear", "full_reference", "linear_reference")
    }
    ref_seeds = np.random.SeedSequence([seed, 1]).spawn(landscapes)
    for j, model_seed in enumerate(_model_seeds(seed, landscapes)):
        ref_rng = dict(zip(cfgs, ref_seeds[j].spawn(len(cfgs)), strict=True))
        shared = None
        for net, cfg in cfgs.items():
            model = AgoraModel(cfg, seed=model_seed)
            n = model.n_individuals
            start = to_codes(model.beliefs[:n])
            if shared is None:
                shared = (model.landscape, start)
            else:  # the same landscape and starting solutions on both networks
                assert np.array_equal(shared[0].contrib, model.landscape.contrib)
                assert np.array_equal(shared[1], start)
            model.run(rounds)
            curves[net].append([r["performance"] for r in model.records])
            ref = lazer_friedman(
                model.landscape,
                lf_network(REFERENCE_NETWORK[net], n),
                rounds,
                np.random.default_rng(ref_rng[net]),
                init=start,
            )
            curves[f"{net}_reference"].append(ref.mean_score)
    return {k: np.array(v, dtype=float) for k, v in curves.items()}


def _first_lead(full: np.ndarray, linear: np.ndarray) -> int:
    ahead = np.flatnonzero(linear.mean(axis=0) > full.mean(axis=0))
    return int(ahead[0]) if ahead.size else -1


def _checkpoints(rounds: int) -> list[int]:
    return sorted({r for r in (5, 25, 100, rounds) if r <= rounds})


def _sizes(quick: bool, landscapes: int | None, rounds: int | None) -> tuple[int, int, float]:
    """Landscapes, steps and TOST margin of a run (full mode: enough landscapes for power 0.8)."""
    full_size = replicates_for_tost(SD_PLAN, MARGIN["full"], groups=1)
    landscapes = landscapes or (10 if quick else full_size)
    rounds = rounds or (60 if quick else 200)
    return landscapes, rounds, MARGIN["quick" if quick else "full"]


def _crossing_interval(
    full: np.ndarray, linear: np.ndarray, seed: int, quick: bool
) -> tuple[float, float]:
    """95% bootstrap interval (over landscapes) of the first step at which linear leads."""
    landscapes = full.shape[0]
    rng = np.random.default_rng(seed + 1)
    boots = np.array(
        [
            _first_lead(full[pick], linear[pick])
            for pick in (
                rng.integers(0, landscapes, landscapes) for _ in range(500 if quick else 2000)
            )
        ]
    )
    lo, hi = np.quantile(boots[boots >= 0], [0.025, 0.975]) if (boots >= 0).any() else (-1, -1)
    return lo, hi


def _pattern(curves: dict[str, np.ndarray], rounds: int, seed: int, quick: bool) -> dict:
    """The pattern: paired differences early and late, and the first step linear leads."""
    full, linear = curves["full"], curves["linear"]
    early_round = min(5, rounds)
    early = paired_diff(full[:, early_round], linear[:, early_round])
    late = paired_diff(linear[:, -1], full[:, -1])
    crossing = _first_lead(full, linear)
    lo, hi = _crossing_interval(full, linear, seed, quick)
    early_ok, late_ok = early["ci_low"] > 0, late["ci_low"] > 0
    return {
        "early_round": early_round,
        "early": early,
        "late": late,
        "crossing": crossing,
        "lo": lo,
        "hi": hi,
        "early_ok": early_ok,
        "late_ok": late_ok,
        "ok": bool(early_ok and late_ok and crossing > 0),
    }


def _pattern_rows(pat: dict, curves: dict[str, np.ndarray], rounds: int) -> list[dict]:
    """The table's rows of the pattern (against the paper's statement)."""
    early, late, crossing = pat["early"], pat["late"], pat["crossing"]
    full, linear = curves["full"], curves["linear"]
    return [
        row(
            f"step {pat['early_round']}: totally connected minus linear (mean score)",
            SOURCE,
            "pattern",
            "> 0 (efficient network better in the short run)",
            f"{early['mean']:+.3f}",
            "",
            fmt_ci(early["ci_low"], early["ci_high"]),
            "pass" if pat["early_ok"] else "FAIL",
        ),
        row(
            f"step {rounds}: linear minus totally connected",
            SOURCE,
            "pattern",
            "> 0 (efficient network worse in the long run)",
            f"{late['mean']:+.3f}",
            "",
            fmt_ci(late["ci_low"], late["ci_high"]),
            "pass" if pat["late_ok"] else "FAIL",
        ),
        row(
            "first step at which linear leads",
            SOURCE,
            "pattern",
            "exists (a crossing)",
            str(crossing),
            "",
            f"[{pat['lo']:.0f}, {pat['hi']:.0f}] (bootstrap over landscapes)",
            "pass" if crossing > 0 else "FAIL",
        ),
        row(
            "final mean score, totally connected / linear",
            SOURCE,
            "pattern",
            "(no number obtained)",
            f"{full[:, -1].mean():.3f} / {linear[:, -1].mean():.3f}",
            "",
            "",
            "reported",
        ),
    ]


def _net_label(net: str) -> str:
    return "totally connected" if net == "full" else "linear"


def _docking(
    curves: dict[str, np.ndarray], rounds: int, margin: float
) -> tuple[dict[tuple[str, int], Tost], list[dict]]:
    """Model vs reference: a paired TOST per network and checkpoint, and its table rows."""
    tosts = {}
    rows = []
    for net in NETWORK_FILES:
        model, ref = curves[net], curves[f"{net}_reference"]
        for step in _checkpoints(rounds):
            t = tost_one_sample(model[:, step] - ref[:, step], 0.0, margin)
            tosts[(net, step)] = t
            rows.append(
                row(
                    f"{_net_label(net)}, step {step}: model vs reference (mean score)",
                    REFERENCE,
                    "independent implementation",
                    f"{ref[:, step].mean():.3f}",
                    f"{model[:, step].mean():.3f}",
                    f"{t.diff:+.3f}",
                    f"{fmt_ci(t.ci_low, t.ci_high)} (90%, TOST)",
                    f"{t.verdict} at ±{margin}",
                    through="both",
                )
            )
    return tosts, rows


def _mason_watts_row() -> dict:
    return row(
        "efficient vs inefficient networks, human groups",
        MASON_WATTS,
        "pattern",
        "efficient networks outperformed inefficient ones",
        "(not simulated)",
        "",
        "",
        "counterpoint",
        through="none",
    )


def _verdict(pattern_ok: bool, tosts: dict[tuple[str, int], Tost]) -> str:
    verdict = (
        "pattern reproduced through the peer channel"
        if pattern_ok
        else "pattern NOT reproduced through the peer channel"
    )
    missed = [(net, step, t) for (net, step), t in tosts.items() if not t.equivalent]
    if not missed:
        return verdict + "; model docks with the reference (equivalent at every step)"
    return verdict + (
        f"; model equivalent to the reference at {len(tosts) - len(missed)} of "
        f"{len(tosts)} steps, "
        + ", ".join(f"{t.verdict} at {_net_label(net)} step {step}" for net, step, t in missed)
    )


def _closing(
    curves: dict[str, np.ndarray], tosts: dict[tuple[str, int], Tost], margin: float
) -> str:
    """Where docking missed: why (realised sd against the planning sd), and what it means."""
    missed = [(net, step, t) for (net, step), t in tosts.items() if not t.equivalent]
    if not missed:
        return ""
    realised = max(
        float(np.std(curves[net][:, step] - curves[f"{net}_reference"][:, step], ddof=1))
        for net, step, _ in missed
    )
    return (
        "Where the model is not declared equivalent to the reference, the 90% interval of "
        f"the paired difference reaches the margin of ±{margin}: the realised sd of the "
        f"paired differences there ({realised:.3f}) exceeds the planning sd ({SD_PLAN}), "
        "so the test had less power than planned. "
        + (
            "No difference is detected there either (the 95% interval contains 0): the "
            "test is inconclusive, not a failure of the rules, and the margin was not "
            "changed after the run."
            if all(t.verdict == "inconclusive" for *_, t in missed)
            else "A difference is detected: the two implementations disagree there."
        )
    )


def _details(
    pat: dict,
    curves: dict[str, np.ndarray],
    tosts: dict[tuple[str, int], Tost],
    margin: float,
    landscapes: int,
    rounds: int,
) -> dict:
    """The numbers written to results.json."""
    return {
        "early": pat["early"],
        "late": pat["late"],
        "crossing": pat["crossing"],
        "crossing_ci": [float(pat["lo"]), float(pat["hi"])],
        "full_final": float(curves["full"][:, -1].mean()),
        "linear_final": float(curves["linear"][:, -1].mean()),
        "tost": {
            f"{net}@{step}": {"diff": t.diff, "ci": [t.ci_low, t.ci_high], "verdict": t.verdict}
            for (net, step), t in tosts.items()
        },
        "margin": margin,
        "landscapes": landscapes,
        "rounds": rounds,
    }


def run(
    quick: bool = True,
    seed: int = 2007,
    out_dir: Path | str | None = None,
    landscapes: int | None = None,
    rounds: int | None = None,
) -> Comparison:
    """The pattern through the model, and the model docked against the reference."""
    t0 = time.perf_counter()
    landscapes, rounds, margin = _sizes(quick, landscapes, rounds)
    curves = simulate_curves(landscapes, rounds, seed)
    pat = _pattern(curves, rounds, seed, quick)
    tosts, docking_rows = _docking(curves, rounds, margin)
    rows = [*_pattern_rows(pat, curves, rounds), *docking_rows, _mason_watts_row()]
    docked = all(t.equivalent for t in tosts.values())
    power = tost_power(SD_PLAN, margin, landscapes, groups=1)
    figures = []
    if out_dir is not None:
        figures.append(_plot(curves, Path(out_dir) / "lazer_friedman.png"))
    early, late = pat["early"], pat["late"]
    return Comparison(
        "Lazer & Friedman (2007)",
        "Lazer & Friedman (2007) ASQ 52(4): 667-694",
        "Pattern stated in the abstract: the efficient (totally connected) network is better in "
        "the short run, the inefficient (linear) one in the long run. No number obtained.",
        f"scenario {SCENARIO}, {landscapes} landscapes, {rounds} steps: totally connected ahead "
        f"by {early['mean']:+.3f} at step {pat['early_round']}; linear ahead by "
        f"{late['mean']:+.3f} at the end; linear leads from step {pat['crossing']}; model vs "
        f"reference within ±{margin} (TOST power {power:.2f} at sd {SD_PLAN})",
        _verdict(pat["ok"], tosts),
        pat["ok"] and docked,
        figures,
        rows,
        _details(pat, curves, tosts, margin, landscapes, rounds),
        time.perf_counter() - t0,
        note=NOTE.format(margin=margin, sd=SD_PLAN, power=power, n=landscapes),
        closing=_closing(curves, tosts, margin),
        through="both",
    )


#: How the comparison is set up, for the report.
NOTE = (
    "Scenario `lazer_friedman2007` (conf/scenario/lazer_friedman2007.yaml), Agora's model: 100 "
    "members on an NK landscape (`environment.landscape=nk`, N = 20, K = 5; score = (fitness / "
    "global max)^8), each posting its whole solution to every colleague each step "
    "(`population.peer_rule=imitate`, `population.audience=all`); a member copies the best "
    "solution it read if it scores higher than its own, otherwise keeps the one-bit change its "
    "local search tried if that scores higher. No organization speaks or listens. Networks "
    "through Agora's network input (`org.chart`, `org.network`): totally connected, and the "
    "linear network (a line). One landscape per model seed, shared by both networks with the "
    "starting solutions. Docking: the model against `sim.validation.nk.lazer_friedman`, an "
    "independent implementation of the rules, on the model's landscape and starting solutions "
    "with its own random stream; paired TOST over landscapes at a margin of ±{margin} stated "
    "before running (power {power:.2f} with {n} landscapes at a planning sd of {sd} from a "
    "pilot on other seeds). Rules read from secondary sources (module docstring); the "
    "previous page's 'read by eye' values are removed. Mason & Watts (2012) found the "
    "opposite ordering with people."
)


def _plot(curves: dict[str, np.ndarray], out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4))
    labels = {"full": "totally connected", "linear": "linear"}
    for i, net in enumerate(("full", "linear")):
        for key, style, suffix in ((net, "-", "Agora"), (f"{net}_reference", "--", "reference")):
            c = curves[key]
            m = c.mean(axis=0)
            ax.plot(m, style, color=f"C{i}", label=f"{labels[net]} ({suffix})")
            if key == net and c.shape[0] > 1:
                se = c.std(axis=0, ddof=1) / np.sqrt(c.shape[0])
                ax.fill_between(
                    np.arange(m.size), m - 1.96 * se, m + 1.96 * se, color=f"C{i}", alpha=0.2
                )
    ax.set_xlabel("step")
    ax.set_ylabel("mean score")
    ax.set_ylim(0, 1)
    ax.set_title(
        f"Lazer & Friedman through Agora: NK N=20, K=5, {curves['full'].shape[0]} landscapes"
    )
    ax.legend(fontsize=8)
    return save_figure(fig, out)
