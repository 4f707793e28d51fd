"""Fast redraws for the app: cache a figure's static background, redraw only what moves.

A full matplotlib draw of the network and the metric panels costs a few hundred milliseconds,
almost all of it in tick labels, titles and thousands of static ties that do not change from
one step to the next. :class:`FrameRenderer` draws the figure once without its *animated*
artists (nodes, messages, metric lines, value labels), keeps that background, and per frame
restores it and draws only those artists (matplotlib's blitting, done on the Agg buffer), then
encodes a PNG at a low compression level. The background is redrawn only when the plot says it
changed (an axis grew, another state was chosen).

Examples
--------
>>> from sim.model import AgoraModel
>>> from sim.viz.drawing import NetworkPlot
>>> model = AgoraModel({"org": {"size": 40}, "stakeholders": {"count": 10}}, seed=3)
>>> plot = NetworkPlot(model)
>>> renderer = FrameRenderer(plot)
>>> model.step(); plot.update(model)
>>> png = renderer.png()
>>> png[:8] == b"\\x89PNG\\r\\n\\x1a\\n", renderer.full_draws
(True, 1)
>>> model.step(); plot.update(model); _ = renderer.png(); renderer.full_draws
1
"""

from __future__ import annotations

import io

import numpy as np

__all__ = ["FrameRenderer", "encode_png"]


def encode_png(rgba: np.ndarray, compress_level: int = 1) -> bytes:
    """PNG bytes of an RGBA buffer; level 1 is several times faster than the default 6."""
    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgba[..., :3])).save(
        out, format="png", compress_level=compress_level
    )
    return out.getvalue()


class FrameRenderer:
    """Render a plot's figure to PNG, redrawing the static background only when it changes.

    Parameters
    ----------
    plot
        An object with ``figure``, ``animated`` (the artists that change each step) and
        ``background_key()`` (a value that changes whenever the static part must be redrawn),
        such as :class:`~sim.viz.drawing.NetworkPlot` or :class:`~sim.viz.drawing.MetricsPlot`.
    """

    def __init__(self, plot) -> None:
        self.plot = plot
        self.figure = plot.figure
        self.canvas = self.figure.canvas
        self._background = None
        self._key = None
        self._animated: list = []
        self.full_draws = 0

    def _mark_animated(self) -> None:
        # New artists can appear (a plot may rebuild a collection); mark every one of them.
        self._animated = list(self.plot.animated)
        for artist in self._animated:
            artist.set_animated(True)

    def rgba(self) -> np.ndarray:
        """The current picture as an ``(height, width, 4)`` uint8 array (a copy)."""
        key = self.plot.background_key()
        if self._background is None or key != self._key:
            self._mark_animated()
            self.canvas.draw()  # draws everything except animated artists
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
            self._key = key
            self.full_draws += 1
        else:
            self.canvas.restore_region(self._background)
        renderer = self.canvas.get_renderer()
        for artist in self._animated:
            if artist.get_visible():
                artist.draw(renderer)
        return np.asarray(self.canvas.buffer_rgba()).copy()

    def png(self) -> bytes:
        """The current picture as PNG bytes."""
        return encode_png(self.rgba())
