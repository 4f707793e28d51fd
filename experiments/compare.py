"""``agora compare`` from a clone: the main job (what each practice does, and what it rests on).

``python experiments/compare.py ARGS`` is ``agora compare ARGS`` (same help, same errors);
``main`` is the command itself, :mod:`sim.cli.compare`.
"""

import sys

from sim.cli import main as agora
from sim.cli.compare import main  # noqa: F401  (the command, for code that imports this file)

if __name__ == "__main__":
    sys.exit(agora(["compare", *sys.argv[1:]]))
