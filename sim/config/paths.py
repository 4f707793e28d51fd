"""Where the shipped configuration and data live, and how a data file named in a config is found.

The repository keeps ``conf/`` (Hydra's config tree) and ``data/`` (sample org charts) at its
top, beside ``sim/``. A wheel cannot install folders beside a package, so the build maps them
into it as ``sim/_conf`` and ``sim/_data`` (``[tool.setuptools.package-dir]`` in
``pyproject.toml``). At run time they are looked up with :mod:`importlib.resources`: the
packaged copies when they exist (a wheel install), else the repository's folders (a clone or an
editable install, where ``conf/`` is edited in place and must be the one read).

Hydra reads a config *directory*, so a resource that is not a plain folder on disk (a package
imported from a zip file) is copied once to a temporary folder removed when the process exits.

Examples
--------
>>> (CONF_DIR / "config.yaml").is_file()
True
>>> (DATA_DIR / "sample_orgchart.csv").is_file()
True
>>> resolve_data_path("data/sample_orgchart.csv", "org chart").name
'sample_orgchart.csv'
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from sim.config.schema import ConfigError

__all__ = ["CONF_DIR", "DATA_DIR", "PROJECT_DIR", "resolve_data_path", "shipped_dir"]

#: The repository root when this package is imported from a clone (``sim/config/paths.py``
#: sits two folders below it).
_REPO = Path(__file__).resolve().parents[2]


def _materialise(resource: Traversable) -> Path:
    """A real folder with the contents of ``resource``: itself when it already is one."""
    if isinstance(resource, Path):
        return resource
    target = Path(tempfile.mkdtemp(prefix=f"agora-{resource.name}-"))
    atexit.register(shutil.rmtree, target, ignore_errors=True)

    def copy(src: Traversable, dst: Path) -> None:
        for child in src.iterdir():
            if child.is_dir():
                (dst / child.name).mkdir()
                copy(child, dst / child.name)
            else:
                (dst / child.name).write_bytes(child.read_bytes())

    copy(resource, target)
    return target


def shipped_dir(packaged: str, in_repo: str) -> Path:
    """The folder shipped as ``sim/<packaged>`` in a wheel, or ``<repo>/<in_repo>`` in a clone.

    Examples
    --------
    >>> shipped_dir("_conf", "conf") == CONF_DIR
    True
    """
    resource = resources.files("sim").joinpath(packaged)
    if resource.is_dir():
        return _materialise(resource)
    return _REPO / in_repo


#: The Hydra config directory: ``sim/_conf`` in a wheel, ``conf/`` in a clone.
CONF_DIR = shipped_dir("_conf", "conf")
#: The shipped data (sample org charts): ``sim/_data`` in a wheel, ``data/`` in a clone.
DATA_DIR = shipped_dir("_data", "data")
#: The folder relative data paths are looked up from when they are not found from the working
#: directory: the repository root in a clone (so ``data/x.csv`` and any other path in it work).
#: In a wheel, ``data/...`` names a file of :data:`DATA_DIR` instead.
PROJECT_DIR = CONF_DIR.parent


def resolve_data_path(path: str | os.PathLike, what: str, error: type = ConfigError) -> Path:
    """The file ``path`` names: as given (from the working directory), else from the project
    (``data/...`` is a file of :data:`DATA_DIR`, anything else relative to
    :data:`PROJECT_DIR`), so a scenario can ship ``org.chart: data/sample_orgchart.csv`` and
    run from anywhere, installed or not.

    Raises
    ------
    ConfigError
        (or ``error``) ``"<what> <path>: no such file"``.

    Examples
    --------
    >>> resolve_data_path("nowhere.csv", "org chart")
    Traceback (most recent call last):
    ...
    sim.config.ConfigError: org chart nowhere.csv: no such file
    """
    given = Path(path).expanduser()
    if given.is_file():
        return given.resolve()
    if not given.is_absolute():
        candidates = [PROJECT_DIR / given]
        if given.parts[:1] == ("data",):
            candidates.insert(0, DATA_DIR.joinpath(*given.parts[1:]))
        for candidate in candidates:
            if candidate.is_file():
                return candidate.resolve()
    raise error(f"{what} {path}: no such file")
