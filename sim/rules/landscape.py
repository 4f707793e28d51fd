"""Task environments: what a member's solution (its belief vector) is worth.

Two landscapes (``environment.landscape``):

* ``additive`` (the default, March 1991): every dimension counts alone; a solution's score is
  the share of dimensions on which it matches reality (:func:`additive_scores`).
* ``nk`` (Kauffman's NK model, as used by Lazer & Friedman 2007): a solution is a string of
  ``N = environment.dims`` bits, read from the belief vector (+1 is bit 1, -1 and 0 are bit 0;
  :func:`to_codes`). Locus ``i`` contributes a value drawn uniformly from [0, 1) for each
  combination of its own bit and the bits of ``K = environment.k`` other loci; fitness is the
  mean contribution. Lazer and Friedman score a solution by its fitness divided by the
  landscape's global maximum, raised to the 8th power (:data:`SCORE_POWER`), which spreads out
  the mass of mediocre solutions. The fitness of every solution is tabulated once, so a score
  is one lookup.

Nothing here draws random numbers except :class:`NKLandscape` at construction, from the
Generator it is given (the model's).

Examples
--------
>>> import numpy as np
>>> land = NKLandscape(n=6, k=2, rng=np.random.default_rng(1))
>>> bool(land.score(land.argmax) == 1.0)
True
>>> to_codes(np.array([[1, -1, 1], [-1, -1, 0]], dtype=np.int8)).tolist()
[5, 0]
>>> from_codes(np.array([5]), 3).tolist()
[[1, -1, 1]]
>>> additive_scores(np.array([[1, -1, 0]]), np.array([1, 1, 1])).tolist()
[0.3333333333333333]
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "NKLandscape",
    "SCORE_POWER",
    "MAX_NK_DIMS",
    "to_codes",
    "from_codes",
    "additive_scores",
    "flip",
]

#: Lazer & Friedman's normalised score: ``(fitness / global max) ** 8``.
SCORE_POWER = 8.0
#: The largest ``environment.dims`` the model tabulates (2**24 solutions: 128 MB per table).
MAX_NK_DIMS = 24


class NKLandscape:
    """One NK landscape, with the fitness of every solution tabulated for fast lookups.

    Parameters
    ----------
    n, k
        Number of loci and number of other loci each one depends on (``0 <= k < n``).
    rng
        The Generator that draws the interaction structure and the contribution tables.
    power
        Exponent of the normalised score (Lazer & Friedman use 8).
    interactions
        ``"random"``: each locus depends on ``k`` distinct random others (Kauffman's random
        neighbourhood); ``"adjacent"``: on the next ``k`` loci, cyclically.

    Notes
    -----
    The full table has ``2**n`` entries (8 MB at ``n = 20``) and is built on first use, in
    ``n`` vectorised passes over all solutions. Draws: one ``(n, n - 1)`` block of uniforms for
    the interactions (random kind only), then one ``(n, 2**(k + 1))`` block for the
    contributions.
    """

    def __init__(
        self,
        n: int = 20,
        k: int = 5,
        rng: np.random.Generator | None = None,
        power: float = SCORE_POWER,
        interactions: str = "random",
    ):
        if not 0 <= k < n:
            raise ValueError(f"need 0 <= k < n, got n={n}, k={k}")
        if n > 26:
            raise ValueError("n > 26 would need a fitness table of more than 2**26 entries")
        rng = np.random.default_rng(rng)
        self.n, self.k, self.power = n, k, float(power)
        if interactions == "random":
            # Each row: the locus itself, then k distinct others in random order.
            others = np.argsort(rng.random((n, n - 1)), axis=1)[:, :k]
            pool = np.array([[j for j in range(n) if j != i] for i in range(n)]).reshape(n, n - 1)
            deps = np.take_along_axis(pool, others, axis=1)
        elif interactions == "adjacent":
            deps = (np.arange(n)[:, None] + np.arange(1, k + 1)[None, :]) % n
        else:
            raise ValueError(f"interactions must be 'random' or 'adjacent', got {interactions!r}")
        self.deps = np.concatenate([np.arange(n)[:, None], deps], axis=1).astype(np.int64)
        self.contrib = rng.random((n, 2 ** (k + 1)))
        self._table: np.ndarray | None = None
        self._scores: np.ndarray | None = None

    def fitness(self, states) -> np.ndarray:
        """Mean contribution of each solution (integers in ``[0, 2**n)``), computed directly."""
        s = np.asarray(states, dtype=np.int64)
        # Each locus's bit once, in the narrowest type that holds a contribution's index.
        small = np.uint8 if self.k < 8 else np.uint16 if self.k < 16 else np.uint32
        bits = [((s >> locus) & 1).astype(small) for locus in range(self.n)]
        total = np.zeros(s.shape)
        for i in range(self.n):
            # Index of locus i's contribution: its own bit, then its k partners' bits.
            idx = np.zeros(s.shape, dtype=small)
            for b, locus in enumerate(self.deps[i]):
                idx |= bits[locus] << small(b)
            total += self.contrib[i].take(idx)
        return total / self.n

    @property
    def table(self) -> np.ndarray:
        """Fitness of every solution, indexed by its integer code."""
        if self._table is None:
            self._table = self.fitness(np.arange(2**self.n, dtype=np.int64))
        return self._table

    @property
    def max_fitness(self) -> float:
        return float(self.table.max())

    @property
    def argmax(self) -> int:
        """The global optimum's code."""
        return int(self.table.argmax())

    @property
    def scores(self) -> np.ndarray:
        """The score of every solution, indexed by its integer code."""
        if self._scores is None:
            self._scores = (self.table / self.max_fitness) ** self.power
        return self._scores

    def score(self, states) -> np.ndarray:
        """Lazer & Friedman's score: ``(fitness / global max) ** power``, in [0, 1]."""
        return self.scores[np.asarray(states, dtype=np.int64)]

    def score_beliefs(self, beliefs: np.ndarray) -> np.ndarray:
        """The score of each row of a belief matrix read as a solution (:func:`to_codes`)."""
        return self.scores[to_codes(beliefs)]

    def random_states(self, size, rng: np.random.Generator) -> np.ndarray:
        """Uniformly random solutions."""
        return rng.integers(0, 2**self.n, size=size, dtype=np.int64)


def to_codes(beliefs: np.ndarray) -> np.ndarray:
    """Each row of beliefs as the integer code of a solution: bit ``i`` is set where
    dimension ``i`` is +1 (-1 and 0 read as bit 0)."""
    b = np.asarray(beliefs)
    weights = np.left_shift(1, np.arange(b.shape[-1], dtype=np.int64))
    # An integer matrix product: exact, and one pass whatever the number of rows.
    return (b > 0).astype(np.int64) @ weights


def from_codes(codes: np.ndarray, n: int) -> np.ndarray:
    """The belief rows (+1 / -1) of integer solution codes: the inverse of :func:`to_codes`
    on beliefs without zeros."""
    bits = (np.asarray(codes, dtype=np.int64)[..., None] >> np.arange(n)) & 1
    return (2 * bits - 1).astype(np.int8)


def additive_scores(beliefs: np.ndarray, reality: np.ndarray) -> np.ndarray:
    """March's additive task: per row, the share of dimensions that match reality."""
    b = np.asarray(beliefs)
    return np.count_nonzero(b == reality, axis=-1) / b.shape[-1]


def flip(beliefs: np.ndarray, rows: np.ndarray, dims: np.ndarray) -> np.ndarray:
    """Copies of ``beliefs[rows]`` with dimension ``dims[j]`` of row ``j`` negated (a zero
    becomes +1: a member who had no view tries one)."""
    trial = beliefs[rows].copy()
    j = np.arange(rows.size)
    trial[j, dims] = np.where(trial[j, dims] == 0, 1, -trial[j, dims])
    return trial
