"""The outcomes kit (sim.studies.outcomes): one window, one way to reduce a run, used by all.

Against naive references (a Python loop over replicates and steps), with hypothesis for the
intervals, plus the golden values of a tiny main job taken before the restructuring of
issue 20 (``sim/runs`` split into ``sim/exec`` and ``sim/studies``): the numbers did not move.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.studies import outcomes
from sim.studies.outcomes import (
    difference_bounds,
    finals,
    metric_bounds,
    paired_differences,
    seed_means,
    t_interval,
    window_means,
    window_of,
)

SIM = Path(outcomes.__file__).resolve().parents[1]


def _frame(rng: np.random.Generator, replicates: int = 3, last: int = 12) -> pd.DataFrame:
    rows = [(r, 100 + r, s) for r in range(replicates) for s in range(last + 1)]
    frame = pd.DataFrame(rows, columns=["replicate", "seed", "step"])
    frame["reach"] = rng.random(len(frame))
    frame["innovations"] = frame.groupby("replicate")["step"].cumsum().astype(float)
    frame.loc[frame.index % 5 == 0, "reach"] = np.nan  # NaN steps are skipped
    return frame


def test_window_means_equal_a_loop_over_replicates_and_steps():
    frame = _frame(np.random.default_rng(1))
    first, last = window_of(frame)
    assert (first, last) == (9, 12)  # the last third after step 0
    got = window_means(frame, ["reach", "innovations"])
    for r in range(3):
        naive = [
            v
            for rep, s, v in zip(frame["replicate"], frame["step"], frame["reach"], strict=True)
            if rep == r and first <= s <= last and not math.isnan(v)
        ]
        assert naive  # the window is not empty
        assert got.loc[r, "reach"] == pytest.approx(sum(naive) / len(naive), abs=1e-15)
    # A cumulative count can be read at the window's last step instead of averaged.
    at_last = window_means(frame, ["innovations"], cumulative_at_last=True, by=("replicate",))
    assert at_last["innovations"].tolist() == [float(sum(range(13)))] * 3
    assert finals(frame, ["innovations"])["innovations"].tolist() == [78.0] * 3
    by_seed = seed_means(frame, ["reach"], (first, last))
    assert by_seed.index.tolist() == [100, 101, 102]
    assert by_seed["reach"].tolist() == got["reach"].tolist()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=8))
def test_bounded_interval_stays_in_range_and_covers_the_t_interval_inside_it(values):
    x = np.asarray(values)
    mean, sd, n = x.mean(), (x.std(ddof=1) if x.size > 1 else np.nan), x.size
    lo, hi = t_interval([mean], [sd], [n], bounds=metric_bounds(["reach"]))
    plain_lo, plain_hi = t_interval([mean], [sd], [n])
    if n == 1:
        assert np.isnan(lo[0]) and np.isnan(hi[0]) and np.isnan(plain_lo[0])
        return
    assert 0.0 <= lo[0] <= mean + 1e-12 and mean - 1e-12 <= hi[0] <= 1.0
    assert lo[0] == max(plain_lo[0], 0.0) and hi[0] == min(plain_hi[0], 1.0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=1, max_size=8))
def test_paired_differences_equal_a_loop_and_stay_in_the_difference_range(pairs):
    left = pd.DataFrame({"reach": [a for a, _ in pairs]})
    right = pd.DataFrame({"reach": [b for _, b in pairs]})
    row = paired_differences(left, right, ["reach"], bounded=True).iloc[0]
    d = [a - b for a, b in pairs]
    assert row["diff"] == pytest.approx(sum(d) / len(d), abs=1e-12)
    assert row["n"] == len(d)
    assert -1.0 <= row["ci_low"] <= row["ci_high"] <= 1.0
    if len(d) == 1:  # one pair: a zero-width row at its difference
        assert row["ci_low"] == row["ci_high"] == row["diff"]


def test_difference_bounds_follow_the_catalogue():
    lo, hi = difference_bounds(["reach", "messages_sent"])
    assert lo[0] == -1.0 and hi[0] == 1.0 and np.isnan(lo[1]) and np.isnan(hi[1])
    with pytest.raises(ValueError, match="single"):
        t_interval([1.0], [1.0], [2], single="zero")


def test_every_study_reads_its_window_from_the_kit():
    from sim import simulation
    from sim.scenarios import whatif
    from sim.studies import aggregate, compare, compare_report, paired, sweep_report

    assert outcomes.window_steps is simulation.window_steps  # the one definition
    assert compare.window_bounds is paired.end_window is whatif.end_window is outcomes.window_steps
    assert paired.window_means is aggregate.window_means is outcomes.window_means
    assert compare_report.fmt is sweep_report.fmt is outcomes.fmt


def test_no_module_slices_a_window_but_the_kit_and_the_model():
    # A window is a lower bound on the step: ``["step"] >= first`` or ``.between(first, ...)``.
    # sim.simulation holds the per-run summary that summary.json is made of (below the kit).
    pattern = re.compile(r"""\[["']step["']\]\s*(>=|>)|\[["']step["']\]\.between\(""")
    allowed = {SIM / "simulation.py", SIM / "studies" / "outcomes.py"}
    found = [
        f"{p.relative_to(SIM.parent)}:{n}"
        for p in sorted(SIM.rglob("*.py"))
        if p not in allowed
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert not found, f"use sim.studies.outcomes (window_means, window_rows): {found}"


def test_the_slicing_check_sees_a_window(tmp_path):
    pattern = re.compile(r"""\[["']step["']\]\s*(>=|>)|\[["']step["']\]\.between\(""")
    assert pattern.search('inside = m[m["step"].between(201, 300)]')
    assert pattern.search("x = f[f['step'] >= first]")
    assert not pattern.search('upto = t[t["step"] <= step]')


# --------------------------------------------------------------------------- golden values

#: ``agora compare steps=10 --replicates 2 org.size=30 stakeholders.count=6 --workers 1``
#: (design half), effects.csv on commit 1ffdbe7, before sim/runs was split: lever, metric ->
#: effect, ci_low, ci_high.
GOLDEN = {
    ("responsiveness", "trust"): (0.07063432053115633, 0.025125875672047757, 0.1161427653902649),
    ("voting", "engagement"): (0.017622032810572313, -0.008387477484937969, 0.043631543106082596),
    ("broadcast_rate", "knowledge_code"): (
        0.02847222222222224,
        -0.31565415604917546,
        0.3725986004936199,
    ),
    ("responsiveness x voting", "trust"): (
        -0.0007327876241231615,
        -0.011392146013977561,
        0.009926570765731238,
    ),
}


@pytest.mark.slow
def test_the_main_job_gives_the_numbers_it_gave_before_the_restructuring(tmp_path):
    from sim.cli.compare import main

    argv = [
        "steps=10",
        "--replicates",
        "2",
        "org.size=30",
        "stakeholders.count=6",
        "--no-progress",
        "--no-plots",
        "--workers",
        "1",
        "--out",
        str(tmp_path),
    ]
    assert main(argv) == 0
    effects = pd.read_csv(tmp_path / "effects.csv").set_index(["lever", "metric"])
    for key, numbers in GOLDEN.items():
        got = tuple(effects.loc[key, ["effect", "ci_low", "ci_high"]])
        assert got == pytest.approx(numbers, rel=1e-12, abs=1e-15), key
        assert effects.loc[key, "n"] == 2
    regimes = pd.read_csv(tmp_path / "regimes.csv")
    first = regimes.iloc[0]
    assert (first["regime"], first["metric"]) == ("broadcast", "knowledge_code")
    assert first["mean"] == pytest.approx(0.2722222222222222, rel=1e-12)
    assert first["ci_low"] == pytest.approx(-0.22190796196234946, rel=1e-12)
