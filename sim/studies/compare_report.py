"""The main job's ``report.md``: plain sentences first, then the tables and plots behind them.

Every sentence is built from the tables :func:`sim.studies.compare.analyse` returns (the same ones
written as ``effects.csv``, ``regimes.csv`` and ``differences.csv``), by the small functions
below, so a test can rebuild each sentence from the files.

An effect is *clear* when its 95% interval excludes zero. Effects listed in
:data:`sim.studies.compare.BY_CONSTRUCTION` (and interactions involving them) hold by definition
of the practice; they are labelled "by construction" wherever they appear.

Examples
--------
>>> fmt(0.123456), fmt(-2.0), fmt(float("nan"))
('0.123', '-2', 'n/a')
>>> row = {"lever": "voting", "metric": "engagement", "effect": -0.05, "ci_low": -0.08,
...        "ci_high": -0.02, "n": 10}
>>> effect_phrase(row)
'voting (off → on) lowers it by 0.05 (95% CI -0.08 to -0.02)'
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.rules.catalogue import record
from sim.studies.classification import THRESHOLD, outcome_table
from sim.studies.compare import (
    HEADLINE,
    LEVER_BY_NAME,
    LEVERS,
    MECHANISMS,
    Tables,
    by_construction,
    regime_order,
)
from sim.studies.outcomes import fmt, is_clear
from sim.util.atomic import write_text_atomic
from sim.viz.plots import pretty

#: The largest clear interactions an outcome's sentence names; the table lists them all.
MAX_INTERACTIONS = 3

__all__ = [
    "RunFacts",
    "fmt",
    "is_clear",
    "effect_phrase",
    "outcome_sentence",
    "summary_sentence",
    "construction_sentences",
    "ends_sentence",
    "classification_section",
    "realistic_section",
    "write_report",
    "write_ends_report",
]

#: Where the realistic ends come from (shown beside their table).
FIELD_EVIDENCE = (
    "organizations answer far fewer than half of the ideas they receive: they select a small "
    "share and generally give no feedback on the ideas they do not select (Piezunka & "
    "Dahlander 2019, *Academy of Management Journal* 62(2), p. 503, over 70,159 "
    "organizations); the values 0.2 and 0.4 bracket that evidence and are an assumption"
)


@dataclass
class RunFacts:
    """How the comparison was run (for the report's method section)."""

    design: str = "full"
    resolution: float = math.inf
    replicates: int = 0
    seed: int = 0
    overrides: list[str] = field(default_factory=list)
    window_fraction: float = 1 / 3
    run_time: float = float("nan")
    cpu_time: float = float("nan")
    failed: dict[str, str] = field(default_factory=dict)
    config: Mapping[str, Any] = field(default_factory=dict)
    git_commit: str | None = None
    switches: list[str] = field(default_factory=list)  # the mechanisms ablated one at a time
    max_pairs: int = 0


def lever_words(lever: str) -> str:
    """A lever in words: ``responsiveness (0 → 0.6)``; an interaction keeps its label."""
    if lever in LEVER_BY_NAME:
        item = LEVER_BY_NAME[lever]
        return f"{item.label} ({item.change})"
    return lever


def _ci(row: Mapping[str, Any]) -> str:
    return f"95% CI {fmt(row['ci_low'])} to {fmt(row['ci_high'])}"


def effect_phrase(row: Mapping[str, Any]) -> str:
    """One clear main effect in words: which way, by how much, and the interval."""
    verb = "raises" if row["effect"] > 0 else "lowers"
    text = f"{lever_words(row['lever'])} {verb} it by {fmt(abs(row['effect']))} ({_ci(row)})"
    if by_construction(row["lever"], row["metric"]):
        text += ", by construction"
    return text


def _signed(x: float) -> str:
    return ("+" if x > 0 else "") + fmt(x)


def outcome_sentence(effects: pd.DataFrame, metric: str, ends: Mapping[str, float]) -> str:
    """The plain sentence for one outcome: clear main effects, unclear ones, clear interactions.

    ``ends`` maps ``broadcast`` and ``conversational`` to the outcome's window average there
    (for scale).
    """
    rows = effects[effects["metric"] == metric]
    mains = rows[rows["lever"].isin(LEVER_BY_NAME)]
    inter = rows[~rows["lever"].isin(LEVER_BY_NAME)]
    head = (
        f"**{pretty(metric)}** (broadcast end {fmt(ends.get('broadcast'))}, "
        f"conversational end {fmt(ends.get('conversational'))}): "
    )
    clear = [r for _, r in mains.iterrows() if is_clear(r)]
    clear.sort(key=lambda r: -abs(r["effect"]))
    unclear = [LEVER_BY_NAME[r["lever"]].label for _, r in mains.iterrows() if not is_clear(r)]
    parts = []
    if clear:
        parts.append("; ".join(effect_phrase(r) for r in clear) + ".")
    else:
        parts.append("no practice moves it clearly (every 95% CI includes zero).")
    if clear and unclear:
        parts.append(f"No clear effect of {_and(unclear)} (95% CIs include zero).")
    pairs = [r for _, r in inter.iterrows() if is_clear(r)]
    pairs.sort(key=lambda r: -abs(r["effect"]))
    if pairs:
        more = len(pairs) - MAX_INTERACTIONS
        parts.append(
            "Interactions: "
            + "; ".join(
                f"{r['lever']} {_signed(r['effect'])} ({_ci(r)})"
                + (", by construction" if by_construction(r["lever"], metric) else "")
                for r in pairs[:MAX_INTERACTIONS]
            )
            + (
                f" (and {more} smaller clear one{'s' if more > 1 else ''} in the table)"
                if more > 0
                else ""
            )
            + "."
        )
    text = head + " ".join(parts)
    return text[0].upper() + text[1:]


def summary_sentence(effects: pd.DataFrame, metrics: Sequence[str]) -> str:
    """In short: the practice with the largest clear main effect on each outcome.

    >>> e = pd.DataFrame({"lever": ["voting", "upward"], "metric": ["trust", "trust"],
    ...                   "effect": [0.1, -0.3], "ci_low": [0.05, -0.4], "ci_high": [0.15, -0.2],
    ...                   "n": [5, 5]})
    >>> summary_sentence(e, ["trust"])
    'In short, the practice that moves each outcome most: trust, upward channel (-0.3).'
    """
    parts = []
    for m in metrics:
        rows = effects[(effects["metric"] == m) & effects["lever"].isin(LEVER_BY_NAME)]
        clear = [r for _, r in rows.iterrows() if is_clear(r)]
        if not clear:
            parts.append(f"{pretty(m).lower()}, none clearly")
            continue
        top = max(clear, key=lambda r: abs(r["effect"]))
        parts.append(
            f"{pretty(m).lower()}, {LEVER_BY_NAME[top['lever']].label} ({_signed(top['effect'])})"
        )
    return "In short, the practice that moves each outcome most: " + "; ".join(parts) + "."


def _and(items: Sequence[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def construction_sentences(effects: pd.DataFrame) -> list[str]:
    """One line per main effect that holds by construction, with its size and the reason."""
    lines = []
    for _, r in effects[effects["lever"].isin(LEVER_BY_NAME)].iterrows():
        reason = by_construction(r["lever"], r["metric"])
        if reason:
            lines.append(
                f"{lever_words(r['lever'])} on {pretty(r['metric']).lower()}: "
                f"{_signed(r['effect'])} ({_ci(r)}), because {reason}."
            )
    return lines


def ends_sentence(differences: pd.DataFrame, metrics: Sequence[str]) -> str:
    """Conversational minus broadcast, paired by seed, for ``metrics`` (window averages;
    cumulative counts at the window's last step)."""
    d = differences[differences["value"] == "window"].set_index("metric")
    parts = [
        f"{pretty(m).lower()} {_signed(d.loc[m, 'diff'])} (95% CI {fmt(d.loc[m, 'ci_low'])} "
        f"to {fmt(d.loc[m, 'ci_high'])})"
        for m in metrics
        if m in d.index
    ]
    return "Conversational end minus broadcast end, paired by seed: " + "; ".join(parts) + "."


def _pct(x: float) -> str:
    return "n/a" if x is None or pd.isna(x) else f"{100 * x:.0f}%"


def _difference(r: Mapping[str, Any]) -> str:
    return f"{pretty(r['metric'])} {_signed(r['difference'])} ({_ci(r)})"


def _share_words(r: Mapping[str, Any]) -> str:
    return (
        f"{_pct(r['share_removed'])} (95% bootstrap interval {_pct(r['share_low'])} to "
        f"{_pct(r['share_high'])})"
    )


def _moves(r: Mapping[str, Any]) -> str:
    names = str(r.get("moves_through") or "").split()
    if not names:
        return "no single switch moves it clearly"
    return f"it moves through {_and([f'`{n}`' for n in names])}"


def _class_line(r: Mapping[str, Any]) -> str:
    """One difference in words, by its class."""
    kind = r["class"]
    if kind == "construction":
        return f"{_difference(r)}: by construction ({r['reason']})"
    if kind == "mechanism":
        others = [m for m in str(r.get("carried_by") or "").split() if m != r["mechanism"]]
        return (
            f"{_difference(r)} rests on `{r['mechanism']}`: switching it off removes "
            f"{_share_words(r)}"
            + (
                f"; switching off {_and([f'`{m}`' for m in others])} alone also removes "
                f"{THRESHOLD:.0%} or more"
                if others
                else ""
            )
        )
    if kind == "mechanisms":
        a, b = str(r["mechanism"]).split("+")
        return (
            f"{_difference(r)} rests on `{a}` and `{b}` together: switching both off "
            f"removes {_share_words(r)}, neither alone removes {THRESHOLD:.0%}"
        )
    if r["mechanism"]:
        return (
            f"{_difference(r)}: the most any ablation removes is {_share_words(r)}, by "
            f"`{r['mechanism']}`; {_moves(r)}"
        )
    return f"{_difference(r)}: {_moves(r)}; the largest share any removes is {_share_words(r)}"


#: How each class is introduced in the report's first section, in this order.
CLASS_HEADINGS = {
    "emergent": "**Emergent** (no single assumed mechanism, nor a pair of those that move it, "
    "removes 80% of it)",
    "mechanism": "**Rests on one assumed mechanism**",
    "mechanisms": "**Rests on two assumed mechanisms together**",
    "construction": "**By construction** (a practice's definition sets it, whatever agents "
    "experience)",
    "noise": "**Noise** (the 95% CI includes zero)",
    "undefined": "**Not estimable** (fewer than two seeds with a value at both ends)",
}


def classification_section(
    classification: pd.DataFrame, facts: RunFacts, pairs: Mapping[str, list] | None = None
) -> list[str]:
    """The report's first section: what each headline difference rests on, in plain words."""
    c = classification
    n = int(c["n"].max()) if len(c) else 0
    pairs = pairs or {}
    wanted, ran = len(pairs.get("wanted", [])), len(pairs.get("run", []))
    text = [
        "## What each difference rests on",
        "",
        "Each difference is the conversational end minus the broadcast end, averaged over the "
        f"end of the run (cumulative counts at its last step) and paired by seed ({n} seeds), "
        "its 95% t-interval cut to the range a difference of the outcome can take. Both ends "
        f"were run again on the same seeds with each of the {len(facts.switches)} assumed "
        "mechanisms switched off in turn "
        f"(`mechanisms.*`: {', '.join(facts.switches) or 'none'})"
        + (f", and with {ran} pair{'s' if ran != 1 else ''} of them off together" if ran else "")
        + ". A difference *rests on* a mechanism when switching it off removes at least "
        f"{THRESHOLD:.0%} of it; the share removed is 1 − (difference with the switch off) / "
        "(difference), its interval a percentile bootstrap over seeds; the class is decided on "
        "the point estimate. Pairs are tried only for differences no single switch carries, "
        "and only of the switches whose own ablation moves the difference clearly.",
        "",
    ]
    moved = c["moves_through"].fillna("").astype(str).str.strip() != ""
    if len(c) and not moved.any() and facts.switches:
        text += [
            "**No switch moved any difference clearly**: with every mechanism switched "
            "off in turn, no difference changed beyond its seed-to-seed noise.",
            "",
        ]
    if wanted > ran:
        text += [
            f"**{wanted - ran} of {wanted} wanted pairs were not run** (`--max-pairs "
            f"{facts.max_pairs}`): a difference that only such a pair carries is called "
            "emergent here.",
            "",
        ]
    for kind, heading in CLASS_HEADINGS.items():
        rows = c[c["class"] == kind]
        if rows.empty:
            continue
        if kind in ("noise", "undefined"):
            names = [
                f"{pretty(m).lower()} ({fmt(d)})"
                for m, d in zip(rows["metric"], rows["difference"], strict=True)
            ]
            text += [f"{heading}: {', '.join(names)}.", ""]
            continue
        text += [
            f"{heading}:",
            "",
            *(f"- {_class_line(r)}." for r in rows.to_dict(orient="records")),
            "",
        ]
    text += [
        "The same as a table (`classification.csv`; every ablation's share of every "
        "difference in `ablations.csv`):",
        "",
        outcome_table(c),
        "",
    ]
    return text


#: The column label of each pair of ends in the realistic table.
def _ends_label(responsiveness: float, voting: bool) -> str:
    return f"responsiveness {responsiveness:g}, voting {'on' if voting else 'off'}"


def realistic_section(
    realistic: pd.DataFrame,
    metrics: Sequence[str],
    *,
    heading: str = "## How much is the choice of ends",
) -> list[str]:
    """The headline differences at the default ends and at field-realistic ones, side by side."""
    if realistic is None or realistic.empty:
        return []
    order = list(dict.fromkeys(realistic["ends"]))
    first = realistic.drop_duplicates("ends").set_index("ends")
    header = [
        "outcome",
        *(
            _ends_label(first.loc[e, "responsiveness"], first.loc[e, "voting"])
            + (" (default)" if e == "default" else "")
            for e in order
        ),
    ]
    table = realistic.set_index(["ends", "metric"])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for m in metrics:
        cells = []
        for e in order:
            if (e, m) not in table.index:
                cells.append("n/a")
                continue
            r = table.loc[(e, m)]
            cells.append(_cell(r["diff"], r["ci_low"], r["ci_high"], bold=is_clear(r)))
        lines.append(f"| {pretty(m)} | " + " | ".join(cells) + " |")
    return [
        heading,
        "",
        "The conversational end answers 60% of the ideas it reads and has voting on; those are "
        f"the model's choices. In the field, {FIELD_EVIDENCE}. Conversational minus broadcast, "
        "paired by seed, with the conversational end at each of these values (the other "
        "practices as at the default end; bold when the 95% CI excludes zero; every metric in "
        "`ends_realistic.csv`):",
        "",
        *lines,
        "",
    ]


def _end_means(tables: Tables, value: str = "window") -> dict[str, dict[str, float]]:
    r = tables.regimes[tables.regimes["value"] == value]
    return {m: dict(zip(g["regime"], g["mean"], strict=True)) for m, g in r.groupby("metric")}


def _cell(mean: float, low: float, high: float, bold: bool = False) -> str:
    text = f"{fmt(mean)} [{fmt(low)}, {fmt(high)}]"
    return f"**{text}**" if bold else text


def _regime_table(tables: Tables, value: str, labels: list[str]) -> list[str]:
    r = tables.regimes[tables.regimes["value"] == value].set_index(["regime", "metric"])
    d = tables.differences[tables.differences["value"] == value].set_index("metric")
    header = ["metric", *labels, "conversational − broadcast"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for m in tables.metrics:
        row = [pretty(m)]
        for lab in labels:
            if (lab, m) in r.index:
                s = r.loc[(lab, m)]
                row.append(_cell(s["mean"], s["ci_low"], s["ci_high"]))
            else:
                row.append("n/a")
        if m in d.index:
            s = d.loc[m]
            row.append(_cell(s["diff"], s["ci_low"], s["ci_high"], bold=is_clear(s)))
        else:
            row.append("n/a")
        lines.append("| " + " | ".join(row) + " |")
    return lines


def _practices_table(tables: Tables, labels: list[str]) -> list[str]:
    """Each end and hybrid with the practice values it ran (read from the runs table)."""
    runs = tables.runs.drop_duplicates("regime").set_index("regime")
    header = ["regime", *(lever.label for lever in LEVERS)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for lab in labels:
        if lab in runs.index:
            values = [runs.loc[lab, lever.name] for lever in LEVERS]
            lines.append("| " + " | ".join([lab, *(_practice_word(v) for v in values)]) + " |")
    return lines


def _practice_word(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "on" if value else "off"
    return f"{value:g}" if isinstance(value, (float, np.floating)) else str(value)


def _effects_table(
    effects: pd.DataFrame, metrics: Sequence[str], *, mains: bool, only_clear: bool = False
) -> list[str]:
    lines = ["| outcome | practice | effect | 95% CI | seeds | note |", "|---|---|---|---|---|---|"]
    for m in metrics:
        rows = effects[effects["metric"] == m]
        rows = rows[rows["lever"].isin(LEVER_BY_NAME) == mains]
        for _, r in rows.iterrows():
            if only_clear and not is_clear(r):
                continue
            note = "by construction" if by_construction(r["lever"], m) else ""
            effect = _signed(r["effect"])
            lines.append(
                f"| {pretty(m)} | {lever_words(r['lever'])} | "
                f"{f'**{effect}**' if is_clear(r) else effect} | "
                f"{fmt(r['ci_low'])} to {fmt(r['ci_high'])} | {int(r['n'])} | {note} |"
            )
    return lines


def write_report(
    out: str | Path,
    tables: Tables,
    facts: RunFacts,
    *,
    started: float | None = None,
    plots: bool = True,
    workers: int = 1,
) -> Path:
    """Write ``out/report.md`` (and its plots in ``out/plots``); return its path.

    What each difference rests on comes first, then the differences at realistic ends, then
    which practice does what, the effect tables, the ends and hybrids, and how it was run.
    With ``workers`` above 1, a second process draws half the plots.
    """
    out = Path(out)
    labels = [lab for lab in regime_order() if lab in set(tables.regimes["regime"])]
    labels += [m for m in tables.regimes["regime"].unique() if m not in labels]
    if plots:
        _draw(out, tables, labels, workers)
    headline = [m for m in HEADLINE if m in tables.metrics]
    text = ["# Which practice does what: the main comparison", ""]
    if tables.classification is not None:
        text += classification_section(tables.classification, facts, tables.pairs)
    if tables.realistic is not None:
        text += realistic_section(tables.realistic, headline)
    text += _practices_section(tables, facts, labels)
    text += _tables_section(tables, labels)
    text += ["## How it was run", "", *_method(tables, facts, started), ""]
    return write_text_atomic(out / "report.md", "\n".join(text))


def _design_words(tables: Tables, facts: RunFacts) -> str:
    n_points = len(tables.design)
    if facts.design == "full":
        return f"the full 2^{len(LEVERS)} factorial design ({n_points} points)"
    return (
        f"a 2^({len(LEVERS)}-1) half fraction with I = ABCDE ({n_points} points, "
        f"resolution {_roman(facts.resolution)}: no main effect or two-practice "
        "interaction is aliased with another; each two-practice interaction is "
        "aliased with the three-practice interaction of the other three, assumed "
        "small)"
    )


def _practices_section(tables: Tables, facts: RunFacts, labels: list[str]) -> list[str]:
    """Which practice does what, in sentences built from the effects."""
    ends = _end_means(tables)
    headline = [m for m in HEADLINE if m in tables.metrics]
    mechanisms = [m for m in MECHANISMS if m in tables.metrics]
    effects = tables.effects
    first, last = tables.window
    cfg = facts.config or {}
    n_seeds = int(effects["n"].max()) if len(effects) else 0
    text = [
        "## Which practice does what",
        "",
        f"The same organization (scenario `{(cfg.get('scenario') or {}).get('name', '?')}`, "
        f"{cfg.get('steps', '?')} steps, {(cfg.get('org') or {}).get('size', '?')} people, "
        f"{(cfg.get('stakeholders') or {}).get('count', '?')} stakeholders) was run with each "
        "of the five practices that separate the broadcast end from the conversational end set "
        "to one end's value or the other's, in "
        f"{_design_words(tables, facts)}, on {n_seeds} paired seeds. An effect is the average "
        "change in an outcome when one practice moves from its broadcast-end value to its "
        "conversational-end value, averaged over every combination of the other practices. "
        f"Outcomes are averages over steps {first}–{last} (the end of the run), "
        f"{_values_words(tables.metrics, last)}; intervals are {INTERVAL_WORDS}, and an effect "
        "is *clear* when its interval excludes zero "
        f"(with {len(effects['lever'].unique()) if len(effects) else 0} effects per outcome, "
        "about one in twenty of those that are truly zero looks clear by chance: read small "
        "clear effects with care).",
        "",
        summary_sentence(effects, headline),
        "",
        *(f"- {outcome_sentence(effects, m, ends.get(m, {}))}" for m in headline),
        "",
        "How ideas travel and are answered:",
        "",
        *(f"- {outcome_sentence(effects, m, ends.get(m, {}))}" for m in mechanisms),
        "",
    ]
    built = construction_sentences(effects)
    if built:
        text += [
            "These differences hold **by construction** (by definition of the practice, "
            "not through what agents experience), and are labelled so in every table:",
            "",
            *(f"- {line}" for line in built),
            "",
        ]
    if "broadcast" in labels and "conversational" in labels:
        text += [ends_sentence(tables.differences, headline), ""]
        text += _fairness(tables)
    if facts.failed:
        text += [
            "**Failed jobs** (left out of every table): "
            + "; ".join(f"{k}: {v}" for k, v in facts.failed.items()),
            "",
        ]
    return text


#: How every interval of the report is made (said in its method text).
INTERVAL_WORDS = (
    "95% t-intervals over seeds, cut to what the outcome allows (a share's mean stays in "
    "[0, 1], a difference of shares in [-1, 1], a count's mean at or above 0: the cut never "
    "widens an interval nor changes its coverage; the column `interval` of `effects.csv` says "
    "which range each row was cut to)"
)


def _values_words(metrics: Sequence[str], last: int) -> str:
    """What an outcome's value is, by its kind: counts per step are rates, cumulative counts
    are taken at the end.

    >>> _values_words(["trust", "innovations"], 300)
    'cumulative counts (innovations) are their values at step 300, never averaged'
    >>> _values_words(["sent_vote"], 300)
    'counts of events per step (votes per step) are rates per step averaged there'
    """
    kinds = {m: record(m).kind for m in metrics}
    rates = [pretty(m).lower() for m in metrics if kinds[m] == "count"]
    totals = [pretty(m).lower() for m in metrics if kinds[m] == "cumulative"]
    parts = []
    if rates:
        parts.append(
            f"counts of events per step ({', '.join(rates)}) are rates per step averaged there"
        )
    if totals:
        parts.append(
            f"cumulative counts ({', '.join(totals)}) are their values at step "
            f"{last}, never averaged"
        )
    return ", and ".join(parts) if parts else "every outcome a level or a share"


def _tables_section(tables: Tables, labels: list[str]) -> list[str]:
    """The effect tables, the ends and hybrids, and their plots."""
    effects = tables.effects
    first, last = tables.window
    lever_list = "; ".join(f"{lever.label} `{lever.key}` {lever.change}" for lever in LEVERS)
    return [
        "## Main effects",
        "",
        f"Practices: {lever_list}. Bold: the 95% CI excludes zero. Every metric; the "
        "interactions and the same effects on final-step values are in `effects.csv` and "
        "`effects_final.csv`.",
        "",
        *_effects_table(effects, tables.metrics, mains=True),
        "",
        "![main effects and interactions on the headline outcomes](plots/effects.png)",
        "",
        "Mechanisms and message counts: [plots/effects_mechanisms.png]"
        "(plots/effects_mechanisms.png).",
        "",
        "## Interactions whose interval excludes zero",
        "",
        "An interaction *a x b* is half the difference between *a*'s effect with *b* at its "
        "conversational-end value and with *b* at its broadcast-end value.",
        "",
        *_effects_table(effects, tables.metrics, mains=False, only_clear=True),
        "",
        "## The ends and the hybrids",
        "",
        f"Mean over seeds of each outcome averaged over steps {first}–{last} (cumulative "
        f"counts at step {last}), 95% CI in brackets (cut to the outcome's range); the last "
        "column is the paired difference conversational minus broadcast (bold when its "
        "interval excludes zero).",
        "",
        *_regime_table(tables, "window", labels),
        "",
        "Their practices (the hybrids interpolate the numbers; the upward channel and voting "
        "are there or not, so a hybrid takes the nearer end's choice):",
        "",
        *_practices_table(tables, labels),
        "",
        "![ends and hybrids over time](plots/regimes_over_time.png)",
        "",
        "![ends and hybrids: window averages](plots/regimes_window.png)",
        "",
        "### Final step",
        "",
        f"The same at the last step ({last}) alone (noisier than the window average).",
        "",
        *_regime_table(tables, "final", labels),
        "",
    ]


def _fairness(tables: Tables) -> list[str]:
    r = tables.regimes[
        (tables.regimes["value"] == "window") & (tables.regimes["metric"] == "ideas_considered")
    ].set_index("regime")
    if not {"broadcast", "conversational"} <= set(r.index):
        return []
    b, c = r.loc["broadcast", "mean"], r.loc["conversational", "mean"]
    ratio = b / c if c else float("nan")
    within = 0.5 <= ratio <= 2 if not pd.isna(ratio) else False
    return [
        f"Fairness of the ends: the organization considered {fmt(b)} ideas per step at the "
        f"broadcast end and {fmt(c)} at the conversational end (ratio broadcast / "
        f"conversational {fmt(ratio)}, {'within' if within else 'NOT within'} a factor of "
        "two).",
        "",
    ]


def _roman(resolution: float) -> str:
    if math.isinf(resolution):
        return "full (no aliasing)"
    return {3: "III", 4: "IV", 5: "V", 6: "VI"}.get(int(resolution), str(resolution))


def _method(tables: Tables, facts: RunFacts, started: float | None) -> list[str]:
    corners = []
    for end, same in tables.corners.items():
        if same is None:
            corners.append(
                f"the design point with every practice at its {end} value is not in this design"
            )
            continue
        corners.append(
            f"the {end} end and the design point with every practice at its "
            f"{end} value gave {'identical' if same else 'DIFFERENT'} outcomes"
        )
    elapsed = time.perf_counter() - started if started is not None else facts.run_time
    return [
        f"- Design: {facts.design} ({len(tables.design)} points, resolution "
        f"{_roman(facts.resolution)}), plus the two ends and the hybrids "
        + ", ".join(sorted({lab for lab in tables.regimes["regime"] if lab.startswith("hybrid")}))
        + ". Every arm sets the five practices itself; every other key (including "
        "`regime.listening`) comes from the scenario and the overrides.",
        f"- Seeds: {facts.replicates} per arm, spawned from root seed {facts.seed} by "
        "`numpy.random.SeedSequence`; every arm ran the same seeds.",
        f"- Window: the last {facts.window_fraction:.3g} of the run (steps "
        f"{tables.window[0]}–{tables.window[1]}); change it with `--window`.",
        f"- Overrides: `{' '.join(facts.overrides) or 'none'}`.",
        "- Consistency: " + ("; ".join(corners) if corners else "not checked") + ".",
        f"- Wall time: {fmt(facts.run_time)} s to run, {fmt(elapsed)} s with the report "
        f"({fmt(facts.cpu_time)} s of simulation in the workers); git commit "
        f"`{facts.git_commit}`.",
        *_ablation_method(tables, facts),
        "- Files: `classification.csv`, `ablations.csv`, `ends_realistic.csv`, `effects.csv`, "
        "`effects_final.csv`, `runs.parquet` (one row per arm of the design, end or hybrid, and "
        "seed: its practices, coded levels `x_*` and window averages), `finals.parquet`, "
        "`regimes.csv`, `differences.csv`, `regimes_over_time.csv`, `design.csv`, and one job "
        "folder per arm in `runs/` (`runs/ablations/` with switches off, `runs/ends/` the "
        "realistic ends).",
    ]


def _ablation_method(tables: Tables, facts: RunFacts) -> list[str]:
    if tables.classification is None:
        return []
    pairs = tables.pairs or {}
    ran = ", ".join("+".join(p) for p in pairs.get("run", [])) or "none"
    return [
        f"- Ablations: both ends with each of {len(facts.switches)} switches off "
        f"({', '.join(facts.switches) or 'none'}), the same seeds; pairs off together: {ran} "
        f"({len(pairs.get('run', []))} of {len(pairs.get('wanted', []))} wanted, at most "
        f"{facts.max_pairs}).",
        "- Realistic ends: the conversational end at responsiveness 0.2 and 0.4, voting off "
        "and on, against the same broadcast end and seeds.",
    ]


#: A figure to draw: a plotting function (at module level, so a worker can be sent it), its
#: positional and its keyword arguments.
Figure = tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]


def _draw(out: Path, tables: Tables, labels: list[str], workers: int = 1) -> None:
    from sim.viz.effects import plot_effects, plot_regime_windows, plot_regimes_over_time

    headline = [m for m in HEADLINE if m in tables.metrics]
    rest = [m for m in MECHANISMS if m in tables.metrics]
    rest += [m for m in tables.metrics if m.startswith("sent_") or m == "reach"]
    shown = headline + rest[:3]
    window = tables.regimes[tables.regimes["value"] == "window"]
    plots = out / "plots"
    figures: list[Figure] = [
        (
            plot_effects,
            (tables.effects, headline, plots / "effects.png"),
            {"marked": by_construction, "title": "What each practice does to the outcomes"},
        ),
        (
            plot_regimes_over_time,
            (tables.bands, shown, plots / "regimes_over_time.png"),
            {
                "order": labels,
                "window": tables.window,
                "title": "The ends and the hybrids over time",
            },
        ),
        (
            plot_effects,
            (tables.effects, rest, plots / "effects_mechanisms.png"),
            {"marked": by_construction, "title": "What each practice does to ideas and messages"},
        ),
        (
            plot_regime_windows,
            (window, shown, plots / "regimes_window.png"),
            {
                "order": labels,
                "title": f"The ends and the hybrids, steps {tables.window[0]}–{tables.window[1]}",
            },
        ),
    ]
    draw_figures(figures, workers)


def draw_figures(figures: Sequence[Figure], workers: int = 1) -> None:
    """Draw ``figures``; with ``workers`` above 1, every second one in another process.

    Each figure is about a second of layout and rasterising, independent of the others, and
    by the time the report is written the simulations' workers are done: a second process
    halves the wait. Its error, if any, is raised here as the figure's own would be.
    """
    if workers < 2 or len(figures) < 2:
        for draw, args, kwargs in figures:
            draw(*args, **kwargs)
        return
    from concurrent.futures import ProcessPoolExecutor

    from sim.exec.workers import process_context

    with ProcessPoolExecutor(max_workers=1, mp_context=process_context()) as helper:
        elsewhere = [helper.submit(draw, *args, **kwargs) for draw, args, kwargs in figures[1::2]]
        for draw, args, kwargs in figures[::2]:
            draw(*args, **kwargs)
        for future in elsewhere:
            future.result()


def write_ends_report(
    out: str | Path, realistic: pd.DataFrame, facts: RunFacts, *, started: float | None = None
) -> Path:
    """``out/report.md`` of ``agora compare --ends realistic``: every metric's difference at
    the realistic ends, and how they were run."""
    out = Path(out)
    metrics = list(dict.fromkeys(realistic["metric"]))
    first = [m for m in (*HEADLINE, *MECHANISMS) if m in metrics]
    metrics = first + [m for m in metrics if m not in first]
    cfg = facts.config or {}
    elapsed = time.perf_counter() - started if started is not None else facts.run_time
    text = [
        "# How much is the choice of ends",
        "",
        f"Scenario `{(cfg.get('scenario') or {}).get('name', '?')}`, {cfg.get('steps', '?')} "
        f"steps, {facts.replicates} paired seeds (root seed {facts.seed}); outcomes averaged "
        f"over the last {facts.window_fraction:.3g} of the run. The main job (`agora compare`) "
        "puts these beside its default ends and says what each difference rests on.",
        "",
        *realistic_section(realistic, metrics, heading="## The differences"),
    ]
    if facts.failed:
        text += [
            "**Failed jobs** (left out): "
            + "; ".join(f"{k}: {v}" for k, v in facts.failed.items()),
            "",
        ]
    text += [
        "## How it was run",
        "",
        f"- Overrides: `{' '.join(facts.overrides) or 'none'}`.",
        f"- Wall time: {fmt(facts.run_time)} s to run, {fmt(elapsed)} s with the report "
        f"({fmt(facts.cpu_time)} s of simulation in the workers); git commit "
        f"`{facts.git_commit}`.",
        "- Files: `ends_realistic.csv`, one job folder per arm in `runs/`.",
        "",
    ]
    return write_text_atomic(out / "report.md", "\n".join(text))
