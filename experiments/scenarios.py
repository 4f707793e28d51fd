"""List the scenario library and the named interventions, with their descriptions.

Usage (from the repository root)::

    python experiments/scenarios.py              # scenarios and interventions
    python experiments/scenarios.py --settings   # also the keys each scenario sets

Run a scenario with ``python experiments/run.py scenario=NAME``; compare it with and without
an intervention with ``python experiments/whatif.py scenario=NAME intervention=NAME``.
"""

from __future__ import annotations

import argparse
import shutil
import sys

from sim.config import ConfigError
from sim.scenarios.library import format_listing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settings", action="store_true",
                        help="also print the configuration keys each scenario sets")
    args = parser.parse_args(argv)
    width = min(shutil.get_terminal_size((100, 20)).columns, 100)
    try:
        sys.stdout.write(format_listing(width, settings=args.settings))
    except ConfigError as err:
        print(f"scenarios: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
