"""A class on one server: N students open the lab in Chromium, all press Step, then all Play.

Run: ``python benchmarks/bench_classroom.py --sessions 1 10 30 [--steps 10] [--play 60]
[--out benchmarks/results/classroom.json]``

For each N it starts ``solara run sim/app.py`` (production mode, on a free port on 127.0.0.1),
opens N sessions in Debian's ``chromium`` through Playwright (one browser context each: N
students), and measures

- **load**: from the first page asked for until every page shows both pictures drawn
  (``data-step`` set on the client-drawn charts), and the server CPU the joins took;
- **Step together**: K times, every student presses Step at once; the latency of each press is
  until that page's counter *and* its networks picture show the new step; median, p90, max;
- **Play for a while**: every student sets the run length to its maximum, resets and presses
  Play at the default speed; steps each student saw per second (the counter, and the picture);
- **server CPU per step**: the server process's own CPU time (user + system, from psutil)
  over the phase divided by the steps run in it: the browsers' CPU is not in it. The
  browsers run at a lower priority (``nice`` 10), so the server is served first;
- **memory**: the server's resident memory before, with N sessions open, and after they
  closed (a closed page ends its session at once).

The machine is shared: the load average is recorded with each result. Browsers and server
share its cores, so latencies include the browsers' drawing; the server's CPU per step does
not. Every wait is bounded (``--timeout``) and a timeout is reported, not hidden.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    # Hidden or background pages must keep running their timers like a student's front tab.
    "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]
VIEWPORT = {"width": 1280, "height": 720}

# Steps shown by a page: its counter and the step its networks picture draws.
SHOWN = """() => {
    const c = document.querySelector('.agora-step-count');
    const n = document.querySelector('.agora-networks');
    if (!c || !n) return [-1, -1];
    return [parseInt(c.innerText.split(' ')[1]), parseInt(n.dataset.step)];
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``solara run sim/app.py`` in its own process group, with its CPU and memory."""

    def __init__(self, max_sessions: int, log: Path) -> None:
        import psutil

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        env = {**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False", "MPLBACKEND": "Agg",
               "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": str(ROOT),
               "AGORA_MAX_SESSIONS": str(max_sessions),
               # A browser starved on a loaded machine may miss heartbeats: its session waits
               # for it to reconnect (closed pages still end their session at once).
               "SOLARA_KERNEL_CULL_TIMEOUT": "10m"}
        self.log = log
        with open(log, "w") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "solara", "run", "sim/app.py", "--host", "127.0.0.1",
                 "--port", str(self.port), "--no-open", "--production"],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )
        self.ps = psutil.Process(self.proc.pid)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(self.url, timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        raise TimeoutError(f"the server did not start:\n{log.read_text()}")

    def cpu(self) -> float:
        """CPU seconds (user + system) of the server and any process it started."""
        total = 0.0
        for p in [self.ps, *self.ps.children(recursive=True)]:
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except Exception:  # noqa: BLE001 - a child that just ended
                pass
        return total

    def rss_mib(self) -> float:
        return self.ps.memory_info().rss / 2**20

    def sessions_open(self) -> int | None:
        """The last count the server printed (``agora app: n of m sessions open``)."""
        last = None
        for line in self.log.read_text().splitlines():
            text = line.split("agora app:")[-1].strip()
            if "agora app:" in line and text.endswith("sessions open") and text[0].isdigit():
                last = int(text.split(" of ")[0])
        return last

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def quantiles(xs: list[float]) -> dict:
    if not xs:
        return {"n": 0}
    xs = sorted(xs)
    p90 = xs[min(len(xs) - 1, int(round(0.9 * (len(xs) - 1))))]
    return {"n": len(xs), "median_s": round(statistics.median(xs), 3), "p90_s": round(p90, 3),
            "max_s": round(xs[-1], 3)}


async def shown(page) -> tuple[int, int]:
    """The step a page's counter and networks picture show ((-1, -1): no answer in a minute)."""
    try:
        a, b = await asyncio.wait_for(page.evaluate(SHOWN), 60)
    except Exception:  # noqa: BLE001 - a page that stopped answering
        return -1, -1
    return int(a), int(b)


async def wait_shown(page, step: int, timeout: float) -> float:
    """Wait until the page's counter and networks picture both show ``step``; when."""
    await page.wait_for_function(
        f"() => {{ const s = ({SHOWN})(); return s[0] >= {step} && s[1] >= {step}; }}",
        polling=25, timeout=timeout * 1000)
    return time.perf_counter()


async def open_page(browser, url: str, timeout: float):
    """A student opens the lab; the time until both pictures are drawn (None: not within
    ``timeout``; the page is then left out of the rest, and counted)."""
    context = await browser.new_context(viewport=VIEWPORT)
    page = await context.new_page()
    page.set_default_timeout(timeout * 1000)
    started = time.perf_counter()
    try:
        await page.goto(url, timeout=timeout * 1000)
        await wait_shown(page, 0, timeout)
        await page.wait_for_function(
            "() => { const m = document.querySelector('.agora-metrics');"
            " return m && parseInt(m.dataset.step) >= 0; }", polling=50, timeout=timeout * 1000)
    except Exception:  # noqa: BLE001 - a page that did not load is reported, not fatal
        return context, page, None
    return context, page, time.perf_counter() - started


disconnects = [0]
missed = [0]


async def press(page, css: str) -> None:
    """Click a button as a student does. Under heavy load a starved browser can miss the
    server's heartbeat and show Solara's "Server disconnected" overlay until it reconnects;
    the click is then dispatched to the button itself (and the overlay counted)."""
    if await page.locator(".v-overlay--active").count():
        disconnects[0] += 1
        await page.locator(css).dispatch_event("click")
    else:
        await page.locator(css).click()


async def step_round(pages, timeout: float) -> list[float]:
    """Every page presses Step at once; each page's latency until it shows the next step."""
    starts = [(await shown(p))[0] for p in pages]

    async def one(page, start):
        t0 = time.perf_counter()
        try:
            await press(page, ".agora-step")
            return await wait_shown(page, start + 1, timeout) - t0
        except Exception:  # noqa: BLE001 - a press not shown within the timeout
            missed[0] += 1
            return None

    done = await asyncio.gather(*(one(p, s) for p, s in zip(pages, starts, strict=True)))
    return [t for t in done if t is not None]


async def prepare_play(page, timeout: float) -> None:
    """Longest run length, Reset: a minute of Play does not reach the end."""
    await page.locator(".agora-steps [role=slider]").focus()
    await page.keyboard.press("End")
    await page.get_by_text("Run length (steps): 600").wait_for(timeout=timeout * 1000)
    await press(page, ".agora-reset")
    await page.get_by_text("Step 0 of 600").wait_for(timeout=timeout * 1000)
    await wait_shown(page, 0, timeout)


async def classroom(n: int, steps: int, play: float, timeout: float) -> dict:
    from playwright.async_api import async_playwright

    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"agora-classroom-{os.getpid()}-{n}.log"
    server = Server(max_sessions=n + 2, log=log)
    result: dict = {"sessions": n, "load_average": os.getloadavg()}
    try:
        await asyncio.sleep(2)
        rss0, cpu0 = server.rss_mib(), server.cpu()
        result["server_rss_idle_mib"] = round(rss0, 1)
        # The browsers (Playwright's driver and Chromium inherit it) yield to the server.
        os.nice(10)
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            started = time.perf_counter()
            opened = await asyncio.gather(*(open_page(browser, server.url, timeout)
                                            for _ in range(n)))
            result["all_loaded_s"] = round(time.perf_counter() - started, 2)
            result["load_s"] = quantiles([o[2] for o in opened if o[2] is not None])
            result["pages_not_loaded"] = sum(o[2] is None for o in opened)
            cpu1 = server.cpu()
            result["join_server_cpu_s_each"] = round((cpu1 - cpu0) / n, 3)
            rss1 = server.rss_mib()
            result["server_rss_open_mib"] = round(rss1, 1)
            result["memory_per_session_mib"] = round((rss1 - rss0) / n, 1)
            result["sessions_counted"] = server.sessions_open()
            pages = [o[1] for o in opened if o[2] is not None]

            latencies = []
            cpu_a = server.cpu()
            for _ in range(steps):
                latencies += await step_round(pages, timeout)
            cpu_b = server.cpu()
            result["step_together"] = {**quantiles(latencies), "rounds": steps,
                                       "presses_not_shown_in_time": missed[0],
                                       "server_cpu_per_step_s": round(
                                           (cpu_b - cpu_a) / (steps * n), 4)}

            ready = await asyncio.gather(*(prepare_play(p, timeout) for p in pages),
                                         return_exceptions=True)
            pages = [p for p, r in zip(pages, ready, strict=True) if r is None]
            result["pages_playing"] = len(pages)
            before = [await shown(p) for p in pages]
            cpu_c, t0 = server.cpu(), time.perf_counter()
            await asyncio.gather(*(press(p, ".agora-play") for p in pages))
            await asyncio.sleep(play)
            after = [await shown(p) for p in pages]
            elapsed, cpu_d = time.perf_counter() - t0, server.cpu()
            await asyncio.gather(*(press(p, ".agora-play") for p in pages),
                                 return_exceptions=True)  # Pause
            result["disconnects_seen"] = disconnects[0]
            answered = [(a, b) for a, b in zip(after, before, strict=True)
                        if a[0] >= 0 and b[0] >= 0]
            result["play"] = {"pages_answering": len(answered)}
            counted = [a[0] - b[0] for a, b in answered] or [0]
            drawn = [a[1] - b[1] for a, b in answered] or [0]
            rates = [c / elapsed for c in counted]
            result["play"] |= {
                "seconds": round(elapsed, 1),
                "steps_per_s_each": {"min": round(min(rates), 2),
                                     "median": round(statistics.median(rates), 2),
                                     "max": round(max(rates), 2)},
                "pictures_per_s_each_median": round(statistics.median(drawn) / elapsed, 2),
                "server_cpu_per_step_s": round((cpu_d - cpu_c) / max(1, sum(counted)), 4),
                "server_cpu_share_of_one_core": round((cpu_d - cpu_c) / elapsed, 2),
            }
            result["server_rss_after_play_mib"] = round(server.rss_mib(), 1)
            for context, page, _ in opened:
                try:
                    await page.close(run_before_unload=True)  # as a student closes the tab
                except Exception:  # noqa: BLE001 - a page that died: its context goes anyway
                    pass
                await context.close()
            await browser.close()
        deadline = time.monotonic() + 60
        while server.sessions_open() not in (0, None) and time.monotonic() < deadline:
            await asyncio.sleep(1)
        await asyncio.sleep(2)
        result["sessions_after_close"] = server.sessions_open()
        result["server_rss_closed_mib"] = round(server.rss_mib(), 1)
    finally:
        server.stop()
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--steps", type=int, default=10, help="Step presses each (default 10)")
    parser.add_argument("--play", type=float, default=60.0, help="seconds of Play (default 60)")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="longest wait for one page (s); a page slower than that is "
                             "counted as not loaded, a press as not shown")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/classroom.json"))
    args = parser.parse_args(argv)
    if not CHROMIUM.exists() or shutil.which("chromium") is None:
        print("needs Debian's chromium at /usr/bin/chromium", file=sys.stderr)
        return 2
    results = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
               "runs": []}
    if args.out.exists():  # keep the other sizes measured before
        try:
            old = json.loads(args.out.read_text())
            results["runs"] = [r for r in old.get("runs", [])
                               if r.get("sessions") not in args.sessions]
        except (ValueError, OSError):
            pass
    for n in args.sessions:
        # Each size in a fresh process state: the niceness is per process, so a child runs it.
        run = asyncio.run(classroom(n, args.steps, args.play, args.timeout)) if len(
            args.sessions) == 1 else _in_child(n, args)
        print(json.dumps(run, indent=2), flush=True)
        results["runs"].append(run)
    results["runs"].sort(key=lambda r: r["sessions"])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    return 0


def _in_child(n: int, args) -> dict:
    """One size in a child process (the benchmark lowers its own priority for the browsers)."""
    out = Path(os.environ.get("TMPDIR", "/tmp")) / f"agora-classroom-{os.getpid()}-{n}.json"
    cmd = [sys.executable, __file__, "--sessions", str(n), "--steps", str(args.steps),
           "--play", str(args.play), "--timeout", str(args.timeout), "--out", str(out)]
    subprocess.run(cmd, check=True, cwd=ROOT)
    return next(r for r in json.loads(out.read_text())["runs"] if r["sessions"] == n)


if __name__ == "__main__":
    raise SystemExit(main())
