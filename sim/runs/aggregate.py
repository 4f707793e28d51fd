"""Old path of :mod:`sim.studies.aggregate` (``sim.runs.aggregate.aggregate(sweep_dir)``).

Every name is read from there: the same objects, not copies.
"""

from typing import Any

from sim.studies import aggregate as _moved


def __getattr__(name: str) -> Any:
    return getattr(_moved, name)


def __dir__() -> list[str]:
    return dir(_moved)
