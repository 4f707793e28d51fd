"""A real SLURM cluster on loopback: a sweep through ``hydra/launcher=slurm``, a cancelled task.

The fixture starts ``munged``, ``slurmctld`` and ``slurmd`` as root with a ``slurm.conf`` of
their own in a temporary folder (one node at 127.0.0.1 with this machine's CPUs, state and
spool folders, sockets and logs all in that folder, ports picked free), so nothing of the
machine's own configuration is used or changed; it stops every daemon it started, also when
the test fails. Skipped, saying why, when not root or when the Debian packages ``slurm-wlm``
and ``munge`` (``.ci/apt-packages.txt``) are missing.

The test cluster has no accounting database (``slurmdbd``), so ``sacct`` cannot report a
cancelled task and submitit would wait for it for ever: the test waits until SLURM's queue is
empty, then stops the waiting ``experiments/run.py`` itself, as a user whose login session died
would be in the same place. Resuming is then the documented command, run again.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import summaries

from sim.studies.aggregate import aggregate

pytestmark = [pytest.mark.slurm, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / "experiments" / "run.py"
BINARIES = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "scancel", "sinfo")
NODE = "agora-node"


def _why_not() -> str | None:
    if os.geteuid() != 0:
        return "the SLURM daemons must run as root (slurmd starts jobs as their user)"
    missing = [b for b in BINARIES if shutil.which(b) is None and not Path("/usr/sbin", b).exists()]
    if missing:
        return f"{', '.join(missing)} not installed (Debian packages slurm-wlm and munge)"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _binary(name: str) -> str:
    return shutil.which(name) or str(Path("/usr/sbin", name))


def _node_line() -> str:
    """``NodeName=...`` with this machine's CPUs and memory, as ``slurmd -C`` measures them."""
    measured = (
        subprocess.run([_binary("slurmd"), "-C"], capture_output=True, text=True, check=True)
        .stdout.split("\n")[0]
        .split()
    )
    fields = dict(f.split("=", 1) for f in measured if "=" in f)
    keep = ("CPUs", "Boards", "SocketsPerBoard", "CoresPerSocket", "ThreadsPerCore")
    hardware = " ".join(f"{k}={fields[k]}" for k in keep if k in fields)
    memory = int(int(fields.get("RealMemory", "2048")) * 0.9)
    return f"NodeName={NODE} NodeAddr=127.0.0.1 {hardware} RealMemory={memory} State=UNKNOWN"


class Cluster:
    """The daemons of one test cluster; ``env`` is what a client needs to reach it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started: list[tuple[str, Path]] = []  # (name, pid file), in start order
        self.env = {**os.environ, "SLURM_CONF": str(folder / "slurm.conf")}

    def write_config(self) -> None:
        f = self.folder
        for sub in ("state", "spool", "munge"):
            (f / sub).mkdir(mode=0o700)
        key = f / "munge" / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        (f / "slurm.conf").write_text(
            "\n".join(
                [
                    "ClusterName=agora-test",
                    "SlurmctldHost=localhost(127.0.0.1)",
                    f"SlurmctldPort={_free_port()}",
                    f"SlurmdPort={_free_port()}",
                    "AuthType=auth/munge",
                    "CryptoType=crypto/munge",
                    f"AuthInfo=socket={f / 'munge' / 'munge.socket'}",
                    "SlurmUser=root",
                    "SlurmdUser=root",
                    "ProctrackType=proctrack/linuxproc",
                    "TaskPlugin=task/none",
                    "SelectType=select/cons_tres",
                    "SelectTypeParameters=CR_CPU",
                    "SchedulerType=sched/backfill",
                    "MpiDefault=none",
                    "ReturnToService=2",
                    "AccountingStorageType=accounting_storage/none",
                    "JobAcctGatherType=jobacct_gather/none",
                    "JobCompType=jobcomp/none",
                    "SwitchType=switch/none",
                    f"StateSaveLocation={f / 'state'}",
                    f"SlurmdSpoolDir={f / 'spool'}",
                    f"SlurmctldPidFile={f / 'slurmctld.pid'}",
                    f"SlurmdPidFile={f / 'slurmd.pid'}",
                    f"SlurmctldLogFile={f / 'slurmctld.log'}",
                    f"SlurmdLogFile={f / 'slurmd.log'}",
                    "SlurmctldTimeout=30",
                    "SlurmdTimeout=30",
                    "MinJobAge=300",
                    _node_line(),
                    f"PartitionName=debug Nodes={NODE} Default=YES MaxTime=INFINITE State=UP",
                    "",
                ]
            )
        )

    def _start(self, name: str, args: list[str], pid_file: Path) -> None:
        subprocess.run(
            [_binary(name), *args], env=self.env, check=True, timeout=60, capture_output=True
        )
        self.started.append((name, pid_file))
        deadline = time.time() + 20
        while not pid_file.is_file() and time.time() < deadline:
            time.sleep(0.1)
        if not pid_file.is_file():
            raise RuntimeError(f"{name} did not start: see {self.folder}")

    def start(self) -> None:
        f = self.folder
        self._start(
            "munged",
            [
                "--force",
                f"--key-file={f / 'munge' / 'munge.key'}",
                f"--socket={f / 'munge' / 'munge.socket'}",
                f"--pid-file={f / 'munge' / 'munged.pid'}",
                f"--log-file={f / 'munge' / 'munged.log'}",
                f"--seed-file={f / 'munge' / 'munged.seed'}",
            ],
            f / "munge" / "munged.pid",
        )
        self._start("slurmctld", ["-c", "-f", str(f / "slurm.conf")], f / "slurmctld.pid")
        self._start("slurmd", ["-N", NODE, "-f", str(f / "slurm.conf")], f / "slurmd.pid")
        deadline = time.time() + 60
        while time.time() < deadline:
            state = self.run("sinfo", "-h", "-N", "-o", "%t", check=False).stdout.strip()
            if state in ("idle", "mix", "alloc"):
                return
            time.sleep(0.5)
        raise RuntimeError(f"node not idle after 60 s (sinfo: {state!r}); logs in {f}")

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [_binary(args[0]), *args[1:]],
            env=self.env,
            capture_output=True,
            text=True,
            check=check,
            timeout=60,
        )

    def queue(self) -> list[tuple[str, str]]:
        """(job id, state) of every job SLURM still holds, array tasks one by one."""
        out = self.run("squeue", "-h", "-r", "-o", "%i %T", check=False).stdout
        return [tuple(line.split()[:2]) for line in out.splitlines() if line.strip()]

    def stop(self) -> None:
        """Stop every daemon this cluster started, newest first, by its recorded pid."""
        for _name, pid_file in reversed(self.started):
            try:
                pid = int(pid_file.read_text().split()[0])
                os.kill(pid, signal.SIGTERM)
            except (OSError, ValueError):
                continue
            deadline = time.time() + 15
            while time.time() < deadline:
                try:
                    os.kill(pid, 0)
                except OSError:
                    break
                time.sleep(0.1)
            else:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        self.started.clear()


@pytest.fixture
def cluster(tmp_path_factory, request):
    reason = _why_not()
    if reason:
        # Under CI the real cluster must be there (.ci/run installs it): fail, never skip.
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"CI needs the SLURM test cluster: {reason}")
        pytest.skip(f"no SLURM test cluster: {reason}")
    c = Cluster(tmp_path_factory.mktemp("slurm"))
    request.addfinalizer(c.stop)  # registered before starting: runs even if start fails
    c.write_config()
    c.start()
    return c


def test_slurm_sweep_cancel_one_task_resume_aggregate(cluster, tmp_path):
    sweep = tmp_path / "sweep"
    n = 6
    args = [
        sys.executable,
        str(RUN),
        "-m",
        "hydra/launcher=slurm",
        f"hydra.sweep.dir={sweep}",
        f"seed=range(0,{n})",
        "steps=200",
        "org.size=100",
        "stakeholders.count=20",
        "replicates=2",
        "hydra.launcher.timeout_min=10",
    ]
    first = subprocess.Popen(
        args,
        cwd=ROOT,
        env=cluster.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        # Cancel the last array task once it is running (a node lost under it looks the same).
        victim, deadline = None, time.time() + 240
        while victim is None and time.time() < deadline:
            running = [i for i, s in cluster.queue() if s == "RUNNING" and i.endswith(f"_{n - 1}")]
            if running:
                victim = running[0]
                cluster.run("scancel", victim)
            elif first.poll() is not None:
                break
            time.sleep(0.2)
        assert victim is not None, first.communicate()[0][-3000:]
        # Every other task finishes; SLURM's queue empties.
        deadline = time.time() + 300
        while cluster.queue() and time.time() < deadline:
            time.sleep(1)
        assert not cluster.queue(), cluster.queue()
    finally:
        # Without accounting submitit cannot learn that the task was cancelled: stop waiting.
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGTERM)
        first.wait(timeout=30)

    done = summaries(sweep)
    assert n - 1 not in done or done[n - 1]["status"] != "ok"  # the cancelled job: no result
    finished = {k for k, s in done.items() if s["status"] == "ok"}
    assert finished == set(range(n - 1)), done
    assert all(done[k]["job"]["launcher"] == "slurm" for k in finished)
    assert all(done[k]["blas_threads"] == 1 for k in finished)  # pinned in the SLURM job
    report = aggregate(sweep, plots=False)
    assert report.ok == n - 1 and report.ok + report.failed + report.missing == n

    # Resume: the same command; only the cancelled job runs, the others are skipped.
    mtimes = {k: (sweep / str(k) / "summary.json").stat().st_mtime_ns for k in finished}
    again = subprocess.run(
        args, cwd=ROOT, env=cluster.env, capture_output=True, text=True, timeout=600
    )
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-3000:]
    after = summaries(sweep)
    assert {k: s["status"] for k, s in after.items()} == dict.fromkeys(range(n), "ok")
    for k, t in mtimes.items():
        assert (sweep / str(k) / "summary.json").stat().st_mtime_ns == t
    report = aggregate(sweep, plots=False)
    assert (report.ok, report.failed, report.missing) == (n, 0, 0)
    runs = pd.read_parquet(sweep / "runs.parquet")
    assert len(runs) == 2 * n and not runs.duplicated(["root_seed", "replicate"]).any()
    data = pd.read_parquet(sweep / "dataset")
    assert sorted(data["root_seed"].unique()) == list(range(n))
    assert not data.duplicated(["root_seed", "replicate", "step"]).any()
    # the jobs really ran under SLURM: submitit kept each task's log
    assert list((sweep / ".submitit").rglob("*_log.out"))
