"""Run one Agora job, or a sweep of jobs with ``-m``, through Hydra (same as ``agora run``).

Examples (from the repository root)::

    python experiments/run.py                                   # one job, default scenario
    python experiments/run.py regime=conversational replicates=10
    python experiments/run.py -m regime=broadcast,hybrid,conversational seed=0,1
    python experiments/run.py -m hydra/launcher=local_parallel regime.mix=0:1:0.25 ...
    python experiments/run.py -m +experiment=regimes            # a named experiment

The code is :mod:`sim.cli.run`.
"""

import sys

from sim.cli.run import main

if __name__ == "__main__":
    sys.exit(main())
