"""Named regimes as points in the space of the organization's communication practices.

A regime is nothing but values of the practices of :class:`~sim.config.schema.RegimeConfig`
(broadcast rate, socialization, listening, the upward channel, responsiveness, voting); no rule
of the model ever reads its name. The two ends are written down once, here; ``conf/regime/*.yaml``
name them, and ``hybrid`` sits between them with one mixing parameter. Peer conversation
(posting, replying to a colleague, peer influence) belongs to the people and the platform's
openness, not to the regime, so the ends leave it alone.

Both ends give the organization the same capacity to consider ideas per step (``org.attention``)
and the same learning rate (``listening``): they differ in direction and channel, not in how much
the organization can take in.

Examples
--------
>>> from sim.config.schema import RegimeConfig
>>> r = resolve_regime(RegimeConfig(name="hybrid", mix=0.5))
>>> r.broadcast_rate, r.responsiveness, r.upward, r.voting
(0.6, 0.3, 'voice', True)
>>> resolve_regime(RegimeConfig(name="broadcast", mix=0.7)).upward
'chain'
>>> resolve_regime(RegimeConfig(name="broadcast", responsiveness=0.9)).responsiveness
0.9
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sim.config.schema import ConfigError, RegimeConfig

__all__ = ["ENDS", "MIX_OF", "PRACTICES", "resolve_regime"]

#: The two ends of the space (the broadcast end "having", the conversational end "being").
ENDS: dict[str, dict[str, float | str | bool]] = {
    "broadcast": dict(
        broadcast_rate=1.0,
        socialization=0.5,
        listening=0.5,
        upward="chain",
        responsiveness=0.0,
        voting=False,
    ),
    "conversational": dict(
        broadcast_rate=0.2,
        socialization=0.2,
        listening=0.5,
        upward="voice",
        responsiveness=0.6,
        voting=True,
    ),
}

#: The practices a regime sets, in the order reports list them.
PRACTICES: tuple[str, ...] = tuple(ENDS["broadcast"])

#: The mix each named end stands for; ``hybrid`` keeps the mix it is given.
MIX_OF = {"broadcast": 0.0, "conversational": 1.0}


def _interpolate(key: str, mix: float) -> float | str | bool:
    low, high = ENDS["broadcast"][key], ENDS["conversational"][key]
    if isinstance(low, (bool, str)) or isinstance(high, (bool, str)):
        # A channel or a platform is there or not: the nearer end decides.
        return high if mix >= 0.5 else low
    return round((1 - mix) * low + mix * high, 12)


def resolve_regime(regime: RegimeConfig) -> RegimeConfig:
    """Fill every null practice of ``regime`` from its mix; values given explicitly win.

    A named end (``broadcast``, ``conversational``) uses its own mix whatever ``mix`` says,
    so ``regime=broadcast`` means the same practices in every sweep.
    """
    if regime.name in MIX_OF:
        regime = replace(regime, mix=MIX_OF[regime.name])
    elif regime.name != "hybrid":
        raise ConfigError(
            f"regime.name={regime.name!r} is unknown: one of {sorted([*MIX_OF, 'hybrid'])}"
        )
    if not 0 <= regime.mix <= 1:
        raise ConfigError(f"regime.mix={regime.mix!r} is out of range: a number in [0, 1]")
    filled: dict[str, Any] = {
        key: _interpolate(key, regime.mix) for key in PRACTICES if getattr(regime, key) is None
    }
    return replace(regime, **filled)
