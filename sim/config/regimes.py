"""Regimes as points on one continuum, from broadcast ("having") to conversation ("being").

The two anchors are the only place the regime values are written down; ``conf/regime/*.yaml``
name them and ``hybrid`` sits between them with one mixing parameter.

Examples
--------
>>> from sim.config.schema import RegimeConfig
>>> r = resolve_regime(RegimeConfig(name="hybrid", mix=0.5))
>>> r.broadcast_rate, r.reply_rate, r.listen_to
(0.6, 0.3, 'voice')
>>> resolve_regime(RegimeConfig(name="broadcast", mix=0.0)).listen_to
'leaders'
"""

from __future__ import annotations

from dataclasses import replace

from sim.config.schema import ConfigError, RegimeConfig

__all__ = ["ANCHORS", "MIX_OF", "resolve_regime"]

#: The two ends of the continuum (DESIGN section 3).
ANCHORS: dict[str, dict[str, float | str | bool]] = {
    "broadcast": dict(
        broadcast_rate=1.0,
        socialization=0.5,
        listening=0.5,
        listen_to="leaders",
        reply_rate=0.0,
        voice_rate=0.0,
        voting=False,
    ),
    "conversational": dict(
        broadcast_rate=0.2,
        socialization=0.2,
        listening=0.5,
        listen_to="voice",
        reply_rate=0.6,
        voice_rate=0.3,
        voting=True,
    ),
}

#: The mix each named regime stands for; ``hybrid`` keeps the mix it is given.
MIX_OF = {"broadcast": 0.0, "conversational": 1.0}


def _interpolate(key: str, mix: float) -> float | str | bool:
    low, high = ANCHORS["broadcast"][key], ANCHORS["conversational"][key]
    if isinstance(low, bool):
        return high if mix >= 0.5 else low
    if isinstance(low, str):
        # Any mix above zero lets voice reach the code; how much arrives is set by voice_rate.
        return high if mix > 0 else low
    return round((1 - mix) * low + mix * high, 12)


def resolve_regime(regime: RegimeConfig) -> RegimeConfig:
    """Fill every null value of ``regime`` from its mix; values given explicitly win.

    A named anchor (``broadcast``, ``conversational``) uses its own mix whatever ``mix`` says,
    so ``regime=broadcast`` means the same thing in every sweep.
    """
    if regime.name in MIX_OF:
        regime = replace(regime, mix=MIX_OF[regime.name])
    elif regime.name != "hybrid":
        raise ConfigError(
            f"regime.name={regime.name!r} is unknown: one of "
            f"{sorted([*MIX_OF, 'hybrid'])}"
        )
    if not 0 <= regime.mix <= 1:
        raise ConfigError(f"regime.mix={regime.mix!r} is out of range: a number in [0, 1]")
    filled = {
        key: _interpolate(key, regime.mix)
        for key in ANCHORS["broadcast"]
        if getattr(regime, key) is None
    }
    return replace(regime, **filled)
