"""Sensitivity indices of metrics over a design's ranges, with plots (``agora sensitivity``).

The code and every option are in :mod:`sim.cli.sensitivity` (``--help`` lists them).
"""

import sys

from sim.cli.sensitivity import main

if __name__ == "__main__":
    sys.exit(main())
