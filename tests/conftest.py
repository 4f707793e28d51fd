"""Shared fixtures: small configurations that run in milliseconds."""

from __future__ import annotations

import hashlib
import os

import pandas as pd
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

SMALL = {
    "steps": 20,
    "org": {"size": 60},
    "stakeholders": {"count": 15},
    "hierarchy": {"depth": 3},
}


def frame_hash(df: pd.DataFrame) -> str:
    """A hash of a metrics table's exact values (NaN-safe)."""
    return hashlib.sha256(pd.util.hash_pandas_object(df, index=True).values.tobytes()).hexdigest()


@pytest.fixture
def small():
    """A deep copy of the small configuration mapping."""
    import copy

    return copy.deepcopy(SMALL)
