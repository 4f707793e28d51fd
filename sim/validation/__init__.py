"""Comparisons with published models, one module each.

``march1991`` (March 1991, Figures 1, 2, 4, 5), ``degroot`` (DeGroot 1974, Friedkin & Johnsen
1999), ``dws`` (Dodds, Watts & Sabel 2003) and ``lazer_friedman`` (Lazer & Friedman 2007). Each
exposes ``run(quick=True, seed=..., out_dir=None)`` returning a
:class:`sim.validation.common.Comparison`; ``experiments/validate.py`` runs them all and writes
``docs/validation.md``.
"""

from sim.validation.common import Comparison, save_figure

__all__ = ["Comparison", "save_figure", "MODULES"]

#: Module names under ``sim.validation``, in report order.
MODULES = ("degroot", "lazer_friedman", "dws", "march1991")
