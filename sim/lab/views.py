"""The teaching app's Solara components: side by side, guided experiments, what if, info.

The page (``sim/app.py``) holds one :class:`LabState` per browser session. Nothing here uses
Mesa's ``SolaraViz``: its sidebar shows framework settings ("Play Interval (ms)", "Render
Interval (steps)", "Use Threads") that mean nothing to a class, and it runs one model where the
lesson needs two. The models are still Mesa models (:class:`~sim.lab.pair.AppModel`), stepped by
:class:`~sim.lab.pair.Pair`.

Every control shows its value in its label; every picture is drawn at about the size it is
shown with labels of at least 12 px (:data:`sim.viz.drawing.FONT_PT`); CSS classes
``agora-*`` name the parts the browser tests look for.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import reacton.ipyvuetify as rv
import solara

from sim.config import ConfigError
from sim.lab.charts import (
    Chart,
    Live,
    LiveText,
    MetricsFeed,
    NetworksFeed,
    PageVisibility,
    difference_option,
    dumps,
    legend_html,
)
from sim.lab.controls import (
    CONTROLS,
    ORGANIZATION,
    PRACTICE_CONTROLS,
    RUN,
    Control,
    bounded,
    clamp,
    complete,
    describe,
    format_value,
    with_preset,
)
from sim.lab.lessons import EXPERIMENTS, INFO, PREDICTIONS, outcome
from sim.lab.pair import LETTERS, Pair
from sim.lab.whatif import (
    CHANGEABLE,
    LIMITS,
    WhatIfRequest,
    bounded_request,
    describe_intervention,
    plan_of,
    run_request,
    unchanged,
    workers_for,
)
from sim.viz.drawing import COLOR_BY

__all__ = ["AgoraLab", "FullView", "LabState", "SPEEDS"]

#: Pause between two steps while playing, in seconds, by the names the page shows.
SPEEDS = {"slow": 0.6, "normal": 0.2, "fastest": 0.0}

#: The shortest pause between two steps while playing (s): even "fastest" leaves the server's
#: other sessions their turn and the browser time to draw.
MIN_PAUSE = 0.05

#: Heights of the pictures in the page (px), for 960 px wide pictures at 1280 x 720.
NETWORK_PX = 500
METRICS_PX = 560

#: Styles for the page: labels above sliders (a narrow sidebar), readable help text, and no
#: framework badge over the content.
CSS = """
.agora-sidebar .v-input__slider .v-input__slot { flex-wrap: wrap; }
.agora-sidebar .v-input__slider .v-input__slot > .v-label {
    width: 100%; max-width: 100%; margin-bottom: -4px; font-size: 15px; color: #222;
}
.agora-help { font-size: 13px; color: #555; line-height: 1.25; margin: -2px 0 8px 0; }
.agora-sidebar { flex: 0 0 330px; max-width: 330px; overflow-y: auto;
                 max-height: calc(100vh - 110px); padding: 8px 6px 0 0; }
.agora-main { flex: 1 1 auto; min-width: 0; max-width: 980px; }
.agora-main img { max-width: 100%; }
.agora-legend { font-size: 13px; color: #333; margin: -4px 0 4px 0; line-height: 1.6; }
.agora-legend .agora-key-title { margin-left: 10px; }
.agora-legend .agora-key { white-space: nowrap; margin-right: 6px; }
.agora-legend i { display: inline-block; width: 16px; height: 3px; margin: 0 3px 3px 0;
                  vertical-align: middle; }
.agora-legend .agora-dot { display: inline-block; width: 10px; height: 10px; margin: 0 3px 0 0;
                           border-radius: 50%; vertical-align: middle; }
.agora-legend .agora-bar { display: inline-block; width: 90px; height: 10px;
                           vertical-align: middle; }
.agora-legend .agora-hub { display: inline-block; width: 10px; height: 10px; margin: 0 3px;
                           border: 1.5px solid #111; background: #91cf60;
                           vertical-align: middle; }
.agora-status { font-size: 18px; font-weight: 600; }
.agora-text { color: rgba(0, 0, 0, 0.87); }
.agora-text strong { font-weight: 700; }
.agora-text p { margin-bottom: 8px; }
div[style*="position: absolute"]:has(> b > a[href*="solara.dev"]) { display: none !important; }
"""


def markdown_html(text: str) -> str:
    """Markdown as HTML, raw HTML escaped and no math (solara.Markdown would load KaTeX from a
    CDN on every page, a call out of the classroom for nothing).

    >>> markdown_html("**a** <b>")
    '<p><strong>a</strong> &lt;b&gt;</p>\\n'
    """
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable("table").render(text)


@solara.component
def Prose(text: str, size: int = 16, classes: list | None = None):
    """A paragraph or more of Markdown, at ``size`` px."""
    solara.HTML(
        tag="div",
        unsafe_innerHTML=markdown_html(text),
        style=f"font-size: {size}px; line-height: 1.45;",
        classes=["agora-text", *(classes or [])],
    )


class LabState:
    """One session's state: both sides' settings, the pair being run, play and colouring.

    Settings changes wait for :meth:`reset` (the pair is rebuilt then), so a class can set up
    a comparison without losing the run on screen.
    """

    def __init__(
        self, a: dict | None = None, b: dict | None = None, *, build: Callable[..., Pair] = Pair
    ) -> None:
        self.settings = solara.reactive(
            [
                bounded(complete(a if a is not None else {"regime": "broadcast"})),
                bounded(complete(b if b is not None else {"regime": "conversational"})),
            ]
        )
        first = self.settings.value[0]
        self.run = solara.reactive({"seed": first["seed"], "steps": first["steps"]})
        self.color_by = solara.reactive("knowledge")
        self.speed = solara.reactive("normal")
        self.playing = solara.reactive(False)
        self.tab = solara.reactive(0)
        self.error: solara.Reactive[str | None] = solara.reactive(None)
        self.live = Live()
        self._build = build
        # A reactive keeps its first value as its default for as long as it lives: set the
        # pair after, or the first pair of every session stays in memory beside the current.
        self.pair: solara.Reactive[Pair | None] = solara.reactive(None)
        self.pair.value = self._new_pair()
        self.applied = solara.reactive(self._wanted())
        self.tick = solara.reactive(0)

    @property
    def on_screen(self) -> Pair:
        """The pair being run: ``pair.value`` (a component reading it follows it), never None
        once the state is made."""
        pair = self.pair.value
        assert pair is not None  # set in __init__ right after the reactive is made
        return pair

    def _wanted(self) -> list[dict]:
        return [{**s, **self.run.value} for s in self.settings.value]

    def _new_pair(self) -> Pair:
        a, b = self._wanted()
        return self._build(a, b, color_by=self.color_by.value)

    @property
    def pending(self) -> bool:
        """True when settings changed since the pair was built."""
        return self._wanted() != self.applied.value

    def set_side(self, index: int, settings: dict) -> None:
        """One side's settings, each inside its control's range (whatever the browser sent)."""
        both = list(self.settings.value)
        both[index] = bounded(settings)
        self.settings.value = both

    def set_run(self, name: str, value) -> None:
        """The seed or the run length, inside its control's range."""
        self.run.value = {**self.run.value, name: clamp(CONTROLS[name], value)}

    def reset(self) -> None:
        """Rebuild both organizations from the settings (step 0, same seed); settings the
        server refuses (beyond its memory limit) are said, and the run on screen stays."""
        self.playing.value = False
        try:
            pair = self._new_pair()
        except (ConfigError, ValueError) as err:
            self.error.value = str(err)
            return
        self.error.value = None
        with self.on_screen.lock:
            self.pair.value = pair
        self.applied.value = self._wanted()
        self.tick.value += 1

    def load(self, a: dict, b: dict, steps: int | None = None) -> None:
        """Put two settings in place and rebuild (a guided experiment opened in the lab)."""
        self.settings.value = [bounded(complete(a)), bounded(complete(b))]
        if steps is not None:
            self.set_run("steps", steps)
        self.reset()

    def step(self) -> None:
        """One step of both; the pictures and the counter get the news directly (no render of
        the page), the buttons only when the run ends."""
        pair = self.on_screen
        was = pair.running
        pair.step()
        self.live.publish()
        if pair.running != was:
            self.tick.value += 1

    def recolor(self, color_by: str) -> None:
        self.color_by.value = color_by
        self.on_screen.set_color_by(color_by)
        self.tick.value += 1


# --------------------------------------------------------------------------- controls


@solara.component
def ControlInput(
    control: Control, value, on_value: Callable, prefix: str = "", show_help: bool = True
):
    """One control with its value in its label (and a line of help under it)."""
    text = f"{control.label}: {format_value(control, value)}"
    cls = f"agora-control agora-{prefix}{control.name}"
    if control.kind in ("share", "count"):
        integer = control.kind == "count"
        rv.Slider(
            label=text,
            v_model=value,
            min=control.low,
            max=control.high,
            step=control.step,
            on_v_model=lambda v: on_value(int(v) if integer else round(float(v), 6)),
            hide_details=True,
            thumb_label=False,
            class_=cls,
        )
    elif control.kind == "choice":
        rv.Select(
            label=control.label,
            items=list(control.choices),
            v_model=value,
            on_v_model=on_value,
            hide_details=True,
            dense=True,
            class_=cls,
        )
    else:
        rv.Switch(
            label=text,
            v_model=bool(value),
            on_v_model=lambda v: on_value(bool(v)),
            hide_details=True,
            dense=True,
            class_=cls,
        )
    if show_help and control.help:
        solara.Div(children=[control.help], classes=["agora-help"])


@solara.component
def SidePanel(state: LabState, index: int):
    """The practices and the organization of one side, with the regime ends as presets."""
    letter = LETTERS[index]
    settings = state.settings.value[index]
    prefix = f"{letter}-"

    def set_value(name):
        def set_(value):
            new = {**settings, name: value}
            if name == "mix":
                new = with_preset(new, "hybrid", value)
            state.set_side(index, new)

        return set_

    def preset(regime):
        # "Halfway" is the hybrid at mix 0.5 (an end's own mix is 0 or 1).
        return lambda: state.set_side(index, with_preset(settings, regime, 0.5))

    with solara.Card(
        f"Organization {letter}", classes=[f"agora-side-{letter}"], style={"margin-bottom": "8px"}
    ):
        solara.Div(children=[f"Start from: {settings['regime']}"], classes=["agora-help"])
        with solara.Row(gap="4px", style={"flex-wrap": "wrap"}):
            for regime, label in (
                ("broadcast", "Broadcast end"),
                ("hybrid", "Halfway"),
                ("conversational", "Conversational end"),
            ):
                solara.Button(
                    label,
                    on_click=preset(regime),
                    small=True,
                    outlined=settings["regime"] != regime,
                    color="primary",
                    classes=[f"agora-preset-{letter}-{regime}"],
                )
        if settings["regime"] == "hybrid":
            ControlInput(CONTROLS["mix"], settings["mix"], set_value("mix"), prefix)
        with solara.Details("Practices", expand=True).key(f"practices-{letter}"):
            for control in PRACTICE_CONTROLS[2:]:
                ControlInput(
                    control,
                    settings[control.name],
                    set_value(control.name),
                    prefix,
                    show_help=index == 0,
                )
        with solara.Details("Organization", expand=False).key(f"organization-{letter}"):
            for control in ORGANIZATION:
                ControlInput(
                    control,
                    settings[control.name],
                    set_value(control.name),
                    prefix,
                    show_help=False,
                )
            if index == 1:
                solara.Button(
                    "Same organization as A",
                    small=True,
                    text=True,
                    on_click=lambda: state.set_side(
                        1,
                        {
                            **settings,
                            **{c.name: state.settings.value[0][c.name] for c in ORGANIZATION},
                        },
                    ),
                )


def step_text(pair: Pair) -> str:
    """The counter under the buttons."""
    return f"Step {pair.current_step} of {pair.steps}"


class StepText:
    """Brings the counter up to date (equal for the same pair: no re-attaching on render)."""

    def __init__(self, pair: Pair) -> None:
        self.pair = pair

    def __call__(self, widget) -> None:
        widget.text = step_text(self.pair)

    def __eq__(self, other) -> bool:
        return isinstance(other, StepText) and other.pair is self.pair

    def __hash__(self) -> int:
        return id(self.pair)


@solara.component
def StepControls(state: LabState):
    """Reset, Step, Play and the step counter: the only controls that change at every step."""
    pair = state.on_screen
    _ = state.tick.value  # the run ended or started again

    def play_loop(cancel: threading.Event):
        while state.playing.value and not cancel.is_set():
            started = time.perf_counter()
            if not pair.running:
                state.playing.value = False
                break
            state.step()
            rest = SPEEDS[state.speed.value] - (time.perf_counter() - started)
            # At least a short pause: a class on one server shares it (and "fastest" is
            # still as fast as a browser can draw).
            cancel.wait(max(rest, MIN_PAUSE))

    # Not "intrusive": that cancels through a trace function on every line the thread runs,
    # which would make every step of the models several times slower.
    solara.use_thread(play_loop, dependencies=[state.playing.value, pair], intrusive_cancel=False)
    # Play stops when the student's tab is hidden: no steps nobody watches.
    PageVisibility.element(on_hidden=lambda: state.playing.set(False))

    with solara.Row(gap="6px", style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.Button(
            "Reset",
            on_click=state.reset,
            color="warning" if state.pending else None,
            classes=["agora-reset"],
        )
        solara.Button(
            "Step",
            on_click=state.step,
            disabled=state.playing.value or not pair.running,
            classes=["agora-step"],
        )
        solara.Button(
            "Pause" if state.playing.value else "Play",
            color="primary",
            disabled=not pair.running and not state.playing.value,
            on_click=lambda: state.playing.set(not state.playing.value),
            classes=["agora-play"],
        )
    LiveText.element(
        text=step_text(pair),
        css_class="agora-status agora-step-count",
        live=state.live,
        follow=("counter", StepText(pair)),
    )
    if state.pending:
        solara.Div(
            children=["Settings changed: press Reset to start both runs again with them."],
            classes=["agora-help", "agora-pending"],
            style={"color": "#b35900"},
        )
    if state.error.value:
        solara.Error(state.error.value, classes=["agora-refused"])


@solara.component
def RunControls(state: LabState):
    """Reset, Step, Play; the step counter; speed, colouring, seed and run length."""
    StepControls(state)
    # Keyed: the message above comes and goes, and the two selects hold different hooks.
    solara.Select(
        "Speed", values=list(SPEEDS), value=state.speed, dense=True, classes=["agora-speed"]
    ).key("speed")
    solara.Select(
        "Colour the dots by",
        values=list(COLOR_BY),
        value=state.color_by.value,
        on_value=state.recolor,
        dense=True,
        classes=["agora-color-by"],
    ).key("color-by")
    for control in RUN:
        ControlInput(
            control,
            state.run.value[control.name],
            lambda v, n=control.name: state.set_run(n, v),
            show_help=control.name == "seed",
        )


@solara.component
def Exports(state: LabState):
    """Download the measures so far, the picture, the last steps (drawn when asked)."""
    pair = state.on_screen
    with solara.Row(
        gap="8px", style={"flex-wrap": "wrap", "align-items": "center"}, classes=["agora-exports"]
    ):
        solara.Text("Download:", style={"font-size": "16px"})
        solara.FileDownload(
            pair.csv, filename="agora_lab.csv", label="Data (CSV)", mime_type="text/csv"
        )
        solara.FileDownload(
            pair.png, filename="agora_lab.png", label="Picture (PNG)", mime_type="image/png"
        )
        solara.FileDownload(
            pair.gif,
            filename="agora_lab_last_steps.gif",
            label="Animation (GIF)",
            mime_type="image/gif",
        )


@solara.component
def NetworksChart(state: LabState):
    """Both networks, drawn in the browser; per step only the dots' colours and messages."""
    pair = state.on_screen
    _ = state.tick.value  # recoloured
    versions = tuple(d.version for d in pair.data)
    feed = solara.use_memo(lambda: NetworksFeed(pair), [pair, pair.color_by, versions])
    Chart.element(
        option=feed.text,
        kind="network",
        height=f"{NETWORK_PX}px",
        css_class="agora-networks",
        live=state.live,
        follow=("networks", feed),
    )
    solara.HTML(tag="div", unsafe_innerHTML=legend_html(pair.color_by), classes=["agora-legend"])


@solara.component
def MetricsChart(pair: Pair, state: LabState | None = None, css_class: str = "agora-metrics"):
    """The curves on shared axes, drawn in the browser; with a ``state``, each step sends
    only the new points."""
    feed = solara.use_memo(lambda: MetricsFeed(pair), [pair])
    Chart.element(
        option=feed.text,
        kind="metrics",
        height=f"{METRICS_PX}px",
        css_class=css_class,
        live=state.live if state is not None else None,
        follow=("metrics", feed) if state is not None else None,
    )


@solara.component
def LabView(state: LabState):
    """The side-by-side tab: the sidebar, the two networks, the curves, the exports."""
    pair = state.on_screen
    with solara.Row(gap="12px", style={"align-items": "flex-start"}):
        with solara.Column(classes=["agora-sidebar"], gap="4px"):
            RunControls(state)
            SidePanel(state, 0)
            SidePanel(state, 1)
        with solara.Column(classes=["agora-main"], gap="6px"):
            Exports(state)
            if pair.sampled:
                solara.Warning(
                    "These organizations are larger than one picture can show well: "
                    "the picture draws an even sample of each ring. The measures "
                    "count everyone."
                )
            NetworksChart(state)
            MetricsChart(pair, state)
            with solara.Details("These runs from the command line"):
                for letter, settings, command in zip(
                    LETTERS, pair.settings, pair.commands(), strict=True
                ):
                    Prose(f"**{letter}.** {describe(settings)}.\n\n```\n{command}\n```")


# --------------------------------------------------------------------------- guided


def run_experiment(experiment, run: dict) -> tuple[Pair, object]:
    """Both sides of a guided experiment run to its end on the lab's seed; the outcome."""
    settings = [{**side, **run, "steps": experiment.steps} for side in (experiment.a, experiment.b)]
    pair = Pair(*settings)
    pair.step(experiment.steps)
    return pair, outcome(experiment, [m.metrics_frame() for m in pair.models])


@solara.lab.task(prefer_threaded=True)
def guided_task(key: tuple, experiment, run: dict):
    """A guided experiment in the background (the page shows a progress bar meanwhile)."""
    return key, *run_experiment(experiment, run)


@solara.component
def GuidedView(state: LabState):
    """Guided experiments: predict, run both on the same seed, see what happened."""
    chosen = solara.use_reactive(EXPERIMENTS[0].key)
    prediction: solara.Reactive[str | None] = solara.use_reactive(None)
    experiment = next(e for e in EXPERIMENTS if e.key == chosen.value)
    # An answer belongs to one experiment, prediction and seed: any change hides it.
    key = (chosen.value, prediction.value, state.run.value["seed"])

    def choose(value):
        chosen.value = value
        prediction.value = None

    def open_in_lab():
        state.load(experiment.a, experiment.b, steps=experiment.steps)
        state.tab.value = 0

    with solara.Column(classes=["agora-main", "agora-guided"], style={"max-width": "980px"}):
        solara.ToggleButtonsSingle(
            value=chosen.value,
            on_value=choose,
            children=[solara.Button(e.title, value=e.key) for e in EXPERIMENTS],
            classes=["agora-experiments"],
        )
        with solara.Card(experiment.title):
            Prose(
                f"**Predict first.** {experiment.question} "
                f"(Both run {experiment.steps} steps on seed "
                f"{state.run.value['seed']}; we compare the last third.)",
                size=17,
            )
            solara.Div(children=["Your class predicts:"], classes=["agora-help"])
            solara.ToggleButtonsSingle(
                value=prediction.value,
                on_value=prediction.set,
                values=list(PREDICTIONS),
                mandatory=False,
                classes=["agora-prediction"],
            )
            with solara.Row():
                solara.Button(
                    "Run it",
                    color="primary",
                    on_click=lambda: guided_task(key, experiment, dict(state.run.value)),
                    disabled=prediction.value is None or guided_task.pending,
                    classes=["agora-run-experiment"],
                )
                solara.Button(
                    "Watch it step by step in Side by side", text=True, on_click=open_in_lab
                )
            if prediction.value is None:
                solara.Div(
                    children=["Choose a prediction to run the experiment."], classes=["agora-help"]
                )
            if guided_task.pending:
                solara.ProgressLinear(True)
                solara.Div(
                    children=[f"Running A and B for {experiment.steps} steps..."],
                    classes=["agora-help"],
                )
        result = guided_task.value if guided_task.finished else None
        if result is not None and result[0] == key:
            _, pair, verdict = result
            right = verdict.matches(prediction.value)
            with solara.Card("What happened", classes=["agora-outcome"]):
                said = "right" if right else "not this time"
                Prose(
                    f"**{verdict.sentence()}** You predicted: *{prediction.value}* ({said}).",
                    size=17,
                )
                Prose(experiment.discuss, size=16)
            MetricsChart(pair, css_class="agora-guided-metrics")


# --------------------------------------------------------------------------- what if


@solara.lab.task(prefer_threaded=True)
def whatif_task(request: WhatIfRequest):
    """Run a what-if in the background, reporting the share of replicates done."""

    def progress(done: int, total: int) -> None:
        whatif_task.progress = 100.0 * done / max(total, 1)

    whatif_task.progress = 0.0
    return run_request(request, workers=workers_for(request), on_progress=progress)


@solara.component
def WhatIfView(state: LabState):
    """Pick a scenario and a change; run baseline and change with replicates; show the
    difference over time with its CI and the report's sentences."""
    from sim.scenarios.library import list_interventions, list_scenarios

    scenarios = solara.use_memo(
        lambda: [s for s in list_scenarios() if s.path.stem != "march1991"], []
    )
    interventions = solara.use_memo(list_interventions, [])
    form = _WhatIfForm(
        scenario=solara.use_reactive("default"),
        kind=solara.use_reactive("intervention"),
        intervention=solara.use_reactive(interventions[0].name if interventions else None),
        practice=solara.use_reactive("responsiveness"),
        value=solara.use_reactive(0.6),
        at=solara.use_reactive(100),
        steps=solara.use_reactive(200),
        replicates=solara.use_reactive(8),
        error=solara.use_reactive(None),
    )
    with solara.Row(gap="16px", style={"align-items": "flex-start"}):
        with solara.Column(classes=["agora-sidebar", "agora-whatif-form"], gap="4px"):
            _whatif_scenario_picker(form, {s.path.stem: s for s in scenarios})
            _whatif_change_picker(form, interventions)
            _whatif_sliders(form)
            solara.Button(
                "Run the what-if",
                color="primary",
                on_click=lambda: _start_whatif(form, state.run.value["seed"]),
                disabled=whatif_task.pending,
                classes=["agora-whatif-run"],
            )
            if form.error.value:
                solara.Error(form.error.value)
        with solara.Column(classes=["agora-main", "agora-whatif-result"], gap="6px"):
            _whatif_result_panel()


@dataclass(frozen=True)
class _WhatIfForm:
    """The what-if tab's reactive choices, handed as one to the pieces that draw the form."""

    scenario: solara.Reactive
    kind: solara.Reactive
    intervention: solara.Reactive
    practice: solara.Reactive
    value: solara.Reactive
    at: solara.Reactive
    steps: solara.Reactive
    replicates: solara.Reactive
    error: solara.Reactive


def _start_whatif(form: _WhatIfForm, seed) -> None:
    """Check the form's request and start it in the background, or say what is wrong."""
    form.error.value = None
    try:
        # Held to the sliders' limits here, on the server, whatever the browser sent.
        request = bounded_request(
            WhatIfRequest(
                form.scenario.value,
                intervention=form.intervention.value if form.kind.value == "intervention" else None,
                practice=form.practice.value if form.kind.value == "practice" else None,
                value=form.value.value,
                at=form.at.value,
                steps=form.steps.value,
                replicates=form.replicates.value,
                seed=seed,
            )
        )
        plan = plan_of(request)  # a bad choice is said here, before anything runs
    except Exception as err:  # noqa: BLE001 - shown to the user as it is
        form.error.value = str(err)
        return
    same = unchanged(plan) if request.practice is not None else None
    if same:
        form.error.value = f"Nothing to compare: {same}."
        return
    whatif_task(request)


def _whatif_scenario_picker(form: _WhatIfForm, names: dict) -> None:
    """The scenario select, its description, and the choice of an intervention or a practice."""
    solara.Select(
        "Scenario",
        values=list(names),
        value=form.scenario,
        dense=True,
        classes=["agora-whatif-scenario"],
    )
    solara.Div(
        children=[names[form.scenario.value].description if form.scenario.value in names else ""],
        classes=["agora-help"],
    )
    solara.ToggleButtonsSingle(
        value=form.kind,
        children=[
            solara.Button("An intervention", value="intervention"),
            solara.Button("One practice", value="practice"),
        ],
        classes=["agora-whatif-kind"],
    )


def _whatif_change_picker(form: _WhatIfForm, interventions: list) -> None:
    """The named intervention, or one practice and its new value."""

    def set_practice(name):
        form.practice.value = name
        form.value.value = complete(regime="conversational")[name]

    if form.kind.value == "intervention":
        # Keys: the two selects take turns at one place of the page, and must not
        # share their hooks (one holds a reactive value, the other a callback).
        solara.Select(
            "Intervention",
            values=[i.name for i in interventions],
            value=form.intervention,
            dense=True,
            classes=["agora-whatif-intervention"],
        ).key("whatif-intervention")
        if form.intervention.value:
            solara.Div(
                children=[describe_intervention(form.intervention.value)], classes=["agora-help"]
            )
    else:
        solara.Select(
            "Practice",
            values=list(CHANGEABLE),
            value=form.practice.value,
            on_value=set_practice,
            dense=True,
            classes=["agora-whatif-practice"],
        ).key("whatif-practice")
        ControlInput(CONTROLS[form.practice.value], form.value.value, form.value.set, "whatif-")


def _whatif_sliders(form: _WhatIfForm) -> None:
    """The sliders for the step of the change, the run's length and the replicates."""
    at, steps, replicates = form.at, form.steps, form.replicates

    def set_steps(n):
        steps.set(int(n))
        if at.value >= int(n):  # the change must fall inside the run
            at.set(max(10, int(n) // 2 // 10 * 10))

    def set_whole(var: solara.Reactive) -> Callable[[float], None]:
        return lambda v: var.set(int(v))  # a slider may send 10.0

    labels = {
        "at": "Change at step",
        "steps": "Run length (steps)",
        "replicates": "Replicates (runs of each)",
    }

    for name, var, setter in (
        ("at", at, set_whole(at)),
        ("steps", steps, set_steps),
        ("replicates", replicates, set_whole(replicates)),
    ):
        label = labels[name]
        low, high, stride = LIMITS[name]
        if name == "at":  # the change falls inside the run
            high = max(low, min(high, steps.value - 10))
        rv.Slider(
            label=f"{label}: {var.value}",
            v_model=var.value,
            min=low,
            max=high,
            step=stride,
            on_v_model=setter,
            hide_details=True,
            thumb_label=False,
            class_=f"agora-control agora-whatif-{name}",
        )


def _whatif_result_panel() -> None:
    """The what-if's progress, its failure, its result, or what to do first."""
    if whatif_task.pending:
        done = whatif_task.progress or 0.0
        solara.ProgressLinear(done if done > 0 else True)
        solara.Div(
            children=[f"Running both arms: {done:.0f}% of the replicates done."],
            classes=["agora-status", "agora-whatif-progress"],
        )
    elif whatif_task.error:
        solara.Error(f"The what-if failed: {whatif_task.exception}")
    elif whatif_task.finished and whatif_task.value is not None:
        WhatIfResultView(whatif_task.value)
    else:
        Prose(
            "Choose a scenario and a change, then **Run the what-if**. The scenario runs "
            "several times as it is and several times with the change, on the same "
            "seeds: until the change the two are the same organization, step for step, "
            "so every difference after it is the change's doing.",
            size=17,
        )


@solara.component
def WhatIfResultView(result):
    """The report's sentences and the difference over time with its 95% CI."""
    from sim.viz.difference import DIFF_COLOUR
    from sim.viz.plots import pretty

    option = solara.use_memo(
        lambda: difference_option(result.differences, at=result.plan.at, colour=DIFF_COLOUR),
        [result],
    )
    rows = max(1, math.ceil(len(result.differences) / 3))  # three panels a row
    with solara.Card(result.title, classes=["agora-whatif-summary"]):
        Prose(
            f"{result.n} runs with and {result.n} without the change, same seeds; values at "
            "the end are means over the last steps, with 95% confidence intervals.",
            size=16,
        )
        lines = [f"- {s}" for s in result.sentences] or [
            "- No measure ends clearly different: every 95% interval of the difference "
            "includes zero."
        ]
        Prose("\n".join(lines), size=17)
        if result.unclear:
            Prose(
                "No clear difference at the end: "
                + ", ".join(pretty(m).lower() for m in result.unclear)
                + ".",
                size=15,
            )
    Chart.element(
        option=dumps(option),
        kind="plain",
        height=f"{230 * rows + 50}px",
        css_class="agora-whatif-plot",
    )
    table_csv = solara.use_memo(lambda: lambda: result.table.to_csv(index=False), [result])
    solara.FileDownload(
        table_csv, filename="whatif.csv", label="The table (CSV)", mime_type="text/csv"
    )


# --------------------------------------------------------------------------- info


@solara.component
def InfoView():
    """The Info tab, in the layout of NetLogo's Models Library."""
    with solara.Column(classes=["agora-info", "agora-text"], style={"max-width": "900px"}):
        for title, text in INFO:
            Prose(f"## {title}\n{text}")


# --------------------------------------------------------------------------- the app


@solara.component
def FullView(limit: int):
    """What a student sees when the server already serves as many labs as it may."""
    solara.Style(CSS)
    solara.Title("Agora: the lab is full")
    with solara.Column(style={"padding": "24px", "max-width": "760px"}, classes=["agora-full"]):
        Prose(
            f"## The lab is full\n\nThis server already runs {limit} labs, as many as its "
            "teacher set it to serve at once (`agora app --max-sessions`). A place frees "
            "up when someone closes their tab.\n\n**Try again in a minute: reload this "
            "page**, or ask your teacher.",
            size=18,
        )


TABS = ("Side by side", "Guided experiments", "What if", "Info")


@solara.component
def AgoraLab(state: LabState):
    """The whole app for one session's state."""
    solara.Style(CSS)
    solara.Title("Agora: how an organization talks")
    with solara.Column(style={"padding": "4px 12px"}, gap="0px"):
        with solara.Row(style={"align-items": "baseline"}):
            solara.HTML(
                tag="h1",
                unsafe_innerHTML="Agora: how an organization talks",
                style="font-size: 22px; font-weight: 500; margin: 10px 0 4px 0;",
            )
        with solara.lab.Tabs(value=state.tab, lazy=True):
            with solara.lab.Tab(TABS[0], classes=["agora-tab-lab"]):
                LabView(state)
            with solara.lab.Tab(TABS[1], classes=["agora-tab-guided"]):
                GuidedView(state)
            with solara.lab.Tab(TABS[2], classes=["agora-tab-whatif"]):
                WhatIfView(state)
            with solara.lab.Tab(TABS[3], classes=["agora-tab-info"]):
                InfoView()
