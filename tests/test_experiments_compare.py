"""The main job, experiments/compare.py, on a tiny organization."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.config import load_config
from sim.util.stats import diff_ci
from sim.viz.plots import pretty

ROOT = Path(__file__).resolve().parent.parent
TINY = ["steps=10", "org.size=30", "stakeholders.count=6"]


def compare(out, *extra):
    return subprocess.run(
        [sys.executable, str(ROOT / "experiments" / "compare.py"), "--out", str(out),
         "--replicates", "3", "--no-progress", *extra, *TINY],
        cwd=ROOT, capture_output=True, text=True, timeout=240,
    )


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare") / "report"
    proc = compare(out)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def test_report_folder(report):
    for name in ("report.md", "plots/headline.png", "plots/over_time.png",
                 "plots/final_values.png", "runs.parquet", "summary.csv", "timeseries.parquet"):
        assert (report / name).is_file(), name
    for regime in ("broadcast", "hybrid", "conversational"):
        summary = json.loads((report / "runs" / regime / "summary.json").read_text())
        assert summary["status"] == "ok" and summary["config"]["replicates"] == 3


def test_jobs_equal_simulate(report):
    for regime in ("broadcast", "conversational"):
        cfg = load_config([f"regime={regime}", "replicates=3", "seed=0", *TINY])
        pd.testing.assert_frame_equal(
            pd.read_parquet(report / "runs" / regime / "metrics.parquet"),
            sim.simulate(cfg).metrics,
        )


def test_table_numbers(report):
    text = (report / "report.md").read_text()
    assert "| metric | broadcast | hybrid | conversational | conversational − broadcast |" in text
    summary = pd.read_csv(report / "summary.csv")
    runs = pd.read_parquet(report / "runs.parquet")
    rows = {line.split(" | ")[0].strip("| "): line for line in text.splitlines()
            if line.startswith("| ")}
    for metric in summary["metric"].unique():
        line = rows[pretty(metric)]
        cells = [c.strip().strip("*") for c in line.strip("|").split("|")]
        s = summary[(summary["metric"] == metric) & (summary["regime"] == "hybrid")].iloc[0]
        assert cells[2] == f"{s['mean']:.3g} [{s['ci_low']:.3g}, {s['ci_high']:.3g}]"
        ok = runs[runs["status"] == "ok"]
        d = diff_ci(ok[ok["regime"] == "conversational"][metric],
                    ok[ok["regime"] == "broadcast"][metric])
        if not pd.isna(d["ci_low"]):
            assert cells[4] == f"{d['diff']:.3g} [{d['ci_low']:.3g}, {d['ci_high']:.3g}]"


def test_rerun_resumes_and_other_settings_are_refused(report):
    before = {r: (report / "runs" / r / "summary.json").stat().st_mtime_ns
              for r in ("broadcast", "hybrid", "conversational")}
    again = compare(report)
    assert again.returncode == 0, again.stderr
    for r, t in before.items():
        assert (report / "runs" / r / "summary.json").stat().st_mtime_ns == t
    other = compare(report, "--seed", "1")
    assert other.returncode == 2 and "refusing to overwrite" in other.stderr
