"""A reporting forest as arrays: what an org chart file and a generated hierarchy both give.

Its own module so that the network builder (:mod:`sim.org.network`) can read an org chart
(:mod:`sim.org.orgchart`) and the chart reader can build a tree, without importing each other.

Examples
--------
>>> import numpy as np
>>> t = Tree(np.array([-1, 0, 0]), np.array([0, 1, 1]), np.array([-1, 0, 1]), np.zeros(3, int))
>>> t.size, t.n_units
(3, 2)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Tree"]


@dataclass
class Tree:
    """A reporting forest as arrays, one row per individual.

    ``manager`` is -1 at the top; ``unit`` is -1 for people above the units (the top of a tree
    of three or more levels), and every unit id is global across organizations.
    """

    manager: np.ndarray
    level: np.ndarray
    unit: np.ndarray
    org: np.ndarray

    @property
    def size(self) -> int:
        return int(self.manager.size)

    @property
    def n_units(self) -> int:
        return int(self.unit.max()) + 1 if self.size else 0
