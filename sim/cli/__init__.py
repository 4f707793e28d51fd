"""The ``agora`` command: one subcommand per study, each in an installed module.

``agora COMMAND [ARGS...]`` hands ``ARGS`` to the command: Hydra overrides (``key=value``,
``group=option``), ``-m`` for sweeps and the command's flags, in any order. The options that
shape a run are flags with one spelling everywhere (:mod:`sim.cli.options`). ``agora COMMAND
--help`` prints the command's help at once: while it is printed, heavy libraries are imported
lazily (:func:`lazy_heavy_imports`). A user's mistake ends in one line on stderr, never a
traceback: a missing file or folder (status 2), a closed pipe (``agora run --help | head``),
Ctrl+C (status 130). ``experiments/*.py`` are one-line shims onto the same functions.

Examples
--------
>>> sorted(COMMANDS)[:4]
['aggregate', 'animate', 'app', 'claims']
>>> main(["no-such-command"])  # the message goes to stderr
2
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import os
import sys
from collections.abc import Sequence
from typing import NamedTuple

from sim.cli.options import wants_help

__all__ = ["COMMANDS", "Command", "main", "usage", "lazy_heavy_imports"]


class Command(NamedTuple):
    """Where a subcommand's ``main(argv) -> int`` lives, and one line on what it does.

    ``server``: a long-lived process serving many small models (the app), whose memory must go
    back to the system when its sessions end; the allocator keeps its defaults there
    (:func:`sim.util.threads.pin_threads`).
    """

    module: str
    summary: str
    function: str = "main"
    server: bool = False


#: Every subcommand, in the order ``agora --help`` lists them.
COMMANDS: dict[str, Command] = {
    "run": Command("sim.cli.run", "one job, or a sweep with -m, through Hydra (key=value ...)"),
    "compare": Command(
        "sim.cli.compare",
        "the main job: which practice does what, and what each difference rests on",
    ),
    "scenarios": Command("sim.cli.scenarios", "list the scenario library and the interventions"),
    "whatif": Command("sim.cli.whatif", "a scenario with and without an intervention, reported"),
    "aggregate": Command("sim.cli.aggregate", "tables, confidence intervals and plots of a sweep"),
    "design": Command("sim.cli.design", "a Latin hypercube, Sobol or Morris design over ranges"),
    "sensitivity": Command("sim.cli.sensitivity", "sensitivity indices of a design's sweep"),
    "discover": Command("sim.cli.discover", "where a practice pays off, across sampled conditions"),
    "validate": Command("sim.cli.validate", "reproduce the published models and report"),
    "claims": Command("sim.cli.claims", "the essays' claims, each tested, as docs/claims.md"),
    "animate": Command("sim.cli.animate", "a GIF (and MP4) of one run for slides"),
    "app": Command(
        "sim.cli.app", "the teaching app in the browser (binds to 127.0.0.1)", server=True
    ),
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
        "Run-shaping options are flags everywhere: --replicates, --steps, --out, --workers,",
        "--no-progress.",
        "Examples: agora compare --steps 100 --replicates 5 org.size=80",
        "          agora run -m --replicates 5 regime=broadcast,conversational",
        "          agora whatif scenario=default intervention=open_channels --replicates 10",
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

    argv = list(sys.argv[1:] if argv is None else argv)
    # One BLAS thread here and in every process a command starts (before numpy loads).
    command = COMMANDS.get(argv[0]) if argv else None
    pin_threads(keep_memory=not (command and command.server))
    if not argv or argv[0] in ("-h", "--help", "help"):
        if len(argv) > 1 and argv[0] == "help":
            return main([argv[1], "--help"])
        sys.stdout.write(usage())
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"agora: unknown command {name!r}; run 'agora --help' for the list", file=sys.stderr)
        return 2
    lazy = lazy_heavy_imports(enabled=wants_help(rest))
    try:
        with lazy:
            function = load(name)
    except LookupError as err:
        print(f"agora {name}: not available: {err}", file=sys.stderr)
        return 2
    # argparse names a program after sys.argv[0], so each command's usage and errors read
    # "agora NAME ..." without the command knowing how it was started.
    saved = sys.argv
    sys.argv = [f"agora {name}", *rest]
    try:
        with lazy:
            status = function(rest)
        sys.stdout.flush()  # a closed pipe shows here, not at exit
    except SystemExit as exit_:  # argparse's --help and usage errors
        status = exit_.code
    except BrokenPipeError:  # agora run --help | head: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, as shell tools end
    except FileNotFoundError as err:
        missing = err.filename if err.filename is not None else err
        print(f"agora {name}: no such file or folder: {missing}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"agora {name}: interrupted", file=sys.stderr)
        return 130
    finally:
        sys.argv = saved
    if status is None:
        return 0
    if not isinstance(status, int):  # sys.exit("message")
        print(status, file=sys.stderr)
        return 1
    return status


#: Third-party packages a command's module may import at its top that help never needs.
#: numpy is not among them: it must load eagerly (pyarrow and others reach into its C API).
HEAVY = (
    "pandas",
    "scipy",
    "matplotlib",
    "mesa",
    "SALib",
    "pyarrow",
    "networkx",
    "prim",
    "hydra",
    "omegaconf",
    "solara",
    "tqdm",
)


class _LazyFinder(importlib.abc.MetaPathFinder):
    """Finds :data:`HEAVY` packages as usual but loads them only when first touched."""

    def __init__(self) -> None:
        self.paused = False

    def find_spec(self, name, path, target=None):
        if self.paused or name.partition(".")[0] not in HEAVY:
            return None
        sys.meta_path.remove(self)  # find it the ordinary way, once
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        if spec is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = importlib.util.LazyLoader(_Eager(spec.loader, self))
        return spec


class _Eager(importlib.abc.Loader):
    """A module's own loader, run with lazy finding paused: once a heavy module is touched,
    everything it imports loads the ordinary way (its internal, often circular, imports
    must see fully initialised modules)."""

    def __init__(self, loader, finder: _LazyFinder) -> None:
        self.loader, self.finder = loader, finder

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module) -> None:
        paused, self.finder.paused = self.finder.paused, True
        try:
            self.loader.exec_module(module)
        finally:
            self.finder.paused = paused

    def __getattr__(self, name):  # resource readers and the like: the real loader's
        return getattr(self.loader, name)


class lazy_heavy_imports:  # noqa: N801 (used as a function: ``with lazy_heavy_imports():``)
    """While active, :data:`HEAVY` packages not yet imported load lazily on first use.

    Help must answer at once, but the modules that define some commands' parsers import
    pandas or scipy at their top. The mechanism is the standard library's
    :class:`importlib.util.LazyLoader` (as Scientific Python's SPEC 1 uses it): a module so
    imported runs its code the moment an attribute is read, into the same module object, so
    anything that needs it gets the real module and there is never a second copy; only the
    cost of what is never touched is saved. Nothing is dropped from ``sys.modules`` after:
    C extensions such as numpy's cannot be loaded twice in one process.

    >>> with lazy_heavy_imports(enabled=False):
    ...     pass
    """

    def __init__(self, enabled: bool = True) -> None:
        self.finder = _LazyFinder() if enabled else None

    def __enter__(self):
        if self.finder is not None:
            sys.meta_path.insert(0, self.finder)
        return self

    def __exit__(self, *exc) -> None:
        if self.finder is not None and self.finder in sys.meta_path:
            sys.meta_path.remove(self.finder)
