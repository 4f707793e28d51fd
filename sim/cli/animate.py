"""``agora animate``: an animation of one run for slides, the network beside the metrics.

Examples::

    agora animate                                    # default scenario, 300 steps
    agora animate regime=conversational steps=60
    agora animate regime=broadcast steps=80 --out slides/broadcast.gif --fps 10
    agora animate --every 5 --steps 10 --no-progress regime=broadcast

Positional arguments are Hydra overrides, exactly as for ``agora run`` (the run is replicate 0
of that job, so the numbers match its ``metrics.parquet``); flags and overrides may come in any
order; ``--steps N`` is ``steps=N``. The GIF goes to ``--out`` (default
``outputs/animations/<regime>_seed<seed>.gif``); an MP4 with the same name is written
beside it when ``ffmpeg`` is installed (``--no-mp4`` to skip it). The paths written are printed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from sim.cli.options import add_run_options, flags_to_overrides

__all__ = ["main", "parse_args"]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The options; overrides may be placed before, between or after the flags.

    >>> ns = parse_args(["--every", "5", "steps=10", "--quiet", "regime=broadcast"])
    >>> ns.overrides, ns.every, ns.quiet
    (['steps=10', 'regime=broadcast'], 5, True)
    """
    from sim.viz.drawing import COLOR_BY

    parser = argparse.ArgumentParser(
        description="Animate one Agora run (GIF, and MP4 where ffmpeg exists).",
        epilog="Overrides are Hydra's: key=value, group=option (e.g. regime=conversational). "
        "Example: agora animate regime=conversational --steps 60 --out slides/c.gif",
    )
    parser.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. steps=60")
    parser.add_argument("--out", type=Path, default=None, help="GIF path to write")
    add_run_options(parser, "steps")
    parser.add_argument("--fps", type=float, default=8.0, help="frames per second (default 8)")
    parser.add_argument("--every", type=int, default=1, help="steps between frames (default 1)")
    parser.add_argument(
        "--color-by",
        choices=COLOR_BY,
        default="knowledge",
        help="node state to colour by (default knowledge)",
    )
    parser.add_argument("--dpi", type=float, default=80.0, help="resolution (default 80)")
    parser.add_argument("--no-mp4", action="store_true", help="write the GIF only")
    parser.add_argument(
        "--no-progress", "--quiet", dest="quiet", action="store_true", help="no progress bar"
    )
    # --steps N becomes the override steps=N (the flag stays in the parser for --help).
    argv = list(sys.argv[1:] if argv is None else argv)
    return parser.parse_intermixed_args(flags_to_overrides(argv, ("steps",)))


def main(argv: Sequence[str] | None = None) -> int:
    """Write the animation; 2 for an invalid configuration."""
    args = parse_args(argv)
    from sim.config import ConfigError, load_config
    from sim.model import AgoraModel
    from sim.viz.animation import write_animation

    try:
        cfg = load_config(args.overrides)
        model = AgoraModel(cfg)
    except ConfigError as err:
        print(f"animate: {err}", file=sys.stderr)
        return 2
    out = args.out or Path("outputs/animations") / f"{cfg.regime.name}_seed{cfg.seed}.gif"
    paths = write_animation(
        model,
        out,
        every=args.every,
        fps=args.fps,
        color_by=args.color_by,
        mp4=False if args.no_mp4 else None,
        dpi=args.dpi,
        progress=not args.quiet,
    )
    for path in paths:
        print(path)
    return 0
