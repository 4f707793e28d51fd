"""The metric catalogue: one record per metric, and everything that names a metric reads it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.config import load_config, to_config
from sim.march import is_march, run_batch
from sim.rules import catalogue, metrics
from sim.rules.catalogue import CATALOGUE, KINDS, Metric, headline, leading, march_metrics


def test_every_metric_has_a_record_and_every_record_a_metric():
    assert set(metrics.METRICS) - set(CATALOGUE) == set(), "metrics without a record"
    assert set(CATALOGUE) - set(metrics.METRICS) == set(), "records without a metric"


def test_records_are_well_formed():
    ranks = [r.rank for r in CATALOGUE.values() if r.rank is not None]
    assert len(ranks) == len(set(ranks)), "two metrics share a headline rank"
    for r in CATALOGUE.values():
        assert r.kind in KINDS
        assert r.label and r.short and len(r.short) <= 32, r.name
        if r.kind == "share":
            assert r.range == (0.0, 1.0), r.name
        if r.kind == "count":
            assert r.range[0] == 0.0 and r.unit == "per step", r.name
            assert r.short.endswith("per step"), r.name  # a rate, and its label says so
    # short labels name one metric each: a legend never shows the same words twice
    shorts = [r.short for r in CATALOGUE.values()]
    assert len(shorts) == len(set(shorts))


def test_bad_records_are_refused():
    with pytest.raises(ValueError, match="kind 'rate'"):
        Metric("x", "X", "X", kind="rate")
    with pytest.raises(ValueError, match="empty"):
        Metric("x", "X", "X", range=(1.0, 0.0))


def test_the_compare_headline_is_the_catalogue_headline():
    from sim.studies.compare import HEADLINE

    assert HEADLINE == leading() == headline()[: catalogue.HEADLINE_SIZE]
    assert HEADLINE == (
        "knowledge_code",
        "knowledge_individuals",
        "engagement",
        "trust",
        "stakeholder_satisfaction",
        "adaptation_lag",
    )


def test_march_flags_are_what_the_march_kernel_defines():
    # Turbulence (March's p4) so that flipped dimensions are re-learned: adaptation_lag is
    # defined only then.
    cfg = to_config(
        load_config(["scenario=march1991", "steps=40", "org.size=20", "environment.turbulence=0.2"])
    )
    assert is_march(cfg)
    frame = run_batch(cfg, [1, 2])
    defined = {m for m in metrics.METRIC_NAMES if frame[m].notna().any()}
    assert defined == set(march_metrics())


# --------------------------------------------------------------- adding a metric is one record


NEW = "half_engaged"


@pytest.fixture
def new_metric(monkeypatch):
    """A metric added as a test would add it: one record plus its function, nothing else."""
    record = Metric(
        NEW,
        "The share of members more than half engaged",
        "Half engaged",
        "share",
        (0.0, 1.0),
        "share",
        rank=0,
    )
    monkeypatch.setitem(CATALOGUE, NEW, record)
    monkeypatch.setitem(metrics.METRICS, NEW, lambda s: float(np.mean(s.model.engagement > 0.5)))
    return record


def test_a_new_metric_is_measured_and_labelled_in_the_app(new_metric):
    from sim.model import AgoraModel
    from sim.viz.drawing import MetricsPlot, pretty_metric

    model = AgoraModel({"org": {"size": 30}, "stakeholders": {"count": 4}}, seed=1)
    model.run(3)
    frame = model.metrics_frame()
    assert frame[NEW].between(0, 1).all()
    plot = MetricsPlot([NEW, "trust"], ncols=2)  # the app's panels
    plot.update([frame])
    titles = [ax.get_title(loc="left") for ax in plot.axes.values()]
    assert (
        any(t.startswith("Half engaged") for t in titles) and pretty_metric(NEW) == "Half engaged"
    )


def _titles(fig) -> list[str]:
    return [t for ax in fig.axes for t in (ax.get_title(), ax.get_title(loc="left")) if t]


def test_a_new_metric_reaches_the_whatif_report_and_its_plots(new_metric, tmp_path, monkeypatch):
    import sim.scenarios.report as report
    from sim.scenarios.whatif import aggregate_whatif, plan_whatif, run_whatif

    plan = plan_whatif(
        "default",
        "open_channels",
        ["org.size=30", "stakeholders.count=4"],
        replicates=2,
        steps=8,
        at=4,
    )
    run_whatif(plan, tmp_path, workers=1)
    aggregate_whatif(tmp_path)
    # The aggregation as it would read the new column: engagement's rows under its name.
    for name in ("differences.csv", "timeseries_summary.csv"):
        table = pd.read_csv(tmp_path / name)
        extra = table[table["metric"] == "engagement"].assign(metric=NEW)
        pd.concat([table, extra]).to_csv(tmp_path / name, index=False)
    drawn = []
    save = report.save_figure
    monkeypatch.setattr(
        report, "save_figure", lambda fig, path: drawn.append(fig) or save(fig, path)
    )
    text = report.write_whatif_report(tmp_path).read_text()
    assert "| Half engaged |" in text  # the table
    said, unclear = report.findings(pd.read_csv(tmp_path / "differences.csv"))
    assert any(s.startswith(new_metric.label) for s in said) or NEW in unclear
    headline_plot = drawn[0]  # rank 0: the first panel of the headline plot
    assert _titles(headline_plot)[0] == "Half engaged"
    assert all(
        "Half engaged" in _titles(fig) or "Half engaged" in "".join(_titles(fig)) for fig in drawn
    )


def test_a_new_metric_reaches_the_sweep_plots_and_report(new_metric, tmp_path, monkeypatch):
    from sim.studies import sweep_report
    from sim.viz import plots

    bands = pd.DataFrame(
        {
            "condition": ["a"] * 3 + ["b"] * 3,
            "step": [0, 1, 2] * 2,
            "metric": NEW,
            "mean": [0.1, 0.2, 0.3, 0.5, 0.6, 0.7],
            "ci_low": 0.0,
            "ci_high": 0.8,
        }
    )
    drawn = []
    save = plots.save_figure
    monkeypatch.setattr(
        plots, "save_figure", lambda fig, path: drawn.append(fig) or save(fig, path)
    )
    plots.plot_over_time(bands, [NEW], tmp_path / "t.png")
    assert _titles(drawn[0]) == ["Half engaged"]
    legend = [t.get_text() for t in drawn[0].legends[0].get_texts()]
    assert legend == ["a", "b"]
    summary = pd.DataFrame(
        {
            "condition": ["a", "b"],
            "metric": NEW,
            "mean": [0.2, 0.6],
            "sd": [0.01, 0.01],
            "ci_low": [0.19, 0.59],
            "ci_high": [0.21, 0.61],
            "n": [5, 5],
        }
    )
    said, _ = sweep_report.sweep_sentences(summary)
    assert said[0].startswith("Half engaged is highest with b")
