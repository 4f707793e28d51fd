"""validate: writes to outputs/validation (or --out) and leaves the checkout alone unless --docs."""

import json
import subprocess
from pathlib import Path

import pytest

from sim.cli import validate as cli
from sim.validation.common import row

ROOT = Path(__file__).resolve().parent.parent
DOCS = ["docs/validation.md", "docs/img/validation"]


def _docs_state() -> str:
    """git's view of the validation page and its images (other files may change meanwhile)."""
    try:
        status = subprocess.run(
            ["git", "status", "--porcelain", "--", *DOCS],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):  # no git or no checkout: the stamps judge
        status = ""
    stamps = (
        [
            (p, p.stat().st_mtime_ns)
            for d in DOCS
            for p in sorted((ROOT / d).rglob("*"))
            if p.is_file()
        ]
        if (ROOT / "docs").is_dir()
        else []
    )
    stamps += (
        [(ROOT / DOCS[0], (ROOT / DOCS[0]).stat().st_mtime_ns)] if (ROOT / DOCS[0]).exists() else []
    )
    return status + repr(stamps)


def test_default_output_is_outputs_validation_and_docs_untouched(tmp_path, monkeypatch):
    before = _docs_state()
    monkeypatch.chdir(tmp_path)
    assert cli.main(["--quick", "--only", "degroot", "--quiet"]) == 0
    out = tmp_path / "outputs" / "validation"
    page = (out / "validation.md").read_text()
    assert "DeGroot" in page and "| quantity | source | how obtained |" in page
    assert (out / "img" / "degroot_hierarchy.png").stat().st_size > 1000
    assert json.loads((out / "results.json").read_text())["degroot"]["passed"] is True
    assert _docs_state() == before


def test_out_dir_and_exit_status(tmp_path):
    assert cli.main(["--quick", "--only", "degroot", "--out", str(tmp_path / "v"), "--quiet"]) == 0
    assert (tmp_path / "v" / "validation.md").exists()
    with pytest.raises(SystemExit):
        cli.main(["--only", "nonsense"])
    with pytest.raises(SystemExit):  # --docs and --out exclude each other
        cli.main(["--docs", "--out", str(tmp_path)])


def test_script_is_a_thin_entry_point():
    text = (ROOT / "experiments" / "validate.py").read_text()
    assert "from sim.cli.validate import main" in text
    assert len(text.splitlines()) < 20


def test_rows_name_how_the_number_was_obtained():
    with pytest.raises(ValueError, match="obtained"):
        row("x", "somewhere", "from memory", "1", "1")
