"""Two organizations side by side: their networks in one picture, their metrics on shared axes.

:class:`PairNetworks` puts two :class:`~sim.viz.drawing.NetworkPlot` next to each other on one
figure, each under a header in its run's colour, with one legend and one colour bar for both,
so the pair is rendered (and exported) as one picture. :func:`pair_series` gives the two runs
their line styles for :class:`~sim.viz.drawing.MetricsPlot`: the colour of each run's regime
(:data:`sim.viz.plots.REGIME_COLOURS`, the colours of every plot of the project), and a dashed
line for the second when both have the same regime.

Examples
--------
>>> from sim.model import AgoraModel
>>> a = AgoraModel({"org": {"size": 30}, "regime": {"name": "broadcast"}}, seed=1)
>>> b = AgoraModel({"org": {"size": 30}, "regime": {"name": "conversational"}}, seed=1)
>>> series = pair_series(["A: broadcast", "B: conversational"], ["broadcast", "conversational"])
>>> [(s.colour, s.style) for s in series]
[('#d55e00', '-'), ('#0072b2', '-')]
>>> pair = PairNetworks([a, b], series)
>>> a.step(); b.step(); pair.update([a, b])
>>> [p.n_messages == len(m.delivered) for p, m in zip(pair.plots, [a, b])]
[True, True]
"""

from __future__ import annotations

from collections.abc import Sequence

from sim.rules.messages import KINDS
from sim.viz.drawing import (
    _CONTINUOUS,
    FONT_PT,
    KIND_COLORS,
    KIND_NAMES,
    MESSAGE_COLORS,
    NetworkPlot,
    Series,
    new_figure,
)
from sim.viz.layout import MAX_DRAW_NODES
from sim.viz.plots import REGIME_COLOURS

__all__ = ["PairNetworks", "pair_series"]

#: Colour of a run whose regime has none in the palette.
OTHER_COLOUR = "#555555"


def pair_series(labels: Sequence[str], regimes: Sequence[str]) -> list[Series]:
    """One :class:`Series` per run: its regime's colour; dashed when a regime repeats.

    >>> [tuple(s) for s in pair_series(["A", "B"], ["hybrid", "hybrid"])]
    [('A', '#cc79a7', '-'), ('B', '#cc79a7', '--')]
    """
    out, seen = [], set()
    for label, regime in zip(labels, regimes, strict=True):
        style = "--" if regime in seen else "-"
        seen.add(regime)
        out.append(Series(label, REGIME_COLOURS.get(regime, OTHER_COLOUR), style))
    return out


class PairNetworks:
    """Two organizations' networks on one figure, stepping together.

    Parameters
    ----------
    models
        Two :class:`~sim.model.AgoraModel`; each one's structure is drawn once.
    series
        Their labels and colours (:func:`pair_series`); each label heads its network.
    color_by
        One of :data:`~sim.viz.drawing.COLOR_BY`, for both.
    width, height, dpi
        Figure size; at 100 dpi shown at its natural size, ``fontsize`` 9 is 12.5 px.
    max_nodes
        Nodes drawn per organization before sampling (see :class:`NetworkPlot`).
    """

    def __init__(
        self,
        models: Sequence,
        series: Sequence[Series],
        *,
        color_by: str = "knowledge",
        width: float = 9.6,
        height: float = 5.0,
        dpi: float = 100,
        fontsize: float = FONT_PT,
        max_nodes: int = MAX_DRAW_NODES,
    ) -> None:
        if len(models) != len(series):
            raise ValueError(f"{len(models)} models for {len(series)} series")
        self.figure = new_figure(width, height, dpi)
        self.series = list(series)
        line = fontsize / 72 / height  # one line of text, as a share of the height
        top, bottom = 1 - 2.0 * line, 2.6 * line
        share = 1.0 / len(models)
        self.plots = []
        for i, (model, s) in enumerate(zip(models, series, strict=True)):
            ax = self.figure.add_axes((i * share, bottom, share, top - bottom))
            self.plots.append(
                NetworkPlot(
                    model,
                    ax=ax,
                    color_by=color_by,
                    legend=False,
                    fontsize=fontsize,
                    max_nodes=max_nodes,
                    unit_labels=False,
                )
            )
            self.figure.text(
                (i + 0.5) * share,
                1 - 0.3 * line,
                s.label,
                ha="center",
                va="top",
                fontsize=fontsize + 1.5,
                fontweight="bold",
                color=s.colour,
            )
        self.color_by = color_by
        self._legend(fontsize)

    def _legend(self, fontsize: float) -> None:
        """One legend of message kinds (and node kinds) along the bottom, a colour bar right."""
        from matplotlib.lines import Line2D

        handles = [Line2D([], [], color=MESSAGE_COLORS[k], lw=2, label=k) for k in KINDS]
        if self.color_by == "kind":
            handles += [
                Line2D([], [], marker="o", ls="", color=c, label=name)
                for name, c in zip(KIND_NAMES, KIND_COLORS, strict=True)
            ]
        self.figure.legend(
            handles=handles,
            loc="lower left",
            fontsize=fontsize,
            frameon=False,
            ncol=len(handles),
            title=None,
            borderaxespad=0.2,
            handlelength=1.4,
            columnspacing=0.9,
            bbox_to_anchor=(0.0, 0.0),
        )
        if self.color_by in _CONTINUOUS:
            _, label = _CONTINUOUS[self.color_by]
            line = fontsize / 72 / self.figure.get_figheight()
            cax = self.figure.add_axes((0.72, 1.2 * line, 0.24, 0.5 * line))
            cb = self.figure.colorbar(self.plots[0]._scatter, cax=cax, orientation="horizontal")
            cb.set_label(label, fontsize=fontsize, labelpad=1)
            cb.ax.xaxis.set_label_position("top")
            cb.ax.tick_params(labelsize=fontsize, length=2)

    @property
    def sampled(self) -> bool:
        """True when either picture shows a sample of its nodes."""
        return any(p.sampled for p in self.plots)

    @property
    def animated(self) -> list:
        """The artists that change from step to step (redrawn by ``FrameRenderer``)."""
        return [a for p in self.plots for a in p.animated]

    def background_key(self) -> tuple:
        """Changes whenever the static part of either picture was redrawn."""
        return tuple(p.background_key() for p in self.plots)

    def update(self, models: Sequence) -> None:
        """Show each model's current state in its picture."""
        for plot, model in zip(self.plots, models, strict=True):
            plot.update(model)
