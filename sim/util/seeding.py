"""Seeds: one root seed, independent replicate seeds spawned from it, each one re-runnable alone.

Examples
--------
>>> replicate_seeds(0, 2) == replicate_seeds(0, 3)[:2]
True
>>> all(0 <= s < 2**63 for s in replicate_seeds(12345, 4))
True
"""

from __future__ import annotations

import numpy as np

__all__ = ["replicate_seeds", "as_generator"]


def replicate_seeds(root: int, n: int) -> list[int]:
    """Seeds of ``n`` replicates, spawned from ``root`` by ``numpy.random.SeedSequence``.

    Each is a non-negative int below 2**63 (it fits every Parquet integer column and JSON),
    and seeds the replicate's own Generator: ``numpy.random.default_rng(seed)``.
    """
    children = np.random.SeedSequence(root).spawn(n)
    return [int(c.generate_state(1, np.uint64)[0] >> np.uint64(1)) for c in children]


def as_generator(seed: int | np.random.Generator | None) -> np.random.Generator:
    """The one place a seed becomes a Generator (a Generator passes through unchanged)."""
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
