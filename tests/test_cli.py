"""The ``agora`` command: every subcommand, its help, arguments in any order, runs from anywhere.

Help and argument parsing run in this process (fast); a real job, a sweep and the Python API
run in subprocesses started in ``tmp_path``, outside the checkout, so nothing can be found
through the working directory.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from importlib import metadata
from pathlib import Path

import pytest

from sim.cli import COMMANDS, main, usage
from sim.cli.run import flags_first, with_validation

ROOT = Path(__file__).resolve().parent.parent
#: Every entry point in experiments/ has a subcommand of the same name (and the app one more).
SCRIPTS = sorted(p.stem for p in (ROOT / "experiments").glob("*.py"))


def agora(*args: str, cwd: Path, timeout: float = 240) -> subprocess.CompletedProcess:
    """``agora ARGS`` in ``cwd``: the installed console script, else ``python -m sim.cli``."""
    script = shutil.which("agora", path=os.path.dirname(sys.executable))
    cmd = [script] if script else [sys.executable, "-m", "sim.cli"]
    env = {**os.environ, "MPLBACKEND": "Agg", "HYDRA_FULL_ERROR": "1"}
    return subprocess.run(
        [*cmd, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def test_every_entry_point_has_a_subcommand():
    assert set(SCRIPTS) <= set(COMMANDS), set(SCRIPTS) - set(COMMANDS)
    assert "app" in COMMANDS


def test_experiments_are_the_shims_the_command_table_generates(tmp_path, monkeypatch):
    import sim.cli.shims as shims

    assert set(SCRIPTS) == set(COMMANDS), "run python -m sim.cli.shims"
    stale = [
        name
        for name in SCRIPTS
        if (ROOT / "experiments" / f"{name}.py").read_text() != shims.shim_text(name)
    ]
    assert not stale, (
        f"experiments/ differs from the command table (python -m sim.cli.shims): {stale}"
    )
    # A command added to the table gets its entry point, naming its own module and function.
    (tmp_path / "keep.txt").write_text("mine")
    table = {**COMMANDS, "extra": COMMANDS["run"]._replace(module="sim.cli.x", function="go")}
    monkeypatch.setattr(shims, "COMMANDS", table)
    written = shims.write_shims(tmp_path)
    assert (tmp_path / "keep.txt").read_text() == "mine"
    assert {p.stem for p in written} == set(table)
    text = (tmp_path / "extra.py").read_text()
    assert "from sim.cli.x import go as main" in text and '["extra", *sys.argv[1:]]' in text
    compile(text, "extra.py", "exec")


def test_console_script_is_declared():
    try:
        dist = metadata.distribution("agora-sim")
    except metadata.PackageNotFoundError:
        pytest.skip("agora-sim is not installed")
    scripts = {e.name: e.value for e in dist.entry_points if e.group == "console_scripts"}
    assert scripts.get("agora") == "sim.cli:main"


def test_top_level_help_lists_every_command(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert out == usage()
    for name in COMMANDS:
        assert f"\n  {name} " in out


def test_no_command_is_a_usage_error(capsys):
    assert main([]) == 2
    assert capsys.readouterr().out.startswith("usage: agora COMMAND")
    assert main(["frobnicate"]) == 2
    assert "unknown command 'frobnicate'" in capsys.readouterr().err


#: Every command and the run-shaping flags it has: one spelling everywhere (issue 24). A flag
#: missing from a command that runs replicates, steps, workers or writes results fails here.
RUN_FLAGS = {
    "run": {"--replicates", "--steps", "--out", "--workers"},
    "compare": {"--replicates", "--steps", "--out", "--workers", "--no-progress"},
    "whatif": {"--replicates", "--steps", "--out", "--workers", "--no-progress"},
    "discover": {"--replicates", "--steps", "--out", "--workers", "--no-progress"},
    "design": {"--replicates", "--steps", "--out", "--workers"},
    "aggregate": {"--out", "--no-progress"},
    "sensitivity": {"--out"},
    "validate": {"--out", "--workers", "--no-progress"},
    "animate": {"--steps", "--out", "--no-progress"},
    "scenarios": set(),
    "app": set(),
    "claims": {"--replicates", "--steps", "--out"},
}
SHARED = {"--replicates", "--steps", "--out", "--workers", "--no-progress"}


def test_the_parity_table_covers_every_command():
    assert set(RUN_FLAGS) == set(COMMANDS)


@pytest.mark.parametrize("name", list(COMMANDS))
def test_help_says_agora_and_has_the_shared_flags(name, capsys):
    assert main([name, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: agora {name} ")
    assert "python experiments" not in out and "usage: validate" not in out
    body = out.split("\n", 1)[1]
    assert f"agora {name}" in body, "no example in agora form"
    assert set(re.findall(r"--[a-z][a-z-]*", out)) & SHARED == RUN_FLAGS[name]
    assert main(["help", name]) == 0
    assert capsys.readouterr().out == out


@pytest.mark.parametrize("name", list(COMMANDS))
def test_help_imports_no_heavy_library(name):
    """Help answers at once: scipy.stats, matplotlib, mesa, SALib stay unloaded (CPU time of
    `agora X --help` is in the report; a test never asserts time)."""
    code = (
        "import sys, io, contextlib\n"
        "from sim.cli import main\n"
        f"with contextlib.redirect_stdout(io.StringIO()): main([{name!r}, '--help'])\n"
        "heavy = ('scipy.stats', 'matplotlib.pyplot', 'mesa', 'SALib', 'solara')\n"
        "print([m for m in heavy if type(sys.modules.get(m)).__name__ == 'module'])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_after_help_every_library_still_works_in_the_same_process():
    """Help's lazy imports must leave no half-initialised package behind (a notebook may ask
    for help, then run)."""
    code = (
        "import io, contextlib\n"
        "from sim.cli import COMMANDS, main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    for name in COMMANDS: main([name, '--help'])\n"
        "import pandas as pd, scipy.stats as st, matplotlib.pyplot as plt, mesa, pyarrow as pa\n"
        "from SALib.analyze import sobol\n"
        "assert pd.DataFrame({'a': [1]}).shape == (1, 1) and round(st.norm.ppf(0.975), 2) == 1.96\n"
        "assert plt.figure() is not None and mesa.Model and pa.table({'a': [1]}).num_rows == 1\n"
        "from sim.studies import compare\n"
        "assert compare.pd is pd\n"
        "print('ok')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-3000:]


def test_shared_flags_mean_the_same_everywhere():
    from sim.cli.design import METHODS, run_overrides
    from sim.cli.options import flags_to_overrides
    from sim.cli.run import run_flags
    from sim.cli.whatif import merge_flags, parse, parse_args
    from sim.exec import designs

    assert flags_to_overrides(["--steps=5", "a=1"]) == ["a=1", "steps=5"]
    assert run_flags(["--replicates", "3", "--out", "d"]) == ["replicates=3", "hydra.run.dir=d"]
    assert (
        run_flags(["-m", "--workers", "3", "hydra/launcher=local_parallel"])[-1]
        == "hydra.launcher.n_jobs=3"
    )
    ns = parse_args(["scenario=a", "intervention=b", "--replicates", "3", "--out", "o"])
    assert merge_flags(ns, parse(ns.args)[0]) == {
        "scenario": "a",
        "intervention": "b",
        "replicates": 3,
        "out": "o",
    }
    assert METHODS == designs.METHODS
    import argparse

    assert run_overrides(argparse.Namespace(replicates=None, steps=7, workers=None)) == ["steps=7"]


def test_run_workers_needs_a_sweep(capsys):
    assert main(["run", "--workers", "2"]) == 2
    assert "--workers is for a sweep (-m)" in capsys.readouterr().err


# --- typos: the nearest valid key or option, one line, status 2 ------------------------------


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["regime.broadcst_rate=0.5"], "did you mean regime.broadcast_rate?"),
        (["stepz=3"], "did you mean steps?"),
        (
            ["regime=conversatinal"],
            "did you mean conversational? (regime is one of broadcast, conversational, hybrid)",
        ),
        (["-m", "regime=broadcast,conversatinal"], "did you mean conversational?"),
        (["-m", "org.sise=20,40"], "did you mean org.size?"),
    ],
)
def test_run_explains_typos(args, said, tmp_path, capsys):
    assert main(["run", *args, f"hydra.run.dir={tmp_path}", f"hydra.sweep.dir={tmp_path}"]) == 2
    err = capsys.readouterr().err
    assert said in err and "regime_schema" not in err and "+regime" not in err
    assert err.startswith("agora run: invalid configuration, no job was started:")
    assert err.count("\n") == 1
    assert not any(tmp_path.iterdir())


# --- no tracebacks -------------------------------------------------------------------------


def test_a_missing_folder_is_one_line(tmp_path):
    design = tmp_path / "design"
    assert (
        main(
            [
                "design",
                "--method",
                "morris",
                "--n",
                "10",
                "regime.mix=0:1",
                "org.size=20:40",
                "--out",
                str(design),
            ]
        )
        == 0
    )
    for args in (
        ["sensitivity", str(design), "multirun/nope"],
        ["sensitivity", "designs/nope", "multirun/nope"],
        ["aggregate", "multirun/nope"],
    ):
        done = agora(*args, cwd=tmp_path)
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr and "nope" in done.stderr
        assert done.stderr.count("\n") == 1, done.stderr


@pytest.mark.slow
def test_aggregation_shows_progress_unless_told_not_to(tmp_path, capsys):
    sweep = agora(
        "run",
        "-m",
        "--steps",
        "2",
        "org.size=20",
        "stakeholders.count=5",
        "seed=0,1,2",
        "--out",
        "sw",
        cwd=tmp_path,
    )
    assert sweep.returncode == 0, sweep.stderr
    assert main(["aggregate", str(tmp_path / "sw"), "--no-plots"]) == 0
    err = capsys.readouterr().err
    assert "aggregate" in err and "/3" in err  # tqdm's "n/3 [..., job/s]" on stderr
    assert main(["aggregate", str(tmp_path / "sw"), "--no-plots", "--no-progress"]) == 0
    assert capsys.readouterr().err == ""


def test_a_closed_pipe_is_quiet(tmp_path):
    script = shutil.which("agora", path=os.path.dirname(sys.executable))
    cmd = [script] if script else [sys.executable, "-m", "sim.cli"]
    for args in (["run", "--help"], ["scenarios", "--settings"]):
        proc = subprocess.Popen(
            [*cmd, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path
        )
        proc.stdout.read(10)  # read a little, as `head -c 10` would, then hang up
        proc.stdout.close()
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=120) in (0, 141)
        assert "Traceback" not in err and "BrokenPipe" not in err, err


def test_a_usage_error_is_status_2(capsys):
    assert main(["animate", "--every"]) == 2
    assert "agora animate: error" in capsys.readouterr().err


def test_a_missing_command_module_is_reported(monkeypatch, capsys):
    from sim import cli

    monkeypatch.setitem(cli.COMMANDS, "ghost", cli.Command("sim.runs.no_such_module", "x"))
    assert main(["ghost"]) == 2
    assert "sim.runs.no_such_module is not in this installation" in capsys.readouterr().err


# --- flags and overrides in either order -----------------------------------------------------


def test_compare_takes_overrides_around_flags():
    from sim.cli.compare import parse_args

    a = parse_args(["steps=50", "--replicates", "2", "org.size=80"])
    b = parse_args(["--replicates", "2", "steps=50", "org.size=80"])
    assert a == b
    assert a.overrides == ["steps=50", "org.size=80"] and a.replicates == 2


def test_whatif_takes_key_values_around_flags():
    from sim.cli.whatif import parse_args

    a = parse_args(["scenario=default", "intervention=flatten", "--no-progress", "--out", "D"])
    b = parse_args(["--no-progress", "scenario=default", "--out", "D", "intervention=flatten"])
    assert a.no_progress and b.no_progress and a.out == b.out == "D"
    assert sorted(a.args) == sorted(b.args) == ["intervention=flatten", "scenario=default"]


def test_animate_takes_overrides_around_flags():
    from sim.cli.animate import parse_args

    a = parse_args(["--every", "5", "steps=10", "--quiet", "regime=broadcast"])
    b = parse_args(["steps=10", "regime=broadcast", "--every", "5", "--quiet"])
    assert a == b
    assert a.overrides == ["steps=10", "regime=broadcast"] and a.every == 5 and a.quiet


def test_design_takes_ranges_around_flags(tmp_path, capsys):
    out = tmp_path / "d"
    assert (
        main(
            [
                "design",
                "regime.mix=0:1",
                "--method",
                "lhs",
                "org.size=20:40",
                "--n",
                "4",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    command = shlex.split(capsys.readouterr().out.splitlines()[-1])
    # The sweep it prints runs through this interpreter's agora, installed or not.
    assert command[:6] == [
        sys.executable,
        "-m",
        "sim.cli",
        "run",
        "-m",
        f"hydra.searchpath=[file://{out}]",
    ]
    assert (out / "design.csv").is_file()


def test_run_puts_hydra_flags_first():
    assert flags_first(["steps=3", "-m", "seed=0,1"]) == ["-m", "steps=3", "seed=0,1"]
    assert flags_first(["-m", "steps=3"]) == ["-m", "steps=3"]
    assert flags_first(["a=1", "--cfg", "job", "b=2"]) == ["--cfg", "job", "a=1", "b=2"]
    assert with_validation(["-m", "a=1"]) == ["-m", "a=1", "hydra/callbacks=agora"]
    assert with_validation(["--help"]) == ["--help"]


def test_run_refuses_a_bad_value_before_running(tmp_path, capsys):
    assert main(["run", "hierarchy.relay=1.5", f"hydra.run.dir={tmp_path / 'x'}"]) != 0
    assert not (tmp_path / "x" / "metrics.parquet").exists()


# --- real runs from outside the checkout -----------------------------------------------------


@pytest.mark.slow
def test_run_and_sweep_from_outside_the_checkout_say_where_they_wrote(tmp_path):
    done = agora(
        "run", "steps=3", "org.size=20", "stakeholders.count=5", "hydra.run.dir=one", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert f"ok: {tmp_path / 'one'}" in done.stdout
    assert (tmp_path / "one" / "metrics.parquet").is_file()
    # An override before -m, another after it.
    sweep = agora(
        "run",
        "steps=2",
        "-m",
        "org.size=20",
        "stakeholders.count=5",
        "seed=0,1",
        "hydra.sweep.dir=sw",
        cwd=tmp_path,
    )
    assert sweep.returncode == 0, sweep.stderr
    for job in ("0", "1"):
        assert f"ok: {tmp_path / 'sw' / job}" in sweep.stdout
        assert (tmp_path / "sw" / job / "metrics.parquet").is_file()


def test_python_api_from_outside_the_checkout(tmp_path):
    code = (
        "from sim import simulate, load_config\n"
        "r = simulate(load_config(['steps=3']))\n"
        "from sim.model import AgoraModel\n"
        "m = AgoraModel({'org': {'size': 30}, 'stakeholders': {'count': 5}}, seed=1)\n"
        "m.step()\n"
        "c = simulate(load_config(['scenario=sample_company', 'steps=1']))\n"
        "print(int(r.metrics['step'].max()), len(m.individuals), len(c.metrics))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert done.returncode == 0, done.stderr
    last, people, rows = done.stdout.split()
    assert (last, people, rows) == ("3", "30", "2")


# --- the app ---------------------------------------------------------------------------------


def test_app_binds_to_localhost_unless_told(capsys):
    assert main(["app", "--dry-run"]) == 0
    default = capsys.readouterr().out.split()
    assert default[default.index("--host") + 1] == "127.0.0.1"
    assert default[default.index("run") + 1].endswith(os.path.join("sim", "app.py"))
    assert "--production" in default  # visitors see no tracebacks, nothing reloads
    assert (
        main(
            [
                "app",
                "--host",
                "0.0.0.0",
                "--port",
                "9001",
                "--dev",
                "--dry-run",
                "--",
                "--theme-variant",
                "dark",
            ]
        )
        == 0
    )
    chosen = capsys.readouterr().out.split()
    assert chosen[chosen.index("--host") + 1] == "0.0.0.0"
    assert chosen[chosen.index("--port") + 1] == "9001" and chosen[-2:] == [
        "--theme-variant",
        "dark",
    ]
    assert "--production" not in chosen


def test_app_serves_the_page_on_127_0_0_1(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    script = shutil.which("agora", path=os.path.dirname(sys.executable))
    cmd = [script] if script else [sys.executable, "-m", "sim.cli"]
    log = tmp_path / "app.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [*cmd, "app", "--port", str(port)],
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as page:
                    assert page.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, f"no page within 120 s:\n{log.read_text()}"
                time.sleep(0.5)
        # Stopping agora stops the server it started.
        proc.terminate()
        proc.wait(timeout=60)
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
            except OSError:
                break
            assert time.monotonic() < deadline, "the server outlived agora app"
            time.sleep(0.5)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # whatever is left of the group
        except ProcessLookupError:
            pass
        proc.wait(timeout=30)
    assert f"serving the teaching app at http://127.0.0.1:{port}/" in log.read_text()


def test_the_app_leaves_the_allocator_alone_and_simulating_commands_keep_memory(monkeypatch):
    """A long-lived server returns what ended sessions freed (issue 27); simulations keep
    freed memory for their next step (issue 26)."""
    import sim.util.memory as memory
    from sim.cli import COMMANDS, main

    calls = []
    monkeypatch.setattr(memory, "keep_freed_memory", lambda: calls.append(1) or True)
    assert [n for n, c in COMMANDS.items() if c.server] == ["app"]
    main(["app", "--help"])
    assert calls == []
    main(["scenarios"])
    assert calls == [1]
