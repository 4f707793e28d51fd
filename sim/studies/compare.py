"""The main job: which of the organization's communication practices does what.

``agora compare`` runs, on one scenario (the default unless overrides say otherwise):

- the two regime ends, ``broadcast`` and ``conversational``, and hybrids between them
  (``regime=hybrid`` with ``regime.mix`` 0.25, 0.5, 0.75);
- a two-level factorial design over the five practices that separate the ends (:data:`LEVERS`:
  low level = the broadcast end's value, high = the conversational end's): by default the
  resolution V half fraction 2^(5-1) with I = ABCDE (16 points: every main effect and
  two-practice interaction is estimated, each two-practice interaction aliased only with the
  three-practice interaction of the other three), or the full 2^5 (32 points, ``--design
  full``, no aliasing at all).

and, to say what each headline difference (conversational end minus broadcast end) rests on
(:mod:`sim.studies.classification`, DESIGN section 7.2):

- both ends again with each assumed mechanism switched off (``mechanisms.<name>=false``, every
  switch of :class:`sim.config.schema.MechanismsConfig` that is on), in ``OUT/runs/ablations/``;
- then, in a second batch, both ends with a pair of switches off together, only for the pairs
  the classifier asks for (switches that each move a difference no single one carries), at
  most ``--max-pairs`` of them;
- the conversational end at field-realistic responsiveness (0.2, 0.4) and voting (off, on),
  each against the broadcast end (:data:`REALISTIC_ENDS`), in ``OUT/runs/ends/``.

At the default settings (the default scenario, 300 steps, 10 seeds, 17 switches) that is
21 + 34 + 4 = 59 jobs x 10 = 590 runs, plus 20 per pair (at most 6 pairs: 71 jobs, 710 runs);
``--ends realistic`` runs the broadcast end and the four realistic ends alone (50 runs).

Every arm runs the same replicate seeds (spawned from ``--seed`` by
``numpy.random.SeedSequence``), so every comparison is a paired difference: each seed gives one
estimate of each effect, and intervals are t-intervals over seeds, cut to what the metric
allows (a share's mean stays in [0, 1], a difference of shares in [-1, 1];
:func:`sim.util.stats.bounded_ci`). Outcomes are end-of-run window averages (the last third
of the run unless ``--window`` says otherwise): a count of events per step averaged there is a
rate per step, and a cumulative count (the catalogue's kind ``cumulative``: innovations) is
taken at the window's last step instead, never averaged; the final step's values are reported
beside them.

Every arm sets the five practices itself (the scenario's values for them are replaced); every
other key, ``regime.listening`` and ``mechanisms.*`` included, comes from the scenario and the
overrides. Each arm is one job directory under ``OUT/runs/`` written by
:func:`sim.exec.parallel.run_jobs`, so a re-run reuses the finished jobs and refuses a folder
holding results of other settings.

Outputs in ``OUT`` (``reports/compare`` by default): ``classification.csv`` (metric,
difference, ci_low, ci_high, class, mechanism, share_removed, n, then share_low, share_high,
moves_through, carried_by, pairs_tried, reason), ``ablations.csv`` (every ablation's share
of every difference), ``ends_realistic.csv`` (the differences at the realistic ends),
``effects.csv`` (lever, metric, effect, ci_low, ci_high, n, then kind: the catalogue's kind,
and interval: how the interval was made), ``effects_final.csv`` (the same on
final-step values), ``runs.parquet`` (one row per arm of the design, end or hybrid, and seed:
its practices and window averages), ``finals.parquet`` (final-step values), ``regimes.csv``
(ends and hybrids: mean and 95% CI), ``differences.csv`` (conversational minus broadcast,
paired), ``regimes_over_time.csv``, ``design.csv``, ``report.md`` and ``plots/``. The command
line is :mod:`sim.cli.compare`; the report :mod:`sim.studies.compare_report`.

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

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.rules.catalogue import leading, record
from sim.studies.factorial import (
    contrast_columns,
    paired_effects,
    two_level_design,
)
from sim.studies.outcomes import WINDOW as DEFAULT_WINDOW
from sim.studies.outcomes import (
    difference_bounds,
    metric_bounds,
    paired_differences,
    t_interval,
    window_means,
)
from sim.studies.outcomes import window_steps as window_bounds  # the package's one window

__all__ = [
    "Lever",
    "LEVERS",
    "HYBRID_MIXES",
    "HEADLINE",
    "BY_CONSTRUCTION",
    "REALISTIC_ENDS",
    "Arm",
    "Tables",
    "Options",
    "Outcome",
    "design_for",
    "plan_arms",
    "plan_ablations",
    "plan_realistic",
    "window_bounds",
    "by_construction",
    "construction_reasons",
    "analyse",
    "ablation_values",
    "realistic_table",
    "write_tables",
    "run",
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

#: The outcomes the report opens with, in this order (the metric catalogue's headline).
HEADLINE: tuple[str, ...] = leading()
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
    ("broadcast_rate", "gini_access"): (
        "gini_access counts every message received, and each broadcast gives every member one: "
        "the more broadcasts, the more equal the counts, whatever else happens"
    ),
    ("broadcast_rate", "practice_broadcast_rate"): (
        "practice_broadcast_rate is the broadcast rate the organization practises: without "
        "org.adapt it is the practice's value"
    ),
    ("responsiveness", "practice_responsiveness"): (
        "practice_responsiveness is the responsiveness the organization practises: without "
        "org.adapt it is the practice's value"
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
#: The most pairs of switches a job runs (each pair is both ends again: 2 x replicates runs);
#: the report says how many were wanted and left out.
DEFAULT_MAX_PAIRS = 6
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
    kind: str  # "end", "hybrid", "design", "ablation" or "realistic"
    regime: dict[str, Any]  # the values merged into the configuration's ``regime``
    label: str = ""
    mix: float | None = None
    point: int | None = None
    levels: tuple[int, ...] | None = None
    off: tuple[str, ...] = ()  # mechanisms switched off (``mechanisms.<name>=false``)
    folder: str = ""  # sub-folder of OUT/runs (ablations and realistic ends keep apart)

    @property
    def overrides(self) -> tuple[str, ...]:
        """The arm's regime (and switches) as override strings (what ``summary.json`` records)."""
        return tuple(
            f"regime.{k}={_override_value(v)}" for k, v in self.regime.items() if v is not None
        ) + tuple(f"mechanisms.{m}=false" for m in self.off)

    @property
    def path(self) -> str:
        """The arm's job folder under ``OUT/runs``."""
        return f"{self.folder}/{self.name}" if self.folder else self.name


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
        Arm(
            "conversational",
            "end",
            {"name": "conversational", "mix": 1.0, **unset},
            "conversational",
            1.0,
        ),
    ]
    for mix in mixes:
        arms.append(
            Arm(
                f"hybrid-{mix:g}",
                "hybrid",
                {"name": "hybrid", "mix": float(mix), **unset},
                regime_label("hybrid", mix),
                float(mix),
            )
        )
    width = len(str(len(design) - 1))
    for point, row in enumerate(np.asarray(design)):
        values = {lever.name: lever.value(int(x)) for lever, x in zip(levers, row, strict=True)}
        arms.append(
            Arm(
                f"point-{point:0{width}d}",
                "design",
                {"name": "hybrid", "mix": 0.5, **values},
                point=point,
                levels=tuple(int(x) for x in row),
            )
        )
    return arms


def _end_arm_regime(end: str, levers: Sequence[Lever] = LEVERS) -> dict[str, Any]:
    return {
        "name": end,
        "mix": 1.0 if end == "conversational" else 0.0,
        **{lever.name: None for lever in levers},
    }


def plan_ablations(singles: Sequence[str], pairs: Sequence[tuple[str, str]] = ()) -> list[Arm]:
    """Both ends again with each switch in ``singles`` off, then each pair off together.

    >>> for arm in plan_ablations(["benevolence"], [("ability", "integrity")]):
    ...     print(arm.path, arm.off)
    ablations/broadcast-no-benevolence ('benevolence',)
    ablations/conversational-no-benevolence ('benevolence',)
    ablations/broadcast-no-ability+integrity ('ability', 'integrity')
    ablations/conversational-no-ability+integrity ('ability', 'integrity')
    >>> plan_ablations(["benevolence"])[0].overrides[-1]
    'mechanisms.benevolence=false'
    """
    groups = [(m,) for m in singles] + [tuple(p) for p in pairs]
    return [
        Arm(
            f"{end}-no-{'+'.join(off)}",
            "ablation",
            _end_arm_regime(end),
            end,
            off=off,
            folder="ablations",
        )
        for off in groups
        for end in ("broadcast", "conversational")
    ]


#: Field-realistic conversational ends (responsiveness, voting), each against the broadcast
#: end. Organizations answer far fewer than half of the ideas they receive: they select a
#: small share and "generally provide no feedback on ideas they do not select" (Piezunka &
#: Dahlander 2019, Academy of Management Journal 62(2), p. 503, 70,159 organizations); the
#: values 0.2 and 0.4 bracket that evidence and are an assumption (no source gives a rate).
REALISTIC_ENDS: tuple[tuple[float, bool], ...] = (
    (0.2, False),
    (0.2, True),
    (0.4, False),
    (0.4, True),
)


def realistic_name(responsiveness: float, voting: bool) -> str:
    """The arm name of a realistic conversational end.

    >>> realistic_name(0.2, False)
    'conversational-r0.2-voting-off'
    """
    return f"conversational-r{responsiveness:g}-voting-{'on' if voting else 'off'}"


def plan_realistic(ends: Sequence[tuple[float, bool]] = REALISTIC_ENDS) -> list[Arm]:
    """The conversational end at field-realistic responsiveness and voting (the broadcast end
    it is compared with is the main job's own).

    >>> arm = plan_realistic()[0]
    >>> arm.name, arm.overrides[-2:]
    ('conversational-r0.2-voting-off', ('regime.responsiveness=0.2', 'regime.voting=false'))
    """
    return [
        Arm(
            realistic_name(r, v),
            "realistic",
            {**_end_arm_regime("conversational"), "responsiveness": float(r), "voting": bool(v)},
            realistic_name(r, v),
            1.0,
            folder="ends",
        )
        for r, v in ends
    ]


# --------------------------------------------------------------------------- running


def _forbidden(override: str) -> str | None:
    key = override.lstrip("+~").split("=", 1)[0]
    if key in ("seed", "replicates"):
        return f"{override}: use --seed / --replicates (every arm shares the same seeds)"
    if key == "regime" or (key.startswith("regime.") and key != "regime.listening"):
        return (
            f"{override}: compare sets the regime of every arm itself (the ends, the hybrids "
            "and the design over "
            + ", ".join(lever.key for lever in LEVERS)
            + "); only regime.listening, shared by all arms, can be overridden"
        )
    return None


def typed_base(overrides: Sequence[str], *, replicates: int, seed: int) -> Any:
    """The shared configuration of every arm, composed once and typed (not yet checked).

    Raises
    ------
    sim.config.ConfigError
        An override is invalid or not allowed here; it names the key.
    """
    from omegaconf import OmegaConf

    from sim.config import ConfigError, load_config

    for override in overrides:
        if (why := _forbidden(override)) is not None:
            raise ConfigError(why)
    base = load_config([*overrides, f"seed={seed}", f"replicates={replicates}"], validate_now=False)
    try:
        return OmegaConf.to_object(base)
    except Exception as err:  # a mandatory value left unset, and the like: name the key
        raise ConfigError(f"{getattr(err, 'full_key', None) or '?'}: {err}") from None


def switches_on(base: Any) -> list[str]:
    """The mechanisms on in ``base`` (one switched off by the user is not ablated again)."""
    from sim.studies.classification import mechanism_names

    return [m for m in mechanism_names() if getattr(base.mechanisms, m)]


def plan_jobs(
    arms: Sequence[Arm],
    overrides: Sequence[str],
    *,
    out: Path,
    replicates: int,
    seed: int,
    base: Any = None,
) -> dict[str, Any]:
    """Resolve every arm's configuration (all checked before anything runs) as PlannedJobs.

    ``base`` is :func:`typed_base` of the same overrides, when the caller has it already.

    Raises
    ------
    sim.config.ConfigError
        An override or an arm's configuration is invalid; it names the key.
    """
    import copy
    from dataclasses import replace

    from sim.config import to_config
    from sim.exec.parallel import PlannedJob

    # Typed once; each arm then only swaps its regime (composing 40 times costs seconds).
    raw = base if base is not None else typed_base(overrides, replicates=replicates, seed=seed)
    jobs = {}
    for arm in arms:
        cfg = copy.deepcopy(raw)
        cfg.regime = replace(raw.regime, **arm.regime)
        if arm.off:
            cfg.mechanisms = replace(raw.mechanisms, **dict.fromkeys(arm.off, False))
        cfg = to_config(cfg)  # resolves the regime's unset practices, then checks everything
        job_overrides = [*overrides, f"seed={seed}", f"replicates={replicates}", *arm.overrides]
        jobs[arm.name] = PlannedJob(
            cfg,
            out / "runs" / arm.path,
            job_overrides,
            {"driver": "compare", "arm": arm.name, "kind": arm.kind},
        )
    return jobs


def read_frames(out: Path, arms: Sequence[Arm], summaries: Mapping[str, dict]):
    """The ``metrics.parquet`` of every arm that ran, and each arm's resolved regime."""
    frames, regimes = {}, {}
    for arm in arms:
        summary = summaries.get(arm.name) or {}
        if summary.get("status") != "ok":
            continue
        frames[arm.name] = pd.read_parquet(out / "runs" / arm.path / "metrics.parquet")
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
    classification: pd.DataFrame | None = None  # sim.studies.classification.COLUMNS
    ablations: pd.DataFrame | None = None  # every ablation's effect on every difference
    realistic: pd.DataFrame | None = None  # the differences at field-realistic ends
    pairs: dict[str, list] = field(default_factory=dict)  # "wanted", "run": pairs of switches


def _metric_order(frames: Mapping[str, pd.DataFrame]) -> list[str]:
    """The metrics to compare, headline first: every column with a value in some arm (a metric
    of an option that is off everywhere, such as the opinion mode's, is NaN throughout and has
    no effect to estimate)."""
    seen: dict[str, None] = {}
    for frame in frames.values():
        values = frame.drop(columns=[c for c in ID_COLUMNS if c in frame.columns])
        seen.update(dict.fromkeys(values.columns[values.notna().any().to_numpy()]))
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
        # NaN steps (e.g. voice_answered when no idea was read) are skipped, as end_of_run does
        values = window_means(frame, metrics, (first, last), cumulative_at_last=True)
        values.insert(0, "arm", arm.name)
        parts.append(values)
        resolved = regimes.get(arm.name, {})
        row = {
            "arm": arm.name,
            "kind": arm.kind,
            "regime": arm.label,
            "mix": np.nan if arm.mix is None else arm.mix,
            "point": -1 if arm.point is None else arm.point,
        }
        for i, lever in enumerate(LEVERS):
            row[f"x_{lever.name}"] = 0 if arm.levels is None else arm.levels[i]
            row[lever.name] = resolved.get(lever.name, arm.regime.get(lever.name))
        facts.append(row)
    info = pd.DataFrame(facts)
    info["point"] = info["point"].astype(np.int64)
    for lever in LEVERS:
        info[f"x_{lever.name}"] = info[f"x_{lever.name}"].astype(np.int8)
    return info.merge(
        pd.concat(parts, ignore_index=True), on="arm", how="inner", validate="one_to_many"
    )


def _interval_words(metrics: Sequence[str]) -> list[str]:
    """How each metric's effect interval was made (``effects.csv``'s ``interval`` column).

    >>> _interval_words(["reach", "messages_sent"])
    ['t over seeds, cut to [-1, 1]', 't over seeds']
    """
    lo, hi = difference_bounds(metrics)
    return [
        f"t over seeds, cut to [{a:g}, {b:g}]" if np.isfinite(a) else "t over seeds"
        for a, b in zip(lo, hi, strict=True)
    ]


def _end_values(frame: pd.DataFrame, metrics: Sequence[str], steps: tuple[int, int]):
    """Each seed's window mean of every metric (cumulative counts at the window's last step),
    indexed by seed."""
    return window_means(frame, metrics, steps, by=("seed",), cumulative_at_last=True).set_index(
        "seed"
    )


def _effects(table: pd.DataFrame, design: np.ndarray, metrics: list[str]) -> pd.DataFrame:
    contrasts = contrast_columns(design, [lever.name for lever in LEVERS])
    outcomes = table[table["kind"] == "design"]
    if outcomes.empty:
        return pd.DataFrame(
            columns=["lever", "metric", "effect", "ci_low", "ci_high", "n", "kind", "interval"]
        )
    effects = paired_effects(contrasts, outcomes, metrics)
    # An effect is a difference of two means of the metric: its interval stays in the
    # difference's range (a share's effect in [-1, 1]), as bounded_ci cuts a mean's.
    lo, hi = (
        effects["metric"].map(dict(zip(metrics, b, strict=True))).to_numpy(float)
        for b in difference_bounds(metrics)
    )
    effects["ci_low"] = np.where(np.isfinite(lo) & (effects["ci_low"] < lo), lo, effects["ci_low"])
    effects["ci_high"] = np.where(
        np.isfinite(hi) & (effects["ci_high"] > hi), hi, effects["ci_high"]
    )
    effects["kind"] = [record(m).kind for m in effects["metric"]]
    effects["interval"] = effects["metric"].map(
        dict(zip(metrics, _interval_words(metrics), strict=True))
    )
    # Metric-major, levers in design order: a reader finds one outcome's rows together.
    order = {m: i for i, m in enumerate(metrics)}
    return effects.sort_values(
        "metric", key=lambda s: s.map(order), kind="stable", ignore_index=True
    )


def _regime_summary(table: pd.DataFrame, labels: list[str], metrics: list[str]) -> pd.DataFrame:
    """Mean and t-interval over seeds per regime and metric (long table, regimes in order)."""
    sub = table[table["regime"].isin(labels)]
    g = sub.groupby("regime", sort=False)[metrics]
    mean, sd, n = (
        x.reindex([lab for lab in labels if lab in set(sub["regime"])])
        for x in (g.mean(), g.std(ddof=1), g.count())
    )
    low, high = t_interval(mean, sd, n, bounds=metric_bounds(metrics), single="point")
    return pd.DataFrame(
        {
            "regime": np.repeat(mean.index.to_numpy(), len(metrics)),
            "metric": np.tile(metrics, len(mean)),
            "mean": mean.to_numpy(dtype=float).ravel(),
            "ci_low": low.ravel(),
            "ci_high": high.ravel(),
            "n": n.to_numpy().ravel().astype(int),
        }
    )


def _paired_difference(table: pd.DataFrame, a: str, b: str, metrics: list[str]) -> pd.DataFrame:
    """mean over seeds of (a - b) per metric, with a t-interval over seeds."""
    left = table[table["regime"] == a].set_index("seed")
    right = table[table["regime"] == b].set_index("seed")
    return paired_differences(left, right, metrics, bounded=True)


def _bands(frames, arms, metrics, level: float = 0.95) -> pd.DataFrame:
    """Mean and t-interval over replicates per step for the ends and hybrids (long table)."""
    parts = []
    for arm in arms:
        if arm.kind == "design" or arm.name not in frames:
            continue
        g = frames[arm.name].groupby("step")[metrics]
        mean = g.mean()
        low, high = t_interval(
            mean,
            g.std(ddof=1),
            g.count(),
            bounds=metric_bounds(metrics),
            level=level,
            single="point",
        )
        long = pd.DataFrame(
            {
                "regime": arm.label,
                "step": np.repeat(mean.index.to_numpy(), len(metrics)),
                "metric": np.tile(metrics, len(mean)),
                "mean": mean.to_numpy(dtype=float).ravel(),
                "ci_low": low.ravel(),
                "ci_high": high.ravel(),
            }
        )
        parts.append(long)
    if not parts:
        return pd.DataFrame(columns=["regime", "step", "metric", "mean", "ci_low", "ci_high"])
    return pd.concat(parts, ignore_index=True)


def _same_rows(table: pd.DataFrame, arm_a: str, arm_b: str, metrics: list[str]) -> bool | None:
    a = table[table["arm"] == arm_a].sort_values("seed")
    b = table[table["arm"] == arm_b].sort_values("seed")
    if a.empty or b.empty:
        return None
    return bool(
        np.array_equal(a[metrics].to_numpy(float), b[metrics].to_numpy(float), equal_nan=True)
        and np.array_equal(a["seed"], b["seed"])
    )


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
    order = regime_order([a.mix for a in arms if a.kind == "hybrid" and a.mix is not None])
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
        "broadcast": _same_rows(
            runs, "broadcast", design_arms.get((-1,) * len(LEVERS), ""), metrics
        ),
        "conversational": _same_rows(
            runs, "conversational", design_arms.get((1,) * len(LEVERS), ""), metrics
        ),
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


def construction_reasons(metrics: Sequence[str], levers: Sequence[Lever] = LEVERS) -> dict:
    """metric -> why the ends' difference in it is set by a practice's definition (every lever
    differs between the ends, so any by-construction entry of a lever counts).

    >>> construction_reasons(["sent_vote", "trust"])
    {'sent_vote': 'voting: votes are cast only where voting is on'}
    """
    reasons = {}
    for metric in metrics:
        why = [
            f"{lever.name}: {BY_CONSTRUCTION[(lever.name, metric)]}"
            for lever in levers
            if (lever.name, metric) in BY_CONSTRUCTION
        ]
        if why:
            reasons[metric] = "; ".join(why)
    return reasons


def ablation_values(
    frames: Mapping[str, pd.DataFrame],
    arms: Sequence[Arm],
    metrics: Sequence[str],
    steps: tuple[int, int],
) -> pd.DataFrame:
    """The classifier's input: per ablation (``"none"`` for the main ends), end and seed, the
    window means (see :func:`sim.studies.classification.classify`)."""
    from sim.studies.classification import BASE

    parts = []
    sources = [(BASE, end, end) for end in ("broadcast", "conversational")]
    sources += [("+".join(a.off), a.label, a.name) for a in arms if a.kind == "ablation"]
    for ablation, end, name in sources:
        if name in frames:
            means = _end_values(frames[name], metrics, steps).reset_index()
            means.insert(0, "end", end)
            means.insert(0, "ablation", ablation)
            parts.append(means)
    return pd.concat(parts, ignore_index=True)


def realistic_table(
    frames: Mapping[str, pd.DataFrame],
    arms: Sequence[Arm],
    metrics: Sequence[str],
    steps: tuple[int, int],
) -> pd.DataFrame:
    """Conversational minus broadcast, paired by seed, at the default conversational end (when
    it ran) and at each field-realistic one: ends, responsiveness, voting, metric, diff,
    ci_low, ci_high, n."""
    columns = ["ends", "responsiveness", "voting", "metric", "diff", "ci_low", "ci_high", "n"]
    if "broadcast" not in frames:
        return pd.DataFrame(columns=columns)
    low = _end_values(frames["broadcast"], metrics, steps)
    high = LEVER_BY_NAME["responsiveness"].high, LEVER_BY_NAME["voting"].high
    ends = [("default", "conversational", *high)]
    ends += [
        (a.name, a.name, a.regime["responsiveness"], a.regime["voting"])
        for a in arms
        if a.kind == "realistic"
    ]
    parts = []
    for label, name, responsiveness, voting in ends:
        if name not in frames:
            continue
        diff = _end_values(frames[name], metrics, steps) - low
        mean, sd, n = diff.mean(), diff.std(ddof=1), diff.count()
        ci_low, ci_high = t_interval(mean, sd, n, bounds=difference_bounds(metrics), single="point")
        parts.append(
            pd.DataFrame(
                {
                    "ends": label,
                    "responsiveness": float(responsiveness),
                    "voting": bool(voting),
                    "metric": list(metrics),
                    "diff": mean.to_numpy(float),
                    "ci_low": ci_low,
                    "ci_high": ci_high,
                    "n": n.to_numpy().astype(int),
                }
            )
        )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


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
    if tables.classification is not None:
        csv("classification.csv", tables.classification)
    if tables.ablations is not None:
        csv("ablations.csv", tables.ablations)
    if tables.realistic is not None:
        csv("ends_realistic.csv", tables.realistic)


# --------------------------------------------------------------------------- the whole job


@dataclass
class Options:
    """What ``agora compare`` was asked to do (:mod:`sim.cli.compare` fills it from flags)."""

    overrides: list[str] = field(default_factory=list)
    out: Path = Path("reports/compare")
    replicates: int = DEFAULT_REPLICATES
    seed: int = 0
    workers: int = 2
    design: str = DEFAULT_DESIGN
    window: float = DEFAULT_WINDOW
    fresh: bool = False
    progress: bool = True
    ends: str = "default"  # "default": the whole job; "realistic": the realistic ends alone
    max_pairs: int = DEFAULT_MAX_PAIRS


@dataclass
class Outcome:
    """What the job produced: the tables (None when every job failed), how it ran."""

    tables: Tables | None
    realistic: pd.DataFrame | None
    summaries: dict[str, dict]
    failed: dict[str, str]
    run_time: float
    switches: list[str] = field(default_factory=list)

    @property
    def cpu_time(self) -> float:
        """Seconds of simulation summed over every job (each replicate's own clock)."""
        return sum(float(s.get("wall_time") or 0) for s in self.summaries.values())


def _run_arms(arms, options: Options, base) -> dict[str, dict]:
    from sim.exec.parallel import run_jobs

    jobs = plan_jobs(
        arms,
        options.overrides,
        out=Path(options.out),
        replicates=options.replicates,
        seed=options.seed,
        base=base,
    )
    return run_jobs(jobs, workers=options.workers, progress=options.progress, desc="compare")


def run(options: Options) -> Outcome:
    """Run the job: every arm in one batch through :func:`sim.exec.parallel.run_jobs`, then
    the pairs of switches the classification asks for in a second (usually small) batch.

    Raises
    ------
    sim.config.ConfigError, sim.exec.jobs.JobConflict, sim.exec.locks.LockHeld,
    sim.exec.folders.NotAgoraFolder
        Before any replicate runs (bad input, a folder of other settings, a busy job, a
        ``--fresh`` on a folder Agora did not make).
    """
    t0 = time.perf_counter()
    out = Path(options.out)
    base = typed_base(options.overrides, replicates=options.replicates, seed=options.seed)
    switches = switches_on(base)
    design = design_for(options.design)
    if options.ends == "realistic":
        arms = [*plan_arms(design, mixes=())[:1], *plan_realistic()]
    elif options.ends == "default":
        arms = [*plan_arms(design), *plan_ablations(switches), *plan_realistic()]
    else:
        raise ValueError(f"ends {options.ends!r}: one of 'default', 'realistic'")
    jobs = plan_jobs(
        arms,
        options.overrides,
        out=out,
        replicates=options.replicates,
        seed=options.seed,
        base=base,
    )  # every arm checked before anything runs
    if options.fresh:  # only a folder Agora made (sim.exec.folders)
        from sim.exec.folders import remove_agora_folder

        remove_agora_folder(out / "runs")
    from sim.exec.parallel import run_jobs

    summaries = run_jobs(jobs, workers=options.workers, progress=options.progress, desc="compare")
    frames, regimes = read_frames(out, arms, summaries)
    outcome = Outcome(None, None, summaries, {}, 0.0, switches)
    if frames:
        last = int(max(int(f["step"].max()) for f in frames.values()))
        steps = window_bounds(last, options.window)
        outcome.realistic = realistic_table(frames, arms, _metric_order(frames), steps)
        main = [a for a in arms if a.kind in ("end", "hybrid", "design")]
        if options.ends == "default" and any(a.name in frames for a in main):
            outcome.tables = analyse(
                {a.name: frames[a.name] for a in main if a.name in frames},
                main,
                design,
                window=options.window,
                regimes=regimes,
            )
            outcome.tables.realistic = outcome.realistic
            _classify(outcome, frames, arms, options, base)
    outcome.failed = {
        name: s.get("error") or "no result"
        for name, s in outcome.summaries.items()
        if s.get("status") != "ok"
    }
    outcome.run_time = time.perf_counter() - t0
    return outcome


def _classify(outcome: Outcome, frames: dict, arms: list[Arm], options: Options, base) -> None:
    """Classify every headline difference, running the pairs of switches it needs first."""
    from sim.studies.classification import ablation_table, classify, pairs_to_run

    tables = outcome.tables
    assert tables is not None  # run() calls this only right after setting the tables
    if not {"broadcast", "conversational"} <= set(frames):
        return  # an end failed: no headline difference to classify
    metrics, steps = tables.metrics, tables.window
    construction = construction_reasons(metrics)
    values = ablation_values(frames, arms, metrics, steps)
    wanted = pairs_to_run(values, metrics, outcome.switches, construction=construction)
    chosen = wanted[: max(options.max_pairs, 0)]
    if chosen:
        pair_arms = plan_ablations([], chosen)
        summaries = _run_arms(pair_arms, options, base)
        outcome.summaries.update(summaries)
        more, _ = read_frames(Path(options.out), pair_arms, summaries)
        frames = {**frames, **more}
        values = ablation_values(frames, [*arms, *pair_arms], metrics, steps)
    tables.ablations = ablation_table(values, metrics, seed=options.seed)
    tables.classification = classify(
        values,
        metrics,
        outcome.switches,
        construction=construction,
        seed=options.seed,
        table=tables.ablations,  # the same table: computed once
    )
    tables.pairs = {"wanted": [list(p) for p in wanted], "run": [list(p) for p in chosen]}
