"""``agora sensitivity`` from a clone: sensitivity indices of a design's sweep.

``python experiments/sensitivity.py ARGS`` is ``agora sensitivity ARGS`` (same help, same errors);
``main`` is the command itself, :mod:`sim.cli.sensitivity`. Generated from the command table
(``python -m sim.cli.shims``): edit ``sim/cli/__init__.py``, not this file.
"""

import sys

from sim.cli import main as agora
from sim.cli.sensitivity import main  # noqa: F401  (the command, for code importing this)

if __name__ == "__main__":
    sys.exit(agora(["sensitivity", *sys.argv[1:]]))
