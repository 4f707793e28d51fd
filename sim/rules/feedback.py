"""Engagement and trust from what agents experience, never from the regime's name.

Engagement (the voice literature: Folger 1977's voice and frustration effects; contributions
track the attention they get, Huberman, Romero & Wu 2009): being heard (a reply, an
endorsement, an answer, one's idea adopted) raises it; an idea that ends unanswered lowers it,
so voice repeatedly ignored leaves one below someone who never spoke; without interaction it
drifts back to a baseline. Model 3.0 accounts every channel both ways (a post ignored, a clear
broadcast, reading beyond one's capacity): the model sums the weighted events into one rise
and one fall per agent and passes them as ``heard`` and ``ignored`` with unit weights.

Trust in one's organization (Mayer, Davis & Schoorman 1995) is an assessment of three things,
each judged only where the person has evidence: *ability* (the code is right on what one has
seen first hand), *benevolence* (one's ideas answered or acted on) and *integrity* (what the
organization said fits what one has seen). Trust moves towards the mean of the assessed factors
at a rate per step, however many messages arrived.

Examples
--------
>>> import numpy as np
>>> e = np.array([0.5, 0.5, 0.5, 0.5])
>>> update_engagement(e, heard=np.array([True, False, False, True]),
...                   ignored=np.array([False, True, False, True]),
...                   baseline=0.5, gain=0.1, loss=0.1, drift=0.0).tolist()
[0.55, 0.45, 0.5, 0.5]
>>> share, defined = share_right(np.array([[1, -1, 0]]), np.array([[1, 1, 1]]))
>>> float(share[0]), bool(defined[0])
(0.3333333333333333, True)
"""

from __future__ import annotations

import numpy as np

from sim.util.constants import BLOCK_ROWS, ones32

__all__ = [
    "update_engagement",
    "share_right",
    "share_tallies",
    "share_of",
    "trust_target",
    "move_towards",
]


def update_engagement(
    engagement: np.ndarray,
    heard: np.ndarray | float,
    ignored: np.ndarray | float,
    baseline: float | np.ndarray,
    gain: float,
    loss: float,
    drift: float,
) -> np.ndarray:
    """One step of engagement: ``e + gain*heard*(1-e) - loss*ignored*e + drift*(baseline-e)``.

    ``heard`` and ``ignored`` are per-agent flags for this step; the result is kept in [0, 1].
    Someone ignored every step settles at ``drift*baseline/(drift+loss)``, below the baseline
    where someone who never speaks stays.
    """
    e = engagement
    out = e + drift * (baseline - e)
    out += gain * heard * (1 - e)
    out -= loss * ignored * e
    # In place: np.clip's dispatch costs more than the two bounds on a few hundred agents.
    np.minimum(out, 1.0, out=out)
    return np.maximum(out, 0.0, out=out)


def share_right(
    judged: np.ndarray, seen: np.ndarray, *, both: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the share of the dimensions seen (``seen != 0``) where ``judged`` equals what was
    seen, and whether anything was seen at all (where not, the share is 0 and not defined).

    With ``both``, only the dimensions where ``judged`` says something count (what one was told
    is judged on what it spoke about).

    >>> share, ok = share_right(np.array([[1, 0, 1]]), np.array([[1, 1, -1]]), both=True)
    >>> float(share[0]), bool(ok[0])
    (0.5, True)
    """
    right, spoken, looked = _tallies(judged, seen, looked=not both)
    if both:
        return share_of(right, spoken)
    assert looked is not None  # tallied where asked
    return share_of(right, looked)


def share_tallies(
    judged: np.ndarray, seen: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row, what :func:`share_right` counts: the dimensions where ``judged`` is right, those
    where both speak, and those seen (float32, exact small integers).

    One conversion serves both readings: ``share_of(right, spoken)`` is ``share_right(...,
    both=True)``, ``share_of(right, looked)`` is ``share_right(...)``; any subset of rows may
    be taken from the tallies first (a row's figures depend on that row alone). ``judged``
    may be one row for all of ``seen``, one per row, or one per block of rows: ``(R, m)``
    against ``seen`` of ``(R, N, m)``.

    >>> right, spoken, looked = share_tallies(np.array([1, 0, 1]), np.array([[1, 1, -1]]))
    >>> right.tolist(), spoken.tolist(), looked.tolist()
    ([1.0], [2.0], [3.0])
    >>> [float(x[0]) for x in share_of(right, spoken)]
    [0.5, 1.0]
    """
    right, spoken, looked = _tallies(judged, seen, looked=True)
    assert looked is not None  # tallied where asked
    return right, spoken, looked


def share_of(right: np.ndarray, looked: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The share right of what was looked at (0 where nothing was), and where it is defined.

    >>> share, ok = share_of(np.array([1.0, 0.0], np.float32), np.array([4.0, 0.0], np.float32))
    >>> share.tolist(), ok.tolist()
    ([0.25, 0.0], [True, False])
    """
    return np.divide(right, np.maximum(looked, 1), dtype=np.float64), looked > 0


def _tallies(
    judged: np.ndarray, seen: np.ndarray, *, looked: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Right, spoken and (where ``looked``) seen per row, as float32: see :func:`share_tallies`.

    Block of rows by block of rows: a row's figures depend on that row alone.

    >>> [t.tolist() for t in _tallies(np.array([1, -1]), np.array([[1, 1], [0, -1]]), looked=True)]
    [[1.0, 1.0], [2.0, 1.0], [2.0, 1.0]]
    """
    judged, seen = np.asarray(judged), np.asarray(seen)
    n = seen.shape[0] if seen.ndim == 2 else 0
    rowwise = judged.ndim == 2 and judged.shape[0] == n
    if n <= BLOCK_ROWS or not (judged.ndim == 1 or rowwise):
        return _tallies_at_once(judged, seen, looked=looked)
    out = [np.empty(n, dtype=np.float32) for _ in range(3 if looked else 2)]
    for start in range(0, n, BLOCK_ROWS):
        block = slice(start, start + BLOCK_ROWS)
        j = judged if judged.ndim == 1 else judged[block]
        parts = _tallies_at_once(j, seen[block], looked=looked)[: len(out)]
        for whole, part in zip(out, parts, strict=True):
            whole[block] = part
    return out[0], out[1], out[2] if looked else None


def _tallies_at_once(
    judged: np.ndarray, seen: np.ndarray, *, looked: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """:func:`_tallies` over every row in one pass."""
    # With values in {-1, 0, +1} the product is +1 where judged is right, -1 where it is wrong
    # and 0 where either is silent: right = (sum + sum of |.|) / 2. Inputs may be stored in
    # int8 (the model's ``seen`` and ``told``); one pass converts them to float32, whose
    # products sum these small integers exactly in BLAS (row-wise: as dots), far faster than
    # counting along an axis; one judged row (one organization's code) is a matrix-vector
    # product.
    seen_count = None
    if judged.ndim >= 2 and judged.ndim == seen.ndim - 1:
        # One judged row per block of rows (each world's code against its nodes, sim.batch):
        # the one-vector products below, block by block.
        s = seen.astype(np.float32)
        j = judged.astype(np.float32)[..., None]
        net = np.matmul(s, j)[..., 0]
        spoken = np.matmul(np.abs(s, out=s), np.abs(j))[..., 0]
        if looked:
            seen_count = s @ ones32(s.shape[-1])
    elif judged.ndim == 1:
        s = seen.astype(np.float32)  # a copy: made absolute in place below
        j = judged.astype(np.float32)
        net = s @ j
        spoken = np.abs(s, out=s) @ np.abs(j)
        if looked:
            seen_count = s @ ones32(j.size)
    else:
        # Row-wise: the product is itself in {-1, 0, +1} (exact in int8), and |j s| = |j| |s|.
        product = np.multiply(judged, seen).astype(np.float32, copy=False)
        ones = ones32(seen.shape[-1])
        net = product @ ones
        spoken = np.abs(product, out=product) @ ones
        if looked:
            seen_count = np.abs(seen).astype(np.float32, copy=False) @ ones
    return (net + spoken) / 2, spoken, seen_count


def trust_target(*factors: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The mean of the factors each agent has evidence for, and whether it has any.

    Each factor is ``(value, defined)``, with ``value`` finite everywhere (what it holds where
    not defined is ignored); factors are weighted equally (an assumption: see
    ``docs/odd.md``).

    >>> t, ok = trust_target((np.array([1.0, 0.2]), np.array([True, False])),
    ...                      (np.array([0.5, 0.0]), np.array([True, False])))
    >>> t.tolist(), ok.tolist()
    ([0.75, 0.0], [True, False])
    """
    total = np.zeros_like(factors[0][0], dtype=float)
    count = np.zeros(total.shape, dtype=np.int64)
    for value, defined in factors:
        total += value * defined  # finite values: the product masks like np.where, faster
        count += defined
    return total / np.maximum(count, 1), count > 0


def move_towards(x: np.ndarray, target: np.ndarray, rate: float, where: np.ndarray) -> np.ndarray:
    """``x`` moved by ``rate`` of the way to ``target`` where ``where`` holds, else unchanged."""
    return np.where(where, x + rate * (target - x), x)
