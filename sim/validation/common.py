"""What every comparison returns, one row per quantity compared, and how figures are written.

Every row names its source (paper, figure or table, page), how the published number was
obtained (``table``, ``text``, ``digitised`` with the tool, ``independent implementation``, or
``pattern`` when no number could be obtained), the published value, ours, the difference, its
confidence interval and the verdict of the stated test.

Examples
--------
>>> r = row("x", "Someone (2000) p. 3", "text", "1", "1.01", "+0.01", "[-0.01, 0.03]", "pass")
>>> c = Comparison("demo", "Someone (2000)", "x = 1", "x = 1.01", "+0.01", True, rows=[r])
>>> c.status, c.rows[0]["obtained"]
('reproduced', 'text')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Comparison", "row", "OBTAINED", "THROUGH", "KINDS", "save_figure"]

#: How a published number can have been obtained.
OBTAINED = ("table", "text", "digitised", "independent implementation", "pattern", "exact")


#: Whether a row's figure comes from the model: ``model`` (AgoraModel / simulate / its config
#: keys), ``reference`` (an independent implementation or library, not the model), ``both``,
#: ``none`` (context: nothing is run).
THROUGH = ("model", "reference", "both", "none")

#: What a comparison checks: the code does what its spec says, or the model reproduces a
#: published result.
KINDS = ("verification", "validation")


def row(
    quantity: str,
    source: str,
    obtained: str,
    published: str,
    ours: str,
    difference: str = "",
    ci: str = "",
    verdict: str = "",
    through: str = "model",
) -> dict[str, str]:
    """One line of a comparison table (``obtained`` one of :data:`OBTAINED`, ``through`` one of
    :data:`THROUGH`)."""
    if obtained not in OBTAINED:
        raise ValueError(f"obtained must be one of {OBTAINED}, got {obtained!r}")
    if through not in THROUGH:
        raise ValueError(f"through must be one of {THROUGH}, got {through!r}")
    return {
        "quantity": quantity,
        "source": source,
        "obtained": obtained,
        "published": published,
        "ours": ours,
        "difference": difference,
        "ci": ci,
        "verdict": verdict,
        "through": through,
    }


@dataclass
class Comparison:
    """One published result set against ours.

    ``published``, ``ours`` and ``difference`` are short sentences for the summary table;
    ``rows`` holds the numbers (see :func:`row`), ``figures`` the PNGs written, ``note`` how
    the comparison was set up and ``closing`` why the model misses a target where it does.
    ``passed`` says whether every stated test passed. ``kind`` is ``verification`` (the code
    does what a spec says) or ``validation`` (the model reproduces a published result);
    ``through`` says whether the figures come from the model (see :data:`THROUGH`).
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
    note: str = ""
    closing: str = ""
    kind: str = "validation"
    through: str = "model"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        if self.through not in THROUGH:
            raise ValueError(f"through must be one of {THROUGH}, got {self.through!r}")

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


def fmt_ci(lo: float, hi: float, digits: int = 3) -> str:
    """``[lo, hi]`` with a fixed number of decimals.

    >>> fmt_ci(0.1234, 0.5)
    '[+0.123, +0.500]'
    """
    return f"[{lo:+.{digits}f}, {hi:+.{digits}f}]"
