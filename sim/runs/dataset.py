"""Old path of :mod:`sim.exec.dataset` (``sim.runs.dataset.write_dataset(sweep_dir)``).

Every name is read from there: the same objects, not copies.
"""

from typing import Any

from sim.exec import dataset as _moved


def __getattr__(name: str) -> Any:
    return getattr(_moved, name)


def __dir__() -> list[str]:
    return dir(_moved)
