"""Folders Agora made, marked as such, and the only ones a cleaning command removes.

A command that discards earlier results (``agora whatif ... --fresh``, ``agora compare
--fresh``) removes a whole folder. It must never remove one a user pointed it at by mistake
(``out=$HOME``): so every folder of job folders Agora creates carries a marker file,
:data:`MARKER`, written when the folder is created (never into a folder that already
existed), and :func:`remove_agora_folder` refuses a folder without it, a symbolic link, or a
marker that is not Agora's.

Examples
--------
>>> import tempfile
>>> with tempfile.TemporaryDirectory() as d:
...     made = make_agora_folder(Path(d) / "runs", "test")
...     ours = is_agora_folder(made)
...     removed = remove_agora_folder(made)
...     ours, removed, made.exists(), is_agora_folder(Path(d))
(True, True, False, False)
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

__all__ = [
    "MARKER",
    "NotAgoraFolder",
    "is_agora_folder",
    "make_agora_folder",
    "remove_agora_folder",
]

#: The marker file of a folder Agora made.
MARKER = ".agora-made"
_TAG = "agora"


class NotAgoraFolder(RuntimeError):
    """A folder a command was asked to remove does not carry Agora's marker: kept."""


def make_agora_folder(path: str | os.PathLike, what: str) -> Path:
    """Create ``path`` (and its parents) with Agora's marker, unless it already exists.

    A folder that existed before is left as it is, marked or not: only what Agora created
    becomes removable.
    """
    path = Path(path)
    try:
        path.mkdir(parents=True)
    except FileExistsError:
        return path
    (path / MARKER).write_text(
        json.dumps({"made_by": _TAG, "what": what, "pid": os.getpid(), "time": time.time()}) + "\n"
    )
    return path


def is_agora_folder(path: str | os.PathLike) -> bool:
    """True when ``path`` is a real folder (not a link) carrying Agora's marker."""
    path = Path(path)
    if path.is_symlink() or not path.is_dir():
        return False
    try:
        info = json.loads((path / MARKER).read_text())
    except (OSError, ValueError):
        return False
    return isinstance(info, dict) and info.get("made_by") == _TAG


def remove_agora_folder(path: str | os.PathLike) -> bool:
    """Remove ``path`` if Agora made it; False if there was nothing to remove.

    Raises
    ------
    NotAgoraFolder
        ``path`` exists but is a link, a file, or a folder without Agora's marker: nothing
        is removed.
    """
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        return False
    if not is_agora_folder(path):
        kind = (
            "a symbolic link"
            if path.is_symlink()
            else "not a folder"
            if not path.is_dir()
            else f"a folder without Agora's {MARKER}"
        )
        raise NotAgoraFolder(
            f"{path} is {kind}: Agora did not make it, so it is not removed; move it away "
            "yourself or choose another output folder"
        )
    shutil.rmtree(path)
    return True
