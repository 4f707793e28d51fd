"""Files written whole or not at all: to a temporary name in the same folder, then renamed.

``os.replace`` is atomic within a filesystem, so a reader (or a job killed mid-write) sees
either the old file or the complete new one. The temporary name is hidden (readers such as the
aggregator skip dot-files), unique per process, and keeps the suffix, so writers that infer the
format from it (matplotlib) still work.

Examples
--------
>>> import tempfile
>>> with tempfile.TemporaryDirectory() as d:
...     path = write_text_atomic(Path(d) / "sub" / "note.md", "hello\\n")
...     path.read_text(), sorted(p.name for p in path.parent.iterdir())
('hello\\n', ['note.md'])
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

__all__ = ["temporary_name", "write_atomic", "write_text_atomic"]


def temporary_name(path: Path) -> Path:
    """Hidden, per-process name beside ``path``, with the same suffix."""
    return path.with_name(f".{path.stem}.tmp-{os.getpid()}{path.suffix}")


def write_atomic(path: str | os.PathLike, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp)`` on a temporary path, then rename it to ``path`` (folder created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_name(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
