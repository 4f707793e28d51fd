"""Bring your own organization: a real org chart and an observed communication network.

An **org chart** is a CSV file with one row per person and the columns ``id``, ``manager_id``
and ``unit``, and optionally ``level`` and ``kind`` (other columns, such as names or titles,
are ignored). Exactly one person, the top, has an empty ``manager_id``. Rows may come in any
order: levels are computed from the reporting chain (0 at the top), and a ``level`` column,
where given, must agree with it. Units are named (``Sales``, ``Engineering``); an empty unit
means "above the units" and is allowed only at the top of the chart (the CEO and a top team
whose own managers have no unit either). Person ``i`` of the model is data row ``i`` of the
file.

A **communication network** replaces the generated peer and cross-unit ties. It is either a
CSV edge list with columns ``source`` and ``target`` (ids of the chart; other columns are
ignored; direction and repeats are ignored) or a GraphML file whose node ids are the chart's
ids.

Every fault is an :class:`OrgChartError` (a :class:`sim.config.ConfigError`) naming the file,
the line and the fault; a file is checked whole before anything is built, so nothing ever
runs on half a structure. Loads are cached by path, modification time and size, since a
configuration is validated more than once before it runs.

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "chart.csv").write_text(
...     "id,manager_id,unit\\nana,bo,Sales\\nbo,,\\ncy,bo,Ops\\ndi,ana,Sales\\n")
>>> chart = load_org_chart(d / "chart.csv")
>>> chart.ids, chart.units
(('ana', 'bo', 'cy', 'di'), ('Ops', 'Sales'))
>>> chart.tree.manager.tolist(), chart.tree.level.tolist(), chart.tree.unit.tolist()
([1, -1, 1, 0], [1, 0, 1, 2], [1, -1, 0, 1])
>>> _ = (d / "talk.csv").write_text("source,target\\nana,cy\\ndi,ana\\ncy,ana\\n")
>>> u, v = load_comm_network(d / "talk.csv", chart)
>>> list(zip(u.tolist(), v.tolist()))
[(0, 2), (0, 3)]
>>> _ = (d / "bad.csv").write_text("id,manager_id,unit\\nana,,Sales\\nbo,zed,Sales\\n")
>>> try:
...     load_org_chart(d / "bad.csv")
... except OrgChartError as err:
...     print(str(err).split(", ", 1)[1])
line 3: id 'bo' reports to manager_id 'zed', which is not an id in the file
"""

from __future__ import annotations

import collections
import csv
import os
from dataclasses import dataclass
from pathlib import Path
from xml.parsers import expat

import numpy as np

from sim.config import ConfigError
from sim.config.paths import resolve_data_path
from sim.org.tree import Tree

__all__ = [
    "OrgChartError",
    "OrgChart",
    "REQUIRED",
    "OPTIONAL",
    "load_org_chart",
    "load_comm_network",
]

#: Columns an org chart must have, and those it may have.
REQUIRED = ("id", "manager_id", "unit")
OPTIONAL = ("level", "kind")
#: Columns a CSV edge list must have.
EDGE_COLUMNS = ("source", "target")
#: How many distinct files each cache keeps.
_CACHE_SIZE = 8


class OrgChartError(ConfigError):
    """An org chart or communication network file is missing, malformed or inconsistent."""


@dataclass(frozen=True, eq=False)
class OrgChart:
    """A loaded org chart: the tree the model uses plus the names it was built from.

    ``ids[i]``, ``kinds[i]`` and ``lines[i]`` describe person ``i`` (data row ``i``, on line
    ``lines[i]`` of the file); ``units[u]`` is the name of unit ``u`` (sorted by name).
    """

    path: Path
    ids: tuple[str, ...]
    kinds: tuple[str, ...]
    units: tuple[str, ...]
    lines: tuple[int, ...]
    tree: Tree

    @property
    def size(self) -> int:
        return len(self.ids)

    def index(self) -> dict[str, int]:
        """Row of each id."""
        return {pid: i for i, pid in enumerate(self.ids)}

    def manager_ids(self) -> tuple[str | None, ...]:
        """Each person's manager id as in the file (None at the top)."""
        return tuple(self.ids[m] if m >= 0 else None for m in self.tree.manager.tolist())


# --------------------------------------------------------------------------- files


def _resolve(path: str | os.PathLike, what: str) -> Path:
    return resolve_data_path(path, what, error=OrgChartError)


def _stamp(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return str(path), st.st_mtime_ns, st.st_size


def _remember(cache: dict, key, value):
    cache[key] = value
    while len(cache) > _CACHE_SIZE:
        cache.pop(next(iter(cache)))
    return value


def _read_csv(path: Path, where: str, required: tuple[str, ...]):
    """Header (lower-cased column -> position) and data rows as (line, cells), blank rows
    skipped. Checks that the file is not empty, has the required columns, and that no row has
    more cells than the header."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            header = None
            rows = []
            for cells in reader:
                cells = [c.strip() for c in cells]
                if not any(cells):
                    continue
                if header is None:
                    header = [c.lower() for c in cells]
                    header_line = reader.line_num
                    continue
                rows.append((reader.line_num, cells))
    except UnicodeDecodeError as err:
        raise OrgChartError(f"{where}: not a UTF-8 text file ({err.reason})") from None
    except csv.Error as err:
        raise OrgChartError(f"{where}: not a readable CSV file ({err})") from None
    if header is None:
        raise OrgChartError(f"{where}: the file is empty")
    missing = [c for c in required if c not in header]
    if missing:
        raise OrgChartError(
            f"{where}, line {header_line}: missing column {missing[0]!r} (the header has "
            f"{_first_names(header)}; required: {', '.join(required)})"
        )
    # Counted once (linear): ``header.count`` per column was quadratic in the header's width.
    counts = collections.Counter(c for c in header if c)
    dupes = sorted(c for c, k in counts.items() if k > 1)
    if dupes:
        raise OrgChartError(f"{where}, line {header_line}: column {dupes[0]!r} appears twice")
    if not rows:
        raise OrgChartError(f"{where}: the file has a header but no rows")
    col: dict[str, int] = {}
    for i, c in enumerate(header):  # the first position of each name, in one pass
        if c:
            col.setdefault(c, i)
    for line, cells in rows:
        if len(cells) > len(header):
            raise OrgChartError(
                f"{where}, line {line}: {len(cells)} cells but the header has {len(header)}"
            )
    return col, rows


def _first_names(header: list[str], shown: int = 12) -> str:
    """The header's first names, and how many more (a header may be megabytes wide)."""
    names = ", ".join(c[:40] for c in header[:shown])
    return names + (f" and {len(header) - shown} more" if len(header) > shown else "")


def _cell(cells: list[str], pos: int | None) -> str:
    return cells[pos] if pos is not None and pos < len(cells) else ""


# --------------------------------------------------------------------------- the chart

_CHARTS: dict = {}


def load_org_chart(path: str | os.PathLike) -> OrgChart:
    """Load and check an org chart CSV (see the module docstring for the format).

    Raises
    ------
    OrgChartError
        Naming the file, the line and the fault: no such file, empty file, a missing column,
        an empty or duplicate id, an unknown manager, several roots, a cycle in the reporting
        chain, a ``level`` that disagrees with the chain, or a person outside the units below
        someone inside one.
    """
    resolved = _resolve(path, "org chart")
    key = _stamp(resolved)
    if key in _CHARTS:
        return _CHARTS[key]
    return _remember(_CHARTS, key, _parse_chart(resolved, f"org chart {path}"))


def _parse_chart(path: Path, where: str) -> OrgChart:
    col, rows = _read_csv(path, where, REQUIRED)
    lines = [line for line, _ in rows]
    ids = [_cell(c, col["id"]) for _, c in rows]
    bosses = [_cell(c, col["manager_id"]) for _, c in rows]
    unit_names = [_cell(c, col["unit"]) for _, c in rows]
    levels_given = [_cell(c, col.get("level")) for _, c in rows]
    kinds = [_cell(c, col.get("kind")) for _, c in rows]

    first_line: dict[str, int] = {}
    for line, pid in zip(lines, ids, strict=True):
        if not pid:
            raise OrgChartError(f"{where}, line {line}: empty id")
        if pid in first_line:
            raise OrgChartError(
                f"{where}, line {line}: duplicate id {pid!r} (first on line {first_line[pid]})"
            )
        first_line[pid] = line
    row_of = {pid: i for i, pid in enumerate(ids)}
    for line, pid, boss in zip(lines, ids, bosses, strict=True):
        if boss and boss not in row_of:
            raise OrgChartError(
                f"{where}, line {line}: id {pid!r} reports to manager_id {boss!r}, which is "
                "not an id in the file"
            )
        if boss == pid:
            raise OrgChartError(
                f"{where}, line {line}: a cycle in the reporting chain: {pid!r} is their own "
                "manager"
            )
    roots = [i for i, boss in enumerate(bosses) if not boss]
    if len(roots) > 1:
        shown = ", ".join(f"{ids[i]!r} (line {lines[i]})" for i in roots[:5])
        more = f" and {len(roots) - 5} more" if len(roots) > 5 else ""
        raise OrgChartError(
            f"{where}, line {lines[roots[1]]}: several roots: {len(roots)} people have no "
            f"manager_id ({shown}{more}); an org chart has exactly one top"
        )

    manager = np.array([row_of[b] if b else -1 for b in bosses], dtype=np.int64)
    level = _levels(manager)
    if (level < 0).any():
        raise OrgChartError(f"{where}, {_describe_cycle(manager, level, ids, lines)}")
    if not roots:  # pragma: no cover - with no root every row is unreached: a cycle above
        raise OrgChartError(f"{where}: no root (every person has a manager_id)")

    for i, text in enumerate(levels_given):
        if not text:
            continue
        try:
            given = int(float(text)) if float(text).is_integer() else None
        except ValueError:
            given = None
        if given is None:
            raise OrgChartError(f"{where}, line {lines[i]}: level {text!r} is not a whole number")
        if given != level[i]:
            raise OrgChartError(
                f"{where}, line {lines[i]}: level {given} given for id {ids[i]!r}, but the "
                f"reporting chain puts them at level {level[i]} "
                f"({' -> '.join(_chain_up(i, manager, ids)[::-1])})"
            )

    names = sorted({u for u in unit_names if u})
    if not names:
        raise OrgChartError(f"{where}: the unit column is empty on every row")
    code = {name: k for k, name in enumerate(names)}
    unit = np.array([code[u] if u else -1 for u in unit_names], dtype=np.int64)
    # Only the top of the chart may sit outside the units: nobody without a unit reports to
    # someone inside one (otherwise a missing cell would silently cut a person off their peers).
    bad = np.flatnonzero((unit < 0) & (manager >= 0) & (unit[np.maximum(manager, 0)] >= 0))
    if bad.size:
        i = int(bad[np.argmin(np.asarray(lines)[bad])])
        raise OrgChartError(
            f"{where}, line {lines[i]}: id {ids[i]!r} has no unit but reports to "
            f"{ids[manager[i]]!r} in unit {unit_names[manager[i]]!r}: only the top of the "
            "chart may sit outside the units"
        )
    tree = Tree(manager, level, unit, np.zeros(len(ids), dtype=np.int64))
    return OrgChart(path, tuple(ids), tuple(kinds), tuple(names), tuple(lines), tree)


def _levels(manager: np.ndarray) -> np.ndarray:
    """Distance of each row from the root along ``manager`` (-1 for rows on or below a cycle).

    Breadth-first distances from a virtual root above every root, in compiled code: one pass
    over the rows whatever the depth (a pass per level was quadratic for a deep chain: a
    100,000-deep chain took 34 s, now well under a second).

    >>> _levels(np.array([-1, 0, 1, 0, 5, 4])).tolist()
    [0, 1, 2, 1, -1, -1]
    """
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import shortest_path

    n = manager.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    above = np.where(manager >= 0, manager, n)  # the virtual root n sits above every root
    graph = csr_matrix((np.ones(n), (above, np.arange(n))), shape=(n + 1, n + 1))
    dist = shortest_path(graph, method="D", directed=True, unweighted=True, indices=n)[:n]
    return np.where(np.isfinite(dist), dist - 1, -1).astype(np.int64)


def _chain_up(i: int, manager: np.ndarray, ids: list[str]) -> list[str]:
    chain = [ids[i]]
    while manager[i] >= 0:
        i = int(manager[i])
        chain.append(ids[i])
    return chain


def _describe_cycle(manager, level, ids, lines) -> str:
    """'line N: a cycle in the reporting chain: a -> b -> a', N the first line on the cycle."""
    start = int(np.flatnonzero(level < 0)[0])
    seen: dict[int, int] = {}
    path: list[int] = []
    i = start
    while i not in seen:  # walks at most n steps, only when reporting an error
        seen[i] = len(path)
        path.append(i)
        i = int(manager[i])
    cycle = path[seen[i] :]
    first = min(cycle, key=lambda r: lines[r])
    k = cycle.index(first)
    cycle = cycle[k:] + cycle[:k]
    names = " -> ".join(repr(ids[r]) for r in [*cycle, cycle[0]])
    return f"line {lines[first]}: a cycle in the reporting chain: {names}"


# --------------------------------------------------------------------------- the network

_NETWORKS: dict = {}


def load_comm_network(path: str | os.PathLike, chart: OrgChart) -> tuple[np.ndarray, np.ndarray]:
    """Load an observed communication network over ``chart``'s ids.

    Returns
    -------
    (u, v)
        Int arrays of undirected pairs of rows of the chart, each pair once with ``u < v``,
        sorted.

    Raises
    ------
    OrgChartError
        Naming the file, the line and the fault: no such file, empty file, a missing column,
        an id not in the chart, a self-loop, a file with no ties, malformed GraphML.
    """
    resolved = _resolve(path, "communication network")
    key = (*_stamp(resolved), str(chart.path), id(chart))
    if key in _NETWORKS:
        return _NETWORKS[key]
    where = f"communication network {path}"
    row_of = chart.index()
    if resolved.suffix.lower() in (".graphml", ".xml") or _looks_like_xml(resolved):
        ends, nodes = _graphml(resolved, where)
        for line, pid in nodes:  # declared people must be the chart's people too
            if pid not in row_of:
                raise OrgChartError(
                    f"{where}, line {line}: node id {pid!r} is not an id in the org chart "
                    f"{chart.path.name}"
                )
    else:
        col, rows = _read_csv(resolved, where, EDGE_COLUMNS)
        ends = [(line, _cell(c, col["source"]), _cell(c, col["target"])) for line, c in rows]
    u = np.empty(len(ends), dtype=np.int64)
    v = np.empty(len(ends), dtype=np.int64)
    for k, (line, a, b) in enumerate(ends):
        for end in (a, b):
            if end not in row_of:
                raise OrgChartError(
                    f"{where}, line {line}: id {end!r} is not an id in the org chart "
                    f"{chart.path.name}"
                )
        if a == b:
            raise OrgChartError(f"{where}, line {line}: a self-loop ({a!r} to itself)")
        u[k], v[k] = row_of[a], row_of[b]
    if not ends:
        raise OrgChartError(f"{where}: the file has no ties")
    pairs = np.unique(np.stack([np.minimum(u, v), np.maximum(u, v)], axis=1), axis=0)
    result = (pairs[:, 0].copy(), pairs[:, 1].copy())
    return _remember(_NETWORKS, key, result)


def _looks_like_xml(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(64).lstrip().startswith(b"<")


def _graphml(path: Path, where: str):
    """Edges as (line, source, target) and declared nodes as (line, id) of a GraphML file.

    Parsed with expat (not networkx) to know the line of every element for error messages.
    """
    edges: list[tuple[int, str, str]] = []
    nodes: list[tuple[int, str]] = []
    parser = expat.ParserCreate(namespace_separator=" ")

    def start(name: str, attrs: dict[str, str]) -> None:
        local = name.rsplit(" ", 1)[-1]
        line = parser.CurrentLineNumber
        if local == "edge":
            if "source" not in attrs or "target" not in attrs:
                raise OrgChartError(f"{where}, line {line}: an edge without source or target")
            edges.append((line, attrs["source"].strip(), attrs["target"].strip()))
        elif local == "node":
            nodes.append((line, attrs.get("id", "").strip()))

    parser.StartElementHandler = start
    try:
        with open(path, "rb") as fh:
            parser.ParseFile(fh)
    except expat.ExpatError as err:
        raise OrgChartError(
            f"{where}, line {err.lineno}: not well-formed GraphML ({expat.ErrorString(err.code)})"
        ) from None
    if not edges and not nodes:
        raise OrgChartError(f"{where}: the file is empty (no nodes, no edges)")
    return edges, nodes
