"""The lab's pictures, drawn in the browser: the server sends data, never images.

One small widget, :class:`Chart`, draws with ECharts (the copy that ships with Solara's
assets, served by the app itself: no call out of the classroom). It takes a whole picture once,
``option``, and then per step only a ``patch`` of what changed: the colour of each dot (an index
into a palette sent once), the messages of the step, the new point of each curve and the
values shown above each panel. Positions and ties are computed once per network
(:class:`~sim.viz.drawing.NetworkData`). Building a patch is a few numpy operations and a
small JSON message, so a step costs the server little more than the models' own step.

The browser turns the compact arrays into ECharts series (``charts.vue``); a patch carries the
``id`` of the option it extends and the index its points start at, so a patch seen twice, or
one that arrives with a new option, is harmless.

Examples
--------
>>> from sim.lab.controls import DEFAULTS, with_preset
>>> from sim.lab.pair import Pair
>>> small = {**DEFAULTS, "size": 30, "stakeholders": 5, "steps": 5}
>>> pair = Pair(with_preset(small, "broadcast"), with_preset(small, "conversational"))
>>> option = network_option(pair)
>>> sorted(option["graphs"]), len(option["graphs"]["A"]["x"]) == len(pair.data[0].points)
(['A', 'B'], True)
>>> pair.step()
>>> patch = network_patch(pair, option["id"])
>>> patch["step"], patch["base"] == option["id"], len(patch["graphs"]["A"]["colour"])
(1, True, 35)
>>> metrics_patch(pair, option_id=7, start=1)["append"]["engagement-0"][0]
1
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipyvuetify
import ipywidgets
import numpy as np
import traitlets

from sim.rules.messages import KINDS
from sim.viz.drawing import (
    _CONTINUOUS,
    _COUNTS,
    _LIMITS,
    KIND_COLORS,
    KIND_NAMES,
    MESSAGE_COLORS,
    pretty_metric,
)

__all__ = [
    "Chart",
    "Live",
    "LiveText",
    "MetricsFeed",
    "NetworksFeed",
    "PageVisibility",
    "difference_option",
    "dumps",
    "legend_html",
    "metrics_option",
    "metrics_patch",
    "network_option",
    "network_patch",
    "PALETTE_STEPS",
]

#: Colours of a continuous palette: a value v in [0, 1] is shown as colour round(v * 20).
PALETTE_STEPS = 21

#: Width in pixels one organization's network is drawn at (half of the 960 px picture).
SIDE_PX = 460

_ids = itertools.count(1)


class Follows(ipywidgets.Widget):
    """A widget that follows a session's steps: given ``live`` (a :class:`Live`) and
    ``follow`` (its name there and the function that brings it up to date), it attaches itself
    when it is made and detaches when it is closed (the page's framework closes the widgets of
    a part of the page it no longer shows)."""

    live = traitlets.Any(None)
    follow = traitlets.Any(None)

    @traitlets.observe("live", "follow")
    def _attach(self, change) -> None:
        if self.live is not None and self.follow is not None:
            name, update = self.follow
            self.live.attach(name, self, update)
            update(self)  # steps may have run since the picture was built

    def close(self) -> None:
        if self.live is not None and self.follow is not None:
            self.live.detach(self.follow[0], self)
        super().close()


class Chart(Follows, ipyvuetify.VuetifyTemplate):
    """A picture the browser draws with ECharts from ``option``, then updates with ``patch``.

    ``kind`` is ``network``, ``metrics`` or ``plain`` (an ECharts option as it is). The
    element's ``data-step`` attribute says which step the browser shows (tests and the
    classroom benchmark wait on it).
    """

    template_file = (__file__, "charts.vue")

    # JSON text, not dicts: the page's framework compares and walks dict props on every
    # render, while a string is one comparison (and one JSON.parse in the browser).
    option = traitlets.Unicode("{}").tag(sync=True)
    patch = traitlets.Unicode("{}").tag(sync=True)
    kind = traitlets.Unicode("plain").tag(sync=True)
    height = traitlets.Unicode("500px").tag(sync=True)
    css_class = traitlets.Unicode("").tag(sync=True)
    cdn = traitlets.Unicode(None, allow_none=True).tag(sync=True)

    @traitlets.default("cdn")
    def _cdn(self):
        import solara.settings

        # As Solara's own ECharts component: its asset route unless assets are not proxied.
        if not solara.settings.assets.proxy:
            return solara.settings.assets.cdn
        return None


class LiveText(Follows, ipyvuetify.VuetifyTemplate):
    """A line of text the server changes directly (the step counter), without re-rendering
    the page around it."""

    template = traitlets.Unicode(
        '<template><div :class="css_class">{{ text }}</div></template>'
    ).tag(sync=True)
    text = traitlets.Unicode("").tag(sync=True)
    css_class = traitlets.Unicode("").tag(sync=True)


class Live:
    """The widgets one session's steps update directly: each attached widget with the function
    that brings it up to date (a patch for a picture, the text of the counter).

    A step then costs the models' step and these small messages; nothing of the page is
    rendered again (the page's framework would walk every control of the page for that).

    >>> class W:
    ...     text = ""
    >>> live, w = Live(), W()
    >>> live.attach("counter", w, lambda widget: setattr(widget, "text", "step 1"))
    >>> live.publish(); w.text
    'step 1'
    >>> live.detach("counter", w); live.publish(); sorted(live.parts)
    []
    """

    def __init__(self) -> None:
        self.parts: dict[str, tuple[Any, Callable[[Any], None]]] = {}
        self._lock = threading.Lock()

    def attach(self, name: str, widget, update) -> None:
        with self._lock:
            self.parts[name] = (widget, update)

    def detach(self, name: str, widget) -> None:
        with self._lock:
            if name in self.parts and self.parts[name][0] is widget:
                del self.parts[name]

    def publish(self) -> None:
        """Bring every attached widget up to date."""
        with self._lock:
            parts = list(self.parts.values())
        for widget, update in parts:
            update(widget)


class MetricsFeed:
    """A metrics picture of a pair: its whole ``option`` (built once), then per update only
    the points the browser has not been sent yet."""

    def __init__(self, pair) -> None:
        self.pair = pair
        with pair.lock:
            tables = [m.metrics_frame() for m in pair.models]
            self.sent = pair.current_step + 1
            self.option = metrics_option(pair.metric_names, pair.series, tables, horizon=pair.steps)
        self.text = dumps(self.option)

    def __call__(self, widget) -> None:
        with self.pair.lock:
            start = min(self.sent, self.pair.current_step + 1)
            patch = metrics_patch(self.pair, self.option["id"], start)
            self.sent = self.pair.current_step + 1
        widget.patch = dumps(patch)


class NetworksFeed:
    """The networks picture of a pair: positions and ties once, then the current step."""

    def __init__(self, pair) -> None:
        self.pair = pair
        with pair.lock:
            self.option = network_option(pair)
        self.text = dumps(self.option)

    def __call__(self, widget) -> None:
        with self.pair.lock:
            patch = network_patch(self.pair, self.option["id"])
        widget.patch = dumps(patch)


class PageVisibility(ipyvuetify.VuetifyTemplate):
    """Calls ``on_hidden`` when the browser tab is hidden (``document.visibilityState``):
    the lab pauses Play there, so no server time goes to steps nobody watches."""

    template = traitlets.Unicode("""
<template><span style="display: none"></span></template>
<script>
module.exports = {
  mounted() {
    this.onchange = () => { if (document.visibilityState === "hidden") this.hidden(); };
    document.addEventListener("visibilitychange", this.onchange);
  },
  beforeDestroy() { document.removeEventListener("visibilitychange", this.onchange); },
};
</script>""").tag(sync=True)
    on_hidden = traitlets.Callable(None, allow_none=True)

    def vue_hidden(self, data=None) -> None:
        if self.on_hidden is not None:
            self.on_hidden()


def dumps(data: Mapping) -> str:
    """Compact JSON text of an option or a patch (what :class:`Chart` takes).

    >>> dumps({"a": [1, None]})
    '{"a":[1,null]}'
    """
    return json.dumps(data, separators=(",", ":"), allow_nan=False)


def _hex(rgba) -> str:
    r, g, b = (int(round(255 * float(c))) for c in rgba[:3])
    return f"#{r:02x}{g:02x}{b:02x}"


@functools.cache
def _palette(color_by: str) -> tuple[str, ...]:
    from matplotlib import colormaps

    if color_by in _CONTINUOUS or color_by == "hub":
        cmap = colormaps["RdYlGn" if color_by == "hub" else _CONTINUOUS[color_by][0]]
        return tuple(_hex(cmap(i / (PALETTE_STEPS - 1))) for i in range(PALETTE_STEPS))
    if color_by == "kind":
        return tuple(KIND_COLORS)
    tab = colormaps["tab20"]
    return tuple(_hex(tab(i)) for i in range(20)) + ("#404040", "#f0a302")


def palette(color_by: str) -> list[str]:
    """The colours a node can take under ``color_by``, by index.

    >>> len(palette("knowledge")), palette("kind")[:2], len(palette("unit"))
    (21, ['#111111', '#8c5a2b'], 22)

    ``hub`` is the palette of the organizations' codes (red: wrong, green: right). Computed
    once per server (matplotlib's colour maps), then read.
    """
    return list(_palette(color_by))


def colour_index(values: np.ndarray, color_by: str) -> list[int]:
    """Per node, its colour's index in :func:`palette`.

    >>> colour_index(np.array([0.0, 0.52, 1.0]), "trust")
    [0, 10, 20]
    >>> colour_index(np.array([3, -1, -2, 25]), "unit")
    [3, 20, 21, 5]
    """
    if color_by in _CONTINUOUS:
        v = np.asarray(values, dtype=float)
        v = np.where(np.isfinite(v), v, 0.0)
        return np.rint(np.clip(v, 0.0, 1.0) * (PALETTE_STEPS - 1)).astype(int).tolist()
    v = np.asarray(values, dtype=np.int64)
    if color_by == "kind":
        return v.tolist()
    return np.where(v == -1, 20, np.where(v == -2, 21, np.mod(v, 20))).tolist()


def _rounded(a: np.ndarray, digits: int = 4) -> list[float]:
    return np.round(np.asarray(a, dtype=float), digits).tolist()


def _graph_frame(data, frame, color_by: str) -> dict:
    """The per-step part of one organization's network."""
    hub = np.rint(np.clip(frame.hub_right, 0, 1) * (PALETTE_STEPS - 1)).astype(int)
    messages = np.column_stack([frame.ends, frame.kinds]).astype(np.int64).ravel()
    return {
        "colour": colour_index(frame.values, color_by),
        "hub": hub.tolist(),
        "messages": messages.tolist(),
        "step": frame.step,
        "title": _step_title(data, frame),
    }


def _step_title(data, frame) -> str:
    note = f" (sample of {data.nodes.size} of {data.layout.n_nodes} nodes)" if data.sampled else ""
    return f"step {frame.step}: {frame.delivered} messages delivered{note}"


def network_option(pair) -> dict:
    """The whole networks picture of a :class:`~sim.lab.pair.Pair` at its current step:
    positions, sizes and ties of each side (sent once per network), and the current frame."""
    graphs = {}
    for letter, data, series, frame in zip(
        ("A", "B"), pair.data, pair.series, pair.current_frames(), strict=True
    ):
        lay = data.layout
        x0, x1, y0, y1 = lay.extent(margin=0.16)
        pos = data.points
        graphs[letter] = {
            "label": series.label,
            "ink": series.colour,
            "x": _rounded(pos[:, 0]),
            "y": _rounded(pos[:, 1]),
            "size": _rounded(data.diameters(SIDE_PX / (x1 - x0)), 2),
            "nodes": int(data.nodes.size),
            "version": data.version,
            "extent": [round(x0, 4), round(x1, 4), round(y0, 4), round(y1, 4)],
            "chain": data.chain.ravel().tolist(),
            "ties": data.ties.ravel().tolist(),
            **_graph_frame(data, frame, pair.color_by),
        }
    return {
        "id": next(_ids),
        "graphs": graphs,
        "palette": palette(pair.color_by),
        "hub_palette": palette("hub"),
        "kinds": [MESSAGE_COLORS[k] for k in KINDS],
        "step": pair.current_step,
    }


def network_patch(pair, option_id: int) -> dict:
    """What changed in the networks picture at the pair's current step."""
    return {
        "base": option_id,
        "step": pair.current_step,
        "graphs": {
            letter: _graph_frame(data, frame, pair.color_by)
            for letter, data, frame in zip(
                ("A", "B"), pair.data, pair.current_frames(), strict=True
            )
        },
    }


def legend_html(color_by: str) -> str:
    """The key under the networks: message kinds, and what the dots' colours mean.

    >>> "broadcast" in legend_html("knowledge") and "linear-gradient" in legend_html("trust")
    True
    >>> "leader" in legend_html("kind")
    True
    """
    parts = ['<span class="agora-key-title">messages this step:</span>']
    parts += [
        f'<span class="agora-key"><i style="background:{MESSAGE_COLORS[k]}"></i>{k}</span>'
        for k in KINDS
    ]
    if color_by in _CONTINUOUS:
        colours = palette(color_by)
        stops = ", ".join(colours[::4] + [colours[-1]])
        parts.append(
            f'<span class="agora-key-title">dots: {_CONTINUOUS[color_by][1]}</span> '
            f'<span class="agora-key">0 <b class="agora-bar" '
            f'style="background:linear-gradient(to right, {stops})"></b> 1</span>'
        )
    elif color_by == "kind":
        parts.append('<span class="agora-key-title">dots:</span>')
        parts += [
            f'<span class="agora-key"><b class="agora-dot" style="background:{c}"></b>{name}</span>'
            for name, c in zip(KIND_NAMES, KIND_COLORS, strict=True)
        ]
    else:
        parts.append(
            '<span class="agora-key-title">dots: one colour per unit '
            "(dark grey: above the units; orange: stakeholders)</span>"
        )
    parts.append(
        '<span class="agora-key"><b class="agora-hub"></b>the organization\'s code '
        "(green: right about more of the world)</span>"
    )
    return " ".join(parts)


# --------------------------------------------------------------------------- metrics


def _panel_boxes(n: int, ncols: int = 3) -> list[dict]:
    """Grid boxes (percent of the picture) of ``n`` panels, ``ncols`` a row."""
    nrows = max(1, math.ceil(n / ncols))
    row_h = 100.0 / nrows
    boxes = []
    for i in range(n):
        r, c = divmod(i, ncols)
        boxes.append(
            {
                "left": f"{c * 100 / ncols + 5.5:.2f}%",
                "width": f"{100 / ncols - 8:.2f}%",
                "top": f"{r * row_h + 0.42 * row_h:.2f}%",
                "height": f"{0.42 * row_h:.2f}%",
            }
        )
    return boxes


def _axis_limits(name: str) -> dict:
    if name in _COUNTS:
        return {"min": 0}
    low, high = _LIMITS.get(name, (0.0, 1.0))
    return {"min": low, "max": high, "interval": (high - low) / 4}


def _points(steps: np.ndarray, values: np.ndarray) -> list:
    """``[step, value]`` pairs, missing values as null (a gap in the curve)."""
    v = np.round(np.asarray(values, dtype=float), 4)
    return [
        [int(s), (float(y) if math.isfinite(y) else None)] for s, y in zip(steps, v, strict=True)
    ]


def _value_text(name: str, label: str, value: float) -> str:
    if not math.isfinite(value):
        return f"{label} n/a"
    return f"{label} {value:.0f}" if name in _COUNTS else f"{label} {value:.2f}"


def metrics_option(
    names: Sequence[str], series: Sequence, tables: Sequence, *, horizon: int, ncols: int = 3
) -> dict:
    """Small multiples on shared axes, one curve per run (in its colour), as ECharts draws them.

    ``tables`` are the runs' metrics so far (``model.metrics_frame()``), one per ``series``.
    """
    boxes = _panel_boxes(len(names), ncols)
    grids, xs, ys, lines, titles = [], [], [], [], []
    for i, (name, box) in enumerate(zip(names, boxes, strict=True)):
        grids.append({**box, "containLabel": False})
        xs.append(_metrics_x_axis(i, horizon, bottom_row=i >= len(names) - ncols))
        ys.append(
            {
                "type": "value",
                "gridIndex": i,
                "splitNumber": 3,
                "scale": False,
                "axisLabel": {"fontSize": 12},
                **_axis_limits(name),
            }
        )
        top = float(box["top"][:-1])
        titles.append(
            {
                "id": f"t-{name}",
                "text": pretty_metric(name),
                "left": box["left"],
                "top": f"{top - 0.3 * (100 / max(1, math.ceil(len(names) / ncols))):.2f}%",
                "textStyle": {"fontSize": 13, "fontWeight": "normal"},
            }
        )
        row_h = 100 / max(1, math.ceil(len(names) / ncols))
        for j, (s, table) in enumerate(zip(series, tables, strict=True)):
            line, value = _metrics_run_curve(i, j, name, s, table, box, top, row_h)
            lines.append(line)
            titles.append(value)
    return _option(grids, xs, ys, lines, titles)


def _option(grids: list, xs: list, ys: list, lines: list, titles: list) -> dict:
    """A chart's option under a new id: its panels, axes, curves and titles, not animated."""
    return {
        "id": next(_ids),
        "echarts": {
            "animation": False,
            "grid": grids,
            "xAxis": xs,
            "yAxis": ys,
            "series": lines,
            "title": titles,
        },
    }


def _metrics_x_axis(i: int, horizon: int, *, bottom_row: bool) -> dict:
    """Panel ``i``'s step axis, from 0 to ``horizon``; named "step" on the bottom row only."""
    return {
        "type": "value",
        "gridIndex": i,
        "min": 0,
        "max": int(horizon),
        "splitNumber": 4,
        "axisLabel": {"fontSize": 12},
        **(
            {
                "name": "step",
                "nameLocation": "middle",
                "nameGap": 22,
                "nameTextStyle": {"fontSize": 12},
            }
            if bottom_row
            else {}
        ),
    }


def _metrics_run_curve(
    i: int, j: int, name: str, s, table, box: dict, top: float, row_h: float
) -> tuple[dict, dict]:
    """Run ``j``'s curve of metric ``name`` in panel ``i``, and its last value above the panel."""
    values = table[name].to_numpy(dtype=float)
    line = {
        "id": f"{name}-{j}",
        "type": "line",
        "xAxisIndex": i,
        "yAxisIndex": i,
        "showSymbol": False,
        "animation": False,
        "silent": True,
        "lineStyle": {
            "color": s.colour,
            "width": 2,
            "type": "dashed" if s.style == "--" else "solid",
        },
        "itemStyle": {"color": s.colour},
        "data": _points(table["step"].to_numpy(), values),
    }
    last = values[-1] if values.size else float("nan")
    value = {
        "id": f"v-{name}-{j}",
        "left": f"{float(box['left'][:-1]) + 13 * j:.2f}%",
        "top": f"{top - 0.16 * row_h:.2f}%",
        "text": _value_text(name, s.label.split(":")[0], last),
        "textStyle": {"fontSize": 12, "fontWeight": "bold", "color": s.colour},
    }
    return line, value


def metrics_patch(pair, option_id: int, start: int) -> dict:
    """The curves' points from step ``start`` on, and the values above each panel."""
    append, texts = {}, {}
    for j, (s, model) in enumerate(zip(pair.series, pair.models, strict=True)):
        rows = model.records[start:]  # one dict per step, step 0 first
        steps = np.array([r["step"] for r in rows], dtype=np.int64)
        for name in pair.metric_names:
            values = np.array([r[name] for r in rows], dtype=float)
            append[f"{name}-{j}"] = [start, _points(steps, values)]
            last = float(values[-1]) if values.size else float("nan")
            texts[f"v-{name}-{j}"] = _value_text(name, s.label.split(":")[0], last)
    return {"base": option_id, "step": pair.current_step, "append": append, "titles": texts}


# --------------------------------------------------------------------------- what if


def difference_option(differences: Mapping, *, at: int, colour: str, ncols: int = 3) -> dict:
    """The what-if picture: per metric, change minus baseline with its 95% band, zero and the
    step of the change marked (the same content as :func:`sim.viz.difference.difference_png`).
    """
    names = list(differences)
    boxes = _panel_boxes(len(names), ncols)
    grids, xs, ys, lines, titles = [], [], [], [], []
    nrows = max(1, math.ceil(len(names) / ncols))
    for i, (name, box) in enumerate(zip(names, boxes, strict=True)):
        d = differences[name]
        steps = d["step"].to_numpy()
        low, high, diff = (d[c].to_numpy(dtype=float) for c in ("ci_low", "ci_high", "diff"))
        grids.append(box)
        x, y = _difference_axes(i, steps, low, high, diff)
        xs.append(x)
        ys.append(y)
        top = float(box["top"][:-1])
        titles.append(
            {
                "text": pretty_metric(name),
                "left": box["left"],
                "top": f"{top - 0.2 * 100 / nrows:.2f}%",
                "textStyle": {"fontSize": 13, "fontWeight": "normal"},
            }
        )
        lines += _difference_curves(i, steps, low, high, diff, at=at, colour=colour)
    titles.append(
        {
            "text": "Difference with the change (change minus without it; shaded: 95% "
            f"CI; dashed: step {int(at)})",
            "left": "1%",
            "top": 0,
            "textStyle": {"fontSize": 13, "fontWeight": "normal"},
        }
    )
    return _option(grids, xs, ys, lines, titles)


def _difference_axes(
    i: int, steps: np.ndarray, low: np.ndarray, high: np.ndarray, diff: np.ndarray
) -> tuple[dict, dict]:
    """Panel ``i``'s step axis and its difference axis, symmetric about zero with 10% room."""
    x = {
        "type": "value",
        "gridIndex": i,
        "min": int(steps.min(initial=0)),
        "max": int(steps.max(initial=1)),
        "splitNumber": 4,
        "axisLabel": {"fontSize": 12},
    }
    reach = float(np.nanmax(np.abs(np.concatenate([low, high, diff])), initial=0.0))
    reach = 1.1 * reach if math.isfinite(reach) and reach > 0 else 1.0
    y = {
        "type": "value",
        "gridIndex": i,
        "min": round(-reach, 4),
        "max": round(reach, 4),
        "splitNumber": 4,
        "axisLabel": {"fontSize": 12},
    }
    return x, y


def _difference_curves(
    i: int,
    steps: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    diff: np.ndarray,
    *,
    at: int,
    colour: str,
) -> list[dict]:
    """Panel ``i``'s 95% band and its difference, with zero and the step of the change marked."""
    axes = {
        "xAxisIndex": i,
        "yAxisIndex": i,
        "showSymbol": False,
        "silent": True,
        "animation": False,
        "type": "line",
    }
    # The band: the lower bound (invisible), then the width stacked on it.
    return [
        {
            **axes,
            "stack": f"ci-{i}",
            "stackStrategy": "all",
            "lineStyle": {"opacity": 0},
            "data": _points(steps, low),
        },
        {
            **axes,
            "stack": f"ci-{i}",
            "stackStrategy": "all",
            "lineStyle": {"opacity": 0},
            "areaStyle": {"color": colour, "opacity": 0.2},
            "data": _points(steps, high - low),
        },
        {
            **axes,
            "lineStyle": {"color": colour, "width": 2},
            "itemStyle": {"color": colour},
            "data": _points(steps, diff),
            "markLine": {
                "symbol": "none",
                "silent": True,
                "label": {"show": False},
                "data": [
                    {"yAxis": 0, "lineStyle": {"color": "#000", "type": "solid"}},
                    {"xAxis": int(at), "lineStyle": {"color": "#000", "type": "dashed"}},
                ],
            },
        },
    ]
