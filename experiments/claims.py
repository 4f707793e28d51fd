"""``agora claims`` from a clone: the essays' claims, each tested, as docs/claims.md.

``python experiments/claims.py ARGS`` is ``agora claims ARGS`` (same help, same errors);
``main`` is the command itself, :mod:`sim.cli.claims`. Generated from the command table
(``python -m sim.cli.shims``): edit ``sim/cli/__init__.py``, not this file.
"""

import sys

from sim.cli import main as agora
from sim.cli.claims import main  # noqa: F401  (the command, for code importing this)

if __name__ == "__main__":
    sys.exit(agora(["claims", *sys.argv[1:]]))
