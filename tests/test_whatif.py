"""What-if runs and reports: the numbers in report.md are those of the table it was built from."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.config import ConfigError
from sim.rules.catalogue import record
from sim.scenarios.report import (
    MAX_SENTENCES,
    constant_rows,
    findings,
    sentence,
    write_whatif_report,
)
from sim.scenarios.whatif import aggregate_whatif, plan_whatif, run_whatif
from sim.util.stats import mean_ci

ROOT = Path(__file__).resolve().parent.parent
TINY = ["org.size=40", "stakeholders.count=8", "openness.internal=0.0"]


@pytest.fixture(scope="module")
def whatif(tmp_path_factory):
    """A what-if of open_channels in default, 4 replicates x 16 steps, the change at step 8."""
    out = tmp_path_factory.mktemp("whatif")
    plan = plan_whatif("default", "open_channels", TINY, replicates=4, steps=16, at=8)
    summaries = run_whatif(plan, out, workers=1)
    assert all(s["status"] == "ok" for s in summaries.values())
    aggregate_whatif(out, window=4)
    write_whatif_report(out)
    return out


def _runs(out):
    return {
        arm: pd.read_parquet(out / "runs" / arm / "metrics.parquet")
        for arm in ("baseline", "intervention")
    }


def test_the_report_folder(whatif):
    for name in (
        "report.md",
        "differences.csv",
        "timeseries_summary.csv",
        "timeseries.parquet",
        "whatif.json",
        "plots/headline.png",
        "plots/over_time.png",
        "plots/end_values.png",
        "runs/baseline/summary.json",
        "runs/intervention/summary.json",
    ):
        assert (whatif / name).is_file(), name
    plan = json.loads((whatif / "whatif.json").read_text())
    assert plan["at"] == 8 and plan["scenario"]["name"] == "default"
    assert plan["intervention"]["changes"] == [{"at": 8, "set": {"openness.internal": 0.9}}]


def test_arms_share_seeds_and_are_identical_before_the_intervention(whatif):
    runs = _runs(whatif)
    base, treated = runs["baseline"], runs["intervention"]
    assert base["seed"].tolist() == treated["seed"].tolist()
    assert base[base["step"] < 8].equals(treated[treated["step"] < 8])
    assert not base[base["step"] >= 8].equals(treated[treated["step"] >= 8])


def test_differences_table_matches_a_naive_recomputation_from_the_runs(whatif):
    runs = _runs(whatif)
    table = pd.read_csv(whatif / "differences.csv").set_index("metric")
    assert (table["window"] == 4).all() and (table["end_from"] == 13).all()
    assert (table["before_from"] == 4).all() and (table["before_step"] == 7).all()
    for metric, row in table.iterrows():
        ends, befores = {}, []
        for arm, frame in runs.items():
            ends[arm] = []
            for _, rep in frame.groupby("replicate"):
                # cumulative counts are read at the window's last step, the rest averaged
                cumulative = record(metric).kind == "cumulative"
                end = rep.loc[rep["step"].between(16 if cumulative else 13, 16), metric]
                ends[arm].append(np.nanmean(end))
                if arm == "baseline":
                    before = rep.loc[rep["step"].between(7 if cumulative else 4, 7), metric]
                    befores.append(np.nanmean(before))
        # paired by seed: replicate i is the same organization in both arms
        d = mean_ci(np.subtract(ends["intervention"], ends["baseline"]))
        d = {"diff": d["mean"], "ci_low": d["ci_low"], "ci_high": d["ci_high"]}
        b = mean_ci(ends["baseline"])
        lo, hi = record(metric).range  # the arm's interval is cut to the metric's range
        b["ci_low"] = max(b["ci_low"], lo) if lo is not None else b["ci_low"]
        if lo is not None and hi is not None:  # and the difference's to [lo - hi, hi - lo]
            d["ci_low"], d["ci_high"] = max(d["ci_low"], lo - hi), min(d["ci_high"], hi - lo)
        expected = [
            mean_ci(befores)["mean"],
            b["mean"],
            b["ci_low"],
            d["diff"],
            d["ci_low"],
            d["ci_high"],
        ]
        got = row[
            [
                "before_mean",
                "baseline_mean",
                "baseline_ci_low",
                "diff",
                "diff_ci_low",
                "diff_ci_high",
            ]
        ].to_numpy(dtype=float)
        assert got == pytest.approx(expected, nan_ok=True, abs=1e-12), metric


NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def _close(text: str, value: float) -> bool:
    """A printed number matches a value within the rounding its decimals imply."""
    decimals = len(text.split(".")[1]) if "." in text else 0
    return abs(float(text) - value) <= 0.5 * 10**-decimals + 1e-9


def test_report_table_numbers_are_the_differences_table(whatif):
    table = pd.read_csv(whatif / "differences.csv")
    flat = constant_rows(table)
    table = table[~table["metric"].isin(list(flat))].reset_index(drop=True)
    report = (whatif / "report.md").read_text()
    rows = [line for line in report.splitlines() if line.startswith("| ") and "---" not in line]
    body = rows[1:]
    assert len(body) == len(table)
    columns = [
        "before_mean",
        "baseline_mean",
        "baseline_ci_low",
        "baseline_ci_high",
        "intervention_mean",
        "intervention_ci_low",
        "intervention_ci_high",
        "diff",
        "diff_ci_low",
        "diff_ci_high",
    ]
    for line, (_, row) in zip(body, table.iterrows()):
        cells = line.strip("|").split("|")[1:]
        numbers = [n for cell in cells for n in NUMBER.findall(cell.replace("n/a", ""))]
        values = [row[c] for c in columns if not np.isnan(row[c])]
        assert len(numbers) == len(values), line
        for text, value in zip(numbers, values):
            assert _close(text, value), (row["metric"], text, value)
        bold = "**" in cells[-1]
        assert bold == (row["diff_ci_low"] > 0 or row["diff_ci_high"] < 0)


def test_report_sentences_are_the_differences_table(whatif):
    table = pd.read_csv(whatif / "differences.csv").set_index("metric")
    report = (whatif / "report.md").read_text()
    # The report opens with the sentences, before any heading.
    section = report.split("\n## ")[0]
    bullets = [b[2:] for b in section.splitlines() if b.startswith("- ")]
    assert bullets
    clear = table[(table["diff_ci_low"] > 0) | (table["diff_ci_high"] < 0)]
    # Opening cross-unit channels must show up as narrower silos, in the strategist's words.
    assert "silo_ei" in clear.index
    silo = next(b for b in bullets if b.startswith("Silos narrow"))
    row = table.loc["silo_ei"]
    share_b, share_t = (
        100 * (row["baseline_mean"] + 1) / 2,
        100 * (row["intervention_mean"] + 1) / 2,
    )
    found = NUMBER.findall(silo.split("(")[0])
    assert _close(found[0], share_b) and _close(found[1], share_t)
    rise = NUMBER.findall(silo.split("(")[1].split("95% CI")[0])[0]
    low, high = NUMBER.findall(silo.split("95% CI")[1])[:2]
    assert _close(rise, 50 * row["diff"])
    assert _close(low, 50 * row["diff_ci_low"]) and _close(high, 50 * row["diff_ci_high"])
    told = [m for m in clear.index if sentence(m, clear.loc[m].to_dict()) in bullets]
    # every clear difference is told, or counted in the last line
    more = len(clear) - len(told)
    assert len(told) == min(len(clear), MAX_SENTENCES)
    assert (f"And {more} more clear difference" in bullets[-1]) == (more > 0)
    for metric, row in clear.loc[told].iterrows():
        if metric == "silo_ei":
            continue
        said = sentence(metric, row.to_dict())
        scale = 100 if record(metric).kind == "share" else 1
        mag, low, high = (
            NUMBER.findall(said.split("(95% CI")[0])[-1:]
            + NUMBER.findall(said.split("(95% CI")[1])[:2]
        )
        assert _close(mag, scale * abs(row["diff"]))
        lo, hi = sorted([scale * abs(row["diff_ci_low"]), scale * abs(row["diff_ci_high"])])
        assert _close(low, lo) and _close(high, hi)


def test_report_states_the_assumptions(whatif):
    report = (whatif / "report.md").read_text()
    plan = json.loads((whatif / "whatif.json").read_text())
    assert plan["scenario"]["description"] in report
    assert plan["intervention"]["description"] in report
    assert "40 people" in report and "8 stakeholders" in report
    assert "`openness.internal` = `0.9`" in report


def test_report_rewrites_identically_from_the_saved_tables(whatif):
    first = (whatif / "report.md").read_text()
    write_whatif_report(whatif, plots=False)
    assert (whatif / "report.md").read_text() == first


def test_parallel_workers_give_the_serial_rows(whatif, tmp_path):
    plan = plan_whatif("default", "open_channels", TINY, replicates=2, steps=16, at=8)
    run_whatif(plan, tmp_path, workers=2)
    serial = _runs(whatif)
    for arm, frame in _runs(tmp_path).items():
        assert frame.equals(serial[arm][serial[arm]["replicate"] < 2])


def test_a_finished_whatif_resumes_without_running(whatif):
    plan = plan_whatif("default", "open_channels", TINY, replicates=4, steps=16, at=8)
    before = {
        a: (whatif / "runs" / a / "summary.json").stat().st_mtime_ns
        for a in ("baseline", "intervention")
    }
    run_whatif(plan, whatif, workers=1)
    after = {
        a: (whatif / "runs" / a / "summary.json").stat().st_mtime_ns
        for a in ("baseline", "intervention")
    }
    assert before == after


@pytest.mark.parametrize(
    "args,match",
    [
        (("nowhere", "open_channels"), r"scenario='nowhere' is unknown"),
        (("default", "nothing"), r"intervention='nothing' is unknown"),
        (("march1991", "open_channels"), r"at step 150 but the run has 100 steps: pass at=N"),
    ],
)
def test_bad_plans_fail_before_running(args, match):
    with pytest.raises(ConfigError, match=match):
        plan_whatif(*args)


@pytest.mark.slow
def test_whatif_script_end_to_end(tmp_path):
    out = tmp_path / "r"
    cmd = [
        sys.executable,
        str(ROOT / "experiments" / "whatif.py"),
        "scenario=flatter_is_not_free",
        "intervention=flatten",
        "replicates=2",
        "steps=10",
        "at=5",
        "org.size=60",
        "workers=1",
        f"out={out}",
        "--no-progress",
        "--no-plots",
    ]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = (out / "report.md").read_text()
    assert report.startswith("# What if: flatten in flatter_is_not_free")
    assert (out / "differences.csv").is_file() and not (out / "plots").exists()
    bad = subprocess.run(
        [*cmd[:2], "scenario=default"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert bad.returncode == 2 and "intervention=NAME is required" in bad.stderr


def test_constant_metrics_are_folded_into_one_line(whatif):
    table = pd.read_csv(whatif / "differences.csv")
    flat = constant_rows(table)
    # One organization keeps every stakeholder: retention is 1 in every run of both arms.
    assert flat.get("retention") == 1.0
    report = (whatif / "report.md").read_text()
    opening = report.split("\n## ")[0]
    assert "folded away" in opening and "retention = 1" in opening
    table_lines = [line for line in report.splitlines() if line.startswith("| Retention")]
    assert not table_lines


def _differences(rows):
    """A differences table (the columns findings() reads) from metric -> (diff, half-width)."""
    out = []
    for metric, (diff, half) in rows.items():
        out.append(
            {
                "metric": metric,
                "diff": diff,
                "diff_ci_low": diff - half,
                "diff_ci_high": diff + half,
                "baseline_mean": 0.5,
                "baseline_ci_low": 0.4,
                "baseline_ci_high": 0.6,
                "intervention_mean": 0.5 + diff,
                "intervention_ci_low": 0.4 + diff,
                "intervention_ci_high": 0.6 + diff,
                "before_mean": 0.5,
            }
        )
    return pd.DataFrame(out)


def test_a_large_loss_reaches_the_summary_whatever_its_rank():
    # Ten small clear gains in the headline metrics, and one large clear loss in a metric the
    # headline order puts last: ranked by size, the loss is told first; the cut is counted.
    gains = [
        "engagement",
        "trust",
        "knowledge_code",
        "stakeholder_satisfaction",
        "innovations_net",
        "voice_answered",
        "overload",
        "innovations_bottom_up",
        "gini_value",
        "retention",
    ]
    rows = {m: (0.02, 0.015) for m in gains}
    rows["knowledge_individuals"] = (-0.093, 0.028)
    said, unclear = findings(_differences(rows))
    loss = sentence("knowledge_individuals", _differences(rows).iloc[-1].to_dict())
    assert said[0] == loss and "lower" in loss
    assert len(said) == MAX_SENTENCES + 1
    assert said[-1].startswith(
        f"And {len(rows) - MAX_SENTENCES} more clear differences (see the table): "
    )
    assert said[-1].count(" higher") == len(rows) - MAX_SENTENCES  # the cut ones, named
    assert unclear == []


def test_every_clear_difference_is_told_or_named_with_its_direction():
    import sim.scenarios.report as report

    rows = {
        m: (0.3, 0.01)
        for m in (
            "engagement",
            "trust",
            "knowledge_code",
            "reach",
            "overload",
            "filtered",
            "diversity",
            "gini_access",
            "voice_answered",
            "cocreation",
        )
    }
    rows["knowledge_individuals"] = (-0.05, 0.02)  # the smallest: cut, but named as a loss
    said, _ = findings(_differences(rows))
    assert "members' knowledge lower" in said[-1]
    assert len(said) == report.MAX_SENTENCES + 1


def test_unclear_differences_are_listed_not_told():
    said, unclear = findings(_differences({"trust": (0.01, 0.05), "engagement": (0.2, 0.05)}))
    assert len(said) == 1 and said[0].startswith("Engagement ends")
    assert unclear == ["trust"]


def test_the_apps_difference_band_is_paired_and_empty_before_the_change(whatif):
    from sim.lab.whatif import difference_over_time

    series = pd.read_parquet(whatif / "timeseries.parquet")
    d = difference_over_time(series, "engagement").set_index("step")
    # the same seeds: the same organization until step 8, so no band at all
    assert (d.loc[:7, ["diff", "ci_low", "ci_high"]] == 0).all().all()
    last = series[series["step"] == 16].pivot(index="replicate", columns="arm", values="engagement")
    naive = mean_ci(last["intervention"] - last["baseline"])
    assert d.loc[16, ["diff", "ci_low", "ci_high"]].tolist() == pytest.approx(
        [naive["mean"], naive["ci_low"], naive["ci_high"]]
    )


def test_the_apps_whatif_tab_tells_a_planted_loss_first(whatif, tmp_path, monkeypatch):
    """The app's What-if tab, from the differences table to the page: a large loss in a metric
    the headline order puts last is told first, and the cut is counted (issue 24: "Same in the
    app"). The runs are the fixture's; the table is planted."""
    import shutil
    import warnings

    import solara
    from solara.widgets import HTML

    import sim.lab.whatif as lab
    from sim.lab.views import WhatIfResultView

    gains = [
        "engagement",
        "trust",
        "knowledge_code",
        "stakeholder_satisfaction",
        "innovations_net",
        "voice_answered",
        "overload",
        "innovations_bottom_up",
        "gini_value",
        "retention",
    ]
    rows = {m: (0.02, 0.015) for m in gains}
    rows["knowledge_individuals"] = (-0.093, 0.028)
    table = _differences(rows).assign(n_baseline=4, n_intervention=4)
    shutil.copy(whatif / "timeseries.parquet", tmp_path / "timeseries.parquet")
    monkeypatch.setattr(lab, "run_whatif", lambda *args, **kwargs: {})
    monkeypatch.setattr(lab, "aggregate_whatif", lambda folder, **kwargs: table)
    result = lab.run_request(
        lab.WhatIfRequest("default", "open_channels", at=8, steps=16, replicates=4), out=tmp_path
    )
    loss = sentence("knowledge_individuals", table.iloc[-1].to_dict())
    assert result.sentences[0] == loss and "lower" in loss
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*could not get source code")
        _, rc = solara.render(WhatIfResultView(result), handle_error=False)
    page = re.sub(r"<[^>]+>", "", " ".join(w.unsafe_innerHTML for w in rc.find(HTML).widgets))
    page = page.replace("&#x27;", "'").replace("&#39;", "'")
    # the loss first on the page, before every gain
    first_gain = result.sentences[1]
    assert "higher" in first_gain
    assert page.index(loss.split(" (")[0]) < page.index(first_gain.split(" (")[0])
    assert f"And {len(rows) - MAX_SENTENCES} more clear differences (see the table)" in page


def test_a_share_difference_interval_stays_in_minus_one_to_one(tmp_path):
    """Three seeds whose reach moves by +0.98, -0.98, +0.98: the t interval of the difference
    is about [-2.5, 3.1], but a difference of shares lies in [-1, 1] (issue 24)."""
    (tmp_path / "whatif.json").write_text(json.dumps({"at": 5}))
    for arm, sign in (("baseline", -1), ("intervention", 1)):
        rows = [
            {
                "replicate": r,
                "seed": 10 + r,
                "step": t,
                "reach": 0.5 + (sign * 0.49 * (1 if r != 1 else -1) if t >= 5 else 0.0),
            }
            for r in range(3)
            for t in range(10)
        ]
        (tmp_path / "runs" / arm).mkdir(parents=True)
        pd.DataFrame(rows).to_parquet(tmp_path / "runs" / arm / "metrics.parquet")
    row = aggregate_whatif(tmp_path, window=3).set_index("metric").loc["reach"]
    assert row["diff"] == pytest.approx(0.98 / 3)
    assert (row["diff_ci_low"], row["diff_ci_high"]) == (-1.0, 1.0)
    assert 0.0 <= row["baseline_ci_low"] and row["intervention_ci_high"] <= 1.0


def test_the_apps_difference_band_stays_in_minus_one_to_one():
    """The app's difference over time of a share: three seeds at +0.98, -0.98, +0.98 after the
    change give a t band of about [-2.5, 3.1]; a difference of shares lies in [-1, 1]."""
    from sim.lab.whatif import difference_over_time

    rows = [
        {
            "arm": arm,
            "replicate": r,
            "step": t,
            "reach": 0.5 + (sign * 0.49 * (1 if r != 1 else -1) if t >= 2 else 0.0),
        }
        for arm, sign in (("baseline", -1), ("intervention", 1))
        for r in range(3)
        for t in range(4)
    ]
    d = difference_over_time(pd.DataFrame(rows), "reach").set_index("step")
    assert (d.loc[:1, ["diff", "ci_low", "ci_high"]] == 0).all().all()
    assert d.loc[3, "diff"] == pytest.approx(0.98 / 3)
    assert (d.loc[3, "ci_low"], d.loc[3, "ci_high"]) == (-1.0, 1.0)
