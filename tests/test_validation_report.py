"""The validation page separates verification from validation and says what runs through the model."""

from pathlib import Path

import pytest

from sim.validation import MODULES
from sim.validation.common import Comparison, row
from sim.validation.report import render


def _comparison(name, kind, through, row_through):
    r = row("x", "p. 3", "text", "1", "1.01", "+0.01", "[0, 0.02]", "pass", through=row_through)
    return Comparison(
        name,
        "Someone (2000)",
        "x = 1",
        "x = 1.01",
        "+0.01",
        True,
        rows=[r],
        kind=kind,
        through=through,
    )


def test_summary_has_one_table_per_kind_and_a_through_column():
    results = [
        ("a", _comparison("Kernel", "verification", "both", "reference")),
        ("b", _comparison("Paper", "validation", "model", "model")),
    ]
    text = render(results, quick=True, doc_path=Path("validation.md"))
    ver = text.index("**Verification:")
    val = text.index("**Validation:")
    assert ver < text.index("| Kernel | both |") < val < text.index("| Paper | yes |")
    assert "| x | p. 3 | text | 1 | 1.01 | +0.01 | [0, 0.02] | pass | no (reference) |" in text
    assert "| x | p. 3 | text | 1 | 1.01 | +0.01 | [0, 0.02] | pass | yes |" in text


def test_kinds_and_through_are_checked():
    with pytest.raises(ValueError, match="through"):
        row("x", "s", "text", "1", "1", through="maybe")
    with pytest.raises(ValueError, match="kind"):
        Comparison("n", "r", "p", "o", "d", True, kind="other")


def test_every_module_is_listed_once_with_the_new_dockings():
    assert len(MODULES) == len(set(MODULES))
    for name in ("mechanisms", "march_kernel", "march1991", "participation", "dws"):
        assert name in MODULES
