"""How many students the lab serves at once: a count of open sessions and a limit.

Each browser session that gets a lab holds a place (:meth:`Sessions.admit`) until the session
ends (the page is closed, or Solara culls a session whose browser went away:
``SOLARA_KERNEL_CULL_TIMEOUT``, set by ``agora app``). Beyond the limit a new student gets a
page that says the lab is full, instead of a lab that would slow everyone's. Every change is
printed on the teacher's console (the server's standard output).

The default limit is sized from the machine (:func:`default_max_sessions`) with the per-session
costs measured by ``benchmarks/bench_classroom.py``; ``agora app --max-sessions N`` (the
environment variable ``AGORA_MAX_SESSIONS``) sets it.

Examples
--------
>>> s = Sessions(limit=2, out=None)
>>> s.admit(), s.admit(), s.admit(), s.open
(True, True, False, 2)
>>> s.leave(); s.open, s.admit()
(1, True)
>>> class Lab: pass
>>> lab = Lab(); s.track(lab); s.in_memory
1
>>> del lab; s.in_memory
0
"""

from __future__ import annotations

import os
import sys
import threading
import weakref
from typing import TextIO

__all__ = [
    "MEMORY_PER_SESSION_MB",
    "SESSIONS",
    "Sessions",
    "default_max_sessions",
    "limit_from_env",
]

#: Server memory one lab session adds at the default size: measured with
#: ``benchmarks/bench_classroom.py``, 4 to 16 MiB a session open and about 9 MiB after a minute
#: of Play (30 students), rounded up (a session that exports a PNG or GIF keeps matplotlib
#: figures too).
MEMORY_PER_SESSION_MB = 20

#: Server CPU one student on Play at the normal speed uses (share of one core): about 5 steps a
#: second at 10 ms of server CPU each, measured with ``benchmarks/bench_classroom.py``.
CPU_PER_PLAYING_SESSION = 0.05

#: Never more than this by default, whatever the machine (a class, not a website).
MOST_BY_DEFAULT = 200

ENV = "AGORA_MAX_SESSIONS"

#: Seconds after the last session ended before its memory is handed back to the system.
RELEASE_AFTER_S = 3.0


def release_memory(sessions: Sessions | None = None) -> None:
    """Collect what closed sessions left and hand the freed memory back to the system (glibc's
    ``malloc_trim``; elsewhere only the collection): a class's server returns to its size when
    the students leave, instead of keeping its peak.

    >>> release_memory()
    """
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass
    if sessions is not None:
        sessions.report_memory()


def default_max_sessions(cpus: int | None = None, memory_mb: float | None = None) -> int:
    """Sessions this machine serves with everyone on Play at the normal speed: the smaller of
    what half its memory holds and what its cores keep up with, at least one.

    >>> default_max_sessions(cpus=2, memory_mb=8000)
    40
    >>> default_max_sessions(cpus=64, memory_mb=512_000)
    200
    >>> default_max_sessions(cpus=1, memory_mb=50)
    1
    """
    cpus = cpus if cpus is not None else (os.cpu_count() or 1)
    if memory_mb is None:
        try:
            memory_mb = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**20
        except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
            memory_mb = 4096.0
    by_memory = 0.5 * memory_mb / MEMORY_PER_SESSION_MB
    by_cpu = cpus / CPU_PER_PLAYING_SESSION
    return int(max(1, min(by_memory, by_cpu, MOST_BY_DEFAULT)))


def limit_from_env(environ=None) -> int:
    """The limit ``agora app`` passed (``AGORA_MAX_SESSIONS``), else the machine's default.

    >>> limit_from_env({"AGORA_MAX_SESSIONS": "12"})
    12
    >>> limit_from_env({"AGORA_MAX_SESSIONS": "0"})
    Traceback (most recent call last):
    ...
    ValueError: AGORA_MAX_SESSIONS='0' must be a whole number of at least 1
    """
    environ = os.environ if environ is None else environ
    text = environ.get(ENV)
    if text is None:
        return default_max_sessions()
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"{ENV}={text!r} must be a whole number of at least 1")
    return value


class Sessions:
    """Open lab sessions, at most ``limit``; each change printed to ``out``."""

    def __init__(self, limit: int, out: TextIO | None = sys.stdout) -> None:
        self.limit = int(limit)
        self.open = 0
        self.refused = 0
        self._lock = threading.Lock()
        self._out = out
        # Sessions come and go on the server's threads while another reports memory: one
        # line at a time (print writes the text and its newline apart, so two lines could
        # run into one, which is what a reader of the console, or its log, splits on).
        self._out_lock = threading.Lock()
        self._release: threading.Timer | None = None
        self._labs: weakref.WeakSet = weakref.WeakSet()

    def track(self, lab: object) -> None:
        """Follow a session's lab: :meth:`report_memory` says how many are still in memory."""
        self._labs.add(lab)

    @property
    def in_memory(self) -> int:
        """Labs not yet freed (a closed session's lab is freed once nothing refers to it)."""
        return len(self._labs)

    def report_memory(self) -> None:
        """Say on the console how many labs and organizations (models) are in memory, and the
        server's resident size."""
        from sim.lab.pair import MODELS

        rss = ""
        try:
            with open("/proc/self/statm") as f:
                pages = int(f.read().split()[1])
            rss = f", server memory {pages * os.sysconf('SC_PAGE_SIZE') / 2**20:.0f} MiB"
        except (OSError, ValueError, IndexError):  # not Linux
            pass
        self._say(f"{self.in_memory} labs and {len(MODELS)} organizations in memory{rss}")

    def admit(self) -> bool:
        """Take a place if one is free; False when the lab is full."""
        with self._lock:
            if self.open >= self.limit:
                self.refused += 1
                self._say(
                    f"a student was turned away: the lab is full ({self.open} of "
                    f"{self.limit} sessions open)"
                )
                return False
            self.open += 1
            self._say(f"{self.open} of {self.limit} sessions open")
            return True

    def leave(self) -> None:
        """Give a place back (the session ended); its memory is handed back to the system a
        few seconds later (:func:`release_memory`), once the session's objects are gone."""
        with self._lock:
            self.open = max(0, self.open - 1)
            self._say(f"{self.open} of {self.limit} sessions open")
            if self._release is not None:
                self._release.cancel()
            self._release = threading.Timer(RELEASE_AFTER_S, release_memory, args=(self,))
            self._release.daemon = True
            self._release.start()

    def _say(self, text: str) -> None:
        if self._out is not None:
            with self._out_lock:
                print(f"agora app: {text}", file=self._out, flush=True)


#: The server's sessions (one per process: the app is served by one Solara process).
SESSIONS = Sessions(limit_from_env())
