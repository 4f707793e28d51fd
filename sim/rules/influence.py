"""Peer influence: receivers follow the majority of what their peers told them.

Examples
--------
>>> import numpy as np
>>> b = np.array([[1, -1, 0]], dtype=np.int8)
>>> heard = np.array([[-2, -1, 1]])
>>> peer_majority(b, heard, 1.0, np.zeros(2)).tolist()
[[0, -1, 1]]
"""

from __future__ import annotations

import numpy as np

__all__ = ["sum_by_receiver", "peer_candidates", "peer_majority"]


def sum_by_receiver(receiver: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Per receiver and dimension, the sum of the values it heard: an ``(n, m)`` int array."""
    m = values.shape[1]
    if receiver.size == 0:
        return np.zeros((n, m), dtype=np.int32)
    # A message speaks about a few dimensions: one bincount over the (receiver, dimension)
    # cells it actually fills is far faster than np.add.at or a dense pass.
    flat = values.reshape(-1).nonzero()[0]
    rows = flat // m
    # The cell (receiver, dimension) of message cell (row, dimension) is flat + (receiver - row) m.
    cell = flat + (receiver[rows] - rows) * m
    sums = np.bincount(cell, weights=values.reshape(-1)[flat], minlength=n * m)
    return sums.reshape(n, m).astype(np.int32)


def peer_candidates(beliefs: np.ndarray, heard: np.ndarray) -> np.ndarray:
    """Cells where the majority of what was heard differs from the belief (ties excluded)."""
    majority = np.sign(heard)
    return (majority != 0) & (beliefs != majority)


def peer_majority(
    beliefs: np.ndarray,
    heard: np.ndarray,
    rate: float,
    u: np.ndarray,
    candidates: np.ndarray | None = None,
) -> np.ndarray:
    """Step towards the sign of what was heard, where it differs, with probability ``rate``.

    Ties (equal numbers for and against) leave a belief alone. ``u`` holds one uniform per
    cell of :func:`peer_candidates`, in C order. One step from ``b`` towards a different
    non-zero ``s`` is ``b + s`` (opposite -> 0 -> s). ``candidates`` may be passed when the
    caller has already computed them.
    """
    if candidates is None:
        candidates = peer_candidates(beliefs, heard)
    cells = candidates.reshape(-1).nonzero()[0][u < rate]  # flat indices, in C order like ``u``
    out = beliefs.copy()
    out.reshape(-1)[cells] += np.sign(heard.reshape(-1)[cells]).astype(np.int8)
    return out
