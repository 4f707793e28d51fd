"""Levels of communication: where an intervention acts and where its effects show.

The essays speak of three levels: the *individual* (members: their voice, engagement, trust,
their use of the platform), the *organizational* (its practices, its code, how it learns) and
the *economic* (stakeholders: how well they are served, the value created and how it is
shared). "Shift one level of communication and you nudge them all" becomes a measured claim:
the level(s) an intervention's keys belong to, and which metrics of every level end clearly
different (the 95% interval of the difference excludes zero). :func:`levels_section` writes
that as a section of the what-if report.

Examples
--------
>>> level_of_key("population.voice"), level_of_key("regime.responsiveness")
('individual', 'organizational')
>>> level_of_key("value.bargaining")
'economic'
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pandas as pd

from sim.rules.catalogue import LEVELS, record

__all__ = ["LEVELS", "level_of_key", "levels_section"]

#: Key prefixes by level; the first that matches wins (stakeholder-facing openness first).
_KEY_LEVEL = (
    ("openness.hear_stakeholders", "economic"),
    ("openness.external", "economic"),
    ("openness.inter_org", "economic"),
    ("value.", "economic"),
    ("stakeholders.", "economic"),
    ("population.", "individual"),
    ("platform.", "individual"),
    ("leadership.", "individual"),
    ("openness.voice", "individual"),
    ("regime", "organizational"),
    ("org.", "organizational"),
    ("hierarchy", "organizational"),
    ("openness", "organizational"),
)


def level_of_key(key: str) -> str:
    """The level a configuration key (or group) belongs to; ``organizational`` by default."""
    for prefix, level in _KEY_LEVEL:
        if key.startswith(prefix):
            return level
    return "organizational"


def _clear(row: Mapping) -> bool:
    lo, hi = row["diff_ci_low"], row["diff_ci_high"]
    if any(isinstance(v, float) and math.isnan(v) for v in (lo, hi)):
        return False
    return lo > 0 or hi < 0


def levels_section(table: pd.DataFrame, changes: Sequence[Mapping]) -> list[str]:
    """Markdown lines: the level(s) the intervention acts at, and per level the metrics that
    end clearly different (with the difference), out of those measured there."""
    acted = sorted({level_of_key(k) for c in changes for k in c["set"]}, key=LEVELS.index)
    lines = [
        "## Levels",
        "",
        f"The intervention acts at the {' and '.join(acted)} "
        f"level{'s' if len(acted) > 1 else ''} (by the keys it changes). Its effects at "
        "the end, level by level (clear: the 95% interval of the difference excludes "
        "zero):",
        "",
    ]
    reached = []
    for level in LEVELS:
        rows = table[table["metric"].map(lambda m: record(m).level) == level]
        rows = rows[rows["baseline_mean"].notna() | rows["intervention_mean"].notna()]
        clear = [r for _, r in rows.iterrows() if _clear(r)]
        if clear:
            reached.append(level)
        words = ", ".join(f"{r['metric']} ({r['diff']:+.3g})" for r in clear) or "none"
        # A list, not a table: the report's one table is every metric's.
        lines.append(
            f"- **{level}** ({'acted on' if level in acted else 'not acted on'}; "
            f"{len(rows)} metrics measured): clearly different: {words}"
        )
    others = [lv for lv in LEVELS if lv not in acted]
    moved = [lv for lv in others if lv in reached]
    lines += [
        "",
        (
            f"Shift one level, nudge them all: **{'yes' if moved == others else 'no'}** "
            f"here; of the other levels ({', '.join(others) or 'none'}), "
            f"{', '.join(moved) or 'none'} moved clearly."
        ),
    ]
    return [*lines, ""]
