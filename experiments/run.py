"""``agora run`` from a clone: one job, or a sweep with -m, through Hydra (key=value ...).

``python experiments/run.py ARGS`` is ``agora run ARGS`` (same help, same errors);
``main`` is the command itself, :mod:`sim.cli.run`. Generated from the command table
(``python -m sim.cli.shims``): edit ``sim/cli/__init__.py``, not this file.
"""

import sys

from sim.cli import main as agora
from sim.cli.run import main  # noqa: F401  (the command, for code importing this)

if __name__ == "__main__":
    sys.exit(agora(["run", *sys.argv[1:]]))
