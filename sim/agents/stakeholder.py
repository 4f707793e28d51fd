"""A customer, supplier or community member outside the organization."""

from __future__ import annotations

from sim.agents.base import RowAgent, row_field

__all__ = ["Stakeholder"]


class Stakeholder(RowAgent):
    """Someone outside who knows its own needs and is tied to one organization at a time.

    ``row`` indexes the node arrays (after the individuals); ``index`` the stakeholder arrays.

    Examples
    --------
    >>> from sim.model import AgoraModel
    >>> model = AgoraModel({"steps": 1, "org": {"size": 13}, "stakeholders": {"count": 2}})
    >>> s = model.stakeholders[1]
    >>> s.row, s.organization.index, bool(s.needs.any())
    (14, 0, True)
    """

    beliefs = row_field("beliefs", "Beliefs in {-1, 0, +1}; right on its needs.")
    engagement = row_field("engagement", "Engagement in [0, 1].")
    trust = row_field("trust", "Trust in the organization it is tied to, in [0, 1].")

    @property
    def index(self) -> int:
        return self.row - self.model.n_individuals

    @property
    def needs(self):
        return self.model.needs[self.index]

    @property
    def satisfaction(self) -> float:
        return float(self.model.satisfaction[self.index])

    @property
    def value(self) -> float:
        """Value received so far (satisfaction summed over steps)."""
        return float(self.model.value[self.index])

    @property
    def organization(self):
        return self.model.organizations[int(self.model.node_org[self.row])]
