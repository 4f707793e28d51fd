"""DeGroot (1974) and Friedkin & Johnsen (1999): checks of ``sim.rules.opinion``, not of the model.

Agora's model does not use continuous opinions (its beliefs are March's -1/0/+1 dimensions), so
these are checks of the library functions in :mod:`sim.rules.opinion` against values worked by
hand, not a validation of the model. What a continuous-opinion mode of the model would need is
specified in ``docs/validation.md`` (section "DeGroot / Friedkin-Johnsen").

Three checks, all with :mod:`sim.rules.opinion`:

1. A 3x3 trust matrix whose influence vector, consensus and FJ equilibrium are known in closed
   form (fractions worked by hand below): ours must match to 1e-9.
2. A pure top-down Agora hierarchy (``sim.org.network.hierarchy_tree``): everyone converges to the
   leader's initial view, and the leader's influence is 1.
3. Stubbornness: with susceptibility below one, the FJ equilibrium keeps disagreement
   (variance > 0) while DeGroot on the same matrix reaches consensus.

The hand computation for ``W = [[1/2, 1/2, 0], [1/4, 1/2, 1/4], [0, 1/2, 1/2]]``:
``pi W = pi`` gives ``pi_1 = pi_3`` and ``pi_2 = 2 pi_1``, so ``pi = (1/4, 1/2, 1/4)``; DeGroot from
``x0 = (1, 0, 0)`` ends at ``pi . x0 = 1/4`` for all. With susceptibility 1/2 everywhere,
``x = W x / 2 + x0 / 2`` gives ``x3 = x2 / 3``, ``x2 = 3/17 x1`` and ``x = (17/24, 1/8, 1/24)``.

Examples
--------
>>> c = run()
>>> c.passed, c.details["max_abs_error"] < 1e-9
(True, True)
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from sim.org.network import hierarchy_tree
from sim.rules import opinion
from sim.validation.common import Comparison, row, save_figure

#: How the comparison is set up, for the report.
NOTE = (
    "**These are checks of the library `sim.rules.opinion`, not of Agora's model**, which does "
    "not use continuous opinions. Row-stochastic trust weights `W`, update "
    "`x <- A W x + (I - A) x0` with `A` the susceptibilities (1 - stubbornness). The 3x3 values "
    "are worked by hand in `sim/validation/degroot.py`. The hierarchy is Agora's reporting tree "
    "(`sim.org.network.hierarchy_tree`, 4 levels, span 4): each person puts half their weight on "
    "their manager, the top only on itself."
)

#: What a continuous-opinion mode of the model would need (not implemented: sim/model.py and
#: sim/rules/ belong to the model's owner).
SPEC = (
    "A continuous-opinion mode of the model itself is not implemented. It would need: a key "
    "`population.opinion` in {off, degroot, fj} and `population.stubbornness` in [0, 1] "
    "(FJ's 1 - a_i); a float state `opinion` in [-1, 1] per member (initialised from a seeded "
    "uniform, or from the mean of its beliefs); in the listen phase, `x <- A W x + (I - A) x0` "
    "with W built each step from what was delivered: row i puts weight on each sender of a "
    "post, reply or broadcast i read, proportional to i's trust in that sender (trust in the "
    "organization for broadcasts, a peer weight for colleagues), plus self-weight, normalised "
    "by `sim.rules.opinion.row_stochastic`; metrics `opinion_mean`, `opinion_variance` and "
    "`leader_influence` (the influence vector of the time-averaged W, "
    "`sim.rules.opinion.influence_vector`). Its validation: the 3x3 values above through the "
    "model with a fixed W (exact), and on Agora's own hierarchy with broadcasts only the "
    "influence vector concentrated on the top (leader influence 1 within 1e-9)."
)

__all__ = ["NOTE", "SPEC", "W3", "X0", "HAND_INFLUENCE", "HAND_CONSENSUS", "HAND_FJ", "run"]

W3 = np.array([[0.5, 0.5, 0.0], [0.25, 0.5, 0.25], [0.0, 0.5, 0.5]])
X0 = np.array([1.0, 0.0, 0.0])
HAND_INFLUENCE = np.array([1 / 4, 1 / 2, 1 / 4])
HAND_CONSENSUS = 1 / 4
#: FJ equilibrium of W3 from X0 with susceptibility 1/2 for everyone.
HAND_FJ = np.array([17 / 24, 1 / 8, 1 / 24])


def run(quick: bool = True, seed: int = 1974, out_dir: Path | str | None = None) -> Comparison:
    """Run the three checks; ``quick`` only shortens the plotted iteration."""
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    pi = opinion.influence_vector(W3)
    limit = opinion.degroot_limit(W3, X0)
    iterated = opinion.iterate(W3, X0, 200)
    fj = opinion.fj_equilibrium(W3, X0, 0.5)
    fj_iter = opinion.iterate(W3, X0, 200, susceptibility=0.5)
    errors = {
        "influence vector": float(np.max(np.abs(pi - HAND_INFLUENCE))),
        "DeGroot consensus (exact)": float(np.max(np.abs(limit - HAND_CONSENSUS))),
        "DeGroot consensus (200 steps)": float(np.max(np.abs(iterated - HAND_CONSENSUS))),
        "FJ equilibrium (solve)": float(np.max(np.abs(fj - HAND_FJ))),
        "FJ equilibrium (200 steps)": float(np.max(np.abs(fj_iter - HAND_FJ))),
    }
    max_err = max(errors.values())

    # A pure top-down hierarchy of 4 levels with span 4 (85 people), random initial views.
    tree = hierarchy_tree(None, 4, 4)
    W = opinion.hierarchy_weights(tree.manager, self_weight=0.5)
    x0 = rng.random(tree.size)
    leader_pi = opinion.influence_vector(W)[0]
    steps = 60 if quick else 120
    path = opinion.iterate(W, x0, steps, return_path=True)
    leader_gap = float(np.max(np.abs(path[-1] - x0[0])))

    # Stubbornness: same hierarchy, everyone below the top 30% anchored to their own view.
    a = np.where(tree.manager < 0, 0.0, 0.7)
    fj_h = opinion.fj_equilibrium(W, x0, a)
    fj_var = opinion.disagreement(fj_h)
    fj_path = opinion.iterate(W, x0, steps, susceptibility=a, return_path=True)

    passed = bool(
        max_err < 1e-9 and abs(leader_pi - 1) < 1e-9 and leader_gap < 1e-6 and fj_var > 1e-3
    )
    src_d, src_fj = "DeGroot (1974) J. Am. Stat. Assoc. 69", "Friedkin & Johnsen (1999)"
    tol = 1e-9

    def ok(err: float) -> str:
        return "pass (< 1e-9)" if err < tol else "FAIL"

    rows = [
        row("influence vector pi (3x3)", src_d, "exact", "(1/4, 1/2, 1/4) by hand", _fmt(pi),
            f"{errors['influence vector']:.1e}", "", ok(errors["influence vector"])),
        row("DeGroot consensus from (1,0,0)", src_d, "exact", "1/4 by hand", _fmt(limit),
            f"{errors['DeGroot consensus (exact)']:.1e}", "",
            ok(errors["DeGroot consensus (exact)"])),
        row("FJ equilibrium, susceptibility 1/2", src_fj, "exact", "(17/24, 1/8, 1/24) by hand",
            _fmt(fj), f"{errors['FJ equilibrium (solve)']:.1e}", "",
            ok(errors["FJ equilibrium (solve)"])),
        row("FJ by iteration (200 steps)", src_fj, "exact", "(17/24, 1/8, 1/24) by hand",
            _fmt(fj_iter), f"{errors['FJ equilibrium (200 steps)']:.1e}", "",
            ok(errors["FJ equilibrium (200 steps)"])),
        row("Agora hierarchy (85): leader's influence", src_d, "exact",
            "1 (the only closed class)", f"{leader_pi:.12f}", f"{abs(leader_pi - 1):.1e}", "",
            ok(abs(leader_pi - 1))),
        row(f"Agora hierarchy: max |x_{steps} - leader's x0|", src_d, "exact", "0",
            f"{leader_gap:.2e}", f"{leader_gap:.1e}", "", "pass" if leader_gap < 1e-6 else "FAIL"),
        row("FJ on the hierarchy, susceptibility 0.7: variance", src_fj, "pattern",
            "> 0 (lasting disagreement)", f"{fj_var:.4f}", "", "",
            "pass" if fj_var > 1e-3 else "FAIL"),
    ]
    figures = []
    if out_dir is not None:
        figures.append(_plot(path, fj_path, x0[0], Path(out_dir) / "degroot_hierarchy.png"))
    return Comparison(
        "DeGroot (1974) and Friedkin-Johnsen (1999)",
        "DeGroot (1974) J. Am. Stat. Assoc. 69(345): 118-121; Friedkin & Johnsen (1999)",
        "Consensus on pi . x0 with pi the left unit eigenvector of W; a hierarchy converges to "
        "the leader; FJ stubbornness leaves lasting disagreement. Exact values for the 3x3 "
        "matrix are computed by hand (module docstring).",
        f"max abs error on the 3x3 matrix {max_err:.1e}; leader influence {leader_pi:.12f}; "
        f"hierarchy gap to leader after {steps} steps {leader_gap:.1e}; FJ variance {fj_var:.4f}",
        "library checks within 1e-9" if passed else "outside tolerance",
        passed, figures, rows,
        {"errors": errors, "max_abs_error": max_err, "leader_influence": float(leader_pi),
         "leader_gap": leader_gap, "fj_variance": fj_var},
        time.perf_counter() - t0,
        note=NOTE,
        closing=SPEC,
    )


def _fmt(x) -> str:
    return "(" + ", ".join(f"{v:.12g}" for v in np.ravel(x)) + ")"


def _plot(path, fj_path, leader, out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4), sharey=True)
    for ax, p, title in (
        (axes[0], path, "DeGroot: pure hierarchy"),
        (axes[1], fj_path, "Friedkin-Johnsen: susceptibility 0.7"),
    ):
        ax.plot(p, color="C0", lw=0.5, alpha=0.5)
        ax.axhline(leader, color="C3", lw=1.5, label="leader's initial view")
        ax.set_title(title)
        ax.set_xlabel("step")
    axes[0].set_ylabel("opinion")
    axes[0].legend(loc="lower right")
    return save_figure(fig, out)
