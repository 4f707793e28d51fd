"""Which engine runs a configuration: a pure function of its values, so that the memory
estimate (:mod:`sim.config.limits`) and the simulation (:mod:`sim.simulation`) agree.

Examples
--------
>>> from sim.config import load_config, to_config
>>> is_march(to_config(load_config(["scenario=march1991"])))
True
>>> is_march(to_config({}))
False
"""

from __future__ import annotations

from sim.config.schema import AgoraConfig

__all__ = ["is_march"]


def is_march(cfg: AgoraConfig) -> bool:
    """True when nothing but March's mutual learning happens in ``cfg``.

    One organization whose members only hear its broadcast every step, a code that observes
    everyone, no exploration, talk, stakeholders, trust or engagement dynamics.
    """
    r, p, o = cfg.regime, cfg.population, cfg.openness
    return (
        cfg.org.count == 1
        and cfg.stakeholders.count == 0
        and r.upward == "observe"
        and r.broadcast_rate >= 1
        and r.responsiveness == 0
        and not r.voting
        and p.exploration == 0
        and p.talk == 0
        and p.voice == 0
        and p.reply == 0
        and p.trust == 1
        and p.trust_rate == 0
        and p.opinion == "off"
        and cfg.environment.landscape == "additive"
        and p.attention >= 1
        and p.engagement_gain == 0
        and p.engagement_loss == 0
        and p.engagement_drift == 0
        and cfg.hierarchy.routing == "direct"
        and o.peer == 0
        and o.internal == 0
        and not cfg.interventions
        and cfg.org.chart is None
    )
