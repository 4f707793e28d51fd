"""Decision rights: who decides a change of the code.

Under ``regime.decision=leaders`` (the default) the code changes as March's learning rule and
the leadership's learning rate say. Under ``vote`` a change on a dimension also needs the
members' votes: among the ideas considered that speak about the dimension, the votes their
authors' posts received this step (``votes``) must number at least ``regime.quorum`` and more
than half of them must back the new value. This makes "democratic participation" a decision
right rather than a ranking; the rule (simple majority of votes cast, with a quorum) is an
assumption stated here, not taken from a source.

No draws. The metric ``decisions_by_vote`` counts the changes ratified by vote this step.

Examples
--------
>>> import numpy as np
>>> contrib = np.array([[1, 0], [-1, 1], [1, 1]])
>>> ratify(np.array([True, True]), np.array([1, 1]), contrib, np.array([3, 1, 0]), 2).tolist()
[True, False]
"""

from __future__ import annotations

import numpy as np

__all__ = ["ratify"]


def ratify(
    changed: np.ndarray, new_code: np.ndarray, contrib: np.ndarray, votes: np.ndarray, quorum: int
) -> np.ndarray:
    """The changes that pass the vote: per changed dimension, votes behind the ideas about it
    at least ``quorum``, and more than half of them behind the new value.

    ``contrib`` is one row per idea considered, ``votes`` the votes each idea's author got.
    """
    speaks = contrib != 0
    cast = votes.astype(float) @ speaks
    backing = votes.astype(float) @ (speaks & (contrib == new_code))
    return changed & (cast >= quorum) & (backing > cast / 2)
