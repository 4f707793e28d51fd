"""``validate``: run the comparisons with published results and write the report.

By default everything goes to ``outputs/validation/`` (or ``--out DIR``): ``validation.md``,
its figures under ``img/`` and ``results.json``. Only ``--docs`` regenerates the project's
``docs/validation.md`` and ``docs/img/validation/`` (in a source checkout). ``--quick`` runs
small, fixed-seed versions of every comparison (the test suite's). The exit status is 1 when a
comparison fails its stated test.

Examples
--------
>>> import tempfile
>>> with tempfile.TemporaryDirectory() as d:
...     main(["--quick", "--only", "degroot", "--out", d, "--quiet"])
0
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from pathlib import Path

from sim.util.atomic import write_text_atomic
from sim.validation import MODULES
from sim.validation.report import render

__all__ = ["main", "run_all", "DOCS_DIR"]

#: The project's docs directory in a source checkout.
DOCS_DIR = Path(__file__).resolve().parents[2] / "docs"


def _run_one(name: str, quick: bool, img_dir: Path):
    module = importlib.import_module(f"sim.validation.{name}")
    t0 = time.perf_counter()
    comparison = module.run(quick=quick, out_dir=img_dir)
    comparison.wall_time = time.perf_counter() - t0
    return comparison


def run_all(quick: bool, only, img_dir: Path, say=print, jobs: int = 1) -> list[tuple[str, object]]:
    """Run the selected comparisons; results come back in report order.

    With ``jobs > 1`` the comparisons run in that many worker processes (each is seeded on its
    own, so the numbers do not depend on ``jobs``).
    """
    names = [name for name in MODULES if not only or name in only]
    say(f"running {', '.join(names)} ({'quick' if quick else 'full'}, {jobs} job(s))...")
    if jobs <= 1:
        done = {}
        for name in names:
            done[name] = _run_one(name, quick, img_dir)
            say(f"[{name}] {done[name].status} in {done[name].wall_time:.1f}s: "
                f"{done[name].difference}")
    else:
        from concurrent.futures import ProcessPoolExecutor, as_completed

        from sim.exec.parallel import process_context

        with ProcessPoolExecutor(jobs, mp_context=process_context()) as pool:
            futures = {pool.submit(_run_one, name, quick, img_dir): name for name in names}
            done = {}
            for fut in as_completed(futures):
                name = futures[fut]
                done[name] = fut.result()
                say(f"[{name}] {done[name].status} in {done[name].wall_time:.1f}s: "
                    f"{done[name].difference}")
    return [(name, done[name]) for name in names]


def _jsonable(x):
    import numpy as np

    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return _jsonable(x.tolist())
    if isinstance(x, (np.generic,)):
        return x.item()
    if isinstance(x, Path):
        return str(x)
    if isinstance(x, float) and x != x:
        return None
    return x


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` (``sys.argv[1:]`` when None), run, write, return the exit status."""
    parser = argparse.ArgumentParser(
        prog="agora validate",
        description="Compare Agora with published organizational results.",
        epilog="Examples: agora validate --quick; agora validate --only march1991 --workers 2",
    )
    parser.add_argument("--quick", action="store_true", help="small fixed-seed versions")
    parser.add_argument("--only", nargs="+", choices=MODULES, help="run only these")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--out", type=Path, default=Path("outputs") / "validation",
                       help="output directory (default: outputs/validation)")
    where.add_argument("--docs", action="store_true",
                       help="regenerate docs/validation.md and docs/img/validation/")
    parser.add_argument("--workers", "--jobs", dest="jobs", type=int, default=1,
                        help="worker processes (default 1)")
    parser.add_argument("--no-progress", "--quiet", dest="quiet", action="store_true",
                        help="no progress lines")
    args = parser.parse_args(argv)
    say = (lambda msg: None) if args.quiet else (lambda msg: print(msg, flush=True))
    if args.docs:
        if not DOCS_DIR.is_dir():
            parser.error(f"--docs needs a source checkout: {DOCS_DIR} does not exist")
        doc, img = DOCS_DIR / "validation.md", DOCS_DIR / "img" / "validation"
    else:
        doc, img = args.out / "validation.md", args.out / "img"
    started = time.perf_counter()
    if args.jobs < 1:
        parser.error(f"--workers must be at least 1, got {args.jobs}")
    results = run_all(args.quick, args.only, img, say, args.jobs)
    command = "python experiments/validate.py" + (" --docs" if args.docs else "") + (
        " --quick" if args.quick else "")
    write_text_atomic(doc, render(results, args.quick, doc, command))
    if not args.docs:
        payload = {name: {"name": c.name, "passed": c.passed, "rows": c.rows,
                          "details": c.details, "wall_time": c.wall_time}
                   for name, c in results}
        write_text_atomic(args.out / "results.json", json.dumps(_jsonable(payload), indent=1))
    failed = [name for name, c in results if not c.passed]
    say(f"wrote {doc} in {time.perf_counter() - started:.0f}s; "
        + (f"not reproduced: {', '.join(failed)}" if failed else "all comparisons pass"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
