"""``agora design`` from a clone: a Latin hypercube, Sobol or Morris design over ranges.

``python experiments/design.py ARGS`` is ``agora design ARGS`` (same help, same errors);
``main`` is the command itself, :mod:`sim.cli.design`. Generated from the command table
(``python -m sim.cli.shims``): edit ``sim/cli/__init__.py``, not this file.
"""

import sys

from sim.cli import main as agora
from sim.cli.design import main  # noqa: F401  (the command, for code importing this)

if __name__ == "__main__":
    sys.exit(agora(["design", *sys.argv[1:]]))
