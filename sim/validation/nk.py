"""Lazer & Friedman's (2007) parallel problem solving on networks: an independent reference.

The task is Kauffman's NK landscape (:class:`sim.rules.landscape.NKLandscape`, re-exported
here; the model uses the same class under ``environment.landscape=nk``). A solution is a string
of ``N`` bits, held as one integer (bit ``i`` = locus ``i``). ``K`` tunes ruggedness: ``K = 0``
has one peak, large ``K`` many local peaks.

The search rule here (:func:`lazer_friedman`) is written on padded neighbour lists and integer
codes, sharing no code with the model's peer channel (:mod:`sim.rules.imitation`), so the
docking in :mod:`sim.validation.lazer_friedman` compares two implementations.

Lazer & Friedman give each of ``n`` agents a random solution. Every round, each agent looks at
its network neighbours: if one scores higher it copies the best one (exploitation), otherwise
it flips one random bit and keeps the change only if it scores higher (exploration). Scores are
the fitness divided by the landscape's global maximum, raised to the 8th power, which spreads
out the mass of mediocre solutions as in the paper. Their finding: a totally connected
network converges fast and leads early, but a linear one keeps diversity and wins later.

Examples
--------
>>> import numpy as np
>>> land = NKLandscape(n=6, k=2, rng=np.random.default_rng(1))
>>> bool(land.score(land.argmax) == 1.0)
True
>>> curve = lazer_friedman(land, lf_network("full", 10), rounds=20, rng=np.random.default_rng(2))
>>> curve.mean_score.shape, bool(np.all(np.diff(curve.max_score) >= 0))
((21,), True)
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np

# The landscape is shared with the model (environment.landscape=nk): the task is the same, the
# search rule below is this module's own, so a docking compares two implementations of it.
from sim.rules.landscape import NKLandscape

__all__ = ["NKLandscape", "LFResult", "lf_network", "lazer_friedman", "NETWORKS"]

#: Network kinds :func:`lf_network` can build.
NETWORKS = ("full", "linear", "line", "small_world", "random")


def lf_network(
    kind: str,
    n: int = 100,
    rng: np.random.Generator | None = None,
    degree: int = 4,
    rewire: float = 0.1,
) -> np.ndarray:
    """Neighbour lists of a communication network, padded with -1: shape ``(n, max degree)``.

    ``full``: everyone sees everyone (Lazer & Friedman's totally connected network);
    ``linear``: each agent sees the two beside it on a ring (their linear network, ends joined
    so everyone has two neighbours); ``line``: the same without joining the ends;
    ``small_world``: Watts-Strogatz with ``degree`` and ``rewire``; ``random``: Erdos-Renyi with
    mean degree ``degree``. The random kinds need ``rng``.

    >>> lf_network("linear", 5).tolist()
    [[4, 1], [0, 2], [1, 3], [2, 4], [3, 0]]
    """
    if kind == "full":
        idx = np.arange(n)
        return np.stack([np.delete(idx, i) for i in range(n)]) if n > 1 else np.empty((n, 0), int)
    if kind == "linear":
        i = np.arange(n)
        return np.stack([(i - 1) % n, (i + 1) % n], axis=1)
    if kind == "line":
        i = np.arange(n)
        left = np.where(i > 0, i - 1, -1)
        right = np.where(i < n - 1, i + 1, -1)
        return np.stack([left, right], axis=1)
    if kind == "small_world":
        g = nx.connected_watts_strogatz_graph(n, degree, rewire, seed=rng)
    elif kind == "random":
        g = nx.gnp_random_graph(n, degree / max(n - 1, 1), seed=rng)
    else:
        raise ValueError(f"unknown network kind {kind!r}; one of {NETWORKS}")
    lists = [sorted(g.neighbors(i)) for i in range(n)]
    width = max((len(x) for x in lists), default=0)
    out = np.full((n, width), -1, dtype=np.int64)
    for row, x in enumerate(lists):
        out[row, : len(x)] = x
    return out


@dataclass
class LFResult:
    """Scores over time of one Lazer-Friedman run (index 0 = the random start)."""

    mean_score: np.ndarray
    max_score: np.ndarray
    unique_solutions: np.ndarray
    final_states: np.ndarray


def lazer_friedman(
    landscape: NKLandscape,
    neighbors: np.ndarray,
    rounds: int,
    rng: np.random.Generator,
    error: float = 0.0,
    velocity: float = 1.0,
    init: np.ndarray | None = None,
) -> LFResult:
    """Run the parallel problem-solving dynamics for ``rounds`` synchronous rounds.

    Parameters
    ----------
    landscape
        The NK landscape scored by :meth:`NKLandscape.score`.
    neighbors
        Padded neighbour lists from :func:`lf_network` (``-1`` = no one).
    rounds
        Number of rounds.
    rng
        The only source of randomness.
    error
        Imitation error: when copying, each bit of the better solution is taken with
        probability ``1 - error`` (else the agent keeps its own bit); 0 copies perfectly, as in
        the paper's basic model.
    velocity
        Chance per round that an agent consults its network at all (information velocity);
        an agent that does not, or sees no one better, searches locally.
    init
        Starting solutions (one per agent); random when None.
    """
    n_agents = neighbors.shape[0]
    states = landscape.random_states(n_agents, rng) if init is None else np.array(init, np.int64)
    nb = neighbors
    has_nb = nb >= 0
    safe_nb = np.where(has_nb, nb, 0)
    n_bits = landscape.n
    means, maxes, uniq = [], [], []

    def record(score, st):
        means.append(score.mean())
        maxes.append(score.max())
        uniq.append(np.unique(st).size)

    score = landscape.score(states)
    record(score, states)
    for _ in range(rounds):
        nb_scores = np.where(has_nb, score[safe_nb], -np.inf)
        best_col = nb_scores.argmax(axis=1) if nb.shape[1] else np.zeros(n_agents, int)
        best_score = (
            nb_scores[np.arange(n_agents), best_col] if nb.shape[1] else np.full(n_agents, -1.0)
        )
        looks = rng.random(n_agents) < velocity if velocity < 1 else np.ones(n_agents, bool)
        imitate = looks & (best_score > score)
        target = states[safe_nb[np.arange(n_agents), best_col]] if nb.shape[1] else states
        if error > 0:
            # A random mask of the bits copied correctly (each with probability 1 - error).
            taken = rng.random((n_agents, n_bits)) >= error
            mask = (taken * (1 << np.arange(n_bits, dtype=np.int64))).sum(axis=1)
            copied = (states & ~mask) | (target & mask)
        else:
            copied = target
        # Local search for everyone else: one random bit flipped, kept only if better.
        flipped = states ^ (1 << rng.integers(0, n_bits, size=n_agents, dtype=np.int64))
        better = landscape.score(flipped) > score
        states = np.where(imitate, copied, np.where(better, flipped, states))
        score = landscape.score(states)
        record(score, states)
    return LFResult(np.array(means), np.array(maxes), np.array(uniq), states)
