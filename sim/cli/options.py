"""One convention for the options that shape a run, shared by every ``agora`` command.

A run-shaping option is a flag wherever a command has it: ``--replicates N``, ``--steps N``,
``--out DIR``, ``--workers N`` and ``--no-progress``; what configures the model stays a Hydra
override (``key=value``, ``group=option``). :data:`RUN_OPTIONS` is the one place their
spelling and meaning live; :func:`add_run_options` puts them on a parser and
:func:`flags_to_overrides` turns the two that are also configuration keys (``steps``,
``replicates``) into overrides for commands that hand their overrides to the configuration.

Examples
--------
>>> flags_to_overrides(["--steps", "50", "org.size=80", "--replicates=3", "--out", "x"])
['org.size=80', '--out', 'x', 'steps=50', 'replicates=3']
>>> import argparse
>>> p = argparse.ArgumentParser(prog="agora demo")
>>> add_run_options(p, "steps", "workers", workers=4)
>>> p.parse_args(["--steps", "9"])
Namespace(steps=9, workers=4)
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import NamedTuple

__all__ = ["RUN_OPTIONS", "Option", "add_run_options", "flags_to_overrides", "wants_help"]


class Option(NamedTuple):
    """A run-shaping flag: its value's name, type and the help every command shows."""

    metavar: str | None
    type: type | None
    help: str


#: Every run-shaping flag, spelled and explained once.
RUN_OPTIONS: dict[str, Option] = {
    "replicates": Option(
        "N",
        int,
        "replicate runs per condition, seeds spawned from seed by "
        "numpy's SeedSequence (same as replicates=N)",
    ),
    "steps": Option("N", int, "steps per run (same as steps=N)"),
    "out": Option("DIR", str, "where the results go"),
    "workers": Option("N", int, "worker processes"),
    "no-progress": Option(None, None, "no progress bar or progress lines on stderr"),
}

#: Flags that are also configuration keys: ``--steps 50`` is the override ``steps=50``.
CONFIG_FLAGS = ("steps", "replicates")


def add_run_options(parser: argparse.ArgumentParser, *names: str, **defaults: object) -> None:
    """Add the flags ``names`` of :data:`RUN_OPTIONS` to ``parser`` (those it lacks).

    ``defaults`` gives a flag's default (shown in its help); flags without one default to None,
    meaning "what the configuration says".
    """
    for name in names:
        flag = f"--{name}"
        if flag in parser._option_string_actions:  # the command defines it itself
            continue
        option = RUN_OPTIONS[name]
        default = defaults.get(name.replace("-", "_"))
        text = option.help + (f" (default: {default})" if default is not None else "")
        if option.type is None:
            parser.add_argument(flag, action="store_true", help=text)
        else:
            parser.add_argument(
                flag, type=option.type, metavar=option.metavar, default=default, help=text
            )


def flags_to_overrides(argv: Sequence[str], names: Sequence[str] = CONFIG_FLAGS) -> list[str]:
    """``argv`` with ``--steps N`` / ``--steps=N`` (for each of ``names``) made ``steps=N``.

    The overrides go last: a flag given explicitly wins over a ``steps=`` among the overrides,
    as the later of two repeated keys does in Hydra.
    """
    rest: list[str] = []
    found: list[str] = []
    args = list(argv)
    i = 0
    while i < len(args):
        arg = args[i]
        flag, eq, value = arg.partition("=")
        name = flag[2:] if flag.startswith("--") else None
        if arg == "--":  # everything after belongs to someone else
            rest += args[i:]
            break
        if name in names and eq:
            found.append(f"{name}={value}")
        elif name in names and i + 1 < len(args):
            found.append(f"{name}={args[i + 1]}")
            i += 1
        else:
            rest.append(arg)
        i += 1
    return [*rest, *found]


def wants_help(argv: Sequence[str]) -> bool:
    """True when ``argv`` asks for help (before any ``--``).

    >>> wants_help(["x=1", "-h"]), wants_help(["--", "--help"])
    (True, False)
    """
    head = list(argv)[: list(argv).index("--")] if "--" in argv else list(argv)
    return any(a in ("-h", "--help") for a in head)
