"""What every comparison returns, and how its figures are written.

Examples
--------
>>> c = Comparison("demo", "Someone (2000)", "x = 1", "x = 1.01", "+0.01", True)
>>> c.status
'reproduced'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Comparison", "save_figure"]


@dataclass
class Comparison:
    """One published result set against ours.

    ``published``, ``ours`` and ``difference`` are short sentences for the report; ``rows``
    holds the numbers (dicts with ``quantity``, ``published``, ``ours``, ``difference``), and
    ``figures`` the PNGs written. ``passed`` says whether ours meets the stated tolerance or
    ordering.
    """

    name: str
    reference: str
    published: str
    ours: str
    difference: str
    passed: bool
    figures: list[Path] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)
    details: dict = field(default_factory=dict)
    wall_time: float = 0.0

    @property
    def status(self) -> str:
        return "reproduced" if self.passed else "not reproduced"


def save_figure(fig, path: Path | str, dpi: int = 110) -> Path:
    """Save a matplotlib figure as PNG atomically (temp file, then rename) and close it."""
    import matplotlib.pyplot as plt

    from sim.viz.plots import save_figure as save_atomically

    try:
        return save_atomically(fig, path, dpi=dpi, bbox_inches="tight", format="png")
    finally:
        plt.close(fig)
