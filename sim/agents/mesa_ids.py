"""mesa's per-model counters of agent ids, held weakly, so a finished model can be freed.

mesa 3.3 keeps them in ``mesa.Agent._ids``, a class-level ``defaultdict`` keyed by the model
itself, so every model a process ever made stays in memory with all its agents (mesa issue
#3179, fixed upstream by pull request #3180 after 3.3.1): 20 replicates of 5,000 members grew
a process by about 110 MB, and the teaching server by every class that used it. Importing
:mod:`sim.agents` replaces that store with :class:`IdsByModel`, whose counter lives as long
as its model and no longer; ids still count from 1 in each model, as in mesa. Later mesa
versions count in the model, and nothing is replaced.

>>> class M: pass
>>> ids, m = IdsByModel(), M()
>>> next(ids[m]), next(ids[m]), len(ids)
(1, 2, 1)
>>> del m; len(ids)
0
"""

from __future__ import annotations

import itertools
import weakref

import mesa

__all__ = ["IdsByModel", "hold_agent_ids_weakly"]


class IdsByModel(weakref.WeakKeyDictionary):
    """A counter of agent ids per model, forgotten with its model."""

    def __getitem__(self, model):
        try:
            return super().__getitem__(model)
        except KeyError:
            counter = self[model] = itertools.count(1)
            return counter


def hold_agent_ids_weakly() -> None:
    """Replace mesa 3.3's strong store of id counters (idempotent; nothing on later mesa)."""
    ids = mesa.Agent.__dict__.get("_ids")
    if isinstance(ids, dict) and not isinstance(ids, IdsByModel):
        mesa.Agent._ids = IdsByModel(ids)
