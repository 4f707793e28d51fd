"""The ``agora`` command: one subcommand per entry point of ``experiments/``.

``agora COMMAND [ARGS...]`` hands ``ARGS`` unchanged to the command, so Hydra overrides
(``key=value``, ``group=option``), ``-m`` for sweeps and the command's own flags work exactly as
with ``python experiments/COMMAND.py``, in any order. ``agora COMMAND --help`` prints the
command's own help. Each command lives in an installed module (``experiments/`` is not
installed); ``experiments/*.py`` call the same functions.

Examples
--------
>>> sorted(COMMANDS)[:4]
['aggregate', 'animate', 'app', 'compare']
>>> main(["no-such-command"])  # the message goes to stderr
2
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import NamedTuple

__all__ = ["COMMANDS", "Command", "main", "usage"]


class Command(NamedTuple):
    """Where a subcommand's ``main(argv) -> int`` lives, and one line on what it does."""

    module: str
    summary: str
    function: str = "main"


#: Every subcommand, in the order ``agora --help`` lists them.
COMMANDS: dict[str, Command] = {
    "run": Command("sim.cli.run", "one job, or a sweep with -m, through Hydra (key=value ...)"),
    "compare": Command("sim.runs.compare",
                       "the main job: which practice does what (ends, hybrids, factorial)"),
    "scenarios": Command("sim.cli.scenarios", "list the scenario library and the interventions"),
    "whatif": Command("sim.cli.whatif", "a scenario with and without an intervention, reported"),
    "aggregate": Command("sim.cli.aggregate", "tables, confidence intervals and plots of a sweep"),
    "design": Command("sim.cli.design", "a Latin hypercube, Sobol or Morris design over ranges"),
    "sensitivity": Command("sim.cli.sensitivity", "sensitivity indices of a design's sweep"),
    "discover": Command("sim.runs.discover",
                        "where a practice pays off, across sampled conditions"),
    "validate": Command("sim.validation.cli", "reproduce the published models and report"),
    "animate": Command("sim.cli.animate", "a GIF (and MP4) of one run for slides"),
    "app": Command("sim.cli.app", "the teaching app in the browser (binds to 127.0.0.1)"),
}


def usage() -> str:
    """The text of ``agora --help``."""
    width = max(map(len, COMMANDS))
    lines = [
        "usage: agora COMMAND [ARGS...]",
        "",
        "Agora: agent-based simulation of how organizations communicate.",
        "",
        "commands:",
        *(f"  {name:<{width}}  {cmd.summary}" for name, cmd in COMMANDS.items()),
        "",
        "ARGS go to the command unchanged: Hydra overrides (key=value, group=option) and the",
        "command's flags, in any order. 'agora COMMAND --help' describes a command.",
        "Examples: agora compare steps=100 --replicates 5",
        "          agora run -m regime=broadcast,conversational seed=0,1",
        "          agora whatif scenario=default intervention=open_channels",
    ]
    return "\n".join(lines) + "\n"


def load(name: str):
    """The ``main`` function of command ``name``; LookupError when it is not installed."""
    cmd = COMMANDS[name]
    try:
        module = importlib.import_module(cmd.module)
    except ModuleNotFoundError as err:
        # Only the command's own module missing means "not available"; a missing dependency
        # inside it is a real error and is raised as is.
        if err.name is not None and cmd.module.startswith(err.name):
            raise LookupError(f"{cmd.module} is not in this installation") from None
        raise
    function = getattr(module, cmd.function, None)
    if function is None:
        raise LookupError(f"{cmd.module} has no {cmd.function}(argv)")
    return function


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``agora ARGV``; the exit status of the command."""
    from sim.util.threads import pin_threads

    pin_threads()  # one BLAS thread here and in every process a command starts
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        if len(argv) > 1 and argv[0] == "help":
            return main([argv[1], "--help"])
        sys.stdout.write(usage())
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"agora: unknown command {name!r}; run 'agora --help' for the list", file=sys.stderr)
        return 2
    try:
        function = load(name)
    except LookupError as err:
        print(f"agora {name}: not available: {err}", file=sys.stderr)
        return 2
    # argparse names a program after sys.argv[0], so each command's usage and errors read
    # "agora NAME ..." without the command knowing how it was started.
    saved = sys.argv
    sys.argv = [f"agora {name}", *rest]
    try:
        status = function(rest)
    except SystemExit as exit_:  # argparse's --help and usage errors
        status = exit_.code
    finally:
        sys.argv = saved
    if status is None:
        return 0
    if not isinstance(status, int):  # sys.exit("message")
        print(status, file=sys.stderr)
        return 1
    return status
