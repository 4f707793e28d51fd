"""Draw the network and the metrics of a running model, updating artists in place.

:class:`NetworkPlot` draws the structure once (ties faint, the chain of command darker, unit
sectors, each organization's hub) and on every :meth:`~NetworkPlot.update` only recolours the
nodes and replaces the segments of the messages delivered in the last step. :class:`MetricsPlot`
keeps one line per metric and moves its data. Both work on a bare
:class:`matplotlib.figure.Figure` with the Agg canvas, never through ``pyplot``: no global
figure state, safe in the app's worker threads and in the animation writer.

What they draw they read from the model's state (:class:`sim.rules.state.State`): each
function that takes ``model`` takes a model or its ``model.state`` alike.

Examples
--------
>>> from sim.model import AgoraModel
>>> model = AgoraModel({"org": {"size": 40}, "stakeholders": {"count": 10}}, seed=3)
>>> model.run(2)
>>> net = NetworkPlot(model, color_by="engagement")
>>> net.update(model)
>>> net.n_messages == len(model.delivered), net.sampled
(True, False)
>>> plot = MetricsPlot(["knowledge_code", "engagement"])
>>> plot.update(model.metrics_frame())
>>> plot.lines["engagement"].get_xdata().tolist()
[0, 1, 2]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, cast

import numpy as np

from sim.org.network import REPORTS_TO, Network
from sim.rules.catalogue import CATALOGUE, short_label
from sim.rules.messages import KINDS
from sim.rules.metrics import share_correct
from sim.rules.state import state_of
from sim.viz.layout import MAX_DRAW_NODES, Layout, layout_of, sample_nodes

__all__ = [
    "COLOR_BY",
    "DEFAULT_METRICS",
    "KIND_NAMES",
    "MESSAGE_COLORS",
    "MetricsPlot",
    "NetworkData",
    "NetworkFrame",
    "NetworkPlot",
    "Series",
    "new_figure",
    "node_values",
    "pretty_metric",
]

#: The node states a picture can be coloured by.
COLOR_BY = ("knowledge", "engagement", "trust", "kind", "unit")

#: Categories of the ``kind`` colouring, in code order.
KIND_NAMES = ("leader", "manager", "frontline", "stakeholder")
KIND_COLORS = ("#111111", "#8c5a2b", "#3fa7b5", "#f0a202")

#: One colour per message kind (:data:`sim.rules.messages.KINDS`).
MESSAGE_COLORS = {
    "broadcast": "#2f6db5",
    "post": "#2e9e44",
    "reply": "#8e44ad",
    "vote": "#e377c2",
    "voice": "#d62728",
}

_CONTINUOUS = {
    "knowledge": ("RdYlGn", "share of beliefs that are right"),
    "engagement": ("viridis", "engagement"),
    "trust": ("plasma", "trust in own organization"),
}

#: The metrics the animation shows unless told otherwise.
DEFAULT_METRICS = (
    "knowledge_code",
    "knowledge_individuals",
    "engagement",
    "trust",
    "reach",
    "silo_ei",
    "overload",
    "innovations_bottom_up",
)

#: Text size (points) of every label in the pictures: at 100 dpi shown at its natural size,
#: 9 pt is 12.5 px, the smallest that stays legible projected at 1280 x 720.
FONT_PT = 9.0

#: Unit labels are drawn only for organizations of at most this many units (more crowd them).
MAX_UNIT_LABELS = 8

# Metrics with a fixed range below zero (the rest start at 0) and counts, from the catalogue.
_LIMITS: dict[str, tuple[float, float]] = {
    m.name: (low, high)
    for m in CATALOGUE.values()
    for low, high in [m.range]
    if low is not None and low < 0 and high
}
_COUNTS = tuple(m.name for m in CATALOGUE.values() if m.kind in ("count", "cumulative"))


def pretty_metric(name: str) -> str:
    """A metric name as a panel title (the catalogue's short label).

    >>> pretty_metric("silo_ei"), pretty_metric("active_share")
    ('Silo E-I (-1 inside, +1 across)', 'Speaking up')
    """
    return short_label(name)


def new_figure(width: float, height: float, dpi: float = 100):
    """A bare Agg figure (no pyplot, no GUI backend)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def node_kinds(model) -> np.ndarray:
    """Per node, its index in :data:`KIND_NAMES`."""
    state = state_of(model)
    tree, n = state.network.tree, state.n_individuals
    has_reports = np.zeros(n, dtype=bool)
    has_reports[tree.manager[tree.manager >= 0]] = True
    kind = np.where(has_reports, 1, 2)
    kind[tree.level < state.cfg.org.leader_levels] = 0
    return np.concatenate([kind, np.full(state.n_stakeholders, 3)]).astype(np.int64)


def node_values(model, color_by: str) -> np.ndarray:
    """The state a picture is coloured by, one value per node.

    ``knowledge`` (share of dimensions believed right), ``engagement`` and ``trust`` are
    numbers in [0, 1]; ``kind`` is an index into :data:`KIND_NAMES`; ``unit`` is the unit id
    (-1 above the units, -2 for stakeholders).

    >>> from sim.model import AgoraModel
    >>> model = AgoraModel({"org": {"size": 13}, "hierarchy": {"depth": 3},
    ...                     "stakeholders": {"count": 2}}, seed=0)
    >>> node_values(model, "kind").tolist()
    [0, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3]
    >>> node_values(model, "unit").tolist()[:6], node_values(model, "unit").tolist()[-1]
    ([-1, 0, 1, 2, 0, 1], -2)
    >>> node_values(model, "colour")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: color_by='colour' is unknown: one of ('knowledge', ...
    """
    state = state_of(model)
    if color_by == "knowledge":
        return share_correct(state.beliefs, state.reality)
    if color_by == "engagement":
        return np.asarray(state.engagement, dtype=float)
    if color_by == "trust":
        return np.asarray(state.trust, dtype=float)
    if color_by == "kind":
        return node_kinds(state)
    if color_by == "unit":
        return np.concatenate([state.network.tree.unit, np.full(state.n_stakeholders, -2)]).astype(
            np.int64
        )
    raise ValueError(f"color_by={color_by!r} is unknown: one of {COLOR_BY}")


def _unit_colors(units: np.ndarray) -> np.ndarray:
    """RGBA per node for the ``unit`` colouring: a cyclic palette, grey above units."""
    from matplotlib import colormaps

    palette = colormaps["tab20"](np.arange(20))
    rgba = palette[np.mod(units, 20)]
    rgba[units == -1] = (0.25, 0.25, 0.25, 1.0)
    rgba[units == -2] = (0.94, 0.64, 0.01, 1.0)
    return rgba


class NetworkFrame(NamedTuple):
    """One step of a network picture: the parts that change from step to step.

    ``values`` (the colouring state) is per drawn node; ``hub_right`` is, per organization,
    the share of reality its code has right; ``ends`` holds the point indices (drawn nodes,
    then hubs) of each delivered message whose ends are both drawn, ``kinds`` their kinds
    (codes of :data:`sim.rules.messages.KINDS`); ``delivered`` counts every delivered message.
    """

    step: int
    values: np.ndarray
    hub_right: np.ndarray
    ends: np.ndarray
    kinds: np.ndarray
    delivered: int


class NetworkData:
    """What a network picture shows, without drawing it: positions, ties, and each step.

    The positions and the sample are computed once per network; :meth:`frame` is the per-step
    part (a few numpy operations), read by the matplotlib :class:`NetworkPlot` and by the app,
    which sends it to the browser to draw (:mod:`sim.lab.charts`).

    >>> from sim.model import AgoraModel
    >>> model = AgoraModel({"org": {"size": 40}, "stakeholders": {"count": 10}}, seed=3)
    >>> data = NetworkData(model)
    >>> model.step(); frame = data.frame(model)
    >>> frame.step, frame.values.shape, frame.ends.shape[1], frame.delivered == len(model.delivered)
    (1, (50,), 2, True)
    """

    def __init__(
        self,
        model,
        layout: Layout | None = None,
        *,
        color_by: str = "knowledge",
        max_nodes: int = MAX_DRAW_NODES,
    ) -> None:
        if color_by not in COLOR_BY:
            raise ValueError(f"color_by={color_by!r} is unknown: one of {COLOR_BY}")
        self.color_by = color_by
        self.layout = lay = layout if layout is not None else layout_of(model)
        self.nodes = sample_nodes(lay, max_nodes)
        self.sampled = self.nodes.size < lay.n_nodes
        self.index = np.full(lay.n_nodes, -1, dtype=np.int64)
        self.index[self.nodes] = np.arange(self.nodes.size)
        # Message endpoints: drawn nodes first, then one hub per organization.
        self.points = np.concatenate([lay.pos[self.nodes], lay.hub])
        self.network: Network | None = None
        self.version = 0
        self.chain = self.ties = np.zeros((0, 2), dtype=np.int64)
        self.observe(model)

    def observe(self, model) -> bool:
        """Take the model's ties if they changed (stakeholders who switched organization got
        new ones); True when they did."""
        net = state_of(model).network
        if net is self.network:
            return False
        self.network = net
        self.version += 1
        ia, ib = self.index[net.edges[:, 0]], self.index[net.edges[:, 1]]
        both = (ia >= 0) & (ib >= 0)
        chain = both & (net.edge_type == REPORTS_TO)
        other = both & ~chain
        self.chain = np.stack([ia[chain], ib[chain]], axis=1)
        self.ties = np.stack([ia[other], ib[other]], axis=1)
        return True

    def diameters(self, points_per_unit: float) -> np.ndarray:
        """Marker diameters: as large as the spacing on each ring allows, capped (in the unit
        of ``points_per_unit``, points or pixels per layout unit)."""
        lay = self.layout
        drawn = lay.ring[self.nodes]
        group = lay.org[self.nodes] * (lay.depth + 1) + drawn
        count = np.bincount(group)[group]
        radius = np.where(drawn == 0, 0.35, drawn) * lay.step
        arc = 2 * np.pi * radius / count * points_per_unit
        cap = np.where(drawn == 0, 12.0, 9.0)
        return np.clip(0.8 * arc, 1.5, cap)

    def frame(self, model) -> NetworkFrame:
        """The model's current step as a :class:`NetworkFrame`."""
        state = state_of(model)
        values = node_values(state, self.color_by)[self.nodes]
        right = (state.code == state.reality).mean(1)
        d = state.delivered
        n_drawn = self.nodes.size
        ends = [
            np.where(ids >= 0, self.index[np.maximum(ids, 0)], n_drawn - ids - 1)
            for ids in (d.sender, d.target)
        ]
        ok = (ends[0] >= 0) & (ends[1] >= 0)
        return NetworkFrame(
            int(state.step),
            values,
            right,
            np.stack([ends[0][ok], ends[1][ok]], axis=1),
            np.asarray(d.kind)[ok],
            len(d),
        )


class NetworkPlot:
    """The organization(s) as a network, coloured by one node state, with last step's messages.

    Parameters
    ----------
    model
        An :class:`~sim.model.AgoraModel`; its structure is drawn once.
    layout
        Precomputed positions (computed from ``model`` when omitted).
    color_by
        One of :data:`COLOR_BY`.
    ax
        Axes to draw on; a new square figure when omitted (then ``self.figure`` holds it).
    max_nodes
        Above this many nodes an evenly spaced sample of each ring is drawn (``self.sampled``).
    fontsize
        Size of every label, in points.
    unit_labels
        Name each unit beside its sector (default: where an organization has at most
        :data:`MAX_UNIT_LABELS` units).
    """

    def __init__(
        self,
        model,
        layout: Layout | None = None,
        *,
        color_by: str = "knowledge",
        ax=None,
        max_nodes: int = MAX_DRAW_NODES,
        size: float = 6.5,
        dpi: float = 100,
        legend: bool = True,
        fontsize: float = FONT_PT,
        unit_labels: bool | None = None,
    ) -> None:
        from matplotlib.collections import LineCollection

        self.data = NetworkData(model, layout, color_by=color_by, max_nodes=max_nodes)
        self.layout, self.nodes, self.sampled = self.data.layout, self.data.nodes, self.data.sampled
        self.index = self.data.index
        self._points = self.data.points
        self.color_by = color_by
        self.fontsize = fontsize
        if ax is None:
            self.figure = new_figure(size, size, dpi)
            ax = self.figure.add_axes((0.0, 0.0, 1.0, 0.94))
        else:
            self.figure = ax.figure
        self.ax = ax
        lay = self.layout

        ax.set_aspect("equal")
        ax.set_axis_off()
        x0, x1, y0, y1 = lay.extent(margin=0.16)
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)

        self._ties = LineCollection([], colors="#9a9a9a", linewidths=0.35, alpha=0.25, zorder=1)
        self._chain = LineCollection([], colors="#555555", linewidths=0.6, alpha=0.55, zorder=2)
        ax.add_collection(self._ties)
        ax.add_collection(self._chain)
        self._structure_version = 0
        self._draw_structure()
        self._draw_sectors(unit_labels)

        self._messages = LineCollection([], linewidths=0.8, alpha=0.55, zorder=3)
        ax.add_collection(self._messages)
        self._message_rgba = self._kind_rgba()

        self._scatter = self._draw_nodes(legend)
        self._hubs = self._draw_hubs()
        if legend:
            self._legend()
        self._title = ax.text(
            0.01, 0.995, "", transform=ax.transAxes, ha="left", va="top", fontsize=fontsize
        )
        self.n_messages = 0

    def _draw_nodes(self, legend: bool):
        """The members, coloured by :attr:`color_by` (grey until the first frame for a kind or a
        unit), with a colour bar for a continuous state when ``legend``."""
        ax, lay, fontsize = self.ax, self.layout, self.fontsize
        sizes = self._marker_sizes()
        if self.color_by not in _CONTINUOUS:
            return ax.scatter(
                *lay.pos[self.nodes].T, s=sizes, c="grey", edgecolors="none", zorder=4
            )
        cmap, label = _CONTINUOUS[self.color_by]
        scatter = ax.scatter(
            *lay.pos[self.nodes].T,
            s=sizes,
            c=np.zeros(self.nodes.size),
            cmap=cmap,
            vmin=0.0,
            vmax=1.0,
            edgecolors="none",
            zorder=4,
        )
        if legend:
            # A short horizontal bar in the lower right corner, inside the picture.
            cax = ax.inset_axes((0.68, 0.035, 0.3, 0.016))
            cb = self.figure.colorbar(scatter, cax=cax, orientation="horizontal")
            cb.set_label(label, fontsize=fontsize, labelpad=2)
            cb.ax.xaxis.set_label_position("top")
            cb.ax.tick_params(labelsize=fontsize, length=2)
        return scatter

    def _draw_hubs(self):
        """Each organization's code: a white square at its hub, labelled under it."""
        ax, lay = self.ax, self.layout
        hubs = ax.scatter(
            *lay.hub.T,
            s=150,
            marker="s",
            c="white",
            edgecolors="#111111",
            linewidths=1.2,
            zorder=5,
        )
        for o, (x, y) in enumerate(lay.hub):
            label = "code" if lay.hub.shape[0] == 1 else f"org {o}\ncode"
            ax.text(x, y - 0.09, label, ha="center", va="top", fontsize=self.fontsize, zorder=6)
        return hubs

    # ---------------------------------------------------------------- static parts

    def _segments(self, pairs: np.ndarray) -> Sequence[np.ndarray]:
        """The lines between ``pairs`` of points, one (2, 2) array each, as one array."""
        lines = np.stack([self._points[pairs[:, 0]], self._points[pairs[:, 1]]], axis=1)
        # matplotlib's stubs ask set_segments for a Sequence; it only iterates over the lines,
        # which an (n, 2, 2) array does without a copy into a list.
        return cast(Sequence[np.ndarray], lines)

    def _draw_structure(self) -> None:
        """Ties between drawn nodes: the chain of command darker, every other tie faint."""
        self._structure_version = self.data.version
        self._chain.set_segments(self._segments(self.data.chain))
        self._ties.set_segments(self._segments(self.data.ties))

    def _draw_sectors(self, labels: bool | None = None) -> None:
        """Thin spokes between units and a label per unit, where an organization has several."""
        lay, ax = self.layout, self.ax
        sec = lay.sectors
        if not sec.size:
            return
        orgs, per_org = np.unique(sec[:, 0].astype(int), return_counts=True)
        many = np.isin(sec[:, 0].astype(int), orgs[per_org > 1])
        if labels is None:
            labels = per_org.max() <= MAX_UNIT_LABELS
        spokes = []
        for u in np.flatnonzero(many):
            o, start, end = int(sec[u, 0]), sec[u, 1], sec[u, 2]
            direction = np.array([np.sin(start), np.cos(start)])
            spokes.append([lay.hub[o] + 0.6 * lay.step * direction, lay.hub[o] + direction])
            if labels:
                mid = (start + end) / 2
                ax.text(
                    *(lay.hub[o] + 1.09 * np.array([np.sin(mid), np.cos(mid)])),
                    f"unit {u}",
                    ha="center",
                    va="center",
                    fontsize=self.fontsize,
                    color="#555555",
                )
        if spokes:
            from matplotlib.collections import LineCollection

            ax.add_collection(
                LineCollection(spokes, colors="#bbbbbb", linewidths=0.6, linestyles="--", zorder=0)
            )

    def _marker_sizes(self) -> np.ndarray:
        """Marker areas (pt^2): as large as the spacing on each ring allows, capped."""
        x0, x1 = self.ax.get_xlim()
        bbox = self.ax.get_position()
        points_per_unit = self.figure.get_figwidth() * bbox.width * 72 / (x1 - x0)
        return self.data.diameters(points_per_unit) ** 2

    def _kind_rgba(self) -> np.ndarray:
        from matplotlib.colors import to_rgba

        return np.array([to_rgba(MESSAGE_COLORS[k]) for k in KINDS])

    def _legend(self) -> None:
        from matplotlib.lines import Line2D

        handles = [
            Line2D([], [], color=MESSAGE_COLORS[k], lw=1.5, label=f"{k}")
            for k in KINDS
            if k != "vote"
        ]
        if self.color_by == "kind":
            handles += [
                Line2D([], [], marker="o", ls="", color=c, label=name)
                for name, c in zip(KIND_NAMES, KIND_COLORS, strict=True)
            ]
        self.ax.legend(
            handles=handles,
            loc="lower left",
            fontsize=self.fontsize,
            frameon=False,
            ncol=1,
            title="messages this step",
            title_fontsize=self.fontsize,
            borderaxespad=0.0,
        )

    # ---------------------------------------------------------------- per step

    @property
    def animated(self) -> list:
        """The artists that change from step to step (redrawn by ``FrameRenderer``)."""
        return [self._messages, self._scatter, self._hubs, self._title]

    def background_key(self) -> int:
        """Changes whenever the static part (the ties) was redrawn."""
        return self.data.version

    def update(self, model) -> None:
        """Recolour the nodes and hubs and draw the messages delivered in the last step."""
        self.data.observe(model)
        self.show(self.data.frame(model))

    def show(self, frame: NetworkFrame) -> None:
        """Show one step (:meth:`NetworkData.frame`, now or kept from earlier)."""
        if self._structure_version != self.data.version:
            self._draw_structure()
        values = frame.values
        if self.color_by in _CONTINUOUS:
            self._scatter.set_array(values)
        elif self.color_by == "kind":
            self._scatter.set_facecolor(np.asarray(KIND_COLORS)[values])
        else:
            self._scatter.set_facecolor(_unit_colors(values))

        # Each hub shows how much of reality its code has right (white: nothing yet).
        from matplotlib import colormaps

        self._hubs.set_facecolor(colormaps["RdYlGn"](frame.hub_right))
        self._messages.set_segments(self._segments(frame.ends))
        self._messages.set_color(self._message_rgba[frame.kinds])
        self.n_messages = int(frame.ends.shape[0])
        n_drawn = self.nodes.size
        note = f"  (sample of {n_drawn} of {self.layout.n_nodes} nodes)" if self.sampled else ""
        self._title.set_text(f"step {frame.step}: {frame.delivered} messages delivered{note}")


class Series(NamedTuple):
    """How one run is drawn in a :class:`MetricsPlot`: its name, colour and line style."""

    label: str
    colour: str = "#2f6db5"
    style: str = "-"


class MetricsPlot:
    """Small multiples of metrics over time, one line per metric and run, updated in place.

    Parameters
    ----------
    names
        Metric names (columns of :meth:`~sim.model.AgoraModel.metrics_frame`).
    axes
        Axes to draw on, one per name; a new figure with ``ncols`` columns when omitted.
    horizon
        Initial width of the time axis; it grows as the run goes on.
    series
        One :class:`Series` per run drawn on the same axes (default: one blue line). With
        several, each panel shows every run's latest value in its colour, top right.
    fontsize
        Size of titles, values and tick labels, in points.

    Examples
    --------
    >>> from sim.model import AgoraModel
    >>> a = AgoraModel({"org": {"size": 30}, "regime": {"name": "broadcast"}}, seed=1)
    >>> b = AgoraModel({"org": {"size": 30}, "regime": {"name": "conversational"}}, seed=1)
    >>> a.run(3); b.run(3)
    >>> plot = MetricsPlot(["engagement"], ncols=1,
    ...                    series=[Series("broadcast", "#d55e00"), Series("conv.", "#0072b2")])
    >>> plot.update([a.metrics_frame(), b.metrics_frame()])
    >>> [len(line.get_xdata()) for line in plot.all_lines["engagement"]]
    [4, 4]
    """

    def __init__(
        self,
        names: Sequence[str] = DEFAULT_METRICS,
        *,
        axes=None,
        ncols: int = 2,
        horizon: int = 50,
        width: float = 6.5,
        height: float | None = None,
        dpi: float = 100,
        series: Sequence[Series] | None = None,
        fontsize: float = 8.0,
    ) -> None:
        self.names = tuple(names)
        self.series = tuple(series) if series else (Series(""),)
        if axes is None:
            self.figure, axes = self._new_grid(ncols, width, height, dpi, fontsize)
        else:
            self.figure = axes[0].figure
        self.axes = dict(zip(self.names, axes, strict=False))
        self.horizon = horizon
        self.fontsize = fontsize
        self.all_lines: dict[str, list] = {}
        self._titles = {}
        self._values: dict[str, list] = {}
        from matplotlib.ticker import MaxNLocator

        many = len(self.series) > 1
        for name, ax in self.axes.items():
            self.all_lines[name] = [
                ax.plot([], [], lw=1.6, color=s.colour, ls=s.style, label=s.label)[0]
                for s in self.series
            ]
            ax.set_xlim(0, horizon)
            ax.set_ylim(*_LIMITS.get(name, (0.0, 10.0 if name in _COUNTS else 1.0)))
            # Few ticks: tick labels are most of the cost of a full redraw.
            ax.xaxis.set_major_locator(MaxNLocator(4, integer=True))
            ax.yaxis.set_major_locator(MaxNLocator(3))
            ax.tick_params(labelsize=fontsize, length=2)
            ax.grid(alpha=0.3, lw=0.5)
            # With several runs, each one's latest value is on a line under the title, in its
            # colour, named by the first word of its label.
            self._titles[name] = ax.set_title(
                pretty_metric(name),
                fontsize=fontsize,
                loc="left",
                pad=1.5 * fontsize if many else 6.0,
            )
            self._values[name] = (
                [
                    ax.text(
                        0.36 * i,
                        1.02,
                        "",
                        transform=ax.transAxes,
                        ha="left",
                        va="bottom",
                        fontsize=fontsize,
                        color=s.colour,
                        fontweight="bold",
                    )
                    for i, s in enumerate(self.series)
                ]
                if many
                else []
            )
        for ax in list(self.axes.values())[-ncols:]:
            ax.set_xlabel("step", fontsize=fontsize)

    def _new_grid(
        self, ncols: int, width: float, height: float | None, dpi: float, fontsize: float
    ) -> tuple:
        """A new figure with a panel per metric in ``ncols`` columns (spare panels hidden),
        spaced for the titles and, with several runs, the line of values under each title."""
        nrows = int(np.ceil(len(self.names) / ncols))
        height = height if height is not None else 1.45 * nrows + 0.3
        figure = new_figure(width, height, dpi)
        grid = figure.subplots(nrows, ncols, squeeze=False, sharex=True)
        axes = grid.ravel()
        for ax in axes[len(self.names) :]:
            ax.set_visible(False)
        pad = fontsize / 72 * (2.0 if len(self.series) > 1 else 1.0)  # text per panel
        figure.subplots_adjust(
            left=min(0.2, 4 * fontsize / 72 / width),
            right=0.98,
            bottom=(0.3 + 2.5 * fontsize / 72) / height,
            top=1 - 2.2 * pad / height,
            hspace=4.4 * pad * nrows / height,
            wspace=0.28,
        )
        return figure, axes

    @property
    def lines(self) -> dict:
        """The first run's line of each metric."""
        return {name: lines[0] for name, lines in self.all_lines.items()}

    @property
    def animated(self) -> list:
        """The artists that change from step to step: lines and the texts with the values."""
        out = [line for lines in self.all_lines.values() for line in lines]
        if len(self.series) > 1:
            return out + [t for texts in self._values.values() for t in texts]
        return out + list(self._titles.values())

    def background_key(self) -> tuple:
        """Changes when an axis range changed (the time axis grew, a count outgrew its axis)."""
        return (self.horizon, *(self.axes[n].get_ylim() for n in self.names if n in _COUNTS))

    def update(self, frames) -> None:
        """Show the metrics tables so far (``model.metrics_frame()``, one row per step).

        ``frames`` is one table, or one per :class:`Series` in the same order.
        """
        frames = list(frames) if isinstance(frames, (list, tuple)) else [frames]
        if len(frames) != len(self.series):
            raise ValueError(f"{len(frames)} tables for {len(self.series)} series")
        steps = [f["step"].to_numpy() for f in frames]
        last = max((int(s[-1]) for s in steps if s.size), default=0)
        if last > self.horizon:
            self.horizon = int(np.ceil(last * 1.25 / 10) * 10)
        many = len(self.series) > 1
        for name, lines in self.all_lines.items():
            ys = [f[name].to_numpy(dtype=float) for f in frames]
            ax = self.axes[name]
            # Setting a limit costs as much as drawing a line: only when it changes.
            if ax.get_xlim()[1] != self.horizon:
                ax.set_xlim(0, self.horizon)
            if name in _COUNTS:
                finite = [y[np.isfinite(y)] for y in ys]
                top = max((float(y.max()) for y in finite if y.size), default=0.0)
                # Doubling steps: the axis (and the cached background) changes rarely.
                high = 10.0 * 2.0 ** np.ceil(np.log2(max(1.0, top * 1.1 / 10.0)))
                if ax.get_ylim()[1] != high:
                    ax.set_ylim(0, high)
            texts = []
            for line, x, y in zip(lines, steps, ys, strict=True):
                line.set_data(x, y)
                now = y[-1] if y.size else np.nan
                fmt = "{:.0f}" if name in _COUNTS else "{:.2f}"
                texts.append(fmt.format(now) if np.isfinite(now) else "n/a")
            if many:
                for text, value, s in zip(self._values[name], texts, self.series, strict=True):
                    text.set_text(f"{s.label.split(':')[0]} {value}")
            else:
                self._titles[name].set_text(f"{pretty_metric(name)}: {texts[0]}")
