"""The what-if picture of the teaching app: the difference a change makes, step by step.

One panel per metric: intervention minus baseline (mean over replicates) with its 95% band,
zero marked, the step of the change marked. Bare Agg figure, PNG bytes out.

Examples
--------
>>> import pandas as pd
>>> d = pd.DataFrame({"step": [0, 1, 2], "diff": [0.0, 0.1, 0.2],
...                   "ci_low": [0.0, 0.0, 0.1], "ci_high": [0.0, 0.2, 0.3]})
>>> difference_png({"engagement": d}, at=1)[:4]
b'\\x89PNG'
"""

from __future__ import annotations

import io
from collections.abc import Mapping

import numpy as np
import pandas as pd

from sim.viz.drawing import FONT_PT, new_figure, pretty_metric

__all__ = ["DIFF_COLOUR", "difference_png"]

#: The change's colour (the report's colour for the intervention arm).
DIFF_COLOUR = "#d62728"


def difference_png(
    differences: Mapping[str, pd.DataFrame],
    *,
    at: int,
    ncols: int = 3,
    width: float = 9.6,
    dpi: float = 100,
    fontsize: float = FONT_PT + 1,
) -> bytes:
    """PNG of ``{metric: DataFrame(step, diff, ci_low, ci_high)}``, one panel per metric."""
    names = list(differences)
    nrows = max(1, -(-len(names) // ncols))
    height = 2.3 * nrows + 0.5
    fig = new_figure(width, height, dpi)
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True).ravel()
    for ax in axes[len(names) :]:
        ax.set_visible(False)
    for ax, name in zip(axes, names, strict=False):
        d = differences[name]
        x = d["step"].to_numpy()
        ax.fill_between(
            x,
            d["ci_low"].to_numpy(dtype=float),
            d["ci_high"].to_numpy(dtype=float),
            color=DIFF_COLOUR,
            alpha=0.2,
            lw=0,
        )
        ax.plot(x, d["diff"].to_numpy(dtype=float), color=DIFF_COLOUR, lw=1.6)
        ax.axhline(0, color="black", lw=0.8)
        ax.axvline(at, color="black", ls="--", lw=1)
        ax.set_title(pretty_metric(name), fontsize=fontsize, loc="left")
        ax.tick_params(labelsize=fontsize, length=2)
        ax.grid(alpha=0.3, lw=0.5)
        ax.margins(x=0)
        high = np.nanmax(
            np.abs(d[["ci_low", "ci_high", "diff"]].to_numpy(dtype=float)), initial=0.0
        )
        if np.isfinite(high) and high > 0:
            ax.set_ylim(-1.1 * high, 1.1 * high)
    for ax in axes[max(0, len(names) - ncols) : len(names)]:
        ax.set_xlabel("step", fontsize=fontsize)
    fig.suptitle(
        f"Difference with the change (change minus without it; shaded: 95% CI; dashed: step {at})",
        fontsize=fontsize,
        x=0.01,
        ha="left",
    )
    fig.subplots_adjust(
        left=0.07, right=0.98, top=1 - 0.55 / height, bottom=0.55 / height, hspace=0.45, wspace=0.28
    )
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=dpi)
    return out.getvalue()
