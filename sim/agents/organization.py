"""The organization: the hub that holds the code and runs a communication regime."""

from __future__ import annotations

import mesa
import numpy as np

__all__ = ["Organization"]


class Organization(mesa.Agent):
    """An organization; ``code`` is its row of ``model.code`` (strategy, shared beliefs).

    Examples
    --------
    >>> from sim.model import AgoraModel
    >>> model = AgoraModel({"steps": 1, "org": {"size": 13}, "stakeholders": {"count": 2}})
    >>> org = model.organizations[0]
    >>> len(org.members), len(org.stakeholders), org.code.tolist()[:3]
    (13, 2, [0, 0, 0])
    """

    def __init__(self, model: mesa.Model, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def code(self) -> np.ndarray:
        return self.model.code[self.index]

    @code.setter
    def code(self, value) -> None:
        self.model.code[self.index] = value

    @property
    def members(self) -> list:
        rows = np.flatnonzero(self.model.node_org[: self.model.n_individuals] == self.index)
        return [self.model.individuals[r] for r in rows]

    @property
    def stakeholders(self) -> list:
        n = self.model.n_individuals
        rows = np.flatnonzero(self.model.node_org[n:] == self.index)
        return [self.model.stakeholders[r] for r in rows]

    @property
    def knowledge(self) -> float:
        """March's score of the code: ``c . r / m``."""
        return float(np.mean(self.code * self.model.reality))

    def __repr__(self) -> str:
        return f"Organization(index={self.index})"
