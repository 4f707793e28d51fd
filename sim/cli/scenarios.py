"""``agora scenarios``: list the scenario library and the named interventions.

Examples::

    agora scenarios              # scenarios and interventions
    agora scenarios --settings   # also the keys each scenario sets

Run a scenario with ``agora run scenario=NAME``; compare it with and without an intervention
with ``agora whatif scenario=NAME intervention=NAME``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Sequence

from sim.config import ConfigError
from sim.scenarios.library import format_listing

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Print the listing; 2 when a scenario file is broken."""
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0].split(": ", 1)[1],
        epilog="Examples: agora scenarios --settings; then agora run scenario=NAME, or "
        "agora whatif scenario=NAME intervention=NAME",
    )
    parser.add_argument(
        "--settings",
        action="store_true",
        help="also print the configuration keys each scenario sets",
    )
    args = parser.parse_args(argv)
    width = min(shutil.get_terminal_size((100, 20)).columns, 100)
    try:
        sys.stdout.write(format_listing(width, settings=args.settings))
    except ConfigError as err:
        print(f"scenarios: {err}", file=sys.stderr)
        return 2
    return 0
