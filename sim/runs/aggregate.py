"""Old path of :mod:`sim.studies.aggregate` (``sim.runs.aggregate.aggregate(sweep_dir)``)."""

import sys

from sim.studies import aggregate as _moved

sys.modules[__name__] = _moved
