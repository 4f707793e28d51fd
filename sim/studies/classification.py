"""What each headline difference rests on: the classifier of the main job (DESIGN section 7.2).

A *headline difference* is the conversational end minus the broadcast end of one metric, paired
by seed. The main job runs both ends again with each assumed mechanism switched off
(``mechanisms.<name>=false``, same seeds), and with chosen pairs switched off together, and this
module sorts every difference into one class:

=============  ==================================================================================
class          test
=============  ==================================================================================
noise          the 95% t-interval of the difference (over seeds) includes zero
construction   a practice's definition sets it (the main job's by-construction table)
mechanism      switching off one named mechanism removes at least ``threshold`` (80%) of it
mechanisms     no single switch does, but switching off a pair together does (``"M+N"``); only
               pairs of switches that *move* the difference are tried
emergent       neither does: the largest share any ablation removes is reported, with the
               mechanisms the difference moves through at all
undefined      fewer than two seeds have a value at both ends (a metric NaN while its option is off)
=============  ==================================================================================

The classes are tested in that order, so a difference that is noise is never called anything
else. The *share removed* by an ablation is ``1 - D_off / D`` (``D`` the mean paired difference,
``D_off`` the same with the mechanism off, over the seeds both have): 1 means the difference is
gone, above 1 that it reversed, below 0 that it grew. Its uncertainty is a percentile bootstrap
over seeds (the seeds are resampled jointly, so the pairing is kept); the class is decided on
the point estimate, the interval is reported beside it. A switch *moves* a difference when the
per-seed change ``D - D_off`` has a 95% t-interval that excludes zero.

Everything here is a pure function of per-seed end-of-run values: ``values`` is one row per
ablation (``"none"`` for the main arms, ``"M"``, or ``"M+N"``), end (``broadcast`` or
``conversational``) and seed, with one column per metric.

Examples
--------
>>> rng = np.random.default_rng(1)
>>> rows = []
>>> for ablation, gap in [("none", 1.0), ("a", 0.05), ("b", 0.9)]:
...     for end, sign in [("broadcast", 0), ("conversational", 1)]:
...         for seed in range(8):
...             rows.append({"ablation": ablation, "end": end, "seed": seed,
...                          "y": sign * gap + 0.01 * rng.standard_normal()})
>>> table = classify(pd.DataFrame(rows), ["y"], mechanisms=["a", "b"])
>>> row = table.iloc[0]
>>> row["class"], row["mechanism"], bool(0.9 < row["share_removed"] < 1.0)
('mechanism', 'a', True)
>>> row["moves_through"]
'a b'
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from sim.rules.catalogue import record
from sim.util.stats import t_quantile

__all__ = [
    "BASE",
    "CLASSES",
    "COLUMNS",
    "THRESHOLD",
    "mechanism_names",
    "pair_label",
    "end_differences",
    "ablation_table",
    "pairs_to_run",
    "classify",
    "outcome_table",
    "replace_between_markers",
]

#: The ablation label of the main arms (every mechanism on).
BASE = "none"
#: The share of a difference an ablation must remove to carry it.
THRESHOLD = 0.8
# "undefined", not "n/a": pandas reads "n/a" in a CSV as a missing value.
CLASSES = ("noise", "construction", "mechanism", "mechanisms", "emergent", "undefined")
#: Columns of ``classification.csv``, in order (the first eight are what other tools read).
COLUMNS = (
    "metric",
    "difference",
    "ci_low",
    "ci_high",
    "class",
    "mechanism",
    "share_removed",
    "n",
    "share_low",
    "share_high",
    "moves_through",
    "carried_by",
    "pairs_tried",
    "reason",
)
#: The ends, in the order a difference subtracts them (second minus first).
ENDS = ("broadcast", "conversational")
#: Bootstrap resamples for the interval of a share removed.
N_BOOT = 2000


def mechanism_names() -> list[str]:
    """Every switch under ``mechanisms.*``, read from the schema (never a list kept here).

    >>> "voice_effect" in mechanism_names()
    True
    """
    from dataclasses import fields

    from sim.config.schema import MechanismsConfig

    return [f.name for f in fields(MechanismsConfig)]


def pair_label(a: str, b: str) -> str:
    """The ablation label of two switches off together.

    >>> pair_label("voice_effect", "frustration")
    'voice_effect+frustration'
    """
    return f"{a}+{b}"


def end_differences(values: pd.DataFrame, metrics: Sequence[str]) -> dict[str, pd.DataFrame]:
    """Per ablation: conversational minus broadcast per seed (index: seed; columns: metrics).

    >>> v = pd.DataFrame({"ablation": "none", "end": ["broadcast", "conversational"] * 2,
    ...                   "seed": [1, 1, 2, 2], "y": [0.0, 1.0, 0.5, 2.0]})
    >>> end_differences(v, ["y"])["none"]["y"].tolist()
    [1.0, 1.5]
    """
    missing = {"ablation", "end", "seed"} - set(values.columns)
    if missing:
        raise ValueError(f"values lack the columns {sorted(missing)}")
    out = {}
    for ablation, group in values.groupby("ablation", sort=False):
        sides = [group[group["end"] == end].set_index("seed")[list(metrics)] for end in ENDS]
        if sides[0].index.has_duplicates or sides[1].index.has_duplicates:
            raise ValueError(f"ablation {ablation!r}: a seed appears twice at one end")
        out[str(ablation)] = (sides[1] - sides[0].reindex(sides[1].index)).sort_index()
    return out


def _t_interval(x: np.ndarray, level: float) -> tuple[float, float, float, int]:
    """Mean and t-interval of the finite values of ``x``; NaN interval below two values."""
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return np.nan, np.nan, np.nan, 0
    mean = float(x.mean())
    if n == 1:
        return mean, np.nan, np.nan, 1
    half = float(t_quantile(0.5 + level / 2, n - 1) * x.std(ddof=1) / np.sqrt(n))
    return mean, mean - half, mean + half, n


@functools.lru_cache(maxsize=64)
def _resamples(seed: int, n_boot: int, n: int) -> np.ndarray:
    """The bootstrap's resampled seed positions, ``(n_boot, n)``: the same for every metric
    and ablation with ``n`` seeds (one Generator from ``seed``), so drawn once (read-only)."""
    idx = np.random.default_rng(seed).integers(0, n, size=(n_boot, n))
    idx.flags.writeable = False
    return idx


def _share(base: np.ndarray, off: np.ndarray, level: float, n_boot: int, seed: int):
    """Share removed ``1 - mean(off) / mean(base)`` on the seeds both have, its percentile
    bootstrap interval (seeds resampled jointly) and the t-interval of the change base - off."""
    keep = np.isfinite(base) & np.isfinite(off)
    b, o = base[keep], off[keep]
    n = len(b)
    if n == 0 or b.mean() == 0:
        return np.nan, np.nan, np.nan, _t_interval(b - o, level), n
    share = 1.0 - o.mean() / b.mean()
    idx = _resamples(seed, n_boot, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        boot = 1.0 - o[idx].mean(axis=1) / b[idx].mean(axis=1)
    boot = boot[np.isfinite(boot)]
    tail = (1 - level) / 2
    low, high = np.quantile(boot, [tail, 1 - tail]) if n >= 2 and len(boot) else (np.nan, np.nan)
    return float(share), float(low), float(high), _t_interval(b - o, level), n


def ablation_table(
    values: pd.DataFrame,
    metrics: Sequence[str],
    *,
    level: float = 0.95,
    n_boot: int = N_BOOT,
    seed: int = 0,
) -> pd.DataFrame:
    """Every ablation's effect on every metric's headline difference (one row each).

    Columns: metric, ablation, difference (with the ablation), share_removed, share_low,
    share_high, change (mean of the per-seed ``D - D_off``), change_low, change_high, moves
    (the change's interval excludes zero), n (seeds with both).
    """
    diffs = end_differences(values, metrics)
    if BASE not in diffs:
        raise ValueError(f"values have no rows of the main arms (ablation {BASE!r})")
    base = diffs[BASE]
    # One contiguous row per metric, as each column's own array would be.
    columns_of_base = np.ascontiguousarray(base[list(metrics)].to_numpy(float).T)
    rows = []
    for ablation, frame in diffs.items():
        if ablation == BASE:
            continue
        off = frame.reindex(base.index)[list(metrics)].to_numpy(float)
        columns_of_off = np.ascontiguousarray(off.T)
        for metric, b, o in zip(metrics, columns_of_base, columns_of_off, strict=True):
            share, low, high, change, n = _share(b, o, level, n_boot, seed)
            rows.append(
                {
                    "metric": metric,
                    "ablation": ablation,
                    "difference": float(np.nanmean(o)) if np.isfinite(o).any() else np.nan,
                    "share_removed": share,
                    "share_low": low,
                    "share_high": high,
                    "change": change[0],
                    "change_low": change[1],
                    "change_high": change[2],
                    "moves": bool(change[1] > 0 or change[2] < 0),
                    "n": n,
                }
            )
    columns = [
        "metric",
        "ablation",
        "difference",
        "share_removed",
        "share_low",
        "share_high",
        "change",
        "change_low",
        "change_high",
        "moves",
        "n",
    ]
    return pd.DataFrame(rows, columns=columns)


def _singles(table: pd.DataFrame, metric: str, mechanisms: Sequence[str]) -> pd.DataFrame:
    rows = table[(table["metric"] == metric) & table["ablation"].isin(mechanisms)]
    return rows.set_index("ablation").reindex([m for m in mechanisms if m in set(rows["ablation"])])


def _candidate_pairs(singles: pd.DataFrame) -> list[tuple[tuple[str, str], float]]:
    """Pairs of the switches that move a difference, with the sum of their shares (priority)."""
    moving = singles[singles["moves"]]
    return [
        ((a, b), float(moving.loc[a, "share_removed"] + moving.loc[b, "share_removed"]))
        for a, b in itertools.combinations(moving.index, 2)
    ]


def _needs_pairs(
    row: Mapping, singles: pd.DataFrame, construction: Mapping[str, str], threshold: float
) -> bool:
    if _is_noise(row) or row["metric"] in construction or singles.empty:
        return False
    return not (singles["share_removed"] >= threshold).any()


def _is_noise(row: Mapping) -> bool:
    return not (row["ci_low"] > 0 or row["ci_high"] < 0)


def _headline(values: pd.DataFrame, metrics: Sequence[str], level: float) -> pd.DataFrame:
    base = end_differences(values, metrics).get(BASE)
    if base is None:
        raise ValueError(f"values have no rows of the main arms (ablation {BASE!r})")
    rows = []
    for metric in metrics:
        mean, low, high, n = _t_interval(base[metric].to_numpy(float), level)
        # A difference of two values of the metric stays in [lo - hi, hi - lo] (a share's in
        # [-1, 1]): the interval is cut there, as sim.util.stats.bounded_ci cuts a mean's.
        lo, hi = record(metric).range
        if lo is not None and hi is not None:
            low, high = max(low, lo - hi), min(high, hi - lo)
        rows.append({"metric": metric, "difference": mean, "ci_low": low, "ci_high": high, "n": n})
    return pd.DataFrame(rows)


def pairs_to_run(
    values: pd.DataFrame,
    metrics: Sequence[str],
    mechanisms: Sequence[str],
    *,
    construction: Mapping[str, str] | None = None,
    threshold: float = THRESHOLD,
    max_pairs: int | None = None,
    level: float = 0.95,
) -> list[tuple[str, str]]:
    """The pairs of switches worth running: for each clear difference that is not by
    construction and that no single switch carries, every pair of the switches that move it.

    Pairs are ranked by the largest sum of their two single shares over the differences that
    want them (were the effects additive, the pair most likely to carry one); with
    ``max_pairs`` only that many are kept (the report says how many were left out).
    """
    construction = construction or {}
    head = _headline(values, metrics, level)
    table = ablation_table(values, metrics, level=level, n_boot=1)
    wanted: dict[tuple[str, str], float] = {}
    for row in head.to_dict(orient="records"):
        singles = _singles(table, row["metric"], mechanisms)
        if _needs_pairs(row, singles, construction, threshold):
            for pair, priority in _candidate_pairs(singles):
                wanted[pair] = max(wanted.get(pair, -np.inf), priority)
    ranked = sorted(
        wanted, key=lambda p: (-wanted[p], mechanisms.index(p[0]), mechanisms.index(p[1]))
    )
    return ranked if max_pairs is None else ranked[:max_pairs]


def classify(
    values: pd.DataFrame,
    metrics: Sequence[str],
    mechanisms: Sequence[str],
    *,
    construction: Mapping[str, str] | None = None,
    threshold: float = THRESHOLD,
    level: float = 0.95,
    n_boot: int = N_BOOT,
    seed: int = 0,
    table: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The classification table: one row per metric, columns :data:`COLUMNS`.

    Parameters
    ----------
    values
        Per-seed end-of-run values: columns ablation, end, seed and the metrics; the main arms
        have ablation :data:`BASE`, a single switch off its name, a pair ``"M+N"``.
    metrics
        The metrics to classify, in the order of the table.
    mechanisms
        The switches (single ablations) to consider; a pair is used only when both of its
        switches move the difference.
    construction
        metric -> why a practice's definition sets its difference.
    table
        :func:`ablation_table` of these ``values``, ``metrics``, ``level``, ``n_boot`` and
        ``seed``, where the caller has it already (it is computed otherwise).

    Returns
    -------
    DataFrame
        ``mechanism`` names the ablation with the largest share removed (for ``emergent`` too,
        with ``share_removed`` its share, unless no ablation changes the difference clearly:
        then only the share is given; empty for noise and construction), ``share_low`` and
        ``share_high`` its bootstrap interval, ``moves_through`` the switches that move the
        difference clearly, ``carried_by`` every single switch (or, for ``mechanisms``, pair)
        that removes ``threshold`` on its own, largest first, ``pairs_tried`` "k of K" pairs of
        the moving switches that ran, ``reason`` the construction's reason.
    """
    construction = construction or {}
    head = _headline(values, metrics, level)
    if table is None:
        table = ablation_table(values, metrics, level=level, n_boot=n_boot, seed=seed)
    rows = []
    for row in head.to_dict(orient="records"):
        singles = _singles(table, row["metric"], mechanisms)
        rows.append({**row, **_decide(row, singles, table, construction, threshold)})
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _decide(
    row: Mapping,
    singles: pd.DataFrame,
    table: pd.DataFrame,
    construction: Mapping[str, str],
    threshold: float,
) -> dict:
    """The class of one difference and the ablation that names it (see the module's table)."""
    metric = row["metric"]
    moving = list(singles.index[singles["moves"]]) if not singles.empty else []
    candidates = _candidate_pairs(singles) if not singles.empty else []
    labels = {pair_label(*pair) for pair, _ in candidates}
    pairs = table[(table["metric"] == metric) & table["ablation"].isin(labels)]
    out = {
        "mechanism": "",
        "share_removed": np.nan,
        "share_low": np.nan,
        "share_high": np.nan,
        "moves_through": " ".join(moving),
        "carried_by": "",
        "pairs_tried": "",
        "reason": "",
    }
    if candidates:
        out["pairs_tried"] = f"{len(pairs)} of {len(candidates)}"
    if row["n"] < 2:
        return {**out, "class": "undefined", "moves_through": ""}
    if _is_noise(row):
        return {**out, "class": "noise", "moves_through": ""}
    if metric in construction:
        return {**out, "class": "construction", "reason": construction[metric]}
    best_single = _best(singles)
    if best_single is not None and best_single[1]["share_removed"] >= threshold:
        return {
            **out,
            **_named(best_single),
            "class": "mechanism",
            "carried_by": _carriers(singles, threshold),
        }
    pairs = pairs.set_index("ablation")
    best_pair = _best(pairs)
    if best_pair is not None and best_pair[1]["share_removed"] >= threshold:
        return {
            **out,
            **_named(best_pair),
            "class": "mechanisms",
            "carried_by": _carriers(pairs, threshold),
        }
    both = [b for b in (best_single, best_pair) if b is not None]
    top = max(both, key=lambda b: b[1]["share_removed"]) if both else None
    named = _named(top) if top else {}
    if top is not None and not top[1]["moves"]:
        named["mechanism"] = ""  # the largest share is within noise: name no switch for it
    return {**out, **named, "class": "emergent"}


def _carriers(rows: pd.DataFrame, threshold: float) -> str:
    """Every ablation that alone removes at least ``threshold``, largest share first."""
    carried = rows[rows["share_removed"].to_numpy(float) >= threshold]
    return " ".join(carried.sort_values("share_removed", ascending=False, kind="stable").index)


def _best(rows: pd.DataFrame):
    rows = rows[np.isfinite(rows["share_removed"].to_numpy(float))]
    if rows.empty:
        return None
    name = rows["share_removed"].idxmax()
    return name, rows.loc[name]


def _named(best) -> dict:
    name, r = best
    return {
        "mechanism": name,
        "share_removed": float(r["share_removed"]),
        "share_low": float(r["share_low"]),
        "share_high": float(r["share_high"]),
    }


# --------------------------------------------------------------------------- the ODD table


def _num(x: float) -> str:
    return "n/a" if x is None or pd.isna(x) else f"{x:.3g}"


def _pct(x: float) -> str:
    return "n/a" if x is None or pd.isna(x) else f"{100 * x:.0f}%"


_TEXT = ("mechanism", "moves_through", "carried_by", "pairs_tried", "reason")


def outcome_table(classification: pd.DataFrame) -> str:
    """The classification as a markdown table (the outcome table of ``docs/odd.md``).

    >>> c = pd.DataFrame([{"metric": "trust", "difference": 0.2, "ci_low": 0.1, "ci_high": 0.3,
    ...     "class": "mechanism", "mechanism": "benevolence", "share_removed": 0.9,
    ...     "share_low": 0.8, "share_high": 0.95, "n": 10, "moves_through": "benevolence",
    ...     "pairs_tried": "", "reason": ""}])
    >>> print(outcome_table(c).splitlines()[2])
    | trust | +0.2 [0.1, 0.3] | mechanism | benevolence removes 90% [80%, 95%] | benevolence |
    """
    lines = [
        "| outcome | conversational − broadcast [95% CI] | class | what it rests on "
        "| moves through |",
        "|---|---|---|---|---|",
    ]
    for r in classification.to_dict(orient="records"):
        r = {
            k: ("" if v is None or (isinstance(v, float) and np.isnan(v)) and k in _TEXT else v)
            for k, v in r.items()
        }  # empty text cells read back from CSV as NaN
        sign = "+" if r["difference"] > 0 else ""
        share = f"{_pct(r['share_removed'])} [{_pct(r['share_low'])}, {_pct(r['share_high'])}]"
        rests = r["reason"]
        if r["mechanism"]:
            verb = "removes" if r["class"] in ("mechanism", "mechanisms") else "removes at most"
            rests = f"{r['mechanism']} {verb} {share}"
        elif r["class"] == "emergent":
            rests = f"no switch moves it clearly (at most {share} removed)"
        lines.append(
            f"| {r['metric']} | {sign}{_num(r['difference'])} [{_num(r['ci_low'])}, "
            f"{_num(r['ci_high'])}] | {r['class']} | {rests} | "
            f"{r['moves_through'] or '-'} |"
        )
    return "\n".join(lines)


def replace_between_markers(path: str | Path, text: str, name: str = "classification") -> Path:
    """Replace what lies between ``<!-- BEGIN name -->`` and ``<!-- END name -->`` in ``path``.

    The markers stay; everything outside them is kept byte for byte. The file is written
    atomically.

    Raises
    ------
    ValueError
        The file does not hold exactly one pair of the markers, in order.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = Path(d) / "odd.md"
    ...     _ = p.write_text("a\\n<!-- BEGIN classification -->\\nold\\n"
    ...                      "<!-- END classification -->\\nb\\n")
    ...     _ = replace_between_markers(p, "new")
    ...     p.read_text()
    'a\\n<!-- BEGIN classification -->\\nnew\\n<!-- END classification -->\\nb\\n'
    """
    from sim.util.atomic import write_text_atomic

    path = Path(path)
    content = path.read_text()
    begin, end = f"<!-- BEGIN {name} -->", f"<!-- END {name} -->"
    found = re.findall(f"{re.escape(begin)}|{re.escape(end)}", content)
    if found != [begin, end]:
        raise ValueError(f"{path}: needs exactly one {begin!r} followed by one {end!r}")
    head, rest = content.split(begin)
    _, tail = rest.split(end)
    return write_text_atomic(path, f"{head}{begin}\n{text.strip()}\n{end}{tail}")
