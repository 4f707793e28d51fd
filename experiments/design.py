"""Make a Latin hypercube, Sobol or Morris design over ranges, and run it (``agora design``).

The code and every option are in :mod:`sim.cli.design` (``--help`` lists them).
"""

import sys

from sim.cli.design import main

if __name__ == "__main__":
    sys.exit(main())
