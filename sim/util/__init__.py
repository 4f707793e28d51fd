"""Leaf utilities every layer may use: atomic writes, cached constants, seeds, statistics.

:mod:`sim.util.atomic`
    files written whole or not at all (temporary file, then rename).
:mod:`sim.util.constants`
    cached read-only arrays (ones, ranks) for the hot path.
:mod:`sim.util.seeding`
    replicate seeds spawned from one root seed.
:mod:`sim.util.stats`
    means with confidence intervals, paired differences, the Gini coefficient.

Nothing here imports any other part of ``sim``.
"""
