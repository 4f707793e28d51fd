"""The three kinds of agent: :class:`Individual`, :class:`Organization`, :class:`Stakeholder`."""

from sim.agents.individual import Individual
from sim.agents.mesa_ids import hold_agent_ids_weakly
from sim.agents.organization import Organization
from sim.agents.stakeholder import Stakeholder

__all__ = ["Individual", "Organization", "Stakeholder"]

hold_agent_ids_weakly()  # a finished model is freed with its agents (sim.agents.mesa_ids)
