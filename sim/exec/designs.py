"""Sampling designs beyond Hydra's grid: Latin hypercube, Sobol (Saltelli) and Morris
trajectories over named ranges.

A design is a table of points, one column per configuration key, drawn over ranges such as
``regime.mix=0:1``. :func:`write_design` turns it into a folder that the Hydra launchers run:

``design.json``
    method, n, seed, the ranges, which keys are integers and, when the design measures a
    practice's effect, the two settings of that practice (``compare``): what
    :mod:`sim.studies.sensitivity` needs.
``design.csv``
    the points: ``point`` (0, 1, ...) then one column per key.
``design/point_00000.yaml`` ...
    one Hydra config-group option per point (``# @package _global_`` plus the point's values).
``overrides.txt``
    one line of Hydra overrides per point, for drivers outside Hydra (SLURM arrays, xargs).

``experiment/agora_design.yaml``
    a named experiment whose ``hydra.sweeper.params`` sweep ``+design`` over every point
    (and, with ``compare``, the practice over its two settings: every point runs twice with
    the same seeds, so the practice's effect is a difference paired by seed).

Sizes. ``sobol`` takes ``n`` base samples, a power of two (Sobol' sequences are balanced only
at powers of two; SALib warns otherwise, we refuse), and gives ``n * (d + 2)`` points;
``morris`` takes ``n`` trajectories of ``d + 1`` points on a 4-level grid; ``lhs`` gives ``n``
points. The smallest sizes an analysis accepts are in :data:`sim.studies.sensitivity.MIN_SIZE`.

The sweep is then an ordinary multirun over that config group (``sweep_command``)::

    agora run -m hydra.searchpath=[file:///abs/design] +experiment=agora_design

so every launcher, the resume rules and the aggregation work unchanged; job ``k`` of the sweep
runs point ``k``. The aggregation (:mod:`sim.studies.aggregate`, :mod:`sim.exec.dataset`) finds
the design folder again from the jobs' Hydra search path and gives ``runs.parquet`` and the
dataset one typed column per parameter beside ``design`` (:func:`design_columns`), so a
design's results carry their values without a join on ``design.csv``.

Examples
--------
>>> ranges = parse_ranges(["regime.mix=0:1", "org.size=40:80"])
>>> ranges
{'regime.mix': (0.0, 1.0, 'float'), 'org.size': (40, 80, 'int')}
>>> d = make_design(ranges, method="lhs", n=8, seed=1)
>>> d.shape, bool(d["regime.mix"].between(0, 1).all()), d["org.size"].dtype.kind
((8, 2), True, 'i')
>>> len(make_design(ranges, method="sobol", n=8, seed=1))  # Saltelli: n * (d + 2) points
32
>>> len(make_design(ranges, method="morris", n=10, seed=1))  # n trajectories of d + 1 points
30
>>> make_design(ranges, method="sobol", n=10)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: --n 10 is not a power of two: ...; use 8 or 16
"""

from __future__ import annotations

import json
import os
import typing
from collections.abc import Mapping, Sequence
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sim.config import AgoraConfig, ConfigError
from sim.util.atomic import write_text_atomic

__all__ = [
    "METHODS",
    "MORRIS_LEVELS",
    "parse_ranges",
    "parse_compare",
    "make_design",
    "write_design",
    "read_design",
    "sweep_command",
    "salib_problem",
    "points_of",
    "design_folder",
    "design_columns",
]

METHODS = ("lhs", "sobol", "morris")
#: Grid levels of a Morris design (4, the usual choice: Morris 1991; SALib's default).
MORRIS_LEVELS = 4
GROUP = "design"
#: The named experiment (in the design folder) whose sweeper params list every point.
SWEEP_OPTION = "agora_design"


def _key_type(key: str) -> str:
    """'int' or 'float' for a numeric configuration key; ConfigError otherwise."""
    node: Any = AgoraConfig
    kind: Any = None
    for part in key.split("."):
        if not is_dataclass(node):
            raise ConfigError(f"{key}: not a configuration key")
        hints = typing.get_type_hints(node)
        if part not in {f.name for f in fields(node)}:
            raise ConfigError(f"{key}: not a configuration key ({part!r} unknown)")
        kind = hints[part]
        node = kind
    args = set(typing.get_args(kind)) - {type(None)} or {kind}
    if args == {int}:
        return "int"
    if args == {float}:
        return "float"
    raise ConfigError(f"{key}: a design needs a numeric key (int or float), not {kind}")


def parse_ranges(specs: Sequence[str] | Mapping[str, tuple]) -> dict[str, tuple]:
    """``["key=lo:hi", ...]`` to ``{key: (lo, hi, "int" | "float")}``, checked by the schema."""
    items = specs.items() if isinstance(specs, Mapping) else [_split(s) for s in specs]
    out: dict[str, tuple] = {}
    for key, (lo, hi) in items:
        kind = _key_type(key)
        cast = int if kind == "int" else float
        lo, hi = cast(lo), cast(hi)
        if not lo < hi:
            raise ConfigError(f"{key}={lo}:{hi}: the range needs low < high")
        out[key] = (lo, hi, kind)
    return out


def _split(spec: str) -> tuple[str, tuple[str, str]]:
    key, sep, rng = spec.partition("=")
    lo, sep2, hi = rng.partition(":")
    if not sep or not sep2:
        raise ConfigError(f"{spec!r}: write a range as key=low:high, e.g. regime.mix=0:1")
    try:
        float(lo), float(hi)
    except ValueError:
        raise ConfigError(f"{spec!r}: the bounds must be numbers") from None
    return key.strip(), (lo, hi)


def parse_compare(spec: str) -> tuple[str, list[str]]:
    """``"key=A,B"`` to ``(key, ["A", "B"])``: a practice and the two settings to compare.

    The effect is always *B minus A* (the second setting minus the first), paired by seed.
    Each setting is checked by composing the configuration with it.

    >>> parse_compare("regime.voting=false,true")
    ('regime.voting', ['false', 'true'])
    >>> parse_compare("regime.voting=true")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sim.config.ConfigError: regime.voting=true: compare two settings, written key=A,B (the ...
    """
    key, sep, values = spec.partition("=")
    settings = [v.strip() for v in values.split(",") if v.strip()]
    if not sep or len(settings) != 2 or settings[0] == settings[1]:
        raise ConfigError(
            f"{spec}: compare two settings, written key=A,B (the effect is B minus A)"
        )
    from sim.config import load_config, to_config

    for value in settings:
        to_config(load_config([f"{key.strip()}={value}"]))
    return key.strip(), settings


def not_power_of_two(n: int) -> str:
    """The message refusing a Sobol size that is not a power of two, with the two nearest."""
    low = 1 << (int(n).bit_length() - 1)
    return (
        f"--n {n} is not a power of two: a Sobol design needs n = 2**k base samples "
        f"(Sobol' sequences are balanced only at powers of two); use {low} or {2 * low}"
    )


def points_of(method: str, n: int, d: int) -> int:
    """How many points a design of ``method`` and size ``n`` over ``d`` keys has.

    >>> points_of("sobol", 64, 3), points_of("morris", 10, 3), points_of("lhs", 50, 3)
    (320, 40, 50)
    """
    return {"sobol": n * (d + 2), "morris": n * (d + 1)}.get(method, n)


def salib_problem(ranges: Mapping[str, tuple]) -> dict[str, Any]:
    """The SALib problem dictionary of a set of ranges."""
    return {
        "num_vars": len(ranges),
        "names": list(ranges),
        "bounds": [[float(lo), float(hi)] for lo, hi, _ in ranges.values()],
    }


def make_design(
    ranges: Mapping[str, tuple], *, method: str = "lhs", n: int = 64, seed: int = 0
) -> pd.DataFrame:
    """Points over ``ranges``: ``lhs`` gives ``n`` points (scipy's Latin hypercube), ``sobol``
    the Saltelli scheme of SALib, ``n * (d + 2)`` points from which first-order and total
    Sobol indices can be estimated (``n`` a power of two, refused otherwise), ``morris`` ``n``
    trajectories of ``d + 1`` points each on a :data:`MORRIS_LEVELS`-level grid (SALib).
    Integer keys are rounded (a Morris step on an integer key is then only approximately one
    grid jump).
    """
    if method not in METHODS:
        raise ValueError(f"method={method!r}: one of {list(METHODS)}")
    if n < 1:
        raise ValueError("n must be >= 1")
    if method == "sobol" and n & (n - 1):
        raise ValueError(not_power_of_two(n))
    problem = salib_problem(ranges)
    if method == "lhs":
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=len(ranges), seed=np.random.default_rng(seed)).random(n)
        lows = np.array([b[0] for b in problem["bounds"]])
        highs = np.array([b[1] for b in problem["bounds"]])
        points = qmc.scale(unit, lows, highs)
    elif method == "morris":
        from SALib.sample import morris

        points = morris.sample(problem, n, num_levels=MORRIS_LEVELS, seed=seed)
    else:
        from SALib.sample import sobol

        points = sobol.sample(problem, n, calc_second_order=False, seed=seed)
    frame = pd.DataFrame(points, columns=list(ranges))
    for key, (_, _, kind) in ranges.items():
        if kind == "int":
            frame[key] = np.rint(frame[key]).astype(np.int64)
    return frame


def _nested(point: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in point.items():
        node = out
        *parents, leaf = key.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value.item() if hasattr(value, "item") else value
    return out


def write_design(
    design: pd.DataFrame,
    ranges: Mapping[str, tuple],
    out_dir: str | os.PathLike,
    *,
    method: str,
    n: int,
    seed: int,
    compare: tuple[str, Sequence[str]] | None = None,
) -> Path:
    """Write the design folder (see the module docstring); refuse to overwrite another design.

    ``compare`` (from :func:`parse_compare`) makes every point run at both settings of a
    practice, with the same seeds.
    """
    out = Path(out_dir)
    meta = {
        "method": method,
        "n": n,
        "seed": seed,
        "points": len(design),
        "ranges": {k: [lo, hi] for k, (lo, hi, _) in ranges.items()},
        "types": {k: kind for k, (_, _, kind) in ranges.items()},
        "calc_second_order": False,
        "group": GROUP,
    }
    if method == "morris":
        meta["levels"] = MORRIS_LEVELS
    if compare is not None:
        meta["compare"] = {"key": compare[0], "values": [str(v) for v in compare[1]]}
    if (out / "design.json").exists():
        old = json.loads((out / "design.json").read_text())
        if old != meta:
            raise FileExistsError(f"{out} holds another design; choose another --out")
    options = out / GROUP
    options.mkdir(parents=True, exist_ok=True)
    width = max(5, len(str(len(design) - 1)))
    lines = []
    for i, row in enumerate(design.to_dict(orient="records")):
        body = yaml.safe_dump(_nested(row), sort_keys=False)
        text = f"# @package _global_\n# design point {i} ({method})\n{body}"
        write_text_atomic(options / f"point_{i:0{width}d}.yaml", text)
        lines.append(" ".join(f"{k}={_fmt(v)}" for k, v in row.items()))
    table = design.copy()
    table.insert(0, "point", np.arange(len(design)))
    # The sweep itself: hydra.sweeper.params of a named experiment in the design folder, so
    # that a design of any size fits (a command line of 10,000 names would not) and
    # multirun.yaml records every expected point for the aggregation.
    names = ",".join(f"point_{i:0{width}d}" for i in range(len(design)))
    params = {f"+{GROUP}": names}
    if compare is not None:
        params[compare[0]] = ",".join(str(v) for v in compare[1])
    (out / "experiment").mkdir(exist_ok=True)
    write_text_atomic(
        out / "experiment" / f"{SWEEP_OPTION}.yaml",
        "# @package _global_\n# every point of this design, one job each (sim/exec/designs.py)\n"
        + yaml.safe_dump({"hydra": {"sweeper": {"params": params}}}, width=1e9),
    )
    write_text_atomic(out / "design.csv", table.to_csv(index=False))
    write_text_atomic(out / "overrides.txt", "\n".join(lines) + "\n")
    write_text_atomic(out / "design.json", json.dumps(meta, indent=2) + "\n")
    return out


def _fmt(value: Any) -> str:
    return repr(value.item() if hasattr(value, "item") else value)


def read_design(design_dir: str | os.PathLike) -> tuple[dict[str, Any], pd.DataFrame]:
    """``design.json`` and ``design.csv`` of a design folder."""
    d = Path(design_dir)
    meta = json.loads((d / "design.json").read_text())
    return meta, pd.read_csv(d / "design.csv")


def sweep_command(
    design_dir: str | os.PathLike,
    extra: Sequence[str] = (),
    *,
    python: str = "python",
    run_py: str = "experiments/run.py",
) -> list[str]:
    """The ``run.py -m`` command that runs every point of the design as one job.

    >>> sweep_command("/tmp/d", ["replicates=5"])[3:]
    ['hydra.searchpath=[file:///tmp/d]', '+experiment=agora_design', 'replicates=5']
    """
    path = Path(design_dir).resolve()
    return [
        python,
        run_py,
        "-m",
        f"hydra.searchpath=[file://{path}]",
        f"+experiment={SWEEP_OPTION}",
        *extra,
    ]


def design_folder(job_dirs: Sequence[str | os.PathLike]) -> Path | None:
    """The design folder a sweep ran: the entry of the first job's ``hydra.searchpath`` that
    holds a ``design.json`` (None when there is none, or it has moved)."""
    for d in job_dirs:
        hydra = Path(d) / ".hydra" / "hydra.yaml"
        if not hydra.is_file():
            continue
        cfg = yaml.safe_load(hydra.read_text(encoding="utf-8")) or {}
        for entry in (cfg.get("hydra") or {}).get("searchpath") or []:
            path = Path(str(entry).removeprefix("file://"))
            if (path / "design.json").is_file():
                return path
        return None
    return None


def design_columns(
    job_dirs: Sequence[str | os.PathLike], typed: Mapping[str, pd.Series]
) -> dict[str, pd.Series]:
    """Each job's design parameters as typed columns, from its ``design`` column (``point_k``).

    ``typed`` holds the sweep's columns so far, one value per job; keys already there (a swept
    key of the same name) are left alone. Integer keys become ``Int64``, the others
    ``float64``; a job without a point gets NA. Nothing when the sweep is no design sweep or
    its design folder cannot be found.
    """
    if "design" not in typed:
        return {}
    folder = design_folder(job_dirs)
    if folder is None:
        return {}
    meta, points = read_design(folder)
    number = typed["design"].astype("string").str.rsplit("_", n=1).str[-1]
    index = pd.to_numeric(number, errors="coerce")
    table = points.set_index("point")
    out = {}
    for key in meta["ranges"]:
        if key in typed:
            continue
        kind = "Int64" if meta.get("types", {}).get(key) == "int" else "float64"
        out[key] = pd.Series(table[key].reindex(index).to_numpy(), dtype="float64").astype(kind)
    return out
