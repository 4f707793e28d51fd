"""The three kinds of agent: :class:`Individual`, :class:`Organization`, :class:`Stakeholder`."""

from sim.agents.individual import Individual
from sim.agents.organization import Organization
from sim.agents.stakeholder import Stakeholder

__all__ = ["Individual", "Organization", "Stakeholder"]
