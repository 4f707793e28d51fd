"""The main job: which communication practice does what (same as ``agora compare``).

Examples (from the repository root)::

    python experiments/compare.py                          # default scenario, 10 seeds, 2 workers
    python experiments/compare.py steps=100 --replicates 5 org.size=80
    python experiments/compare.py --design half scenario=sample_company --out reports/sample
    python experiments/compare.py --help

Runs the two regime ends, hybrids between them and a two-level factorial design over the
practices that separate the ends, paired by seed, into ``reports/compare/`` (``effects.csv``,
``report.md``, plots). The code is :mod:`sim.runs.compare`; the command line
:mod:`sim.cli.compare`.
"""

import sys

from sim.cli.compare import main

if __name__ == "__main__":
    sys.exit(main())
