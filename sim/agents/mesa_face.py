"""The model's Mesa face: keyword parameters, a ``mesa.DataCollector``, ``running``.

A Mesa user writes ``AgoraModel(regime="conversational", org_size=200, seed=1)`` and runs
``mesa.batch_run(AgoraModel, parameters={...}, ...)``. Three things make that work:

- :data:`PARAMETERS`, the one table from flat keyword names to configuration keys. Any key is
  also reachable as ``group__key`` (``population__trust_rate=0.1``) or, through ``**``, by its
  dotted name (``**{"population.trust_rate": 0.1}``). Keywords become Hydra overrides, so they
  are checked exactly as ``agora run`` checks them: a wrong name or value fails naming the key
  (with the nearest valid one), and a group (``regime``, ``scenario``...) takes an option name.
- :func:`make_datacollector`: a real :class:`mesa.DataCollector` whose model reporters read the
  row the model has just measured with :func:`sim.rules.metrics.measure`, so Mesa's table and
  ``simulate``'s are the same numbers from the same functions, never a second implementation.
- ``running`` turns False once the configured ``steps`` have run, so ``batch_run`` stops there
  (its ``max_steps`` still caps it).

Rows of ``batch_run`` carry Mesa's ``Step``, the number of steps run before that measurement
(Mesa 3.3 counts through ``model.steps``, 3.5 through ``model.time``; both equal Agora's
``step``). Replicates: ``parameters={"replicate": range(5)}`` runs replicates 0 to 4 of
``simulate`` (seeds spawned from the configuration's ``seed``), on Mesa 3.3 and 3.5 alike;
explicit seeds go through ``seed=`` (a ``"seed"`` parameter on Mesa 3.3, ``rng=[...]`` on 3.5,
which passes each to ``seed=`` and overwrites a ``"seed"`` parameter). Without either, every
iteration is the same run, replicate 0: Agora's runs are reproducible by default, unlike a Mesa
model's.

Examples
--------
>>> overrides({"regime": "conversational", "org_size": 60, "population__trust_rate": 0.1})
['regime=conversational', 'org.size=60', 'population.trust_rate=0.1']
>>> overrides({"org_sise": 60})
Traceback (most recent call last):
...
sim.config.ConfigError: org_sise: not a parameter of AgoraModel: did you mean org_size?
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

import mesa

__all__ = [
    "PARAMETERS",
    "GROUPS",
    "overrides",
    "configure",
    "make_datacollector",
    "latest",
    "MetricsCollector",
]

#: Flat keyword name -> configuration key (a group's name selects one of its option files).
PARAMETERS: dict[str, str] = {
    "scenario": "scenario",
    "regime": "regime",
    "openness": "openness",
    "hierarchy": "hierarchy",
    "steps": "steps",
    # the configuration's seed, from which replicate seeds are spawned (``seed=`` is the run's)
    "root_seed": "seed",
    "mix": "regime.mix",
    "broadcast_rate": "regime.broadcast_rate",
    "socialization": "regime.socialization",
    "listening": "regime.listening",
    "upward": "regime.upward",
    "responsiveness": "regime.responsiveness",
    "voting": "regime.voting",
    "org_size": "org.size",
    "org_count": "org.count",
    "org_attention": "org.attention",
    "stakeholders": "stakeholders.count",
    "dims": "environment.dims",
    "turbulence": "environment.turbulence",
    "landscape": "environment.landscape",
    "turnover": "population.turnover",
    "exploration": "population.exploration",
    "openness_internal": "openness.internal",
    "openness_external": "openness.external",
    "depth": "hierarchy.depth",
    "routing": "hierarchy.routing",
    "relay": "hierarchy.relay",
}
#: Keywords that choose an option file of a configuration group.
GROUPS = ("scenario", "regime", "openness", "hierarchy", "org")


def _value(value: Any) -> str:
    """A Python value in Hydra's override grammar."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and not value.replace("_", "").replace(".", "").isalnum():
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return str(value)


def overrides(params: Mapping[str, Any]) -> list[str]:
    """Hydra overrides for keyword parameters; ConfigError naming an unknown keyword."""
    from sim.config import ConfigError

    out = []
    for name, value in params.items():
        key = PARAMETERS.get(name) or (name.replace("__", ".") if "__" in name else None)
        if key is None and "." in name:
            key = name
        if key is None:
            near = difflib.get_close_matches(name, list(PARAMETERS), n=1)
            raise ConfigError(
                f"{name}: not a parameter of AgoraModel"
                + (
                    f": did you mean {near[0]}?"
                    if near
                    else " (see sim.agents.mesa_face.PARAMETERS, or use group__key)"
                )
            )
        out.append(f"{key}={_value(value)}")
    return out


def configure(
    config: Any, params: Mapping[str, Any], *, seed: int | None = None, rng: int | None = None
):
    """``(cfg, seed)`` for ``AgoraModel(config, seed=..., rng=..., **params)``.

    ``config`` is taken as is without keywords; with them, the default configuration is
    composed with their overrides. ``seed`` and ``rng`` are one seed under two names;
    ``replicate=k`` (a keyword) gives replicate ``k``'s seed. None: the model's default.
    """
    from sim.config import ConfigError, load_config, to_config
    from sim.util.seeding import replicate_seeds

    params = dict(params)
    replicate = params.pop("replicate", None)
    if params and config is not None:
        raise ConfigError(
            f"AgoraModel: give a configuration or keyword parameters ({', '.join(params)}), "
            "not both: put the keywords' keys into the configuration"
        )
    cfg = to_config(load_config(overrides(params), validate_now=False) if params else config)
    if seed is not None and rng is not None:
        raise ConfigError("AgoraModel: seed and rng are the same thing: give one")
    seed = rng if seed is None else seed
    if seed is None and replicate is not None:
        if int(replicate) < 0:
            raise ConfigError(f"replicate={replicate}: a replicate number is 0 or more")
        seed = replicate_seeds(cfg.seed, int(replicate) + 1)[int(replicate)]
    return cfg, seed


def latest(model, name: str) -> float:
    """The value of metric ``name`` in the row the model measured last.

    A module-level function under :func:`functools.partial`: Mesa calls it with the model
    (3.3 and 3.5 treat a function or a partial alike) and it pickles for ``batch_run``'s
    worker processes, which a lambda would not.
    """
    return model.records[-1][name]


def make_datacollector(names: Sequence[str]) -> MetricsCollector:
    """A :class:`MetricsCollector` with one model reporter per metric of ``names``."""
    return MetricsCollector({n: partial(latest, name=n) for n in names})


class MetricsCollector(mesa.DataCollector):
    """Mesa's DataCollector, whose metric columns take the row the model has just measured
    as it is.

    Mesa's ``collect`` calls each reporter and deep-copies what it returns, about 2.8 us per
    metric: at the default size a tenth of a step, for 47 floats that are copies already.
    While its model reporters are still the metrics it was made with and no agent reporters
    are set, ``collect`` appends the row's values, and the model time of the collection where
    Mesa keeps it (``_collection_steps``, Mesa 3.5); otherwise it is Mesa's own ``collect``.
    ``tests/test_mesa_native.py`` holds both to a plain ``mesa.DataCollector``.

    Parameters
    ----------
    metrics
        Column name -> ``partial(latest, name=column)``, one per metric.
    """

    def __init__(self, metrics: dict[str, partial]) -> None:
        super().__init__(model_reporters=metrics)
        self._metrics = dict(metrics)  # what the fast path may read straight from the row

    def collect(self, model) -> None:
        # A dict comparison in C: the reporters are still the very objects it was made with.
        if (
            self.model_reporters != self._metrics
            or self.agent_reporters
            or (self.agenttype_reporters)
        ):
            super().collect(model)
            return
        row = model.records[-1]
        if hasattr(self, "_collection_steps"):
            self._collection_steps.append(model.time)
        for name, values in self.model_vars.items():
            values.append(row[name])
