"""The package's layers import one way: a lower layer never imports a higher one.

Every ``import`` in ``sim/`` is read with :mod:`ast`, including imports inside functions (a
lazy import is still a dependency), and each module is placed in its layer below. A module
that no layer names fails the test too, so a new folder has to be placed on purpose.
"""

from __future__ import annotations

import ast
from pathlib import Path

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
    ("experiments", ("sim.runs",)),
    ("scenarios", ("sim.scenarios",)),
    ("front ends", ("sim.validation", "sim.app", "sim.lab", "sim.cli")),
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


def test_the_check_itself_catches_an_upward_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from sim.runs.jobs import run_job\n")
    assert [t for _, t in sim_imports(bad)] == ["sim.runs.jobs"]
    assert layer_of("sim.runs.jobs") > layer_of("sim.rules.routing")
