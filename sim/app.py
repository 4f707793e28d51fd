"""The teaching app: two organizations side by side, guided experiments, what-ifs, live.

Start it with::

    agora app                        # or: solara run sim/app.py
                                     # serves http://127.0.0.1:8765 on this machine only

Tabs:

- **Side by side**: organizations A and B (by default the two ends of the regime space) on
  the same seed, stepping together; their networks next to each other, their measures on
  shared axes in the colours of their regimes; a control per practice of the model, the
  regime ends as presets; downloads of the measures (CSV), the picture (PNG) and the last
  steps (GIF).
- **Guided experiments**: the class predicts, then both run and the app says what happened.
- **What if**: a scenario with and without an intervention or a changed practice, replicated
  in the background, told in the words of the what-if report (:mod:`sim.scenarios.report`).
- **Info**: what the model is and how to use it, in NetLogo's Models Library layout.

Each browser session gets its own :class:`~sim.lab.views.LabState`, up to the server's limit
(:mod:`sim.lab.sessions`: beyond it a new student sees a page saying the lab is full). The
pictures are drawn in the browser from the data the server sends (:mod:`sim.lab.charts`). The
parts are in :mod:`sim.lab`; each side's model is exactly the model of ``agora run`` with the
overrides shown under the pictures (replicate 0).

Examples
--------
>>> model = AppModel({"regime": "broadcast", "size": 30, "stakeholders": 5, "steps": 3})
>>> model.overrides[:2], model.cfg.regime.broadcast_rate, model.cfg.org.size
(['regime=broadcast', 'regime.broadcast_rate=1.0'], 1.0, 30)
>>> model.run(); model.running
False
"""

from __future__ import annotations

import solara

from sim.lab.controls import DEFAULTS, app_overrides
from sim.lab.pair import AppModel, Pair
from sim.lab.sessions import SESSIONS
from sim.lab.views import AgoraLab, FullView, LabState

__all__ = ["AppModel", "AgoraLab", "DEFAULTS", "LabState", "Page", "Pair", "app_overrides"]

try:  # the "This website runs on Solara" badge covers content; the CSS hides it too
    from solara.server import settings as _server_settings

    _server_settings.theme.show_banner = False
    _server_settings.theme.title = "Agora"
except Exception:  # noqa: BLE001 - an older or newer Solara without these settings
    pass


def warm() -> None:
    """Pay the server's one-time costs when it starts, not at the first student's join: the
    colour palettes (matplotlib's colour maps) and the default organizations' configurations
    (composed once, then copied for every session)."""
    from sim.lab.charts import palette
    from sim.viz.drawing import COLOR_BY

    for name in (*COLOR_BY, "hub"):
        palette(name)
    LabState().on_screen.step()


warm()


@solara.component
def Page():
    """The page ``solara run sim/app.py`` serves: one lab per browser session, while places
    last; the place is given back when the session ends."""
    admitted = solara.use_memo(SESSIONS.admit, [])
    solara.use_effect(lambda: SESSIONS.leave if admitted else None, [])
    if not admitted:
        FullView(SESSIONS.limit)
        return
    state = solara.use_memo(LabState, [])  # noqa: SH101 - only an admitted session has a lab
    SESSIONS.track(state)
    AgoraLab(state)
