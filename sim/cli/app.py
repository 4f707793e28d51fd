"""``agora app``: serve the teaching app (:mod:`sim.app`) with Solara.

Examples::

    agora app                          # http://127.0.0.1:8765/, this machine only
    agora app --port 9000
    agora app --host 0.0.0.0           # reachable from other machines: a deliberate choice
    agora app --max-sessions 40        # at most 40 students at once (default: sized from
                                       # this machine); the console shows how many are open
    agora app --dev                    # Solara's development mode: reloads on code changes
    agora app -- --theme-variant dark  # anything after -- goes to `solara run`

It binds to 127.0.0.1 unless ``--host`` says otherwise, serves in Solara's production mode
(no file watcher, no code reloading, no tracebacks shown to visitors) unless ``--dev`` asks
for development, and never calls home (Solara's telemetry is off unless
``SOLARA_TELEMETRY_MIXPANEL_ENABLE`` is set). A session whose browser went away without closing
the page is ended after ``--free-after`` (default 2 minutes), so its memory and its place
return; a closed tab ends its session at once. See ``docs/teaching.md`` for a class.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import subprocess
import sys
from collections.abc import Sequence

__all__ = ["main", "server_env", "solara_command"]


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"--max-sessions={text!r}: a whole number of at least 1")
    return value


def solara_command(
    host: str, port: int, extra: Sequence[str] = (), *, dev: bool = False
) -> list[str]:
    """The ``solara run`` command line that serves the installed ``sim/app.py``.

    >>> cmd = solara_command("127.0.0.1", 8765)
    >>> cmd[1:4], cmd[4].endswith("app.py")
    (['-m', 'solara', 'run'], True)
    >>> cmd[5:]
    ['--host', '127.0.0.1', '--port', '8765', '--no-open', '--production']
    >>> "--production" in solara_command("127.0.0.1", 8765, dev=True)
    False
    """
    spec = importlib.util.find_spec("sim.app")
    if spec is None or spec.origin is None:
        raise LookupError("sim.app is not installed")
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        spec.origin,
        "--host",
        host,
        "--port",
        str(port),
        "--no-open",
        *([] if dev else ["--production"]),
        *extra,
    ]


def server_env(limit: int, free_after: str, environ=None) -> dict[str, str]:
    """The environment the server runs in: its session limit, when a gone browser's session
    ends, no telemetry, and websocket messages written by the thread that sends them (Solara's
    ``SOLARA_SERVER_SYNC_WS_WRITE``: a step's few messages skip a hand-over to the event loop
    each, which shortened the slowest students' wait in ``benchmarks/bench_classroom.py``).
    A variable already set in ``environ`` wins, except the limit and the culling.

    >>> sync = "SOLARA_SERVER_SYNC_WS_WRITE"
    >>> env = server_env(40, "2m", {})
    >>> env["AGORA_MAX_SESSIONS"], env["SOLARA_KERNEL_CULL_TIMEOUT"], env[sync]
    ('40', '2m', 'true')
    >>> server_env(40, "2m", {sync: "false"})[sync]
    'false'
    """
    from sim.lab.sessions import ENV

    environ = os.environ if environ is None else environ
    return {
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
        "MPLBACKEND": "Agg",
        "SOLARA_SERVER_SYNC_WS_WRITE": "true",
        **environ,
        ENV: str(limit),
        "SOLARA_KERNEL_CULL_TIMEOUT": free_after,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Serve the app until interrupted; the exit status of the server."""
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1 :]
    parser = argparse.ArgumentParser(
        description="Serve Agora's teaching app in the browser (Solara).",
        epilog="Anything after -- is passed to `solara run`. Examples: agora app --port 9000; "
        "agora app -- --theme-variant dark",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)"
    )
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    parser.add_argument(
        "--max-sessions",
        type=_positive,
        default=None,
        help="most students served at once; beyond it a new one sees a page "
        "saying the lab is full (default: sized from this machine)",
    )
    parser.add_argument(
        "--free-after",
        default="2m",
        help="end a session whose browser went away after this long (default 2m; e.g. 30s, 10m)",
    )
    parser.add_argument(
        "--dev",
        action="store_true",
        help="Solara's development mode (reload on code changes; for developers)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print the solara command instead of running it"
    )
    args = parser.parse_args(argv)
    cmd = solara_command(args.host, args.port, extra, dev=args.dev)
    if args.dry_run:
        print(" ".join(cmd))
        return 0
    from sim.lab.sessions import default_max_sessions

    limit = args.max_sessions if args.max_sessions is not None else default_max_sessions()
    env = server_env(limit, args.free_after)
    print(
        f"serving the teaching app at http://{args.host}:{args.port}/ to at most {limit} "
        "sessions at once (Ctrl+C stops it)",
        flush=True,
    )
    server = subprocess.Popen(cmd, env=env)
    # Stopping agora stops the server: SIGTERM is passed on (Ctrl+C reaches both already).
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: server.terminate())
    try:
        return server.wait()
    except KeyboardInterrupt:
        server.terminate()
        server.wait()
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
