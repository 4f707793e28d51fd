"""The tutorial notebooks run from top to bottom, as a reader would run them, and are stored
without outputs (a notebook's outputs belong to whoever ran it, not to the repository).

Each is executed with nbclient in a fresh folder outside the checkout, with this interpreter's
``agora`` first on PATH; a failing cell fails the test with the cell's error.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "docs" / "tutorial").glob("*.ipynb"))


def test_there_are_the_two_notebooks():
    assert {p.stem for p in NOTEBOOKS} == {"researcher", "strategist"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_stored_without_outputs(path: Path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, path.name


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path: Path, tmp_path: Path, monkeypatch):
    from nbclient import NotebookClient

    bindir = os.path.dirname(sys.executable)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    )
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError naming the cell that failed
    text = "\n".join(
        o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs
    )
    assert "Traceback" not in text and "error:" not in text, text[-3000:]
    if path.stem == "researcher":
        assert (tmp_path / "regime_continuum.png").stat().st_size > 10_000
        assert (tmp_path / "sweep" / "sensitivity" / "report.md").is_file()
    else:
        assert (tmp_path / "whatif" / "report.md").is_file()
        assert "Decision:" in text
