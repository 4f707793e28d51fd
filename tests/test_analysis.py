"""Exploratory analysis: sensitivity methods against known answers, PRIM against a planted box,
the guards that stop misleading numbers, and reports that re-derive from their tables."""

from __future__ import annotations

import itertools
import json
import math
import re

import numpy as np
import pandas as pd
import pytest
from SALib.test_functions import Ishigami

import sim.viz.plots as plots
from sim.exec.designs import make_design, parse_ranges, write_design
from sim.studies.discover import (
    box_sentence,
    conditions,
    effect_cells,
    find_box,
    overview_sentences,
    write_discover_report,
)
from sim.studies.sensitivity import (
    MIN_SIZE,
    RBD_HARMONICS,
    analyse,
    check_design,
    describe_indices,
    noise_share,
    sobol_indices,
    with_noise,
)
from sim.studies.sweep_report import sweep_sentences
from sim.util.stats import mean_ci

PI = math.pi
ISHIGAMI = {f"x{i}": (-PI, PI, "float") for i in (1, 2, 3)}


def _meta(method, n, ranges=ISHIGAMI):
    return {
        "method": method,
        "n": n,
        "points": None,
        "levels": 4,
        "ranges": {k: [lo, hi] for k, (lo, hi, _) in ranges.items()},
    }


def _ishigami(points):
    return Ishigami.evaluate(points[list(ISHIGAMI)].to_numpy(dtype=float))


def ishigami_indices(a=7.0, b=0.1):
    """S1 and ST of Ishigami's function, derived from its variance decomposition with x
    uniform on [-pi, pi]: E[sin^2] = 1/2, Var(sin^2) = 1/8, E[x^4] = pi^4/5, E[x^8] = pi^8/9."""
    v1 = 0.5 * (1 + b * PI**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * (PI**8 / 9 - PI**8 / 25) / 2
    v = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / v, np.array([v1 + v13, v2, v13]) / v


def morris_exact(levels=4):
    """mu* of Ishigami on Morris's grid, exactly: the mean |elementary effect| of each factor
    over every grid point from which a jump of delta stays on the grid."""
    grid = np.linspace(0, 1, levels)
    delta = levels / (2 * (levels - 1))
    out = []
    for i in range(3):
        effects = []
        for base in itertools.product(grid, repeat=3):
            if base[i] + delta > 1 + 1e-12:
                continue
            x = np.array(base)
            y = x.copy()
            y[i] += delta
            fx, fy = Ishigami.evaluate(-PI + 2 * PI * np.vstack([x, y]))
            effects.append(abs(fy - fx) / delta)
        out.append(np.mean(effects))
    return np.array(out)


# --------------------------------------------------------------------------- known answers


def test_sobol_recovers_ishigami_within_its_intervals():
    points = make_design(ISHIGAMI, method="sobol", n=1024, seed=3)
    table = analyse(_meta("sobol", 1024), points, _ishigami(points), seed=3)
    s1, st = ishigami_indices()
    assert s1 == pytest.approx([0.3139, 0.4424, 0.0], abs=1e-4)  # the values the Primer prints
    for k in range(3):
        row = table.iloc[k]
        assert abs(row["S1"] - s1[k]) <= row["S1_conf"], (row["parameter"], "S1")
        assert abs(row["ST"] - st[k]) <= row["ST_conf"], (row["parameter"], "ST")
        assert row["S1_conf"] < 0.1 and row["ST_conf"] < 0.1


def test_morris_recovers_ishigami_within_its_intervals():
    points = make_design(ISHIGAMI, method="morris", n=100, seed=5)
    table = analyse(_meta("morris", 100), points, _ishigami(points), seed=5)
    exact = morris_exact()
    assert exact[1] == pytest.approx(7 * 0.75 / (2 / 3))  # x2's effect is one number
    for k in range(3):
        row = table.iloc[k]
        assert abs(row["mu_star"] - exact[k]) <= max(row["mu_star_conf"], 1e-9), row["parameter"]
    # sin(x1) and x3's effect on it interact: x3 has no effect on average (mu ~ 0) but a
    # large mu*, and a spread (sigma) above it.
    x3 = table.set_index("parameter").loc["x3"]
    assert abs(x3["mu"]) < x3["mu_star"] / 3 and x3["sigma"] > x3["mu_star"]


def test_rbd_fast_at_its_minimum_size_gives_honest_first_order_indices():
    ranges = parse_ranges(["regime.mix=0:1", "openness.internal=0:1"])
    n = MIN_SIZE["lhs"]
    x = make_design(ranges, method="lhs", n=n, seed=0)
    y = 4 * x["regime.mix"] + x["openness.internal"]  # S1 = 16/17 and 1/17
    table = analyse(_meta("lhs", n, ranges), x, y.to_numpy(), seed=0)
    assert table["S1"].sum() < 1.2  # never the "1 and 1" of an undersized design
    assert abs(table["S1"][0] - 16 / 17) <= table["S1_conf"][0]
    assert abs(table["S1"][1] - 1 / 17) <= table["S1_conf"][1]


def test_prim_recovers_a_planted_box():
    ranges = parse_ranges(
        ["environment.turbulence=0:0.1", "org.attention=5:40", "population.talk=0:1"]
    )
    x = make_design(ranges, method="lhs", n=400, seed=2)
    # The practice pays off only where turbulence > 0.04 and attention > 20; talk is a decoy.
    planted = (x["environment.turbulence"] > 0.04) & (x["org.attention"] > 20)
    noise = np.random.default_rng(0).random(len(x)) < 0.03  # a few mislabelled points
    found = find_box(x, planted ^ noise)
    limits = found.limits.set_index("parameter")
    assert sorted(limits.index) == ["environment.turbulence", "org.attention"]
    assert limits.loc["environment.turbulence", "min"] == pytest.approx(0.04, abs=0.01)
    assert limits.loc["org.attention", "min"] == pytest.approx(20, abs=2)
    assert found.coverage >= 0.8 and found.density >= 0.85
    assert conditions(found) == [
        f"turbulence > {limits.loc['environment.turbulence', 'min']:.3g}",
        f"organization attention > {limits.loc['org.attention', 'min']:.3g}",
    ]
    # coverage and density are what they say, recomputed from the points inside the box
    cases = (planted ^ noise).to_numpy()
    assert found.coverage == pytest.approx(cases[found.inside].sum() / cases.sum())
    assert found.density == pytest.approx(cases[found.inside].mean())


def test_effect_map_cells_are_naive_means_and_intervals():
    rng = np.random.default_rng(1)
    e = pd.DataFrame({"p": rng.random(60), "q": rng.random(60)})
    e["effect"] = np.where(e["p"] > 0.5, 1.0, -1.0) + rng.normal(0, 0.1, 60)
    cells = effect_cells(e, "p", "q", {"p": (0, 1), "q": (0, 1)}, bins=3)
    assert len(cells) == 9 and cells["n"].sum() == 60
    for r in cells.itertuples():
        inside = e[
            (e["p"] >= r.x_lo)
            & ((e["p"] < r.x_hi) | (r.x_hi == 1))
            & (e["q"] >= r.y_lo)
            & ((e["q"] < r.y_hi) | (r.y_hi == 1))
        ]["effect"]
        ref = mean_ci(inside)
        assert r.n == ref["n"]
        assert r.mean == pytest.approx(ref["mean"], nan_ok=True)
        assert r.ci_low == pytest.approx(ref["ci_low"], nan_ok=True)


# --------------------------------------------------------------------------- guards


def test_the_issue_case_lhs_16_points_is_refused_and_why():
    ranges = parse_ranges(["regime.mix=0:1", "openness.internal=0:1"])
    x = make_design(ranges, method="lhs", n=16, seed=0)
    y = (4 * x["regime.mix"] + x["openness.internal"]).to_numpy()
    # What SALib's RBD-FAST (M = 10 harmonics) says on 16 points: every S1 is 1, +- 0, because
    # a 16-point spectrum has only 8 frequencies and all of them are summed.
    from SALib.analyze import rbd_fast

    problem = {"num_vars": 2, "names": list(ranges), "bounds": [[0, 1], [0, 1]]}
    raw = rbd_fast.analyze(problem, x.to_numpy(), y, M=10, seed=0)
    assert np.allclose(raw["S1"], 1.0) and np.allclose(raw["S1_conf"], 0.0)
    runs = pd.DataFrame(
        {"design": [f"point_{i:05d}" for i in range(16)], "status": "ok", "trust": y}
    )
    with pytest.raises(ValueError, match=f"at least {16 * RBD_HARMONICS}"):
        sobol_indices(_meta("lhs", 16, ranges), x, runs, "trust")


@pytest.mark.parametrize(
    ("method", "n", "match"),
    [
        ("sobol", 10, "not a power of two.*use 8 or 16"),
        ("sobol", 32, "at least 64"),
        ("morris", 4, "at least 10"),
    ],
)
def test_designs_below_their_minimum_are_refused(method, n, match):
    with pytest.raises(ValueError, match=match):
        check_design(_meta(method, n))


def test_design_command_refuses_sobol_n_10(capsys):
    from sim.cli.design import main

    assert main(["--method", "sobol", "--n", "10", "regime.mix=0:1"]) == 2
    err = capsys.readouterr().err
    assert "--n 10 is not a power of two" in err and "use 8 or 16" in err


def test_one_replicate_gives_no_interval_a_warning_and_plots_that_say_so(tmp_path, monkeypatch):
    from sim.exec.jobs import run_job
    from sim.studies.aggregate import aggregate

    for num, regime in enumerate(["broadcast", "conversational"]):
        run_job(
            {
                "steps": 3,
                "replicates": 1,
                "org": {"size": 20},
                "regime": {"name": regime},
                "stakeholders": {"count": 4},
            },
            tmp_path / str(num),
            overrides=[f"regime={regime}"],
        )
    titles = []
    real_save = plots.save_figure
    monkeypatch.setattr(
        plots,
        "save_figure",
        lambda fig, path, **kw: (
            titles.append(fig._suptitle.get_text()),
            real_save(fig, path, **kw),
        )[1],
    )
    with pytest.warns(UserWarning, match="single replicate: no confidence interval"):
        report = aggregate(tmp_path, plot_metrics=["trust"])
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert summary[["ci_low", "ci_high", "final_ci_low"]].isna().all().all()
    assert len(titles) == 2
    for title in titles:
        assert "no confidence interval" in title and "95% CI" not in title
    assert any("single replicate" in p for p in report.problems)
    assert "no confidence interval" in (tmp_path / "report.md").read_text()


def test_sensitivity_prints_its_assumptions_and_reports_from_its_table(tmp_path, capsys):
    from sim.cli.sensitivity import main

    ranges = parse_ranges(["environment.turbulence=0:0.1", "population.talk=0:0.5"])
    x = make_design(ranges, method="morris", n=10, seed=0)
    write_design(
        x,
        ranges,
        tmp_path / "design",
        method="morris",
        n=10,
        seed=0,
        compare=("regime.responsiveness", ["0", "0.6"]),
    )
    # Two settings per point, paired by seed: the effect is 3 * talk whatever the seed.
    rows = []
    for i, p in x.iterrows():
        for seed in (11, 12):
            base = 0.3 + 0.01 * seed
            for setting, extra in ((0.0, 0.0), (0.6, 3 * p["population.talk"])):
                rows.append(
                    {
                        "design": f"point_{i:05d}",
                        "regime.responsiveness": setting,
                        "seed": seed,
                        "status": "ok",
                        "trust": base + extra,
                        "retention": 1.0,
                    }
                )
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    pd.DataFrame(rows).to_parquet(sweep / "runs.parquet")
    assert (
        main(
            [
                str(tmp_path / "design"),
                str(sweep),
                "--metric",
                "trust",
                "retention",
                "--map",
                "population.talk",
                "environment.turbulence",
                "--bins",
                "2",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "assumed: method: Morris elementary effects" in printed
    assert "assumed: output: the effect of regime.responsiveness = 0.6 instead of 0" in printed
    assert "assumed: replicates per point: 2" in printed
    table = pd.read_csv(sweep / "sensitivity" / "sensitivity_trust.csv").set_index("parameter")
    # Morris effects are per unit of each range: 3 * 0.5 across talk's whole range
    assert table.loc["population.talk", "mu"] == pytest.approx(3 * 0.5, rel=1e-6)
    assert table.loc["environment.turbulence", "mu_star"] == pytest.approx(0, abs=1e-9)
    report = (sweep / "sensitivity" / "report.md").read_text()
    words = "the effect of regime.responsiveness 0 -> 0.6 on trust"
    for line in describe_indices(table.reset_index(), words):
        assert line in report.split("\n## ")[0]
    # retention's effect is 0 everywhere: folded into one line, not an error, no table
    assert (
        "(folded away): the effect of regime.responsiveness = 0.6 instead of 0 on "
        "retention (paired by seed) = 0." in report
    )
    assert not (sweep / "sensitivity" / "sensitivity_retention.csv").exists()
    # the map: per cell, the mean over its points of the paired effect 3 * talk
    cells = pd.read_csv(sweep / "sensitivity" / "map_trust.csv")
    assert cells["n"].sum() == len(x)
    for r in cells.itertuples():
        inside = x[
            (x["population.talk"] >= r.x_lo)
            & (x["population.talk"] <= r.x_hi)
            & ((x["population.talk"] < r.x_hi) | (r.x_hi == 0.5))
            & (x["environment.turbulence"] >= r.y_lo)
            & ((x["environment.turbulence"] < r.y_hi) | (r.y_hi == 0.1))
        ]
        if len(inside):
            assert r.mean == pytest.approx(3 * inside["population.talk"].mean())
    assert (sweep / "sensitivity" / "map_trust.png").is_file()


# --------------------------------------------------------------------------- reports


NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[+-]?\d+)?")


def test_sweep_report_sentences_rederive_from_summary_csv(tmp_path):
    from sim.exec.jobs import run_job
    from sim.studies.aggregate import aggregate

    for num, regime in enumerate(["conversational", "broadcast"]):
        run_job(
            {
                "steps": 6,
                "replicates": 3,
                "org": {"size": 30},
                "regime": {"name": regime},
                "stakeholders": {"count": 5},
            },
            tmp_path / str(num),
            overrides=[f"regime={regime}"],
        )
    aggregate(tmp_path, plots=False)
    summary = pd.read_csv(tmp_path / "summary.csv")
    said, constant = sweep_sentences(summary)
    report = (tmp_path / "report.md").read_text()
    opening = report.split("\n## ")[0]
    assert said and all(s in opening for s in said)
    assert "retention = 1" in opening  # one organization keeps every stakeholder: folded
    assert "| Retention" not in report
    first = said[0]  # e.g. "Trust is highest with regime=X (m, 95% CI lo to hi) and ..."
    metric = next(
        m for m in summary["metric"].unique() if first.startswith(plots.pretty(m) + " is highest")
    )
    rows = summary[summary["metric"] == metric].set_index("condition")
    hi, lo = rows["mean"].idxmax(), rows["mean"].idxmin()
    tail = first.split(" is highest with ")[1].replace(hi, "").replace(lo, "")
    numbers = [float(t) for t in NUMBER.findall(tail.replace("95% CI", ""))]
    expected = [rows.loc[hi, c] for c in ("mean", "ci_low", "ci_high")] + [
        rows.loc[lo, c] for c in ("mean", "ci_low", "ci_high")
    ]
    assert numbers == pytest.approx(expected, rel=5e-3, abs=1e-9)


def _discover_folder(tmp_path):
    ranges = parse_ranges(["environment.turbulence=0:0.1", "org.attention=5:40"])
    x = make_design(ranges, method="lhs", n=200, seed=1)
    effect = np.where(x["org.attention"] > 22, 0.15, 0.02) + 0.01 * np.sin(np.arange(200))
    effects = x.copy()
    effects["effect"], effects["effect_sd"], effects["n"] = effect, 0.01, 3
    effects["a"], effects["b"] = 0.5, 0.5 + effect
    cases = effect > 0.1
    effects["case"] = cases
    found = find_box(x, cases)
    effects["in_box"] = found.inside
    effects.to_csv(tmp_path / "effects.csv", index=False)
    found.trajectory.to_csv(tmp_path / "trajectory.csv", index=False)
    found.limits.to_csv(tmp_path / "box.csv", index=False)
    info = {
        "compare": {"key": "regime.responsiveness", "values": ["0", "0.6"]},
        "outcome": "trust",
        "lower_is_better": False,
        "threshold": 0.1,
        "ranges": {k: [lo, hi] for k, (lo, hi, _) in ranges.items()},
        "replicates": 3,
        "window": [101, 150],
        "min_coverage": 0.8,
        "bins": 3,
        "map": ["org.attention", "environment.turbulence"],
        "assumptions": ["x"],
        "box": {
            "chosen": found.chosen,
            "coverage": found.coverage,
            "density": found.density,
            "mass": found.mass,
            "cases": found.cases,
            "points": found.points,
            "dropped": found.dropped,
            "bounds": found.bounds,
        },
        # a second box as discover.json keeps it (its limits and statistics)
        "more_boxes": [
            {
                "limits": [
                    {"parameter": "environment.turbulence", "min": 0.0, "max": 0.02, "qp": 0.01}
                ],
                "coverage": 0.05,
                "density": 0.5,
                "mass": 0.01,
                "dropped": [],
            }
        ],
    }
    (tmp_path / "discover.json").write_text(json.dumps(info))
    return found, effects, info, ranges


def test_discover_report_rederives_its_sentences_from_its_tables(tmp_path):
    found, effects, info, ranges = _discover_folder(tmp_path)
    write_discover_report(tmp_path, elapsed=1.25)
    text = (tmp_path / "report.md").read_text()
    for name in ("box.png", "tradeoff.png", "map.png"):
        assert (tmp_path / "plots" / name).is_file()
    head = box_sentence(
        found, ranges, "regime.responsiveness", ["0", "0.6"], "trust", threshold=0.1
    )
    assert text.splitlines()[2] == head[0].upper() + head[1:]
    assert head == (
        "responsiveness 0.6 instead of 0 raises trust by more than 0.1 when "
        "organization attention > "
        f"{found.limits['min'][0]:.3g} (coverage {found.coverage:.2f}, density "
        f"{found.density:.2f})."
    )
    for line in overview_sentences(
        pd.read_csv(tmp_path / "effects.csv"),
        effects["case"].to_numpy(),
        "regime.responsiveness",
        ["0", "0.6"],
        "trust",
        lower_is_better=False,
        threshold=0.1,
        replicates=3,
        window=(101, 150),
        found=found,
    ):
        assert line in text
    assert "Run and written in 1.2 s." in text or "Run and written in 1.3 s." in text
    assert (
        "Box 2, among the conditions the earlier boxes left: responsiveness 0.6 instead of "
        "0 raises trust by more than 0.1 when turbulence < 0.02 (coverage 0.05, density "
        "0.50)."
    ) in text


def _sections(text: str) -> dict[str, str]:
    """Each ``## `` heading of a markdown text with the text under it."""
    parts = text.split("\n## ")[1:]
    return {p.split("\n", 1)[0]: p.split("\n", 1)[1] if "\n" in p else "" for p in parts}


def test_discover_without_a_box_suggests_a_threshold_and_writes_no_empty_section(tmp_path):
    from sim.studies.discover import suggest_thresholds

    found, effects, info, ranges = _discover_folder(tmp_path)
    # Every condition a case (the threshold 0 of discover's own example): PRIM has nothing.
    effects["case"], effects["in_box"] = True, False
    effects.to_csv(tmp_path / "effects.csv", index=False)
    info = json.loads((tmp_path / "discover.json").read_text())
    info.pop("box"), info.pop("more_boxes")
    info["threshold"] = 0.0
    info["no_box"] = "every point is a case of interest (200 of 200): PRIM needs both"
    (tmp_path / "discover.json").write_text(json.dumps(info))
    for stale in ("box.csv", "trajectory.csv"):
        (tmp_path / stale).unlink()
    write_discover_report(tmp_path, plots=False)
    text = (tmp_path / "report.md").read_text()
    offers = suggest_thresholds(effects["effect"].to_numpy())
    assert offers and all(o in text for o in offers)
    mean = effects["effect"].mean()
    assert f"--threshold {float(f'{mean:.3g}'):g} (the mean: " in text
    # each offered threshold splits the conditions as it says
    for offer in offers:
        value, n = float(offer.split()[1]), int(offer.split(": ")[1].split(" of ")[0])
        assert (effects["effect"] > value).sum() == n
    sections = _sections(text)
    assert "The box and the trade-off" not in sections
    assert all(body.strip() for body in sections.values()), "an empty section"
    assert "plots/box.png" not in text


def test_nine_conditions_plot_has_a_legend_in_regime_order_and_a_real_title(monkeypatch):
    figures = []
    monkeypatch.setattr(plots, "save_figure", lambda fig, path, **kw: figures.append(fig))
    rows = []
    for regime in ("conversational", "hybrid", "broadcast"):
        for openness in (0.0, 0.5, 1.0):
            m = {"broadcast": 0.4, "hybrid": 0.5, "conversational": 0.6}[regime] + openness / 10
            rows.append(
                {
                    "regime": regime,
                    "openness.internal": openness,
                    "condition": f"regime={regime}, openness.internal={openness}",
                    "metric": "trust",
                    "mean": m,
                    "ci_low": m - 0.02,
                    "ci_high": m + 0.02,
                }
            )
    plots.plot_final_values(
        pd.DataFrame(rows),
        ["trust"],
        "unused.png",
        title="End-of-run values by regime x openness.internal",
    )
    (fig,) = figures
    legend = fig.legends[0]
    labels = [t.get_text() for t in legend.get_texts()]
    assert labels == ["broadcast", "hybrid", "conversational"]
    from matplotlib.colors import to_hex

    colours = [
        to_hex(np.ravel(h.get_color())[:4] if np.ndim(h.get_color()) else h.get_color())
        for h in legend.legend_handles
    ]
    assert colours == [plots.REGIME_COLOURS[r] for r in labels]
    assert fig._suptitle.get_text().startswith("End-of-run values by regime")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "openness.internal"  # the numeric key is the axis: no label soup


def test_one_palette_and_order_for_every_regime():
    labels = ["regime=conversational", "regime=broadcast", "regime=hybrid"]
    assert plots.order_conditions(labels) == [
        "regime=broadcast",
        "regime=hybrid",
        "regime=conversational",
    ]
    styles = plots.condition_styles(labels)
    assert {lab: st["color"] for lab, st in styles.items()} == {
        f"regime={r}": c for r, c in plots.REGIME_COLOURS.items()
    }
    assert len(set(plots.REGIME_COLOURS.values())) == 3


def test_paired_runs_share_seeds_so_an_inert_setting_has_exactly_zero_effect(tmp_path):
    from sim.studies.paired import pair_table, plan_paired, run_paired, window_means

    # With one organization nobody can switch to another: switching changes nothing, so
    # pairs that share their seed must agree to the last bit, metric by metric.
    pts = pd.DataFrame({"population.attention": [5, 20]})
    plan = plan_paired(
        pts,
        ("stakeholders.switching", ["0", "0.5"]),
        ["steps=6", "replicates=2", "org.size=20", "stakeholders.count=4"],
    )
    run_paired(plan, tmp_path, workers=1)
    pairs = pair_table(plan, tmp_path)
    assert len(pairs) == 2 * 2 * pairs["metric"].nunique()
    assert np.nanmax(np.abs(pairs["diff"].to_numpy())) == 0.0
    # a and b are each replicate's mean over the end window (steps 5-6), read back naively
    frame = pd.read_parquet(tmp_path / "runs" / "point_00001" / "b" / "metrics.parquet")
    ref = frame[frame["step"].between(5, 6)].groupby("seed")["trust"].mean()
    got = pairs[(pairs["point"] == 1) & (pairs["metric"] == "trust")].set_index("seed")["b"]
    assert got.sort_index().to_numpy() == pytest.approx(ref.sort_index().to_numpy())
    means = window_means(frame, ["trust"]).set_index("seed")["trust"].sort_index()
    assert means.to_numpy() == pytest.approx(ref.sort_index().to_numpy())


@pytest.mark.parametrize(
    ("k", "match"),
    [
        (0, "no point is a case"),
        (40, "every point"),
        (2, "only 2 cases of interest"),
        (38, "only 2 points that are not cases"),
    ],
)
def test_prim_refuses_what_it_cannot_separate(k, match):
    rng = np.random.default_rng(0)
    x = pd.DataFrame({"a": rng.random(40), "b": rng.random(40)})
    y = np.arange(40) < k
    with pytest.raises(ValueError, match=match):
        find_box(x, y)


def test_prim_finds_a_second_planted_box_among_the_points_the_first_left():
    from sim.studies.discover import find_boxes

    ranges = parse_ranges(["environment.turbulence=0:0.1", "org.attention=5:40"])
    x = make_design(ranges, method="lhs", n=600, seed=4)
    # A wide band and a small box in another corner. (PRIM peels from the edges: boxes that
    # leave no edge free of cases cannot be peeled apart, a known limit of the method.)
    one = x["environment.turbulence"] > 0.06
    two = (x["environment.turbulence"] < 0.02) & (x["org.attention"] > 30)
    cases = (one | two).to_numpy()
    found = find_boxes(x, cases, boxes=3)
    assert len(found) == 2  # a third box would restrict nothing, or find too few cases
    first, second = (b.limits.set_index("parameter") for b in found)
    assert list(first.index) == ["environment.turbulence"]
    assert first.loc["environment.turbulence", "min"] == pytest.approx(0.06, abs=0.005)
    assert second.loc["environment.turbulence", "max"] == pytest.approx(0.02, abs=0.005)
    assert second.loc["org.attention", "min"] == pytest.approx(30, abs=1)
    # coverages are shares of all cases, and the boxes do not share points
    assert not (found[0].inside & found[1].inside).any()
    for b in found:
        assert b.coverage == pytest.approx(cases[b.inside].sum() / cases.sum())
        assert b.density == pytest.approx(cases[b.inside].mean())
    assert found[0].coverage + found[1].coverage > 0.95
    assert conditions(found[1]) == [
        f"turbulence < {second.loc['environment.turbulence', 'max']:.3g}",
        f"organization attention > {second.loc['org.attention', 'min']:.3g}",
    ]


# --------------------------------------------------------------------------- noise


def _noisy_design(tmp_path, noise_sd, replicates=2, seed=0):
    """A 64-base-sample Sobol design over two parameters; the output is 0.3 * mix (a small
    signal, no interaction at all) plus replicate noise of ``noise_sd``."""
    ranges = parse_ranges(["regime.mix=0:1", "openness.internal=0:1"])
    x = make_design(ranges, method="sobol", n=64, seed=0)
    write_design(x, ranges, tmp_path / "design", method="sobol", n=64, seed=0)
    rng = np.random.default_rng(seed)
    rows = [
        {
            "design": f"point_{i:05d}",
            "seed": 100 + r,
            "status": "ok",
            "trust": 0.3 * p["regime.mix"] + noise_sd * rng.standard_normal(),
        }
        for i, p in x.iterrows()
        for r in range(replicates)
    ]
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    pd.DataFrame(rows).to_parquet(sweep / "runs.parquet")
    meta = {
        "method": "sobol",
        "n": 64,
        "points": len(x),
        "ranges": {k: [lo, hi] for k, (lo, hi, _) in ranges.items()},
    }
    return meta, x, pd.DataFrame(rows), sweep


def test_sobol_intervals_are_reproducible_at_seed_zero(tmp_path):
    # SALib's sobol.analyze ignores a falsy seed: the default --seed 0 must still fix them.
    meta, x, runs, _ = _noisy_design(tmp_path, 0.2, replicates=2)
    first, again = (sobol_indices(meta, x, runs, "trust", seed=0) for _ in range(2))
    pd.testing.assert_frame_equal(first, again)
    other = sobol_indices(meta, x, runs, "trust", seed=1)
    assert not np.array_equal(first["S1_conf"], other["S1_conf"])
    assert np.array_equal(first["S1"], other["S1"])  # the seed moves the bootstrap only


def test_noise_share_is_the_planted_noise(tmp_path):
    # Signal variance 0.09 / 12 = 0.0075 over the points; noise 0.2^2 / 2 = 0.02 per mean.
    meta, x, runs, _ = _noisy_design(tmp_path, 0.2, replicates=2)
    noise = noise_share(runs, "trust")
    assert noise["replicates"] == 2
    assert noise["noise_sd"] == pytest.approx(0.2 / math.sqrt(2), rel=0.1)
    assert noise["share"] == pytest.approx(0.02 / (0.02 + 0.0075), abs=0.1)


def test_a_noise_dominated_design_says_so_and_claims_nothing(tmp_path, capsys):
    from sim.cli.sensitivity import main

    meta, x, runs, sweep = _noisy_design(tmp_path, 0.5, replicates=2)
    table = with_noise(sobol_indices(meta, x, runs, "trust"), noise_share(runs, "trust"))
    assert table["noise_share"].iloc[0] > 0.5
    assert not table["ST_clear"].any()  # every ST is within the noise level
    lines = describe_indices(table, "trust")
    text = " ".join(lines)
    assert "Noise dominates" in text and "replicates per point would bring it near 10%" in text
    assert "Clear interactions" not in text
    assert "openness.internal" in text.split("Not distinguishable from noise:")[1]
    assert main([str(tmp_path / "design"), str(sweep), "--metric", "trust"]) == 0
    report = (sweep / "sensitivity" / "report.md").read_text()
    assert "Noise dominates" in report and "Not distinguishable from noise" in report
    saved = pd.read_csv(sweep / "sensitivity" / "sensitivity_trust.csv")
    assert {"noise_share", "replicates", "S1_clear", "ST_clear"} <= set(saved.columns)


def test_a_noise_free_design_is_told_as_before(tmp_path):
    meta, x, runs, _ = _noisy_design(tmp_path, 0.0, replicates=2)
    table = with_noise(sobol_indices(meta, x, runs, "trust"), noise_share(runs, "trust"))
    assert table["noise_share"].iloc[0] == 0
    lines = describe_indices(table, "trust")
    assert (
        lines[0] == "Replicate noise is 0% of the variance of the point outputs (2 "
        "replicates per point)."
    )
    assert lines[1].startswith("regime.mix matters most for trust")
    assert table.set_index("parameter").loc["regime.mix", ["S1_clear", "ST_clear"]].all()


def test_one_replicate_cannot_measure_noise(tmp_path):
    meta, x, runs, _ = _noisy_design(tmp_path, 0.1, replicates=1)
    table = with_noise(sobol_indices(meta, x, runs, "trust"), noise_share(runs, "trust"))
    assert "cannot be measured" in describe_indices(table, "trust")[0]


def _summary(rows):
    """A summary.csv of two conditions from metric -> (mean a, mean b, half-width)."""
    out = []
    for metric, (a, b, half) in rows.items():
        for cond, m in (("x=1", a), ("x=2", b)):
            out.append(
                {
                    "x": int(cond[-1]),
                    "condition": cond,
                    "metric": metric,
                    "mean": m,
                    "sd": half,
                    "ci_low": m - half,
                    "ci_high": m + half,
                    "n": 4,
                    "final_mean": 10 * m,
                    "final_ci_low": 10 * (m - half),
                    "final_ci_high": 10 * (m + half),
                }
            )
    return pd.DataFrame(out)


def test_sweep_report_tells_the_largest_clear_differences_first_and_counts_the_rest():
    from sim.studies.sweep_report import MAX_SENTENCES

    small = {
        m: (0.50, 0.52, 0.005)
        for m in (
            "trust",
            "engagement",
            "knowledge_code",
            "stakeholder_satisfaction",
            "retention",
            "knowledge_individuals",
            "voice_answered",
            "silo_ei",
            "overload",
            "filtered",
        )
    }
    rows = {**small, "gini_access": (0.2, 0.6, 0.01), "diversity": (0.3, 0.31, 0.05)}
    said, _ = sweep_sentences(_summary(rows))
    assert said[0].startswith(plots.pretty("gini_access") + " is highest with x=2")
    assert len(said) == MAX_SENTENCES + 1
    assert said[-1] == (
        "And 3 more clear differences and 1 more metric without one (see the table)."
    )


def test_sweep_report_tells_cumulative_counts_at_the_last_step():
    said, _ = sweep_sentences(_summary({"innovations": (2.0, 4.0, 0.1)}))
    # the window average would say 4; the last step (final_mean) says 40
    assert "(40, 95% CI 39 to 41)" in said[0]
