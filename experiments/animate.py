"""``agora animate`` from a clone: a GIF (and MP4) of one run for slides.

``python experiments/animate.py ARGS`` is ``agora animate ARGS`` (same help, same errors);
``main`` is the command itself, :mod:`sim.cli.animate`. Generated from the command table
(``python -m sim.cli.shims``): edit ``sim/cli/__init__.py``, not this file.
"""

import sys

from sim.cli import main as agora
from sim.cli.animate import main  # noqa: F401  (the command, for code importing this)

if __name__ == "__main__":
    sys.exit(agora(["animate", *sys.argv[1:]]))
