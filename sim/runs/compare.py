"""The main job: which of the organization's communication practices does what.

``agora compare`` (and ``python experiments/compare.py``) runs, on one scenario (the default
unless overrides say otherwise):

- the two regime ends, ``broadcast`` and ``conversational``, and hybrids between them
  (``regime=hybrid`` with ``regime.mix`` 0.25, 0.5, 0.75);
- a two-level factorial design over the five practices that separate the ends (:data:`LEVERS`:
  low level = the broadcast end's value, high = the conversational end's): by default the
  resolution V half fraction 2^(5-1) with I = ABCDE (16 points: every main effect and
  two-practice interaction is estimated, each two-practice interaction aliased only with the
  three-practice interaction of the other three), or the full 2^5 (32 points, ``--design
  full``, no aliasing at all).

At the default settings (the default scenario, 300 steps, 10 seeds) that is 21 jobs x 10 =
210 runs; the full design runs 370.

Every arm and design point runs the same replicate seeds (spawned from ``--seed`` by
``numpy.random.SeedSequence``), so every comparison is a paired difference: each seed gives one
estimate of each effect, and intervals are t-intervals over seeds. Outcomes are end-of-run
window averages (the last third of the run unless ``--window`` says otherwise); the final
step's values are reported beside them.

Every arm sets the five practices itself (the scenario's values for them are replaced); every
other key, ``regime.listening`` included, comes from the scenario and the overrides. Each arm
is one job directory under ``OUT/runs/`` written by :func:`sim.runs.parallel.run_jobs`, so a
re-run reuses the finished jobs and refuses a folder holding results of other settings.

Outputs in ``OUT`` (``reports/compare`` by default): ``effects.csv`` (lever, metric, effect,
ci_low, ci_high, n), ``effects_final.csv`` (the same on final-step values), ``runs.parquet``
(one row per arm and seed: its practices and window averages), ``finals.parquet`` (final-step
values), ``regimes.csv`` (ends and hybrids: mean and 95% CI), ``differences.csv``
(conversational minus broadcast, paired), ``regimes_over_time.csv``, ``design.csv``,
``report.md`` and ``plots/``.

Exit status: 0 when every job ran, 1 when some failed (the report says which), 2 for invalid
arguments or configuration, or an output folder holding results of other settings.

Examples
--------
>>> [lever.name for lever in LEVERS]
['broadcast_rate', 'socialization', 'upward', 'responsiveness', 'voting']
>>> arms = plan_arms(design_for("half"))
>>> len(arms), arms[0].name, arms[-1].name
(21, 'broadcast', 'point-15')
>>> arms[5].overrides[:2]
('regime.name=hybrid', 'regime.mix=0.5')
>>> window_bounds(300, 1 / 3)
(201, 300)
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.runs.factorial import (
    contrast_columns,
    design_resolution,
    paired_effects,
    two_level_design,
)
from sim.simulation import window_steps as window_bounds  # the package's one window

__all__ = [
    "Lever",
    "LEVERS",
    "HYBRID_MIXES",
    "HEADLINE",
    "BY_CONSTRUCTION",
    "Arm",
    "Tables",
    "design_for",
    "plan_arms",
    "window_bounds",
    "by_construction",
    "analyse",
    "parse_args",
    "main",
]


@dataclass(frozen=True)
class Lever:
    """One practice that separates the regime ends: ``regime.<name>`` at two levels.

    >>> LEVERS[2].key, LEVERS[2].value(-1), LEVERS[2].value(1), LEVERS[2].change
    ('regime.upward', 'chain', 'voice', 'chain → voice')
    """

    name: str
    low: Any  # the broadcast end's value
    high: Any  # the conversational end's value
    label: str  # plain words, for reports

    @property
    def key(self) -> str:
        return f"regime.{self.name}"

    def value(self, coded: int) -> Any:
        return self.high if coded > 0 else self.low

    @property
    def change(self) -> str:
        return f"{_word(self.low)} → {_word(self.high)}"


def _word(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return f"{value:g}" if isinstance(value, float) else str(value)


#: The practices that separate the ends (DESIGN section 3), low = broadcast end, high =
#: conversational end. ``tests/test_experiments_compare.py`` checks them against
#: :data:`sim.config.regimes.ENDS`, so the design covers every practice the ends differ in.
LEVERS: tuple[Lever, ...] = (
    Lever("broadcast_rate", 1.0, 0.2, "broadcast rate"),
    Lever("socialization", 0.5, 0.2, "socialization"),
    Lever("upward", "chain", "voice", "upward channel"),
    Lever("responsiveness", 0.0, 0.6, "responsiveness"),
    Lever("voting", False, True, "voting"),
)
LEVER_BY_NAME = {lever.name: lever for lever in LEVERS}

#: Hybrids run between the ends (``regime=hybrid regime.mix=...``).
HYBRID_MIXES: tuple[float, ...] = (0.25, 0.5, 0.75)

#: The outcomes the report opens with, in this order.
HEADLINE: tuple[str, ...] = (
    "knowledge_code",
    "knowledge_individuals",
    "engagement",
    "trust",
    "stakeholder_satisfaction",
    "innovations_net",
)
#: Mechanism metrics the report also describes (how ideas travel and are answered).
MECHANISMS: tuple[str, ...] = (
    "ideas_considered",
    "ideas_adopted",
    "voice_answered",
    "knowledge_stakeholders",
    "innovations_bottom_up",
)

#: (lever, metric) pairs whose difference holds (at least in part) by definition of the
#: practice, not by what agents experience: the report labels them "by construction". An
#: interaction involving one of these levers is labelled on the same metric too. Not listed:
#: ``sent_voice`` counts ideas sent upward on either channel (the chain or the direct voice
#: channel), so the upward channel does not set it by definition.
BY_CONSTRUCTION: dict[tuple[str, str], str] = {
    ("broadcast_rate", "sent_broadcast"): (
        "the organization broadcasts on a share broadcast_rate of the steps, so the count of "
        "broadcasts is set by the rate"
    ),
    ("broadcast_rate", "reach"): (
        "reach counts who got a message from the organization this step, and broadcasts are "
        "sent on a share broadcast_rate of the steps"
    ),
    ("broadcast_rate", "messages_sent"): (
        "messages_sent counts every broadcast, sent on a share broadcast_rate of the steps"
    ),
    ("broadcast_rate", "messages_delivered"): (
        "messages_delivered counts every broadcast delivered, sent on a share broadcast_rate "
        "of the steps"
    ),
    ("responsiveness", "voice_answered"): (
        "the organization answers the share responsiveness of the ideas it reads: at 0 no idea "
        "is ever answered"
    ),
    ("responsiveness", "sent_reply"): (
        "the organization's answers to ideas are replies, sent for the share responsiveness of "
        "the ideas it reads"
    ),
    ("voting", "sent_vote"): "votes are cast only where voting is on",
    ("voting", "messages_sent"): "messages_sent counts every vote, cast only where voting is on",
    ("voting", "messages_delivered"): (
        "messages_delivered counts every vote, cast only where voting is on"
    ),
    ("voting", "active_share"): (
        "casting a vote counts as being active, and votes exist only where voting is on"
    ),
}

#: The design a plain ``agora compare`` runs (see :func:`design_for`): the resolution V half
#: fraction keeps the default job (21 arms x 10 seeds) well inside two minutes on a shared
#: 2-core machine; ``--design full`` (37 arms) when the time is there.
DEFAULT_DESIGN = "half"
DEFAULT_REPLICATES = 10
DEFAULT_WINDOW = 1 / 3  # as sim.simulation.WINDOW: the last third of the run
ID_COLUMNS = ("replicate", "seed", "step")


def by_construction(lever: str, metric: str) -> str | None:
    """Why the effect of ``lever`` (or an interaction) on ``metric`` holds by definition, or None.

    >>> by_construction("voting", "sent_vote")
    'votes are cast only where voting is on'
    >>> by_construction("responsiveness x voting", "sent_vote").startswith("involves voting")
    True
    >>> by_construction("voting", "engagement") is None
    True
    """
    if (lever, metric) in BY_CONSTRUCTION:
        return BY_CONSTRUCTION[(lever, metric)]
    parts = lever.split(" x ")
    for part in parts if len(parts) > 1 else ():
        if (part, metric) in BY_CONSTRUCTION:
            return f"involves {part}: {BY_CONSTRUCTION[(part, metric)]}"
    return None


# --------------------------------------------------------------------------- the plan


def design_for(kind: str, levers: Sequence[Lever] = LEVERS) -> np.ndarray:
    """The coded design: ``"full"`` 2^k or ``"half"`` 2^(k-1) with I = ABC...K.

    >>> design_for("full").shape, design_for("half").shape
    ((32, 5), (16, 5))
    """
    if kind not in ("full", "half"):
        raise ValueError(f"design {kind!r}: one of 'full', 'half'")
    return two_level_design(len(levers), half=kind == "half")


@dataclass(frozen=True)
class Arm:
    """One job of the comparison: a regime end, a hybrid, or a design point.

    ``regime`` is the label tables and plots use for ends and hybrids (empty for design
    points); ``levels`` the coded levels (-1/+1) of a design point.
    """

    name: str
    kind: str  # "end", "hybrid" or "design"
    regime: dict[str, Any]  # the values merged into the configuration's ``regime``
    label: str = ""
    mix: float | None = None
    point: int | None = None
    levels: tuple[int, ...] | None = None

    @property
    def overrides(self) -> tuple[str, ...]:
        """The arm's regime as override strings (what its ``summary.json`` records)."""
        return tuple(f"regime.{k}={_override_value(v)}" for k, v in self.regime.items()
                     if v is not None)


def _override_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def regime_label(name: str, mix: float | None = None) -> str:
    """How a regime is named in tables and legends.

    >>> regime_label("hybrid", 0.25), regime_label("broadcast")
    ('hybrid 0.25', 'broadcast')
    """
    return f"hybrid {mix:g}" if name == "hybrid" else name


def regime_order(mixes: Sequence[float] = HYBRID_MIXES) -> list[str]:
    """Ends and hybrids from the broadcast end to the conversational end."""
    return ["broadcast", *(regime_label("hybrid", m) for m in mixes), "conversational"]


def plan_arms(
    design: np.ndarray,
    levers: Sequence[Lever] = LEVERS,
    mixes: Sequence[float] = HYBRID_MIXES,
) -> list[Arm]:
    """The ends, the hybrids, then one arm per design point.

    The five practices are set on every arm (null on ends and hybrids, so the named end or the
    mix fills them): a scenario's own values for them never leak into the comparison. Design
    points are ``hybrid`` regimes with every lever given explicitly; since no rule reads the
    regime's name, the all-low point is the broadcast end and the all-high point the
    conversational end (the report checks it).
    """
    unset = {lever.name: None for lever in levers}
    arms = [
        Arm("broadcast", "end", {"name": "broadcast", "mix": 0.0, **unset}, "broadcast", 0.0),
        Arm("conversational", "end", {"name": "conversational", "mix": 1.0, **unset},
            "conversational", 1.0),
    ]
    for mix in mixes:
        arms.append(Arm(f"hybrid-{mix:g}", "hybrid", {"name": "hybrid", "mix": float(mix), **unset},
                        regime_label("hybrid", mix), float(mix)))
    width = len(str(len(design) - 1))
    for point, row in enumerate(np.asarray(design)):
        values = {lever.name: lever.value(int(x)) for lever, x in zip(levers, row, strict=True)}
        arms.append(Arm(f"point-{point:0{width}d}", "design",
                        {"name": "hybrid", "mix": 0.5, **values}, point=point,
                        levels=tuple(int(x) for x in row)))
    return arms


# --------------------------------------------------------------------------- running


def _forbidden(override: str) -> str | None:
    key = override.lstrip("+~").split("=", 1)[0]
    if key in ("seed", "replicates"):
        return f"{override}: use --seed / --replicates (every arm shares the same seeds)"
    if key == "regime" or (key.startswith("regime.") and key != "regime.listening"):
        return (f"{override}: compare sets the regime of every arm itself (the ends, the hybrids "
                "and the design over " + ", ".join(lever.key for lever in LEVERS)
                + "); only regime.listening, shared by all arms, can be overridden")
    return None


def plan_jobs(
    arms: Sequence[Arm],
    overrides: Sequence[str],
    *,
    out: Path,
    replicates: int,
    seed: int,
) -> dict[str, Any]:
    """Resolve every arm's configuration (all checked before anything runs) as PlannedJobs.

    Raises
    ------
    sim.config.ConfigError
        An override or an arm's configuration is invalid; it names the key.
    """
    import copy
    from dataclasses import replace

    from omegaconf import OmegaConf

    from sim.config import ConfigError, load_config, to_config
    from sim.runs.parallel import PlannedJob

    for override in overrides:
        if (why := _forbidden(override)) is not None:
            raise ConfigError(why)
    base = load_config([*overrides, f"seed={seed}", f"replicates={replicates}"],
                       validate_now=False)
    # Typed once; each arm then only swaps its regime (composing 40 times costs seconds).
    try:
        raw = OmegaConf.to_object(base)
    except Exception as err:  # a mandatory value left unset, and the like: name the key
        raise ConfigError(f"{getattr(err, 'full_key', None) or '?'}: {err}") from None
    jobs = {}
    for arm in arms:
        cfg = copy.deepcopy(raw)
        cfg.regime = replace(raw.regime, **arm.regime)
        cfg = to_config(cfg)  # resolves the regime's unset practices, then checks everything
        job_overrides = [*overrides, f"seed={seed}", f"replicates={replicates}", *arm.overrides]
        jobs[arm.name] = PlannedJob(cfg, out / "runs" / arm.name, job_overrides,
                                    {"driver": "compare", "arm": arm.name, "kind": arm.kind})
    return jobs


def read_frames(out: Path, arms: Sequence[Arm], summaries: Mapping[str, dict]):
    """The ``metrics.parquet`` of every arm that ran, and each arm's resolved regime."""
    frames, regimes = {}, {}
    for arm in arms:
        summary = summaries.get(arm.name) or {}
        if summary.get("status") != "ok":
            continue
        frames[arm.name] = pd.read_parquet(out / "runs" / arm.name / "metrics.parquet")
        regimes[arm.name] = dict((summary.get("config") or {}).get("regime") or {})
    return frames, regimes


# --------------------------------------------------------------------------- the analysis


@dataclass
class Tables:
    """Everything the report says, as tables (each also written as a file)."""

    runs: pd.DataFrame  # one row per arm and seed: window averages
    finals: pd.DataFrame  # one row per arm and seed: final-step values
    effects: pd.DataFrame  # lever, metric, effect, ci_low, ci_high, n (window)
    effects_final: pd.DataFrame  # the same on final-step values
    regimes: pd.DataFrame  # ends and hybrids: value (window/final), regime, metric, mean, CI
    differences: pd.DataFrame  # conversational - broadcast, paired by seed
    bands: pd.DataFrame  # ends and hybrids over time: regime, step, metric, mean, CI
    metrics: list[str]
    window: tuple[int, int]
    design: pd.DataFrame  # point, coded levels, values
    corners: dict[str, bool | None] = field(default_factory=dict)


def _metric_order(frames: Mapping[str, pd.DataFrame]) -> list[str]:
    """The metrics to compare, headline first: every column with a value in some arm (a metric
    of an option that is off everywhere, such as the opinion mode's, is NaN throughout and has
    no effect to estimate)."""
    seen: dict[str, None] = {}
    for frame in frames.values():
        seen.update(dict.fromkeys(
            c for c in frame.columns if c not in ID_COLUMNS and frame[c].notna().any()
        ))
    first = [m for m in (*HEADLINE, *MECHANISMS) if m in seen]
    return first + [m for m in seen if m not in first]


def _per_seed(frames, arms, regimes, metrics, steps: tuple[int, int]) -> pd.DataFrame:
    """One row per arm and seed: the arm's facts, its practices and the mean over ``steps``."""
    first, last = steps
    facts, parts = [], []
    for arm in arms:
        frame = frames.get(arm.name)
        if frame is None:
            continue
        inside = frame[(frame["step"] >= first) & (frame["step"] <= last)]
        # NaN steps (e.g. voice_answered when no idea was read) are skipped, as end_of_run does
        values = inside.groupby(["replicate", "seed"], sort=True)[metrics].mean().reset_index()
        values.insert(0, "arm", arm.name)
        parts.append(values)
        resolved = regimes.get(arm.name, {})
        row = {"arm": arm.name, "kind": arm.kind, "regime": arm.label,
               "mix": np.nan if arm.mix is None else arm.mix,
               "point": -1 if arm.point is None else arm.point}
        for i, lever in enumerate(LEVERS):
            row[f"x_{lever.name}"] = 0 if arm.levels is None else arm.levels[i]
            row[lever.name] = resolved.get(lever.name, arm.regime.get(lever.name))
        facts.append(row)
    info = pd.DataFrame(facts)
    info["point"] = info["point"].astype(np.int64)
    for lever in LEVERS:
        info[f"x_{lever.name}"] = info[f"x_{lever.name}"].astype(np.int8)
    return info.merge(pd.concat(parts, ignore_index=True), on="arm", how="inner",
                      validate="one_to_many")


def _ci_columns(mean, sd, n, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Student-t interval of a mean from mean, sd and n arrays (as mean_ci: n=1 -> the point,
    n=0 -> NaN), computed in one pass instead of one scipy call per cell."""
    mean, sd, n = (np.asarray(a, dtype=float) for a in (mean, sd, n))
    with np.errstate(invalid="ignore", divide="ignore"):
        t = stats.t.ppf(0.5 + level / 2, np.maximum(n - 1, 1))
        half = np.where(n >= 2, t * sd / np.sqrt(n), np.where(n == 1, 0.0, np.nan))
    return mean - half, mean + half


def _effects(table: pd.DataFrame, design: np.ndarray, metrics: list[str]) -> pd.DataFrame:
    contrasts = contrast_columns(design, [lever.name for lever in LEVERS])
    outcomes = table[table["kind"] == "design"]
    if outcomes.empty:
        return pd.DataFrame(columns=["lever", "metric", "effect", "ci_low", "ci_high", "n"])
    effects = paired_effects(contrasts, outcomes, metrics)
    # Metric-major, levers in design order: a reader finds one outcome's rows together.
    order = {m: i for i, m in enumerate(metrics)}
    return effects.sort_values("metric", key=lambda s: s.map(order), kind="stable",
                               ignore_index=True)


def _regime_summary(table: pd.DataFrame, labels: list[str], metrics: list[str]) -> pd.DataFrame:
    """Mean and t-interval over seeds per regime and metric (long table, regimes in order)."""
    sub = table[table["regime"].isin(labels)]
    g = sub.groupby("regime", sort=False)[metrics]
    mean, sd, n = (x.reindex([lab for lab in labels if lab in set(sub["regime"])])
                   for x in (g.mean(), g.std(ddof=1), g.count()))
    low, high = _ci_columns(mean, sd, n)
    return pd.DataFrame({
        "regime": np.repeat(mean.index.to_numpy(), len(metrics)),
        "metric": np.tile(metrics, len(mean)),
        "mean": mean.to_numpy(dtype=float).ravel(),
        "ci_low": low.ravel(),
        "ci_high": high.ravel(),
        "n": n.to_numpy().ravel().astype(int),
    })


def _paired_difference(table: pd.DataFrame, a: str, b: str, metrics: list[str]) -> pd.DataFrame:
    """mean over seeds of (a - b) per metric, with a t-interval over seeds."""
    left = table[table["regime"] == a].set_index("seed")[metrics]
    right = table[table["regime"] == b].set_index("seed")[metrics]
    diff = left - right.reindex(left.index)
    mean, sd, n = diff.mean(), diff.std(ddof=1), diff.count()
    low, high = _ci_columns(mean, sd, n)
    return pd.DataFrame({"metric": metrics, "diff": mean.to_numpy(dtype=float), "ci_low": low,
                         "ci_high": high, "n": n.to_numpy().astype(int)})


def _bands(frames, arms, metrics, level: float = 0.95) -> pd.DataFrame:
    """Mean and t-interval over replicates per step for the ends and hybrids (long table)."""
    parts = []
    for arm in arms:
        if arm.kind == "design" or arm.name not in frames:
            continue
        g = frames[arm.name].groupby("step")[metrics]
        mean = g.mean()
        low, high = _ci_columns(mean, g.std(ddof=1), g.count(), level)
        long = pd.DataFrame({
            "regime": arm.label,
            "step": np.repeat(mean.index.to_numpy(), len(metrics)),
            "metric": np.tile(metrics, len(mean)),
            "mean": mean.to_numpy(dtype=float).ravel(),
            "ci_low": low.ravel(),
            "ci_high": high.ravel(),
        })
        parts.append(long)
    if not parts:
        return pd.DataFrame(columns=["regime", "step", "metric", "mean", "ci_low", "ci_high"])
    return pd.concat(parts, ignore_index=True)


def _same_rows(table: pd.DataFrame, arm_a: str, arm_b: str, metrics: list[str]) -> bool | None:
    a = table[table["arm"] == arm_a].sort_values("seed")
    b = table[table["arm"] == arm_b].sort_values("seed")
    if a.empty or b.empty:
        return None
    return bool(np.array_equal(a[metrics].to_numpy(float), b[metrics].to_numpy(float),
                               equal_nan=True) and np.array_equal(a["seed"], b["seed"]))


def analyse(
    frames: Mapping[str, pd.DataFrame],
    arms: Sequence[Arm],
    design: np.ndarray,
    *,
    window: float = DEFAULT_WINDOW,
    regimes: Mapping[str, Mapping[str, Any]] | None = None,
) -> Tables:
    """Window averages, effects, ends and hybrids, from each arm's ``metrics.parquet`` rows.

    ``frames`` maps arm names to their metrics tables (replicate, seed, step, metrics...);
    arms without one (failed jobs) are left out of every table, and a seed missing a design
    point is left out of the effects (``n`` counts the seeds used).
    """
    regimes = regimes or {}
    metrics = _metric_order(frames)
    last = int(max(int(f["step"].max()) for f in frames.values()))
    bounds = window_bounds(last, window)
    runs = _per_seed(frames, arms, regimes, metrics, bounds)
    finals = _per_seed(frames, arms, regimes, metrics, (last, last))
    labels = [a.label for a in arms if a.kind != "design"]
    order = regime_order([a.mix for a in arms if a.kind == "hybrid"])
    labels = [lab for lab in order if lab in labels]
    regime_tables = []
    for value, table in (("window", runs), ("final", finals)):
        summary = _regime_summary(table, labels, metrics)
        summary.insert(0, "value", value)
        regime_tables.append(summary)
    differences = []
    for value, table in (("window", runs), ("final", finals)):
        d = _paired_difference(table, "conversational", "broadcast", metrics)
        d.insert(0, "value", value)
        differences.append(d)
    design_table = pd.DataFrame(np.asarray(design), columns=[f"x_{v.name}" for v in LEVERS])
    for lever in LEVERS:
        design_table[lever.name] = [lever.value(x) for x in design_table[f"x_{lever.name}"]]
    design_table.insert(0, "point", range(len(design_table)))
    design_arms = {a.levels: a.name for a in arms if a.kind == "design"}
    corners = {
        "broadcast": _same_rows(runs, "broadcast", design_arms.get((-1,) * len(LEVERS), ""),
                                metrics),
        "conversational": _same_rows(runs, "conversational",
                                     design_arms.get((1,) * len(LEVERS), ""), metrics),
    }
    return Tables(
        runs=runs,
        finals=finals,
        effects=_effects(runs, design, metrics),
        effects_final=_effects(finals, design, metrics),
        regimes=pd.concat(regime_tables, ignore_index=True),
        differences=pd.concat(differences, ignore_index=True),
        bands=_bands(frames, arms, metrics),
        metrics=metrics,
        window=bounds,
        design=design_table,
        corners=corners,
    )


def write_tables(out: Path, tables: Tables) -> None:
    """Every table of the comparison into ``out``, atomically."""
    from sim.util.atomic import write_atomic

    def csv(name: str, frame: pd.DataFrame) -> None:
        write_atomic(out / name, lambda tmp: frame.to_csv(tmp, index=False))

    def parquet(name: str, frame: pd.DataFrame) -> None:
        write_atomic(out / name, lambda tmp: frame.to_parquet(tmp, index=False))

    csv("effects.csv", tables.effects)
    csv("effects_final.csv", tables.effects_final)
    csv("regimes.csv", tables.regimes)
    csv("differences.csv", tables.differences)
    csv("regimes_over_time.csv", tables.bands)
    csv("design.csv", tables.design)
    parquet("runs.parquet", tables.runs)
    parquet("finals.parquet", tables.finals)


# --------------------------------------------------------------------------- command line


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="agora compare",
        description="The main job: the regime ends, hybrids between them, and a two-level "
        "factorial design over the practices that separate the ends, with replicates paired by "
        "seed. Writes effects.csv and report.md.",
        epilog="Flags and Hydra-style overrides mix in any order, e.g. "
        "`agora compare steps=100 --replicates 5 org.size=80`.",
    )
    parser.add_argument("overrides", nargs="*", metavar="KEY=VALUE",
                        help="Hydra overrides applied to every arm (not regime keys, except "
                        "regime.listening)")
    parser.add_argument("--out", default="reports/compare", help="report folder "
                        "(default: %(default)s)")
    parser.add_argument("--replicates", type=int, default=DEFAULT_REPLICATES,
                        help="replicate seeds per arm, at least 2 (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0,
                        help="root seed: every arm runs the seeds spawned from it (default: 0)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default: 2)")
    parser.add_argument("--design", choices=("half", "full"), default=DEFAULT_DESIGN,
                        help="the resolution V half fraction 2^(5-1), I = ABCDE, or the full 2^5 "
                        "factorial (default: %(default)s)")
    parser.add_argument("--window", type=float, default=DEFAULT_WINDOW,
                        help="end-of-run window as a fraction of the run (default: the last "
                        "third)")
    parser.add_argument("--fresh", action="store_true",
                        help="delete OUT/runs first instead of resuming from it")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--no-plots", action="store_true",
                        help="tables and report only (the report still links the plots)")
    return parser


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Flags and overrides in any order; bad values exit with status 2 naming the flag.

    >>> a = parse_args(["steps=50", "--replicates", "2", "org.size=80"])
    >>> a.overrides, a.replicates
    (['steps=50', 'org.size=80'], 2)
    """
    parser = build_parser()
    args = parser.parse_intermixed_args(list(sys.argv[1:] if argv is None else argv))
    if args.replicates < 2:
        parser.error(f"--replicates {args.replicates}: at least 2 (intervals are over seeds)")
    if args.workers < 1:
        parser.error(f"--workers {args.workers}: at least 1")
    if not 0 < args.window <= 1:
        parser.error(f"--window {args.window}: a fraction of the run in (0, 1]")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the comparison; the exit status (0 ok, 1 a job failed, 2 bad input)."""
    args = parse_args(argv)
    from sim.config import ConfigError
    from sim.runs.jobs import JobConflict
    from sim.runs.locks import LockHeld
    from sim.runs.parallel import run_jobs

    t0 = time.perf_counter()
    out = Path(args.out)
    design = design_for(args.design)
    arms = plan_arms(design)
    try:
        jobs = plan_jobs(arms, args.overrides, out=out, replicates=args.replicates,
                         seed=args.seed)
        if args.fresh and (out / "runs").exists():
            shutil.rmtree(out / "runs")
        summaries = run_jobs(jobs, workers=args.workers, progress=not args.no_progress,
                             desc="compare")
    except (ConfigError, JobConflict, LockHeld) as err:
        # all raised before any replicate runs: nothing half-written to clean up
        print(f"compare: {err}", file=sys.stderr)
        if isinstance(err, JobConflict):
            print("compare: use another --out, or --fresh to discard the old runs",
                  file=sys.stderr)
        return 2
    run_time = time.perf_counter() - t0
    failed = {name: s.get("error") or "no result" for name, s in summaries.items()
              if s.get("status") != "ok"}
    frames, regimes = read_frames(out, arms, summaries)
    if not frames:
        print("compare: every job failed: " + "; ".join(f"{k}: {v}" for k, v in failed.items()),
              file=sys.stderr)
        return 1
    tables = analyse(frames, arms, design, window=args.window, regimes=regimes)
    write_tables(out, tables)
    from sim.runs.compare_report import RunFacts, write_report

    facts = RunFacts(
        design=args.design,
        resolution=design_resolution(design),
        replicates=args.replicates,
        seed=args.seed,
        overrides=list(args.overrides),
        window_fraction=args.window,
        run_time=run_time,
        cpu_time=sum(float(s.get("wall_time") or 0) for s in summaries.values()),
        failed=failed,
        config=next((s.get("config") for s in summaries.values() if s.get("config")), {}) or {},
        git_commit=next((s.get("git_commit") for s in summaries.values()
                         if s.get("git_commit")), None),
    )
    path = write_report(out, tables, facts, started=t0, plots=not args.no_plots)
    print(f"report: {path} ({time.perf_counter() - t0:.1f} s)")
    return 1 if failed else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
