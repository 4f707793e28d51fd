"""Where the shipped configuration and data live, and how a data file named in a config is found.

Examples
--------
>>> (CONF_DIR / "config.yaml").is_file()
True
>>> resolve_data_path("data/sample_orgchart.csv", "org chart").name
'sample_orgchart.csv'
"""

from __future__ import annotations

import os
from pathlib import Path

from sim.config.schema import ConfigError

__all__ = ["CONF_DIR", "PROJECT_DIR", "resolve_data_path"]

#: The Hydra config directory shipped with the project (``conf/`` beside ``sim/``).
CONF_DIR = Path(__file__).resolve().parents[2] / "conf"
#: The folder that holds ``conf/`` and ``data/``; relative data paths are also looked up here.
PROJECT_DIR = CONF_DIR.parent


def resolve_data_path(path: str | os.PathLike, what: str, error: type = ConfigError) -> Path:
    """The file ``path`` names: as given (from the working directory), else from the project
    folder, so a scenario can ship ``org.chart: data/sample_orgchart.csv`` and run from anywhere.

    Raises
    ------
    ConfigError
        (or ``error``) ``"<what> <path>: no such file"``.
    """
    given = Path(path).expanduser()
    if given.is_file():
        return given.resolve()
    if not given.is_absolute() and (PROJECT_DIR / given).is_file():
        return (PROJECT_DIR / given).resolve()
    raise error(f"{what} {path}: no such file")
