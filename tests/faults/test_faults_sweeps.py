"""Two sweeps into one ``hydra.sweep.dir``: another configuration is refused, the same one
shares the work (no job overwritten, no job run twice)."""

from __future__ import annotations

import json
import re

import pytest

from .helpers import run, start, wait_for

SWEEP = ["replicates=2", "org.size=300", "stakeholders.count=10", "seed=0,1,2,3"]


def _summaries(sweep):
    return {p.parent.name: json.loads(p.read_text()) for p in sweep.glob("*/summary.json")}


def _claimed(sweep):
    return sweep.is_dir() and any(sweep.glob(".agora-sweep-*.claim"))


@pytest.mark.slow
def test_a_sweep_of_another_configuration_is_refused_and_nothing_is_overwritten(tmp_path):
    sweep = tmp_path / "S"
    first = start(["-m", f"hydra.sweep.dir={sweep}", "steps=120", *SWEEP])
    try:
        wait_for(lambda: _claimed(sweep) or first.poll() is not None, 120, "the first sweep")
        second = run(["-m", f"hydra.sweep.dir={sweep}", "steps=100", *SWEEP])
    finally:
        out, _ = first.communicate(timeout=240)
    assert first.returncode == 0, out
    assert second.returncode != 0
    assert "holds or is producing the results of another sweep" in second.stderr
    assert "Nothing was run or overwritten" in second.stderr
    done = _summaries(sweep)
    assert sorted(done) == ["0", "1", "2", "3"]
    assert {s["status"] for s in done.values()} == {"ok"}
    assert {s["config"]["steps"] for s in done.values()} == {120}
    assert not list(sweep.glob("*/summary.failed-*"))
    # Afterwards too (the first sweep finished): its results are held, so still refused.
    again = run(["-m", f"hydra.sweep.dir={sweep}", "steps=100", *SWEEP])
    assert again.returncode != 0 and "holds an ok result of config_hash" in again.stderr


@pytest.mark.slow
def test_an_identical_sweep_runs_no_job_twice(tmp_path):
    sweep = tmp_path / "S"
    args = ["-m", f"hydra.sweep.dir={sweep}", "steps=120", *SWEEP]
    first = start(args)
    try:
        wait_for(lambda: _claimed(sweep) or first.poll() is not None, 120, "the first sweep")
        second = run(args)
    finally:
        out, _ = first.communicate(timeout=240)
    assert first.returncode == 0, out
    assert second.returncode == 0, second.stdout + second.stderr
    logs = {first.pid: out, "second": second.stdout + second.stderr}
    done = _summaries(sweep)
    assert sorted(done) == ["0", "1", "2", "3"] and {s["status"] for s in done.values()} == {"ok"}
    assert not list(sweep.glob("*/summary.failed-*"))
    for name, summary in done.items():
        # The process that did not write the summary must have skipped the job.
        other = logs["second"] if summary["job"]["pid"] == first.pid else logs[first.pid]
        assert re.search(rf"job \S*{re.escape(str(sweep / name))} already done", other), name
