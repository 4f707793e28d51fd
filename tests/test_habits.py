"""Habits of the code base that no other test pins: one home per concept, versions that move
together, tests that do not depend on the machine's speed."""

from __future__ import annotations

import pandas as pd
import pytest

from sim import simulation
from sim.simulation import window_steps

# --------------------------------------------------------------------------- the window


def test_every_study_uses_the_one_window():
    from sim.studies import compare, paired

    assert paired.end_window is window_steps
    assert compare.window_bounds is window_steps


def test_no_module_slices_its_own_last_third():
    import re
    from pathlib import Path

    sim_dir = Path(simulation.__file__).parent
    # The shapes the five old definitions had: ``last - last // 3``, ``[-steps // 3:]``.
    own = re.compile(r"//\s*3\b")
    found = [
        f"{p.relative_to(sim_dir.parent)}:{n}"
        for p in sorted(sim_dir.rglob("*.py"))
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if own.search(line)
    ]
    assert not found, f"use sim.simulation.window_steps for the end-of-run window: {found}"


@pytest.mark.parametrize("last", [1, 2, 3, 9, 10, 40, 60, 150, 300])
def test_the_window_is_the_last_third_after_step_zero(last):
    first, end = window_steps(last)
    naive = list(range(1, last + 1))[-max(1, round(last / 3)) :]
    assert (first, end) == (naive[0], naive[-1])


def test_the_lab_and_summary_json_average_the_same_steps():
    from sim.lab.lessons import EXPERIMENTS, outcome

    steps = pd.Series(range(301))
    frames = [
        pd.DataFrame({"step": steps, m: steps.astype(float)})
        for m in {e.metric for e in EXPERIMENTS}
    ]
    experiment = EXPERIMENTS[0]
    frame = next(f for f in frames if experiment.metric in f)
    got = outcome(experiment, [frame, frame])
    # Steps 201..300, as summary.json counts them (the lab once took 200..300).
    assert got.window == (201, 300) == simulation.window_steps(300)
    assert got.values == (250.5, 250.5)


# --------------------------------------------------------------------------- threads

CHILD = """
import json, sys
import numpy  # loads OpenBLAS, whose default is every core
from pathlib import Path
from sim.config import to_config
from sim.exec.parallel import PlannedJob
from sim.exec.pool import run_pool
from sim.util.threads import blas_threads
out = Path(sys.argv[1])
cfg = to_config({"steps": 2, "org": {"size": 20}, "stakeholders": {"count": 2}})
here = blas_threads()  # this process is not pinned: the library's own default
[record] = run_pool([PlannedJob(cfg, out / "job", info={"num": 0})], workers=1)
summary = json.loads((out / "job" / "summary.json").read_text())
print(json.dumps({"here": here, "status": record["status"], "worker": summary["blas_threads"],
                  "cpu_time": summary["cpu_time"], "wall_time": summary["wall_time"]}))
"""


def unpinned_env() -> dict[str, str]:
    import os

    from sim.util.threads import THREAD_VARIABLES

    return {k: v for k, v in os.environ.items() if k not in THREAD_VARIABLES}


@pytest.mark.slow
def test_a_pool_worker_runs_with_one_blas_thread(tmp_path):
    import json
    import os
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path)],
        env=unpinned_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["status"] == "ok" and seen["worker"] == 1
    if (os.cpu_count() or 1) > 1:  # the control: unpinned, OpenBLAS takes every core
        assert seen["here"] > 1
    # summary.json records CPU time beside wall time.
    assert 0 < seen["cpu_time"] and 0 < seen["wall_time"]


@pytest.mark.slow
def test_the_agora_command_runs_its_job_with_one_blas_thread(tmp_path):
    import json
    import subprocess
    import sys

    subprocess.run(
        [
            sys.executable,
            "-m",
            "sim.cli",
            "run",
            "steps=2",
            "org.size=20",
            "stakeholders.count=2",
            f"hydra.run.dir={tmp_path}",
        ],
        env=unpinned_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["blas_threads"] == 1 and summary["cpu_time"] > 0


# --------------------------------------------------------------------------- versions

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent


def test_the_package_version_moves_with_the_model_version():
    import tomllib

    import sim

    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    # Bumping sim.MODEL_VERSION means the same config and seed give other numbers: the
    # package's major version says so too (change pyproject.toml's version with it).
    assert int(version.split(".")[0]) == sim.MODEL_VERSION, (version, sim.MODEL_VERSION)


def test_the_changelog_has_an_entry_for_this_version():
    import re
    import tomllib

    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert "## [Unreleased]" in changelog
    major = version.split(".")[0]
    assert re.search(rf"^## \[(Unreleased|{major}\.\d+\.\d+)\]", changelog, re.M)


# --------------------------------------------------------------------------- CI's mirror


def mirror(root, env=None):
    import os
    import subprocess
    import sys

    env = {**{k: v for k, v in os.environ.items() if k != "DEBIAN_MIRROR"}, **(env or {})}
    return subprocess.run(
        [sys.executable, str(ROOT / ".ci" / "debian_mirror.py"), str(root)],
        capture_output=True,
        text=True,
        env=env,
    )


def machine(tmp_path, codename="bookworm", sources_list="", **sources_d):
    (tmp_path / "etc/apt/sources.list.d").mkdir(parents=True)
    (tmp_path / "etc/os-release").write_text(f'NAME="Debian"\nVERSION_CODENAME={codename}\n')
    (tmp_path / "etc/apt/sources.list").write_text(sources_list)
    for name, text in sources_d.items():
        (tmp_path / "etc/apt/sources.list.d" / name.replace("_", ".")).write_text(text)
    return tmp_path


DEB822 = """Types: deb
# a comment
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main

Types: deb-src
URIs: http://src.example/debian
Suites: bookworm

Types: deb
URIs: http://off.example/debian
Suites: bookworm
Enabled: no

Types: deb
URIs: http://mirror.example/debian/
Suites: bookworm bookworm-updates
Components: main
"""


def test_ci_takes_the_mirror_from_deb822_sources(tmp_path):
    done = mirror(machine(tmp_path, debian_sources=DEB822))
    assert done.returncode == 0 and done.stdout.strip() == "http://mirror.example/debian"


def test_ci_takes_the_mirror_from_one_line_sources(tmp_path):
    listed = (
        "# deb http://old.example/debian bookworm main\n"
        "deb http://sec.example/debian-security bookworm-security main\n"
        "deb [arch=amd64 signed-by=/k.gpg] http://one.example/debian bookworm main\n"
    )
    done = mirror(
        machine(
            tmp_path,
            sources_list=listed,
            nodesource_sources="Types: deb\nURIs: http://node.example\nSuites: nodistro\n",
        )
    )
    assert done.returncode == 0 and done.stdout.strip() == "http://one.example/debian"


def test_ci_refuses_without_a_source_for_the_release(tmp_path):
    done = mirror(machine(tmp_path, codename="trixie", debian_sources=DEB822))
    assert done.returncode == 1 and "DEBIAN_MIRROR" in done.stderr
    assert mirror(tmp_path, {"DEBIAN_MIRROR": "http://set.example/debian"}).stdout.strip() == (
        "http://set.example/debian"
    )


# --------------------------------------------------------------------------- no timed tests


def test_the_line_counter_that_replaces_timing_sees_a_loop():
    from conftest import counting_lines

    def loop(n):
        total = 0
        for i in range(n):
            total += i
        return total

    with counting_lines() as small:
        loop(10)
    with counting_lines() as large:
        loop(10_000)
    assert small.count < 100 < 20_000 <= large.count


def test_no_test_asserts_wall_clock_time():
    import re

    # A deadline that stops waiting for a server is a guard against hanging, not a claim on
    # speed; an assert that compares a duration is.
    timed = re.compile(r"^\s*assert\b.*(perf_counter|monotonic|time\.time|seconds|elapsed).*<")
    found = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in sorted((ROOT / "tests").rglob("test_*.py"))
        if p.name != "test_habits.py"
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if timed.search(line) and "deadline" not in line
    ]
    assert not found, f"tests must not assert wall-clock time (count work instead): {found}"
