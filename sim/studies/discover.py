"""Where does a practice pay off? Scenario discovery with PRIM over a Latin hypercube.

``agora discover`` answers a strategist's question:
*under which conditions does this practice improve this outcome?*

1. A Latin hypercube over the conditions to explore (``environment.turbulence=0:0.1``,
   ``org.attention=5:40`` ...): :func:`sim.exec.designs.make_design`.
2. Every point runs at both settings of the practice (``--compare
   regime.responsiveness=0,0.6``) with the same seeds: :mod:`sim.studies.paired`. The effect at a
   point is the mean over replicates of the paired difference of the outcome's end-of-run
   average (B minus A).
3. A point is a *case of interest* when the practice improves the outcome there: the effect
   is above ``--threshold`` (default 0; below minus it with ``--lower-is-better``).
4. PRIM (Friedman & Fisher 1999, the ``prim`` package: the EMA workbench's implementation
   made standalone) peels the space down to a box of conditions dense in cases. Every box on
   the peeling trajectory is kept (``trajectory.csv``, ``plots/tradeoff.png``); the box
   reported is the densest whose coverage is at least ``--min-coverage`` (default 0.8), and a
   restriction whose quasi-p value (Bryant & Lempert 2010: a one-sided binomial test of the
   box without it) is above 0.05 is dropped as not significant. ``--boxes N`` looks for
   further boxes among the points the earlier ones left (PRIM's covering).
5. Sentences such as "responsiveness 0.6 instead of 0 raises trust when turbulence > 0.04 and
   organization attention > 20 (coverage 0.80, density 0.90)", a box plot
   (``plots/box.png``) and a heat map of the effect with its 95% CI over two parameters
   (``plots/map.png``; the two the box restricts most, or ``--map X Y``).

*Coverage* is the share of all cases of interest that fall in the box, *density* the share
of the points in the box that are cases, *mass* the share of all points in the box.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> X = pd.DataFrame({"a": rng.random(400), "b": rng.random(400), "c": rng.random(400)})
>>> found = find_box(X, (X["a"] > 0.5) & (X["b"] < 0.3))
>>> [(r.parameter, round(r.min, 1), round(r.max, 1)) for r in found.limits.itertuples()]
[('a', 0.5, 1.0), ('b', 0.0, 0.3)]
>>> round(found.coverage, 1) >= 0.8, round(found.density, 1) >= 0.8
(True, True)
>>> conditions(found)
['a > 0.506', 'b < 0.296']
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.util.stats import mean_ci

__all__ = [
    "BoxResult",
    "find_box",
    "find_boxes",
    "conditions",
    "load_box",
    "effect_cells",
    "box_sentence",
    "overview_sentences",
    "suggest_thresholds",
    "write_discover_report",
    "Request",
    "Planned",
    "plan",
    "run",
    "PARAM_WORDS",
]

log = logging.getLogger(__name__)

#: Plain words for the keys a discovery usually explores (others are shown as their key).
PARAM_WORDS = {
    "environment.turbulence": "turbulence",
    "environment.dims": "the number of things that matter",
    "org.attention": "organization attention",
    "org.size": "organization size",
    "population.attention": "member attention",
    "population.turnover": "staff turnover",
    "population.exploration": "exploration",
    "population.talk": "talk",
    "population.voice": "members' voice",
    "population.reply": "replying",
    "population.peer_influence": "peer influence",
    "population.trust_rate": "trust rate",
    "openness.internal": "openness across units",
    "openness.external": "openness to stakeholders",
    "openness.voice": "access to the voice channel",
    "hierarchy.relay": "relaying by managers",
    "hierarchy.distortion": "distortion up the chain",
    "hierarchy.depth": "hierarchy depth",
    "regime.broadcast_rate": "broadcast rate",
    "regime.socialization": "socialization",
    "regime.listening": "listening",
    "regime.responsiveness": "responsiveness",
    "regime.voting": "voting",
    "regime.upward": "the upward channel",
    "regime.mix": "the regime mix",
}
#: Quasi-p value above which a box's restriction is dropped (Bryant & Lempert 2010).
QP_MAX = 0.05
#: Fewest cases (and fewest non-cases) PRIM is run on: a box around one or two points says
#: nothing about conditions.
MIN_CASES = 5


def words(key: str) -> str:
    return PARAM_WORDS.get(key, key)


def _num(x: float) -> str:
    """A bound as a sentence prints it: 3 significant digits, no trailing zeros."""
    return f"{x:.3g}"


# --------------------------------------------------------------------------- PRIM


@dataclass
class BoxResult:
    """The box PRIM found, its trajectory and how it was chosen."""

    trajectory: pd.DataFrame  # coverage, density, mean, res dim, mass per box
    chosen: int  # row of trajectory
    limits: pd.DataFrame  # parameter, min, max, qp (restricted parameters only)
    coverage: float
    density: float
    mass: float
    cases: int
    points: int
    inside: np.ndarray  # bool per point: inside the chosen box
    dropped: list[str]  # restrictions dropped as not significant
    #: Lowest and highest value of each parameter over the points: a box side equal to one of
    #: them cuts nothing.
    bounds: dict[str, tuple[float, float]] | None = None


def find_box(
    x: pd.DataFrame,
    cases,
    *,
    min_coverage: float = 0.8,
    peel_alpha: float = 0.05,
    mass_min: float = 0.05,
    qp_max: float = QP_MAX,
) -> BoxResult:
    """PRIM's first box over the points ``x`` for the boolean ``cases``.

    The box reported is, on the peeling trajectory, the densest with coverage at least
    ``min_coverage`` (fewer restrictions, then more coverage, on ties); restrictions with a
    quasi-p value above ``qp_max`` are then dropped.

    Raises
    ------
    ValueError
        When there are no cases, or only cases, or fewer than :data:`MIN_CASES` of either:
        there is nothing to discover.
    """
    return find_boxes(
        x,
        cases,
        boxes=1,
        min_coverage=min_coverage,
        peel_alpha=peel_alpha,
        mass_min=mass_min,
        qp_max=qp_max,
    )[0]


def find_boxes(
    x: pd.DataFrame,
    cases,
    *,
    boxes: int = 1,
    min_coverage: float = 0.8,
    peel_alpha: float = 0.05,
    mass_min: float = 0.05,
    qp_max: float = QP_MAX,
) -> list[BoxResult]:
    """Up to ``boxes`` PRIM boxes, each found among the points the earlier ones left (PRIM's
    covering): the first as :func:`find_box`; a later one only while at least
    :data:`MIN_CASES` cases remain and it restricts something. Coverage is always a share of
    all the cases, so the coverages of the boxes add up."""
    import prim

    y = np.asarray(cases, dtype=bool)
    if y.sum() == 0 or y.sum() == len(y):
        what = "no point is a case" if y.sum() == 0 else "every point is a case"
        raise ValueError(f"{what} of interest ({int(y.sum())} of {len(y)}): PRIM needs both")
    if min(y.sum(), len(y) - y.sum()) < MIN_CASES:
        few = "cases of interest" if y.sum() < MIN_CASES else "points that are not cases"
        raise ValueError(
            f"only {int(min(y.sum(), len(y) - y.sum()))} {few} of {len(y)}: a "
            f"box needs at least {MIN_CASES} of each to mean anything"
        )
    x = x.reset_index(drop=True).astype(float)
    full = {c: (float(x[c].min()), float(x[c].max())) for c in x.columns}
    found: list[BoxResult] = []
    taken = np.zeros(len(y), dtype=bool)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas FutureWarnings inside the package
        p = prim.Prim(x, y, threshold=None, peel_alpha=peel_alpha, mass_min=mass_min)
        for k in range(boxes):
            if k and (y & ~taken).sum() < MIN_CASES:
                break
            box = p.find_box()
            if box is None:
                break
            result = _choose(box, x, y, full, min_coverage=min_coverage, qp_max=qp_max)
            if k and result.limits.empty:
                break
            found.append(result)
            taken |= result.inside
    return found


def _choose(
    box: Any, x: pd.DataFrame, y: np.ndarray, full: dict, *, min_coverage: float, qp_max: float
) -> BoxResult:
    """Select the box on ``box``'s trajectory and drop its insignificant restrictions."""
    traj = box.peeling_trajectory.reset_index(drop=True)
    ok = traj[traj["coverage"] >= min_coverage - 1e-12]
    if ok.empty:  # a later box never reaches the coverage asked for: take the densest
        ok = traj
    pick = ok.sort_values(
        ["density", "res dim", "coverage"], ascending=[False, True, False], kind="stable"
    ).index[0]
    box.select(int(pick))
    dropped = []
    for _ in range(x.shape[1]):
        lim = box.limits
        weak = lim[lim["qp values"] > qp_max]
        if weak.empty:
            break
        name = str(weak["qp values"].idxmax())
        box.drop_restriction(name)
        dropped.append(name)
    lim = box.limits
    limits = pd.DataFrame(
        {
            "parameter": [str(i) for i in lim.index],
            "min": lim["min"].to_numpy(dtype=float),
            "max": lim["max"].to_numpy(dtype=float),
            "qp": lim["qp values"].to_numpy(dtype=float),
        }
    )
    # Only the restricted parameters, in the order of the columns (stable sentences).
    by_name = limits.set_index("parameter")
    restricted = [
        c
        for c in x.columns
        if c in by_name.index
        and (by_name.loc[c, "min"] > full[c][0] or by_name.loc[c, "max"] < full[c][1])
    ]
    limits = by_name.loc[restricted].reset_index()
    inside = np.zeros(len(x), dtype=bool)
    inside[np.asarray(box.yi, dtype=int)] = True  # the points of this box, not of earlier ones
    stats_now = box.stats
    return BoxResult(
        trajectory=box.peeling_trajectory.reset_index(drop=True),
        chosen=box._cur_box,
        limits=limits,
        coverage=float(stats_now["coverage"]),
        density=float(stats_now["density"]),
        mass=float(stats_now["mass"]),
        cases=int(y.sum()),
        points=len(y),
        inside=inside,
        dropped=dropped,
        bounds=dict(full),
    )


def conditions(found: BoxResult, ranges: Mapping[str, Sequence[float]] | None = None) -> list[str]:
    """The box as conditions in words: ``x > a``, ``x < b`` or ``x between a and b`` (a side
    is named only where the box cuts into the points explored: ``found.bounds``, else
    ``ranges``)."""
    out = []
    for r in found.limits.itertuples():
        edges: Sequence[float] | None = (found.bounds or {}).get(r.parameter)
        if not edges:
            if ranges is None:
                raise ValueError(f"{r.parameter}: the box has no bounds for it; pass ranges")
            edges = ranges[r.parameter]
        lo, hi = float(edges[0]), float(edges[1])
        tol = 1e-9 * max(abs(hi - lo), 1.0)
        cut_low, cut_high = r.min > lo + tol, r.max < hi - tol
        name = words(r.parameter)
        if cut_low and cut_high:
            out.append(f"{name} between {_num(r.min)} and {_num(r.max)}")
        elif cut_low:
            out.append(f"{name} > {_num(r.min)}")
        elif cut_high:
            out.append(f"{name} < {_num(r.max)}")
    return out


# --------------------------------------------------------------------------- maps


def _mean_ci(values: np.ndarray) -> tuple[float, float, float, int]:
    """Mean, t interval and count of the finite values (:func:`sim.util.stats.mean_ci`)."""
    v = np.asarray(values, dtype=float)
    s = mean_ci(v[np.isfinite(v)])
    return s["mean"], s["ci_low"], s["ci_high"], int(s["n"])


def effect_cells(
    effects: pd.DataFrame, x: str, y: str, ranges: Mapping[str, Sequence[float]], *, bins: int = 4
) -> pd.DataFrame:
    """The effect over a ``bins`` x ``bins`` grid of two parameters: per cell the mean of the
    points' effects, a t-based 95% CI over those points (NaN with fewer than two) and n.

    >>> e = pd.DataFrame({"p": [0.1, 0.2, 0.9, 0.8], "q": [0.1, 0.2, 0.9, 0.7],
    ...                   "effect": [1.0, 3.0, -1.0, -1.0]})
    >>> c = effect_cells(e, "p", "q", {"p": (0, 1), "q": (0, 1)}, bins=2)
    >>> c[["mean", "n"]].values.tolist()
    [[2.0, 2.0], [nan, 0.0], [nan, 0.0], [-1.0, 2.0]]
    """
    xe = np.linspace(float(ranges[x][0]), float(ranges[x][1]), bins + 1)
    ye = np.linspace(float(ranges[y][0]), float(ranges[y][1]), bins + 1)
    ix = np.clip(np.searchsorted(xe, effects[x].to_numpy(float), side="right") - 1, 0, bins - 1)
    iy = np.clip(np.searchsorted(ye, effects[y].to_numpy(float), side="right") - 1, 0, bins - 1)
    rows = []
    for j in range(bins):
        for i in range(bins):
            m, lo, hi, n = _mean_ci(effects["effect"].to_numpy()[(ix == i) & (iy == j)])
            rows.append(
                {
                    "x_lo": xe[i],
                    "x_hi": xe[i + 1],
                    "y_lo": ye[j],
                    "y_hi": ye[j + 1],
                    "mean": m,
                    "ci_low": lo,
                    "ci_high": hi,
                    "n": float(n),
                }
            )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- sentences


def _setting(v: str) -> str:
    return {"true": "on", "false": "off"}.get(str(v).lower(), str(v))


def practice_words(key: str, settings: Sequence[str]) -> str:
    """'responsiveness 0.6 instead of 0', 'voting on instead of off'."""
    return f"{words(key)} {_setting(settings[1])} instead of {_setting(settings[0])}"


def box_sentence(
    found: BoxResult,
    ranges,
    key: str,
    settings: Sequence[str],
    outcome: str,
    *,
    lower_is_better: bool = False,
    threshold: float = 0.0,
) -> str:
    """The headline sentence, every number from ``found`` (and the threshold a case passed)."""
    verb = "lowers" if lower_is_better else "raises"
    if threshold:
        outcome = f"{outcome} by more than {_num(threshold)}"
    conds = conditions(found, ranges)
    if not conds:  # PRIM kept no significant restriction: the whole space is the box
        return (
            f"{practice_words(key, settings)} {verb} {outcome} across the whole range "
            f"explored: no box of conditions separates where it does from where it does "
            f"not (coverage {found.coverage:.2f}, density {found.density:.2f})."
        )
    return (
        f"{practice_words(key, settings)} {verb} {outcome} when {' and '.join(conds)} "
        f"(coverage {found.coverage:.2f}, density {found.density:.2f})."
    )


def suggest_thresholds(effects: np.ndarray, *, lower_is_better: bool = False) -> list[str]:
    """When every or no condition is a case, what would split them: the effect's quartiles
    and mean, as ``--threshold`` values (a case is effect > threshold, or < -threshold when
    lower is better), each with how many cases it would give. Only thresholds leaving at least
    :data:`MIN_CASES` cases and non-cases are offered.

    >>> for line in suggest_thresholds(np.arange(32) / 100):
    ...     print(line)
    --threshold 0.0775 (the lower quartile: 24 of 32 cases)
    --threshold 0.155 (the mean: 16 of 32 cases)
    --threshold 0.233 (the upper quartile: 8 of 32 cases)
    """
    e = np.asarray(effects, dtype=float)
    e = e[np.isfinite(e)]
    if not e.size:
        return []
    sign = -1.0 if lower_is_better else 1.0  # thresholds are told as improvements
    gain = sign * e
    out = []
    for name, value in (
        ("the lower quartile", np.quantile(gain, 0.25)),
        ("the mean", gain.mean()),
        ("the upper quartile", np.quantile(gain, 0.75)),
    ):
        threshold = float(f"{value:.3g}")
        n = int((gain > threshold).sum())
        if min(n, e.size - n) >= MIN_CASES:
            out.append(f"--threshold {threshold:g} ({name}: {n} of {e.size} cases)")
    return out


def overview_sentences(
    effects: pd.DataFrame,
    cases: np.ndarray,
    key: str,
    settings: Sequence[str],
    outcome: str,
    *,
    lower_is_better: bool,
    threshold: float,
    replicates: int,
    window: tuple[int, int],
    found: BoxResult | None,
) -> list[str]:
    """The report's opening sentences, every number from ``effects`` and ``found``."""
    n = len(effects)
    m, lo, hi, _ = _mean_ci(effects["effect"].to_numpy())
    better = "lower" if lower_is_better else "higher"
    cmp = "<" if lower_is_better else ">"
    bound = -threshold if lower_is_better else threshold
    lines = [
        f"Across {n} conditions (a Latin hypercube), {practice_words(key, settings)} gave a "
        f"{better} {outcome} (effect {cmp} {_num(bound)}) in {int(cases.sum())} of them "
        f"({cases.mean():.0%}); the mean effect was {m:+.3g} (95% CI {lo:+.3g} to {hi:+.3g}).",
        f"Each condition ran {replicates} replicate{'s' if replicates != 1 else ''} at both "
        f"settings with the same seeds; the effect is the mean paired difference of {outcome} "
        f"averaged over steps {window[0]}-{window[1]} (the end-of-run window).",
    ]
    if found is not None:
        fin = effects["effect"].to_numpy()[found.inside]
        fout = effects["effect"].to_numpy()[~found.inside]
        mi, li, hi_, _ = _mean_ci(fin)
        mo, lo_, ho, _ = _mean_ci(fout)
        if 0 < found.inside.sum() < len(found.inside):
            lines.append(
                f"Inside that box the mean effect is {mi:+.3g} (95% CI {li:+.3g} to "
                f"{hi_:+.3g}, {found.inside.sum()} conditions); outside it {mo:+.3g} "
                f"({lo_:+.3g} to {ho:+.3g}, {(~found.inside).sum()} conditions)."
            )
    return lines


# --------------------------------------------------------------------------- report


def _box_section(
    found: BoxResult, plan: Mapping[str, Any], ranges: Mapping[str, Sequence[float]]
) -> list[str]:
    """The section "The box and the trade-off" of the discover report."""
    text = [
        "## The box and the trade-off",
        "",
        f"PRIM peeled {found.points} conditions ({found.cases} cases of interest) into "
        f"{len(found.trajectory)} nested boxes. The box chosen is the densest with "
        f"coverage at least {plan['min_coverage']:.2f}: coverage {found.coverage:.2f} "
        f"(share of all cases inside), density {found.density:.2f} (share of the box "
        f"that are cases), mass {found.mass:.2f} (share of all conditions inside).",
        "",
        "| parameter | box | range explored | quasi-p |",
        "|---|---|---|---:|",
        *(
            f"| {r.parameter} | {_num(r.min)} to {_num(r.max)} | "
            f"{_num(ranges[r.parameter][0])} to {_num(ranges[r.parameter][1])} | "
            f"{r.qp:.2g} |"
            for r in found.limits.itertuples()
        ),
        "",
    ]
    if found.dropped:
        text += [
            f"Restrictions dropped as not significant (quasi-p > {QP_MAX}): "
            + ", ".join(found.dropped)
            + ".",
            "",
        ]
    return [*text, "![trade-off](plots/tradeoff.png)", ""]


def write_discover_report(
    out: str | os.PathLike, *, elapsed: float | None = None, plots: bool = True
) -> Path:
    """Write ``out/report.md`` (and ``out/plots/``) from the tables in ``out`` alone:
    ``discover.json``, ``effects.csv``, ``trajectory.csv`` and ``box.csv``."""
    from sim.util.atomic import write_text_atomic
    from sim.viz.plots import pretty

    out = Path(out)
    plan = json.loads((out / "discover.json").read_text(encoding="utf-8"))
    effects = pd.read_csv(out / "effects.csv")
    key, settings = plan["compare"]["key"], plan["compare"]["values"]
    outcome = pretty(plan["outcome"]).lower()
    ranges = {k: tuple(v) for k, v in plan["ranges"].items()}
    found = load_box(out, effects) if (out / "box.csv").is_file() else None

    def sentence(box: BoxResult) -> str:
        return box_sentence(
            box,
            ranges,
            key,
            settings,
            outcome,
            lower_is_better=plan["lower_is_better"],
            threshold=plan["threshold"],
        )

    head = sentence(found) if found is not None else None
    title = f"Where {practice_words(key, settings)} pays off for {outcome}"
    text = [f"# {title}", ""]
    text += _discover_opening(plan, effects, found, head, sentence)
    text += [
        f"- {line}"
        for line in overview_sentences(
            effects,
            effects["case"].to_numpy(dtype=bool),
            key,
            settings,
            outcome,
            lower_is_better=plan["lower_is_better"],
            threshold=plan["threshold"],
            replicates=plan["replicates"],
            window=tuple(plan["window"]),
            found=found,
        )
    ]
    if plots:
        _discover_plots(out, plan, effects, found, ranges, outcome, head or title)
    has_box = found is not None and len(found.limits) > 0
    if has_box:
        text += ["", "![the box](plots/box.png)"]
    text += [""]
    if found is not None:  # no box, no section: the opening said why
        text += _box_section(found, plan, ranges)
    text += _discover_closing(plan, elapsed)
    return write_text_atomic(out / "report.md", "\n".join(text) + "\n")


def _discover_opening(
    plan: Mapping[str, Any],
    effects: pd.DataFrame,
    found: BoxResult | None,
    head: str | None,
    sentence: Callable[[BoxResult], str],
) -> list[str]:
    """The report's opening: the boxes in words, or why there is none and which thresholds
    would split the conditions."""
    if head:
        assert found is not None
        text = [head[0].upper() + head[1:], ""]
        for k, extra in enumerate(_more_boxes(plan, found), start=2):
            line = sentence(extra)
            text += [f"Box {k}, among the conditions the earlier boxes left: {line}", ""]
        return text
    text = [f"No box: {plan.get('no_box', 'PRIM found nothing to separate')}.", ""]
    lower = plan["lower_is_better"]
    if offers := suggest_thresholds(effects["effect"].to_numpy(), lower_is_better=lower):
        text += [
            "The effect's spread suggests a threshold that splits the conditions: "
            + "; ".join(offers)
            + ". Re-running with one of them reuses every run "
            "(they are resumed, not repeated).",
            "",
        ]
    return text


def _discover_plots(
    out: Path,
    plan: Mapping[str, Any],
    effects: pd.DataFrame,
    found: BoxResult | None,
    ranges: dict[str, tuple],
    outcome: str,
    box_title: str,
) -> None:
    """The effect map, and where PRIM found a box its trade-off and the box, in ``out/plots``."""
    from sim.viz.plots import plot_effect_map, plot_prim_box, plot_prim_tradeoff

    key, settings = plan["compare"]["key"], plan["compare"]["values"]
    mx, my = plan["map"]
    cells = effect_cells(effects, mx, my, ranges, bins=plan.get("bins", 4))
    plot_effect_map(
        cells,
        mx,
        my,
        out / "plots" / "map.png",
        title=f"Effect of {practice_words(key, settings)} on {outcome}",
        effect_label=f"effect on {outcome} (B - A)",
    )
    if found is not None:
        plot_prim_tradeoff(
            found.trajectory,
            found.chosen,
            out / "plots" / "tradeoff.png",
            title=f"Boxes where {practice_words(key, settings)} improves {outcome}",
        )
        if len(found.limits):
            plot_prim_box(found.limits, ranges, out / "plots" / "box.png", title=box_title)


def _discover_closing(plan: Mapping[str, Any], elapsed: float | None) -> list[str]:
    """The report's last sections: the effect map, the assumptions and the files."""
    mx, my = plan["map"]
    text = [
        "## The effect over two parameters",
        "",
        f"Mean effect per cell of {mx} x {my}, with its 95% CI over the conditions in "
        "the cell (bold when it excludes 0).",
        "",
        "![map](plots/map.png)",
        "",
        "## What was assumed",
        "",
        *(f"- {a}" for a in plan["assumptions"]),
        "",
        "## Files",
        "",
        "- `effects.csv`: one row per condition: its parameters, the effect, its sd "
        "over replicates, the means at each setting, and whether it is a case.",
        "- `pairs.parquet`: every replicate's end-of-run averages at both settings, every metric.",
        "- `trajectory.csv`, `box.csv`: PRIM's peeling trajectory and the chosen box.",
        "- `runs/point_NNNNN/{a,b}/`: the jobs (`metrics.parquet`, `summary.json`).",
        "- `discover.json`: what was run.",
    ]
    if elapsed is not None:
        text += ["", f"Run and written in {elapsed:.1f} s."]
    return text


def _more_boxes(plan: Mapping[str, Any], first: BoxResult) -> list[BoxResult]:
    """The boxes after the first, as ``discover.json`` keeps them (limits and statistics)."""
    out = []
    for b in plan.get("more_boxes", []):
        out.append(
            BoxResult(
                pd.DataFrame(),
                -1,
                pd.DataFrame(b["limits"], columns=["parameter", "min", "max", "qp"]),
                b["coverage"],
                b["density"],
                b["mass"],
                first.cases,
                first.points,
                np.zeros(first.points, dtype=bool),
                b["dropped"],
                first.bounds,
            )
        )
    return out


def load_box(out: Path, effects: pd.DataFrame) -> BoxResult:
    """The box a finished study wrote into ``out`` (its ``effects.csv`` read as ``effects``)."""
    traj = pd.read_csv(out / "trajectory.csv")
    limits = pd.read_csv(out / "box.csv")
    info = json.loads((out / "discover.json").read_text())["box"]
    inside = effects["in_box"].to_numpy(dtype=bool)
    bounds = {k: tuple(v) for k, v in info["bounds"].items()}
    return BoxResult(
        traj,
        int(info["chosen"]),
        limits,
        info["coverage"],
        info["density"],
        info["mass"],
        int(info["cases"]),
        int(info["points"]),
        inside,
        info["dropped"],
        bounds,
    )


# --------------------------------------------------------------------------- the study

#: A value of the form ``key=low:high``: a range to explore (other ``key=value`` are overrides).
RANGE = re.compile(r"^[+\w.]+=-?[\d.eE+-]+:-?[\d.eE+-]+$")


@dataclass
class Request:
    """What ``agora discover`` asks for (:mod:`sim.cli.discover` parses it): ``args`` are
    ``key=low:high`` ranges and ``key=value`` overrides; the rest as the command's flags."""

    compare: str
    args: Sequence[str] = ()
    outcome: str = "trust"
    lower_is_better: bool = False
    threshold: float = 0.0
    n: int = 128
    seed: int = 0
    min_coverage: float = 0.8
    boxes: int = 1
    map: Sequence[str] | None = None
    bins: int = 4
    workers: int = 2
    out: str | None = None
    no_progress: bool = False
    no_plots: bool = False


#: The smallest hypercube PRIM is run on: fewer points give boxes of a handful of points.
MIN_POINTS = 30


@dataclass
class Planned:
    """A discover request made concrete: the practice, the ranges, the design's points and the
    paired jobs (:func:`plan`)."""

    key: str
    settings: list[str]
    ranges: dict[str, Any]
    overrides: list[str]
    points: pd.DataFrame
    jobs: Any  # a sim.studies.paired.PairedPlan
    map_xy: list[str] | None


def plan(ns: Request) -> Planned:
    """Check the request and plan its paired jobs over a Latin hypercube.

    Raises
    ------
    sim.config.ConfigError, ValueError
        A bad request, named (the command prints it and exits with status 2).
    """
    from sim.config import ConfigError
    from sim.exec.designs import make_design, parse_compare, parse_ranges
    from sim.rules.metrics import METRIC_NAMES
    from sim.studies.paired import plan_paired

    specs = [a for a in ns.args if RANGE.match(a)]
    overrides = [a for a in ns.args if not RANGE.match(a)]
    bad = [a for a in overrides if "=" not in a]
    if bad:
        raise ConfigError(f"{bad[0]!r} is neither key=low:high nor key=value")
    if not specs:
        raise ConfigError("give at least one range to explore, e.g. environment.turbulence=0:0.1")
    if ns.n < MIN_POINTS:
        raise ConfigError(
            f"--n {ns.n} is too few conditions for PRIM: at least "
            f"{MIN_POINTS} (a box of a few points says nothing)"
        )
    if not 0 < ns.min_coverage <= 1:
        raise ConfigError("--min-coverage is a share in (0, 1]")
    key, settings = parse_compare(ns.compare)
    ranges = parse_ranges(specs)
    if key in ranges:
        raise ConfigError(f"{key} is the practice compared: it cannot also be a range")
    if ns.outcome not in METRIC_NAMES:
        raise ConfigError(
            f"--outcome {ns.outcome!r} is not a metric: one of {', '.join(METRIC_NAMES)}"
        )
    map_xy = list(ns.map) if ns.map else None
    if map_xy and not set(map_xy) <= set(ranges):
        raise ConfigError(
            f"--map {' '.join(map_xy)}: both must be ranges explored ({', '.join(ranges)})"
        )
    if len(ranges) < 2 and not map_xy:
        raise ConfigError("explore at least two ranges (the map needs two parameters)")
    points = make_design(ranges, method="lhs", n=ns.n, seed=ns.seed)
    jobs = plan_paired(points, (key, settings), overrides)
    return Planned(key, settings, ranges, overrides, points, jobs, map_xy)


def _assumed(ns: Request, planned: Planned, cfg, window: tuple[int, int]) -> list[str]:
    """What the study assumed, in the words the terminal and the report print."""
    key, settings = planned.key, planned.settings
    return [
        f"practice: {key} = {settings[1]} compared with {settings[0]} (effect = B - A), paired "
        "by seed",
        f"outcome: {ns.outcome}, each run's average over steps {window[0]}-{window[1]} (the "
        "last third of the run)",
        f"a case of interest: effect {'<' if ns.lower_is_better else '>'} "
        f"{-ns.threshold if ns.lower_is_better else ns.threshold:g}",
        f"conditions: Latin hypercube of {ns.n} points (seed {ns.seed}), uniform over "
        + ", ".join(f"{k} {lo}..{hi}" for k, (lo, hi, _) in planned.ranges.items()),
        f"replicates per condition and setting: {cfg.replicates}; steps {cfg.steps}; root "
        f"seed {cfg.seed}",
        "other settings: " + (" ".join(planned.overrides) if planned.overrides else "the defaults"),
        f"PRIM (prim package): peel alpha 0.05, minimum mass 0.05; box chosen: the densest "
        f"with coverage >= {ns.min_coverage}; restrictions with quasi-p > {QP_MAX} dropped",
    ]


def _analyse(
    ns: Request, planned: Planned, effects: pd.DataFrame, info: dict[str, Any], out: Path
) -> None:
    """PRIM boxes over the cases of interest: ``effects`` gains ``case`` and ``in_box``, ``info``
    the box (or why there is none), and the box's files are written (or stale ones removed)."""
    from sim.util.atomic import write_text_atomic

    eff = effects["effect"].to_numpy(dtype=float)
    cases = eff < -ns.threshold if ns.lower_is_better else eff > ns.threshold
    effects["case"] = cases
    found, more = None, []
    try:
        found, *more = find_boxes(
            planned.points, cases, boxes=max(1, ns.boxes), min_coverage=ns.min_coverage
        )
    except ValueError as err:
        info["no_box"] = str(err)
        print(f"discover: no box: {err}")
        for offer in suggest_thresholds(
            effects["effect"].to_numpy(), lower_is_better=ns.lower_is_better
        ):
            print(f"  try: {offer}")
    if found is not None:
        effects["in_box"] = found.inside
        write_text_atomic(out / "trajectory.csv", found.trajectory.to_csv(index=False))
        write_text_atomic(out / "box.csv", found.limits.to_csv(index=False))
        info["box"] = {
            "chosen": found.chosen,
            "coverage": found.coverage,
            "density": found.density,
            "mass": found.mass,
            "cases": found.cases,
            "points": found.points,
            "dropped": found.dropped,
            "bounds": found.bounds,
        }
        info["more_boxes"] = [
            {
                "limits": b.limits.to_dict(orient="records"),
                "coverage": b.coverage,
                "density": b.density,
                "mass": b.mass,
                "dropped": b.dropped,
            }
            for b in more
        ]
        chosen_map = list(found.limits["parameter"][:2])
    else:
        effects["in_box"] = False
        chosen_map = []
        for stale in ("trajectory.csv", "box.csv"):
            (out / stale).unlink(missing_ok=True)
    rest = [k for k in planned.ranges if k not in chosen_map]
    info["map"] = planned.map_xy or (chosen_map + rest)[:2]


def run(ns: Request) -> int:
    """``agora discover``: plan, run, analyse and report; 0 ok, 1 runs failed, 2 a bad request."""
    from sim.config import ConfigError
    from sim.exec.jobs import JobConflict
    from sim.studies.outcomes import window_steps
    from sim.studies.paired import pair_table, point_effects, run_paired
    from sim.util.atomic import write_atomic, write_text_atomic

    logging.getLogger("MESA").setLevel(logging.WARNING)
    t0 = time.perf_counter()
    try:  # plan
        planned = plan(ns)
    except (ConfigError, ValueError) as err:
        print(f"discover: {err}", file=sys.stderr)
        return 2
    cfg = next(iter(planned.jobs.jobs.values())).cfg
    out = Path(ns.out or f"reports/discover/{planned.key.split('.')[-1]}__{ns.outcome}")
    window = window_steps(cfg.steps)
    assumed = _assumed(ns, planned, cfg, window)
    print(
        f"discover: {ns.n} conditions x 2 settings x {cfg.replicates} replicates x "
        f"{cfg.steps} steps -> {out}"
    )
    for line in assumed:
        print(f"  assumed: {line}")
    try:  # jobs
        summaries = run_paired(planned.jobs, out, workers=ns.workers, progress=not ns.no_progress)
    except JobConflict as err:
        print(f"discover: {err}\ndiscover: use another --out", file=sys.stderr)
        return 2
    failed = {n: s.get("error") for n, s in summaries.items() if s.get("status") != "ok"}
    if failed:
        for name, error in list(failed.items())[:10]:
            print(f"discover: {name} failed: {error}", file=sys.stderr)
        return 1
    pairs = pair_table(planned.jobs, out)  # outcomes: window means, paired by seed
    write_atomic(out / "pairs.parquet", lambda p: pairs.to_parquet(p, index=False))
    effects = point_effects(pairs, planned.points, ns.outcome)
    info: dict[str, Any] = {
        "compare": {"key": planned.key, "values": planned.settings},
        "outcome": ns.outcome,
        "lower_is_better": ns.lower_is_better,
        "threshold": ns.threshold,
        "ranges": {k: [lo, hi] for k, (lo, hi, _) in planned.ranges.items()},
        "n": ns.n,
        "seed": ns.seed,
        "replicates": cfg.replicates,
        "steps": cfg.steps,
        "window": list(window),
        "overrides": planned.overrides,
        "min_coverage": ns.min_coverage,
        "bins": ns.bins,
        "assumptions": assumed,
    }
    _analyse(ns, planned, effects, info, out)
    write_text_atomic(out / "effects.csv", effects.to_csv(index=False))
    write_text_atomic(out / "discover.json", json.dumps(info, indent=2) + "\n")
    # One clock for the terminal and the report: the report is the last thing written, so
    # the time it states is the time printed.
    elapsed = time.perf_counter() - t0
    path = write_discover_report(out, elapsed=elapsed, plots=not ns.no_plots)
    text = path.read_text(encoding="utf-8").split("\n")
    print("\n".join(line for line in text[2:6] if line))
    print(f"report: {path} ({elapsed:.1f} s)")
    return 0
