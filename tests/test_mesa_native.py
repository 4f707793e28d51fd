"""Agora as a Mesa model: keyword parameters, ``model.datacollector``, ``running``, and
``mesa.batch_run`` giving the numbers ``simulate`` gives for the same seeds.

The installed Mesa is 3.3 on Python 3.11 and 3.5 on 3.13 (CI's Debian root); ``batch_run``
differs between them (3.5 seeds through ``rng=`` and stops at ``max_steps`` exactly, 3.3 takes
seeds as a parameter and runs one step more), so the test asks for seeds the way the installed
Mesa wants them and compares every row it returns, whatever steps it chose to report.
"""

from __future__ import annotations

import pickle
import warnings
from functools import partial

import mesa
import numpy as np
import pandas as pd
import pytest

from sim import load_config, simulate
from sim.agents.mesa_face import PARAMETERS, latest, make_datacollector, overrides
from sim.config import ConfigError
from sim.model import AgoraModel
from sim.rules.metrics import METRIC_NAMES
from sim.util.seeding import replicate_seeds

SMALL = {"org_size": 30, "stakeholders": 5, "steps": 6}
SMALL_OVERRIDES = ["org.size=30", "stakeholders.count=5", "steps=6"]
MESA_RNG = tuple(int(x) for x in mesa.__version__.split(".")[:2]) >= (3, 4)


def test_keywords_are_the_configuration_they_name():
    by_keywords = AgoraModel(regime="conversational", openness_internal=0.3, seed=3, **SMALL)
    by_config = AgoraModel(
        load_config(["regime=conversational", "openness.internal=0.3", *SMALL_OVERRIDES]), seed=3
    )
    assert by_keywords.cfg == by_config.cfg
    by_keywords.run()
    by_config.run()
    pd.testing.assert_frame_equal(by_keywords.metrics_frame(), by_config.metrics_frame())


def test_every_table_entry_is_a_configuration_key_or_group():
    from sim.config.guards import _all_keys
    from sim.config.paths import CONF_DIR

    for name, key in PARAMETERS.items():
        assert key in _all_keys() or (CONF_DIR / key).is_dir(), name


@pytest.mark.parametrize(
    ("kwargs", "said"),
    [
        ({"org_sise": 30}, "org_sise: not a parameter of AgoraModel: did you mean org_size?"),
        ({"regime": "conversatinal"}, "did you mean conversational?"),
        ({"relay": 1.5}, "hierarchy.relay=1.5 is out of range"),
        ({"population__trust_rat": 0.1}, "did you mean population.trust_rate?"),
    ],
)
def test_a_bad_keyword_names_its_key(kwargs, said):
    with pytest.raises(ConfigError, match=None) as err:
        AgoraModel(**kwargs)
    assert said in str(err.value)


def test_keywords_and_a_configuration_together_are_refused():
    with pytest.raises(ConfigError, match="not both"):
        AgoraModel({"steps": 3}, org_size=30)


def test_any_key_by_group__key_or_dotted_name():
    assert overrides(
        {
            "population__trust_rate": 0.2,
            "org.size": 50,
            "scenario": "march1991",
            "regime.voting": True,
            "org.chart": None,
        }
    ) == [
        "population.trust_rate=0.2",
        "org.size=50",
        "scenario=march1991",
        "regime.voting=true",
        "org.chart=null",
    ]


def test_the_datacollector_holds_the_models_own_rows():
    model = AgoraModel(seed=5, **SMALL)
    assert model.running
    model.run()
    assert not model.running  # the configured steps have run
    table = model.datacollector.get_model_vars_dataframe()
    assert list(table.columns) == list(METRIC_NAMES)
    mine = model.metrics_frame().drop(columns="step")
    pd.testing.assert_frame_equal(table.reset_index(drop=True), mine, check_dtype=False)
    # batch_run's worker processes receive reporters by pickling
    assert (
        pickle.loads(pickle.dumps(model.datacollector.model_reporters)).keys()
        == model.datacollector.model_reporters.keys()
    )


def _kind(agent) -> str:
    return type(agent).__name__


def _stepped_with(collectors, steps=4):
    """A small model stepped ``steps`` times, each collector collecting after each measure."""
    model = AgoraModel(seed=3, **SMALL)
    for dc in collectors:
        dc.collect(model)
    for _ in range(steps):
        model.step()
        for dc in collectors:
            dc.collect(model)
    return model


def test_the_fast_collector_records_what_mesas_own_collect_records():
    reporters = {n: partial(latest, name=n) for n in METRIC_NAMES}
    fast, plain = make_datacollector(METRIC_NAMES), mesa.DataCollector(model_reporters=reporters)
    assert isinstance(fast, mesa.DataCollector)
    _stepped_with([fast, plain])
    assert fast.model_vars == plain.model_vars  # the same float objects, NaN included
    pd.testing.assert_frame_equal(fast.get_model_vars_dataframe(), plain.get_model_vars_dataframe())
    # Mesa 3.5 records the model time of each collection; batch_run looks steps up there
    assert getattr(fast, "_collection_steps", None) == getattr(plain, "_collection_steps", None)


def test_the_fast_collector_leaves_other_reporters_to_mesa():
    names = METRIC_NAMES[:2]
    reporters = {n: partial(latest, name=n) for n in names}
    fast = make_datacollector(names)
    fast.model_reporters["step_seen"] = lambda m: m.current_step
    fast.model_vars["step_seen"] = []
    _stepped_with([fast], steps=2)
    assert fast.model_vars["step_seen"] == [0, 1, 2]
    assert len(fast.model_vars[names[0]]) == 3
    plain = mesa.DataCollector(model_reporters=reporters, agent_reporters={"kind": _kind})
    fast = make_datacollector(names)
    fast.agent_reporters = plain.agent_reporters  # agent reporters: Mesa's collect records them
    _stepped_with([fast, plain], steps=1)
    assert fast._agent_records.keys() == plain._agent_records.keys()


@pytest.mark.parametrize("by", ["replicate", "seed"])
def test_batch_run_gives_the_numbers_simulate_gives(by):
    reference = simulate(load_config([*SMALL_OVERRIDES, "replicates=2", "seed=4"]))
    seeds = [int(s) for s in reference.metrics["seed"].unique()]
    parameters = {**SMALL, "regime": ["broadcast", "hybrid"]}
    kwargs = {"max_steps": 100, "data_collection_period": 1, "display_progress": False}
    if by == "replicate":  # the same on every Mesa: replicate k of simulate
        parameters |= {"replicate": [0, 1], "root_seed": 4}
    elif MESA_RNG:  # Mesa 3.4+: one run per seed, passed to seed=
        kwargs["rng"] = seeds
    else:
        parameters["seed"] = seeds
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # Mesa 3.5 on seed=
        rows = pd.DataFrame(mesa.batch_run(AgoraModel, parameters=parameters, **kwargs))
    if by == "replicate":
        rows["seed"] = [seeds[int(r)] for r in rows["replicate"]]
    assert len(rows) >= 2 * 2 * 6 and set(rows["seed"]) == set(seeds)
    hybrid = rows[rows["regime"] == "hybrid"]  # the default regime, as in the reference
    ref = reference.metrics.set_index(["seed", "step"])
    for _, row in hybrid.iterrows():
        want = ref.loc[(int(row["seed"]), int(row["Step"])), list(METRIC_NAMES)]
        got = row[list(METRIC_NAMES)].astype(float)
        np.testing.assert_allclose(got.to_numpy(), want.to_numpy(dtype=float), equal_nan=True)
    # the regimes differ: the parameter reached the model
    ends = rows.groupby("regime")["knowledge_code"].last()
    assert ends["broadcast"] != ends["hybrid"]


def test_replicate_k_is_simulates_replicate_k():
    cfg = load_config([*SMALL_OVERRIDES, "seed=9"])
    seeds = replicate_seeds(9, 3)
    assert AgoraModel(replicate=2, root_seed=9, **SMALL).seed == seeds[2]
    assert AgoraModel(cfg, replicate=2).seed == seeds[2]
    with pytest.raises(ConfigError, match="seed and rng"):
        AgoraModel(cfg, seed=1, rng=2)


def test_batch_run_stops_at_the_configured_steps():
    kwargs = {"parameters": {**SMALL, "seed": 1}, "max_steps": 1000, "display_progress": False}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        rows = mesa.batch_run(AgoraModel, **kwargs)
    assert len(rows) == 1 and int(rows[0]["Step"]) in (5, 6)  # 3.3 reports steps - 1
