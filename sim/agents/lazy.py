"""Mesa agents created when first asked for: the same object every time after.

The model's state lives in arrays, so an agent object is only a view of its row; creating one
per member at setup cost about 5 us and 470 bytes each (issue 26: 70% of setup, and half a
GiB at a million members) for objects a run at scale never reads. :class:`LazyAgents` stands
for the list of them: indexing or iterating creates (and Mesa registers) each agent the first
time it is reached, in row order when all are created at once. The model creates all that
are missing before anything reads Mesa's registry (``model.agents``, ``agents_by_type``).

Examples
--------
>>> from sim.model import AgoraModel
>>> model = AgoraModel({"org": {"size": 40}, "stakeholders": {"count": 10}}, seed=7)
>>> people = model.individuals
>>> len(people), people.created
(40, 0)
>>> people[3] is people[3], people[3].row, people[-1].row, people.created
(True, 3, 39, 2)
>>> len(model.agents_by_type[type(people[0])]), people.created
(40, 40)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import mesa

__all__ = ["LazyAgents"]


class LazyAgents(Sequence):
    """The agents ``kind(model, first + i)`` for ``i`` in ``range(count)``, each made on demand.

    Parameters
    ----------
    model
        The Mesa model the agents belong to (their constructor registers them there).
    kind
        The agent class, called as ``kind(model, row)``.
    first, count
        The rows: ``first`` to ``first + count - 1``.
    """

    def __init__(self, model: mesa.Model, kind: type, first: int, count: int) -> None:
        self._model, self._kind, self._first = model, kind, int(first)
        self._agents: list = [None] * int(count)
        self.created = 0

    def __len__(self) -> int:
        return len(self._agents)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        i = range(len(self))[i]  # the checks and negative indices of a list
        agent = self._agents[i]
        if agent is None:
            agent = self._agents[i] = self._kind(self._model, self._first + i)
            self.created += 1
        return agent

    def __iter__(self) -> Iterator:
        return (self[i] for i in range(len(self)))

    def create_all(self) -> None:
        """Create every agent not yet created, in row order (Mesa's registry then holds all)."""
        if self.created < len(self):
            for i in range(len(self)):
                self[i]
