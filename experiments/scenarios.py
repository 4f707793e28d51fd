"""``agora scenarios`` from a clone: list the scenario library and the interventions.

``python experiments/scenarios.py ARGS`` is ``agora scenarios ARGS`` (same help, same errors);
``main`` is the command itself, :mod:`sim.cli.scenarios`. Generated from the command table
(``python -m sim.cli.shims``): edit ``sim/cli/__init__.py``, not this file.
"""

import sys

from sim.cli import main as agora
from sim.cli.scenarios import main  # noqa: F401  (the command, for code importing this)

if __name__ == "__main__":
    sys.exit(agora(["scenarios", *sys.argv[1:]]))
