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

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = ["removing_temporaries", "temporary_name", "write_atomic", "write_text_atomic"]

_issued = threading.local()


def temporary_name(path: Path) -> Path:
    """Hidden, per-process name beside ``path``, with the same suffix."""
    tmp = path.with_name(f".{path.stem}.tmp-{os.getpid()}{path.suffix}")
    for collector in getattr(_issued, "stack", ()):
        collector.append(tmp)
    return tmp


@contextlib.contextmanager
def removing_temporaries() -> Iterator[None]:
    """Remove every :func:`temporary_name` issued inside the block if the block fails.

    For writers that keep several temporary files open before renaming them all (the
    aggregator's tables): a full disk, an interrupt or a bug leaves none behind. Usable as a
    decorator.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     try:
    ...         with removing_temporaries():
    ...             _ = temporary_name(Path(d) / "table.csv").write_text("half")
    ...             raise OSError("No space left on device")
    ...     except OSError:
    ...         pass
    ...     sorted(os.listdir(d))
    []
    """
    stack = _issued.__dict__.setdefault("stack", [])
    issued: list[Path] = []
    stack.append(issued)
    try:
        yield
    except BaseException:
        for tmp in issued:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
        raise
    finally:
        stack.remove(issued)


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
