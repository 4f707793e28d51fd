"""In-process tests of the teaching app: its controls, the pair of models, exports, what-if,
guided experiments, and the page rendered with ``solara.render`` (no browser).

Buttons are clicked and controls moved through their ipyvuetify widgets, as the browser does.
"""

from __future__ import annotations

import io
import json
import warnings

import ipyvuetify as v
import ipywidgets
import pandas as pd
import pytest
import solara
from PIL import Image

from sim import simulate
from sim.config import AgoraConfig, ConfigError, load_config, to_config
from sim.config.regimes import ENDS, PRACTICES
from sim.lab.charts import Chart, LiveText, PageVisibility, colour_index, network_patch
from sim.lab.controls import (
    CONTROLS,
    DEFAULTS,
    PRACTICE_CONTROLS,
    app_overrides,
    changed_practices,
    complete,
    with_preset,
)
from sim.lab.lessons import EXPERIMENTS, PREDICTIONS, outcome
from sim.lab.pair import APP_METRICS, AppModel, Pair
from sim.lab.views import AgoraLab, LabState
from sim.lab.whatif import CHANGEABLE, WhatIfRequest, plan_of, run_request
from sim.viz.drawing import FONT_PT, KIND_COLORS, node_values

SMALL = {"size": 40, "stakeholders": 8, "steps": 30}
JARGON = ("Play Interval", "Render Interval", "Use Threads", "(ms)", "interval")


# --------------------------------------------------------------------------- controls


def test_a_control_per_practice_and_none_for_removed_keys():
    keys = {c.key for c in PRACTICE_CONTROLS}
    for practice in PRACTICES:
        assert f"regime.{practice}" in keys
    assert {"population.voice", "population.reply", "openness.voice"} <= keys
    for removed in ("listen_to", "reply_rate", "voice_rate"):
        assert not any(removed in c.key or removed in c.name for c in CONTROLS.values())
        assert not any(removed in o for o in app_overrides())


@pytest.mark.parametrize("end", ["broadcast", "conversational"])
def test_presets_are_the_regime_ends(end):
    settings = with_preset(DEFAULTS, end)
    assert {k: settings[k] for k in PRACTICES} == ENDS[end]
    assert changed_practices(settings) == []
    cfg = AppModel({**settings, **SMALL}).cfg
    assert {k: getattr(cfg.regime, k) for k in PRACTICES} == ENDS[end]


def test_every_control_reaches_the_configuration():
    """Each control's value ends up at its key of the composed configuration."""
    odd = {
        "broadcast_rate": 0.35,
        "socialization": 0.15,
        "listening": 0.7,
        "upward": "voice",
        "responsiveness": 0.45,
        "voting": True,
        "voice": 0.25,
        "reply": 0.4,
        "voice_access": 0.6,
        "size": 70,
        "stakeholders": 20,
        "depth": 3,
        "routing": "chain",
        "attention": 7,
        "openness_internal": 0.9,
        "openness_external": 0.1,
        "seed": 4,
        "steps": 40,
    }
    settings = complete(regime="broadcast", **odd)
    assert sorted(changed_practices(settings)) == sorted(
        ["broadcast_rate", "socialization", "listening", "upward", "responsiveness", "voting"]
    )
    cfg = to_config(load_config(app_overrides(settings)))
    for name, value in odd.items():
        key = CONTROLS[name].key
        if key == "hierarchy":
            key = "hierarchy.routing"
        node = cfg
        for part in key.split("."):
            node = getattr(node, part)
        assert node == value, (name, key, node)
    # Routing "chain" brings the chain option's relay and distortion (conf/hierarchy/chain.yaml).
    chain = to_config(load_config(["hierarchy=chain"])).hierarchy
    assert (cfg.hierarchy.relay, cfg.hierarchy.distortion) == (chain.relay, chain.distortion)
    assert (chain.relay, chain.distortion) != (
        AgoraConfig().hierarchy.relay,
        AgoraConfig().hierarchy.distortion,
    )


def test_bad_settings_are_refused_naming_them():
    with pytest.raises(ValueError, match=r"unknown control\(s\) \['colour'\]"):
        app_overrides(colour="red")
    with pytest.raises(ValueError, match="upward='observe' is unknown"):
        app_overrides(upward="observe")


def test_app_model_is_the_run_py_model():
    """Each side runs replicate 0 of the job that `agora run` runs with its overrides."""
    model = AppModel(regime="broadcast", size=30, stakeholders=5, steps=6)
    model.run()
    assert not model.running and model.current_step == 6
    result = simulate(load_config(model.overrides))
    expected = result.metrics.drop(columns=["replicate", "seed"]).reset_index(drop=True)
    assert expected.equals(model.metrics_frame()[list(expected.columns)])


# --------------------------------------------------------------------------- the pair


def small_pair(a=None, b=None, **kw) -> Pair:
    a = {"regime": "broadcast", **SMALL, **(a or {})}
    b = {"regime": "conversational", **SMALL, **(b or {})}
    return Pair(a, b, **kw)


def test_both_step_together_on_the_same_seed():
    same = small_pair({"regime": "conversational"})
    same.step(5)
    a, b = (m.metrics_frame() for m in same.models)
    assert a.equals(b)  # same settings, same seed: the same run
    pair = small_pair()
    pair.step(5)
    assert [m.current_step for m in pair.models] == [5, 5]
    assert pair.models[0].seed == pair.models[1].seed
    a, b = (m.metrics_frame() for m in pair.models)
    assert not a["engagement"].equals(b["engagement"])
    pair.step(100)  # stops at the run length
    assert pair.current_step == SMALL["steps"] and not pair.running


def test_exports_are_valid_files():
    pair = small_pair(keep=5)
    for _ in range(7):
        pair.step()
    table = pd.read_csv(io.StringIO(pair.csv()))
    assert len(table) == 2 * 8
    assert table.groupby("organization")["step"].apply(list).to_dict() == {
        "A": list(range(8)),
        "B": list(range(8)),
    }
    assert set(table["regime"]) == {"broadcast", "conversational"}
    assert set(APP_METRICS) <= set(table.columns)
    png = Image.open(io.BytesIO(pair.png()))
    assert png.format == "PNG" and png.size == (960, 500 + 540)
    gif = Image.open(io.BytesIO(pair.gif()))
    assert gif.format == "GIF" and gif.n_frames == 5  # the last five frames
    assert gif.size == (480, 520)


def test_gif_frames_from_pixels_are_the_pngs_pictures():
    """The GIF's frames come straight from the renderers' pixels: the same picture as from
    the PNGs they used to be encoded to (PNG is lossless)."""
    from sim.viz.export import gif_of
    from sim.viz.render import encode_png

    pair = small_pair(keep=3)
    pair.step(3)
    tables = [m.metrics_frame() for m in pair.models]
    pixels = [pair._draw(frames, tables, encode=False) for frames in pair.frames]
    pngs = [tuple(encode_png(a) for a in frame) for frame in pixels]
    assert gif_of(pixels, shrink=2) == gif_of(pngs, shrink=2)
    assert pair.gif() == gif_of(pixels, shrink=2)


def test_a_sessions_models_are_freed_with_it():
    """A lab's organizations leave memory with the lab, after any number of Resets (mesa 3.3
    kept every model it made in ``Agent._ids``: a class's server grew without end)."""
    import gc
    import weakref

    from sim.lab.pair import MODELS

    gc.collect()
    before = len(MODELS)
    state = LabState({**SMALL, "regime": "broadcast"}, {**SMALL, "regime": "conversational"})
    state.step()
    first = [weakref.ref(m) for m in state.pair.value.models]
    state.reset()
    state.step()
    assert len(MODELS) >= before + 2
    gc.collect()
    assert all(ref() is None for ref in first)  # the pair before the Reset is gone
    del state
    gc.collect()
    assert len(MODELS) == before


def test_colours_follow_the_regime_palette():
    from sim.viz.plots import REGIME_COLOURS

    pair = small_pair()
    assert [s.colour for s in pair.series] == [
        REGIME_COLOURS["broadcast"],
        REGIME_COLOURS["conversational"],
    ]
    twins = small_pair({"regime": "hybrid"}, {"regime": "hybrid", "mix": 0.8})
    assert [(s.colour, s.style) for s in twins.series] == [
        (REGIME_COLOURS["hybrid"], "-"),
        (REGIME_COLOURS["hybrid"], "--"),
    ]


def test_every_label_is_legible_at_1280_by_720():
    """At 100 dpi the pictures are 960 px wide, shown at about that width beside a 330 px
    sidebar; every text is at least 9 pt = 12.5 px there."""
    from matplotlib.text import Text

    pair = small_pair()
    pair.step()
    for fig in (pair.networks.figure, pair.metrics.figure):
        assert fig.dpi == 100 and fig.get_figwidth() * fig.dpi == 960
        texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
        assert texts
        small = [(t.get_text(), t.get_fontsize()) for t in texts if t.get_fontsize() < FONT_PT]
        assert not small


def test_recolouring_restarts_the_gif():
    pair = small_pair()
    pair.step(2)
    before = pair.network_png
    pair.set_color_by("kind")
    assert pair.network_png != before and len(pair.frames) == 1
    with pytest.raises(ValueError, match="color_by='colour' is unknown"):
        pair.set_color_by("colour")


# --------------------------------------------------------------------------- lessons


def test_outcome_is_computed_from_the_runs():
    pair = small_pair()
    pair.step(SMALL["steps"])
    frames = [m.metrics_frame() for m in pair.models]
    for experiment in EXPERIMENTS:
        got = outcome(experiment, frames)
        last = SMALL["steps"]
        first = last - round(last / 3) + 1  # the last third after step 0: 201-300 of 300
        naive = [float(f.loc[f["step"] >= first, experiment.metric].mean()) for f in frames]
        assert got.values == pytest.approx(naive) and got.window == (first, last)
        expected = "same" if abs(naive[0] - naive[1]) < 0.02 else "AB"[naive[1] > naive[0]]
        assert got.winner == expected
        assert sum(got.matches(p) for p in PREDICTIONS) == 1
        assert f"{naive[0]:.2f} in A and {naive[1]:.2f} in B" in got.sentence()


def test_a_guided_run_is_both_settings_on_the_lab_seed():
    from dataclasses import replace

    from sim.lab.views import run_experiment

    experiment = replace(
        EXPERIMENTS[1],
        steps=12,
        a={**EXPERIMENTS[1].a, "size": 30},
        b={**EXPERIMENTS[1].b, "size": 30},
    )
    pair, verdict = run_experiment(experiment, {"seed": 3, "steps": 200})
    assert [m.current_step for m in pair.models] == [12, 12]
    assert [m.cfg.seed for m in pair.models] == [3, 3]
    assert [m.cfg.regime.responsiveness for m in pair.models] == [0.0, 0.6]
    assert verdict == outcome(experiment, [m.metrics_frame() for m in pair.models])


def test_guided_experiments_use_existing_settings():
    for experiment in EXPERIMENTS:
        for side in (experiment.a, experiment.b):
            complete(side)  # every name is a control and every choice allowed
        assert experiment.metric in APP_METRICS


# --------------------------------------------------------------------------- what if


def test_practice_whatif_arms_agree_until_the_change():
    request = WhatIfRequest(
        "default", practice="responsiveness", value=0.9, at=4, steps=8, replicates=2, size=30
    )
    result = run_request(request, workers=1)
    assert result.n == 2 and result.plan.at == 4
    for metric, diff in result.differences.items():
        before = diff[diff["step"] < 4]
        # Same seeds: the same organization until step 4 (NaN where a measure is undefined,
        # as adaptation_lag is until a flipped dimension has been re-learned).
        assert (before["diff"].dropna() == 0).all(), metric
    engagement = result.differences["engagement"]
    assert engagement.loc[engagement["step"] < 4, "diff"].notna().sum() >= 3
    assert set(result.table["metric"]) >= set(result.differences)
    assert "responsiveness = 0.90 at step 4" in result.title


def test_named_intervention_whatif_is_planned_by_the_library():
    plan = plan_of(
        WhatIfRequest("default", intervention="open_channels", at=5, steps=10, replicates=2)
    )
    assert plan.at == 5 and plan.intervention.name == "open_channels"
    assert plan.arms["intervention"].interventions[0].set == {"openness.internal": 0.9}


@pytest.mark.parametrize(
    ("request_", "error", "match"),
    [
        (
            WhatIfRequest("default", practice="responsiveness", value=0.5, at=50, steps=40),
            ConfigError,
            "step 50 but the run has 40 steps",
        ),
        (
            WhatIfRequest("default", practice="listen_to", value=0.5),
            ValueError,
            "practice='listen_to' is unknown",
        ),
        (WhatIfRequest("default"), ValueError, "either an intervention or a practice"),
        (
            WhatIfRequest("default", practice="upward", value="observe"),
            ConfigError,
            "regime.upward='observe' is not allowed",
        ),
    ],
)
def test_bad_whatif_choices_fail_before_running(request_, error, match):
    with pytest.raises(error, match=match):
        plan_of(request_)
    assert "listen_to" not in CHANGEABLE


# --------------------------------------------------------------------------- the page


def render(state: LabState):
    @solara.component
    def Shell():
        AgoraLab(state)

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*could not get source code")
        _, rc = solara.render(Shell(), handle_error=False)
    return rc


@pytest.fixture
def app():
    state = LabState({"regime": "broadcast", **SMALL}, {"regime": "conversational", **SMALL})
    return state, render(state)


def button(rc, label):
    return rc.find(v.Btn, children=[label]).widget


def counter(rc) -> str:
    return rc.find(LiveText, css_class="agora-status agora-step-count").widget.text


def charts(rc):
    """The networks and the metrics pictures of the side by side."""
    return (
        rc.find(Chart, css_class="agora-networks").widget,
        rc.find(Chart, css_class="agora-metrics").widget,
    )


def text_of(rc) -> str:
    """Every label and text on the page, for the jargon check."""
    parts = []
    for widget in rc.find(v.VuetifyWidget).widgets:
        for attr in ("label", "children"):
            value = getattr(widget, attr, None)
            if isinstance(value, str):
                parts.append(value)
            elif isinstance(value, list):
                parts += [c for c in value if isinstance(c, str)]
    return " ".join(parts)


def test_page_shows_both_organizations_and_plain_controls(app):
    state, rc = app
    page = text_of(rc)
    for word in JARGON:
        assert word not in page
    sliders = {w.label for w in rc.find(v.Slider).widgets}
    # Every slider shows its value in its label.
    assert all(":" in label and label.split(":")[1].strip() for label in sliders)
    assert "Ideas answered: 0.00" in sliders and "Ideas answered: 0.60" in sliders
    assert counter(rc) == "Step 0 of 30"
    # Nothing is drawn on the server: the pictures are data for the browser.
    assert not rc.find(ipywidgets.Image).widgets
    networks, metrics = charts(rc)
    option = json.loads(networks.option)
    pair = state.pair.value
    for letter, data in zip("AB", pair.data, strict=True):
        graph = option["graphs"][letter]
        assert len(graph["x"]) == len(graph["y"]) == data.points.shape[0]
        assert len(graph["colour"]) == data.nodes.size
        assert graph["label"] == pair.titles["AB".index(letter)]
    panels = json.loads(metrics.option)["echarts"]
    assert len(panels["grid"]) == len(APP_METRICS) and len(panels["series"]) == 2 * 9


def test_step_moves_both_models_and_the_pictures(app):
    state, rc = app
    networks, metrics = charts(rc)
    options = (networks.option, metrics.option)
    button(rc, "Step").click()
    button(rc, "Step").click()
    pair = state.pair.value
    assert [m.current_step for m in pair.models] == [2, 2]
    assert counter(rc) == "Step 2 of 30"
    # A step sends a patch (what changed), never the whole picture again.
    assert (networks.option, metrics.option) == options
    net = json.loads(networks.patch)
    assert net["step"] == 2 and net["base"] == json.loads(options[0])["id"]
    for letter, frame in zip("AB", pair.current_frames(), strict=True):
        assert net["graphs"][letter]["colour"] == colour_index(frame.values, pair.color_by)
        assert len(net["graphs"][letter]["messages"]) == 3 * frame.ends.shape[0]
    curves = json.loads(metrics.patch)
    # The points since the last patch only: step 2, from index 2 of each curve.
    start, points = curves["append"]["engagement-0"]
    table = pair.models[0].metrics_frame()
    assert start == 2 and points == [[2, pytest.approx(table["engagement"].iloc[2], abs=1e-4)]]
    assert len(network_patch(pair, 0)["graphs"]["A"]["colour"]) < len(networks.option) / 10


def test_a_step_costs_the_server_little_and_renders_nothing(app):
    """A step updates the pictures and the counter directly: no component of the page
    renders again (the page's framework walks every control when one does)."""
    state, rc = app
    renders = []
    original = LabState.step

    def counted():
        rc.render_count_before = rc.render_count
        original(state)
        renders.append(rc.render_count - rc.render_count_before)

    state.step = counted
    for _ in range(3):
        state.step()
    assert renders == [0, 0, 0] and counter(rc) == "Step 3 of 30"


def test_play_pauses_when_the_tab_is_hidden(app):
    state, rc = app
    state.playing.value = True
    rc.find(PageVisibility).widget.vue_hidden()
    assert state.playing.value is False


def test_presets_wait_for_reset_then_rebuild_with_the_same_seed(app):
    state, rc = app
    first = state.pair.value
    button(rc, "Step").click()
    # B starts from the broadcast end too: pending until Reset.
    rc.find(v.Btn, children=["Broadcast end"]).widgets[1].click()
    assert state.pending and state.pair.value is first
    rc.find(v.Html, class_="agora-help agora-pending").assert_single()
    slider = rc.find(v.Slider, class_="agora-control agora-B-responsiveness").widget
    assert slider.label == "Ideas answered: 0.00"
    slider.v_model = 0.6
    assert slider.label == "Ideas answered: 0.60"
    button(rc, "Reset").click()
    pair = state.pair.value
    assert pair is not first and not state.pending and pair.current_step == 0
    cfg_b = pair.models[1].cfg.regime
    assert (cfg_b.name, cfg_b.broadcast_rate, cfg_b.upward, cfg_b.responsiveness) == (
        "broadcast",
        1.0,
        "chain",
        0.6,
    )
    assert pair.titles[1] == "B: broadcast, 1 practice changed"
    assert pair.models[0].seed == pair.models[1].seed == first.models[0].seed


def test_colouring_choice_redraws_the_networks(app):
    state, rc = app
    before = json.loads(charts(rc)[0].option)
    rc.find(v.Select, label="Colour the dots by").widget.v_model = "kind"
    assert state.pair.value.color_by == "kind"
    after = json.loads(charts(rc)[0].option)
    assert after["palette"] == list(KIND_COLORS) and after["id"] != before["id"]
    # Same positions: only the colours changed.
    assert after["graphs"]["A"]["x"] == before["graphs"]["A"]["x"]
    kinds = node_values(state.pair.value.models[0], "kind")
    assert after["graphs"]["A"]["colour"] == kinds.tolist()


def test_whatif_tab_offers_interventions_and_practices(app):
    state, rc = app
    state.tab.value = 2
    scenario = rc.find(v.Select, label="Scenario").widget
    assert "default" in scenario.items and "march1991" not in scenario.items
    names = rc.find(v.Select, label="Intervention").widget.items
    assert {"back_to_broadcast", "open_channels", "voting_platform"} <= set(names)
    # The toggle's second button, as the browser sets it.
    rc.find(v.BtnToggle, class_="agora-whatif-kind").widget.v_model = 1
    practice = rc.find(v.Select, label="Practice").widget
    assert practice.items == list(CHANGEABLE)
    rc.find(v.Slider, label="Ideas answered: 0.60").assert_single()
    practice.v_model = "voting"
    rc.find(v.Switch, label="Colleagues vote on ideas: on").assert_single()
    # The default scenario already votes: nothing would differ, and the tab says so.
    button(rc, "Run the what-if").click()
    alert = rc.find(v.Alert).widget
    assert "already has regime.voting = True" in " ".join(map(str, alert.children))
    # The change step follows the run length: it stays inside the run.
    rc.find(v.Slider, class_="agora-control agora-whatif-steps").widget.v_model = 40
    assert rc.find(v.Slider, class_="agora-control agora-whatif-at").widget.v_model == 20


def test_halfway_preset_brings_the_mix_and_its_practices(app):
    state, rc = app
    rc.find(v.Btn, children=["Halfway"]).widgets[0].click()
    mix = rc.find(v.Slider, class_="agora-control agora-A-mix").widget
    assert mix.label == "Hybrid mix: 0.50"
    mix.v_model = 0.25
    a = state.settings.value[0]
    assert (a["regime"], a["mix"], a["broadcast_rate"], a["upward"]) == (
        "hybrid",
        0.25,
        0.8,
        "chain",
    )
    assert rc.find(v.Slider, class_="agora-control agora-A-broadcast_rate").widget.label == (
        "Broadcasts: 0.80"
    )
    button(rc, "Reset")  # still there, and Reset applies it
    button(rc, "Reset").click()
    assert state.pair.value.models[0].cfg.regime.mix == 0.25
    assert state.pair.value.titles[0] == "A: hybrid 0.25"


def test_a_guided_experiment_opens_in_side_by_side(app):
    state, rc = app
    state.tab.value = 1
    rc.find(v.Btn, children=["Run it"]).assert_single()
    assert rc.find(v.Btn, children=["Run it"]).widget.disabled  # predict first
    button(rc, "Watch it step by step in Side by side").click()
    assert state.tab.value == 0
    pair = state.pair.value
    first = EXPERIMENTS[0]
    assert [m.cfg.regime.name for m in pair.models] == [first.a["regime"], first.b["regime"]]
    assert pair.steps == first.steps and pair.current_step == 0 and not state.pending


# --------------------------------------------------------------------------- a class


def test_the_server_bounds_what_a_browser_sends(app):
    """Whatever a browser sends, the server holds it to the sliders' limits (issue 25, 8)."""
    from sim.lab.whatif import LIMITS, bounded_request

    state, rc = app
    state.set_side(
        0,
        {
            **state.settings.value[0],
            "size": 10**6,
            "stakeholders": -4,
            "attention": 10**9,
            "voice": 7.0,
        },
    )
    a = state.settings.value[0]
    assert (a["size"], a["stakeholders"], a["attention"], a["voice"]) == (1000, 0, 30, 1.0)
    state.set_run("steps", 100_000)
    state.set_run("seed", -5)
    assert state.run.value == {"seed": 0, "steps": 600}
    with pytest.raises(ValueError, match="size=nan is not a number"):
        state.set_side(0, {**a, "size": float("nan")})
    huge = bounded_request(
        WhatIfRequest(
            "default", intervention="back_to_broadcast", at=10**6, steps=10**5, replicates=20_000
        )
    )
    assert (huge.steps, huge.at, huge.replicates) == (600, 590, 30)
    # The what-if tab's sliders show the same limits.
    state.tab.value = 2
    for name in ("steps", "replicates"):
        slider = rc.find(v.Slider, class_=f"agora-control agora-whatif-{name}").widget
        assert (slider.min, slider.max) == LIMITS[name][:2]


def test_a_pair_beyond_the_memory_limit_is_refused_and_said(app):
    state, rc = app
    from sim.lab import pair as pair_module

    first = state.pair.value
    original = pair_module.check_pair_memory

    def refuse(cfgs):
        raise ConfigError(
            "these two organizations need 9 GB together, more than "
            "limits.memory_gb=1: make them smaller"
        )

    pair_module.check_pair_memory = refuse
    try:
        button(rc, "Reset").click()
    finally:
        pair_module.check_pair_memory = original
    assert state.pair.value is first  # the run on screen stays
    alert = rc.find(v.Alert).widget
    assert "limits.memory_gb=1" in " ".join(map(str, alert.children))


def test_a_full_server_shows_a_page_saying_so(monkeypatch):
    import sim.app
    from sim.lab.sessions import Sessions

    full = Sessions(limit=1, out=None)
    assert full.admit()
    monkeypatch.setattr(sim.app, "SESSIONS", full)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*could not get source code")
        _, rc = solara.render(sim.app.Page(), handle_error=False)
    from solara.widgets import HTML

    shown = " ".join(w.unsafe_innerHTML for w in rc.find(HTML).widgets)
    assert "The lab is full" in shown and "Try again in a minute" in shown
    assert not rc.find(v.Btn, children=["Step"]).widgets
    assert full.open == 1 and full.refused == 1


def test_the_console_says_one_whole_line_at_a_time():
    """Students join and leave on the server's threads while the memory is reported: every
    console line is one whole message (a log reader splits on them). The console here
    yields to the other threads between writes, as a busy server's does."""
    import threading
    import time

    from sim.lab.sessions import Sessions

    class Console(io.StringIO):
        def write(self, text: str) -> int:
            time.sleep(0)  # let another thread in between the text and its newline
            return super().write(text)

    console = Console()
    sessions = Sessions(limit=1000, out=console)

    def busy() -> None:
        for _ in range(50):
            sessions.admit()
            sessions.report_memory()
            sessions.leave()

    threads = [threading.Thread(target=busy) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = console.getvalue().splitlines()
    assert len(lines) == 4 * 50 * 3
    assert all(line.startswith("agora app: ") and line.count("agora app:") == 1 for line in lines)


def test_agora_app_max_sessions(capsys):
    from sim.cli.app import main
    from sim.lab.sessions import default_max_sessions, limit_from_env

    with pytest.raises(SystemExit):
        main(["--max-sessions", "0", "--dry-run"])
    assert "a whole number of at least 1" in capsys.readouterr().err
    assert main(["--max-sessions", "40", "--dry-run"]) == 0
    assert limit_from_env({}) == default_max_sessions() >= 1
