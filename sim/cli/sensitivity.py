"""Sensitivity indices of metrics, or of a practice's paired effect on them, over a design.

``agora sensitivity`` runs this; ``python experiments/sensitivity.py`` too. Usage::

    python experiments/sensitivity.py DESIGN_DIR SWEEP_DIR --metric trust engagement
    python experiments/sensitivity.py DESIGN_DIR SWEEP_DIR --metric trust \\
        --effect regime.responsiveness=0,0.6

DESIGN_DIR is the folder written by ``agora design`` (Sobol, Morris or Latin hypercube: the
method follows the design); SWEEP_DIR the sweep that ran it (aggregated first if it has no
runs.parquet). A design too small for its method is refused with the minimum it needs. Writes,
per metric, ``sensitivity_<metric>.csv`` and ``.png``, and ``report.md`` (plain sentences
first, then what was assumed) into ``--out`` (default SWEEP_DIR/sensitivity). The code lives
with the analysis, in :mod:`sim.runs.sensitivity`.
"""

from __future__ import annotations

from sim.runs.sensitivity import main

__all__ = ["main"]
