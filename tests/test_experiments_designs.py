"""Latin hypercube and Sobol designs, running them through Hydra, and Sobol indices."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.config import ConfigError
from sim.exec.designs import make_design, parse_ranges, read_design, sweep_command, write_design
from sim.studies.aggregate import aggregate
from sim.studies.sensitivity import point_outputs, sobol_indices

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ("regime.mixx=0:1", "not a configuration key"),
        ("regime.name=0:1", "numeric key"),
        ("regime.mix=1:0", "low < high"),
        ("regime.mix=0-1", "key=low:high"),
    ],
)
def test_bad_ranges_are_refused(spec, match):
    with pytest.raises(ConfigError, match=match):
        parse_ranges([spec])


def test_lhs_is_a_latin_hypercube():
    ranges = parse_ranges(["regime.mix=0:1", "openness.internal=0.2:0.6"])
    n = 20
    d = make_design(ranges, method="lhs", n=n, seed=3)
    for key, (lo, hi, _) in ranges.items():
        strata = np.floor((d[key] - lo) / (hi - lo) * n).astype(int)
        assert sorted(strata) == list(range(n))  # exactly one point per stratum
    pd.testing.assert_frame_equal(d, make_design(ranges, method="lhs", n=n, seed=3))
    assert not d.equals(make_design(ranges, method="lhs", n=n, seed=4))


def test_sobol_design_size_bounds_and_integers():
    ranges = parse_ranges(["org.size=30:90", "regime.mix=0:1", "population.talk=0:0.5"])
    d = make_design(ranges, method="sobol", n=16, seed=0)
    assert len(d) == 16 * (3 + 2)
    assert d["org.size"].dtype == np.int64 and d["org.size"].between(30, 90).all()
    assert d["population.talk"].between(0, 0.5).all()


def test_write_design_files(tmp_path):
    ranges = parse_ranges(["regime.mix=0:1", "org.size=30:60"])
    d = make_design(ranges, method="lhs", n=5, seed=0)
    write_design(d, ranges, tmp_path, method="lhs", n=5, seed=0)
    meta, points = read_design(tmp_path)
    assert meta["method"] == "lhs" and meta["points"] == 5 and meta["types"]["org.size"] == "int"
    pd.testing.assert_frame_equal(points.drop(columns="point"), d, check_dtype=False)
    option = yaml.safe_load((tmp_path / "design" / "point_00002.yaml").read_text())
    assert option == {
        "regime": {"mix": float(d["regime.mix"][2])},
        "org": {"size": int(d["org.size"][2])},
    }
    lines = (tmp_path / "overrides.txt").read_text().splitlines()
    assert lines[2] == f"regime.mix={float(d['regime.mix'][2])!r} org.size={d['org.size'][2]}"
    sweep = yaml.safe_load((tmp_path / "experiment" / "agora_design.yaml").read_text())
    assert sweep["hydra"]["sweeper"]["params"]["+design"].split(",")[-1] == "point_00004"
    with pytest.raises(FileExistsError):
        write_design(d, ranges, tmp_path, method="lhs", n=5, seed=1)


@pytest.mark.slow
def test_design_runs_through_hydra_point_by_point(tmp_path):
    design_dir, sweep = tmp_path / "design", tmp_path / "sweep"
    ranges = parse_ranges(["regime.mix=0:1", "openness.internal=0:1"])
    d = make_design(ranges, method="sobol", n=2, seed=0)
    write_design(d, ranges, design_dir, method="sobol", n=2, seed=0)
    cmd = sweep_command(
        design_dir,
        ["steps=5", "org.size=30", "stakeholders.count=5", f"hydra.sweep.dir={sweep}"],
        python=sys.executable,
        run_py=str(ROOT / "experiments" / "run.py"),
    )
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    for k in range(len(d)):  # job k ran point k
        cfg = json.loads((sweep / str(k) / "summary.json").read_text())["config"]
        assert cfg["regime"]["mix"] == d["regime.mix"][k]
        assert cfg["openness"]["internal"] == d["openness.internal"][k]
    report = aggregate(sweep, plots=False)
    assert report.ok == 8 and report.swept_keys == ["design"]
    runs = pd.read_parquet(sweep / "runs.parquet")
    meta, points = read_design(design_dir)
    assert np.isfinite(point_outputs(runs, "engagement", len(points))).all()
    # Each run carries its point's values as typed columns beside ``design``.
    columns = list(runs.columns)
    assert columns[columns.index("design") + 1 :][:2] == ["regime.mix", "openness.internal"]
    assert runs["regime.mix"].dtype == np.float64
    by_point = points.set_index("point")
    number = runs["design"].str.rsplit("_", n=1).str[-1].astype(int)
    for key in ("regime.mix", "openness.internal"):
        assert runs[key].to_numpy() == pytest.approx(by_point.loc[number, key].to_numpy())
    from sim.exec.dataset import write_dataset

    info = write_dataset(sweep)
    steps = pd.read_parquet(info.path)
    assert steps.groupby("design")["regime.mix"].nunique().eq(1).all()
    assert steps.drop_duplicates("design").set_index("design")[
        "regime.mix"
    ].sort_index().to_numpy() == pytest.approx(points["regime.mix"].to_numpy())
    # Two base samples are far too few for indices: the analysis refuses, saying how many.
    with pytest.raises(ValueError, match="too small: it needs at least 64"):
        sobol_indices(meta, points, runs, "engagement")


def _synthetic(method, n):
    ranges = parse_ranges(["regime.mix=0:1", "openness.internal=0:1", "population.talk=0:1"])
    x = make_design(ranges, method=method, n=n, seed=0)
    y = 4 * x["regime.mix"] + x["openness.internal"]  # talk has no effect at all
    runs = pd.DataFrame(
        {
            "design": [f"point_{i:05d}" for i in range(len(x))] * 2,
            "status": "ok",
            "y": np.concatenate([y, y]),
        }
    )
    meta = {"method": method, "n": n, "ranges": {k: [lo, hi] for k, (lo, hi, _) in ranges.items()}}
    return meta, x, runs


def test_sobol_indices_of_a_known_linear_model():
    # Var = 16/12 + 1/12: S1 = ST = 16/17, 1/17 and 0.
    table = sobol_indices(*_synthetic("sobol", 1024), "y", seed=0).set_index("parameter")
    expected = {"regime.mix": 16 / 17, "openness.internal": 1 / 17, "population.talk": 0.0}
    for key, value in expected.items():
        assert table.loc[key, "S1"] == pytest.approx(value, abs=0.05)
        assert table.loc[key, "ST"] == pytest.approx(value, abs=0.05)


def test_rbd_fast_first_order_from_a_latin_hypercube():
    table = sobol_indices(*_synthetic("lhs", 1000), "y", seed=0).set_index("parameter")
    assert table.loc["regime.mix", "S1"] == pytest.approx(16 / 17, abs=0.08)
    assert table.loc["population.talk", "S1"] == pytest.approx(0.0, abs=0.08)
    assert table["ST"].isna().all()


def test_missing_points_are_reported():
    meta, x, runs = _synthetic("sobol", 8)
    runs.loc[runs["design"] == "point_00003", "status"] = "failed"
    with pytest.raises(ValueError, match="1 of 40 design points"):
        point_outputs(runs, "y", len(x))


def test_a_compared_practice_runs_at_both_settings_with_the_same_points(tmp_path):
    ranges = parse_ranges(["environment.turbulence=0:0.1", "org.attention=5:40"])
    d = make_design(ranges, method="morris", n=10, seed=0)
    assert len(d) == 10 * 3
    write_design(
        d,
        ranges,
        tmp_path,
        method="morris",
        n=10,
        seed=0,
        compare=("regime.responsiveness", ["0", "0.6"]),
    )
    meta, _ = read_design(tmp_path)
    assert meta["compare"] == {"key": "regime.responsiveness", "values": ["0", "0.6"]}
    assert meta["levels"] == 4
    params = yaml.safe_load((tmp_path / "experiment" / "agora_design.yaml").read_text())
    params = params["hydra"]["sweeper"]["params"]
    assert params["regime.responsiveness"] == "0,0.6"
    assert len(params["+design"].split(",")) == 30


def test_sobol_sizes_must_be_powers_of_two():
    ranges = parse_ranges(["regime.mix=0:1"])
    with pytest.raises(ValueError, match="--n 10 is not a power of two.*use 8 or 16"):
        make_design(ranges, method="sobol", n=10)
