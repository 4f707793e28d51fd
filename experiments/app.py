"""``agora app`` from a clone: the teaching app in the browser (binds to 127.0.0.1).

``python experiments/app.py ARGS`` is ``agora app ARGS`` (same help, same errors);
``main`` is the command itself, :mod:`sim.cli.app`. Generated from the command table
(``python -m sim.cli.shims``): edit ``sim/cli/__init__.py``, not this file.
"""

import sys

from sim.cli import main as agora
from sim.cli.app import main  # noqa: F401  (the command, for code importing this)

if __name__ == "__main__":
    sys.exit(agora(["app", *sys.argv[1:]]))
