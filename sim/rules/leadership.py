"""Leadership participation: leaders who post and reply on the platform themselves.

Each step each leader (the top ``org.leader_levels`` levels) takes part with chance
``leadership.participation``: it joins the platform, posts to a colleague of its organization
who is on it, and replies to every post it reads, all from its own time budget. Members see
the share of leaders taking part; under ``mechanisms.leader_visibility`` it raises their
chance of voicing an idea (by ``1 + voice_lift x share``) and, through
:mod:`sim.rules.platform`, of adopting the platform. That seeing leaders take part makes
speaking up seem safe and worthwhile is the argument of Detert & Burris (2007) on leader
openness and voice; its size here (``voice_lift``) is an assumption (range 0 to 1).

While ``participation`` is 0 (the default) :class:`Leadership` draws nothing and changes
nothing. Its draws come from a child of the model's Generator.

Examples
--------
>>> import numpy as np
>>> voice_factor(np.array([True, False]), 0.5, 0.5).tolist()
[1.25, 1.0]
"""

from __future__ import annotations

import numpy as np

__all__ = ["Leadership", "voice_factor", "pick_colleagues"]

_NOBODY = np.zeros(0, dtype=np.int64)


def voice_factor(members: np.ndarray, lift: float, seen: float) -> np.ndarray:
    """Per node, the factor on its chance to voice: ``1 + lift x seen`` for members, 1 for
    stakeholders (who do not see the members' platform)."""
    return np.where(members, 1.0 + lift * seen, 1.0)


def pick_colleagues(who: np.ndarray, org: np.ndarray, on: np.ndarray, u: np.ndarray) -> np.ndarray:
    """For each node in ``who``, one node of its organization (``org`` per node) with ``on``
    set, picked by the uniform ``u``; -1 where there is none.

    >>> pick_colleagues(np.array([0]), np.array([0, 0, 1, 0]),
    ...                 np.array([True, False, True, True]), np.array([0.9])).tolist()
    [3]
    """
    out = np.full(who.size, -1, dtype=np.int64)
    # One pass per organization (a handful), not per agent.
    for o in np.unique(org[who]):
        cand = np.flatnonzero(on & (org == o))
        rows = np.flatnonzero(org[who] == o)
        if cand.size:
            out[rows] = cand[(u[rows] * cand.size).astype(np.int64)]
    return out


class Leadership:
    """Who leads, and who of them takes part on the platform this step.

    Parameters
    ----------
    cfg
        The run's configuration (``leadership``, ``mechanisms``).
    leaders
        Node ids of the leaders.
    rng
        The model's Generator: a child is spawned only while participation is above 0.
    """

    def __init__(self, cfg, leaders: np.ndarray, rng: np.random.Generator) -> None:
        self.leaders = leaders
        self.taking_part = _NOBODY
        self.rng: np.random.Generator | None = None  # spawned once participation is live
        self.configure(cfg, rng)

    def configure(self, cfg, rng: np.random.Generator) -> None:
        """Follow the configuration (at setup, and after an intervention)."""
        self.live = cfg.leadership.participation > 0 and self.leaders.size > 0
        if self.live and self.rng is None:
            self.rng = rng.spawn(1)[0]

    def seen(self) -> float:
        """The share of leaders taking part this step (0 with no leaders)."""
        return self.taking_part.size / self.leaders.size if self.leaders.size else 0.0

    def take_part(self, cfg, adopted: np.ndarray, node_org: np.ndarray, n: int):
        """Draw who takes part; they join the platform. Returns their posts (senders,
        readers) to colleagues on the platform."""
        self.taking_part = _NOBODY
        if not self.live or self.rng is None:  # live: the stream has been spawned
            return _NOBODY, _NOBODY
        u = self.rng.random((2, self.leaders.size))
        self.taking_part = self.leaders[u[0] < cfg.leadership.participation]
        adopted[self.taking_part] = True
        on = adopted.copy()
        on[n:] = False  # a colleague: a member
        on[self.taking_part] = False  # not oneself (nor another leader taking part)
        to = pick_colleagues(self.taking_part, node_org, on, u[1][: self.taking_part.size])
        ok = to >= 0
        return self.taking_part[ok], to[ok]

    def wants_reply(self, reader: np.ndarray, wants: np.ndarray) -> np.ndarray:
        """Leaders taking part reply to every post they read."""
        if not self.taking_part.size:
            return wants
        return wants | np.isin(reader, self.taking_part)

    def voice(self, cfg, n: int, n_nodes: int) -> np.ndarray | float:
        """The factor on each node's chance to voice (1.0 while nobody takes part)."""
        if not (self.live and cfg.mechanisms.leader_visibility):
            return 1.0
        return voice_factor(np.arange(n_nodes) < n, cfg.leadership.voice_lift, self.seen())
