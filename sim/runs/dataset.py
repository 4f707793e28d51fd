"""Old path of :mod:`sim.exec.dataset` (``sim.runs.dataset.write_dataset(sweep_dir)``)."""

import sys

from sim.exec import dataset as _moved

sys.modules[__name__] = _moved
