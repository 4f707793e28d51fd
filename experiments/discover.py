"""Where does a practice pay off? Thin entry point of ``agora discover`` (sim/runs/discover.py).

Usage (from the repository root)::

    python experiments/discover.py --compare regime.responsiveness=0,0.6 --outcome trust \\
        environment.turbulence=0:0.1 org.attention=5:40 --n 128 replicates=3 steps=150

``key=low:high`` arguments are the conditions explored (a Latin hypercube), other
``key=value`` arguments Hydra overrides for every run; flags and overrides in any order.
Writes ``report.md`` (plain sentences first), ``plots/`` (box, trade-off, heat map) and the
tables it is built from into ``--out`` (default ``reports/discover/<practice>__<outcome>``).
"""

from __future__ import annotations

import sys

from sim.runs.discover import main

if __name__ == "__main__":
    sys.exit(main())
