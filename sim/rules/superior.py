"""Learning from superior contacts, dimension by dimension (Fang, Lee & Schilling 2010).

Under ``population.peer_rule=learn_superior`` a post carries the poster's whole solution (its
belief vector), as under ``imitate``. A member compares its own score on the task with the
scores of the colleagues whose posts it read this step (its contacts over the network's peer
ties; with ``population.audience=all`` every contact who posted) and, on each dimension, takes
the value held by the majority of those who score strictly higher than itself, with chance
``population.peer_influence`` per dimension. A member no contact outscores keeps its beliefs;
a dimension where the superior contacts are split evenly (or hold no belief) is left alone.

This is March's (1991) code learning from the superior group carried to a member and its
contacts, the reading of Fang, Lee and Schilling's abstract (Organization Science 21(3), p. 625:
"enabling superior ideas to diffuse across groups"); the rule's details are assumptions, listed
in ``docs/odd.md`` (the ``population.peer_rule`` row): the paper's model section could not be
read through our search tool.

Every function here is pure: arrays in, arrays out; the uniforms are drawn by the caller.

Examples
--------
>>> import numpy as np
>>> b = np.array([[1, 1, 1], [-1, -1, 1]], dtype=np.int8)
>>> # Member 0 (score 0.2) read three posts, two from better members; member 1 (0.9) one worse.
>>> reader = np.array([0, 0, 0, 1])
>>> values = np.array([[-1, 1, -1], [-1, -1, 1], [1, 1, 1], [1, 1, 1]], dtype=np.int8)
>>> score = np.array([0.5, 0.6, 0.1, 0.3])
>>> learn_superior(b, np.array([0.2, 0.9]), reader, values, score, 1.0, np.zeros).tolist()
[[-1, 1, 1], [-1, -1, 1]]
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim.rules.influence import peer_candidates, sum_by_receiver

__all__ = ["superior_majority", "learn_superior"]


def superior_majority(
    own: np.ndarray, reader: np.ndarray, values: np.ndarray, score: np.ndarray
) -> np.ndarray:
    """Per reader and dimension, the sum of the values told by contacts who outscore it.

    Its sign is the superior contacts' majority (0: none, or evenly split). ``own`` is each
    node's score, ``reader``, ``values`` and ``score`` are per message read.
    """
    superior = score > own[reader]
    return sum_by_receiver(reader[superior], values[superior], own.size)


def learn_superior(
    beliefs: np.ndarray,
    own: np.ndarray,
    reader: np.ndarray,
    values: np.ndarray,
    score: np.ndarray,
    rate: float,
    draw: Callable[[int], np.ndarray],
) -> np.ndarray:
    """Take the superior contacts' majority value on each dimension where it differs from
    one's own, with chance ``rate`` per dimension.

    Parameters
    ----------
    beliefs
        ``(n, m)`` solutions of every node.
    own
        ``(n,)`` score of each node's solution.
    reader, values, score
        Per message read: who read it, the solution it carried and that solution's score.
    rate
        Chance per dimension that a node adopts its superior contacts' majority value.
    draw
        ``draw(count)`` returns ``count`` uniforms, one per candidate cell (a node and a
        dimension where the superior majority differs from its belief), in C order; always
        called, so the number of draws does not depend on ``rate``.

    Returns
    -------
    The beliefs after learning (a new array; ``beliefs`` is not changed).
    """
    heard = superior_majority(own, reader, values, score)
    cells = peer_candidates(beliefs, heard)
    chosen = cells.reshape(-1).nonzero()[0]
    chosen = chosen[draw(chosen.size) < rate]
    out = beliefs.copy()
    # Adopt the value itself (not March's one step towards it): the superior contacts' view.
    out.reshape(-1)[chosen] = np.sign(heard.reshape(-1)[chosen]).astype(beliefs.dtype)
    return out
