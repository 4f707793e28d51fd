"""Pictures of a running model, shared by the teaching app and the animation writer.

:mod:`sim.viz.layout` places every node once per structure (a radial tree per organization:
units as sectors, levels as rings, stakeholders on an outer ring); :mod:`sim.viz.drawing`
draws the network and the metrics onto matplotlib figures whose artists are updated in place
step after step, so a redraw costs little more than rendering the pixels.
:mod:`sim.viz.render` redraws only what moved over a cached background; :mod:`sim.viz.pair`
puts two organizations side by side (the teaching app); :mod:`sim.viz.export` turns drawn
frames into PNG and GIF downloads; :mod:`sim.viz.difference` draws a what-if's difference over
time; :mod:`sim.viz.animation` writes GIF and MP4 for slides; :mod:`sim.viz.plots` holds the
report plots and the one regime palette every picture uses.
"""

from sim.viz.drawing import COLOR_BY, MetricsPlot, NetworkPlot, node_values
from sim.viz.layout import MAX_DRAW_NODES, Layout, radial_layout, sample_nodes

__all__ = [
    "COLOR_BY",
    "MAX_DRAW_NODES",
    "Layout",
    "MetricsPlot",
    "NetworkPlot",
    "node_values",
    "radial_layout",
    "sample_nodes",
]
