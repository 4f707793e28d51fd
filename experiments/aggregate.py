"""``agora aggregate`` from a clone: tables, confidence intervals and plots of a sweep.

``python experiments/aggregate.py ARGS`` is ``agora aggregate ARGS`` (same help, same errors);
``main`` is the command itself, :mod:`sim.cli.aggregate`. Generated from the command table
(``python -m sim.cli.shims``): edit ``sim/cli/__init__.py``, not this file.
"""

import sys

from sim.cli import main as agora
from sim.cli.aggregate import main  # noqa: F401  (the command, for code importing this)

if __name__ == "__main__":
    sys.exit(agora(["aggregate", *sys.argv[1:]]))
