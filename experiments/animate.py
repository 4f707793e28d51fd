"""Write an animation of one run for slides (same as ``agora animate``).

Examples (from the repository root)::

    python experiments/animate.py regime=conversational steps=60
    python experiments/animate.py --every 5 steps=10 --quiet regime=broadcast

The code and every option are in :mod:`sim.cli.animate` (``--help`` lists them).
"""

import sys

from sim.cli.animate import main

if __name__ == "__main__":
    sys.exit(main())
