"""Agora: agent-based simulation of how organizations communicate.

The model lives in :mod:`sim.model`; :func:`simulate` runs a configuration (with replicates)
and returns its metrics and summary.

>>> from sim import simulate
>>> result = simulate({"steps": 3, "org": {"size": 20}, "stakeholders": {"count": 5}})
>>> len(result.metrics), int(result.metrics["step"].max())
(4, 3)
"""

from sim.config import ConfigError, load_config, to_config

__all__ = [
    "ConfigError",
    "load_config",
    "to_config",
    "simulate",
    "AgoraModel",
    "SimulationResult",
    "MODEL_VERSION",
]

#: The version of the model's numbers. Bumped whenever the same configuration and seed give
#: different results (a rule, the order of random draws, a metric's arithmetic), so results
#: of two versions are never mixed: it is written into every ``summary.json``, and resuming a
#: sweep refuses job directories of another version. 1: the first release; 2: the faster step
#: (new order of random draws); 3: Model 2.0 (practices as independent keys, ideas up the
#: chain of command, engagement and trust from experience); 4: Model 3.0 (symmetric, costly
#: accounting, time budgets, answers that carry the code, the leadership exploring, every
#: mechanism switchable, metrics that move both ways).
MODEL_VERSION = 4


def __getattr__(name):
    # Lazy so that ``import sim.config`` (Hydra apps, the CLI) does not pay for Mesa's import.
    if name in ("simulate", "SimulationResult"):
        from sim import simulation

        return getattr(simulation, name)
    if name == "AgoraModel":
        from sim.model import AgoraModel

        return AgoraModel
    raise AttributeError(name)
