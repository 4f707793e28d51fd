"""DeGroot (1974) and Friedkin & Johnsen (1999): the model's continuous-opinion mode, docked.

Agora's ``population.opinion`` mode (``degroot`` or ``fj``, with ``population.stubbornness``)
gives every agent a real opinion in [-1, 1] that each step becomes a trust-weighted average of
what it read, ``x <- A W x + (I - A) x0`` (``docs/odd.md``, submodel "Opinions"). This module
checks that mode, through the model's own code, against values worked by hand and against the
library :mod:`sim.rules.opinion`, which it checks too:

1. **The rule, on a 3x3 matrix worked by hand** (below), through :meth:`AgoraModel.opinion_step`
   with a fixed ``W``: the DeGroot consensus, the FJ equilibrium and the model's influence
   shares (its ``leader_influence`` metric) must match to 1e-9; the library likewise.
2. **Agora's own hierarchy, broadcasts only** (``regime=broadcast``, no posts, no ideas, no
   turnover, no stakeholders): ``W`` is built by the model from what each member read. The
   organization's opinion is its leadership's, and the top reads only the organization, so
   the top is the only closed class: ``leader_influence`` must be 1 within 1e-9, and with
   steady trust everyone's opinion reaches the top's initial one. This holds by construction
   (the influence concentrates on the source): it checks the implementation, not a finding.
3. **FJ stubbornness on that hierarchy**: with trust held steady ``W`` is the same every step, so
   the mode must end at the FJ equilibrium the library solves for the model's ``W`` (to 1e-9),
   its ``leader_influence`` must be the leadership's share of the column means of
   ``V = (I - A W)^{-1} (I - A)``, and disagreement must last (variance > 0).
4. **Reported, no target**: ``leader_influence`` at the two regime ends of the default
   scenario, where peers talk and the organization answers ideas.

The hand computation for ``W = [[1/2, 1/2, 0], [1/4, 1/2, 1/4], [0, 1/2, 1/2]]``:
``pi W = pi`` gives ``pi_1 = pi_3`` and ``pi_2 = 2 pi_1``, so ``pi = (1/4, 1/2, 1/4)``; DeGroot from
``x0 = (1, 0, 0)`` ends at ``pi . x0 = 1/4`` for all. With susceptibility 1/2 everywhere,
``x = W x / 2 + x0 / 2`` gives ``x3 = x2 / 3``, ``x2 = 3/17 x1`` and ``x = (17/24, 1/8, 1/24)``;
that is column 1 of ``V``, so agent 1's influence share (the mean of that column) is 7/24.

Examples
--------
>>> c = run()
>>> c.passed, c.details["max_abs_error"] < 1e-9, c.details["model_leader_influence"]
(True, True, 1.0)
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.org.network import hierarchy_tree
from sim.rules import opinion
from sim.validation.common import Comparison, row, save_figure

if TYPE_CHECKING:
    from sim.model import AgoraModel

#: How the comparison is set up, for the report.
NOTE = (
    "Agora's continuous-opinion mode (`population.opinion=degroot` or `fj`, "
    "`population.stubbornness` = FJ's 1 - a_i): each step every agent's opinion in [-1, 1] "
    "becomes `A W x + (I - A) x0`, where row i of `W` puts weight 1 on i itself, 0.5 on each "
    "colleague whose post or reply i read, and i's trust in the organization on each broadcast "
    "or answer it read (the organization's opinion is its leadership's mean), normalised. "
    "`leader_influence` is the leadership's share of the column means of the total effects of "
    "the time-averaged `W`. The model's rows run through `AgoraModel` itself "
    "(`opinion_step`, and whole runs on Agora's hierarchy of 200 members with "
    "`regime=broadcast`, no posts, no ideas, no turnover, no stakeholders); the 3x3 values are "
    "worked by hand in `sim/validation/degroot.py`. The library rows check "
    "`sim.rules.opinion` on the same matrix and on a reporting tree of 85 (4 levels, span 4) "
    "where each person puts half their weight on their manager."
)

#: Read under the table: what holds by construction.
CLOSING = (
    "On a broadcast-only hierarchy the leadership's influence is 1 by construction: the top "
    "reads only the organization, whose opinion is its own, so it is the only closed class "
    "and every member's weight on it is positive; the row checks the implementation, not a "
    "finding. Members whose trust falls towards 0 put almost no weight on the organization "
    "and close in on the leader ever more slowly (hence the steady-trust row for the gap). "
    "Where peers talk and the organization answers, the leadership's influence falls below 1; "
    "no published number is compared there."
)

__all__ = [
    "NOTE",
    "CLOSING",
    "W3",
    "X0",
    "HAND_INFLUENCE",
    "HAND_CONSENSUS",
    "HAND_FJ",
    "HAND_FJ_SHARE",
    "BROADCAST_ONLY",
    "run",
]

W3 = np.array([[0.5, 0.5, 0.0], [0.25, 0.5, 0.25], [0.0, 0.5, 0.5]])
X0 = np.array([1.0, 0.0, 0.0])
HAND_INFLUENCE = np.array([1 / 4, 1 / 2, 1 / 4])
HAND_CONSENSUS = 1 / 4
#: FJ equilibrium of W3 from X0 with susceptibility 1/2 for everyone.
HAND_FJ = np.array([17 / 24, 1 / 8, 1 / 24])
#: Agent 1's FJ influence share: the mean of HAND_FJ (column 1 of V).
HAND_FJ_SHARE = 7 / 24

#: Only the organization speaks: no posts, no ideas (so no answers), no newcomers. The same as
#: ``regime=broadcast population.talk=0 population.voice=0 population.turnover=0
#: stakeholders.count=0`` on the command line.
BROADCAST_ONLY: dict[str, Any] = {
    "regime": "broadcast",
    "stakeholders": 0,
    "talk": 0.0,
    "voice": 0.0,
    "turnover": 0.0,
}

SRC_D = "DeGroot (1974) J. Am. Stat. Assoc. 69"
SRC_FJ = "Friedkin & Johnsen (1999)"
TOL = 1e-9


def _three(mode: str, stubbornness: float = 0.0):
    """A top and its two reports, nobody else: the model with three opinion nodes."""
    from sim.model import AgoraModel

    cfg = _config(stakeholders=0, opinion=mode, stubbornness=stubbornness)
    cfg.org.size, cfg.hierarchy.depth, cfg.hierarchy.span = 3, 2, 2
    model = AgoraModel(cfg, seed=1)
    model.opinion[:] = X0
    model.opinion0[:] = X0
    for _ in range(200):
        model.opinion_step(W3)
    model.measure()
    return model


def _config(regime: str | None = None, stakeholders: int | None = None, **population):
    """The default configuration with a regime end, a stakeholder count and population keys.

    Built on one composed default (composing through Hydra costs about 0.5 s a time); equal to
    what the same overrides compose to (``tests/test_validation_degroot.py`` checks it).
    """
    import copy

    from sim.config import to_config
    from sim.config.regimes import ENDS
    from sim.config.schema import RegimeConfig

    if "default" not in _COMPOSED:
        _COMPOSED["default"] = to_config({})
    cfg = copy.deepcopy(_COMPOSED["default"])
    if regime is not None:
        practices: dict[str, Any] = dict(ENDS[regime])  # a float, str or bool by key
        cfg.regime = RegimeConfig(name=regime, **practices)
    if stakeholders is not None:
        cfg.stakeholders.count = stakeholders
    for key, value in population.items():
        setattr(cfg.population, key, value)
    return to_config(cfg)


_COMPOSED: dict = {}


def _run_model(config, steps: int, seed: int, record: bool = False):
    """One run of the model; with ``record`` the members' opinions at every step and each W."""
    import dataclasses

    from sim.model import AgoraModel

    model = AgoraModel(dataclasses.replace(config, steps=steps), seed=seed)
    path, weights = [model.opinion[: model.n_individuals].copy()], []
    if record:
        step = model.opinion_step

        def keep(W):
            weights.append(W)
            step(W)

        # Recording wraps the model's own step for this run only: an instance attribute that
        # shadows the method, which mypy refuses for any assignment to a method.
        model.opinion_step = keep  # type: ignore[method-assign]
    for _ in range(steps):
        model.step()
        if record:
            path.append(model.opinion[: model.n_individuals].copy())
    return model, np.array(path), weights


def _ok(e: float) -> str:
    return "pass (< 1e-9)" if e < TOL else "FAIL"


def _three_by_three() -> tuple[AgoraModel, AgoraModel, dict[str, float]]:
    """The model's DeGroot and FJ modes on the 3x3 matrix, and their errors against hand."""
    dg = _three("degroot")
    fj = _three("fj", 0.5)
    err = {
        "model DeGroot consensus (3x3)": float(np.max(np.abs(dg.opinion - HAND_CONSENSUS))),
        "model influence shares (3x3)": float(
            np.max(np.abs(dg.opinion_influence - HAND_INFLUENCE))
        ),
        "model FJ equilibrium (3x3)": float(np.max(np.abs(fj.opinion - HAND_FJ))),
        "model FJ leader_influence (3x3)": abs(fj.records[-1]["leader_influence"] - HAND_FJ_SHARE),
    }
    return dg, fj, err


def _broadcast_hierarchy(seed: int) -> dict:
    """Agora's hierarchy, broadcasts only: trust moving as usual, then held steady."""
    steps = 200
    model, _, _ = _run_model(_config(**BROADCAST_ONLY, opinion="degroot"), steps, seed)
    frame = model.metrics_frame()
    top = int(np.flatnonzero(model.network.tree.level == 0)[0])
    steady, dg_path, _ = _run_model(
        _config(**BROADCAST_ONLY, opinion="degroot", trust_rate=0.0), 120, seed, record=True
    )
    return {
        "steps": steps,
        "nodes": model.n_nodes,
        "lead": float(frame["leader_influence"].iloc[-1]),
        "settled": int(np.argmax(np.abs(frame["leader_influence"].to_numpy() - 1) < TOL)),
        "gap": float(np.max(np.abs(steady.opinion - steady.opinion0[top]))),
        "path": dg_path,
        "leader": float(steady.opinion0[top]),
    }


def _fj_hierarchy(seed: int) -> dict:
    """FJ with stubbornness 0.3 on the same world, trust steady: W is the same every step."""
    fj_model, fj_path, weights = _run_model(
        _config(**BROADCAST_ONLY, opinion="fj", stubbornness=0.3, trust_rate=0.0),
        200,
        seed,
        record=True,
    )
    W = weights[-1]
    fixed = opinion.fj_equilibrium(W, fj_model.opinion0, 0.7)
    V = opinion.fj_influence_matrix(W, 0.7)
    fj_frame = fj_model.metrics_frame()
    return {
        "same_w": all((w != W).nnz == 0 for w in weights),
        "gap": float(np.max(np.abs(fj_model.opinion - fixed))),
        "share": float(V.mean(axis=0)[fj_model.state.opinions.leaders].sum()),
        "lead": float(fj_frame["leader_influence"].iloc[-1]),
        "var": float(fj_frame["opinion_variance"].iloc[-1]),
        "var_before": float(fj_frame["opinion_variance"].iloc[-51]),
        "path": fj_path,
    }


def _regime_ends(quick: bool, seed: int) -> dict[str, list[float]]:
    """Reported: the leadership's influence at the two regime ends of the default scenario."""
    ends = {}
    for end in ("broadcast", "conversational"):
        values = []
        for s in range(2 if quick else 5):
            m, _, _ = _run_model(_config(end, opinion="degroot"), 100 if quick else 300, seed + s)
            values.append(float(m.metrics_frame()["leader_influence"].iloc[-1]))
        ends[end] = values
    return ends


def _three_rows(dg: AgoraModel, fj: AgoraModel, err: dict[str, float]) -> list[dict]:
    """Rows of the model's modes on the 3x3 matrix against the hand-worked values."""
    via = "AgoraModel.opinion_step, fixed W"
    return [
        row(
            f"model: DeGroot consensus from (1,0,0), 3x3 ({via})",
            SRC_D,
            "exact",
            "1/4 by hand",
            _fmt(dg.opinion),
            f"{err['model DeGroot consensus (3x3)']:.1e}",
            "",
            _ok(err["model DeGroot consensus (3x3)"]),
        ),
        row(
            f"model: influence shares, 3x3 ({via})",
            SRC_D,
            "exact",
            "(1/4, 1/2, 1/4) by hand",
            _fmt(dg.opinion_influence),
            f"{err['model influence shares (3x3)']:.1e}",
            "",
            _ok(err["model influence shares (3x3)"]),
        ),
        row(
            f"model: FJ equilibrium, stubbornness 1/2, 3x3 ({via})",
            SRC_FJ,
            "exact",
            "(17/24, 1/8, 1/24) by hand",
            _fmt(fj.opinion),
            f"{err['model FJ equilibrium (3x3)']:.1e}",
            "",
            _ok(err["model FJ equilibrium (3x3)"]),
        ),
        row(
            "model: FJ leader_influence of agent 1, 3x3",
            SRC_FJ,
            "exact",
            "7/24 by hand (mean of column 1 of V)",
            f"{fj.records[-1]['leader_influence']:.12f}",
            f"{err['model FJ leader_influence (3x3)']:.1e}",
            "",
            _ok(err["model FJ leader_influence (3x3)"]),
        ),
    ]


def _hierarchy_rows(hier: dict, fj: dict) -> list[dict]:
    """Rows of the model on Agora's hierarchy: DeGroot to the top, FJ at the library's point."""
    lead, gap = hier["lead"], hier["gap"]
    return [
        row(
            f"model on Agora's hierarchy ({hier['nodes']}), broadcasts only: leader_influence "
            f"at step {hier['steps']}",
            SRC_D,
            "exact",
            "1 (the only closed class; by construction)",
            f"{lead:.12f}",
            f"{abs(lead - 1):.1e}",
            "",
            _ok(abs(lead - 1)) + f"; within 1e-9 from step {hier['settled']}",
        ),
        row(
            "model, broadcasts only, steady trust: max |x_120 - top's x0|",
            SRC_D,
            "exact",
            "0",
            f"{gap:.2e}",
            f"{gap:.1e}",
            "",
            _ok(gap),
        ),
        *_fj_rows(fj),
    ]


def _fj_rows(fj: dict) -> list[dict]:
    """Rows of the model's FJ mode on Agora's hierarchy."""
    return [
        row(
            "model, FJ stubbornness 0.3, steady trust: max |x_200 - library FJ equilibrium of "
            "the model's W|",
            SRC_FJ,
            "independent implementation",
            "0 (sim.rules.opinion)",
            f"{fj['gap']:.2e}",
            f"{fj['gap']:.1e}",
            "",
            _ok(fj["gap"]) if fj["same_w"] else "FAIL (W changed between steps)",
        ),
        row(
            "model, FJ: leader_influence vs the library's column means of V",
            SRC_FJ,
            "independent implementation",
            f"{fj['share']:.12f}",
            f"{fj['lead']:.12f}",
            f"{abs(fj['lead'] - fj['share']):.1e}",
            "",
            _ok(abs(fj["lead"] - fj["share"])),
        ),
        row(
            "model, FJ: opinion variance at step 200 (step 150)",
            SRC_FJ,
            "pattern",
            "> 0 and settled (lasting disagreement)",
            f"{fj['var']:.4f} ({fj['var_before']:.4f})",
            "",
            "",
            "pass" if _fj_settled(fj) else "FAIL",
        ),
    ]


def _fj_settled(fj: dict) -> bool:
    return fj["var"] > 1e-3 and abs(fj["var"] - fj["var_before"]) < 1e-9


def _ends_rows(ends: dict[str, list[float]]) -> list[dict]:
    return [
        row(
            f"model, DeGroot, regime={end} (default scenario): leader_influence",
            SRC_D,
            "pattern",
            "(no published number)",
            ", ".join(f"{v:.3f}" for v in values),
            "",
            "",
            "reported",
        )
        for end, values in ends.items()
    ]


def _model_rows(quick: bool, seed: int) -> tuple[list, dict, dict]:
    """The model's rows, their numbers, and what the figure draws."""
    dg, fj3, err = _three_by_three()
    hier = _broadcast_hierarchy(seed)
    fj = _fj_hierarchy(seed)
    ends = _regime_ends(quick, seed)
    rows = [*_three_rows(dg, fj3, err), *_hierarchy_rows(hier, fj), *_ends_rows(ends)]
    passed = (
        max(err.values()) < TOL
        and abs(hier["lead"] - 1) < TOL
        and hier["gap"] < TOL
        and fj["same_w"]
        and fj["gap"] < TOL
        and abs(fj["lead"] - fj["share"]) < TOL
        and _fj_settled(fj)
    )
    numbers = {
        "model_errors": err,
        "model_leader_influence": round(hier["lead"], 9),
        "model_leader_gap": hier["gap"],
        "model_fj_gap": fj["gap"],
        "model_fj_variance": fj["var"],
        "model_ends_leader_influence": ends,
        "model_passed": bool(passed),
    }
    drawn = {"degroot": hier["path"], "fj": fj["path"], "leader": hier["leader"]}
    return rows, numbers, drawn


def _library_numbers(seed: int) -> dict:
    """The library :mod:`sim.rules.opinion` on the 3x3 matrix and an 85-member reporting tree."""
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
    tree = hierarchy_tree(None, 4, 4)
    W = opinion.hierarchy_weights(tree.manager, self_weight=0.5)
    x0 = rng.random(tree.size)
    return {
        "pi": pi,
        "limit": limit,
        "fj": fj,
        "fj_iter": fj_iter,
        "errors": errors,
        "leader_pi": float(opinion.influence_vector(W)[0]),
        "leader_gap": float(np.max(np.abs(opinion.iterate(W, x0, 120) - x0[0]))),
        "fj_var": opinion.disagreement(
            opinion.fj_equilibrium(W, x0, np.where(tree.manager < 0, 0.0, 0.7))
        ),
    }


def _library_three_rows(lib: dict) -> list[dict]:
    """Rows of the library on the 3x3 matrix against the hand-worked values."""
    errors = lib["errors"]
    return [
        row(
            "library: influence vector pi (3x3)",
            SRC_D,
            "exact",
            "(1/4, 1/2, 1/4) by hand",
            _fmt(lib["pi"]),
            f"{errors['influence vector']:.1e}",
            "",
            _ok(errors["influence vector"]),
        ),
        row(
            "library: DeGroot consensus from (1,0,0)",
            SRC_D,
            "exact",
            "1/4 by hand",
            _fmt(lib["limit"]),
            f"{errors['DeGroot consensus (exact)']:.1e}",
            "",
            _ok(errors["DeGroot consensus (exact)"]),
        ),
        row(
            "library: FJ equilibrium, susceptibility 1/2",
            SRC_FJ,
            "exact",
            "(17/24, 1/8, 1/24) by hand",
            _fmt(lib["fj"]),
            f"{errors['FJ equilibrium (solve)']:.1e}",
            "",
            _ok(errors["FJ equilibrium (solve)"]),
        ),
        row(
            "library: FJ by iteration (200 steps)",
            SRC_FJ,
            "exact",
            "(17/24, 1/8, 1/24) by hand",
            _fmt(lib["fj_iter"]),
            f"{errors['FJ equilibrium (200 steps)']:.1e}",
            "",
            _ok(errors["FJ equilibrium (200 steps)"]),
        ),
    ]


def _library_tree_rows(lib: dict) -> list[dict]:
    """Rows of the library on the reporting tree."""
    leader_pi, leader_gap, fj_var = lib["leader_pi"], lib["leader_gap"], lib["fj_var"]
    return [
        row(
            "library: reporting tree (85), leader's influence",
            SRC_D,
            "exact",
            "1 (the only closed class)",
            f"{leader_pi:.12f}",
            f"{abs(leader_pi - 1):.1e}",
            "",
            _ok(abs(leader_pi - 1)),
        ),
        row(
            "library: reporting tree, max |x_120 - leader's x0|",
            SRC_D,
            "exact",
            "0",
            f"{leader_gap:.2e}",
            f"{leader_gap:.1e}",
            "",
            "pass" if leader_gap < 1e-6 else "FAIL",
        ),
        row(
            "library: reporting tree, FJ susceptibility 0.7: variance",
            SRC_FJ,
            "pattern",
            "> 0 (lasting disagreement)",
            f"{fj_var:.4f}",
            "",
            "",
            "pass" if fj_var > 1e-3 else "FAIL",
        ),
    ]


def _library_rows(seed: int) -> tuple[list, dict]:
    """The library :mod:`sim.rules.opinion` on the 3x3 matrix and a reporting tree."""
    lib = _library_numbers(seed)
    rows = [*_library_three_rows(lib), *_library_tree_rows(lib)]
    for r in rows:  # the opinion library alone, not the model
        r["through"] = "reference"
    errors = lib["errors"]
    passed = bool(
        max(errors.values()) < TOL
        and abs(lib["leader_pi"] - 1) < TOL
        and lib["leader_gap"] < 1e-6
        and lib["fj_var"] > 1e-3
    )
    return rows, {
        "errors": errors,
        "max_abs_error": max(errors.values()),
        "leader_influence": lib["leader_pi"],
        "leader_gap": lib["leader_gap"],
        "fj_variance": lib["fj_var"],
        "library_passed": passed,
    }


def run(quick: bool = True, seed: int = 1974, out_dir: Path | str | None = None) -> Comparison:
    """The model's opinion mode and the library against hand-worked values; ``quick`` shortens
    only the reported regime-end runs (2 seeds of 100 steps instead of 5 of 300)."""
    t0 = time.perf_counter()
    model_rows, model_numbers, drawn = _model_rows(quick, seed)
    library_rows, library_numbers = _library_rows(seed)
    details = {**library_numbers, **model_numbers}
    details["max_abs_error"] = max(
        library_numbers["max_abs_error"], *model_numbers["model_errors"].values()
    )
    passed = bool(model_numbers["model_passed"] and library_numbers["library_passed"])
    figures = []
    if out_dir is not None:
        figures.append(_plot(drawn, Path(out_dir) / "degroot_hierarchy.png"))
    ends = model_numbers["model_ends_leader_influence"]
    max3 = max(model_numbers["model_errors"].values())
    return Comparison(
        "DeGroot (1974) and Friedkin-Johnsen (1999)",
        "DeGroot (1974) J. Am. Stat. Assoc. 69(345): 118-121; Friedkin & Johnsen (1999)",
        "Consensus on pi . x0 with pi the left unit eigenvector of W; a hierarchy whose top "
        "listens to no one converges to the top; FJ stubbornness leaves lasting disagreement. "
        "Exact values for the 3x3 matrix are computed by hand (module docstring).",
        f"model: max abs error on the 3x3 matrix {max3:.1e}; "
        f"leader_influence on Agora's hierarchy (broadcasts only) "
        f"{model_numbers['model_leader_influence']:.9f}; FJ at the library's fixed point within "
        f"{model_numbers['model_fj_gap']:.1e}, variance {model_numbers['model_fj_variance']:.4f}; "
        f"leader_influence with peer talk: broadcast end {np.mean(ends['broadcast']):.3f}, "
        f"conversational end {np.mean(ends['conversational']):.3f}",
        "model's mode and library within 1e-9" if passed else "outside tolerance",
        passed,
        figures,
        [*model_rows, *library_rows],
        details,
        time.perf_counter() - t0,
        note=NOTE,
        closing=CLOSING,
        kind="verification",
        through="both",
    )


def _fmt(x) -> str:
    return "(" + ", ".join(f"{v:.12g}" for v in np.ravel(x)) + ")"


def _plot(drawn: dict, out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4), sharey=True)
    for ax, p, title in (
        (axes[0], drawn["degroot"], "Model, DeGroot: broadcasts only"),
        (axes[1], drawn["fj"], "Model, Friedkin-Johnsen: stubbornness 0.3"),
    ):
        ax.plot(p, color="C0", lw=0.4, alpha=0.35)
        ax.axhline(drawn["leader"], color="C3", lw=1.5, label="the top's initial opinion")
        ax.set_title(title)
        ax.set_xlabel("step")
    axes[0].set_ylabel("members' opinions")
    axes[0].legend(loc="lower right")
    return save_figure(fig, out)
