"""The app's what-if: a scenario with and without a change, replicated, told in plain words.

Everything is done by the what-if machinery of :mod:`sim.scenarios.whatif` (both arms on the
same replicate seeds, run in worker processes, reduced to the report's tables) and
:func:`sim.scenarios.report.findings` (the report's sentences); this module only turns the
tab's choices into a :class:`~sim.scenarios.whatif.WhatIfPlan`, reports progress while the
replicates run, and computes the difference between the arms at every step for the picture,
with the report's own interval, paired by seed (:func:`sim.util.stats.paired_diff_ci`).

A change is a named intervention (``conf/intervention/*.yaml``) or one practice set to a value
at a step (``regime.responsiveness = 0.6 at step 100``).

Examples
--------
>>> req = WhatIfRequest("default", practice="responsiveness", value=0.6, at=3, steps=6,
...                     replicates=2, size=30)
>>> plan = plan_of(req)
>>> plan.intervention.name, plan.arms["intervention"].interventions[0].set
('responsiveness = 0.60 at step 3', {'regime.responsiveness': 0.6})
>>> result = run_request(req, workers=1)
>>> result.n, "engagement" in result.differences, len(result.sentences) <= 8
(2, True, True)
>>> list(result.differences["engagement"].columns)
['step', 'diff', 'ci_low', 'ci_high']
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.config import ConfigError, load_config, to_config
from sim.lab.controls import CONTROLS, PRACTICE_CONTROLS, format_value
from sim.rules.catalogue import headline
from sim.scenarios.library import NamedIntervention, get_intervention, get_scenario
from sim.scenarios.report import findings
from sim.scenarios.whatif import (
    TIMESERIES_FILE,
    WhatIfPlan,
    aggregate_whatif,
    plan_whatif,
    run_whatif,
)
from sim.studies.outcomes import difference_bounds, t_interval

__all__ = [
    "CHANGEABLE",
    "LIMITS",
    "WhatIfRequest",
    "bounded_request",
    "WhatIfResult",
    "describe_intervention",
    "difference_over_time",
    "plan_of",
    "run_request",
    "unchanged",
    "workers_for",
]

#: The practices the tab can change at a step (the regime preset and mix are not practices).
CHANGEABLE: tuple[str, ...] = tuple(c.name for c in PRACTICE_CONTROLS[2:])

#: Metrics whose difference over time is drawn (the report's headline order).
SHOWN = 6

#: What the tab's sliders offer, ``name: (low, high, stride)``: the tab draws its sliders from
#: these, and :func:`bounded_request` holds every request to them on the server.
LIMITS = {
    "at": (10, 590, 10),
    "steps": (20, 600, 20),
    "replicates": (2, 30, 1),
    "size": (20, 1000, 10),
}


@dataclass(frozen=True)
class WhatIfRequest:
    """The tab's choices: a scenario and either a named ``intervention`` or a ``practice``
    (a name of :data:`CHANGEABLE`) set to ``value``, from step ``at``; ``size`` (people per
    organization) shrinks the scenario for a quicker answer in class (None keeps its own)."""

    scenario: str
    intervention: str | None = None
    practice: str | None = None
    value: object = None
    at: int = 100
    steps: int = 200
    replicates: int = 10
    seed: int = 0
    size: int | None = None

    def extra(self) -> list[str]:
        """The overrides both arms share."""
        out = [
            f"steps={int(self.steps)}",
            f"replicates={int(self.replicates)}",
            f"seed={int(self.seed)}",
        ]
        if self.size is not None:
            out.append(f"org.size={int(self.size)}")
        return out


@dataclass
class WhatIfResult:
    """What the tab shows: the report's sentences, its table, the difference at every step."""

    title: str
    plan: WhatIfPlan
    table: pd.DataFrame
    sentences: list[str]
    unclear: list[str]
    differences: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def n(self) -> int:
        """Replicates per arm."""
        return int(self.table["n_baseline"].max())


def _within(name: str, value, high: float | None = None) -> int:
    low, limit, _ = LIMITS[name]
    top = limit if high is None else min(limit, high)
    try:
        number = float(value)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name}={value!r} is not a number in [{low}, {top}]") from err
    if number != number or abs(number) == float("inf"):
        raise ValueError(f"{name}={value!r} is not a number in [{low}, {top}]")
    return int(round(min(max(number, low), max(low, top))))


def bounded_request(request: WhatIfRequest) -> WhatIfRequest:
    """``request`` held to what the tab offers (:data:`LIMITS`; the change inside the run; a
    practice's value inside its control's range), whatever the browser sent.

    >>> r = bounded_request(WhatIfRequest("default", practice="voice", value=7, at=10**6,
    ...                                   steps=10**5, replicates=20_000, size=10**7))
    >>> r.steps, r.at, r.replicates, r.size, r.value
    (600, 590, 30, 1000, 1.0)
    """
    from dataclasses import replace

    from sim.lab.controls import clamp

    steps = _within("steps", request.steps)
    value = request.value
    if request.practice in CHANGEABLE:
        value = clamp(CONTROLS[request.practice], value)
    return replace(
        request,
        steps=steps,
        at=_within("at", request.at, high=steps - 10),
        replicates=_within("replicates", request.replicates),
        size=None if request.size is None else _within("size", request.size),
        value=value,
    )


def _value(practice: str, value) -> object:
    control = CONTROLS[practice]
    if control.kind == "flag":
        return bool(value)
    if control.kind == "choice":
        if value not in control.choices:
            raise ConfigError(f"{control.key}={value!r} is not allowed: one of {control.choices}")
        return value
    return round(float(value), 6)


def plan_of(request: WhatIfRequest) -> WhatIfPlan:
    """Compose both arms (nothing runs); a bad choice fails here, naming what is allowed."""
    if (request.intervention is None) == (request.practice is None):
        raise ValueError("choose either an intervention or a practice to change")
    if request.intervention is not None:
        return plan_whatif(
            request.scenario, request.intervention, request.extra(), at=int(request.at)
        )
    if request.practice not in CHANGEABLE:
        raise ValueError(f"practice={request.practice!r} is unknown: one of {CHANGEABLE}")
    control = CONTROLS[request.practice]
    value = _value(request.practice, request.value)
    steps, at = int(request.steps), int(request.at)
    if not 0 < at < steps:
        raise ConfigError(
            f"the change is at step {at} but the run has {steps} steps: "
            f"choose a step between 1 and {steps - 1}"
        )
    scenario = get_scenario(request.scenario)
    base = [f"scenario={scenario.path.stem}", *request.extra()]
    # Hydra's override grammar takes the change as a list of one {at, set} mapping.
    text = str(value).lower() if isinstance(value, bool) else value
    treated = [*base, f"interventions=[{{at:{at},set:{{{control.key}:{text}}}}}]"]
    arms = {
        "baseline": to_config(load_config(base)),
        "intervention": to_config(load_config(treated)),
    }
    name = f"{request.practice} = {format_value(control, value)} at step {at}"
    change = NamedIntervention(
        name=name,
        description=f"{control.label} ({control.key}) becomes {format_value(control, value)} "
        f"at step {at}.",
        path=Path("(teaching app)"),
        interventions=[{"at": at, "set": {control.key: value}}],
    )
    return WhatIfPlan(
        scenario, change, {"baseline": base, "intervention": treated}, arms, at, request.extra()
    )


def unchanged(plan: WhatIfPlan) -> str | None:
    """Why a practice change would change nothing (the scenario already has that value).

    >>> plan = plan_of(WhatIfRequest("default", practice="voting", value=True, at=5, steps=10))
    >>> unchanged(plan)
    'the scenario already has regime.voting = True from the start: choose another value'
    """
    base = plan.arms["baseline"]
    for item in plan.intervention.interventions:
        for key, value in item["set"].items():
            node: Any = base  # a value of any type at the end of the path
            for part in key.split("."):
                node = getattr(node, part, None)
            if node != value:
                return None
    keys = ", ".join(
        f"{k} = {v}" for item in plan.intervention.interventions for k, v in item["set"].items()
    )
    return f"the scenario already has {keys} from the start: choose another value"


def difference_over_time(timeseries: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Per step: intervention minus baseline, paired by seed, with its 95% CI.

    The same difference and interval as the report's table
    (:func:`sim.util.stats.paired_diff_ci`), at every step instead of the end window: the
    arms share their seeds, so before the change the difference is 0 with no band at all. The
    band stays in the range a difference of the metric can take (a share's in [-1, 1]).
    """
    wide = timeseries.pivot_table(
        index=["step", "replicate"], columns="arm", values=metric, dropna=False
    )
    diff = (wide["intervention"] - wide["baseline"]).groupby(level="step")
    table = diff.agg(["mean", "std", "count"])
    low, high = t_interval(
        table["mean"], table["std"], table["count"], bounds=difference_bounds([metric])
    )
    return pd.DataFrame(
        {
            "step": table.index.astype(int),
            "diff": table["mean"].to_numpy(),
            "ci_low": low,
            "ci_high": high,
        }
    )


#: Below this many replicate-steps per arm the what-if runs in the app's own process: starting
#: worker processes (each imports the model) costs more than the runs themselves.
IN_PROCESS_STEPS = 3000


def workers_for(request: WhatIfRequest, cpus: int | None = None) -> int:
    """Worker processes for a request: none for a small one, else up to two (shared machines).

    >>> workers_for(WhatIfRequest("default", steps=20, replicates=2), cpus=8)
    1
    >>> workers_for(WhatIfRequest("default", steps=300, replicates=20), cpus=8)
    2
    """
    cpus = cpus if cpus is not None else (os.cpu_count() or 1)
    if request.steps * request.replicates <= IN_PROCESS_STEPS:
        return 1
    return max(1, min(2, cpus))


def run_request(
    request: WhatIfRequest,
    *,
    workers: int = 2,
    on_progress: Callable[[int, int], None] | None = None,
    out: str | Path | None = None,
) -> WhatIfResult:
    """Run both arms (``workers`` processes), reduce them, and return what the tab shows.

    ``on_progress(done, total)`` is called after each replicate. The run's files go to ``out``
    (default: a temporary folder, removed afterwards).
    """
    plan = plan_of(request)
    folder = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix="agora-whatif-"))
    try:
        run_whatif(plan, folder, workers=workers, on_progress=on_progress)
        table = aggregate_whatif(folder)
        series = pd.read_parquet(folder / TIMESERIES_FILE)
    finally:
        if out is None:
            shutil.rmtree(folder, ignore_errors=True)
    said, unclear = findings(table)
    usable = set(table.loc[~table["baseline_mean"].isna(), "metric"])
    shown = [m for m in headline(table["metric"]) if m in usable][:SHOWN]
    return WhatIfResult(
        title=f"What if: {plan.intervention.name} in {plan.scenario.name}",
        plan=plan,
        table=table,
        sentences=said,
        unclear=unclear,
        differences={m: difference_over_time(series, m) for m in shown},
    )


def describe_intervention(name: str) -> str:
    """A named intervention's description and what it sets (the tab chooses the step)."""
    iv = get_intervention(name)
    sets = "; ".join(
        ", ".join(f"{k} = {v}" for k, v in item["set"].items()) for item in iv.interventions
    )
    return f"{iv.description} Sets: {sets}."
