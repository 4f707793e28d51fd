"""``agora compare`` from a clone: the main job: which practice does what, and what each difference
rests on.

``python experiments/compare.py ARGS`` is ``agora compare ARGS`` (same help, same errors);
``main`` is the command itself, :mod:`sim.cli.compare`. Generated from the command table
(``python -m sim.cli.shims``): edit ``sim/cli/__init__.py``, not this file.
"""

import sys

from sim.cli import main as agora
from sim.cli.compare import main  # noqa: F401  (the command, for code importing this)

if __name__ == "__main__":
    sys.exit(agora(["compare", *sys.argv[1:]]))
