"""Constant arrays the step asks for every time, built once per length and kept read-only.

The per-step arrays are small (hundreds of rows), so building ``np.ones(m)`` anew costs more
than the product it feeds; these helpers return the same read-only array for the same length.

Examples
--------
>>> ones32(3).tolist(), ranks(3).tolist()
([1.0, 1.0, 1.0], [1.0, 2.0, 3.0])
>>> ones32(3) is ones32(3)
True
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["BLOCK_ROWS", "ones32", "ranks"]

#: Rows of a ``(nodes, m)`` array a kernel handles at once at scale (socialization, the share
#: right's tallies, the knowledge metrics): about 250,000 cells at 30 dimensions, so a block's
#: temporaries (a float32 copy, indices, comparisons: a few MB) stay in cache and peak memory
#: does not grow with the organization. Whole-array passes at 1M members ran two to three
#: times slower (issue 26). Smaller arrays go in one pass.
BLOCK_ROWS = 8192


def _frozen(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


@functools.lru_cache(maxsize=64)
def ones32(n: int) -> np.ndarray:
    """``n`` float32 ones: BLAS sums small integers exactly through a product with them."""
    return _frozen(np.ones(n, dtype=np.float32))


@functools.lru_cache(maxsize=64)
def ranks(n: int) -> np.ndarray:
    """1, 2, ..., n as floats (the weights of the Gini coefficient)."""
    return _frozen(np.arange(1, n + 1, dtype=float))
