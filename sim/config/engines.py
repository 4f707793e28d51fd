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

from dataclasses import fields

from sim.config.schema import AgoraConfig, MechanismsConfig

__all__ = ["is_march"]


def is_march(cfg: AgoraConfig) -> bool:
    """True when nothing but March's mutual learning happens in ``cfg``.

    One organization whose members only hear its broadcast every step, a code that observes
    everyone, no exploration, talk, stakeholders, trust or engagement dynamics; every
    mechanism switch on and every Model 3.0 option at its March value (nothing costs time, no
    clarity, fatigue or ignored posts, a leadership that does not explore), so no option is
    ever silently ignored by the kernel.
    """
    r, p, o = cfg.regime, cfg.population, cfg.openness
    mechanisms = all(getattr(cfg.mechanisms, f.name) for f in fields(MechanismsConfig))
    costs = (p.time_read, p.time_post, p.time_reply, p.time_vote, p.time_voice,
             cfg.org.answer_cost)
    return (
        mechanisms
        and all(c == 0 for c in costs)
        and p.engagement_loss_post == 0
        and p.engagement_clarity == 0
        and p.engagement_fatigue == 0
        and cfg.org.exploration == 0
        and
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
        # The essays' mechanisms at their inert defaults (sim.rules.platform and the rest).
        and cfg.platform.rollout == "everyone"
        and cfg.leadership.participation == 0
        and not cfg.value.economy
        and cfg.org.adapt == "off"
        and cfg.regime.decision == "leaders"
    )
