"""Helpers of the fault-injection suite: subprocess runs of the Hydra app and process trees.

Every test here injects one fault a real user meets (two sweeps into one folder, a killed
parent or worker, a corrupted or truncated file, a full disk, a huge size) and checks that the
outcome is a clear error or correct behaviour, with nothing lost.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .inject import HOOKS, with_faults

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "experiments" / "run.py"


def app_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "HYDRA_FULL_ERROR": "0", **extra}
    for key in HOOKS:
        if key not in extra:
            env.pop(key, None)
    return with_faults(env)


def start(args: list[str], **env: str) -> subprocess.Popen:
    """``python experiments/run.py ARGS`` in the background, output captured."""
    return subprocess.Popen(
        [sys.executable, str(RUN), *args],
        cwd=ROOT,
        env=app_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def run(args: list[str], timeout: float = 240, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(RUN), *args],
        cwd=ROOT,
        env=app_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def wait_for(predicate, timeout: float, what: str, poll: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def descendants(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_bytes()
        except OSError:
            continue
        fields = stat.rsplit(b")", 1)[1].split()
        if fields[0] != b"Z":
            parents[int(entry.name)] = int(fields[1])
    out, frontier = [], [pid]
    while frontier:
        children = [p for p, pp in parents.items() if pp in frontier]
        out += children
        frontier = children
    return out


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return False
    return stat.rsplit(b")", 1)[1].split()[0] != b"Z"
