"""List the scenario library and the named interventions (same as ``agora scenarios``).

Usage (from the repository root)::

    python experiments/scenarios.py              # scenarios and interventions
    python experiments/scenarios.py --settings   # also the keys each scenario sets

The code is :mod:`sim.cli.scenarios`.
"""

import sys

from sim.cli.scenarios import main

if __name__ == "__main__":
    sys.exit(main())
