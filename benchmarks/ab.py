"""A/B runs: a benchmark's measurements with this checkout's code and another's, alternated.

A benchmark given ``--against DIR`` (the code before a change, e.g. ``git archive BASE | tar -x
-C DIR``) measures in fresh processes, each with one side's code first on its path
(:func:`code_env`, read back by :func:`code_root`), and alternates which side goes first round
by round (:func:`in_order`): the machine's speed drifts, and both sides see the same load; each
benchmark compares the sides' medians. Used by ``bench_scale.py``, ``bench_compare.py`` and
``bench_aggregate.py``.

>>> sides = checkouts("/tmp/base")
>>> list(sides), in_order(sides, 0), in_order(sides, 1)
(['this', 'against'], ['this', 'against'], ['against', 'this'])
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

#: The checkout whose code a measuring process runs (set by :func:`code_env`).
CODE = "AGORA_BENCH_CODE"
#: This checkout.
ROOT = Path(__file__).resolve().parent.parent


def code_root() -> Path:
    """The checkout this process measures: the one :func:`code_env` named, else this one."""
    return Path(os.environ.get(CODE) or ROOT)


def code_env(code: Path) -> dict[str, str]:
    """The environment of a process measuring the checkout ``code``: named for
    :func:`code_root`, and first on the path of every process it starts (its workers)."""
    path = os.pathsep.join(p for p in (str(code), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, CODE: str(code), "PYTHONPATH": path}


def checkouts(against: str | None) -> dict[str, Path]:
    """The sides: ``this`` checkout, and ``against`` (resolved) when given."""
    sides = {"this": ROOT}
    if against:
        sides["against"] = Path(against).resolve()
    return sides


def in_order(sides: Mapping[str, Path], round_: int) -> list[str]:
    """The sides in the order they run in round ``round_``: who goes first alternates."""
    names = list(sides)
    return names if round_ % 2 == 0 else names[::-1]
