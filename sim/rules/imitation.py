"""Payoff-conditioned imitation and local search (Lazer & Friedman 2007).

Under ``population.peer_rule=imitate`` a member reads its colleagues' posted solutions (whole
belief vectors) and their scores. If the best one it read this step scores higher than its
own solution, it copies that solution whole (with probability ``population.peer_influence``,
Lazer and Friedman's information velocity; 1 in their basic model). Otherwise it keeps the
result of its own local search: in the experience phase it flipped one random dimension and
keeps the change only if the flipped solution scores higher (:func:`improving_trials`).

Every function here is pure: arrays in, arrays out; the uniforms are drawn by the caller.

Examples
--------
>>> import numpy as np
>>> best, idx = best_read(np.array([0, 0, 2]), np.array([0.3, 0.7, 0.1]), 3)
>>> best.tolist(), idx.tolist()
([0.7, -inf, 0.1], [1, -1, 2])
>>> b = np.array([[1, 1], [-1, -1]], dtype=np.int8)
>>> new, copied = imitate(b, np.array([0.2, 0.9]), np.array([0, 1]),
...                       np.array([[-1, 1], [1, 1]], dtype=np.int8), np.array([0.5, 0.4]))
>>> new.tolist(), copied.tolist()
([[-1, 1], [-1, -1]], [True, False])
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim.rules.landscape import flip

__all__ = ["best_read", "imitate", "improving_trials"]


def best_read(reader: np.ndarray, score: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per node, the highest score among the messages it read and that message's index.

    Nodes that read nothing get ``-inf`` and ``-1``. Among equal scores the message read first
    wins (a stable sort), as when one scans one's neighbours in order.
    """
    best = np.full(n, -np.inf)
    idx = np.full(n, -1, dtype=np.int64)
    if reader.size == 0:
        return best, idx
    order = np.lexsort((-score, reader))  # by reader, then score descending, stable
    r = reader[order]
    first = np.ones(order.size, dtype=bool)
    first[1:] = r[1:] != r[:-1]
    pick = order[first]
    best[reader[pick]] = score[pick]
    idx[reader[pick]] = pick
    return best, idx


def imitate(
    beliefs: np.ndarray,
    own: np.ndarray,
    reader: np.ndarray,
    values: np.ndarray,
    score: np.ndarray,
    rate: float = 1.0,
    draw: Callable[[int], np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Copy the best-scoring solution read where it scores higher than one's own.

    Parameters
    ----------
    beliefs
        ``(n, m)`` solutions of every node.
    own
        ``(n,)`` score of each node's solution.
    reader, values, score
        Per message read: who read it, the solution it carried and that solution's score.
    rate
        Chance that a node which read a better solution copies it (information velocity).
    draw
        ``draw(count)`` returns ``count`` uniforms, one per node that read a better solution,
        in node order (the model passes its Generator's ``random``); called only when
        ``rate < 1``, so nothing is drawn in Lazer and Friedman's basic model.

    Returns
    -------
    new_beliefs, copied
        The beliefs after copying and a boolean mask of the nodes that copied.
    """
    n = beliefs.shape[0]
    best, idx = best_read(reader, score, n)
    copied = best > own
    if rate < 1:
        if draw is None:
            raise ValueError(f"rate={rate} < 1 needs draw, the uniform draws of who copies")
        rows = copied.nonzero()[0]
        copied[rows[draw(rows.size) >= rate]] = False
    out = beliefs.copy()
    rows = copied.nonzero()[0]
    out[rows] = values[idx[rows]]
    return out, copied


def improving_trials(
    beliefs: np.ndarray,
    own: np.ndarray,
    rows: np.ndarray,
    dims: np.ndarray,
    score_of: Callable[[np.ndarray], np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """Local search: flip dimension ``dims[j]`` of row ``rows[j]``; keep the trials that score
    strictly higher than ``own[rows[j]]``.

    Returns the rows whose trial improved and their trial solutions.
    """
    if rows.size == 0:
        return rows, beliefs[rows]
    trial = flip(beliefs, rows, dims)
    better = score_of(trial) > own[rows]
    return rows[better], trial[better]
