"""Run every comparison with a published model and write ``docs/validation.md``.

Examples (from the repository root)::

    python experiments/validate.py --quick            # about a minute on two cores
    python experiments/validate.py                    # full: fine grids, 400 runs per point
    python experiments/validate.py --only degroot dws

Each comparison lives in ``sim/validation/<name>.py`` and returns a
:class:`sim.validation.common.Comparison`; its plots go to ``docs/img/validation/`` and the
report lists, for each, the published figure or value, ours, the difference and the plot.
The exit status is 1 when any comparison fails its check.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from pathlib import Path

from sim.util.atomic import write_text_atomic
from sim.validation import MODULES

ROOT = Path(__file__).resolve().parent.parent

#: How each comparison is set up, for the report (what a reader needs to judge it).
NOTES = {
    "degroot": (
        "Continuous-opinion mode `sim.rules.opinion`: row-stochastic trust weights `W`, update "
        "`x <- A W x + (I - A) x0` with `A` the susceptibilities (1 - stubbornness). The 3x3 "
        "values are worked by hand in `sim/validation/degroot.py`. The hierarchy is Agora's "
        "reporting tree (`sim.org.network.hierarchy_tree`, 4 levels, span 4): each person puts "
        "half their weight on their manager, the top only on itself."
    ),
    "lazer_friedman": (
        "Task environment `sim.validation.nk`: Kauffman NK landscape (N = 20, K = 5, random "
        "interactions), fitness tabulated for all 2^20 solutions; score = (fitness / global "
        "max)^8 as in the paper. 100 agents; each round an agent copies its best neighbour if "
        "that one scores higher, otherwise flips one random bit and keeps it if better. "
        "Totally connected vs linear (a ring, two neighbours each); both networks start from "
        "the same landscapes and solutions. The published numbers are read by eye from the "
        "paper's figure and are approximate; the ordering is the check."
    ),
    "dws": (
        "Backbone: Agora's complete reporting tree. Messages go between uniformly random "
        "pairs; each holder forwards to its neighbour closest in the tree to the target "
        "(ties at random); load = messages passing through a person. m = N extra ties drawn "
        "with P(i, j) ~ exp(-D/lam) exp(-x/zeta), D = depth of the lowest common ancestor "
        "from the top, x = sqrt(d_i^2 + d_j^2 - 2): random (lam, zeta -> inf), team "
        "(zeta -> 0: siblings), interdivision (lam -> 0), multiscale (lam = zeta = 1). "
        "Agora's own `cross_unit_ties` (random and multiscale, cross-unit only) is run on "
        "the same tree for comparison. DWS show curves, not tables; the ordering is the check."
    ),
    "march1991": (
        "Every point is `sim.simulate(load_config(['scenario=march1991', ...]))`, final "
        "`knowledge_code` after 100 periods (the code is settled by then: it does not change "
        "between periods 100 and 1000 at 80 runs). m = 30, n = 50. **The Figure 1 "
        "'published' values are approximate readings recalled from March's printed figure, "
        "not a digitisation of a scan: none was available to us, and they were written down "
        "after our first runs had been seen, so they are not an independent check.** Replace "
        "`FIG1_READ` in `sim/validation/march1991.py` with a proper digitisation when one is "
        "available. Figures 2, 4 and 5 are checked against the findings March states in the "
        "text. Figure 2 compares a mix of fast (p1 = 0.9) and slow (p1 = 0.1) learners with "
        "a homogeneous population of the same average rate (`population.fast_share`, "
        "`population.fast_socialization`); Figure 4 varies turnover p3; Figure 5 runs "
        "turbulence p4 = 0.02 with p3 = 0 and p3 = 0.1 (p1 = p2 = 0.5)."
    ),
}


def _progress(msg: str) -> None:
    print(f"  {msg}", flush=True)


def run_all(quick: bool, only: list[str] | None, img_dir: Path) -> list[tuple[str, object]]:
    """Run the selected comparisons in report order; each returns a Comparison."""
    results = []
    for name in MODULES:
        if only and name not in only:
            continue
        module = importlib.import_module(f"sim.validation.{name}")
        print(f"[{name}] running ({'quick' if quick else 'full'})...", flush=True)
        t0 = time.perf_counter()
        kwargs = {"quick": quick, "out_dir": img_dir}
        if name == "march1991":
            kwargs["progress"] = _progress
        comparison = module.run(**kwargs)
        comparison.wall_time = time.perf_counter() - t0
        print(f"[{name}] {comparison.status} in {comparison.wall_time:.1f}s: "
              f"{comparison.difference}", flush=True)
        results.append((name, comparison))
    return results


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render(results, quick: bool, doc_path: Path) -> str:
    """The markdown report."""
    lines = [
        "# Validation against published models",
        "",
        "Generated by `python experiments/validate.py"
        + (" --quick`" if quick else "`")
        + f" ({'quick' if quick else 'full'} mode). Re-run it to refresh this page; plots are "
        "in `docs/img/validation/`.",
        "",
        "| comparison | status | published | ours | difference | time |",
        "|---|---|---|---|---|---|",
    ]
    for _, c in results:
        lines.append(
            f"| {_cell(c.name)} | {c.status} | {_cell(c.published)} | {_cell(c.ours)} | "
            f"{_cell(c.difference)} | {c.wall_time:.0f} s |"
        )
    for name, c in results:
        lines += ["", f"## {c.name}", "", f"Reference: {c.reference}.", "",
                  NOTES.get(name, ""), "",
                  f"- **Published:** {c.published}",
                  f"- **Ours:** {c.ours}",
                  f"- **Difference:** {c.difference} ({c.status})", ""]
        if c.rows:
            lines += ["| quantity | published | ours | difference |", "|---|---|---|---|"]
            lines += [
                f"| {_cell(r['quantity'])} | {_cell(r['published'])} | {_cell(r['ours'])} | "
                f"{_cell(r['difference'])} |"
                for r in c.rows
            ]
            lines.append("")
        checks = c.details.get("checks") if isinstance(c.details, dict) else None
        if checks:
            lines += [f"- {'pass' if ok else 'FAIL'}: {k}" for k, ok in checks.items()]
            lines.append("")
        for fig in c.figures:
            rel = os.path.relpath(fig, doc_path.parent)
            lines.append(f"![{c.name}]({rel})")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small grids and run counts")
    parser.add_argument("--only", nargs="*", choices=MODULES, help="run only these")
    parser.add_argument("--doc", type=Path, default=ROOT / "docs" / "validation.md")
    parser.add_argument("--img-dir", type=Path, default=ROOT / "docs" / "img" / "validation")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    results = run_all(args.quick, args.only, args.img_dir)
    write_text_atomic(args.doc, render(results, args.quick, args.doc))
    failed = [name for name, c in results if not c.passed]
    print(f"wrote {args.doc} in {time.perf_counter() - started:.0f}s; "
          + (f"FAILED: {', '.join(failed)}" if failed else "all comparisons pass"), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
