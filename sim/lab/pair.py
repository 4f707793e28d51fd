"""Two organizations on the same seed, stepping together, shown and exported together.

:class:`AppModel` is an :class:`~sim.model.AgoraModel` built from the app's settings (the
model of ``agora run`` with :func:`~sim.lab.controls.app_overrides`). :class:`Pair` holds two
of them, A and B, steps both at once and keeps what each step shows (the dots' colours, the
messages: :class:`~sim.viz.drawing.NetworkFrame`) for the last steps. It knows nothing of the
browser: :mod:`sim.lab.charts` turns it into the data the browser draws, and its exports draw
PNG and GIF with matplotlib only when asked (networks side by side, metrics on shared axes,
one colour per regime).

Examples
--------
>>> from sim.lab.controls import DEFAULTS, with_preset
>>> small = {**DEFAULTS, "size": 30, "stakeholders": 5, "steps": 5}
>>> pair = Pair(with_preset(small, "broadcast"), with_preset(small, "conversational"))
>>> pair.step(2)
>>> pair.current_step, [m.current_step for m in pair.models], len(pair.frames)
(2, [2, 2], 3)
>>> pair.csv().splitlines()[0].split(",")[:4]
['organization', 'regime', 'step', 'knowledge_code']
>>> pair.png()[:4], pair.gif()[:6]
(b'\\x89PNG', b'GIF89a')
"""

from __future__ import annotations

import copy
import functools
import threading
import weakref
from collections import deque
from collections.abc import Mapping
from typing import Any

import pandas as pd

from sim.config import AgoraConfig, ConfigError, load_config, to_config
from sim.lab.controls import DEFAULTS, app_overrides, changed_practices, complete
from sim.model import AgoraModel
from sim.viz.drawing import COLOR_BY, FONT_PT, MetricsPlot, NetworkData, NetworkFrame
from sim.viz.export import gif_of, stack_pngs
from sim.viz.pair import PairNetworks, pair_series
from sim.viz.render import FrameRenderer

__all__ = [
    "APP_METRICS",
    "AppModel",
    "LETTERS",
    "MODELS",
    "Pair",
    "check_pair_memory",
    "side_title",
]

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


#: The lab's models still in memory (the teacher's console reports how many: a session's two
#: models are freed when it ends).
MODELS: weakref.WeakSet = weakref.WeakSet()


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
        # A copy of the composed configuration: the model may change its own (interventions).
        super().__init__(copy.deepcopy(composed(tuple(self.overrides))))
        self.running = self.current_step < self.cfg.steps
        MODELS.add(self)

    def step(self) -> None:
        super().step()
        self.running = self.current_step < self.cfg.steps


@functools.lru_cache(maxsize=64)
def composed(overrides: tuple[str, ...]) -> AgoraConfig:
    """The configuration of these overrides, composed once per server (composing costs a tenth
    of a second; a class opens the same settings thirty times).

    >>> composed(("org.size=30",)) is composed(("org.size=30",))
    True
    """
    return to_config(load_config(list(overrides)))


def check_pair_memory(cfgs) -> None:
    """Refuse a pair whose two runs together are estimated beyond the memory limit
    (:mod:`sim.config.limits`; each run alone was checked when its configuration was composed).

    >>> from sim.config import AgoraConfig, ConfigError, load_config, to_config
    >>> check_pair_memory([load_config([]), load_config([])])
    >>> one = load_config(["limits.memory_gb=0.002"])  # one run fits, two do not
    >>> check_pair_memory([one, one])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sim.config...ConfigError: these two organizations need ... together, more than ...
    """
    from sim.config.limits import estimate, memory_limit_gb

    need = sum(estimate(cfg).gb for cfg in cfgs)
    limit = min(memory_limit_gb(cfg) for cfg in cfgs)
    if need > limit:
        raise ConfigError(
            f"these two organizations need {need:.3g} GB together, more than "
            f"limits.memory_gb={limit:.3g}: make them smaller"
        )


def side_title(letter: str, settings: Mapping[str, Any]) -> str:
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
    """Organizations A and B on the same seed, stepping together, with what their pictures show.

    A step keeps, per side, a :class:`~sim.viz.drawing.NetworkFrame` (the dots' colours, the
    messages): the browser draws the pictures from them (:mod:`sim.lab.charts`), and the PNG
    and GIF exports draw them with matplotlib only when asked. Positions and ties are computed
    once per network.

    Parameters
    ----------
    a, b
        Each side's settings (see :data:`~sim.lab.controls.DEFAULTS`); ``seed`` and ``steps``
        are taken from ``a`` for both, so the two runs share their random stream's seed.
    color_by
        What the dots show (:data:`~sim.viz.drawing.COLOR_BY`).
    keep
        How many of the last steps are kept for the GIF.
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
        check_pair_memory([m.cfg for m in self.models])
        self.titles = [side_title(x, s) for x, s in zip(LETTERS, self.settings, strict=True)]
        self.series = pair_series(self.titles, [m.cfg.regime.name for m in self.models])
        self.metric_names = APP_METRICS
        self.color_by = color_by
        self.dpi = dpi
        self.fontsize = fontsize
        # Play runs in a thread while the page may ask for a step or an export.
        self.lock = threading.RLock()
        self.data = [NetworkData(m, color_by=color_by) for m in self.models]
        self.frames: deque[tuple[NetworkFrame, ...]] = deque(maxlen=keep)
        self._figures = None  # matplotlib, built by the first PNG or GIF asked for
        self._record()

    def _record(self) -> None:
        for data, model in zip(self.data, self.models, strict=True):
            data.observe(model)
        self.frames.append(tuple(d.frame(m) for d, m in zip(self.data, self.models, strict=True)))

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

    @property
    def sampled(self) -> bool:
        """True when a picture shows a sample of an organization's nodes."""
        return any(d.sampled for d in self.data)

    def current_frames(self) -> tuple[NetworkFrame, ...]:
        """Each side's :class:`~sim.viz.drawing.NetworkFrame` at the current step."""
        return self.frames[-1]

    def step(self, n: int = 1) -> None:
        """Step both models ``n`` times (stopping at the run length)."""
        with self.lock:
            for _ in range(n):
                if not self.running:
                    break
                for model in self.models:
                    model.step()
                self._record()

    def set_color_by(self, color_by: str) -> None:
        """Colour the dots by another state; the GIF starts again (frames would not match)."""
        if color_by not in COLOR_BY:
            raise ValueError(f"color_by={color_by!r} is unknown: one of {COLOR_BY}")
        with self.lock:
            if color_by != self.color_by:
                self.color_by = color_by
                # Same positions: only what the dots show changes.
                self.data = [
                    NetworkData(m, d.layout, color_by=color_by)
                    for d, m in zip(self.data, self.models, strict=True)
                ]
                self._figures = None
                self.frames.clear()
                self._record()

    # ------------------------------------------------------------------ server-side pictures

    def _drawing(self):
        """The matplotlib figures of the exports (networks, metrics) and their renderers."""
        if self._figures is None or self._figures[0].color_by != self.color_by:
            networks = PairNetworks(
                self.models,
                self.series,
                color_by=self.color_by,
                width=NETWORK_SIZE[0],
                height=NETWORK_SIZE[1],
                dpi=self.dpi,
                fontsize=self.fontsize,
            )
            metrics = MetricsPlot(
                self.metric_names,
                ncols=3,
                horizon=max(20, self.steps),
                width=METRICS_SIZE[0],
                height=METRICS_SIZE[1],
                dpi=self.dpi,
                series=self.series,
                fontsize=self.fontsize,
            )
            self._figures = (networks, metrics, FrameRenderer(networks), FrameRenderer(metrics))
        return self._figures

    @property
    def networks(self):
        """Both networks drawn with matplotlib at the current step (for the exports)."""
        with self.lock:
            self._draw(self.current_frames(), [m.metrics_frame() for m in self.models])
            return self._drawing()[0]

    @property
    def metrics(self):
        """The metric curves drawn with matplotlib at the current step (for the exports)."""
        with self.lock:
            self._draw(self.current_frames(), [m.metrics_frame() for m in self.models])
            return self._drawing()[1]

    def _draw(self, frames, tables, encode: bool = True) -> tuple:
        """PNGs of the networks and the curves as they were at ``frames``' step (RGBA arrays
        when not ``encode``)."""
        networks, metrics, net_renderer, metrics_renderer = self._drawing()
        step = frames[0].step
        for plot, model, frame in zip(networks.plots, self.models, frames, strict=True):
            plot.data.observe(model)
            plot.show(frame)
        metrics.update([t[t["step"] <= step] for t in tables])
        if not encode:
            return net_renderer.rgba(), metrics_renderer.rgba()
        return net_renderer.png(), metrics_renderer.png()

    @property
    def network_png(self) -> bytes:
        """The networks side by side at the current step, drawn on the server (PNG)."""
        return self._current_pngs()[0]

    @property
    def metrics_png(self) -> bytes:
        """The metric curves at the current step, drawn on the server (PNG)."""
        return self._current_pngs()[1]

    def _current_pngs(self) -> tuple[bytes, bytes]:
        with self.lock:
            return self._draw(self.current_frames(), [m.metrics_frame() for m in self.models])

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
        return stack_pngs(self._current_pngs())

    def gif(self, fps: float = 6) -> bytes:
        """The kept steps (the last ones) as a looping GIF at half size."""
        with self.lock:
            tables = [m.metrics_frame() for m in self.models]
            # Pixels straight from the renderers: no PNG encoded and decoded again per frame.
            images = [self._draw(frames, tables, encode=False) for frames in self.frames]
        return gif_of(images, fps=fps, shrink=2)

    def commands(self) -> list[str]:
        """The ``agora run`` command of each side (replicate 0 is the app's run)."""
        return [f"agora run {' '.join(m.overrides)}" for m in self.models]
