"""The layout and drawing functions shared by the app and the animation writer."""

from __future__ import annotations

import io

import numpy as np
import pytest

from sim.model import AgoraModel
from sim.viz.drawing import KIND_NAMES, MetricsPlot, NetworkPlot, node_values
from sim.viz.layout import layout_of, radial_layout, sample_nodes
from sim.viz.render import FrameRenderer


def small(**cfg) -> AgoraModel:
    base = {
        "org": {"size": 85},
        "hierarchy": {"depth": 4, "span": 4},
        "stakeholders": {"count": 12},
    }
    for key, value in cfg.items():
        base[key] = {**base.get(key, {}), **value}
    return AgoraModel(base, seed=5)


def clockwise(angle):
    return np.mod(angle, 2 * np.pi)


@pytest.mark.parametrize("depth", [2, 3, 4, 6])
def test_rings_follow_levels_and_units_are_sectors(depth):
    model = small(hierarchy={"depth": depth, "span": None})
    lay = layout_of(model)
    tree, n = model.network.tree, model.n_individuals
    radius = np.hypot(*(lay.pos - lay.hub[lay.org]).T)
    # Deeper levels sit on wider rings; stakeholders outside every member.
    for lv in range(1, depth):
        assert np.allclose(radius[:n][tree.level == lv], lv * lay.step)
    assert radius[:n][tree.level == 0].max() < radius[:n][tree.level == 1].min()
    assert np.allclose(radius[n:], 1.0) and radius[:n].max() < 1.0
    if depth >= 3:
        # Every member of a unit lies inside that unit's sector, and sectors tile the circle.
        sec = lay.sectors
        assert sec.shape[0] == tree.n_units
        width = sec[:, 2] - sec[:, 1]
        assert width.sum() == pytest.approx(2 * np.pi)
        a = clockwise(lay.angle[:n])
        members = tree.unit >= 0
        u = tree.unit[members]
        assert np.all((a[members] >= sec[u, 1] - 1e-9) & (a[members] <= sec[u, 2] + 1e-9))


def test_managers_sit_among_their_reports():
    model = small()
    lay = layout_of(model)
    tree = model.network.tree
    a = lay.angle[: model.n_individuals]
    rows = np.flatnonzero(tree.level >= 2)
    for m in np.unique(tree.manager[rows]):
        kids = a[tree.manager == m]
        assert kids.min() - 1e-9 <= a[m] <= kids.max() + 1e-9


def test_stakeholders_sit_near_their_contacts():
    model = small(openness={"external": 1.0})
    lay = layout_of(model)
    n = model.n_individuals
    ext = model.network.edges[model.network.edge_type == 3]
    contact = lay.pos[ext[:, 0]]
    own = lay.pos[ext[:, 1]]
    other = lay.pos[n + np.roll(ext[:, 1] - n, 6) % model.n_stakeholders]
    # On average a stakeholder is closer to its own contacts than a shifted one is.
    d_own = np.hypot(*(own - contact).T).mean()
    d_other = np.hypot(*(other - contact).T).mean()
    assert d_own < d_other


def test_layout_draws_no_random_numbers_and_is_repeatable():
    model = small()
    before = model.rng.bit_generator.state
    a, b = layout_of(model), layout_of(model)
    assert model.rng.bit_generator.state == before
    assert np.array_equal(a.pos, b.pos)


def test_several_organizations_do_not_overlap():
    model = AgoraModel({"org": {"count": 3, "size": 40}, "stakeholders": {"count": 6}}, seed=1)
    lay = radial_layout(model.network, model.initial_stakeholder_org, 3)
    for o in range(3):
        mine = lay.pos[lay.org == o]
        assert np.hypot(*(mine - lay.hub[o]).T).max() <= 1.0 + 1e-9
    gaps = np.hypot(*(lay.hub[:, None] - lay.hub[None]).T)
    assert gaps[~np.eye(3, dtype=bool)].min() > 2.0


def test_sample_keeps_every_ring_evenly():
    model = AgoraModel({"org": {"size": 1900}, "stakeholders": {"count": 300}}, seed=0)
    lay = layout_of(model)
    keep = sample_nodes(lay, 1500)
    assert 1400 <= keep.size <= 1600
    assert np.array_equal(keep, np.unique(keep))
    rings, counts = np.unique(lay.ring, return_counts=True)
    kept = np.bincount(lay.ring[keep], minlength=rings.size)
    small_rings = counts <= 12
    assert np.array_equal(kept[small_rings], counts[small_rings])
    share = kept[~small_rings] / counts[~small_rings]
    assert np.allclose(share, keep.size / lay.n_nodes, atol=0.03)
    plot = NetworkPlot(model, lay, max_nodes=1500)
    assert plot.sampled and plot.nodes.size == keep.size


def test_node_values():
    model = small()
    model.run(3)
    know = node_values(model, "knowledge")
    expected = (model.beliefs == model.reality).mean(1)
    assert np.allclose(know, expected)
    kinds = node_values(model, "kind")
    assert kinds.size == model.n_nodes
    assert np.bincount(kinds, minlength=4)[KIND_NAMES.index("stakeholder")] == 12
    assert kinds[0] == 0 and set(kinds[model.network.frontline]) == {2}


def test_messages_drawn_are_the_delivered_ones():
    model = small()
    model.run(2)
    plot = NetworkPlot(model)
    plot.update(model)
    d = model.delivered
    segs = plot._messages.get_segments()
    assert len(segs) == len(d) == plot.n_messages
    lay = plot.layout
    # A broadcast starts at the hub; a post joins its two people.
    first = int(np.flatnonzero(d.target >= 0)[0])
    start = lay.hub[0] if d.sender[first] < 0 else lay.pos[d.sender[first]]
    assert np.allclose(segs[first][0], start)
    assert np.allclose(segs[first][1], lay.pos[d.target[first]])


def full_draw(fig) -> np.ndarray:
    buf = io.BytesIO()
    fig.savefig(buf, format="rgba", dpi=fig.dpi)
    w, h = fig.canvas.get_width_height()
    return np.frombuffer(buf.getvalue(), np.uint8).reshape(h, w, 4)


def test_fast_redraw_matches_a_full_draw():
    model = small()
    net, metrics = NetworkPlot(model, color_by="trust"), MetricsPlot(horizon=6)
    fast_net, fast_metrics = FrameRenderer(net), FrameRenderer(metrics)
    for _ in range(9):  # past the horizon: the time axis grows and the background is redrawn
        model.step()
        net.update(model)
        metrics.update(model.metrics_frame())
        a, b = fast_net.rgba(), fast_metrics.rgba()
    assert fast_net.full_draws == 1 and fast_metrics.full_draws >= 2
    for fast, fig in ((a, net.figure), (b, metrics.figure)):
        differ = np.abs(fast.astype(int) - full_draw(fig)).max(-1) > 8
        # Only z-order at a few overlapping pixels may differ.
        assert differ.mean() < 0.005


def test_unknown_colouring_is_refused():
    with pytest.raises(ValueError, match="color_by='colour' is unknown"):
        NetworkPlot(small(), color_by="colour")


# --------------------------------------------------------------------------- report plots


def _tick_overlaps(fig) -> list[str]:
    """Pairs of visible tick labels (any axis of ``fig``) whose boxes overlap."""
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    found = []
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            labels = [
                t
                for t, v in zip(axis.get_ticklabels(), axis.get_ticklocs(), strict=False)
                if t.get_visible() and t.get_text() and low <= v <= high
            ]
            boxes = [t.get_window_extent(renderer) for t in labels]
            for i, a in enumerate(boxes):
                for j in range(i + 1, len(boxes)):
                    if a.overlaps(boxes[j]):
                        found.append(f"{labels[i].get_text()!r} / {labels[j].get_text()!r}")
    return found


@pytest.fixture
def drawn(monkeypatch):
    """Every figure the report plots save, captured (and still written)."""
    import sim.scenarios.report as report
    import sim.viz.effects as effects
    import sim.viz.plots as plots

    figures = []
    save = plots.save_figure

    def capture(fig, path, **kw):
        figures.append(fig)
        return save(fig, path, **kw)

    for module in (plots, report, effects):
        monkeypatch.setattr(module, "save_figure", capture)
    return figures


def _crowded_tables():
    """Tables whose values crowd the ticks: close decimals with many digits (0.5325 ...)."""
    import pandas as pd

    steps = np.arange(0, 301)
    bands = []
    for cond, base in (("regime=broadcast", 0.5325), ("regime=conversational", 0.5375)):
        for metric in ("engagement", "messages_sent", "knowledge_code"):
            mean = base + 0.001 * np.sin(steps / 7) + (200 if metric == "messages_sent" else 0)
            bands.append(
                pd.DataFrame(
                    {
                        "condition": cond,
                        "step": steps,
                        "metric": metric,
                        "mean": mean,
                        "ci_low": mean - 0.0012,
                        "ci_high": mean + 0.0012,
                    }
                )
            )
    bands = pd.concat(bands, ignore_index=True)
    rows = []
    for metric in ("engagement", "messages_sent", "knowledge_code"):
        shift = 200 if metric == "messages_sent" else 0
        rows.append(
            {
                "metric": metric,
                "diff": 0.005,
                "diff_ci_low": 0.0035,
                "diff_ci_high": 0.0065,
                "baseline_mean": 0.5325 + shift,
                "baseline_ci_low": 0.5315 + shift,
                "baseline_ci_high": 0.5335 + shift,
                "intervention_mean": 0.5375 + shift,
                "intervention_ci_low": 0.5365 + shift,
                "intervention_ci_high": 0.5385 + shift,
            }
        )
    return bands, pd.DataFrame(rows)


def test_no_tick_labels_collide_in_any_report_plot(drawn, tmp_path):
    import pandas as pd

    from sim.scenarios.report import plot_arms_over_time, plot_end_values
    from sim.viz import effects as fx
    from sim.viz import plots

    bands, table = _crowded_tables()
    metrics = ["engagement", "messages_sent", "knowledge_code"]
    plots.plot_over_time(bands, metrics, tmp_path / "a.png")
    summary = bands[bands["step"] == 300].drop(columns="step")
    plots.plot_final_values(summary, metrics, tmp_path / "b.png")
    arms = bands.replace({"regime=broadcast": "baseline", "regime=conversational": "intervention"})
    plot_arms_over_time(arms, metrics, 100, tmp_path / "c.png", "t")
    # twelve panels of four columns: the narrow axes where "0.53250.53500.5375" was seen;
    # ends near 12.3456 that differ by 0.005 ask for ticks 12.3450, 12.3475, 12.3500 ...
    end = {
        "diff": 0.005,
        "diff_ci_low": 0.0025,
        "diff_ci_high": 0.0075,
        "baseline_mean": 12.3456,
        "baseline_ci_low": 12.3431,
        "baseline_ci_high": 12.3481,
        "intervention_mean": 12.3506,
        "intervention_ci_low": 12.3481,
        "intervention_ci_high": 12.3531,
    }
    many = pd.DataFrame(
        [
            {"metric": m, **end}
            for m in (
                "engagement",
                "trust",
                "reach",
                "active_share",
                "overload",
                "filtered",
                "diversity",
                "gini_access",
                "gini_knowledge",
                "voice_answered",
                "cocreation",
                "messages_sent",
            )
        ]
    )
    plot_end_values(many, tmp_path / "d.png", "t")
    sobol = pd.DataFrame(
        {
            "parameter": ["a", "b", "c"],
            "S1": [0.5325, 0.2, -0.01],
            "S1_conf": [0.1, 0.1, 0.05],
            "ST": [0.6, 0.3, 0.02],
            "ST_conf": [0.1, 0.1, 0.04],
            "noise_share": 0.05,
        }
    )
    plots.plot_sobol_indices(sobol, tmp_path / "e.png")
    morris = pd.DataFrame(
        {
            "parameter": ["a", "b"],
            "mu": [0.53251, 0.0012],
            "mu_star": [0.53251, 0.0012],
            "mu_star_conf": [0.01, 0.001],
            "sigma": [0.1, 0.002],
        }
    )
    plots.plot_morris(morris, tmp_path / "f.png")
    effects = pd.DataFrame(
        {
            "lever": ["broadcast_rate", "voting"] * 3,
            "metric": np.repeat(metrics, 2),
            "effect": 0.5325,
            "ci_low": 0.5315,
            "ci_high": 0.5335,
        }
    )
    fx.plot_effects(effects, metrics, tmp_path / "g.png")
    regimes = bands.rename(columns={"condition": "regime"}).replace(
        {"regime=broadcast": "broadcast", "regime=conversational": "conversational"}
    )
    order = ["broadcast", "conversational"]
    fx.plot_regimes_over_time(regimes, metrics, tmp_path / "h.png", order=order)
    fx.plot_regime_windows(
        regimes[regimes["step"] == 300], metrics, tmp_path / "i.png", order=order
    )
    assert len(drawn) == 9
    for k, fig in enumerate(drawn):
        assert _tick_overlaps(fig) == [], f"figure {k}"


def test_axes_start_at_the_origin_or_say_they_are_cut(drawn, tmp_path):
    import pandas as pd

    from sim.viz import plots

    steps = np.arange(0, 50)
    bands = pd.concat(
        [
            pd.DataFrame(
                {
                    "condition": "a",
                    "step": steps,
                    "metric": "engagement",
                    "mean": 0.88 + 0.002 * np.sin(steps),
                    "ci_low": 0.875,
                    "ci_high": 0.89,
                }
            ),
            pd.DataFrame(
                {
                    "condition": "a",
                    "step": steps,
                    "metric": "trust",
                    "mean": 0.3 + 0.4 * steps / 49,
                    "ci_low": 0.28,
                    "ci_high": 0.72,
                }
            ),
        ]
    )
    plots.plot_over_time(bands, ["engagement", "trust"], tmp_path / "a.png")
    engagement, trust = drawn[0].axes[:2]
    texts = [t.get_text() for t in engagement.texts]
    assert engagement.get_ylim()[0] > 0.8 and "axis cut" in texts  # cut, and says so
    assert trust.get_ylim()[0] == 0 and not trust.texts  # the origin is shown


def test_no_tick_labels_collide_in_discovers_plots(drawn, tmp_path):
    """The three plots of ``agora discover`` (the effect map, PRIM's trade-off, the box), on
    crowded axes: a map over two narrow ranges whose ticks would read 0.53250.53300.5335."""
    import pandas as pd

    from sim.viz import plots

    edges = np.linspace(0.5325, 0.5375, 9)
    cells = pd.DataFrame(
        [
            {
                "x_lo": a,
                "x_hi": b,
                "y_lo": c,
                "y_hi": d,
                "mean": 0.01 * i,
                "ci_low": 0.01 * i - 0.02,
                "ci_high": 0.01 * i + 0.02,
                "n": 3,
            }
            for i, (a, b) in enumerate(zip(edges[:-1], edges[1:], strict=True))
            for c, d in zip(edges[:-1] * 100, edges[1:] * 100, strict=True)
        ]
    )
    plots.plot_effect_map(cells, "regime.mix", "org.size", tmp_path / "map.png", title="t")
    trajectory = pd.DataFrame(
        {
            "coverage": np.linspace(1, 0.10, 30),
            "density": np.linspace(0.3, 0.95, 30),
            "res dim": np.repeat([1, 2, 3], 10),
        }
    )
    plots.plot_prim_tradeoff(trajectory, 12, tmp_path / "tradeoff.png", title="t")
    limits = pd.DataFrame(
        {
            "parameter": ["regime.mix", "org.size"],
            "min": [0.5330, 53.3],
            "max": [0.5370, 53.7],
            "qp": [0.01, 0.2],
        }
    )
    plots.plot_prim_box(
        limits,
        {"regime.mix": (0.5325, 0.5375), "org.size": (53.25, 53.75)},
        tmp_path / "box.png",
        title="t",
    )
    assert len(drawn) == 3
    for k, fig in enumerate(drawn):
        assert _tick_overlaps(fig) == [], f"figure {k}"


def _two_metrics(condition: str = "condition", names=("a", "b")):
    """Bands of engagement (narrow, near 0.88: its axis must be cut and say so) and trust
    (0.3 to 0.7: its axis must start at 0) per step, for two conditions."""
    import pandas as pd

    steps = np.arange(0, 50)
    parts = []
    for k, name in enumerate(names):
        parts += [
            pd.DataFrame(
                {
                    condition: name,
                    "step": steps,
                    "metric": "engagement",
                    "mean": 0.88 + 0.002 * np.sin(steps) + 0.001 * k,
                    "ci_low": 0.875,
                    "ci_high": 0.89,
                }
            ),
            pd.DataFrame(
                {
                    condition: name,
                    "step": steps,
                    "metric": "trust",
                    "mean": 0.3 + 0.4 * steps / 49,
                    "ci_low": 0.28,
                    "ci_high": 0.72,
                }
            ),
        ]
    return pd.concat(parts, ignore_index=True)


def _value_axes(kind: str, tmp_path):
    """Draw one report plot with engagement and trust; return (figure, axis letter)."""
    import pandas as pd

    from sim.scenarios.report import plot_arms_over_time, plot_end_values
    from sim.viz import effects as fx
    from sim.viz import plots

    path = tmp_path / f"{kind}.png"
    metrics = ["engagement", "trust"]
    if kind == "over_time":
        return plots.plot_over_time(_two_metrics(), metrics, path), "y"
    if kind in ("final_line", "final_dots"):
        end = _two_metrics()
        end = end[end["step"] == 49].drop(columns="step")
        if kind == "final_line":  # one numeric swept key: conditions on its axis
            end.insert(0, "regime.mix", end["condition"].map({"a": 0.0, "b": 1.0}))
            return plots.plot_final_values(end, metrics, path), "y"
        end.insert(0, "scenario", end["condition"])  # one label per row: a dot plot
        end["condition"] = "scenario=" + end["condition"]
        return plots.plot_final_values(end, metrics, path), "x"
    if kind == "arms":
        bands = _two_metrics(names=("baseline", "intervention"))
        return plot_arms_over_time(bands, metrics, 25, path, "t"), "y"
    if kind == "end_values":
        rows = [
            {
                "metric": "engagement",
                "baseline_mean": 0.88,
                "baseline_ci_low": 0.878,
                "baseline_ci_high": 0.882,
                "intervention_mean": 0.885,
                "intervention_ci_low": 0.883,
                "intervention_ci_high": 0.887,
                "diff": 0.005,
                "diff_ci_low": 0.003,
                "diff_ci_high": 0.007,
            },
            {
                "metric": "trust",
                "baseline_mean": 0.3,
                "baseline_ci_low": 0.28,
                "baseline_ci_high": 0.32,
                "intervention_mean": 0.7,
                "intervention_ci_low": 0.68,
                "intervention_ci_high": 0.72,
                "diff": 0.4,
                "diff_ci_low": 0.38,
                "diff_ci_high": 0.42,
            },
        ]
        return plot_end_values(pd.DataFrame(rows), path, "t"), "x"
    regimes = _two_metrics("regime", ("broadcast", "conversational"))
    order = ["broadcast", "conversational"]
    if kind == "regimes_over_time":
        return fx.plot_regimes_over_time(regimes, metrics, path, order=order), "y"
    return fx.plot_regime_windows(regimes[regimes["step"] == 49], metrics, path, order=order), "y"


@pytest.mark.parametrize(
    "kind",
    [
        "over_time",
        "final_line",
        "final_dots",
        "arms",
        "end_values",
        "regimes_over_time",
        "regime_windows",
    ],
)
def test_every_value_axis_starts_at_the_origin_or_says_it_is_cut(kind, drawn, tmp_path):
    """Table-driven over every report plot with a metric's value on an axis (issue 24: "y axes
    starting at 0.88 that make small differences look large")."""
    _, axis = _value_axes(kind, tmp_path)
    engagement, trust = [ax for ax in drawn[0].axes if ax.get_visible()][:2]
    limits = (lambda ax: ax.get_ylim()) if axis == "y" else (lambda ax: ax.get_xlim())
    assert limits(engagement)[0] > 0.8, kind
    assert "axis cut" in [t.get_text() for t in engagement.texts], kind
    assert limits(trust)[0] == 0 and "axis cut" not in [t.get_text() for t in trust.texts]


def test_effect_and_index_axes_show_their_zero(drawn, tmp_path):
    """Effects (compare), Sobol and Morris indices: zero, their natural origin, is in view."""
    import pandas as pd

    from sim.viz import effects as fx
    from sim.viz import plots

    effects = pd.DataFrame(
        {
            "lever": ["voting", "upward"],
            "metric": "engagement",
            "effect": [0.5325, 0.5330],
            "ci_low": [0.5320, 0.5327],
            "ci_high": [0.5330, 0.5333],
        }
    )
    fx.plot_effects(effects, ["engagement"], tmp_path / "e.png")
    sobol = pd.DataFrame(
        {
            "parameter": ["a", "b"],
            "S1": [0.53, 0.52],
            "S1_conf": 0.01,
            "ST": [0.55, 0.54],
            "ST_conf": 0.01,
        }
    )
    plots.plot_sobol_indices(sobol, tmp_path / "s.png")
    morris = pd.DataFrame(
        {
            "parameter": ["a", "b"],
            "mu": [0.53, 0.52],
            "mu_star": [0.53, 0.52],
            "mu_star_conf": [0.01, 0.01],
            "sigma": [0.1, 0.1],
        }
    )
    plots.plot_morris(morris, tmp_path / "m.png")
    effect_ax, sobol_ax, morris_ax = drawn[0].axes[0], drawn[1].axes[0], drawn[2].axes[0]
    assert effect_ax.get_xlim()[0] <= 0 <= effect_ax.get_xlim()[1]
    assert sobol_ax.get_ylim()[0] <= 0 and morris_ax.get_xlim()[0] <= 0
