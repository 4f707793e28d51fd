"""``agora whatif`` from a clone: a scenario with and without an intervention, reported.

``python experiments/whatif.py ARGS`` is ``agora whatif ARGS`` (same help, same errors);
``main`` is the command itself, :mod:`sim.cli.whatif`. Generated from the command table
(``python -m sim.cli.shims``): edit ``sim/cli/__init__.py``, not this file.
"""

import sys

from sim.cli import main as agora
from sim.cli.whatif import main  # noqa: F401  (the command, for code importing this)

if __name__ == "__main__":
    sys.exit(agora(["whatif", *sys.argv[1:]]))
