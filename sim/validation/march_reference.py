"""An independent implementation of March's (1991) mutual-learning model, for docking.

Written from descriptions of the paper, sharing no code with Agora's model (it imports nothing
from ``sim``): if Agora's ``scenario=march1991`` and this module agree within a stated margin on
March's grid of p1 and p2, neither has a private bug the other lacks in the quantities compared.

What was read, and how each rule was taken
------------------------------------------
March (1991) Organization Science 2(1): 71-87, the mutual-learning model (pp. 73-75). Our
search tool returned only the opening pages of the paper's public copies, so the rules below
follow two secondary texts that restate them, read through that tool: the indigosim tutorial
"The Society Model" (indigosim.com/tutorials/exploration, slides t2s1 and t2s2, "closely based
on the model proposed by March") and the R supplement "A Model of Mutual Learning in accordance
with March (1991)" on J-STAGE (jstagedata.jst.go.jp, file 30586929). Where they are silent we
say so and name the choice.

* Reality: ``m`` dimensions, each +1 or -1 with probability 1/2.
* Individuals: ``n`` belief vectors, each entry -1, 0 or +1 with probability 1/3.
* The code: ``m`` entries, all 0 at the start.
* Socialization (p1): in every period, on each dimension where the code is not 0 and an
  individual's belief differs from it, the individual *adopts the code's belief* with
  probability p1 (indigosim t2s2: "the agent will adopt the code belief with a certain
  probability").
* Code learning (p2): the *superior group* are the individuals whose knowledge (dimensions
  where belief equals reality) exceeds the code's. On each dimension the code takes the belief
  that dominates in the superior group with probability ``1 - (1 - p2) ** k``, ``k`` being the
  number by which the dominant belief outnumbers the other (the J-STAGE script's "dominant
  belief within the superior group"; the exponent form is the one restated there and in
  March's text as quoted by both secondary sources). Zero beliefs do not count.
* Order within a period (our choice; the sources do not settle it): both updates read the
  state at the start of the period (synchronous).
* Turnover (p3): each period each individual is replaced, with probability p3, by a newcomer
  with random beliefs. Turbulence (p4): each period each dimension of reality flips with
  probability p4.
* Score: ``knowledge`` is the code's proportion of dimensions equal to reality; ``score`` is
  ``c . r / m`` (correct minus wrong, over m), the quantity Agora reports as ``knowledge_code``.

A second reading, ``reading="actions"``, was written after Agora's model was read (its
docstrings in ``sim/rules/learning.py``, not its code), so it is independent of the model's code
but not of its interpretation: members *act* on their beliefs and toss a fair coin where they
hold none; the superior group is judged on those actions scored ``a . r`` against the code's
``c . r``, the code counts actions, not beliefs; socialization moves a belief one step towards
the code (-1 to 0 to +1) rather than adopting it at once.

Which reading is March's program: Christensen (2015: 4), quoted in Workiewicz's public
recreation of March's original algorithm (GitHub ``Mac13kW/March_1991_Original``), describes the
program as the ``actions`` reading (coin tosses, performance compared, gradual socialization),
and the recreation notes that the paper's footnote 1 does not describe how the program works.
So ``actions`` is the specification (:mod:`sim.validation.march_kernel` verifies the model
against it) and ``beliefs`` is the paper's text read literally, kept for the record.

Everything runs on arrays of shape ``(replicates, n, m)``; one numpy Generator per call.

Examples
--------
>>> r = simulate(p1=0.5, p2=0.5, replicates=20, periods=60, seed=1)
>>> r["score"].shape, bool((r["knowledge"] >= r["score"]).all())
((20,), True)
"""

from __future__ import annotations

import numpy as np

__all__ = ["simulate", "step", "READINGS"]

#: The two readings of March's rules (see the module docstring).
READINGS = ("beliefs", "actions")


def _beliefs(rng: np.random.Generator, shape) -> np.ndarray:
    return rng.integers(-1, 2, size=shape, dtype=np.int8)


def step(
    beliefs: np.ndarray,
    code: np.ndarray,
    reality: np.ndarray,
    p1: np.ndarray,
    p2: float,
    rng: np.random.Generator,
    reading: str = "beliefs",
) -> tuple[np.ndarray, np.ndarray]:
    """One period of socialization and code learning, both from the period's starting state.

    Shapes: ``beliefs (R, n, m)``, ``code (R, m)``, ``reality (R, m)``, ``p1`` broadcastable to
    ``(R, n)``.

    >>> rng = np.random.default_rng(0)
    >>> b = np.array([[[1, 1], [-1, -1]]], dtype=np.int8)
    >>> nb, nc = step(b, np.zeros((1, 2), np.int8), np.array([[1, 1]], np.int8), np.ones((1, 2)),
    ...               1.0, rng)
    >>> nc.tolist()  # only person 0 beats the empty code; the code copies it
    [[1, 1]]
    """
    if reading not in READINGS:
        raise ValueError(f"reading must be one of {READINGS}, got {reading!r}")
    R, n, m = beliefs.shape
    target = np.broadcast_to(code[:, None, :], beliefs.shape)
    # Socialization: where the code says something else, adopt it (or step towards it).
    differs = (target != 0) & (beliefs != target)
    adopt = differs & (rng.random((R, n, m)) < np.broadcast_to(p1, (R, n))[..., None])
    moved = target if reading == "beliefs" else np.clip(beliefs + target, -1, 1)
    new_beliefs = np.where(adopt, moved, beliefs).astype(np.int8)
    # Code learning from the superior group, judged on the starting state.
    if reading == "beliefs":
        said = beliefs
        know = (beliefs == reality[:, None, :]).sum(axis=2)  # (R, n)
        code_know = (code == reality).sum(axis=1)  # (R,)
    else:
        coin = np.where(rng.random((R, n, m)) < 0.5, -1, 1).astype(np.int8)
        said = np.where(beliefs == 0, coin, beliefs)
        know = (said.astype(np.int64) * reality[:, None, :]).sum(axis=2)
        code_know = (code.astype(np.int64) * reality).sum(axis=1)
    superior = know > code_know[:, None]
    plus = ((said == 1) & superior[..., None]).sum(axis=1)
    minus = ((said == -1) & superior[..., None]).sum(axis=1)
    k = plus - minus
    dominant = np.sign(k).astype(np.int8)
    p = 1.0 - (1.0 - p2) ** np.abs(k)
    change = (dominant != 0) & (dominant != code) & (rng.random((R, m)) < p)
    new_code = np.where(change, dominant, code).astype(np.int8)
    return new_beliefs, new_code


def simulate(
    p1: float = 0.1,
    p2: float = 0.5,
    replicates: int = 80,
    periods: int = 100,
    seed: int = 0,
    n: int = 50,
    m: int = 30,
    p3: float = 0.0,
    p4: float = 0.0,
    fast_share: float = 0.0,
    fast_p1: float = 0.9,
    path: bool = False,
    reading: str = "beliefs",
) -> dict[str, np.ndarray]:
    """Run ``replicates`` independent organizations for ``periods`` periods.

    Returns ``score`` (``c . r / m``) and ``knowledge`` (share of the code equal to reality)
    after the last period, one value per replicate; with ``path=True`` also ``score_path`` of
    shape ``(replicates, periods + 1)``. ``fast_share`` of the individuals (the first ones) learn
    at ``fast_p1`` instead of ``p1`` (March's Figure 2). ``reading`` picks the rules (see
    the module docstring).
    """
    rng = np.random.default_rng(seed)
    R = replicates
    reality = np.where(rng.random((R, m)) < 0.5, -1, 1).astype(np.int8)
    beliefs = _beliefs(rng, (R, n, m))
    code = np.zeros((R, m), dtype=np.int8)
    rates = np.full((R, n), float(p1))
    rates[:, : int(round(fast_share * n))] = fast_p1
    scores: list[np.ndarray] = [(code * reality).mean(axis=1)] if path else []
    for _ in range(periods):
        beliefs, code = step(beliefs, code, reality, rates, p2, rng, reading)
        if p3 > 0:
            leave = rng.random((R, n)) < p3
            beliefs = np.where(leave[..., None], _beliefs(rng, (R, n, m)), beliefs)
        if p4 > 0:
            reality = np.where(rng.random((R, m)) < p4, -reality, reality).astype(np.int8)
        if path:
            scores.append((code * reality).mean(axis=1))
    out = {
        "score": (code.astype(np.int64) * reality).mean(axis=1),
        "knowledge": (code == reality).mean(axis=1),
    }
    if path:
        out["score_path"] = np.stack(scores, axis=1)
    return out
