"""The wheel: what it carries, and that it runs when installed, from outside the checkout.

``test_the_wheel_runs_outside_the_checkout`` is CI's wheel leg as a test (marker
``packaging``): it builds the wheel with ``pip wheel --no-deps``, installs it without
dependencies into a fresh virtual environment that borrows this environment's installed
packages (one ``.pth`` line, so nothing is downloaded and this checkout is not importable
from it), then runs the README's Python API and ``agora run`` from a folder outside the
checkout. It is skipped when no wheel can be built here (no setuptools recent enough and no
index to fetch one from).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]


def source_packages() -> set[str]:
    """Every package the checkout ships: sim's, the Hydra plugins' and the mapped folders."""
    found = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for top in ("sim", "hydra_plugins")
        for p in (ROOT / top).rglob("__init__.py")
    }
    found |= {"sim._conf", "sim._data"}
    found |= {
        "sim._conf." + ".".join(d.relative_to(ROOT / "conf").parts)
        for d in (ROOT / "conf").rglob("*")
        if d.is_dir() and d.name != "__pycache__"
    }
    return found


def shipped_files() -> set[str]:
    """The wheel paths of every source, config and data file of the checkout."""
    files = {
        str(p.relative_to(ROOT))
        for top in ("sim", "hydra_plugins")
        for p in (ROOT / top).rglob("*.py")
    }
    files |= {
        "sim/_conf/" + str(p.relative_to(ROOT / "conf")) for p in (ROOT / "conf").rglob("*.yaml")
    }
    files |= {"sim/_data/" + p.name for p in (ROOT / "data").glob("*.csv")}
    return files


def test_every_package_is_listed_in_pyproject():
    listed = set(SETUPTOOLS["packages"])
    missing = source_packages() - listed
    assert not missing, f"add these to [tool.setuptools] packages in pyproject.toml: {missing}"
    assert SETUPTOOLS["package-dir"] == {"sim._conf": "conf", "sim._data": "data"}


def test_metadata_admits_python_311_to_313_and_mesa_33_to_35():
    project = PYPROJECT["project"]
    assert project["requires-python"] == ">=3.11"
    mesa = next(d for d in project["dependencies"] if d.startswith("mesa"))
    assert mesa == "mesa[rec]>=3.3.1,<3.6"
    assert not [d for d in project["dependencies"] if "==" in d], "pins instead of ranges"
    assert project["license"] == "MIT" and (ROOT / "LICENSE").is_file()
    assert project["scripts"] == {"agora": "sim.cli:main"}


# --- the wheel ---------------------------------------------------------------------------------


def build_wheel(out: Path) -> Path:
    """``pip wheel --no-deps`` of the checkout into ``out``; skip when it cannot be built here."""
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)]
    try:
        import setuptools

        if int(setuptools.__version__.split(".")[0]) >= 77:
            cmd.insert(4, "--no-build-isolation")  # offline and faster
    except ImportError:
        pass
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        text = done.stdout + done.stderr
        if re.search(
            r"Could not find a version that satisfies the requirement setuptools|"
            r"No matching distribution found for setuptools|"
            r"Failed to establish a new connection|Network is unreachable",
            text,
        ):
            pytest.skip(f"cannot build a wheel here: {text.strip().splitlines()[-1]}")
        pytest.fail(f"pip wheel failed:\n{text}")
    (wheel,) = out.glob("agora_sim-*.whl")
    return wheel


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("dist"))


@pytest.mark.packaging
def test_the_wheel_carries_the_code_configs_data_and_command(wheel):
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        scripts = zf.read(entry_points).decode()
    missing = shipped_files() - names
    assert not missing, f"not in the wheel: {sorted(missing)}"
    assert "agora = sim.cli:main" in scripts
    assert not [n for n in names if n.startswith(("tests/", "experiments/", "conf/", "data/"))]


@pytest.mark.packaging
def test_the_wheel_runs_outside_the_checkout(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    site = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        check=True,
        timeout=300,
    )
    # Then borrow this environment's dependencies: a plain path line, placed after the venv's
    # own folder on sys.path, whose .pth files (this checkout's editable install among them)
    # are not run, so only the wheel provides ``sim``. Added after the install, so pip never
    # sees (nor touches) this environment's packages.
    (site / "zz_borrowed.pth").write_text(sysconfig.get_path("purelib") + "\n")

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONNOUSERSITE": "1"}
    env.pop("PYTHONPATH", None)
    code = (
        "import sim\n"
        "from sim.config.paths import CONF_DIR, DATA_DIR\n"
        "from sim import simulate, load_config\n"
        "r = simulate(load_config(['steps=3']))\n"
        "from sim.model import AgoraModel\n"
        "m = AgoraModel({'org': {'size': 30}, 'stakeholders': {'count': 5}}, seed=1)\n"
        "m.step()\n"
        "c = simulate(load_config(['scenario=sample_company', 'steps=1']))\n"
        "print(sim.__file__, CONF_DIR, DATA_DIR, int(r.metrics['step'].max()), len(c.metrics))\n"
    )
    api = subprocess.run(
        [python, "-c", code], cwd=outside, env=env, capture_output=True, text=True, timeout=300
    )
    assert api.returncode == 0, api.stderr
    module, conf, data, last, rows = api.stdout.split()
    for path in (module, conf, data):
        assert Path(path).is_relative_to(site), f"{path} is not the installed copy"
    assert Path(conf).name == "_conf" and Path(data).name == "_data"
    assert (last, rows) == ("3", "2")

    agora = env_dir / "bin" / "agora"
    done = subprocess.run(
        [agora, "run", "steps=3", "org.size=20", "stakeholders.count=5"],
        cwd=outside,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    (line,) = [x for x in done.stdout.splitlines() if x.startswith("ok: ")]
    job = Path(line.removeprefix("ok: "))
    assert job.is_relative_to(outside / "outputs")
    assert (job / "metrics.parquet").is_file() and (job / "summary.json").is_file()


def test_configs_inside_a_zip_are_copied_to_a_real_folder(tmp_path):
    """Hydra needs a folder on disk: a package imported from a zip gets a temporary copy."""
    from sim.config.paths import _materialise

    archive = tmp_path / "sim.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("sim/_conf/config.yaml", "steps: 3\n")
        zf.writestr("sim/_conf/regime/broadcast.yaml", "name: broadcast\n")
    with zipfile.ZipFile(archive) as zf:
        folder = _materialise(zipfile.Path(zf, "sim/_conf/"))
    assert folder.is_dir() and not folder.is_relative_to(tmp_path)
    assert (folder / "config.yaml").read_text() == "steps: 3\n"
    assert (folder / "regime" / "broadcast.yaml").read_text() == "name: broadcast\n"
    assert _materialise(tmp_path) == tmp_path  # a real folder is used as it is
