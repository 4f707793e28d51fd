"""A real Ray cluster on loopback: a sweep through ``hydra/launcher=ray``, a worker node killed.

The fixture starts a head node and a worker node with ``ray start --block`` (one CPU each, a
temporary folder of their own, ports picked free) and stops every process they started, by
pid, also when the test fails. Skipped, saying why, when Ray is not installed (the ``ray``
extra; CI installs it with the ``dev`` extra). The test installs nothing.

``ray start`` replaces a node address of 127.0.0.1 (and ``localhost``) by the machine's network
address, so that other machines can join; this cluster must stay on loopback, so its nodes
listen on 127.0.0.2, loopback too (``HOST`` below).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import summaries

from sim.studies.aggregate import aggregate

pytestmark = [pytest.mark.ray, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / "experiments" / "run.py"
# Loopback, but not 127.0.0.1: Ray's CLI and ray.init replace "127.0.0.1" and "localhost" by
# the machine's network address (so that other machines could join), and this cluster must
# stay on loopback. The whole of 127.0.0.0/8 is loopback on Linux.
HOST = "127.0.0.2"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class RayCluster:
    """A head and worker nodes on loopback, each a ``ray start --block`` process tree."""

    def __init__(self, folder: Path) -> None:
        import psutil  # a dependency of Ray's

        self.psutil = psutil
        self.folder = folder
        self.port = _free_port()
        self.address = f"{HOST}:{self.port}"
        self.nodes: list[subprocess.Popen] = []
        self.known: set[int] = set()  # every pid seen in a node's process tree
        self.env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_ADDRESS": self.address}

    def _start(self, *args: str) -> subprocess.Popen:
        log = open(self.folder / f"node-{len(self.nodes)}.log", "w")  # noqa: SIM115
        node = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "ray"),
                "start",
                "--block",
                f"--node-ip-address={HOST}",
                "--num-cpus=1",
                "--disable-usage-stats",
                *args,
            ],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.nodes.append(node)
        return node

    def start_head(self) -> None:
        self._start(
            "--head",
            f"--port={self.port}",
            "--include-dashboard=false",
            f"--temp-dir={self.folder / 'ray'}",
            f"--ray-client-server-port={_free_port()}",
            f"--node-manager-port={_free_port()}",
            f"--object-manager-port={_free_port()}",
        )
        self.wait_for_nodes(1)

    def start_worker(self) -> subprocess.Popen:
        node = self._start(
            f"--address={self.address}",
            f"--node-manager-port={_free_port()}",
            f"--object-manager-port={_free_port()}",
        )
        self.wait_for_nodes(len(self.nodes))
        return node

    def alive_nodes(self) -> int:
        probe = (
            "import ray; ray.init(address='auto', log_to_driver=False); "
            "print(sum(n['Alive'] for n in ray.nodes()))"
        )
        out = subprocess.run(
            [sys.executable, "-c", probe], env=self.env, capture_output=True, text=True, timeout=120
        )
        try:
            return int(out.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            return 0

    def wait_for_nodes(self, count: int, timeout: float = 180) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            self.remember()
            if self.alive_nodes() >= count:
                return
            time.sleep(1)
        raise RuntimeError(f"Ray cluster did not reach {count} nodes: logs in {self.folder}")

    def remember(self) -> None:
        """Note every process of every node (daemons re-parent when their parent dies)."""
        for node in self.nodes:
            try:
                tree = self.psutil.Process(node.pid)
                self.known |= {node.pid, *(c.pid for c in tree.children(recursive=True))}
            except self.psutil.NoSuchProcess:
                pass

    def running(self, node: subprocess.Popen, sweep: Path) -> bool:
        """Whether a process of ``node`` holds the lock of a job folder of ``sweep``."""
        from sim.exec.jobs import LOCK_FILE
        from sim.exec.locks import read_lock

        try:
            tree = self.psutil.Process(node.pid)
            pids = {node.pid, *(c.pid for c in tree.children(recursive=True))}
        except self.psutil.NoSuchProcess:
            return False
        locks = (read_lock(folder / LOCK_FILE) for folder in sweep.glob("*") if folder.is_dir())
        return any(info and info.get("pid") in pids for info in locks)

    def kill(self, node: subprocess.Popen) -> None:
        """SIGKILL a node's whole process tree at once, as if the machine had died."""
        tree = self.psutil.Process(node.pid)
        victims = [tree, *tree.children(recursive=True)]
        for p in victims:
            try:
                p.kill()
            except self.psutil.NoSuchProcess:
                pass
        node.wait(timeout=30)

    def stop(self) -> None:
        """Stop every process the nodes started: TERM the trees, then KILL what remains."""
        self.remember()
        for node in reversed(self.nodes):
            if node.poll() is None:
                node.send_signal(signal.SIGTERM)
        for node in self.nodes:
            try:
                node.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        for pid in sorted(self.known):
            try:
                self.psutil.Process(pid).kill()
            except self.psutil.NoSuchProcess:
                pass


@pytest.fixture
def ray_cluster(request):
    pytest.importorskip("ray", reason="Ray is not installed (pip install 'agora-sim[ray]')")
    # a short folder: Ray's unix sockets live in it and their paths are limited to 107 bytes
    folder = Path(tempfile.mkdtemp(prefix="agora-ray-"))
    cluster = RayCluster(folder)

    def stop() -> None:
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)

    request.addfinalizer(stop)  # registered first: runs even if starting fails
    cluster.start_head()
    return cluster


def _sweep(cluster: RayCluster, sweep: Path, n: int, *more: str) -> list[str]:
    """The command of a sweep of ``n`` seeds of a small organization on ``cluster``, without
    Ray's own retries."""
    return [
        sys.executable,
        str(RUN),
        "-m",
        "hydra/launcher=ray",
        f"hydra.launcher.address={cluster.address}",
        "hydra.launcher.max_retries=0",
        f"hydra.sweep.dir={sweep}",
        f"seed=range(0,{n})",
        "org.size=150",
        "stakeholders.count=30",
        *more,
    ]


def test_ray_sweep_worker_killed_resume_aggregate(ray_cluster, tmp_path):
    worker = ray_cluster.start_worker()
    sweep = tmp_path / "sweep"
    n = 8
    # 16 replicates a job: two jobs hold more than a task's 30, so each job is its own task,
    # and the one on the killed node is lost alone.
    args = _sweep(ray_cluster, sweep, n, "steps=200", "replicates=16")
    first = subprocess.Popen(
        args,
        cwd=ROOT,
        env=ray_cluster.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    # Kill the worker node once a job has finished and the node is running another (its
    # folder's lock names a process of the node): on a busy machine the node can be between
    # two jobs when the first one finishes.
    deadline = time.time() + 300
    while time.time() < deadline and first.poll() is None:
        if any(s["status"] == "ok" for s in summaries(sweep).values()) and ray_cluster.running(
            worker, sweep
        ):
            break
        time.sleep(0.05)
    assert first.poll() is None, first.communicate()[0][-3000:]
    ray_cluster.remember()
    ray_cluster.kill(worker)
    output = first.communicate(timeout=600)[0]

    done = summaries(sweep)
    assert sorted(done) == list(range(n)), output[-3000:]  # every job has a record
    lost = {k for k, s in done.items() if s["status"] != "ok"}
    # the job that ran on the dead node is recorded as failed, with Ray's reason
    assert lost and all("Ray could not finish" in done[k]["error"] for k in lost), output[-3000:]
    assert first.returncode != 0
    assert all(done[k]["job"]["launcher"] == "ray" for k in done)
    assert all(done[k]["blas_threads"] == 1 for k in done if k not in lost)  # pinned workers
    report = aggregate(sweep, plots=False)
    assert (report.ok, report.failed, report.missing) == (n - len(lost), len(lost), 0)

    # Resume on what is left of the cluster: only the lost jobs run.
    mtimes = {
        k: (sweep / str(k) / "summary.json").stat().st_mtime_ns for k in done if k not in lost
    }
    again = subprocess.run(
        args, cwd=ROOT, env=ray_cluster.env, capture_output=True, text=True, timeout=600
    )
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-3000:]
    after = summaries(sweep)
    assert {k: s["status"] for k, s in after.items()} == dict.fromkeys(range(n), "ok")
    for k, t in mtimes.items():
        assert (sweep / str(k) / "summary.json").stat().st_mtime_ns == t
    for k in lost:
        assert (sweep / str(k) / "summary.failed-1.json").is_file()
    report = aggregate(sweep, plots=False)
    assert (report.ok, report.failed, report.missing) == (n, 0, 0)
    runs = pd.read_parquet(sweep / "runs.parquet")
    assert len(runs) == 16 * n and not runs.duplicated(["root_seed", "replicate"]).any()
    data = pd.read_parquet(sweep / "dataset")
    assert sorted(data["root_seed"].unique()) == list(range(n))
    assert not data.duplicated(["root_seed", "replicate", "step"]).any()


def test_ray_jobs_stepped_together_run_again_alone_when_their_worker_dies(ray_cluster, tmp_path):
    """Jobs that differ only in their seeds go in one task (4 of them, one replicate each);
    the worker process running one such task is killed once: each of its jobs runs again
    alone and finishes, though Ray may not retry (``max_retries=0``)."""
    from sim.exec.jobs import LOCK_FILE
    from sim.exec.locks import read_lock

    ray_cluster.start_worker()
    sweep = tmp_path / "sweep"
    n = 8
    first = subprocess.Popen(
        _sweep(ray_cluster, sweep, n, "steps=1500"),
        cwd=ROOT,
        env=ray_cluster.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    killed = None
    deadline = time.time() + 300
    while time.time() < deadline and first.poll() is None and killed is None:
        info = read_lock(sweep / "1" / LOCK_FILE)  # the task holding jobs 0-3 locks them all
        if info and info.get("pid"):
            killed = int(info["pid"])
            os.kill(killed, signal.SIGKILL)
        time.sleep(0.05)
    output = first.communicate(timeout=600)[0]
    assert killed, output[-3000:]
    assert first.returncode == 0, output[-3000:]
    assert "each runs again alone" in output, output[-3000:]
    done = summaries(sweep)
    assert {k: s["status"] for k, s in done.items()} == dict.fromkeys(range(n), "ok")
    assert all(done[k]["job"]["pid"] != killed for k in done)


def test_project_imports_without_ray():
    """Ray is optional: the project and its launcher plugin import without it."""
    code = (
        "import sys; sys.modules['ray'] = None\n"
        "import sim, sim.studies.aggregate, sim.exec.pool, sim.exec.ray_pool\n"
        "import hydra_plugins.agora_launchers.ray_launcher\n"
        "print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "ok", out.stderr
