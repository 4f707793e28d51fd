"""Espoused and enacted values: the organization's claim to listen against what people live.

The organization's broadcasts carry a claim about its own practice: the share of ideas it says
it answers (``org.espoused``; null: the enacted ``regime.responsiveness``). Whoever reads a
broadcast remembers the claim; whoever has voiced knows how often its own ideas were answered
or acted on (its benevolence record). Where the claim exceeds that experience, the gap lowers
the integrity factor of trust (Simons 2002, "behavioral integrity": the perceived fit between
a manager's words and deeds; Mayer, Davis & Schoorman 1995: integrity, the adherence to
principles the trustor finds acceptable). Integrity judged on the code (what was told against
what was seen) is multiplied by ``1 - gap``; an agent with a gap and no such judgement judges
integrity as ``1 - gap``.

:class:`Authenticity` draws nothing. It measures the gap always; it changes trust only when
``org.espoused`` is set and ``mechanisms.authenticity`` is on, so by default nothing changes.

Examples
--------
>>> import numpy as np
>>> gap(np.array([0.8, 0.8, np.nan]), np.array([2.0, 0.0, 1.0]), np.array([2.0, 0.0, 1.0])
...     ).tolist()
[0.30000000000000004, nan, nan]
"""

from __future__ import annotations

import numpy as np

__all__ = ["Authenticity", "gap", "with_gap"]


def gap(claimed: np.ndarray, heard: np.ndarray, ignored: np.ndarray) -> np.ndarray:
    """Claimed minus experienced answer rate per agent; NaN where no claim was read or no
    idea of one's own was answered or ignored yet."""
    record = heard + ignored
    experienced = heard / np.maximum(record, 1e-12)
    return np.where(record > 1e-6, claimed - experienced, np.nan)


def with_gap(value: np.ndarray, judged: np.ndarray, g: np.ndarray):
    """Integrity (``value`` where ``judged``) lowered by the positive part of the gap ``g``.

    >>> import numpy as np
    >>> v, j = with_gap(np.array([1.0, 0.5, 0.0]), np.array([True, True, False]),
    ...                 np.array([0.5, np.nan, 0.25]))
    >>> v.tolist(), j.tolist()
    ([0.5, 0.5, 0.75], [True, True, True])
    """
    has = ~np.isnan(g)
    shortfall = np.where(has, np.maximum(np.nan_to_num(g), 0.0), 0.0)
    value = np.where(judged, value * (1 - shortfall), 1 - shortfall)
    return value, judged | has


class Authenticity:
    """The claim each agent has read (NaN: none yet), and who has ever voiced an idea."""

    def __init__(self, n_nodes: int) -> None:
        self.claimed = np.full(n_nodes, np.nan)
        self.voiced = np.zeros(n_nodes, dtype=bool)

    def newcomers(self, seats: np.ndarray) -> None:
        """Newcomers (turnover) have read no claim and voiced nothing yet."""
        self.claimed[seats] = np.nan
        self.voiced[seats] = False

    @staticmethod
    def claim(cfg) -> float:
        """The responsiveness the organization claims."""
        esp = cfg.org.espoused
        return cfg.regime.responsiveness if esp is None else esp

    def read(self, readers: np.ndarray, claim: float | np.ndarray) -> None:
        """Readers of a broadcast this step take note of its claim (:meth:`claim`; one per
        reader where readers' organizations claim differently: batched worlds)."""
        self.claimed[readers] = claim

    def gaps(self, heard: np.ndarray, ignored: np.ndarray) -> np.ndarray:
        return gap(self.claimed, heard, ignored)

    def integrity(self, cfg, value, judged, heard, ignored):
        """The integrity factor, lowered by the gap where the claim is set and its switch on."""
        if cfg.org.espoused is None or not cfg.mechanisms.authenticity:
            return value, judged
        return with_gap(value, judged, self.gaps(heard, ignored))

    def mean_gap(self, heard: np.ndarray, ignored: np.ndarray) -> float:
        """``authenticity_gap``: the mean gap over agents who have voiced, read a claim and
        have a record (NaN where nobody has: under March's observation nobody voices)."""
        g = self.gaps(heard, ignored)[self.voiced]
        g = g[~np.isnan(g)]
        return float(g.mean()) if g.size else float("nan")
