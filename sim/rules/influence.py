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

__all__ = ["sum_by_receiver", "peer_candidates", "peer_majority", "follow_peers"]
__all__ += ["what_peers_said"]

_INT16_MAX = 32_767  # np.iinfo costs microseconds a call


def sum_by_receiver(receiver: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Per receiver and dimension, the sum of the values it heard: an ``(n, m)`` int array.

    int16 (int64 where a sum could pass 32,767): the smallest type that holds the sums and
    that ``np.add.at`` adds fast (its int8 loop is about 50 times slower).
    """
    m = values.shape[1]
    # A message speaks about a few dimensions: adding over the (receiver, dimension) cells it
    # fills touches those alone, where a bincount would write and convert a dense float array.
    # (nonzero over a bool mask is twice as fast as over the int8 values themselves.)
    values = values.reshape(-1)
    flat = np.not_equal(values, 0).nonzero()[0]
    said = values.take(flat)
    rows = flat // m
    # The cell (receiver, dimension) of message cell (row, dimension) is flat + (receiver - row) m.
    cell = flat + (receiver.take(rows) - rows) * m
    # No sum exceeds a receiver's messages times the largest value it can be told.
    largest = max(int(said.max(initial=0)), -int(said.min(initial=0)))
    bound = np.bincount(receiver, minlength=n).max(initial=0) * largest
    sums = np.zeros(n * m, dtype=np.int16 if bound <= _INT16_MAX else np.int64)
    np.add.at(sums, cell, said.astype(sums.dtype))  # same types: numpy's fast loop
    return sums.reshape(n, m)


def peer_candidates(beliefs: np.ndarray, heard: np.ndarray) -> np.ndarray:
    """Cells where the majority of what was heard differs from the belief (ties excluded)."""
    # The majority in the beliefs' own type (a sign fits int8): no wider comparison.
    majority = np.sign(heard).astype(beliefs.dtype, copy=False)
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


def follow_peers(
    beliefs: np.ndarray,
    receiver: np.ndarray,
    values: np.ndarray,
    rate: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """One step of :func:`peer_majority` towards what each receiver heard (``values[j]`` sent
    to ``receiver[j]``), drawing ``rng.random(k)`` for its ``k`` candidate cells: the same
    beliefs and the same draws as summing with :func:`sum_by_receiver` over all ``n`` rows.

    Only the rows that heard something can move, so the sums, candidates and moves are made
    on those rows alone (in increasing order: the candidates keep their C order), and whole
    arrays are touched only to copy the beliefs.

    >>> b = np.array([[1, -1], [0, 0], [1, 1]], dtype=np.int8)
    >>> v = np.array([[-1, 1], [-1, 0], [1, 1]], dtype=np.int8)
    >>> follow_peers(b, np.array([0, 0, 1]), v, 1.0, np.random.default_rng(0)).tolist()
    [[0, 0], [1, 1], [1, 1]]
    """
    rows, mine, heard, cells = what_peers_said(beliefs, receiver, values)
    moved = peer_majority(mine, heard, rate, rng.random(np.count_nonzero(cells)), cells)
    out = beliefs.copy()
    out[rows] = moved
    return out


def what_peers_said(beliefs: np.ndarray, receiver: np.ndarray, values: np.ndarray):
    """The rows that heard something (increasing), their beliefs, what they heard summed
    (:func:`sum_by_receiver`) and their candidate cells (:func:`peer_candidates`, in C order:
    one uniform each for :func:`peer_majority`)."""
    heard_by = np.zeros(beliefs.shape[0], dtype=bool)
    heard_by[receiver] = True
    rows = heard_by.nonzero()[0]  # increasing
    # Each receiver's place among the rows that heard something.
    place = np.cumsum(heard_by, dtype=np.int64)
    place -= 1
    heard = sum_by_receiver(place.take(receiver), values, rows.size)
    mine = beliefs.take(rows, axis=0)
    return rows, mine, heard, peer_candidates(mine, heard)
