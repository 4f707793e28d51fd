"""What if? A scenario with and without an intervention, with a report (``agora whatif``).

The code and every option are in :mod:`sim.cli.whatif` (``--help`` lists them).
"""

import sys

from sim.cli.whatif import main

if __name__ == "__main__":
    sys.exit(main())
