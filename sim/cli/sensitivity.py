"""``agora sensitivity``: indices of metrics, or of a practice's paired effect, over a design.

Examples::

    agora sensitivity DESIGN_DIR SWEEP_DIR --metric trust engagement
    agora sensitivity DESIGN_DIR SWEEP_DIR --metric trust --effect regime.responsiveness=0,0.6

DESIGN_DIR is the folder written by ``agora design`` (Sobol, Morris or Latin hypercube: the
method follows the design); SWEEP_DIR the sweep that ran it (aggregated first if it has no
runs.parquet). A design too small for its method is refused with the minimum it needs; a
missing folder is named in one line (status 2, by :func:`sim.cli.main`). Writes, per metric,
``sensitivity_<metric>.csv`` and ``.png``, and ``report.md`` into ``--out`` (default
SWEEP_DIR/sensitivity). The code lives with the analysis, in :mod:`sim.studies.sensitivity`.
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Sequence

from sim.cli.options import wants_help

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the analysis; with ``--help``, its help followed by this module's examples."""
    argv = list(sys.argv[1:] if argv is None else argv)
    from sim.studies.sensitivity import main as analyse

    if not wants_help(argv):
        return analyse(argv)
    text = io.StringIO()
    with contextlib.redirect_stdout(text), contextlib.suppress(SystemExit):
        analyse(["--help"])
    examples = __doc__.split("Examples::", 1)[1].split("\n\n")[1]
    sys.stdout.write(f"{text.getvalue()}\nexamples:\n{examples}\n")
    return 0
