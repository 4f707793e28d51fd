"""The package's layers import one way: a lower layer never imports a higher one, and no
module imports itself back through others (no import loops, inside a layer either).

Every ``import`` in ``sim/`` is read with :mod:`ast`, including imports inside functions (a
lazy import is still a dependency), and each module is placed in its layer below. A module
that no layer names fails the test too, so a new folder has to be placed on purpose.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

SIM = Path(__file__).resolve().parent.parent / "sim"

#: Bottom to top. A module may import its own layer and any layer below it.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("utilities", ("sim.util",)),
    ("configuration", ("sim.config",)),
    ("structure", ("sim.org",)),
    ("rules", ("sim.rules",)),
    ("model", ("sim", "sim.agents", "sim.model", "sim.march", "sim.simulation", "sim.preflight")),
    ("pictures", ("sim.viz",)),
    ("execution", ("sim.exec",)),
    ("outcomes", ("sim.studies.outcomes",)),
    ("studies", ("sim.studies",)),
    ("scenarios", ("sim.scenarios",)),
    ("front ends", ("sim.validation", "sim.app", "sim.lab", "sim.cli")),
    # Old import paths kept for users' code (sim.runs.aggregate, sim.runs.dataset): nothing
    # in sim/ may import them.
    ("old paths", ("sim.runs",)),
]


def layer_of(module: str) -> int:
    """The index in LAYERS of the longest prefix that names ``module``."""
    best, best_len = None, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    if best is None:
        raise LookupError(module)
    return best


def module_name(path: Path) -> str:
    parts = path.relative_to(SIM.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def sim_imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import of a ``sim`` module in the file, at any depth."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "sim"]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] != "sim":
                continue
            # ``from sim import march`` imports the module sim.march, not the package.
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                is_module = (SIM.parent / Path(*sub.split("."))).with_suffix(".py").is_file() or (
                    SIM.parent / Path(*sub.split("."))
                ).is_dir()
                found.append((node.lineno, sub if is_module else node.module))
    return found


MODULES = sorted(SIM.rglob("*.py"))


def test_every_module_has_a_layer():
    unplaced = []
    for path in MODULES:
        try:
            layer_of(module_name(path))
        except LookupError:
            unplaced.append(module_name(path))
    assert not unplaced, f"place these modules in a layer of tests/test_layers.py: {unplaced}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SIM.parent)))
def test_imports_point_down(path):
    here = module_name(path)
    mine = layer_of(here)
    upward = [
        f"line {line}: {here} ({LAYERS[mine][0]}) imports {target} ({LAYERS[layer_of(target)][0]})"
        for line, target in sim_imports(path)
        if layer_of(target) > mine
    ]
    assert not upward, "\n".join(upward)


def test_configuration_imports_nothing_above_utilities():
    for path in (SIM / "config").rglob("*.py"):
        for line, target in sim_imports(path):
            assert layer_of(target) <= layer_of("sim.config"), f"{path.name}:{line} {target}"


def test_arguments_are_parsed_in_sim_cli_only():
    # A study takes a request; the command (sim/cli) turns argv into it.
    parsers = [
        str(path.relative_to(SIM.parent))
        for path in MODULES
        if not module_name(path).startswith("sim.cli")
        and any(
            isinstance(node, (ast.Import, ast.ImportFrom))
            and "argparse"
            in ([a.name for a in node.names] if isinstance(node, ast.Import) else [node.module])
            for node in ast.walk(ast.parse(path.read_text()))
        )
    ]
    assert not parsers, f"parse arguments in sim/cli only: {parsers}"


def test_the_check_itself_catches_an_upward_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from sim.exec.jobs import run_job\n")
    assert [t for _, t in sim_imports(bad)] == ["sim.exec.jobs"]
    assert layer_of("sim.exec.jobs") > layer_of("sim.rules.routing")


# --------------------------------------------------------------------------- import loops


def import_graph(paths) -> nx.DiGraph:
    """Module -> imported ``sim`` module, one edge per pair, imports inside functions too."""
    graph = nx.DiGraph()
    for path in paths:
        here = module_name(path)
        graph.add_node(here)
        for _, target in sim_imports(path):
            graph.add_edge(here, target)
    return graph


def import_loops(graph: nx.DiGraph) -> list[frozenset[str]]:
    """Every set of modules that import one another in a loop (a module importing itself too).

    >>> [sorted(loop) for loop in import_loops(nx.DiGraph([("a", "b"), ("b", "a"), ("b", "c")]))]
    [['a', 'b']]
    """
    return sorted(
        (
            frozenset(c)
            for c in nx.strongly_connected_components(graph)
            if len(c) > 1 or graph.has_edge(next(iter(c)), next(iter(c)))
        ),
        key=sorted,
    )


def test_no_import_loops():
    loops = [sorted(loop) for loop in import_loops(import_graph(MODULES))]
    assert not loops, (
        f"import loops in sim/ (break each, e.g. by moving the shared part down): {loops}"
    )


def test_the_loop_check_sees_a_loop_through_a_function(tmp_path):
    # b imports a only inside a function: still a loop.
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("from sim.studies.paired import plan_paired\n")
    b.write_text("def g():\n    from sim.studies.compare import run_compare\n")
    graph = nx.DiGraph()
    graph.add_edges_from(("sim.studies.compare", t) for _, t in sim_imports(a))
    graph.add_edges_from(("sim.studies.paired", t) for _, t in sim_imports(b))
    assert import_loops(graph) == [frozenset({"sim.studies.compare", "sim.studies.paired"})]
    graph.add_edge("sim.util.x", "sim.util.x")
    assert frozenset({"sim.util.x"}) in import_loops(graph)
