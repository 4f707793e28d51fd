"""Time budgets: what each agent can still afford to do in a step (DESIGN section 7.1).

Each node has ``population.time`` units per step. Speaking (a post, an idea) is paid first,
reading next (what is left caps how many messages one reads), replies and votes last, from
what reading left. Every function here is pure: arrays in, arrays out, no draws.

Examples
--------
>>> import numpy as np
>>> keep, paid = afford(np.array([0, 0, 0, 1]), np.array([True, True, True, True]), 1.0,
...                     np.array([2.0, 0.5]))
>>> keep.tolist(), paid.tolist()
([True, True, False, False], [2.0, 0.0])
>>> reading_capacity(np.array([5, 5, 5]), np.array([6.0, 2.5, 0.0]), 1.0).tolist()
[5, 2, 0]
"""

from __future__ import annotations

import numpy as np

__all__ = ["afford", "capacity_left", "pay_for_speaking", "reading_capacity", "EPS"]

#: Slack for float sums of costs (0.25 + 0.25 + ... must still fit a budget of exactly 1).
EPS = 1e-9


def afford(
    who: np.ndarray, wants: np.ndarray, cost: float, budget: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Which wanted actions their agents can pay for, in the order given, and what each paid.

    ``who[j]`` would do action ``j`` if ``wants[j]``; each costs ``cost``. An agent pays for its
    wanted actions one after another while its budget lasts. An infinite budget affords all.

    Parameters
    ----------
    who
        Agent (index into ``budget``) of each action.
    wants
        Whether the action is wanted at all.
    cost
        Cost of one action (>= 0).
    budget
        Each agent's units left; not modified (the caller subtracts what was paid).
    """
    wants = np.asarray(wants, dtype=bool)
    if cost <= 0 or not wants.any():
        return wants.copy(), np.zeros(budget.size)
    w = who[wants]
    count = np.bincount(w, minlength=budget.size)
    over = count * cost > budget + EPS
    if not over.any():  # the usual case: everyone affords all it wants
        return wants.copy(), count * cost
    # Only the actions of agents who cannot pay for all are ranked (a few): rank of each
    # among its agent's, in the order given; those past the budget are cut.
    idx = np.flatnonzero(wants)
    tight = over[w]
    tw = w[tight]
    order = np.argsort(tw, kind="stable")
    ws = tw[order]
    rank = np.arange(ws.size) - np.searchsorted(ws, ws, side="left")
    cut = np.empty(ws.size, dtype=bool)
    cut[order] = (rank + 1) * cost > budget[ws] + EPS
    keep = wants.copy()
    keep[idx[tight][cut]] = False
    return keep, (count - np.bincount(tw[cut], minlength=budget.size)) * cost


def reading_capacity(attention: np.ndarray, budget: np.ndarray, cost: float) -> np.ndarray:
    """Messages each agent can read: its attention, or fewer when its time left is short."""
    if cost <= 0:
        return attention
    # Budgets are finite and >= 0 where this is called (time costs on); attention bounds it.
    affordable = np.floor(budget / cost + EPS)
    return np.minimum(affordable, attention).astype(np.int64)


def pay_for_speaking(
    n_nodes: int, posters: np.ndarray, voicers: np.ndarray, pop, budgeted: bool | np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A fresh budget of ``pop.time`` for each of ``n_nodes`` nodes (unlimited unless
    ``budgeted``: for all, or one flag per node), posting paid from it first, then voicing.
    Returns the budget left, the time each spent, and the masks of the posts (one per
    poster: to one or to all neighbours, paid as one post) and of the ideas that were
    affordable.

    >>> from types import SimpleNamespace
    >>> pop = SimpleNamespace(time=2.0, time_post=1.0, time_voice=2.0)
    >>> left, spent, posts, ideas = pay_for_speaking(2, np.array([0]), np.array([0, 1]), pop, True)
    >>> left.tolist(), spent.tolist(), posts.tolist(), ideas.tolist()
    ([1.0, 0.0], [1.0, 2.0], [True], [False, True])
    """
    budget = (
        np.where(budgeted, float(pop.time), np.inf)
        if isinstance(budgeted, np.ndarray)
        else np.full(n_nodes, pop.time if budgeted else np.inf)
    )
    poster = np.zeros(n_nodes, dtype=bool)
    poster[posters] = True
    poster &= budget >= pop.time_post - EPS
    budget -= poster * pop.time_post
    voice = budget[voicers] >= pop.time_voice - EPS
    budget[voicers[voice]] -= pop.time_voice
    spent = poster * pop.time_post
    spent[voicers[voice]] += pop.time_voice
    return budget, spent, poster[posters], voice


def capacity_left(
    capacity: np.ndarray,
    budget: np.ndarray,
    time_read: float,
    answer_cost: float,
    answer_load: np.ndarray,
) -> np.ndarray:
    """What each node and organization can read this step (``capacity``: the nodes' attention,
    then the organizations'): less for a node whose time left (``budget``, one per node) is
    short, and less for an organization by the time its answers of last step take
    (``answer_cost`` each, ``answer_load`` answers per organization).

    >>> capacity_left(np.array([5, 5, 4]), np.array([6.0, 2.5]), 1.0, 0.5, np.array([3]))
    array([5, 2, 2])
    """
    n_nodes = budget.size
    capacity = capacity.copy()
    capacity[:n_nodes] = reading_capacity(capacity[:n_nodes], budget, time_read)
    taken = np.ceil(answer_cost * answer_load - 1e-9).astype(np.int64)
    capacity[n_nodes:] = np.maximum(capacity[n_nodes:] - taken, 0)
    return capacity
