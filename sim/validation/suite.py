"""The validation suite: run the comparisons with published results and write the report.

:func:`validate` runs the selected comparisons (:data:`sim.validation.MODULES`, each seeded on
its own), writes the page (``validation.md``) with its figures, and, outside the project's
docs, ``results.json``. Its arguments are parsed by ``agora validate``
(:mod:`sim.cli.validate`). The exit status is 1 when a comparison fails its stated test.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> with tempfile.TemporaryDirectory() as d:
...     validate(True, ["degroot"], Path(d) / "validation.md", Path(d) / "img",
...              results=Path(d) / "results.json", say=lambda msg: None)
0
"""

from __future__ import annotations

import importlib
import json
import time
from pathlib import Path

from sim.util.atomic import write_text_atomic
from sim.validation import MODULES
from sim.validation.common import Comparison
from sim.validation.report import render

__all__ = ["validate", "run_all", "DOCS_DIR"]

#: The project's docs directory in a source checkout.
DOCS_DIR = Path(__file__).resolve().parents[2] / "docs"


def _run_one(name: str, quick: bool, img_dir: Path) -> Comparison:
    module = importlib.import_module(f"sim.validation.{name}")
    t0 = time.perf_counter()
    comparison = module.run(quick=quick, out_dir=img_dir)
    comparison.wall_time = time.perf_counter() - t0
    return comparison


def run_all(
    quick: bool, only, img_dir: Path, say=print, jobs: int = 1
) -> list[tuple[str, Comparison]]:
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
            say(
                f"[{name}] {done[name].status} in {done[name].wall_time:.1f}s: "
                f"{done[name].difference}"
            )
    else:
        from concurrent.futures import ProcessPoolExecutor, as_completed

        from sim.exec.parallel import process_context

        with ProcessPoolExecutor(jobs, mp_context=process_context()) as pool:
            futures = {pool.submit(_run_one, name, quick, img_dir): name for name in names}
            done = {}
            for fut in as_completed(futures):
                name = futures[fut]
                done[name] = fut.result()
                say(
                    f"[{name}] {done[name].status} in {done[name].wall_time:.1f}s: "
                    f"{done[name].difference}"
                )
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


def validate(
    quick: bool,
    only,
    doc: Path,
    img: Path,
    *,
    results: Path | None = None,
    docs: bool = False,
    say=print,
    jobs: int = 1,
) -> int:
    """Run the comparisons, write ``doc`` (figures in ``img``) and ``results`` (if given);
    1 when a comparison is not reproduced, else 0. ``docs`` names the command that made the
    project's own page in its header."""
    started = time.perf_counter()
    outcome = run_all(quick, only, img, say, jobs)
    command = "agora validate" + (" --docs" if docs else "") + (" --quick" if quick else "")
    write_text_atomic(doc, render(outcome, quick, doc, command))
    if results is not None:
        payload = {
            name: {
                "name": c.name,
                "passed": c.passed,
                "rows": c.rows,
                "details": c.details,
                "wall_time": c.wall_time,
            }
            for name, c in outcome
        }
        write_text_atomic(results, json.dumps(_jsonable(payload), indent=1))
    failed = [name for name, c in outcome if not c.passed]
    say(
        f"wrote {doc} in {time.perf_counter() - started:.0f}s; "
        + (f"not reproduced: {', '.join(failed)}" if failed else "all comparisons pass")
    )
    return 1 if failed else 0
