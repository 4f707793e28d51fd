"""Benchmark: aggregating a sweep of 10,000 jobs (tables, plots and the Parquet dataset).

Usage (from the repository root)::

    python benchmarks/bench_dataset.py                 # 10,000 synthetic jobs
    python benchmarks/bench_dataset.py --n 2000 --out benchmarks/results/dataset_2000.json

The jobs are synthetic but shaped like real ones: one real default-scenario job (300 steps)
is run, and ``--n`` job directories are written from it, each with its own ``summary.json``
(status ok, its overrides, seed and the file record of its ``metrics.parquet``) and
``metrics.parquet`` (the real rows plus per-job noise),
as a sweep of ``regime=broadcast,hybrid,conversational`` times root seeds with a
``multirun.yaml``, so aggregation sees what it would after a real sweep. Aggregation then
runs in a child process, whose peak resident memory (``ru_maxrss``) and time are reported,
then the dataset is queried in one call by every reader that is installed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from sim.util.threads import pin_threads  # noqa: E402  one BLAS thread, before numpy loads

pin_threads()

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
import yaml  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
REGIMES = ("broadcast", "hybrid", "conversational")

CHILD = """
import json, resource, sys, time
from sim.studies.aggregate import aggregate
t0 = time.perf_counter()
report = aggregate(sys.argv[1], plots=True)
seconds = time.perf_counter() - t0
print(json.dumps({"ok": report.ok, "failed": report.failed, "missing": report.missing,
                  "seconds": seconds,
                  "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}))
"""


def synthesize(sweep: Path, n: int) -> None:
    """Write ``n`` job directories shaped like a real sweep's (see the module docstring)."""
    from sim.exec.jobs import run_job

    template_dir = sweep.parent / "template"
    run_job({}, template_dir, overrides=[])
    template = json.loads((template_dir / "summary.json").read_text())
    metrics = pd.read_parquet(template_dir / "metrics.parquet")
    value_columns = [c for c in metrics.columns if c not in ("replicate", "seed", "step")]
    seeds_per_regime = -(-n // len(REGIMES))
    (sweep).mkdir(parents=True)
    multirun = {
        "hydra": {
            "overrides": {
                "task": [f"regime={','.join(REGIMES)}", f"seed=range(0,{seeds_per_regime})"]
            },
            "sweeper": {"params": None},
        }
    }
    (sweep / "multirun.yaml").write_text(yaml.safe_dump(multirun))
    rng = np.random.default_rng(0)
    # Built once with pyarrow and written per job: the benchmark is the aggregation.
    table = pa.Table.from_pandas(metrics, preserve_index=False)
    base = {c: table.column(c).to_numpy() for c in value_columns}
    seed_index = table.schema.get_field_index("seed")
    for num in range(n):
        # Hydra's order: the last key varies fastest.
        root_seed, regime = divmod(num, len(REGIMES))
        overrides = [f"regime={REGIMES[regime]}", f"seed={root_seed}"]
        job = sweep / str(num)
        job.mkdir()
        noisy = table
        for c in value_columns:
            i = noisy.schema.get_field_index(c)
            noise = 1 + 0.05 * rng.standard_normal(len(base[c]))
            noisy = noisy.set_column(i, c, pa.array(base[c] * noise))
        seed = pa.array(np.full(table.num_rows, 1_000_000 + num, dtype=np.int64))
        noisy = noisy.set_column(seed_index, "seed", seed)
        pq.write_table(noisy, job / "metrics.parquet")
        data = (job / "metrics.parquet").read_bytes()
        record = {
            **template.get("metrics_file", {}),
            "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        }
        summary = {
            **template,
            "seeds": [1_000_000 + num],
            "metrics_file": record,
            "job": {**template["job"], "num": num, "overrides": overrides, "dir": str(job)},
        }
        (job / "summary.json").write_text(json.dumps(summary))


def query(dataset: Path) -> dict[str, float]:
    """Mean trust at the last step per regime, in one call per installed reader (seconds)."""
    out = {}
    t0 = time.perf_counter()
    import pyarrow.dataset as ds

    table = ds.dataset(dataset).to_table(
        columns=["regime", "step", "trust"], filter=ds.field("step") == 300
    )
    out["pyarrow_seconds"] = time.perf_counter() - t0
    out["pyarrow_rows_at_step_300"] = table.num_rows
    try:
        import duckdb

        t0 = time.perf_counter()
        duckdb.sql(
            f"SELECT regime, avg(trust) FROM '{dataset}/*.parquet' WHERE step = 300 GROUP BY regime"
        ).fetchall()
        out["duckdb_seconds"] = time.perf_counter() - t0
    except ImportError:
        pass
    try:
        import polars as pl

        t0 = time.perf_counter()
        (
            pl.scan_parquet(f"{dataset}/*.parquet")
            .filter(pl.col("step") == 300)
            .group_by("regime")
            .agg(pl.col("trust").mean())
            .collect()
        )
        out["polars_seconds"] = time.perf_counter() - t0
    except ImportError:
        pass
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="number of synthetic jobs")
    parser.add_argument("--out", default="benchmarks/results/bench_dataset.json")
    parser.add_argument("--dir", default=None, help="work folder (default: a temporary one)")
    args = parser.parse_args(argv)

    tmp = tempfile.TemporaryDirectory(prefix="agora-dataset-") if not args.dir else None
    sweep = Path(args.dir or tmp.name) / "sweep"
    t0 = time.perf_counter()
    synthesize(sweep, args.n)
    made = time.perf_counter() - t0
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(sweep)], cwd=ROOT, capture_output=True, text=True
    )
    if proc.returncode != 0:
        print(proc.stderr[-3000:], file=sys.stderr)
        return 1
    child = json.loads(proc.stdout.strip().splitlines()[-1])
    dataset = sweep / "dataset"
    out = {
        "jobs": args.n,
        "synthesize_seconds": made,
        "aggregate_seconds": child["seconds"],
        "aggregate_peak_rss_gib": child["peak_rss_gib"],
        "ok": child["ok"],
        "dataset_parts": len(list(dataset.glob("*.parquet"))),
        "dataset_mib": sum(p.stat().st_size for p in dataset.glob("*.parquet")) / 2**20,
        "job_files_mib": sum(p.stat().st_size for p in sweep.glob("*/*.*")) / 2**20,
        **query(dataset),
    }
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2) + "\n")
    for key, value in out.items():
        print(f"{key:<28} {value:.3f}" if isinstance(value, float) else f"{key:<28} {value}")
    print(f"written to {path}")
    if tmp is not None:
        tmp.cleanup()
    return 0 if out["aggregate_peak_rss_gib"] < 2 else 1


if __name__ == "__main__":
    sys.exit(main())
