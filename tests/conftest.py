"""Shared fixtures: small configurations that run in milliseconds."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
from pathlib import Path

import pandas as pd
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

SMALL = {
    "steps": 20,
    "org": {"size": 60},
    "stakeholders": {"count": 15},
    "hierarchy": {"depth": 3},
}


class LineCount:
    count = 0


@contextlib.contextmanager
def counting_lines():
    """Count the lines of Python run inside the block (every frame, libraries included).

    How tests bound work without timing it: a count does not depend on the machine's speed or
    load. For scale: a 2-step run of 20 members runs about 2.4 million lines, composing and
    checking a configuration about 0.24 million; a loop over 10**5 rows, 10**5 or more.
    """
    seen = LineCount()

    def trace(frame, event, arg):
        if event == "line":
            seen.count += 1
        return trace

    previous = sys.gettrace()
    sys.settrace(trace)
    try:
        yield seen
    finally:
        sys.settrace(previous)


def docs_images(tmp_path: Path) -> Path:
    """Where tests that draw the teaching guide's figures write them.

    Into ``tmp_path``, so a test run leaves the checkout clean; with
    ``AGORA_UPDATE_DOCS_IMAGES=1`` into ``docs/img/teaching/``, to refresh the guide.
    """
    if os.environ.get("AGORA_UPDATE_DOCS_IMAGES") == "1":
        folder = Path(__file__).resolve().parent.parent / "docs" / "img" / "teaching"
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    return tmp_path


def summaries(sweep: Path) -> dict[int, dict]:
    """Every job's summary.json in a sweep folder, by job number."""
    return {int(p.parent.name): json.loads(p.read_text()) for p in sweep.glob("*/summary.json")}


def frame_hash(df: pd.DataFrame) -> str:
    """A hash of a metrics table's exact values (NaN-safe)."""
    return hashlib.sha256(pd.util.hash_pandas_object(df, index=True).values.tobytes()).hexdigest()


@pytest.fixture
def small():
    """A deep copy of the small configuration mapping."""
    import copy

    return copy.deepcopy(SMALL)


# Not a test module: the fault tests' start-up hook, which must be named ``sitecustomize``
# (and so clashes, under --doctest-modules, with a system's own sitecustomize, as on Debian 13).
collect_ignore = ["faults/site/sitecustomize.py"]
