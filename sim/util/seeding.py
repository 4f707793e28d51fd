"""Seeds: one root seed, independent replicate seeds spawned from it, each one re-runnable alone.

Examples
--------
>>> replicate_seeds(0, 2) == replicate_seeds(0, 3)[:2]
True
>>> all(0 <= s < 2**63 for s in replicate_seeds(12345, 4))
True
"""

from __future__ import annotations

import itertools

import numpy as np

__all__ = ["replicate_seeds", "as_generator", "skip_uniforms", "Streams"]


def replicate_seeds(root: int, n: int) -> list[int]:
    """Seeds of ``n`` replicates, spawned from ``root`` by ``numpy.random.SeedSequence``.

    Each is a non-negative int below 2**63 (it fits every Parquet integer column and JSON),
    and seeds the replicate's own Generator: ``numpy.random.default_rng(seed)``.
    """
    children = np.random.SeedSequence(root).spawn(n)
    return [int(c.generate_state(1, np.uint64)[0] >> np.uint64(1)) for c in children]


def as_generator(seed: int | np.random.Generator | None) -> np.random.Generator:
    """The one place a seed becomes a Generator (a Generator passes through unchanged)."""
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def skip_uniforms(rng: np.random.Generator, k: int) -> None:
    """Move ``rng`` on exactly as ``rng.random(k)`` would, without making the numbers.

    A draw kept only so that the stream stays that of an earlier model version (or of a
    switched-off mechanism) costs nothing then: numpy's PCG64, every model's bit generator,
    makes each double from one 64-bit output, so advancing it ``k`` outputs leaves the same
    stream. ``random`` never touches the buffered 32-bit half that integer draws may leave,
    which ``advance`` clears, so it is put back. Any other bit generator draws the numbers.

    >>> a, b = np.random.default_rng(3), np.random.default_rng(3)
    >>> _ = a.random(1000); skip_uniforms(b, 1000)
    >>> bool(a.random() == b.random())
    True
    """
    bits, k = rng.bit_generator, int(k)  # advance takes a Python int, not numpy's
    if k <= 0:
        return
    if type(bits) is not np.random.PCG64:
        rng.random(k)
        return
    before = bits.state
    bits.advance(k)
    if before["has_uint32"]:
        after = bits.state
        after["has_uint32"], after["uinteger"] = before["has_uint32"], before["uinteger"]
        bits.state = after


class Streams:
    """One Generator per world (a replicate stepped beside others, :mod:`sim.batch`), each
    drawn in the order its own model would draw.

    Draws for elements tagged by world come from that world's Generator, in element order
    within the world: the numbers the model of that world draws for the same elements.

    >>> s = Streams([np.random.default_rng(1), np.random.default_rng(2)])
    >>> u = s.for_elements(np.array([1, 0, 1]))
    >>> bool(u[0] == np.random.default_rng(2).random(2)[0])
    True
    """

    def __init__(self, generators: list[np.random.Generator]) -> None:
        self.generators = generators
        self.worlds = len(generators)
        # A PCG64 stream skips by one ``advance``. That also drops the 32-bit half an integer
        # draw of the set-up may have left buffered, which ``skip_uniforms`` keeps at the cost
        # of reading the whole state: no number drawn here uses it (doubles take whole 64-bit
        # outputs), and nothing draws integers from a batch's streams. Others draw and discard.
        self._advance = [
            g.bit_generator.advance if type(g.bit_generator) is np.random.PCG64 else None
            for g in generators
        ]

    def each(self, shape) -> np.ndarray:
        """``shape`` uniforms from every world, stacked: ``(R, *shape)``."""
        out = np.empty((self.worlds, *np.atleast_1d(shape)))
        for g, row in zip(self.generators, out, strict=True):
            g.random(out=row)  # drawn in place: the same numbers as g.random(shape)
        return out

    def by_count(self, counts: np.ndarray, cols: int | None = None) -> np.ndarray:
        """``counts[w]`` uniforms (rows of ``cols``) from world ``w``, worlds in order."""
        ends = list(itertools.accumulate(counts.tolist()))  # R numbers: cheaper than cumsum
        out = np.empty(ends[-1] if cols is None else (ends[-1], cols))
        start = 0
        for g, end in zip(self.generators, ends, strict=True):
            if end > start:
                g.random(out=out[start:end])
            start = end
        return out

    def for_elements(self, world: np.ndarray, cols: int | None = None) -> np.ndarray:
        """One uniform (or row of ``cols``) per element, from the world ``world[i]`` of
        each, in element order within a world."""
        counts = np.bincount(world, minlength=self.worlds)
        u = self.by_count(counts, cols)
        if world.size < 2 or not (world[1:] < world[:-1]).any():  # in world order already
            return u
        out = np.empty_like(u)
        out[np.argsort(world, kind="stable")] = u
        return out

    def skip(self, counts: np.ndarray) -> None:
        """Each world's stream moves past ``counts[w]`` uniforms unmade."""
        for g, advance, c in zip(self.generators, self._advance, counts.tolist(), strict=True):
            if c > 0 and advance is not None:
                advance(c)
            elif c > 0:
                skip_uniforms(g, c)
