"""Two organizations on the same seed, stepping together, drawn and exported together.

:class:`AppModel` is an :class:`~sim.model.AgoraModel` built from the app's settings (the
model of ``agora run`` with :func:`~sim.lab.controls.app_overrides`). :class:`Pair` holds two
of them, A and B, steps both at once, redraws their networks side by side and their metrics
on shared axes (one colour per regime), and keeps the last frames for the GIF export. It knows
nothing of the browser: the app shows its PNGs, tests and the benchmark drive it directly.

Examples
--------
>>> from sim.lab.controls import DEFAULTS, with_preset
>>> small = {**DEFAULTS, "size": 30, "stakeholders": 5, "steps": 5}
>>> pair = Pair(with_preset(small, "broadcast"), with_preset(small, "conversational"))
>>> pair.step(2)
>>> pair.current_step, [m.current_step for m in pair.models], len(pair.frames)
(2, [2, 2], 2)
>>> pair.csv().splitlines()[0].split(",")[:4]
['organization', 'regime', 'step', 'knowledge_code']
>>> pair.png()[:4], pair.gif()[:6]
(b'\\x89PNG', b'GIF89a')
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping

import pandas as pd

from sim.config import load_config
from sim.lab.controls import DEFAULTS, app_overrides, changed_practices, complete
from sim.model import AgoraModel
from sim.viz.drawing import COLOR_BY, FONT_PT, MetricsPlot
from sim.viz.export import gif_of, stack_pngs
from sim.viz.pair import PairNetworks, pair_series
from sim.viz.render import FrameRenderer

__all__ = ["APP_METRICS", "AppModel", "LETTERS", "Pair", "side_title"]

LETTERS = ("A", "B")

#: The metrics under the networks (three rows of three on shared axes).
APP_METRICS = (
    "knowledge_code",
    "knowledge_individuals",
    "engagement",
    "trust",
    "voice_answered",
    "innovations_net",
    "reach",
    "silo_ei",
    "stakeholder_satisfaction",
)

#: Figure sizes (inches at 100 dpi): 960 px wide, shown at about that size at 1280 x 720.
NETWORK_SIZE = (9.6, 5.0)
METRICS_SIZE = (9.6, 5.4)


class AppModel(AgoraModel):
    """An :class:`~sim.model.AgoraModel` built from the app's settings.

    The settings become the overrides of :func:`~sim.lab.controls.app_overrides` (kept as
    ``self.overrides``), composed by :func:`sim.config.load_config` exactly as ``agora run``
    composes them. ``running`` turns False after ``steps`` steps.

    >>> model = AppModel({"regime": "broadcast", "size": 30, "stakeholders": 5, "steps": 3})
    >>> model.cfg.regime.broadcast_rate, model.cfg.org.size
    (1.0, 30)
    >>> model.run(); model.running, model.current_step
    (False, 3)
    """

    def __init__(self, settings: Mapping[str, object] | None = None, **more) -> None:
        self.settings = complete(settings, **more)
        self.overrides = app_overrides(self.settings)
        super().__init__(load_config(self.overrides))
        self.running = self.current_step < self.cfg.steps

    def step(self) -> None:
        super().step()
        self.running = self.current_step < self.cfg.steps


def side_title(letter: str, settings: Mapping[str, object]) -> str:
    """The header of one side: its letter, its regime and how many practices were changed.

    >>> side_title("B", complete(regime="hybrid", mix=0.25))
    'B: hybrid 0.25'
    >>> side_title("A", complete(regime="broadcast", responsiveness=0.5))
    'A: broadcast, 1 practice changed'
    """
    regime = str(settings["regime"])
    name = f"{regime} {float(settings['mix']):.2f}" if regime == "hybrid" else regime
    try:
        changed = changed_practices(settings)
    except (KeyError, ValueError):
        changed = []
    if changed:
        return f"{letter}: {name}, {len(changed)} practice{'s' if len(changed) > 1 else ''} changed"
    return f"{letter}: {name}" if regime == "hybrid" else f"{letter}: {regime} end"


class Pair:
    """Organizations A and B on the same seed, stepping together, with their pictures.

    Parameters
    ----------
    a, b
        Each side's settings (see :data:`~sim.lab.controls.DEFAULTS`); ``seed`` and ``steps``
        are taken from ``a`` for both, so the two runs share their random stream's seed.
    color_by
        What the dots show (:data:`~sim.viz.drawing.COLOR_BY`).
    keep
        How many of the last frames are kept for the GIF.
    """

    def __init__(
        self,
        a: Mapping[str, object],
        b: Mapping[str, object],
        *,
        color_by: str = "knowledge",
        keep: int = 40,
        dpi: float = 100,
        fontsize: float = FONT_PT + 1,
    ) -> None:
        if color_by not in COLOR_BY:
            raise ValueError(f"color_by={color_by!r} is unknown: one of {COLOR_BY}")
        shared = {key: a.get(key, DEFAULTS[key]) for key in ("seed", "steps")}
        self.settings = [complete(a, **shared), complete(b, **shared)]
        self.models = [AppModel(s) for s in self.settings]
        self.titles = [side_title(x, s) for x, s in zip(LETTERS, self.settings, strict=True)]
        self.series = pair_series(self.titles, [m.cfg.regime.name for m in self.models])
        self.color_by = color_by
        self.dpi = dpi
        self.fontsize = fontsize
        # Play runs in a thread while the page may ask for a step or an export.
        self.lock = threading.RLock()
        self.frames: deque[tuple[bytes, bytes]] = deque(maxlen=keep)
        self.metrics = MetricsPlot(
            APP_METRICS, ncols=3, horizon=max(20, int(shared["steps"])), width=METRICS_SIZE[0],
            height=METRICS_SIZE[1], dpi=dpi, series=self.series, fontsize=fontsize,
        )
        self._metrics = FrameRenderer(self.metrics)
        self._draw_networks()
        self.render()

    def _draw_networks(self) -> None:
        self.networks = PairNetworks(
            self.models, self.series, color_by=self.color_by, width=NETWORK_SIZE[0],
            height=NETWORK_SIZE[1], dpi=self.dpi, fontsize=self.fontsize,
        )
        self._networks = FrameRenderer(self.networks)

    # ------------------------------------------------------------------ running

    @property
    def current_step(self) -> int:
        """Steps run so far (both models always have run the same number)."""
        return self.models[0].current_step

    @property
    def steps(self) -> int:
        """The run length."""
        return self.models[0].cfg.steps

    @property
    def running(self) -> bool:
        """True until both have run their steps."""
        return any(m.running for m in self.models)

    def step(self, n: int = 1) -> None:
        """Step both models ``n`` times (stopping at the run length), then redraw once."""
        with self.lock:
            for _ in range(n):
                if not self.running:
                    break
                for model in self.models:
                    model.step()
            self.render()

    def set_color_by(self, color_by: str) -> None:
        """Colour the dots by another state; the GIF starts again (frames would not match)."""
        if color_by not in COLOR_BY:
            raise ValueError(f"color_by={color_by!r} is unknown: one of {COLOR_BY}")
        with self.lock:
            if color_by != self.color_by:
                self.color_by = color_by
                self._draw_networks()
                self.frames.clear()
                self.render()

    def render(self) -> None:
        """Draw both pictures of the current state and keep them as the newest frame."""
        self.networks.update(self.models)
        self.metrics.update([m.metrics_frame() for m in self.models])
        self._last = (self._networks.png(), self._metrics.png())
        self.frames.append(self._last)

    @property
    def network_png(self) -> bytes:
        """The networks side by side, as last drawn."""
        return self._last[0]

    @property
    def metrics_png(self) -> bytes:
        """The metric curves, as last drawn."""
        return self._last[1]

    # ------------------------------------------------------------------ exports

    def table(self) -> pd.DataFrame:
        """Both runs' metrics so far, one row per organization and step."""
        parts = []
        for letter, model in zip(LETTERS, self.models, strict=True):
            frame = model.metrics_frame()
            frame.insert(0, "regime", model.cfg.regime.name)
            frame.insert(0, "organization", letter)
            parts.append(frame)
        return pd.concat(parts, ignore_index=True)

    def csv(self) -> str:
        """:meth:`table` as CSV text."""
        with self.lock:
            return self.table().to_csv(index=False)

    def png(self) -> bytes:
        """The current picture: both networks above the metric curves."""
        return stack_pngs(self._last)  # bytes already drawn: no lock needed

    def gif(self, fps: float = 6) -> bytes:
        """The kept frames (the last steps) as a looping GIF at half size."""
        with self.lock:
            frames = list(self.frames)
        return gif_of(frames, fps=fps, shrink=2)

    def commands(self) -> list[str]:
        """The ``agora run`` command of each side (replicate 0 is the app's run)."""
        return [f"agora run {' '.join(m.overrides)}" for m in self.models]
