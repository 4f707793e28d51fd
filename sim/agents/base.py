"""Agents whose state is a row of the model's arrays.

A property built by :func:`row_field` reads and writes the agent's own row, so
``agent.beliefs`` is a live view while the step runs vectorised over all rows.
"""

from __future__ import annotations

import mesa

__all__ = ["RowAgent", "row_field"]


def row_field(array: str, doc: str) -> property:
    """A property reading and writing ``model.<array>[self.row]``."""

    def get(self):
        return getattr(self.model, array)[self.row]

    def set_(self, value):
        getattr(self.model, array)[self.row] = value

    return property(get, set_, doc=doc)


class RowAgent(mesa.Agent):
    """A Mesa agent that owns one row of the model's state arrays."""

    def __init__(self, model: mesa.Model, row: int) -> None:
        super().__init__(model)
        self.row = row

    def __repr__(self) -> str:
        return f"{type(self).__name__}(row={self.row})"
