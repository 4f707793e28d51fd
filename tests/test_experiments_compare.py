"""The main job (sim.studies.compare, ``agora compare``): design, paired effects, classification,
realistic ends, report, CLI.

Synthetic tables with known effects check the estimation and the report writer without the
model; one tiny real run (full design, 2 seeds) checks the effects against a by-hand
recomputation from the raw per-run table, the report's sentences against effects.csv, resume,
and that the same seed gives the same effects.csv in another number of worker processes.
"""

from __future__ import annotations

import math
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import sim
from sim.cli.compare import main, parse_args
from sim.config import load_config
from sim.rules.metrics import METRIC_NAMES
from sim.studies.classification import CLASSES, mechanism_names, outcome_table
from sim.studies.compare import (
    BY_CONSTRUCTION,
    HEADLINE,
    LEVERS,
    MECHANISMS,
    REALISTIC_ENDS,
    analyse,
    by_construction,
    construction_reasons,
    design_for,
    plan_ablations,
    plan_arms,
    plan_realistic,
    realistic_name,
    window_bounds,
    write_tables,
)
from sim.studies.compare_report import RunFacts, draw_figures, write_report
from sim.studies.factorial import (
    aliased_effects,
    contrast_columns,
    design_resolution,
    two_level_design,
)
from sim.viz.plots import plot_over_time, pretty

NAMES = [lever.name for lever in LEVERS]
TINY = ["steps=10", "org.size=30", "stakeholders.count=6"]


# --------------------------------------------------------------------------- the design


def test_levers_are_exactly_what_separates_the_ends():
    from sim.config.regimes import ENDS

    low, high = ENDS["broadcast"], ENDS["conversational"]
    assert [k for k in low if low[k] != high[k]] == NAMES
    for lever in LEVERS:
        assert (lever.low, lever.high) == (low[lever.name], high[lever.name])
    assert [(v.low, v.high) for v in LEVERS] == [
        (1.0, 0.2),
        (0.5, 0.2),
        ("chain", "voice"),
        (0.0, 0.6),
        (False, True),
    ]


@pytest.mark.parametrize("kind, points, resolution", [("full", 32, math.inf), ("half", 16, 5)])
def test_design_is_balanced_and_of_its_resolution(kind, points, resolution):
    d = design_for(kind)
    assert d.shape == (points, 5) and set(np.unique(d)) == {-1, 1}
    assert len({tuple(row) for row in d}) == points
    c = contrast_columns(d, NAMES).to_numpy()
    assert c.shape[1] == 5 + 10
    # Balanced: every main effect and interaction column has as many +1 as -1 ...
    assert (c.sum(axis=0) == 0).all()
    # ... and every pair of factors sees each of its four level combinations equally often.
    for i in range(5):
        for j in range(i + 1, 5):
            combos = pd.Series(list(zip(d[:, i], d[:, j], strict=True))).value_counts()
            assert len(combos) == 4 and (combos == points // 4).all()
    # No main effect or two-factor interaction is aliased with another: orthogonal columns.
    np.testing.assert_array_equal(c.T @ c, points * np.eye(15))
    assert aliased_effects(d, order=2) == []
    assert design_resolution(d) == resolution


def test_half_fraction_is_i_equals_abcde_and_smaller_fractions_alias():
    d = design_for("half")
    np.testing.assert_array_equal(d[:, 4], d[:, :4].prod(axis=1))
    assert (d.prod(axis=1) == 1).all()  # the defining word ABCDE
    # The check can fail: in a 2^(4-1) two-factor interactions are aliased in pairs.
    d4 = two_level_design(4, half=True)
    assert design_resolution(d4) == 4
    assert ("x1 x x2", "x3 x x4") in aliased_effects(d4)


def test_arms_plan_ends_hybrids_and_points():
    arms = plan_arms(design_for("full"))
    assert [a.name for a in arms[:5]] == [
        "broadcast",
        "conversational",
        "hybrid-0.25",
        "hybrid-0.5",
        "hybrid-0.75",
    ]
    points = [a for a in arms if a.kind == "design"]
    assert len(points) == 32
    for arm in points:
        for lever, x in zip(LEVERS, arm.levels, strict=True):
            assert arm.regime[lever.name] == (lever.high if x > 0 else lever.low)
    # Ends and hybrids leave the five practices to the named end or the mix.
    assert all(arms[0].regime[n] is None for n in NAMES)


def test_window_is_the_last_third_by_default():
    assert window_bounds(300, 1 / 3) == (201, 300)
    assert window_bounds(300, 0.1) == (271, 300)
    with pytest.raises(ValueError, match="window"):
        window_bounds(300, 0)


# --------------------------------------------------------------------------- synthetic runs

#: metric -> {effect label: true effect}; the outcome is 0.5 + sum(effect / 2 * contrast).
TRUTH = {
    "engagement": {"responsiveness": 0.2, "voting": -0.04, "responsiveness x voting": 0.06},
    "knowledge_code": {"broadcast_rate": -0.1, "upward": 0.05},
    "trust": {},
    "sent_vote": {"voting": 30.0},
    "voice_answered": {"responsiveness": 0.6},
    # five interactions: the sentence names the three largest and counts the others
    "ideas_considered": {
        "broadcast_rate x socialization": 5.0,
        "upward x voting": -4.0,
        "socialization x upward": 3.0,
        "broadcast_rate x voting": 2.0,
        "responsiveness x voting": -1.0,
    },
}


def fake_frames(arms, seeds, steps=9, noise=0.01):
    """Per arm, a metrics table whose outcomes follow TRUTH, a seed effect and noise."""
    frames = {}
    for index, arm in enumerate(arms):
        x = np.array(arm.levels, float) if arm.levels is not None else np.full(5, 2 * arm.mix - 1)
        rng = np.random.default_rng([index, 7])
        n = len(seeds) * (steps + 1)
        frame = pd.DataFrame(
            {
                "replicate": np.repeat(np.arange(len(seeds)), steps + 1),
                "seed": np.repeat(np.asarray(seeds, dtype=np.int64), steps + 1),
                "step": np.tile(np.arange(steps + 1), len(seeds)),
            }
        )
        for metric, effects in TRUTH.items():
            y = 0.5
            for label, effect in effects.items():
                y += effect / 2 * np.prod([x[NAMES.index(p)] for p in label.split(" x ")])
            frame[metric] = y + 0.05 * (frame["seed"] % 7) + noise * rng.standard_normal(n)
        frames[arm.name] = frame
    return frames


SEEDS = [3, 5, 8, 13, 21, 34]


@pytest.fixture(scope="module", params=["full", "half"])
def synthetic(request):
    design = design_for(request.param)
    arms = plan_arms(design)
    return analyse(fake_frames(arms, SEEDS), arms, design)


def test_effects_recover_known_values(synthetic):
    e = synthetic.effects.set_index(["lever", "metric"])
    assert (e["n"] == len(SEEDS)).all()
    covered = []
    for metric, truth in TRUTH.items():
        for lever in e.xs(metric, level="metric").index:
            true = truth.get(lever, 0.0)
            row = e.loc[(lever, metric)]
            assert row["effect"] == pytest.approx(true, abs=0.01), (lever, metric)
            covered.append(row["ci_low"] <= true <= row["ci_high"])
    assert np.mean(covered) > 0.85  # 95% intervals cover the truth (allowing chance misses)


def test_effects_equal_paired_differences_by_hand(synthetic):
    runs = synthetic.runs[synthetic.runs["kind"] == "design"]
    e = synthetic.effects.set_index(["lever", "metric"])
    for a, b in [("responsiveness", None), ("upward", None), ("responsiveness", "voting")]:
        sign = runs[f"x_{a}"] * (runs[f"x_{b}"] if b else 1)
        label = f"{a} x {b}" if b else a
        per_seed = (
            runs[sign > 0].groupby("seed")["engagement"].mean()
            - runs[sign < 0].groupby("seed")["engagement"].mean()
        )
        half = stats.t.ppf(0.975, len(per_seed) - 1) * per_seed.std() / math.sqrt(len(per_seed))
        row = e.loc[(label, "engagement")]
        assert row["effect"] == pytest.approx(per_seed.mean(), abs=1e-12)
        assert row["ci_low"] == pytest.approx(per_seed.mean() - half, abs=1e-12)


def test_a_seed_missing_a_point_is_left_out():
    design = design_for("half")
    arms = plan_arms(design)
    frames = fake_frames(arms, SEEDS)
    frames["point-03"] = frames["point-03"][frames["point-03"]["seed"] != SEEDS[0]]
    effects = analyse(frames, arms, design).effects
    assert (effects["n"] == len(SEEDS) - 1).all()


def test_by_construction_table_explains_every_entry():
    for (lever, metric), reason in BY_CONSTRUCTION.items():
        assert lever in NAMES and metric in METRIC_NAMES and len(reason) > 20
    assert by_construction("responsiveness", "voice_answered")
    assert by_construction("upward x responsiveness", "voice_answered").startswith("involves")
    assert by_construction("responsiveness", "engagement") is None


# --------------------------------------------------------------------------- outcomes by kind


def bounded_frames(arms, seeds, steps=9):
    """A share near its bounds with a wide spread over seeds, a cumulative count
    growing faster with voting on, a per-step count of votes."""
    frames = {}
    for index, arm in enumerate(arms):
        x = np.array(arm.levels, float) if arm.levels is not None else np.full(5, 2 * arm.mix - 1)
        voting = x[NAMES.index("voting")] > 0
        rng = np.random.default_rng([index, 11])
        step = np.tile(np.arange(steps + 1), len(seeds))
        frame = pd.DataFrame(
            {
                "replicate": np.repeat(np.arange(len(seeds)), steps + 1),
                "seed": np.repeat(np.asarray(seeds, dtype=np.int64), steps + 1),
                "step": step,
            }
        )
        # reach near 0 or 1 by the broadcast rate, which way depending on the seed: each
        # seed's effect is +-0.99, so every t interval is far wider than [0, 1]
        sign = np.where(frame["seed"] % 2 == 1, 1.0, -1.0)
        frame["reach"] = 0.5 + 0.495 * x[NAMES.index("broadcast_rate")] * sign
        frame["innovations"] = step * (3.0 if voting else 1.0)  # a running total
        frame["sent_vote"] = np.where(voting, 4.0, 0.0) + rng.random(len(frame))
        frames[arm.name] = frame
    return frames


@pytest.fixture(scope="module")
def kinds():
    design = design_for("half")
    arms = plan_arms(design)
    return analyse(bounded_frames(arms, [1, 2, 3]), arms, design, window=1 / 3)


def test_intervals_stay_inside_what_the_metric_allows(kinds):
    """A share's mean and band stay in [0, 1], its differences and effects in [-1, 1] (issue
    24: reach 0.8 [0.498, 1.1]); the unbounded t interval would leave the range here."""
    r = kinds.regimes[kinds.regimes["metric"] == "reach"]
    assert r["ci_high"].max() == 1.0 and r["ci_low"].min() == 0.0
    raw = kinds.runs[kinds.runs["regime"] == "broadcast"]["reach"]
    half = stats.t.ppf(0.975, len(raw) - 1) * raw.std() / math.sqrt(len(raw))
    row = r[(r["regime"] == "broadcast") & (r["value"] == "window")].iloc[0]
    assert row["ci_low"] == pytest.approx(max(raw.mean() - half, 0.0), abs=1e-12)
    assert row["ci_high"] == pytest.approx(min(raw.mean() + half, 1.0), abs=1e-12)
    bands = kinds.bands[kinds.bands["metric"] == "reach"]
    assert bands["ci_high"].max() == 1.0 and bands["ci_low"].min() == 0.0
    assert (kinds.bands.loc[kinds.bands["metric"] == "sent_vote", "ci_low"] >= 0).all()
    for table in (kinds.effects, kinds.effects_final):
        e = table[table["metric"] == "reach"]
        assert e["ci_low"].min() == -1.0 and e["ci_high"].max() == 1.0  # cut, not widened
        assert (e["ci_low"] <= e["effect"]).all() and (e["effect"] <= e["ci_high"]).all()
    d = kinds.differences[kinds.differences["metric"] == "reach"]
    assert d["ci_low"].min() == -1.0 and d["ci_high"].max() == 1.0
    e = kinds.effects.drop_duplicates("metric").set_index("metric")
    assert e.loc["reach", "interval"] == "t over seeds, cut to [-1, 1]"
    assert e.loc["sent_vote", "interval"] == "t over seeds"  # a count's difference is open
    assert e.loc["innovations", "kind"] == "cumulative" and e.loc["reach", "kind"] == "share"


def test_cumulative_counts_are_compared_at_the_end(kinds):
    """A running total is taken at the window's last step (9), never averaged over it: with
    voting on it grows by 3 a step, so the voting effect on innovations is 2 x 9 = 18, where
    the window mean (steps 7-9) would say 16."""
    assert kinds.window == (7, 9)
    runs = kinds.runs.set_index("arm")
    assert runs.loc["broadcast", "innovations"].tolist() == [9.0, 9.0, 9.0]
    assert runs.loc["conversational", "innovations"].tolist() == [27.0, 27.0, 27.0]
    e = kinds.effects.set_index(["lever", "metric"])
    assert e.loc[("voting", "innovations"), "effect"] == pytest.approx(18.0)
    d = kinds.differences.set_index(["value", "metric"])
    assert d.loc[("window", "innovations"), "diff"] == pytest.approx(18.0)
    assert d.loc[("final", "innovations"), "diff"] == pytest.approx(18.0)
    # a per-step count stays a window mean: a rate per step
    raw = bounded_frames(plan_arms(design_for("half")), [1, 2, 3])["broadcast"]
    by_hand = raw[raw["step"].between(7, 9)].groupby("seed")["sent_vote"].mean()
    np.testing.assert_allclose(runs.loc["broadcast", "sent_vote"], by_hand.to_numpy())


def test_report_says_how_values_and_intervals_are_made(kinds, tmp_path):
    write_report(tmp_path, kinds, RunFacts(), plots=False)
    text = (tmp_path / "report.md").read_text()
    assert "cumulative counts (innovations) are their values at step 9, never averaged" in text
    assert f"counts of events per step ({pretty('sent_vote').lower()}) are rates per step" in text
    assert "cut to what the outcome allows" in text and "`interval` of `effects.csv`" in text


# --------------------------------------------------------------------------- the report


def expected_sentence(effects: pd.DataFrame, metric: str, regimes: pd.DataFrame) -> str:
    """The report's sentence for one outcome, rebuilt from effects.csv and regimes.csv."""

    def f(x):
        return "n/a" if pd.isna(x) else f"{x:.3g}"

    labels = {v.name: v for v in LEVERS}
    rows = effects[effects["metric"] == metric]
    clear = (rows["ci_low"] > 0) | (rows["ci_high"] < 0)
    mains = rows["lever"].isin(labels)
    end = regimes[(regimes["value"] == "window") & (regimes["metric"] == metric)].set_index(
        "regime"
    )["mean"]
    text = (
        f"**{pretty(metric)}** (broadcast end {f(end['broadcast'])}, conversational end "
        f"{f(end['conversational'])}): "
    )
    picked = rows[mains & clear].iloc[
        np.argsort(-rows[mains & clear]["effect"].abs(), kind="stable")
    ]
    phrases = []
    for _, r in picked.iterrows():
        v = labels[r["lever"]]
        word = {True: "on", False: "off"}
        change = " → ".join(
            word[x] if isinstance(x, bool) else (f"{x:g}" if isinstance(x, float) else x)
            for x in (v.low, v.high)
        )
        phrases.append(
            f"{v.label} ({change}) {'raises' if r['effect'] > 0 else 'lowers'} it "
            f"by {f(abs(r['effect']))} (95% CI {f(r['ci_low'])} to {f(r['ci_high'])})"
            + (", by construction" if (r["lever"], metric) in BY_CONSTRUCTION else "")
        )
    unclear = [labels[n].label for n in rows[mains & ~clear]["lever"]]
    if phrases:
        text += "; ".join(phrases) + "."
        if unclear:
            listed = (
                unclear[0] if len(unclear) == 1 else ", ".join(unclear[:-1]) + " and " + unclear[-1]
            )
            text += f" No clear effect of {listed} (95% CIs include zero)."
    else:
        text += "no practice moves it clearly (every 95% CI includes zero)."
    pairs = rows[~mains & clear]
    pairs = pairs.iloc[np.argsort(-pairs["effect"].abs(), kind="stable")]
    if len(pairs):
        text += " Interactions: " + "; ".join(
            f"{r['lever']} {'+' if r['effect'] > 0 else ''}{f(r['effect'])} (95% CI "
            f"{f(r['ci_low'])} to {f(r['ci_high'])})"
            + (", by construction" if by_construction(r["lever"], metric) else "")
            for _, r in pairs.head(3).iterrows()
        )
        if len(pairs) > 3:
            text += (
                f" (and {len(pairs) - 3} smaller clear one{'s' if len(pairs) > 4 else ''} "
                "in the table)"
            )
        text += "."
    return text[0].upper() + text[1:]


def report_bullets(text: str) -> dict[str, str]:
    return {
        m.group(1): m.group(0)[2:] for m in re.finditer(r"^- \*\*(.+?)\*\* \(.*$", text, flags=re.M)
    }


def check_sentences(out):
    effects = pd.read_csv(out / "effects.csv")
    regimes = pd.read_csv(out / "regimes.csv")
    bullets = report_bullets((out / "report.md").read_text())
    checked = 0
    for metric in (*HEADLINE, *MECHANISMS):
        if metric in set(effects["metric"]):
            assert bullets[pretty(metric)] == expected_sentence(effects, metric, regimes)
            checked += 1
    return checked


def test_report_sentences_follow_effects_csv_synthetic(synthetic, tmp_path):
    write_tables(tmp_path, synthetic)
    write_report(tmp_path, synthetic, RunFacts(), plots=False)
    assert check_sentences(tmp_path) == 5  # the TRUTH metrics in the report's bullets
    code, answered = (re.escape(pretty(m)) for m in ("knowledge_code", "voice_answered"))
    assert re.search(
        r"In short, the practice that moves each outcome most: "
        + code.lower()
        + r", broadcast rate \(-0\.(1|09)\d*\); engagement, responsiveness "
        r"\(\+0\.(2|19)",
        (tmp_path / "report.md").read_text(),
    )
    text = (tmp_path / "report.md").read_text()
    assert re.search(r"responsiveness \(0 → 0\.6\) raises it by 0\.(19|2)", text)
    assert re.search(
        r"\| " + answered + r" \| responsiveness \(0 → 0\.6\) \| "
        r"\*\*\+0\.[56]\d*\*\* .*\| by construction \|",
        text,
    )
    assert text.count("by construction") >= 3
    assert "voting -1 (95% CI" not in text.split("## Main effects")[0]
    assert "(and 2 smaller clear ones in the table)" in text


def test_plots_drawn_in_two_processes_are_those_drawn_in_one(tmp_path):
    bands = pd.DataFrame(
        {"condition": "a", "step": [0, 1, 2], "metric": "trust", "mean": [0.2, 0.5, 0.4]}
    ).assign(ci_low=lambda f: f["mean"] - 0.1, ci_high=lambda f: f["mean"] + 0.1)
    for workers in (1, 2):
        folder = tmp_path / str(workers)
        draw_figures(
            [(plot_over_time, (bands, ["trust"], folder / f"{k}.png"), {}) for k in range(3)],
            workers,
        )
    one, two = (sorted((tmp_path / w).glob("*.png")) for w in ("1", "2"))
    assert [p.name for p in two] == ["0.png", "1.png", "2.png"]
    assert [p.read_bytes() for p in one] == [p.read_bytes() for p in two]


def test_a_figure_failing_in_the_helper_process_fails_the_report(tmp_path):
    figures = [
        (Path.write_text, (tmp_path / "drawn", "x"), {}),
        (Path.write_text, (tmp_path / "no folder" / "drawn", "x"), {}),  # the helper's
    ]
    with pytest.raises(FileNotFoundError):
        draw_figures(figures, workers=2)
    assert (tmp_path / "drawn").exists()


# --------------------------------------------------------------------------- command line


def test_flags_and_overrides_in_any_order():
    orders = [
        ["steps=50", "--replicates", "2", "org.size=80", "--design", "half"],
        ["--replicates", "2", "steps=50", "--design", "half", "org.size=80"],
        ["steps=50", "org.size=80", "--design=half", "--replicates=2"],
    ]
    parsed = [vars(parse_args(argv)) for argv in orders]
    assert parsed[0] == parsed[1] == parsed[2]
    assert parsed[0]["overrides"] == ["steps=50", "org.size=80"]


def test_help_and_bad_flags(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0 and "factorial" in capsys.readouterr().out
    with pytest.raises(SystemExit) as done:
        main(["--replicates", "1"])
    assert done.value.code == 2 and "--replicates" in capsys.readouterr().err


@pytest.mark.parametrize(
    "override", ["regime.voting=true", "regime=broadcast", "seed=3", "org.sise=30"]
)
def test_bad_overrides_fail_before_anything_runs(override, tmp_path, capsys):
    assert main(["--out", str(tmp_path / "r"), "--no-progress", override, *TINY]) == 2
    err = capsys.readouterr().err
    assert override.split("=")[0] in err
    assert not (tmp_path / "r").exists()


# --------------------------------------------------------------------------- a tiny real run


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    """Two tiny runs of the whole job (every arm, every ablation, the realistic ends)."""
    out = tmp_path_factory.mktemp("compare")
    argv = [
        "steps=10",
        "--replicates",
        "2",
        "org.size=30",
        "--no-progress",
        "stakeholders.count=6",
        "--out",
    ]
    assert main([*argv, str(out / "a")]) == 0
    assert main([*argv, str(out / "b"), "--workers", "1", "--no-plots"]) == 0
    return out


@pytest.mark.slow
def test_effects_csv_shape(real):
    effects = pd.read_csv(real / "a" / "effects.csv")
    # the six columns other tools read, in order, then what was added (extend, never rename)
    assert list(effects.columns) == [
        "lever",
        "metric",
        "effect",
        "ci_low",
        "ci_high",
        "n",
        "kind",
        "interval",
    ]
    assert set(HEADLINE) <= set(effects["metric"])
    assert "responsiveness x voting" in set(effects["lever"])
    assert len(effects) == 15 * effects["metric"].nunique()
    # Some metrics have no value in these 10-step runs (adaptation_lag until a flipped
    # dimension is re-learned, authenticity_gap until someone voices, the economy's while it
    # is off): every estimated effect rests on both seeds.
    estimated = effects.dropna(subset=["effect"])
    assert estimated["n"].between(1, 2).all()  # a late metric may have one seed's value
    core = estimated[estimated["metric"].isin(["engagement", "trust", "knowledge_code"])]
    assert len(core) == 3 * 15 and (core["n"] == 2).all()


@pytest.mark.slow
def test_main_effects_by_hand_from_the_raw_runs(real):
    runs = pd.read_parquet(real / "a" / "runs.parquet")
    effects = pd.read_csv(real / "a" / "effects.csv").set_index(["lever", "metric"])
    design = runs[runs["kind"] == "design"]
    # the default design: the half fraction, 16 points, each run with both seeds
    assert len(design) == 16 * 2 and design.groupby("seed").size().tolist() == [16, 16]
    metrics = [m for m in (*HEADLINE, *MECHANISMS) if design[m].notna().all()]
    assert {"knowledge_code", "engagement", "trust"} <= set(metrics)
    for lever in LEVERS:
        high = design[lever.name] == lever.high
        assert high.sum() == 16  # half the runs at each level, as read from the practices
        for metric in metrics:
            by_hand = design.loc[high, metric].mean() - design.loc[~high, metric].mean()
            assert effects.loc[(lever.name, metric), "effect"] == pytest.approx(
                by_hand, rel=1e-9, abs=1e-12
            ), (lever.name, metric)
    # an interaction: runs where both practices sit at the same end against the others
    same = (design["responsiveness"] == 0.6) == (design["voting"] == True)  # noqa: E712
    for metric in metrics:
        by_hand = design.loc[same, metric].mean() - design.loc[~same, metric].mean()
        assert effects.loc[("responsiveness x voting", metric), "effect"] == pytest.approx(
            by_hand, rel=1e-9, abs=1e-12
        )


@pytest.mark.slow
def test_real_report_sentences_follow_effects_csv(real):
    assert check_sentences(real / "a") >= 8
    text = (real / "a" / "report.md").read_text()
    # the all-high corner is the conversational end (the all-low one is not in the fraction)
    assert (
        "the conversational end and the design point with every practice at its "
        "conversational value gave identical outcomes" in text
    )
    assert "every practice at its broadcast value is not in this design" in text
    # the practices each end ran, read back from the runs
    assert "| broadcast | 1 | 0.5 | chain | 0 | off |" in text
    assert "| conversational | 0.2 | 0.2 | voice | 0.6 | on |" in text
    regimes = pd.read_csv(real / "a" / "regimes.csv").set_index(["value", "regime", "metric"])
    b = regimes.loc[("window", "broadcast", "ideas_considered"), "mean"]
    c = regimes.loc[("window", "conversational", "ideas_considered"), "mean"]
    assert f"ratio broadcast / conversational {b / c:.3g}" in text
    for name in ("effects", "effects_mechanisms", "regimes_over_time", "regimes_window"):
        assert (real / "a" / "plots" / f"{name}.png").stat().st_size > 10_000


@pytest.mark.slow
def test_same_seed_same_effects_in_any_number_of_workers(real):
    for name in (
        "effects.csv",
        "effects_final.csv",
        "regimes.csv",
        "differences.csv",
        "classification.csv",
        "ablations.csv",
        "ends_realistic.csv",
    ):
        assert (real / "a" / name).read_bytes() == (real / "b" / name).read_bytes(), name


@pytest.mark.slow
def test_a_job_equals_simulate(real):
    cfg = load_config(["regime=hybrid", "regime.mix=0.25", "replicates=2", "seed=0", *TINY])
    pd.testing.assert_frame_equal(
        pd.read_parquet(real / "a" / "runs" / "hybrid-0.25" / "metrics.parquet"),
        sim.simulate(cfg).metrics,
    )


@pytest.mark.slow
def test_rerun_resumes_and_other_settings_are_refused(real, capsys):
    out = real / "b"
    stamps = {p: p.stat().st_mtime_ns for p in (out / "runs").glob("*/summary.json")}
    assert len(stamps) == 21
    before = (out / "effects.csv").read_bytes()
    argv = ["--out", str(out), "--no-progress", "--no-plots", "--replicates", "2", *TINY]
    assert main(argv) == 0
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps
    assert (out / "effects.csv").read_bytes() == before
    assert main([*argv, "--seed", "1"]) == 2
    assert "refusing to overwrite" in capsys.readouterr().err


@pytest.mark.slow
def test_window_flag_reuses_the_runs(real, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(real / "b", out)
    argv = ["--out", str(out), "--no-progress", "--no-plots", "--replicates", "2", *TINY]
    assert main([*argv, "--window", "0.5"]) == 0
    text = (out / "report.md").read_text()
    assert "Outcomes are averages over steps 6–10" in text
    runs = pd.read_parquet(out / "runs.parquet")
    raw = pd.read_parquet(out / "runs" / "broadcast" / "metrics.parquet")
    by_hand = raw[raw["step"].between(6, 10)].groupby("seed")["engagement"].mean()
    mine = runs[runs["arm"] == "broadcast"].set_index("seed")["engagement"]
    pd.testing.assert_series_equal(mine.sort_index(), by_hand.sort_index(), check_names=False)
    finals = pd.read_parquet(out / "finals.parquet")
    last = raw[raw["step"] == 10].set_index("seed")["engagement"]
    pd.testing.assert_series_equal(
        finals[finals["arm"] == "broadcast"].set_index("seed")["engagement"].sort_index(),
        last.sort_index(),
        check_names=False,
    )


# --------------------------------------------------------------------------- classification


def test_every_switch_of_the_schema_is_ablated_at_both_ends():
    from dataclasses import fields

    from sim.config.schema import MechanismsConfig

    arms = plan_ablations(mechanism_names())
    assert len(arms) == 2 * len(fields(MechanismsConfig))
    assert {a.off for a in arms} == {(f.name,) for f in fields(MechanismsConfig)}
    assert all(a.kind == "ablation" and a.path.startswith("ablations/") for a in arms)


def test_realistic_ends_are_the_conversational_end_at_field_values():
    arms = plan_realistic()
    assert [(a.regime["responsiveness"], a.regime["voting"]) for a in arms] == list(REALISTIC_ENDS)
    assert {(r, v) for r, v in REALISTIC_ENDS} == {
        (0.2, False),
        (0.2, True),
        (0.4, False),
        (0.4, True),
    }
    for arm in arms:  # every other practice is the conversational end's
        assert arm.regime["name"] == "conversational"
        assert all(arm.regime[n] is None for n in NAMES if n not in ("responsiveness", "voting"))


def test_compare_does_not_import_its_report():
    """One direction only: the report reads the job's tables, the job never the report."""
    import ast
    from pathlib import Path

    import sim.studies.compare as job

    tree = ast.parse(Path(job.__file__).read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not any("compare_report" in m or m.startswith("sim.cli") for m in imported if m)


@pytest.mark.slow
def test_classification_has_a_row_for_every_metric(real):
    c = pd.read_csv(real / "a" / "classification.csv")
    assert list(c.columns[:8]) == [
        "metric",
        "difference",
        "ci_low",
        "ci_high",
        "class",
        "mechanism",
        "share_removed",
        "n",
    ]
    effects = pd.read_csv(real / "a" / "effects.csv")
    assert list(c["metric"]) == list(dict.fromkeys(effects["metric"]))
    assert set(HEADLINE) <= set(c["metric"]) and set(c["class"]) <= set(CLASSES)
    # the difference is differences.csv's, and its class follows its interval
    d = pd.read_csv(real / "a" / "differences.csv")
    d = d[d["value"] == "window"].set_index("metric")
    np.testing.assert_allclose(c["difference"], d.loc[c["metric"], "diff"], rtol=1e-12)
    clear = (c["ci_low"] > 0) | (c["ci_high"] < 0)
    assert (c.loc[~clear & (c["n"] >= 2), "class"] == "noise").all()
    assert not (c.loc[clear, "class"] == "noise").any()
    built = set(construction_reasons(c["metric"]))
    assert set(c.loc[clear & c["metric"].isin(built), "class"]) <= {"construction"}
    # every switch of the schema ablated on the same seeds as the main arms
    a = pd.read_csv(real / "a" / "ablations.csv")
    singles = set(mechanism_names())
    assert singles <= set(a["ablation"])  # and any pair the classifier asked for, "M+N"
    assert all(set(x.split("+")) <= singles for x in set(a["ablation"]) - singles)
    # both seeds wherever the metric has a value (some are NaN in 10-step runs: undefined)
    assert a["n"].between(0, 2).all()
    assert (a.loc[a["metric"].isin(["engagement", "trust"]), "n"] == 2).all()
    runs = pd.read_parquet(real / "a" / "runs.parquet")
    off = pd.read_parquet(
        real / "a" / "runs" / "ablations" / "broadcast-no-benevolence" / "metrics.parquet"
    )
    assert set(off["seed"]) == set(runs["seed"])


@pytest.mark.slow
def test_report_opens_with_what_each_difference_rests_on(real):
    text = (real / "a" / "report.md").read_text()
    headings = re.findall(r"^## .+$", text, flags=re.M)
    assert headings[:3] == [
        "## What each difference rests on",
        "## How much is the choice of ends",
        "## Which practice does what",
    ]
    first = text.split("## How much is the choice of ends")[0]
    assert "| outcome | practice | effect" not in first
    c = pd.read_csv(real / "a" / "classification.csv")
    for row in c.to_dict(orient="records"):  # every difference is in the first section
        name = pretty(row["metric"])
        listed = row["class"] in ("noise", "undefined")  # named in a sentence, lower case
        assert (name.lower() if listed else name) in first, name
    assert outcome_table(c) in first


@pytest.mark.slow
def test_default_job_has_the_realistic_ends(real):
    e = pd.read_csv(real / "a" / "ends_realistic.csv")
    assert list(dict.fromkeys(e["ends"])) == [
        "default",
        *(realistic_name(r, v) for r, v in REALISTIC_ENDS),
    ]
    d = pd.read_csv(real / "a" / "differences.csv")
    d = d[d["value"] == "window"].set_index("metric")
    default = e[e["ends"] == "default"].set_index("metric")
    np.testing.assert_allclose(default["diff"], d.loc[default.index, "diff"], rtol=1e-12)
    assert "responsiveness 0.2, voting off" in (real / "a" / "report.md").read_text()


@pytest.mark.slow
def test_realistic_ends_alone(tmp_path):
    out = tmp_path / "ends"
    argv = ["--ends", "realistic", "--out", str(out), "--no-progress", "--replicates", "2", *TINY]
    assert main(argv) == 0
    assert sorted(
        p.name for p in (out / "runs" / "ends").iterdir() if not p.name.startswith(".")
    ) == sorted(realistic_name(r, v) for r, v in REALISTIC_ENDS)
    assert not (out / "effects.csv").exists() and not (out / "classification.csv").exists()
    e = pd.read_csv(out / "ends_realistic.csv")
    assert set(e["ends"]) == {realistic_name(r, v) for r, v in REALISTIC_ENDS}
    # by hand: window means per seed, conversational minus broadcast
    raw_b = pd.read_parquet(out / "runs" / "broadcast" / "metrics.parquet")
    name = realistic_name(0.2, False)
    raw_c = pd.read_parquet(out / "runs" / "ends" / name / "metrics.parquet")
    first, last = window_bounds(10)

    def means(raw):
        return raw[raw["step"].between(first, last)].groupby("seed")["engagement"].mean()

    by_hand = (means(raw_c) - means(raw_b)).mean()
    row = e[(e["ends"] == name) & (e["metric"] == "engagement")].iloc[0]
    assert row["diff"] == pytest.approx(by_hand, abs=1e-12) and row["n"] == 2
    text = (out / "report.md").read_text()
    assert text.startswith("# How much is the choice of ends")
    assert "Piezunka & Dahlander 2019" in text


@pytest.mark.slow
def test_write_docs_fills_the_markers_and_pairs_run_when_asked(real, tmp_path, monkeypatch):
    import sim.studies.classification as classification

    out = tmp_path / "copy"
    shutil.copytree(real / "b", out)
    odd = tmp_path / "odd.md"
    odd.write_text("# ODD\n<!-- BEGIN classification -->\n<!-- END classification -->\nend\n")
    # The switches do not move anything on their own here, so plant the classifier's request
    # for one pair: it runs as a second batch, both ends, the same seeds.
    monkeypatch.setattr(
        classification,
        "pairs_to_run",
        lambda *a, **k: [("benevolence", "ability"), ("ability", "integrity")],
    )
    argv = [
        "--out",
        str(out),
        "--no-progress",
        "--no-plots",
        "--replicates",
        "2",
        "--max-pairs",
        "1",
        "--write-docs",
        "--docs-file",
        str(odd),
        *TINY,
    ]
    assert main(argv) == 0
    pair = out / "runs" / "ablations" / "conversational-no-benevolence+ability"
    assert (pair / "metrics.parquet").is_file()
    assert not (out / "runs" / "ablations" / "broadcast-no-ability+integrity").exists()
    a = pd.read_csv(out / "ablations.csv")
    assert "benevolence+ability" in set(a["ablation"])
    text = (out / "report.md").read_text()
    assert "**1 of 2 wanted pairs were not run** (`--max-pairs 1`)" in text
    c = pd.read_csv(out / "classification.csv")
    assert odd.read_text() == (
        "# ODD\n<!-- BEGIN classification -->\n"
        + outcome_table(c)
        + "\n<!-- END classification -->\nend\n"
    )


@pytest.mark.parametrize(
    "argv, flag",
    [
        (["--max-pairs", "-1"], "--max-pairs"),
        (["--ends", "realistic", "--write-docs"], "--write-docs"),
    ],
)
def test_bad_classification_flags(argv, flag, capsys):
    assert parse_args(["--write-docs", "steps=5"]).overrides == ["steps=5"]
    with pytest.raises(SystemExit) as done:
        parse_args(argv)
    assert done.value.code == 2 and flag in capsys.readouterr().err
