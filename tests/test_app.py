"""In-process tests of the teaching app, rendered with ``solara.render`` (no browser).

The app is rendered inside a ``solara.AppLayout`` so that Mesa's sidebar (controls, buttons,
step counter) is part of the widget tree the tests search. Buttons are clicked and controls
moved through their ipyvuetify widgets, exactly as the browser would do it.
"""

from __future__ import annotations

import time

import ipyvuetify as v
import ipywidgets
import numpy as np
import pandas as pd
import pytest
import solara

from sim import simulate
from sim.app import DEFAULTS, MODEL_PARAMS, AgoraApp, AppModel, app_overrides, with_values
from sim.config import load_config

SMALL = {**DEFAULTS, "size": 60, "stakeholders": 10, "steps": 40}


def state(model) -> tuple:
    """Everything a rebuild must reproduce."""
    return (
        model.steps, model.reality.tobytes(), model.beliefs.tobytes(), model.code.tobytes(),
        np.asarray(model.engagement).tobytes(), np.asarray(model.trust).tobytes(),
        model.network.edges.tobytes(), model.network.edge_type.tobytes(),
    )


def render(model: solara.Reactive):
    @solara.component
    def Shell():
        with solara.AppLayout():
            AgoraApp(model, with_values(**SMALL))

    _, rc = solara.render(Shell(), handle_error=False)
    return rc


@pytest.fixture
def app():
    model = solara.reactive(AppModel(**SMALL))
    return model, render(model)


def button(rc, label):
    return rc.find(v.Btn, children=[label]).widget


def _image_bytes(rc) -> list[bytes]:
    """The PNGs on the page: the network, then the metrics."""
    return [bytes(w.value) for w in rc.find(ipywidgets.Image).widgets]


def test_every_control_and_button_exists(app):
    _, rc = app
    labels = {w.label for w in rc.find(v.Slider).widgets}
    labels |= {w.label for w in rc.find(v.Select).widgets}
    labels |= {w.label for w in rc.find(v.Checkbox).widgets}
    assert {p["label"] for p in MODEL_PARAMS.values()} <= labels
    for name in ("regime", "mix", "openness_internal", "depth", "routing", "size", "seed"):
        assert name in MODEL_PARAMS
    assert rc.find(v.Select, label="Regime").widget.items == [
        "broadcast", "hybrid", "conversational"
    ]
    for label in ("Reset", "Step", "▶"):
        button(rc, label)
    rc.find(children=["Step: 0"]).assert_single()
    # The colouring choice and the plain-words panel.
    toggle = rc.find(v.BtnToggle).widget
    assert [b.children[0] for b in toggle.children] == [
        "knowledge", "engagement", "trust", "kind", "unit"
    ]
    rc.find(v.CardTitle, children=["How to read this"]).assert_single()


def test_step_advances_the_model_and_the_pictures(app):
    model, rc = app
    first = model.value
    before = _image_bytes(rc)
    button(rc, "Step").click()
    assert model.value is first and model.value.steps == 1
    assert len(model.value.records) == 2
    rc.find(children=["Step: 1"]).assert_single()
    after = _image_bytes(rc)
    assert len(before) == len(after) == 2
    assert before[0] != after[0] and before[1] != after[1]


def test_reset_rebuilds_with_the_same_seed(app):
    model, rc = app
    fresh = state(AppModel(**SMALL))
    for _ in range(3):
        button(rc, "Step").click()
    stepped = model.value
    records = list(stepped.records)
    assert state(stepped) != fresh
    button(rc, "Reset").click()
    assert model.value is not stepped
    assert state(model.value) == fresh
    rc.find(children=["Step: 0"]).assert_single()
    for _ in range(3):
        button(rc, "Step").click()
    # Same seed, same run: every metric of every step is identical (NaN where undefined).
    assert pd.DataFrame(model.value.records).equals(pd.DataFrame(records))


def test_changing_controls_changes_the_config(app):
    model, rc = app
    old = model.value
    rc.find(v.Select, label="Regime").widget.v_model = "conversational"
    rc.find(v.Slider, label="Open: across units").widget.v_model = 0.9
    rc.find(v.Slider, label="Hierarchy levels").widget.v_model = 3
    rc.find(v.Select, label="Routing").widget.v_model = "chain"
    rc.find(v.Slider, label="Seed").widget.v_model = 7
    rc.find(v.Checkbox, label="Stakeholders are heard").widget.v_model = False
    # Mesa applies controls when the model is rebuilt.
    assert model.value is old
    button(rc, "Reset").click()
    cfg = model.value.cfg
    assert cfg.regime.name == "conversational" and cfg.regime.voting is True
    assert cfg.openness.internal == 0.9
    assert cfg.hierarchy.depth == 3 and int(model.value.network.tree.level.max()) == 2
    # Routing "chain" brings the chain option's relay and distortion (conf/hierarchy/chain.yaml).
    assert (cfg.hierarchy.routing, cfg.hierarchy.relay, cfg.hierarchy.distortion) == (
        "chain", 0.8, 0.1
    )
    assert cfg.seed == 7 and cfg.openness.hear_stakeholders is False
    assert cfg.org.size == SMALL["size"]  # untouched controls keep their values
    assert "regime=conversational" in model.value.overrides


def test_colour_choice_redraws_the_network(app):
    _, rc = app
    before = _image_bytes(rc)[0]
    rc.find(v.BtnToggle).widget.v_model = 3  # "kind"
    after = _image_bytes(rc)[0]
    assert after != before


def test_app_model_is_the_run_py_model():
    """The app runs replicate 0 of the job that experiments/run.py runs with its overrides."""
    params = {**SMALL, "regime": "broadcast", "size": 30, "stakeholders": 5, "steps": 6}
    model = AppModel(**params)
    model.run()
    assert not model.running
    result = simulate(load_config(model.overrides))
    expected = result.metrics.drop(columns=["replicate", "seed"]).reset_index(drop=True)
    got = model.metrics_frame()[list(expected.columns)]
    assert expected.equals(got)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"regime": "hybrid", "mix": 0.1 + 0.2}, "regime.mix=0.3"),
        ({"routing": "chain"}, "hierarchy=chain"),
        ({"hear_stakeholders": False}, "openness.hear_stakeholders=false"),
    ],
)
def test_overrides(params, expected):
    assert expected in app_overrides(**params)


def test_unknown_choice_is_refused():
    with pytest.raises(ValueError, match="routing='hub' is unknown"):
        app_overrides(routing="hub")


def test_step_and_redraw_are_fast_at_the_default_size():
    """One step plus both pictures, at ~250 agents, well under half a second of CPU."""
    from sim.viz.drawing import MetricsPlot, NetworkPlot
    from sim.viz.render import FrameRenderer

    model = AppModel(**DEFAULTS)
    assert model.n_nodes == 250
    network = FrameRenderer(NetworkPlot(model))
    metrics = FrameRenderer(MetricsPlot(horizon=model.cfg.steps))

    def frame():
        model.step()
        network.plot.update(model)
        metrics.plot.update(model.metrics_frame())
        return network.png(), metrics.png()

    frame()  # the first frame draws the static background
    cpu = []
    for _ in range(5):
        start = time.process_time()
        frame()
        cpu.append(time.process_time() - start)
    assert np.median(cpu) < 0.5, cpu


def test_large_organizations_are_sampled_and_say_so():
    params = {**SMALL, "size": 1800, "stakeholders": 100}
    model = solara.reactive(AppModel(**params))

    @solara.component
    def Shell():
        with solara.AppLayout():
            AgoraApp(model, with_values(**params))

    _, rc = solara.render(Shell(), handle_error=False)
    alert = rc.find(v.Alert).widget
    text = " ".join(str(c) for c in alert.children)
    assert "1900 people and stakeholders" in text and "sample" in text
    start = time.perf_counter()
    button(rc, "Step").click()
    assert model.value.steps == 1
    assert time.perf_counter() - start < 5  # generous: shared CI machines
