"""Peer influence: receivers follow the majority of what their peers told them.

Examples
--------
>>> import numpy as np
>>> b = np.array([[1, -1, 0]], dtype=np.int8)
>>> heard = np.array([[-2, -1, 1]])
>>> peer_majority(b, heard, 1.0, np.zeros((1, 3))).tolist()
[[0, -1, 1]]
"""

from __future__ import annotations

import numpy as np

from sim.learning import step_towards

__all__ = ["sum_by_receiver", "peer_majority"]


def sum_by_receiver(receiver: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Per receiver and dimension, the sum of the values it heard: an ``(n, m)`` int array."""
    m = values.shape[1]
    if receiver.size == 0:
        return np.zeros((n, m), dtype=np.int32)
    # One bincount over (receiver, dimension) cells is far faster than np.add.at.
    cell = (receiver[:, None] * m + np.arange(m)).ravel()
    sums = np.bincount(cell, weights=values.ravel().astype(np.float64), minlength=n * m)
    return sums.reshape(n, m).astype(np.int32)


def peer_majority(beliefs: np.ndarray, heard: np.ndarray, rate: float, u: np.ndarray) -> np.ndarray:
    """Step towards the sign of what was heard, where it differs, with probability ``rate``.

    Ties (equal numbers for and against) leave a belief alone.
    """
    majority = np.sign(heard).astype(np.int8)
    move = (majority != 0) & (beliefs != majority) & (u < rate)
    return step_towards(beliefs, majority, move)
