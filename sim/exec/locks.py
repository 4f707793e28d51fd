"""Exclusive lock files: one job directory, one running job; one sweep folder, one sweep plan.

A lock is a file created with ``O_CREAT | O_EXCL`` (atomic on local filesystems and NFSv3+)
holding JSON: the holder's ``pid``, ``host``, process start time, a random ``token``, and what
it is doing (e.g. the job's ``config_hash``). A lock is *stale*, and may be broken, when

* its holder ran on this host and that process is gone (or is another process that reused
  the pid: the start time differs), or
* it has not been refreshed for :data:`STALE_AFTER` seconds (a holder refreshes its lock's
  modification time every :data:`HEARTBEAT` seconds, so this covers holders on other hosts).

Breaking a stale lock renames it aside first (only one process can rename a given file) and
then checks the renamed file is the one judged stale, so two processes that both find the same
stale lock cannot both take it.

Examples
--------
>>> import tempfile
>>> with tempfile.TemporaryDirectory() as d:
...     with FileLock(Path(d) / ".lock", info={"what": "test"}) as lock:
...         other = FileLock(Path(d) / ".lock").acquire(wait=False)
...         holder = read_lock(Path(d) / ".lock")["what"]
...     again = FileLock(Path(d) / ".lock").acquire(wait=False)
>>> other, holder, again
(False, 'test', True)
"""

from __future__ import annotations

import json
import logging
import os
import platform
import secrets
import threading
import time
from pathlib import Path
from typing import Any

__all__ = [
    "HEARTBEAT",
    "STALE_AFTER",
    "FileLock",
    "LockHeld",
    "describe_lock",
    "is_stale",
    "process_start",
    "read_lock",
]

log = logging.getLogger(__name__)

#: Seconds between refreshes of a held lock's modification time.
HEARTBEAT = 30.0
#: A lock not refreshed for this long is stale, whoever holds it.
STALE_AFTER = 600.0


class LockHeld(RuntimeError):
    """The lock is held by a live process; ``info`` is what its file says."""

    def __init__(self, message: str, info: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.info = info or {}


def process_start(pid: int) -> float | None:
    """Start time of process ``pid`` (clock ticks since boot, from /proc), None if unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        if fields[0] == b"Z":  # a zombie has finished: it holds nothing
            return -1.0
        return float(fields[19])
    except (OSError, IndexError, ValueError):
        return None


def _pid_alive(pid: int, started: float | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    now = process_start(pid)
    if now == -1.0:
        return False
    # The same pid but a later start: the holder died and the pid was reused.
    return not (started is not None and now is not None and now != started)


def read_lock(path: str | os.PathLike) -> dict[str, Any] | None:
    """The lock file's contents (with its ``mtime``), or None if there is no lock.

    A lock file that cannot be parsed (a holder killed between creating and writing it)
    reads as ``{}`` with its ``mtime``: it becomes stale after :data:`STALE_AFTER`, or at
    once if it is older than a few seconds.
    """
    path = Path(path)
    try:
        mtime = path.stat().st_mtime
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError:
        return {}
    try:
        info = json.loads(text)
        if not isinstance(info, dict):
            info = {}
    except ValueError:
        info = {}
    info["mtime"] = mtime
    return info


def is_stale(info: dict[str, Any], *, stale_after: float = STALE_AFTER) -> bool:
    """Whether the lock described by ``info`` (from :func:`read_lock`) may be broken."""
    age = time.time() - float(info.get("mtime", 0.0))
    if age > stale_after:
        return True
    if "pid" not in info:  # never written: its creator died at once (or is writing now)
        return age > 5.0
    if info.get("host") == platform.node():
        return not _pid_alive(int(info["pid"]), info.get("process_start"))
    return False


def describe_lock(info: dict[str, Any]) -> str:
    """'pid 123 on host h since 12:00:01' for messages."""
    since = info.get("since")
    when = time.strftime("%H:%M:%S", time.localtime(since)) if since else "?"
    return f"pid {info.get('pid', '?')} on host {info.get('host', '?')} since {when}"


class FileLock:
    """An exclusive lock file at ``path``; ``info`` is written into it for others to read.

    Use as a context manager (raises :class:`LockHeld` if a live process holds it) or call
    :meth:`acquire` / :meth:`release`. While held, a daemon thread refreshes the file's
    modification time every :data:`HEARTBEAT` seconds.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        info: dict[str, Any] | None = None,
        stale_after: float = STALE_AFTER,
    ) -> None:
        self.path = Path(path)
        self.info = dict(info or {})
        self.stale_after = stale_after
        self.token: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- acquiring

    def _try_create(self) -> bool:
        token = secrets.token_hex(8)
        record = {
            **self.info,
            "pid": os.getpid(),
            "host": platform.node(),
            "process_start": process_start(os.getpid()),
            "since": time.time(),
            "token": token,
        }
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        try:
            os.write(fd, json.dumps(record).encode())
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            self.path.unlink(missing_ok=True)
            raise
        os.close(fd)
        self.token = token
        return True

    def _break_if_stale(self, info: dict[str, Any]) -> bool:
        """Remove the lock judged stale from ``info``; True if it is gone (by us or another)."""
        aside = self.path.with_name(f"{self.path.name}.stale-{os.getpid()}-{secrets.token_hex(4)}")
        try:
            os.rename(self.path, aside)
        except FileNotFoundError:
            return True  # someone else broke it first
        moved = read_lock(aside) or {}
        if moved.get("token") != info.get("token"):
            # Between our reading and our renaming, another process broke the stale lock and
            # took a fresh one: give it back (link fails only if yet another lock exists).
            try:
                os.link(aside, self.path)
            except FileExistsError:  # pragma: no cover - three-way race
                pass
            aside.unlink(missing_ok=True)
            return False
        aside.unlink(missing_ok=True)
        log.warning("broke a stale lock %s (%s)", self.path, describe_lock(info))
        return True

    def acquire(self, *, wait: bool | float = False, poll: float = 0.5) -> bool:
        """Take the lock; True if taken. ``wait``: False (one try), True (until free) or
        seconds. A stale lock is broken and taken."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = None if wait is True else time.monotonic() + float(wait or 0)
        while True:
            if self._try_create():
                self._start_heartbeat()
                return True
            info = read_lock(self.path)
            if info is None or (
                is_stale(info, stale_after=self.stale_after) and self._break_if_stale(info)
            ):
                continue  # gone: try again at once
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(poll)

    def holder(self) -> dict[str, Any] | None:
        """The current lock file's contents (None if free)."""
        return read_lock(self.path)

    # -- holding

    def _start_heartbeat(self) -> None:
        self._stop.clear()

        def beat() -> None:
            while not self._stop.wait(HEARTBEAT):
                try:
                    os.utime(self.path)
                except OSError:
                    return

        self._thread = threading.Thread(target=beat, name=f"lock {self.path.name}", daemon=True)
        self._thread.start()

    def release(self) -> None:
        """Remove the lock if this object holds it (and it is still ours)."""
        self._stop.set()
        if self.token is None:
            return
        info = read_lock(self.path) or {}
        if info.get("token") == self.token:
            self.path.unlink(missing_ok=True)
        self.token = None

    def __enter__(self) -> FileLock:
        if not self.acquire(wait=False):
            info = read_lock(self.path) or {}
            raise LockHeld(f"{self.path} is held by {describe_lock(info)}", info)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()
