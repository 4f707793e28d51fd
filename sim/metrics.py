"""Metrics: one home for every measured quantity, under the names other tools read.

:data:`METRICS` maps each name of DESIGN section 5 to a function of the model, in column
order. The array helpers below accept leading batch axes, so the batched March 1991 kernel
measures with the very same formulas.

Undefined values are NaN rather than a made-up number: ``silo_ei`` in a step without peer
messages, ``cocreation`` before the code has changed, and the stakeholder metrics in a world
without stakeholders.

Examples
--------
>>> import numpy as np
>>> float(knowledge_code(np.array([[1, 0, -1, 1]]), np.array([1, 1, 1, 1])))
0.25
>>> round(float(diversity(np.array([[1, 1], [1, -1], [0, -1]]))), 4)
0.6667
>>> ei_index(internal=3, external=1)
-0.5
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim.stats import gini

__all__ = [
    "METRIC_NAMES",
    "METRICS",
    "knowledge_code",
    "share_correct",
    "diversity",
    "ei_index",
    "measure",
]


def knowledge_code(code: np.ndarray, reality: np.ndarray) -> np.ndarray:
    """March's score ``c . r / m``, averaged over organizations (axis -2)."""
    return (code * reality[..., None, :]).mean(-1).mean(-1)


def share_correct(beliefs: np.ndarray, reality: np.ndarray) -> np.ndarray:
    """Per agent, the share of dimensions it has right."""
    m = beliefs.shape[-1]
    right = (beliefs == reality[..., None, :]).astype(np.float32)
    # A float32 matrix product sums exactly here (counts far below 2**24) and runs in BLAS.
    return np.matmul(right, np.ones(m, dtype=np.float32)).astype(np.float64) / m


def diversity(beliefs: np.ndarray) -> np.ndarray:
    """Mean pairwise disagreement: over all pairs and dimensions, the share that differ.

    Counted per dimension from the numbers holding -1, 0 and +1, so it costs O(n m), not O(n^2).
    """
    n = beliefs.shape[-2]
    if n < 2:
        return np.zeros(beliefs.shape[:-2])
    # With values in {-1, 0, +1}: sum(b) = n(+1) - n(-1) and sum(|b|) = n(+1) + n(-1).
    b = beliefs.astype(np.float32)
    ones = np.ones(n, dtype=np.float32)
    total = np.matmul(ones, b).astype(np.float64)
    nonzero = np.matmul(ones, np.abs(b)).astype(np.float64)
    plus, minus = (nonzero + total) / 2, (nonzero - total) / 2
    counts = np.stack([plus, minus, n - plus - minus])
    agreeing_pairs = (counts * (counts - 1) / 2).sum(0)
    all_pairs = n * (n - 1) / 2
    return (1 - agreeing_pairs / all_pairs).mean(-1)


def ei_index(internal: int, external: int) -> float:
    """Krackhardt's E-I index: (external - internal) / total, NaN when there is nothing."""
    total = internal + external
    return (external - internal) / total if total else float("nan")


def _mean(x: np.ndarray) -> float:
    return float(x.sum()) / x.size if x.size else float("nan")


def _share(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


def _individuals(model) -> slice:
    return slice(0, model.n_individuals)


def _stakeholders(model) -> slice:
    return slice(model.n_individuals, None)


#: name -> function(model) -> float, in the column order of the metrics table.
METRICS: dict[str, Callable] = {
    "knowledge_code": lambda m: float(knowledge_code(m.code, m.reality)),
    "knowledge_individuals": lambda m: _mean(
        share_correct(m.beliefs[_individuals(m)], m.reality)
    ),
    "knowledge_stakeholders": lambda m: _mean(
        share_correct(m.beliefs[_stakeholders(m)], m.reality)
    ),
    "reach": lambda m: _mean(m.tally.reached),
    "engagement": lambda m: _mean(m.engagement),
    "active_share": lambda m: _mean(m.tally.active),
    "trust": lambda m: _mean(m.trust),
    "silo_ei": lambda m: ei_index(m.tally.peer_inside, m.tally.peer_across),
    "gini_knowledge": lambda m: float(gini(share_correct(m.beliefs[_individuals(m)], m.reality))),
    "gini_access": lambda m: float(gini(m.tally.received)),
    "diversity": lambda m: float(diversity(m.beliefs[_individuals(m)])),
    "innovations": lambda m: float(m.innovations.sum()),
    "innovations_bottom_up": lambda m: float(m.innovations_bottom_up.sum()),
    "cocreation": lambda m: (
        float(m.cocreated.sum() / m.code_changes.sum()) if m.code_changes.sum() else float("nan")
    ),
    "stakeholder_satisfaction": lambda m: _mean(m.satisfaction),
    "gini_value": lambda m: float(gini(m.value)) if m.value.size else float("nan"),
    "retention": lambda m: _mean(m.stakeholder_org == m.initial_stakeholder_org),
    "overload": lambda m: _share(m.tally.dropped, m.tally.dropped + m.tally.delivered),
    "filtered": lambda m: _share(m.tally.filtered, m.tally.relayed),
    "messages_sent": lambda m: float(m.tally.sent),
    "messages_delivered": lambda m: float(m.tally.delivered),
}

#: The metric names of DESIGN section 5, in column order.
METRIC_NAMES: tuple[str, ...] = tuple(METRICS)


def measure(model) -> dict[str, float]:
    """Every metric of the model's current state and this step's tally."""
    return {name: fn(model) for name, fn in METRICS.items()}
