"""Shared fixtures: small configurations that run in milliseconds."""

from __future__ import annotations

import hashlib
import json
import os
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
