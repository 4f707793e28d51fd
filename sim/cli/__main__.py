"""``python -m sim.cli ARGS`` is ``agora ARGS`` (when the console script is not on PATH)."""

import sys

from sim.cli import main

if __name__ == "__main__":
    sys.exit(main())
