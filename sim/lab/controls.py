"""The controls of the teaching app: one per practice of Model 2.0, the regime ends as presets.

Each organization of the side-by-side lab has its own settings, a flat mapping of control name
to value (:data:`DEFAULTS`). :func:`app_overrides` turns them into the Hydra overrides of
``agora run`` (``experiments/run.py``), so the app's organization is exactly the model of that
command, replicate 0. Every practice is written explicitly, so the regime's name only labels the
run (and picks its colour): choosing a preset (:func:`preset`) fills the practices with that
end's values, and each practice can then be changed alone.

Examples
--------
>>> a = with_preset(DEFAULTS, "broadcast")
>>> a["broadcast_rate"], a["upward"], a["responsiveness"], a["voting"]
(1.0, 'chain', 0.0, False)
>>> app_overrides(a)[:3]
['regime=broadcast', 'regime.broadcast_rate=1.0', 'regime.socialization=0.5']
>>> changed_practices({**a, "responsiveness": 0.6})
['responsiveness']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sim.config.regimes import ENDS, PRACTICES, resolve_regime
from sim.config.schema import AgoraConfig, RegimeConfig

__all__ = [
    "CONTROLS",
    "Control",
    "DEFAULTS",
    "bounded",
    "clamp",
    "complete",
    "ENDS_OF",
    "ORGANIZATION",
    "PRACTICE_CONTROLS",
    "REGIMES",
    "RUN",
    "app_overrides",
    "changed_practices",
    "describe",
    "format_value",
    "preset",
    "with_preset",
]

REGIMES = ("broadcast", "hybrid", "conversational")
ROUTINGS = ("direct", "chain")
#: ``observe`` (March's idealisation) belongs to the march1991 scenario, not to a class.
UPWARD = ("chain", "voice")


@dataclass(frozen=True)
class Control:
    """One control: its setting's name, the configuration key it sets, its label and range.

    ``kind`` is ``share`` (a number in [low, high] by ``step``), ``count`` (an integer),
    ``choice`` (one of ``choices``) or ``flag`` (on or off). ``help`` says in plain words what
    it does (shown under the control).
    """

    name: str
    key: str
    label: str
    kind: str
    low: float = 0.0
    high: float = 1.0
    step: float = 0.05
    choices: tuple[str, ...] = ()
    help: str = ""


def _share(name: str, key: str, label: str, help: str) -> Control:
    return Control(name, key, label, "share", help=help)


#: The practices, in the order of the panel: the regime's six, then people's and the platform's.
PRACTICE_CONTROLS: tuple[Control, ...] = (
    Control(
        "regime",
        "regime",
        "Start from",
        "choice",
        choices=REGIMES,
        help="Loads the practices of a regime end (hybrid: between them, by the mix).",
    ),
    _share(
        "mix",
        "regime.mix",
        "Hybrid mix",
        "0 is the broadcast end, 1 the conversational end (hybrid only).",
    ),
    _share(
        "broadcast_rate",
        "regime.broadcast_rate",
        "Broadcasts",
        "Share of steps in which the organization pushes its strategy to everyone.",
    ),
    _share(
        "socialization",
        "regime.socialization",
        "Pressure to conform",
        "How fast members adopt the strategy they hear (March's p1), scaled by trust.",
    ),
    _share(
        "listening",
        "regime.listening",
        "Strategy learns",
        "How fast the strategy learns from the ideas it considers (March's p2).",
    ),
    Control(
        "upward",
        "regime.upward",
        "Ideas go up by",
        "choice",
        choices=UPWARD,
        help="chain: hop by hop through managers, who may drop or distort them; "
        "voice: a direct channel to the top, beside the chain.",
    ),
    _share(
        "responsiveness",
        "regime.responsiveness",
        "Ideas answered",
        "Share of the ideas it reads that the organization answers.",
    ),
    Control(
        "voting",
        "regime.voting",
        "Colleagues vote on ideas",
        "flag",
        help="Endorsed ideas are read first.",
    ),
    _share(
        "voice",
        "population.voice",
        "Members speak up",
        "Chance per step, at full engagement, that a member sends an idea up.",
    ),
    _share(
        "reply",
        "population.reply",
        "Members reply",
        "Chance to answer a colleague's post, at full engagement.",
    ),
    _share(
        "voice_access",
        "openness.voice",
        "Voice channel open to",
        "Share of members who can use the direct voice channel.",
    ),
)

#: The organization's structure and channels.
ORGANIZATION: tuple[Control, ...] = (
    Control("size", "org.size", "People", "count", 20, 1000, 10),
    Control("stakeholders", "stakeholders.count", "Stakeholders", "count", 0, 300, 10),
    Control("depth", "hierarchy.depth", "Hierarchy levels", "count", 2, 8, 1),
    Control(
        "routing",
        "hierarchy",
        "Messages travel",
        "choice",
        choices=ROUTINGS,
        help="direct: in one step; chain: one level per step, relayed and distorted.",
    ),
    Control("attention", "population.attention", "Messages read per step", "count", 1, 30, 1),
    _share(
        "openness_internal",
        "openness.internal",
        "Ties across units",
        "0: people only talk inside their unit.",
    ),
    _share("openness_external", "openness.external", "Ties to stakeholders", ""),
)

#: Shared by both organizations: the run itself.
RUN: tuple[Control, ...] = (
    Control(
        "seed",
        "seed",
        "Seed",
        "count",
        0,
        100,
        1,
        help="Same seed, same run: change it to see what luck does.",
    ),
    Control("steps", "steps", "Run length (steps)", "count", 20, 600, 20),
)

CONTROLS: dict[str, Control] = {c.name: c for c in (*PRACTICE_CONTROLS, *ORGANIZATION, *RUN)}

_SCHEMA = AgoraConfig()

#: The default settings of one organization (the default scenario, hybrid practices). Settings
#: are typed ``dict[str, Any]``: a value's type is its control's kind (a str for a choice, a bool
#: for a flag, an int for a count, a float for a share).
DEFAULTS: dict[str, Any] = {
    "regime": "hybrid",
    "mix": 0.5,
    **{k: getattr(resolve_regime(RegimeConfig()), k) for k in PRACTICES},
    "voice": _SCHEMA.population.voice,
    "reply": _SCHEMA.population.reply,
    "voice_access": _SCHEMA.openness.voice,
    "size": 200,
    "stakeholders": 50,
    "depth": _SCHEMA.hierarchy.depth,
    "routing": "direct",
    "attention": _SCHEMA.population.attention,
    "openness_internal": 0.5,
    "openness_external": 0.5,
    "seed": 0,
    "steps": 200,
}

#: The practices each regime end sets (:data:`sim.config.regimes.ENDS`).
ENDS_OF = ENDS


def preset(regime: str, mix: float = 0.5) -> dict[str, Any]:
    """The practice values of a regime (an end, or hybrid at ``mix``), as settings.

    >>> preset("hybrid", 0.25)["broadcast_rate"]
    0.8
    """
    if regime not in REGIMES:
        raise ValueError(f"regime={regime!r} is unknown: one of {REGIMES}")
    resolved = resolve_regime(RegimeConfig(name=regime, mix=float(mix)))
    return {"regime": regime, "mix": resolved.mix, **{k: getattr(resolved, k) for k in PRACTICES}}


def with_preset(settings: Mapping[str, Any], regime: str, mix: float | None = None) -> dict:
    """``settings`` with the practices of ``regime`` (people's and openness keys untouched)."""
    mix = settings.get("mix", 0.5) if mix is None else mix
    return {**settings, **preset(regime, mix)}


def changed_practices(settings: Mapping[str, Any]) -> list[str]:
    """The regime practices that differ from the preset the settings start from."""
    base = preset(str(settings["regime"]), float(settings.get("mix", 0.5)))
    return [k for k in PRACTICES if settings.get(k) != base[k]]


def _num(value: float) -> str:
    """A float as Hydra reads it back exactly, without binary noise (0.1 + 0.2 -> 0.3)."""
    return repr(round(float(value), 6))


def complete(settings: Mapping[str, Any] | None = None, **more) -> dict[str, Any]:
    """Every setting: those given, the practices of their regime, then :data:`DEFAULTS`.

    Practices not given come from the regime given (so ``regime="conversational"`` alone is
    the conversational end), everything else from the defaults.

    >>> complete(regime="conversational")["upward"], complete(upward="chain")["upward"]
    ('voice', 'chain')
    """
    given = {**(settings or {}), **more}
    unknown = sorted(set(given) - set(CONTROLS))
    if unknown:
        raise ValueError(f"unknown control(s) {unknown}: one of {list(CONTROLS)}")
    regime = given.get("regime", DEFAULTS["regime"])
    if regime not in REGIMES:
        raise ValueError(f"regime={regime!r} is unknown: one of {REGIMES}")
    return {**DEFAULTS, **preset(str(regime), float(given.get("mix", DEFAULTS["mix"]))), **given}


def clamp(control: Control, value: Any) -> Any:
    """``value`` brought inside what the control offers (the slider's range, an integer for a
    count); the server's own bound, whatever a browser sends.

    >>> clamp(CONTROLS["size"], 50_000), clamp(CONTROLS["steps"], -3), clamp(CONTROLS["voice"], 2)
    (1000, 20, 1.0)
    >>> clamp(CONTROLS["seed"], 7.6), clamp(CONTROLS["voting"], 0)
    (8, False)
    >>> clamp(CONTROLS["size"], float("nan"))
    Traceback (most recent call last):
    ...
    ValueError: size=nan is not a number in [20, 1000]
    """
    if control.kind == "flag":
        return bool(value)
    if control.kind == "choice":
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(
            f"{control.name}={value!r} is not a number in [{control.low:g}, {control.high:g}]"
        )
    number = min(max(number, control.low), control.high)
    return int(round(number)) if control.kind == "count" else round(number, 6)


def bounded(settings: Mapping[str, Any]) -> dict[str, Any]:
    """``settings`` with every number inside its control's range (see :func:`clamp`).

    >>> b = bounded({"size": 10**6, "stakeholders": -5, "steps": 10**5, "regime": "broadcast"})
    >>> b["size"], b["stakeholders"], b["steps"], b["regime"]
    (1000, 0, 600, 'broadcast')
    """
    return {
        name: clamp(CONTROLS[name], value) if name in CONTROLS else value
        for name, value in settings.items()
    }


def _check(settings: Mapping[str, Any]) -> dict[str, Any]:
    s = complete(settings)
    for name, control in CONTROLS.items():
        if control.kind == "choice" and s[name] not in control.choices:
            raise ValueError(f"{name}={s[name]!r} is unknown: one of {control.choices}")
    return s


def app_overrides(settings: Mapping[str, Any] | None = None, **more) -> list[str]:
    """The Hydra overrides of ``agora run`` that give the model of these settings.

    Settings not given take their :data:`DEFAULTS`. Routing picks the ``hierarchy`` option
    (``chain`` brings its relay and distortion), the depth is set on top of it.

    >>> app_overrides(routing="chain", depth=3)[-9:-6]
    ['hierarchy=chain', 'hierarchy.depth=3', 'population.attention=5']
    >>> try:
    ...     app_overrides(colour="red")
    ... except ValueError as err:
    ...     print(str(err).split(":")[0])
    unknown control(s) ['colour']
    """
    s = _check({**(settings or {}), **more})
    out = [f"regime={s['regime']}"]
    if s["regime"] == "hybrid":
        out.append(f"regime.mix={_num(s['mix'])}")
    for c in PRACTICE_CONTROLS[2:]:
        value = s[c.name]
        if c.kind == "flag":
            out.append(f"{c.key}={'true' if value else 'false'}")
        elif c.kind == "choice":
            out.append(f"{c.key}={value}")
        else:
            out.append(f"{c.key}={_num(value)}")
    out += [
        f"hierarchy={s['routing']}",
        f"hierarchy.depth={int(s['depth'])}",
        f"population.attention={int(s['attention'])}",
        f"openness.internal={_num(s['openness_internal'])}",
        f"openness.external={_num(s['openness_external'])}",
        f"org.size={int(s['size'])}",
        f"stakeholders.count={int(s['stakeholders'])}",
        f"steps={int(s['steps'])}",
        f"seed={int(s['seed'])}",
    ]
    return out


def format_value(control: Control, value) -> str:
    """A control's value as shown beside its label.

    >>> format_value(CONTROLS["responsiveness"], 0.6), format_value(CONTROLS["voting"], True)
    ('0.60', 'on')
    """
    if control.kind == "flag":
        return "on" if value else "off"
    if control.kind == "share":
        return f"{float(value):.2f}"
    if control.kind == "count":
        return str(int(value))
    return str(value)


def describe(settings: Mapping[str, Any]) -> str:
    """The settings in one line of plain words.

    >>> describe(with_preset(DEFAULTS, "conversational"))[:60]
    'conversational: broadcasts 0.20, pressure to conform 0.20, s'
    """
    s = _check(settings)
    name = s["regime"] + (f" (mix {float(s['mix']):.2f})" if s["regime"] == "hybrid" else "")
    practices = ", ".join(
        f"{c.label.lower()} {format_value(c, s[c.name])}" for c in PRACTICE_CONTROLS[2:]
    )
    return (
        f"{name}: {practices}; {int(s['size'])} people in {int(s['depth'])} levels "
        f"({s['routing']} routing), {int(s['stakeholders'])} stakeholders, ties across units "
        f"{float(s['openness_internal']):.2f}, attention {int(s['attention'])}; seed "
        f"{int(s['seed'])}"
    )
