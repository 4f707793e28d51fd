"""Comparisons with published organizational results, one module each.

Each module exposes ``run(quick=True, out_dir=None, ...)`` returning a
:class:`sim.validation.common.Comparison`; :func:`sim.validation.suite.validate`
(``agora validate``, parsed in :mod:`sim.cli.validate`) runs them and writes the report.
Statistics are in :mod:`sim.validation.stats`, the independent March implementation in
:mod:`sim.validation.march_reference`.
"""

from sim.validation.common import Comparison, row, save_figure

__all__ = ["Comparison", "row", "save_figure", "MODULES"]

#: Module names under ``sim.validation``, in report order.
MODULES = (
    "mechanisms",
    "march_kernel",
    "march1991",
    "fang2010",
    "bavelas",
    "participation",
    "lazer_friedman",
    "dws",
    "degroot",
)
