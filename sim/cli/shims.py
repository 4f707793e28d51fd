"""The one-line entry points of ``experiments/``, written from the command table.

``python experiments/COMMAND.py ARGS`` is ``agora COMMAND ARGS`` in a clone (the README's and
the docs' examples use both). Each file is generated from :data:`sim.cli.COMMANDS`, so a new
command needs no hand-written script: ``python -m sim.cli.shims [FOLDER]`` writes them (default
``experiments/`` of the checkout), and ``tests/test_cli.py`` fails when a file differs from
:func:`shim_text` or a command has none.

Examples
--------
>>> print(shim_text("run").splitlines()[0])
\"\"\"``agora run`` from a clone: one job, or a sweep with -m, through Hydra (key=value ...).
>>> "from sim.cli.run import main" in shim_text("run")
True
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

from sim.cli import COMMANDS

__all__ = ["shim_text", "write_shims", "main"]

#: ``experiments/`` of a source checkout.
FOLDER = Path(__file__).resolve().parents[2] / "experiments"

_TEMPLATE = '''{title}

``python experiments/{name}.py ARGS`` is ``agora {name} ARGS`` (same help, same errors);
``main`` is the command itself, :mod:`{module}`. Generated from the command table
(``python -m sim.cli.shims``): edit ``sim/cli/__init__.py``, not this file.
"""

import sys

from sim.cli import main as agora
from {module} import {function}{alias}  # noqa: F401  (the command, for code importing this)

if __name__ == "__main__":
    sys.exit(agora(["{name}", *sys.argv[1:]]))
'''


def shim_text(name: str) -> str:
    """The text of ``experiments/<name>.py`` for the command ``name``."""
    command = COMMANDS[name]
    alias = "" if command.function == "main" else " as main"
    title = textwrap.fill(f'"""``agora {name}`` from a clone: {command.summary}.', 100)
    return _TEMPLATE.format(
        title=title, name=name, module=command.module, function=command.function, alias=alias
    )


def write_shims(folder: str | Path = FOLDER) -> list[Path]:
    """Write one entry point per command into ``folder``; the paths written.

    Only the files of the command table are written: nothing else in the folder is touched.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in COMMANDS:
        path = folder / f"{name}.py"
        path.write_text(shim_text(name), encoding="utf-8")
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m sim.cli.shims [FOLDER]``: write the entry points; 0."""
    argv = list(sys.argv[1:] if argv is None else argv)
    for path in write_shims(argv[0] if argv else FOLDER):
        print(path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
