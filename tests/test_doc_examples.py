"""The documentation's examples run: every fenced block of README.md and docs/*.md that follows a
line ``<!-- runnable -->`` is executed (``bash`` with ``-euo pipefail``, ``python`` with this
interpreter) in a fresh folder outside the checkout, with ``agora`` on PATH and the checkout's
``experiments/`` linked in, so ``python experiments/X.py`` examples work too.

Mark only examples that finish in seconds; an example that needs a server, a cluster or minutes
stays unmarked. A marker followed by no fenced block fails, so a marker cannot rot either.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
MARK = "<!-- runnable -->"
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^\s*```(\w+)")


class Example(NamedTuple):
    page: Path
    line: int
    lang: str
    code: str

    def __str__(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def examples(page: Path) -> list[Example]:
    """The marked blocks of ``page``, each with the line of its opening fence."""
    lines = page.read_text().splitlines()
    found = []
    for i, line in enumerate(lines):
        if line.strip() != MARK:
            continue
        j = i + 1
        while j < len(lines) and not lines[j].strip():
            j += 1
        opening = FENCE.match(lines[j]) if j < len(lines) else None
        if opening is None:
            raise AssertionError(f"{page.relative_to(ROOT)}:{i + 1}: {MARK} before no code block")
        indent = len(lines[j]) - len(lines[j].lstrip())
        end = next(k for k in range(j + 1, len(lines)) if lines[k].strip().startswith("```"))
        code = "\n".join(line[indent:] for line in lines[j + 1 : end])
        found.append(Example(page, j + 1, opening.group(1), code + "\n"))
    return found


ALL = [e for page in PAGES for e in examples(page)]


def test_the_readme_has_runnable_examples():
    langs = {e.lang for e in ALL if e.page.name == "README.md"}
    assert {"bash", "python"} <= langs
    assert all(e.lang in ("bash", "python") for e in ALL), [str(e) for e in ALL]


def test_the_readme_sweep_has_replicates_the_pool_launcher_and_intervals():
    sweep = next(e.code for e in ALL if e.page.name == "README.md" and "agora run -m" in e.code)
    replicates = re.search(r"(?:--replicates[ =]|replicates=)(\d+)", sweep)
    assert replicates and int(replicates.group(1)) >= 2
    assert "--workers" in sweep or "hydra/launcher=pool" in sweep
    assert "local_parallel" not in sweep
    assert "agora aggregate" in sweep


#: What a user types: the ``agora`` command, never the scripts behind it (issue 24).
OLD_FORM = re.compile(r"python3? (?:\./)?experiments/\w+\.py|python -m sim\.cli(?![.\w])")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_user_docs_show_agora_commands(page: Path):
    """README.md and docs/*.md show ``agora COMMAND``, not ``python experiments/X.py``."""
    stale = [
        f"{page.relative_to(ROOT)}:{n}: {line.strip()}"
        for n, line in enumerate(page.read_text().splitlines(), 1)
        if OLD_FORM.search(line)
    ]
    assert not stale, "\n".join(stale)


def test_the_scenario_list_shows_agora_commands(capsys):
    from sim.cli import main

    for args in (["scenarios"], ["scenarios", "--settings"]):
        assert main(args) == 0
        out = capsys.readouterr().out
        assert "agora run scenario=NAME" in out
        assert "agora whatif scenario=NAME intervention=NAME" in out
        assert not OLD_FORM.search(out) and "experiments/" not in out


@pytest.mark.slow
@pytest.mark.parametrize("example", ALL, ids=str)
def test_example_runs(example: Example, tmp_path: Path):
    (tmp_path / "experiments").symlink_to(ROOT / "experiments")
    bindir = os.path.dirname(sys.executable)
    env = {
        **os.environ,
        "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}",
        "MPLBACKEND": "Agg",
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
    }
    if example.lang == "bash":
        cmd = ["bash", "-euo", "pipefail", "-c", example.code]
    else:
        cmd = [sys.executable, "-c", example.code]
    done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{example} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    assert "Traceback" not in done.stderr, f"{example}:\n{done.stderr[-3000:]}"
