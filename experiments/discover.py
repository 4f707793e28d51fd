"""``agora discover`` from a clone: where a practice pays off, across sampled conditions.

``python experiments/discover.py ARGS`` is ``agora discover ARGS`` (same help, same errors);
``main`` is the command itself, :mod:`sim.cli.discover`. Generated from the command table
(``python -m sim.cli.shims``): edit ``sim/cli/__init__.py``, not this file.
"""

import sys

from sim.cli import main as agora
from sim.cli.discover import main  # noqa: F401  (the command, for code importing this)

if __name__ == "__main__":
    sys.exit(agora(["discover", *sys.argv[1:]]))
