"""``agora validate`` from a clone: reproduce the published models and report.

``python experiments/validate.py ARGS`` is ``agora validate ARGS`` (same help, same errors);
``main`` is the command itself, :mod:`sim.validation.cli`.
"""

import sys

from sim.cli import main as agora
from sim.validation.cli import main  # noqa: F401  (the command, for code that imports this file)

if __name__ == "__main__":
    sys.exit(agora(["validate", *sys.argv[1:]]))
