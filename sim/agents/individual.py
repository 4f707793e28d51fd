"""A member of an organization."""

from __future__ import annotations

import numpy as np

from sim.agents.base import RowAgent, row_field

__all__ = ["Individual"]


class Individual(RowAgent):
    """A member of one organization, in one unit, at one hierarchy level (0 = top).

    State lives in the model's arrays (row ``self.row``); the properties read and write it.

    Examples
    --------
    >>> from sim.model import AgoraModel
    >>> model = AgoraModel({"steps": 1, "org": {"size": 13}, "stakeholders": {"count": 2}})
    >>> boss = model.individuals[0]
    >>> boss.level, boss.manager is None, model.individuals[5].manager.level
    (0, True, 1)
    >>> boss.beliefs = 1
    >>> bool((model.beliefs[0] == 1).all())
    True
    """

    beliefs = row_field("beliefs", "Beliefs in {-1, 0, +1} per dimension of reality.")
    engagement = row_field("engagement", "Engagement in [0, 1]: drives how often one speaks.")
    trust = row_field("trust", "Trust in one's own organization, in [0, 1].")
    attention = row_field("attention", "Messages one can read per step.")

    @property
    def level(self) -> int:
        return int(self.model.network.tree.level[self.row])

    @property
    def unit(self) -> int:
        return int(self.model.network.tree.unit[self.row])

    @property
    def manager(self) -> Individual | None:
        m = int(self.model.network.tree.manager[self.row])
        return None if m < 0 else self.model.individuals[m]

    @property
    def organization(self):
        return self.model.organizations[int(self.model.node_org[self.row])]

    @property
    def knowledge(self) -> float:
        """Share of dimensions on which this member is right."""
        return float(np.mean(self.beliefs == self.model.reality))
