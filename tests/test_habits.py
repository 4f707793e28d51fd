"""Habits of the code base that no other test pins: one home per concept, versions that move
together, tests that do not depend on the machine's speed."""

from __future__ import annotations

import pandas as pd
import pytest

from sim import simulation
from sim.simulation import window_steps

# --------------------------------------------------------------------------- the window


def test_every_study_uses_the_one_window():
    from sim.runs import compare, paired

    assert paired.end_window is window_steps
    assert compare.window_bounds is window_steps


@pytest.mark.parametrize("last", [1, 2, 3, 9, 10, 40, 60, 150, 300])
def test_the_window_is_the_last_third_after_step_zero(last):
    first, end = window_steps(last)
    naive = list(range(1, last + 1))[-max(1, round(last / 3)):]
    assert (first, end) == (naive[0], naive[-1])


def test_the_lab_and_summary_json_average_the_same_steps():
    from sim.lab.lessons import EXPERIMENTS, outcome

    steps = pd.Series(range(301))
    frames = [pd.DataFrame({"step": steps, m: steps.astype(float)})
              for m in {e.metric for e in EXPERIMENTS}]
    experiment = EXPERIMENTS[0]
    frame = next(f for f in frames if experiment.metric in f)
    got = outcome(experiment, [frame, frame])
    # Steps 201..300, as summary.json counts them (the lab once took 200..300).
    assert got.window == (201, 300) == simulation.window_steps(300)
    assert got.values == (250.5, 250.5)
