"""The teaching app: watch an organization talk, live in the browser.

Start it with::

    solara run sim/app.py            # serves http://localhost:8765 on this machine only

It is built on Mesa's :func:`~mesa.visualization.SolaraViz`, which provides the sidebar: the
step, play and reset buttons, the step counter and the controls of :data:`MODEL_PARAMS`.
Controls take effect when **Reset** rebuilds the model (Mesa's rule), always with the same seed
unless the seed control changes, so a class can replay a run exactly. The main area shows the
organization as a network (:mod:`sim.viz`), the main metrics over time and a short
explanation in plain words.

Each browser session gets its own model. The app's model is exactly the model of
``python experiments/run.py`` with the overrides listed under the picture (replicate 0).

Examples
--------
>>> model = AppModel(regime="broadcast", size=30, stakeholders=5, steps=3)
>>> model.overrides[:2], model.cfg.regime.broadcast_rate, model.cfg.org.size
(['regime=broadcast', 'hierarchy=direct'], 1.0, 30)
>>> model.run(); model.running
False
"""

from __future__ import annotations

import warnings

import solara

# Mesa's ComponentsView returns early when it has no components (this app draws its own main
# area), and Solara's hook checker warns about that when the module is imported; the early
# return is the same from render to render, so the warning does not apply here.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=r".*ComponentsView: `use_state` found despite")
    from mesa.visualization import SolaraViz
    from mesa.visualization.utils import update_counter

from sim.config import load_config
from sim.model import AgoraModel
from sim.viz.drawing import COLOR_BY, DEFAULT_METRICS, MetricsPlot, NetworkPlot
from sim.viz.layout import MAX_DRAW_NODES, layout_of
from sim.viz.render import FrameRenderer

__all__ = [
    "AppModel", "AgoraApp", "DEFAULTS", "MODEL_PARAMS", "Page", "app_overrides", "with_values"
]

REGIMES = ("broadcast", "hybrid", "conversational")
ROUTINGS = ("direct", "chain")

def _share(value: float, label: str) -> dict:
    """A 0-to-1 slider in steps of 0.05."""
    return {"type": "SliderFloat", "value": value, "min": 0.0, "max": 1.0, "step": 0.05,
            "label": label}


def _count(value: int, low: int, high: int, step: int, label: str) -> dict:
    """An integer slider."""
    return {"type": "SliderInt", "value": value, "min": low, "max": high, "step": step,
            "label": label}


#: The controls of the sidebar (Mesa's user-parameter format); values are the defaults.
MODEL_PARAMS: dict[str, dict] = {
    "regime": {"type": "Select", "value": "hybrid", "values": list(REGIMES), "label": "Regime"},
    "mix": _share(0.5, "Hybrid mix"),
    "openness_peer": _share(1.0, "Open: peers"),
    "openness_internal": _share(0.5, "Open: across units"),
    "openness_external": _share(0.5, "Open: stakeholders"),
    "hear_stakeholders": {"type": "Checkbox", "value": True, "label": "Stakeholders are heard"},
    "depth": _count(4, 2, 8, 1, "Hierarchy levels"),
    "routing": {"type": "Select", "value": "direct", "values": list(ROUTINGS), "label": "Routing"},
    "attention": _count(5, 1, 30, 1, "Attention"),
    "size": _count(200, 20, 2000, 10, "People per org"),
    "orgs": _count(1, 1, 3, 1, "Organizations"),
    "stakeholders": _count(50, 0, 500, 10, "Stakeholders per org"),
    "steps": _count(200, 20, 1000, 20, "Run length"),
    "seed": _count(0, 0, 100, 1, "Seed"),
}

#: The default value of every control.
DEFAULTS: dict[str, object] = {name: p["value"] for name, p in MODEL_PARAMS.items()}


def _num(value: float) -> str:
    """A float as Hydra reads it back exactly, without binary noise (0.1 + 0.2 -> 0.3)."""
    return repr(round(float(value), 6))


def app_overrides(**controls) -> list[str]:
    """The Hydra overrides of ``experiments/run.py`` that give the model of these controls.

    Controls not given take their :data:`MODEL_PARAMS` defaults. Routing picks the
    ``hierarchy`` option (so ``chain`` brings its relay and distortion) and the depth is set on
    top of it; ``mix`` only matters for the hybrid regime.

    >>> app_overrides(regime="conversational", routing="chain", depth=3)[:4]
    ['regime=conversational', 'hierarchy=chain', 'hierarchy.depth=3', 'openness.peer=1.0']
    >>> try:
    ...     app_overrides(colour="red")
    ... except ValueError as err:
    ...     print(str(err).split(":")[0])
    unknown control(s) ['colour']
    """
    unknown = sorted(set(controls) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"unknown control(s) {unknown}: one of {list(DEFAULTS)}")
    c = {**DEFAULTS, **controls}
    regime, routing = c["regime"], c["routing"]
    if regime not in REGIMES:
        raise ValueError(f"regime={regime!r} is unknown: one of {REGIMES}")
    if routing not in ROUTINGS:
        raise ValueError(f"routing={routing!r} is unknown: one of {ROUTINGS}")
    out = [f"regime={regime}"]
    if regime == "hybrid":
        out.append(f"regime.mix={_num(c['mix'])}")
    out += [
        f"hierarchy={routing}",
        f"hierarchy.depth={int(c['depth'])}",
        f"openness.peer={_num(c['openness_peer'])}",
        f"openness.internal={_num(c['openness_internal'])}",
        f"openness.external={_num(c['openness_external'])}",
        f"openness.hear_stakeholders={'true' if c['hear_stakeholders'] else 'false'}",
        f"population.attention={int(c['attention'])}",
        f"org.count={int(c['orgs'])}",
        f"org.size={int(c['size'])}",
        f"stakeholders.count={int(c['stakeholders'])}",
        f"steps={int(c['steps'])}",
        f"seed={int(c['seed'])}",
    ]
    return out


class AppModel(AgoraModel):
    """An :class:`~sim.model.AgoraModel` built from the app's flat controls.

    Mesa's SolaraViz rebuilds the model on Reset by calling the class with the controls as
    keyword arguments; this class turns them into the Hydra overrides of
    :func:`app_overrides` (kept as ``self.overrides``) and composes the configuration with
    :func:`sim.config.load_config`, exactly as ``experiments/run.py`` would. The run stops
    (``running`` turns False, so Play stops) after ``steps`` steps.
    """

    def __init__(self, **kwargs) -> None:
        # Mesa's SolaraViz accepts a ``kwargs`` constructor; the controls and their defaults
        # are declared once, in MODEL_PARAMS.
        self.overrides = app_overrides(**kwargs)
        super().__init__(load_config(self.overrides))
        self.running = self.steps < self.cfg.steps

    def step(self) -> None:
        super().step()
        self.running = self.steps < self.cfg.steps

    def describe(self) -> str:
        """This run's settings in one line of plain words."""
        c = self.cfg
        regime = c.regime.name + (f" (mix {c.regime.mix:.2f})" if c.regime.name == "hybrid" else "")
        orgs = f"{c.org.count} organizations of " if c.org.count > 1 else ""
        return (
            f"{regime} regime; {orgs}{c.org.size} people in {c.hierarchy.depth} levels "
            f"({c.hierarchy.routing} routing), {c.stakeholders.count} stakeholders each; "
            f"openness peers {c.openness.peer:.2f}, across units {c.openness.internal:.2f}, "
            f"to stakeholders {c.openness.external:.2f}; attention {c.population.attention}; "
            f"seed {c.seed}"
        )


EXPLANATION = """
**What you see.** Each dot is a person. The square in the middle is the organization's
*code*: its strategy, what it believes about the world. Rings are levels of the hierarchy
(the boss in the centre, the frontline on the outer ring of members); each slice is a unit
(a department). Dots on the outermost ring are stakeholders: customers and partners.
Grey lines are who can talk to whom; coloured lines are the messages of the last step:
**blue** broadcasts from the organization, **green** posts between people, **purple**
replies, **red** ideas sent up to the organization (voice).

**The question.** Does the organization learn more when it *broadcasts* its code to everyone
("having" members and customers) or when it *converses* with them ("being" in a
relationship)? Knowledge is the share of the world an agent gets right: green is good.

**Try.** Pick a regime, press **Reset**, then **Step** a few times or **Play**. Change one
control at a time and press **Reset**: the same seed gives the same run, so any difference
comes from the control you changed. Watch the code's knowledge, members' engagement and the
silo index (close to -1: people only talk inside their own unit).
"""


@solara.component
def NetworkView(model: AgoraModel):
    """The network picture with its colouring choice; redrawn when the model steps."""
    update_counter.get()
    color_by = solara.use_reactive("knowledge")
    layout = solara.use_memo(lambda: layout_of(model), [model])
    plot = solara.use_memo(
        lambda: NetworkPlot(model, layout, color_by=color_by.value), [model, color_by.value]
    )
    renderer = solara.use_memo(lambda: FrameRenderer(plot), [plot])

    def draw() -> bytes:
        plot.update(model)
        return renderer.png()

    png = solara.use_memo(draw, [plot, model.steps])
    with solara.Card("The organization"):
        solara.ToggleButtonsSingle(value=color_by, values=list(COLOR_BY), dense=True)
        if plot.sampled:
            solara.Warning(
                f"{layout.n_nodes} people and stakeholders are more than one picture can show "
                f"well (about {MAX_DRAW_NODES}): drawing an even sample of "
                f"{plot.nodes.size} of them, ring by ring. The metrics count everyone."
            )
        solara.Image(png, format="png", width="100%")


@solara.component
def MetricsView(model: AgoraModel):
    """Small multiples of the main metrics, redrawn when the model steps."""
    update_counter.get()
    plot = solara.use_memo(
        lambda: MetricsPlot(
            DEFAULT_METRICS, horizon=max(20, model.cfg.steps), width=6.0, height=6.4
        ),
        [model],
    )
    renderer = solara.use_memo(lambda: FrameRenderer(plot), [plot])

    def draw() -> bytes:
        plot.update(model.metrics_frame())
        return renderer.png()

    png = solara.use_memo(draw, [plot, model.steps])
    with solara.Card("What happens"):
        solara.Image(png, format="png", width="100%")


@solara.component
def Explanation(model: AgoraModel):
    """The plain-words panel, with this run's settings and the command that repeats it."""
    with solara.Card("How to read this"):
        solara.Markdown(EXPLANATION)
        overrides = getattr(model, "overrides", None)
        if hasattr(model, "describe"):
            solara.Markdown(f"**This run:** {model.describe()}.")
        if overrides:
            solara.Markdown(
                "The same run from the command line:\n\n"
                f"```\npython experiments/run.py {' '.join(overrides)}\n```"
            )


def with_values(**values) -> dict[str, dict]:
    """:data:`MODEL_PARAMS` with other starting values (for a smaller classroom default).

    >>> with_values(size=60)["size"]["value"], MODEL_PARAMS["size"]["value"]
    (60, 200)
    """
    unknown = set(values) - set(MODEL_PARAMS)
    if unknown:
        raise ValueError(f"unknown controls {sorted(unknown)}: known are {list(MODEL_PARAMS)}")
    return {k: {**p, "value": values.get(k, p["value"])} for k, p in MODEL_PARAMS.items()}


@solara.component
def AgoraApp(model: solara.Reactive, model_params: dict | None = None):
    """The whole app for one reactive model: Mesa's sidebar plus the network, plots and text.

    ``model_params`` are the controls (default :data:`MODEL_PARAMS`); their values must be
    those ``model`` was built with, since Reset rebuilds the model from the controls.
    """
    SolaraViz(
        model,
        components=[],
        model_params=MODEL_PARAMS if model_params is None else model_params,
        name="Agora: how an organization talks",
        play_interval=150,
    )
    with solara.Column(style={"padding": "8px"}):
        with solara.Columns([1, 1]):
            NetworkView(model.value)
            MetricsView(model.value)
        Explanation(model.value)


@solara.component
def Page():
    """The page ``solara run sim/app.py`` serves: one model per browser session."""
    model = solara.use_memo(lambda: solara.reactive(AppModel(**DEFAULTS)), [])
    AgoraApp(model)

