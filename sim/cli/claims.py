"""``agora claims``: the essays' claims, each tested by a scenario and a what-if, as a table.

Examples::

    agora claims                       # docs/claims.md from the full runs
    agora claims --quick --out /tmp/claims.md --work /tmp/claims   # small, short runs (tests)

Each claim is a comparison of two arms that share their seeds: a scenario, and the same
scenario with an intervention (a what-if from ``conf/intervention``, moved to half-way) or with
changed settings. Both arms run ``--replicates`` times; each replicate's value is its mean over
the last third of the run; the paired difference (arm B minus arm A) gets a 95% t interval.

Three answers per claim:

* **the test** at the scenario's own settings: *supported* when the interval lies on the side
  the essay says, *not supported* when it lies on the other side or covers 0;
* **what it rests on**, by the main job's classifier (:mod:`sim.studies.classification`, DESIGN
  section 7.2): both arms run again with each mechanism switch off (same seeds), and with the
  pairs of switches the classifier asks for, and the difference is called noise, mechanism M,
  mechanisms M+N or emergent (arm A plays the broadcast end, arm B the conversational one);
* **where it holds**, by ``agora discover`` (:mod:`sim.studies.discover`): the claim's practice
  (``compare``, from the start of the run) at both settings over a Latin hypercube of the
  conditions ``explore``; PRIM's box of the conditions where the effect has the essay's sign.
  A box with a significant restriction makes the verdict *depends on* that region; no box
  (every condition, or none, a case) leaves the test's verdict, with the share of conditions
  where the effect had the essay's sign.

The table of levels runs one intervention at each level (individual: voice; organizational:
responsiveness; economic: stakeholders' bargaining) and reports its effect at all three, so
"shift one level of communication and you nudge them all" is a measured claim.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import logging
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.cli.options import add_run_options
from sim.config import ConfigError, load_config, to_config
from sim.util.seeding import replicate_seeds

__all__ = [
    "CLAIMS",
    "LEVELS",
    "Claim",
    "classify_claim",
    "discover_claim",
    "evaluate",
    "main",
    "overall",
    "render",
    "verdict",
]


@dataclass(frozen=True)
class Claim:
    """One claim of the essays and the comparisons that test it.

    Arm A is the scenario with the overrides ``a``; arm B is the scenario with the overrides
    ``b`` and, if given, ``intervention`` (a named what-if, moved to half-way). ``sign`` is the
    direction the essay expects for ``metric`` (B - A). ``compare`` (``key=A,B``) is the same
    practice as ``agora discover`` compares it, from the start of the run, over the ranges
    ``explore`` (``key=low:high``), with ``discover_with`` set in both of its arms.
    """

    key: str
    essay: str
    text: str
    scenario: str
    metric: str
    sign: int
    compare: str
    explore: tuple[str, ...]
    intervention: str | None = None
    a: tuple[str, ...] = ()
    b: tuple[str, ...] = ()
    discover_with: tuple[str, ...] = ()


#: Conditions every discovery explores besides its claim's own: how fast the world moves and
#: how much members talk (both change every mechanism's input).
GENERAL = ("environment.turbulence=0:0.1", "population.talk=0.2:1")

CLAIMS: tuple[Claim, ...] = (
    Claim(
        "imposed_platform",
        "enterprise social networks",
        "A platform imposed from the top empties; one grown from willing users bottom up is "
        "used more.",
        "off_the_shelf_network",
        "platform_active",
        +1,
        "platform.rollout=top_down,champions",
        ("platform.threshold=0.05:0.6", "regime.responsiveness=0:0.8", *GENERAL),
        b=("platform.rollout=champions",),
    ),
    Claim(
        "leaders_take_part",
        "enterprise social networks (Cisco)",
        "The platform works when the leadership takes part in it itself.",
        "off_the_shelf_network",
        "platform_active",
        +1,
        "leadership.participation=0,0.5",
        ("platform.threshold=0.05:0.6", "platform.leader_weight=0:1", *GENERAL),
        intervention="leaders_take_part",
    ),
    Claim(
        "listening_tips_platform",
        "enterprise social networks",
        "Once the organization starts listening, the platform tips into use.",
        "off_the_shelf_network",
        "adoption",
        +1,
        "regime.responsiveness=0,0.6",
        ("platform.threshold=0.05:0.6", "platform.usefulness=0:1", *GENERAL),
        intervention="start_listening",
    ),
    Claim(
        "espoused_values",
        "authenticity",
        "Stakeholders find out when an organization does not live the values it espouses, "
        "and trust it less.",
        "says_it_listens",
        "trust",
        -1,
        "org.espoused=null,0.8",
        ("regime.responsiveness=0:0.8", "population.voice=0.05:0.6", *GENERAL),
        a=("org.espoused=null",),
    ),
    Claim(
        "fairer_value",
        "the economic level",
        "Hearing stakeholders distributes the value created more fairly.",
        "community_of_commerce",
        "value_share_stakeholders",
        +1,
        "regime.responsiveness=0,0.6",
        ("value.bargaining=0:0.2", "value.share_max=0.35:0.9", *GENERAL),
        intervention="hear_customers",
        a=("openness.hear_stakeholders=false", "regime.responsiveness=0"),
        b=("openness.hear_stakeholders=false", "regime.responsiveness=0"),
        discover_with=("openness.hear_stakeholders=true",),
    ),
    Claim(
        "community_of_commerce",
        "the economic level",
        "Linked organizations (a community of commerce) create more value than separate ones "
        "(a market).",
        "community_of_commerce",
        "value_created",
        +1,
        "openness.inter_org=0,0.5",
        ("value.idea_value=0:1", *GENERAL),
        a=("openness.inter_org=0",),
        b=("openness.inter_org=0.5",),
    ),
    Claim(
        "adaptive_strategy",
        "strategy",
        "An organization that adapts its practices to its own experience knows its market better.",
        "adaptive_strategy",
        "knowledge_code",
        +1,
        "org.adapt='off','on'",
        ("org.adapt_step=0.02:0.3", "org.adapt_noise=0:0.1", *GENERAL),
        a=("org.adapt=off",),
        b=("org.adapt=on",),
    ),
    Claim(
        "democratic_participation",
        "democratic participation",
        "Giving members decision rights improves what the organization knows.",
        "default",
        "knowledge_code",
        +1,
        "regime.decision=leaders,vote",
        ("population.voice=0.05:0.6", *GENERAL),
        intervention="give_members_the_vote",
        discover_with=("regime.voting=true", "regime.quorum=2"),
    ),
)

#: The levels table: one intervention per level, its effect on a metric of each level.
LEVELS: dict[str, tuple[str, ...]] = {
    "individual (voice)": ("population.voice=0.6",),
    "organizational (responsiveness)": ("regime.responsiveness=0.9",),
    "economic (bargaining)": ("value.bargaining=0.3", "value.share_max=0.9"),
}
LEVEL_METRICS = {
    "individual": "engagement",
    "organizational": "knowledge_code",
    "economic": "value_share_stakeholders",
}
LEVEL_BASE = ("scenario=community_of_commerce",)

#: Below this, a difference and its interval are zero: the arms do not differ at all.
_NONE = 1e-9

QUICK = ("steps=40", "org.size=40", "stakeholders.count=8", "hierarchy.depth=3")
#: Pairs of switches the classifier may run per claim (the main job's default).
MAX_PAIRS = 6
#: Conditions and replicates of each claim's discovery (quick, full); 30 is the fewest
#: ``agora discover`` accepts.
DISCOVER_POINTS = {True: 30, False: 30}
DISCOVER_REPLICATES = {True: 1, False: 1}


def _arms(claim: Claim, extra: Sequence[str], steps: int):
    base = [f"scenario={claim.scenario}", *extra]
    treated = [*base, *claim.b]
    base = [*base, *claim.a]
    if claim.intervention:
        treated += [f"+intervention={claim.intervention}", f"interventions.0.at={steps // 2}"]
    return to_config(load_config(base)), to_config(load_config(treated))


def _window_means(cfg, seeds: Sequence[int], metric: str) -> np.ndarray:
    """Per replicate, the metric's mean over the end-of-run window (the last third)."""
    return _window_table(cfg, seeds, (metric,))[metric]


def _model(cfg, seed: int):
    from sim.model import AgoraModel  # kept lazy: `agora claims --help` answers at once

    return AgoraModel(cfg, seed=seed)


def _window_table(cfg, seeds: Sequence[int], metrics: Sequence[str]) -> dict[str, np.ndarray]:
    """Per replicate, each metric over the end-of-run window, by the outcomes kit."""
    from sim.studies.outcomes import window_means

    rows = []
    for seed in seeds:
        model = _model(cfg, seed)
        model.run()
        rows.append(
            window_means(
                model.metrics_frame().assign(seed=seed),
                metrics,
                by=("seed",),
                cumulative_at_last=True,
            )
        )
    table = pd.concat(rows).set_index("seed").loc[list(seeds)]
    return {m: table[m].to_numpy(dtype=float) for m in metrics}


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


# --------------------------------------------------------------------------- what it rests on


def _switched_off(cfg, off: Sequence[str]):
    return dataclasses.replace(
        cfg, mechanisms=dataclasses.replace(cfg.mechanisms, **{m: False for m in off})
    )


def _values(arms, seeds, metric: str, ablation: str, off: Sequence[str]) -> list[dict]:
    """The classifier's rows of one ablation: arm A as its first end, arm B as its second."""
    from sim.studies.classification import ENDS

    rows = []
    for end, cfg in zip(ENDS, arms, strict=True):
        means = _window_means(_switched_off(cfg, off), seeds, metric)
        rows += [
            {"ablation": ablation, "end": end, "seed": s, metric: float(v)}
            for s, v in zip(seeds, means, strict=True)
        ]
    return rows


def classify_claim(
    arms,
    seeds: Sequence[int],
    metric: str,
    main: tuple[np.ndarray, ...],
    *,
    max_pairs: int = MAX_PAIRS,
) -> dict:
    """The classification of B - A by the main job's classifier: every mechanism on in both
    arms switched off alone (same seeds), then the pairs it asks for (at most ``max_pairs``).

    ``main`` holds the two arms' per-seed values with every mechanism on (already run).
    Returns the classifier's row (:data:`sim.studies.classification.COLUMNS`) as a dict.
    """
    from sim.studies.classification import (
        BASE,
        ENDS,
        classify,
        mechanism_names,
        pair_label,
        pairs_to_run,
    )

    switches = [m for m in mechanism_names() if all(getattr(cfg.mechanisms, m) for cfg in arms)]
    rows = [
        {"ablation": BASE, "end": end, "seed": s, metric: float(v)}
        for end, values in zip(ENDS, main, strict=True)
        for s, v in zip(seeds, values, strict=True)
    ]
    for m in switches:
        rows += _values(arms, seeds, metric, m, (m,))
    values = pd.DataFrame(rows)
    for pair in pairs_to_run(values, [metric], switches)[:max_pairs]:
        rows += _values(arms, seeds, metric, pair_label(*pair), pair)
    table = classify(pd.DataFrame(rows), [metric], switches)
    return table.iloc[0].to_dict()


def rests_on(row: dict) -> str:
    """The classification in a few words: 'mechanism bargaining (removes 100%)'.

    >>> rests_on({"class": "mechanisms", "mechanism": "a+b", "share_removed": 0.91})
    'mechanisms a+b (remove 91%)'
    >>> rests_on({"class": "noise", "mechanism": "", "share_removed": float("nan")})
    'noise'
    """
    kind, name, share = row["class"], row.get("mechanism") or "", row.get("share_removed")
    if kind == "mechanism":
        return f"mechanism {name} (removes {share:.0%})"
    if kind == "mechanisms":
        return f"mechanisms {name} (remove {share:.0%})"
    if kind == "emergent":
        most = f"; at most {share:.0%} removed, by {name}" if name else ""
        through = row.get("moves_through") or "no switch clearly"
        return f"emergent (moves through {through}{most})"
    return kind


# --------------------------------------------------------------------------- where it holds


def _discover_request(claim: Claim, common: Sequence[str], quick: bool, out: Path):
    """The claim's ``agora discover`` study (:class:`sim.studies.discover.Request`)."""
    from sim.studies.discover import Request

    return Request(
        compare=claim.compare,
        outcome=claim.metric,
        lower_is_better=claim.sign < 0,
        n=DISCOVER_POINTS[quick],
        seed=0,
        workers=1,
        out=str(out),
        no_progress=True,
        no_plots=True,
        args=[
            f"scenario={claim.scenario}",
            *common,
            *claim.discover_with,
            f"replicates={DISCOVER_REPLICATES[quick]}",
            *claim.explore,
        ],
    )


def discover_claim(claim: Claim, common: Sequence[str], *, quick: bool, work: Path) -> dict:
    """Run ``agora discover`` for the claim's practice over its conditions; the region where
    the effect has the essay's sign: cases, points, conditions (PRIM's box, in words; empty
    when there is no box or it restricts nothing), coverage, density and the study's folder.

    Raises
    ------
    RuntimeError
        The discovery failed (its exit status and log are named).
    """
    from sim.studies import discover

    out = work / claim.key
    out.mkdir(parents=True, exist_ok=True)
    log = out / "claims.log"
    with open(log, "w", encoding="utf-8") as fh, contextlib.redirect_stdout(fh):
        status = discover.run(_discover_request(claim, common, quick, out))
    if status != 0:
        raise RuntimeError(f"discover for {claim.key} ended with {status}: see {log}")
    info = json.loads((out / "discover.json").read_text())
    effects = pd.read_csv(out / "effects.csv")
    region = {
        "cases": int(effects["case"].sum()),
        "points": len(effects),
        "conditions": [],
        "coverage": np.nan,
        "density": np.nan,
        "folder": str(out),
    }
    if "box" in info:
        found = discover.load_box(out, effects)
        region.update(
            conditions=discover.conditions(found, info["ranges"]),
            coverage=found.coverage,
            density=found.density,
        )
    return region


def overall(test: str, region: dict | None) -> str:
    """The claim's verdict: the test's, unless the discovery found a region (then *depends
    on* it).

    >>> overall("supported", {"conditions": ["turbulence < 0.04"], "cases": 20, "points": 32,
    ...                       "coverage": 0.8, "density": 0.9})
    'depends on: turbulence < 0.04 (the effect has the sign claimed in 20 of 32 conditions)'
    >>> overall("supported", {"conditions": [], "cases": 32, "points": 32})
    'supported; the effect has the sign claimed in 32 of 32 conditions'
    """
    if region is None:
        return test
    share = f"the effect has the sign claimed in {region['cases']} of {region['points']} conditions"
    if region["conditions"]:
        return f"depends on: {' and '.join(region['conditions'])} ({share})"
    return f"{test}; {share}"


def evaluate(
    claim: Claim,
    common: Sequence[str],
    replicates: int,
    steps: int,
    *,
    quick: bool = False,
    work: Path | None = None,
) -> dict:
    """Run one claim: the test, its classification and (with ``work``) its discovery."""
    arms = _arms(claim, common, steps)
    seeds = replicate_seeds(arms[0].seed, replicates)
    a, b = (_window_means(cfg, seeds, claim.metric) for cfg in arms)
    mean, low, high = paired(a, b)
    test = verdict(low, high, claim.sign)
    row = {
        "a": float(np.nanmean(a)),
        "b": float(np.nanmean(b)),
        "diff": mean,
        "low": low,
        "high": high,
        "verdict": test,
    }
    classification = classify_claim(arms, seeds, claim.metric, (a, b))
    region = discover_claim(claim, common, quick=quick, work=work) if work else None
    return {
        "claim": claim,
        "row": row,
        "classification": classification,
        "region": region,
        "verdict": overall(test, region),
    }


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
            out.append(
                {
                    "intervention": label,
                    "level": level,
                    "metric": metric,
                    "diff": mean,
                    "low": low,
                    "high": high,
                }
            )
    return out


def _plain(cfg) -> dict:
    from omegaconf import OmegaConf

    plain = OmegaConf.to_container(OmegaConf.structured(cfg))
    assert isinstance(plain, dict)  # a structured config (a dataclass) is a mapping
    return plain


def _num(x: float) -> str:
    if np.isnan(x):
        return "n/a"
    return "0" if abs(x) < _NONE else f"{x:+.4f}"


def _test_words(c: Claim) -> str:
    test = f"`{c.scenario}`" + (f" + what-if `{c.intervention}`" if c.intervention else "")
    if c.b:
        test += " with " + ", ".join(f"`{o}`" for o in c.b)
    if c.a:
        test += "; A: " + ", ".join(f"`{o}`" for o in c.a)
    return test


def _region_words(res: dict) -> str:
    c, region = res["claim"], res["region"]
    if region is None:
        return "not run"
    ranges = ", ".join(f"`{r}`" for r in c.explore)
    found = (
        " and ".join(region["conditions"]) + f" (coverage {region['coverage']:.2f}, "
        f"density {region['density']:.2f})"
        if region["conditions"]
        else "no region"
    )
    return (
        f"`{c.compare}` over {ranges}: sign claimed in {region['cases']} of "
        f"{region['points']}; box: {found}"
    )


def render(
    results: list[dict],
    level_rows: list[dict],
    *,
    replicates: int,
    steps: int,
    quick: bool,
    timing: str = "",
) -> str:
    """The Markdown of docs/claims.md."""
    lines = [
        "# The essays' claims, tested",
        "",
        "Generated by `agora claims`"
        + (" --quick (small, short runs)" if quick else "")
        + "; do not edit by hand. Each claim compares two arms with shared seeds "
        f"({replicates} replicates, {steps} steps); a value is a replicate's mean over the last "
        "third of the run; B - A is the paired difference with its 95% t interval. The test "
        "says *supported* when the interval lies on the side the essay expects. *Rests on* is "
        "the main job's classification of B - A (each mechanism switch off in both arms, same "
        "seeds; DESIGN section 7.2). *Where* is an `agora discover` study of the claim's "
        f"practice, from the start of the run ({DISCOVER_POINTS[quick]} conditions of a Latin "
        f"hypercube, {DISCOVER_REPLICATES[quick]} replicate(s) each): PRIM's box of the "
        "conditions where the effect has the sign claimed; a box makes the verdict *depends "
        "on* it." + (f" {timing}" if timing else ""),
        "",
        "| claim (essay) | test | metric | A | B | B - A [95% CI] | test verdict | rests on "
        "| where (agora discover) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for res in results:
        c, r = res["claim"], res["row"]
        lines.append(
            f"| {c.text} ({c.essay}) | {_test_words(c)} | {c.metric} | {r['a']:.4f} | "
            f"{r['b']:.4f} | {_num(r['diff'])} [{_num(r['low'])}, {_num(r['high'])}] | "
            f"{r['verdict']} | {rests_on(res['classification'])} | {_region_words(res)} |"
        )
    lines += ["", "## Verdicts", ""]
    lines += [f"- **{r['claim'].key}**: {r['verdict']}" for r in results]
    lines += [
        "",
        "## Levels: shift one level and you nudge them all?",
        "",
        "Base: `community_of_commerce`; each intervention from half-way; effect (B - A) on one "
        "metric per level, with its 95% t interval.",
        "",
        "| intervention at | effect on | metric | B - A [95% CI] | clear? |",
        "|---|---|---|---|---|",
    ]
    for r in level_rows:
        clear = not np.isnan(r["low"]) and (r["low"] > 0 or r["high"] < 0)
        none = not np.isnan(r["low"]) and max(abs(r["low"]), abs(r["high"])) < _NONE
        word = "none: no causal path" if none else "yes" if clear else "no"
        lines.append(
            f"| {r['intervention']} | {r['level']} | {r['metric']} | {_num(r['diff'])} "
            f"[{_num(r['low'])}, {_num(r['high'])}] | {word} |"
        )
    return "\n".join(lines) + "\n"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="agora claims",
        description=__doc__.splitlines()[0].split(": ", 1)[1],
        epilog="examples: agora claims (docs/claims.md from the full runs); "
        "agora claims --quick --out /tmp/claims.md --work /tmp/claims (small, short runs)",
    )
    parser.add_argument("--quick", action="store_true", help="small, short runs (tests)")
    add_run_options(parser, "replicates", "steps")
    parser.add_argument(
        "--out", default="docs/claims.md", help="the Markdown file to write (default: %(default)s)"
    )
    parser.add_argument(
        "--work",
        default="reports/claims",
        help="where each claim's discover study is kept (default: %(default)s)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run every claim and write the table (again after each claim, marked partial, so a long
    run that is stopped leaves what it measured); 2 for a bad configuration."""
    args = _parser().parse_args(argv)
    logging.getLogger("MESA").setLevel(logging.WARNING)
    replicates = args.replicates or (2 if args.quick else 10)
    steps = args.steps or (40 if args.quick else 300)
    common = [*(QUICK if args.quick else ()), f"steps={steps}"]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    wall, cpu = time.perf_counter(), time.process_time()

    def write(results, level_rows, note):
        timing = (
            f"{note} {time.perf_counter() - wall:.0f} s of wall time and "
            f"{time.process_time() - cpu:.0f} s of CPU time (one process)."
        )
        out.write_text(
            render(
                results,
                level_rows,
                replicates=replicates,
                steps=steps,
                quick=args.quick,
                timing=timing,
            ),
            encoding="utf-8",
        )
        return timing

    try:
        results = []
        for claim in CLAIMS:
            results.append(
                evaluate(claim, common, replicates, steps, quick=args.quick, work=Path(args.work))
            )
            print(
                f"  {claim.key}: {results[-1]['verdict']}; rests on "
                f"{rests_on(results[-1]['classification'])}",
                file=sys.stderr,
                flush=True,
            )
            write(
                results,
                [],
                f"Partial ({len(results)} of {len(CLAIMS)} claims, no levels yet) after",
            )
        timing = write(results, levels(common, replicates, steps), "This table took")
    except ConfigError as err:
        print(f"claims: {err}", file=sys.stderr)
        return 2
    print(f"claims: {out} ({timing})")
    return 0
