"""Stakeholders: how well the organization serves their needs, the value they get, and exit.

Examples
--------
>>> import numpy as np
>>> needs = np.array([[True, True, False], [False, False, True]])
>>> code = np.array([[1, -1, 1]]); reality = np.array([1, 1, 1])
>>> fit_to_each_org(needs, code, reality)[:, 0].tolist()  # satisfaction under organization 0
[0.5, 1.0]
"""

from __future__ import annotations

import numpy as np

__all__ = ["fit_to_each_org", "choose_switch"]


def fit_to_each_org(
    needs: np.ndarray, codes: np.ndarray, reality: np.ndarray, need_count: np.ndarray | None = None
) -> np.ndarray:
    """``(k, orgs)`` satisfaction each stakeholder would get from each organization: the share of
    its needs on which that organization's code is right.

    ``need_count`` (``max(needs.sum(-1), 1)``) may be passed when the caller keeps it.

    >>> needs = np.array([[True, True, False], [False, False, True]])
    >>> fit_to_each_org(needs, np.array([[1, -1, 1], [1, 1, -1]]), np.array([1, 1, 1])).tolist()
    [[0.5, 1.0], [1.0, 0.0]]
    """
    # Counts of needs met are small integers: exact in a float32 product (BLAS).
    weights = needs if needs.dtype == np.float32 else needs.astype(np.float32)
    right = (codes == reality).astype(np.float32)
    if need_count is None:
        need_count = np.maximum(np.count_nonzero(needs, axis=-1), 1)
    return (weights @ right.T) / need_count[:, None]


def choose_switch(
    current: np.ndarray, fits: np.ndarray, unserved: np.ndarray, u: np.ndarray, rate: float
) -> np.ndarray:
    """New organization of each stakeholder: unserved ones move, with probability ``rate``, to
    the organization that would serve them best, if that is better than the current one.

    >>> fits = np.array([[0.2, 0.9], [0.2, 0.1]])
    >>> choose_switch(np.array([0, 0]), fits, np.array([True, True]), np.zeros(2), 1.0).tolist()
    [1, 0]
    """
    best = fits.argmax(-1)
    better = fits[np.arange(current.size), best] > fits[np.arange(current.size), current]
    move = unserved & better & (u < rate)
    return np.where(move, best, current)
