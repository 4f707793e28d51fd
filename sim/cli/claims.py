"""``agora claims``: the essays' claims, each tested by a scenario and a what-if, as a table.

Examples::

    agora claims                       # docs/claims.md from the full runs
    agora claims --quick --out /tmp/claims.md   # small, short runs (for tests)

Each claim is a comparison of two arms that share their seeds: a scenario, and the same
scenario with an intervention (a what-if from ``conf/intervention``, moved to half-way) or with
changed settings. Both arms run ``--replicates`` times; each replicate's value is its mean over
the last third of the run; the paired difference (arm B minus arm A) gets a 95% t interval. A
claim is *supported* when the interval lies on the side the essay says, *not supported* when it
lies on the other side or covers 0, and *depends on* a condition when its verdict differs
between the conditions it is run under (named with the claim). The table of levels runs one
intervention at each level (individual: voice; organizational: responsiveness; economic:
stakeholders' bargaining) and reports its effect at all three, so "shift one level of
communication and you nudge them all" is a measured claim.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sim.cli.options import add_run_options
from sim.config import ConfigError, load_config, to_config
from sim.util.seeding import replicate_seeds

__all__ = ["CLAIMS", "LEVELS", "Claim", "evaluate", "main", "render"]


@dataclass(frozen=True)
class Claim:
    """One claim of the essays and the comparison that tests it.

    Arm A is the scenario with the overrides ``a``; arm B is the scenario with the overrides
    ``b`` and, if given, ``intervention`` (a named what-if, moved to half-way). ``sign`` is the
    direction the essay expects for ``metric`` (B - A); ``conditions`` maps a label to extra
    overrides for both arms, under each of which the claim is run.
    """

    key: str
    essay: str
    text: str
    scenario: str
    metric: str
    sign: int
    intervention: str | None = None
    a: tuple[str, ...] = ()
    b: tuple[str, ...] = ()
    conditions: dict[str, tuple[str, ...]] = field(default_factory=dict)


CLAIMS: tuple[Claim, ...] = (
    Claim("imposed_platform", "enterprise social networks",
          "A platform imposed from the top empties; one grown from willing users bottom up is "
          "used more.", "off_the_shelf_network", "platform_active", +1,
          b=("platform.rollout=champions",),
          conditions={"broadcasting": (), "conversational": ("regime.name=conversational",),
                      "broadcasting, low thresholds (0.1)": ("platform.threshold=0.1",)}),
    Claim("leaders_take_part", "enterprise social networks (Cisco)",
          "The platform works when the leadership takes part in it itself.",
          "off_the_shelf_network", "platform_active", +1, intervention="leaders_take_part"),
    Claim("listening_tips_platform", "enterprise social networks",
          "Once the organization starts listening, the platform tips into use.",
          "off_the_shelf_network", "adoption", +1, intervention="start_listening"),
    Claim("espoused_values", "authenticity",
          "Stakeholders find out when an organization does not live the values it espouses, "
          "and trust it less.", "says_it_listens", "trust", -1, a=("org.espoused=null",),
          b=()),
    Claim("fairer_value", "the economic level",
          "Hearing stakeholders distributes the value created more fairly.",
          "community_of_commerce", "value_share_stakeholders", +1,
          intervention="hear_customers", a=("openness.hear_stakeholders=false",
                                            "regime.responsiveness=0"),
          b=("openness.hear_stakeholders=false", "regime.responsiveness=0"),
          conditions={"bargaining": (), "no bargaining": ("mechanisms.bargaining=false",)}),
    Claim("community_of_commerce", "the economic level",
          "Linked organizations (a community of commerce) create more value than separate ones "
          "(a market).", "community_of_commerce", "value_created", +1,
          a=("openness.inter_org=0",), b=("openness.inter_org=0.5",)),
    Claim("adaptive_strategy", "strategy",
          "An organization that adapts its practices to its own experience knows its market "
          "better.", "adaptive_strategy", "knowledge_code", +1, a=("org.adapt=off",),
          b=("org.adapt=on",)),
    Claim("democratic_participation", "democratic participation",
          "Giving members decision rights improves what the organization knows.",
          "default", "knowledge_code", +1, intervention="give_members_the_vote"),
)

#: The levels table: one intervention per level, its effect on a metric of each level.
LEVELS: dict[str, tuple[str, ...]] = {
    "individual (voice)": ("population.voice=0.6",),
    "organizational (responsiveness)": ("regime.responsiveness=0.9",),
    "economic (bargaining)": ("value.bargaining=0.3", "value.share_max=0.9"),
}
LEVEL_METRICS = {"individual": "engagement", "organizational": "knowledge_code",
                 "economic": "value_share_stakeholders"}
LEVEL_BASE = ("scenario=community_of_commerce",)

#: Below this, a difference and its interval are zero: the arms do not differ at all.
_NONE = 1e-9

QUICK = ("steps=40", "org.size=40", "stakeholders.count=8", "hierarchy.depth=3")


def _arms(claim: Claim, extra: Sequence[str], steps: int):
    base = [f"scenario={claim.scenario}", *extra]
    treated = [*base, *claim.b]
    base = [*base, *claim.a]
    if claim.intervention:
        treated += [f"+intervention={claim.intervention}",
                    f"interventions.0.at={steps // 2}"]
    return to_config(load_config(base)), to_config(load_config(treated))


def _window_means(cfg, seeds: Sequence[int], metric: str) -> np.ndarray:
    """Per replicate, the metric's mean over the end-of-run window (the last third)."""
    return _window_table(cfg, seeds, (metric,))[metric]


def _model(cfg, seed: int):
    from sim.model import AgoraModel  # kept lazy: `agora claims --help` answers at once

    return AgoraModel(cfg, seed=seed)


def _window_table(cfg, seeds: Sequence[int], metrics: Sequence[str]) -> dict[str, np.ndarray]:
    from sim.simulation import window_steps

    out: dict[str, list] = {m: [] for m in metrics}
    for seed in seeds:
        model = _model(cfg, seed)
        model.run()
        for m in metrics:
            values = np.array([row[m] for row in model.records], dtype=float)
            first, last = window_steps(len(values) - 1)  # records hold steps 0 .. last
            window = values[first : last + 1]
            out[m].append(np.nanmean(window) if np.isfinite(window).any() else np.nan)
    return {m: np.array(v) for m, v in out.items()}


def paired(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """Mean of ``b - a`` and its 95% t interval (NaN bounds with fewer than two pairs)."""
    d = b - a
    mean = float(d.mean())
    if d.size < 2:
        return mean, float("nan"), float("nan")
    from scipy import stats

    half = float(stats.t.ppf(0.975, d.size - 1) * d.std(ddof=1) / np.sqrt(d.size))
    return mean, mean - half, mean + half


def verdict(low: float, high: float, sign: int) -> str:
    """``supported`` when the interval lies on the expected side of 0, else ``not supported``
    (saying whether it lies on the other side)."""
    if np.isnan(low):
        return "not supported (one replicate)"
    if max(abs(low), abs(high)) < _NONE:
        return "not supported (no difference: no causal path)"
    if sign * low > 0 and sign * high > 0:
        return "supported"
    if sign * low < 0 and sign * high < 0:
        return "not supported (the opposite)"
    return "not supported (no clear effect)"


def evaluate(claim: Claim, common: Sequence[str], replicates: int, steps: int) -> dict:
    """Run one claim under each of its conditions; its rows and overall verdict."""
    rows = []
    for label, extra in (claim.conditions or {"": ()}).items():
        cfg_a, cfg_b = _arms(claim, [*common, *extra], steps)
        seeds = replicate_seeds(cfg_a.seed, replicates)
        a = _window_means(cfg_a, seeds, claim.metric)
        b = _window_means(cfg_b, seeds, claim.metric)
        mean, low, high = paired(a, b)
        rows.append({"condition": label, "a": float(np.nanmean(a)), "b": float(np.nanmean(b)),
                     "diff": mean, "low": low, "high": high,
                     "verdict": verdict(low, high, claim.sign)})
    verdicts = {r["verdict"].split(" (")[0] for r in rows}
    if len(verdicts) == 1:
        overall = rows[0]["verdict"]
    else:
        where = [r["condition"] for r in rows if r["verdict"] == "supported"]
        overall = f"depends on the condition: supported under {', '.join(where)} only"
    return {"claim": claim, "rows": rows, "verdict": overall}


def levels(common: Sequence[str], replicates: int, steps: int) -> list[dict]:
    """Each level's intervention (from half-way) and its effect at every level."""
    out = []
    base = to_config(load_config([*LEVEL_BASE, *common]))
    seeds = replicate_seeds(base.seed, replicates)
    metrics = tuple(LEVEL_METRICS.values())
    before = _window_table(base, seeds, metrics)
    for label, changes in LEVELS.items():
        sets = {c.split("=")[0]: float(c.split("=")[1]) for c in changes}
        treated = to_config({**_plain(base), "interventions": [{"at": steps // 2, "set": sets}]})
        after = _window_table(treated, seeds, metrics)
        for level, metric in LEVEL_METRICS.items():
            a, b = before[metric], after[metric]
            mean, low, high = paired(a, b)
            out.append({"intervention": label, "level": level, "metric": metric,
                        "diff": mean, "low": low, "high": high})
    return out


def _plain(cfg) -> dict:
    from omegaconf import OmegaConf

    return OmegaConf.to_container(OmegaConf.structured(cfg))


def _num(x: float) -> str:
    if np.isnan(x):
        return "n/a"
    return "0" if abs(x) < _NONE else f"{x:+.4f}"


def render(results: list[dict], level_rows: list[dict], *, replicates: int, steps: int,
           quick: bool) -> str:
    """The Markdown of docs/claims.md."""
    lines = [
        "# The essays' claims, tested",
        "",
        "Generated by `agora claims`" + (" --quick (small, short runs)" if quick else "") +
        "; do not edit by hand. Each claim compares two arms with shared seeds "
        f"({replicates} replicates, {steps} steps); a value is a replicate's mean over the last "
        "third of the run; B - A is the paired difference with its 95% t interval. Supported: "
        "the interval lies on the side the essay expects; depends on: the verdict differs "
        "between the conditions named.",
        "",
        "| claim (essay) | test | metric | condition | A | B | B - A [95% CI] | verdict |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for res in results:
        c = res["claim"]
        test = f"`{c.scenario}`" + (f" + what-if `{c.intervention}`" if c.intervention else "")
        if c.b:
            test += " with " + ", ".join(f"`{o}`" for o in c.b)
        if c.a:
            test += "; A: " + ", ".join(f"`{o}`" for o in c.a)
        for i, r in enumerate(res["rows"]):
            head = f"{c.text} ({c.essay})" if i == 0 else ""
            lines.append(
                f"| {head} | {test if i == 0 else ''} | {c.metric if i == 0 else ''} | "
                f"{r['condition'] or '-'} | {r['a']:.4f} | {r['b']:.4f} | {_num(r['diff'])} "
                f"[{_num(r['low'])}, {_num(r['high'])}] | {r['verdict']} |")
    lines += ["", "## Verdicts", ""]
    lines += [f"- **{r['claim'].key}**: {r['verdict']}" for r in results]
    lines += [
        "", "## Levels: shift one level and you nudge them all?", "",
        "Base: `community_of_commerce`; each intervention from half-way; effect (B - A) on one "
        "metric per level, with its 95% t interval.", "",
        "| intervention at | effect on | metric | B - A [95% CI] | clear? |",
        "|---|---|---|---|---|",
    ]
    for r in level_rows:
        clear = not np.isnan(r["low"]) and (r["low"] > 0 or r["high"] < 0)
        none = not np.isnan(r["low"]) and max(abs(r["low"]), abs(r["high"])) < _NONE
        word = "none: no causal path" if none else "yes" if clear else "no"
        lines.append(f"| {r['intervention']} | {r['level']} | {r['metric']} | {_num(r['diff'])} "
                     f"[{_num(r['low'])}, {_num(r['high'])}] | {word} |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Run every claim and write the table; 2 for a bad configuration."""
    parser = argparse.ArgumentParser(
        prog="agora claims", description=__doc__.splitlines()[0].split(": ", 1)[1],
        epilog="examples: agora claims (docs/claims.md from the full runs); "
        "agora claims --quick --out /tmp/claims.md (small, short runs)")
    parser.add_argument("--quick", action="store_true", help="small, short runs (tests)")
    add_run_options(parser, "replicates", "steps")
    parser.add_argument("--out", default="docs/claims.md",
                        help="the Markdown file to write (default: %(default)s)")
    args = parser.parse_args(argv)
    logging.getLogger("MESA").setLevel(logging.WARNING)
    replicates = args.replicates or (2 if args.quick else 10)
    steps = args.steps or (40 if args.quick else 300)
    common = [*(QUICK if args.quick else ()), f"steps={steps}"]
    try:
        results = []
        for claim in CLAIMS:
            results.append(evaluate(claim, common, replicates, steps))
            print(f"  {claim.key}: {results[-1]['verdict']}", file=sys.stderr)
        level_rows = levels(common, replicates, steps)
    except ConfigError as err:
        print(f"claims: {err}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(results, level_rows, replicates=replicates, steps=steps,
                          quick=args.quick), encoding="utf-8")
    print(f"claims: {out}")
    return 0
