"""Engagement and trust feedback: being heard draws people in, being ignored pushes them out.

Examples
--------
>>> import numpy as np
>>> e = np.array([0.5, 0.5, 0.5])
>>> update_engagement(e, sent=np.array([True, True, False]),
...                   heard=np.array([True, False, False]), gain=0.1, loss=0.1).tolist()
[0.55, 0.45, 0.5]
>>> float(broadcast_fit(np.array([[1, 1, 0]]), np.array([[1, -1, -1]]))[0])
0.0
"""

from __future__ import annotations

import numpy as np

from sim.util.constants import ones32

__all__ = ["update_engagement", "broadcast_fit", "nudge"]


def update_engagement(
    engagement: np.ndarray, sent: np.ndarray, heard: np.ndarray, gain: float, loss: float
) -> np.ndarray:
    """Heard agents move towards 1 by ``gain``; those who spoke unheard towards 0 by ``loss``."""
    up = engagement + gain * (1 - engagement)
    down = engagement - loss * engagement
    return np.where(heard, up, np.where(sent, down, engagement))


def broadcast_fit(beliefs: np.ndarray, said: np.ndarray) -> np.ndarray:
    """How well what was said fits what each receiver knows, in [-1, 1].

    (agreements - contradictions) over the dimensions where both the message and the receiver
    hold a view; 0 where they share none. With values in {-1, 0, +1} the product ``b * s`` is
    +1 for an agreement, -1 for a contradiction and 0 where either is silent.
    """
    # float32 products sum these small integers exactly and run in BLAS, far faster than an
    # integer reduction over the last axis; the division is done in float64.
    product = (beliefs * said).astype(np.float32)
    ones = ones32(product.shape[-1])
    net, total = product @ ones, np.abs(product) @ ones
    return np.divide(net, np.maximum(total, 1), dtype=np.float64)


def nudge(x: np.ndarray, direction: np.ndarray, rate: float) -> np.ndarray:
    """Move values in [0, 1] towards 1 (direction > 0) or 0 (< 0), in proportion to room left."""
    room = np.where(direction > 0, 1 - x, x)
    return np.minimum(np.maximum(x + rate * direction * room, 0.0), 1.0)
