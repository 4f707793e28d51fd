"""``agora validate`` from a clone: reproduce the published models and report.

``python experiments/validate.py ARGS`` is ``agora validate ARGS`` (same help, same errors);
``main`` is the command itself, :mod:`sim.cli.validate`. Generated from the command table
(``python -m sim.cli.shims``): edit ``sim/cli/__init__.py``, not this file.
"""

import sys

from sim.cli import main as agora
from sim.cli.validate import main  # noqa: F401  (the command, for code importing this)

if __name__ == "__main__":
    sys.exit(agora(["validate", *sys.argv[1:]]))
