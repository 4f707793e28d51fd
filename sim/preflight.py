"""Checks of a configuration that need more than the configuration itself, before anything runs.

:func:`sim.config.to_config` checks every key, type and range. This module adds what needs the
layers above configuration: the contents of input files (an org chart, an observed network),
checked row by row. Experiments call :func:`check` on every job before the first one starts.

Examples
--------
>>> from sim.config import to_config
>>> check(to_config({"org": {"chart": "data/sample_orgchart.csv"}})).org.count
1
"""

from __future__ import annotations

from sim.config import AgoraConfig
from sim.org.orgchart import load_comm_network, load_org_chart

__all__ = ["check"]


def check(cfg: AgoraConfig) -> AgoraConfig:
    """Check ``cfg``'s input files; return ``cfg`` unchanged if all is well.

    Raises
    ------
    sim.config.ConfigError
        Naming the file, the line and the fault.
    """
    if cfg.org.chart is not None:
        # Loads are cached by path and modification time: the build reuses this parse.
        chart = load_org_chart(cfg.org.chart)
        if cfg.org.network is not None:
            load_comm_network(cfg.org.network, chart)
    return cfg
