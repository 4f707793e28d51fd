"""Aggregate a sweep directory: tables, confidence intervals and plots (``agora aggregate``).

The code and every option are in :mod:`sim.cli.aggregate` (``--help`` lists them).
"""

import sys

from sim.cli.aggregate import main

if __name__ == "__main__":
    sys.exit(main())
