"""``agora design``: a Latin hypercube, Sobol or Morris design over named ranges, and its sweep.

Examples::

    agora design --method sobol --n 64 regime.mix=0:1 openness.internal=0:1
    agora design --method morris --n 20 environment.turbulence=0:0.1 org.attention=5:40 \
        --compare regime.responsiveness=0,0.6
    agora design --method lhs --n 100 --out designs/lhs regime.mix=0:1 org.size=50:400 \
        --run --replicates 3 --workers 2

Writes a design folder (default ``designs/<method>-<n>``; see :mod:`sim.exec.designs`):
design.json, design.csv, one Hydra option file per point, overrides.txt (one line per point)
and a named experiment that sweeps every point. With ``--run``, runs that sweep through
``agora run -m`` (``--replicates``, ``--steps`` and ``--workers`` shape it; anything after
``--`` is passed to it: a launcher, ``hydra.sweep.dir``...); otherwise prints the command.
Each point is one job, so resume, launchers and ``agora aggregate`` work as for any sweep;
then ``agora sensitivity`` computes the indices.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
from pathlib import Path

from sim.cli.options import add_run_options

#: The design methods (sim.exec.designs.METHODS, spelled here so that help needs no import).
METHODS = ("lhs", "sobol", "morris")


def run_overrides(args: argparse.Namespace) -> list[str]:
    """The sweep's overrides from the run flags (``--workers`` picks the pool launcher).

    >>> run_overrides(argparse.Namespace(replicates=3, steps=None, workers=2))
    ['replicates=3', 'hydra/launcher=pool', 'hydra.launcher.n_jobs=2']
    """
    out = [
        f"{k}={getattr(args, k)}" for k in ("replicates", "steps") if getattr(args, k) is not None
    ]
    if args.workers is not None:
        out += ["hydra/launcher=pool", f"hydra.launcher.n_jobs={args.workers}"]
    return out


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1 :]
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0].split(": ", 1)[1],
        epilog="Example: agora design --method sobol --n 8 regime.mix=0:1 "
        "openness.internal=0:1 --run --replicates 2 --workers 2",
    )
    parser.add_argument("ranges", nargs="+", help="key=low:high, e.g. regime.mix=0:1")
    parser.add_argument("--method", choices=METHODS, default="sobol")
    parser.add_argument(
        "--n",
        type=int,
        default=64,
        help="lhs: points; sobol: base samples, a power of two (points = "
        "n * (d + 2)); morris: trajectories (points = n * (d + 1))",
    )
    parser.add_argument(
        "--compare",
        default=None,
        metavar="KEY=A,B",
        help="run every point at both settings of a practice, same seeds "
        "(the sensitivity of its effect B - A)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the design itself")
    parser.add_argument("--out", default=None, help="design folder (default designs/METHOD-N)")
    parser.add_argument("--run", action="store_true", help="run the sweep now")
    add_run_options(parser, "replicates", "steps", "workers")
    args = parser.parse_intermixed_args(argv)
    from sim.config import ConfigError
    from sim.exec.designs import (
        make_design,
        parse_compare,
        parse_ranges,
        sweep_command,
        write_design,
    )
    from sim.studies.sensitivity import MIN_SIZE, check_design

    extra = [*run_overrides(args), *extra]
    try:
        ranges = parse_ranges(args.ranges)
        compare = parse_compare(args.compare) if args.compare else None
        meta = {"method": args.method, "n": args.n, "ranges": {k: v[:2] for k, v in ranges.items()}}
        if args.method != "lhs":  # made for a sensitivity analysis: refuse what it would
            check_design(meta)
        elif args.n < MIN_SIZE["lhs"]:
            print(
                f"design: note: {args.n} points suit agora discover but not a sensitivity "
                f"analysis (RBD-FAST needs at least {MIN_SIZE['lhs']})"
            )
        design = make_design(ranges, method=args.method, n=args.n, seed=args.seed)
        out = Path(args.out or f"designs/{args.method}-{args.n}")
        write_design(
            design, ranges, out, method=args.method, n=args.n, seed=args.seed, compare=compare
        )
    except (ConfigError, ValueError, FileExistsError) as err:
        print(f"design: {err}", file=sys.stderr)
        return 2
    # ``agora run -m ...`` through this interpreter, installed or not: the command
    # sweep_command builds for experiments/run.py, from its ``-m`` on.
    cmd = [sys.executable, "-m", "sim.cli", "run", *sweep_command(out, extra)[2:]]
    runs = len(design) * (2 if compare else 1)
    print(
        f"design: {len(design)} points ({args.method}, "
        f"n={args.n}) over {list(ranges)} in {out}; {runs} jobs"
        + (f" ({compare[0]} at {' and '.join(compare[1])}, same seeds)" if compare else "")
    )
    if not args.run:
        print("run it with:\n  " + shlex.join(cmd))
        return 0
    return subprocess.call(cmd)
