"""A class on one server: N students open the lab, all press Step, then all Play.

Run: ``python benchmarks/bench_classroom.py --sessions 1 10 30 [--browsers 2] [--steps 10]
[--play 60] [--out benchmarks/results/classroom.json]``

For each N it starts ``solara run sim/app.py`` as ``agora app`` serves it (production mode, the
environment of :func:`sim.cli.app.server_env`, on a free port on 127.0.0.1) and opens N
students at once: ``--browsers`` of them in Debian's ``chromium`` through Playwright (one
browser context each) and the rest as :class:`Student`, a light client that speaks the page's
own protocol (the kernel websocket carrying the widgets' state) and presses the same buttons,
but draws nothing. Thirty browsers drawing on the server's own cores would measure the
browsers; thirty light students measure the server. It reports, per kind of student:

- **join**: from asking for the page until the counter and the networks picture are there
  (light), or drawn (``data-step`` set on the client-drawn charts), and the server CPU each
  join took;
- **Step together**: K times, every student presses Step at once; the latency of each press
  until that student has the new step in both its counter and its networks picture (light:
  the server's update arrived; browser: drawn); median, p90, max;
- **Play**: every student sets the run length to its maximum, resets and presses Play at the
  default speed; steps each student saw per second;
- **server CPU per step**: the server process's own CPU time (user + system, from psutil)
  over the phase divided by the steps run in it: the clients' CPU is not in it. The clients
  run at a lower priority (``nice`` 10), so the server is served first; their own CPU is
  reported (``light_clients_cpu_s``);
- **memory**: the server's resident memory idle, with N sessions open, after Play and after
  they left (a closed page ends its session at once), and what the server says it still holds.

The machine is shared: the load average is recorded with each phase. Every wait is bounded
(``--timeout``) and a timeout is reported, not hidden.
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
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Hidden or background pages must keep running their timers like a student's front tab.
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]
VIEWPORT = {"width": 1280, "height": 720}
#: The server hands memory back this long after the last student left (sessions.py).
RELEASE_WAIT_S = 3.0

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
        from sim.cli.app import server_env

        # As `agora app` serves it; a browser starved on a loaded machine may miss heartbeats:
        # its session waits for it to reconnect (closed pages still end their session at once).
        env = {
            **server_env(max_sessions, "10m"),
            "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "PYTHONPATH": str(ROOT),
        }
        self.log = log
        with open(log, "w") as out:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "solara",
                    "run",
                    "sim/app.py",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--no-open",
                    "--production",
                ],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
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

    def in_memory(self) -> str | None:
        """What the server last said it still holds (``n labs and m organizations``)."""
        said = [
            line.split("agora app:")[1].split(", server")[0].strip()
            for line in self.log.read_text().splitlines()
            if "agora app:" in line and "in memory" in line
        ]
        return said[-1] if said else None

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


# -------------------------------------------------------------------- students without a browser

COOKIE = "solara-session-id"


def _jupyter(msg_type: str, content: dict, session: str) -> str:
    """A Jupyter message as the page sends it over the kernel's websocket (JSON text)."""
    import uuid

    header = {
        "msg_id": uuid.uuid4().hex,
        "msg_type": msg_type,
        "session": session,
        "username": "student",
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "version": "5.3",
    }
    return json.dumps(
        {
            "header": header,
            "parent_header": {},
            "metadata": {},
            "content": content,
            "channel": "shell",
            "buffers": [],
        }
    )


def _decoded(raw) -> dict:
    """A message from the server: JSON text, or Jupyter's binary framing (JSON then buffers)."""
    if isinstance(raw, str):
        return json.loads(raw)
    import struct

    nbufs = struct.unpack("!i", raw[:4])[0]
    first, second = struct.unpack("!II", raw[4:12]) if nbufs > 1 else (8, None)
    return json.loads(raw[first:second].decode("utf8"))


class Student:
    """A student without a browser: the page's own protocol (the kernel websocket carrying the
    widgets' state, Jupyter messages), no drawing. It asks for the page (the session cookie),
    opens the kernel's websocket, asks for the app, keeps the state of every widget the server
    sends, presses buttons as the page does (a ``click`` event on the button's widget) and sees
    a step when the counter's text and the networks picture's patch both say it.

    Its own cost is parsing the server's JSON, a small fraction of a browser's: many of them
    on the server's cores measure the server, not the drawing.
    """

    kind = "light"

    def __init__(self, url: str) -> None:
        self.url = url
        self.widgets: dict[str, dict] = {}
        self.counter = self.networks = self.step_button = self.play_button = None
        self.reset_button = self.steps_slider = None
        self.shown = (-1, -1)
        self.changed = asyncio.Event()
        self.ws = None
        self.reader = None
        self.bytes_received = 0

    async def join(self, timeout: float) -> float:
        """Open the lab; seconds until both the counter and the networks picture arrived."""
        import uuid

        import websockets

        started = time.perf_counter()
        cookie = await asyncio.to_thread(self._cookie)
        kernel, page = uuid.uuid4(), uuid.uuid4()
        ws_url = (
            self.url.replace("http://", "ws://")
            + f"jupyter/api/kernels/{kernel}/channels?session_id={page}"
        )
        self.cookie, self.kernel, self.page = cookie, str(kernel), str(page)
        self.ws = await websockets.connect(
            ws_url,
            max_size=None,
            open_timeout=timeout,
            ping_interval=None,
            additional_headers={"Cookie": f"{COOKIE}={cookie}"},
        )
        self.session = page.hex
        self.reader = asyncio.create_task(self._read())
        control = uuid.uuid4().hex
        await self.ws.send(
            _jupyter(
                "comm_open",
                {"comm_id": control, "target_name": "solara.control", "data": {}},
                self.session,
            )
        )
        await self.ws.send(
            _jupyter(
                "comm_msg",
                {
                    "comm_id": control,
                    "data": {
                        "method": "run",
                        "args": {"path": "", "appName": "__default__", "dark": False, "themes": {}},
                    },
                },
                self.session,
            )
        )
        await self.until(lambda: self.shown[0] >= 0 and self.shown[1] >= 0, timeout)
        return time.perf_counter() - started

    def _cookie(self) -> str:
        with urllib.request.urlopen(self.url, timeout=60) as r:
            r.read()
            for header in r.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                if name.strip() == COOKIE:
                    return rest.split(";")[0]
        return ""

    async def until(self, condition, timeout: float) -> None:
        async def wait():
            while not condition():
                self.changed.clear()
                await self.changed.wait()

        await asyncio.wait_for(wait(), timeout)

    async def _read(self) -> None:
        async for raw in self.ws:
            self.bytes_received += len(raw)
            msg = _decoded(raw)
            kind = msg.get("header", {}).get("msg_type")
            content = msg.get("content", {})
            if kind == "comm_open":
                self._update(content["comm_id"], content.get("data", {}).get("state", {}))
            elif kind == "comm_msg" and content.get("data", {}).get("method") == "update":
                self._update(content["comm_id"], content["data"].get("state", {}))
            elif kind == "comm_close":
                self.widgets.pop(content["comm_id"], None)

    def _update(self, comm: str, state: dict) -> None:
        widget = self.widgets.setdefault(comm, {})
        widget.update(state)
        classes = f"{widget.get('class_') or ''} {widget.get('css_class') or ''}".split()
        if "agora-step-count" in classes:
            self.counter = comm
        elif "agora-networks" in classes:
            self.networks = comm
        elif "agora-step" in classes:
            self.step_button = comm
        elif "agora-play" in classes:
            self.play_button = comm
        elif "agora-reset" in classes:
            self.reset_button = comm
        elif "agora-steps" in classes:
            self.steps_slider = comm
        counted, drawn = self.shown
        if comm == self.counter and "text" in state:
            words = state["text"].split()
            counted = int(words[1]) if len(words) > 1 and words[1].isdigit() else -1
        if comm == self.networks:
            for key in ("option", "patch"):  # the step the picture was sent
                if state.get(key):
                    drawn = json.loads(state[key]).get("step", drawn)
        self.shown = (counted, drawn)
        self.changed.set()  # whoever waits looks again

    async def press(self, comm: str | None) -> None:
        if comm is None:
            raise LookupError("the button is not on the page")
        await self.ws.send(
            _jupyter(
                "comm_msg",
                {
                    "comm_id": comm,
                    "data": {"method": "custom", "content": {"event": "click", "data": {}}},
                },
                self.session,
            )
        )

    async def shown_now(self) -> tuple[int, int]:
        return self.shown

    async def play(self) -> None:
        """Press Play (or Pause)."""
        await self.press(self.play_button)

    async def step(self, timeout: float) -> float:
        """Press Step; seconds until the counter and the networks picture show the next one."""
        start = min(self.shown)
        t0 = time.perf_counter()
        await self.press(self.step_button)
        await self.until(lambda: min(self.shown) >= start + 1, timeout)
        return time.perf_counter() - t0

    async def prepare_play(self, timeout: float) -> None:
        """Longest run length (the slider moved to its end), Reset: Play does not reach the end."""
        if self.steps_slider is None:
            raise LookupError("the run length slider is not on the page")
        most = int(self.widgets[self.steps_slider].get("max", 600))
        await self.ws.send(
            _jupyter(
                "comm_msg",
                {
                    "comm_id": self.steps_slider,
                    "data": {"method": "update", "state": {"v_model": most}, "buffer_paths": []},
                },
                self.session,
            )
        )
        await self.until(lambda: self._label().endswith(f": {most}"), timeout)
        await self.press(self.reset_button)
        await self.until(lambda: self.shown == (0, 0) and self._counted_of() == most, timeout)

    def _label(self) -> str:
        return str(self.widgets[self.steps_slider].get("label", ""))

    def _counted_of(self) -> int:
        words = self.widgets[self.counter].get("text", "").split()
        return int(words[-1]) if words and words[-1].isdigit() else -1

    async def leave(self) -> None:
        """Close the page as a browser does: the unload beacon ends the session at once."""
        if self.ws is None:
            return
        request = urllib.request.Request(
            f"{self.url}_solara/api/close/{self.kernel}?session_id={self.page}",
            data=b"",
            method="POST",
            headers={"Cookie": f"{COOKIE}={self.cookie}"},
        )
        try:
            await asyncio.to_thread(lambda: urllib.request.urlopen(request, timeout=60).read())
        finally:
            await self.ws.close()
            if self.reader is not None:
                self.reader.cancel()


def quantiles(xs: list[float]) -> dict:
    if not xs:
        return {"n": 0}
    xs = sorted(xs)
    p90 = xs[min(len(xs) - 1, int(round(0.9 * (len(xs) - 1))))]
    return {
        "n": len(xs),
        "median_s": round(statistics.median(xs), 3),
        "p90_s": round(p90, 3),
        "max_s": round(xs[-1], 3),
    }


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
        polling=25,
        timeout=timeout * 1000,
    )
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
            " return m && parseInt(m.dataset.step) >= 0; }",
            polling=50,
            timeout=timeout * 1000,
        )
    except Exception:  # noqa: BLE001 - a page that did not load is reported, not fatal
        return context, page, None
    return context, page, time.perf_counter() - started


disconnects = [0]


async def press(page, css: str) -> None:
    """Click a button as a student does. Under heavy load a starved browser can miss the
    server's heartbeat and show Solara's "Server disconnected" overlay until it reconnects;
    the click is then dispatched to the button itself (and the overlay counted)."""
    if await page.locator(".v-overlay--active").count():
        disconnects[0] += 1
        await page.locator(css).dispatch_event("click")
    else:
        await page.locator(css).click()


async def prepare_play(page, timeout: float) -> None:
    """Longest run length, Reset: a minute of Play does not reach the end."""
    await page.locator(".agora-steps [role=slider]").focus()
    await page.keyboard.press("End")
    await page.get_by_text("Run length (steps): 600").wait_for(timeout=timeout * 1000)
    await press(page, ".agora-reset")
    await page.get_by_text("Step 0 of 600").wait_for(timeout=timeout * 1000)
    await wait_shown(page, 0, timeout)


class Tab:
    """A student in a real browser tab (Chromium): the same moves as a :class:`Student`, seen
    when the page has drawn them."""

    kind = "browser"

    def __init__(self, context, page) -> None:
        self.context, self.page = context, page

    async def shown_now(self) -> tuple[int, int]:
        return await shown(self.page)

    async def step(self, timeout: float) -> float:
        start = (await shown(self.page))[0]
        t0 = time.perf_counter()
        await press(self.page, ".agora-step")
        return await wait_shown(self.page, start + 1, timeout) - t0

    async def prepare_play(self, timeout: float) -> None:
        await prepare_play(self.page, timeout)

    async def play(self) -> None:
        await press(self.page, ".agora-play")

    async def leave(self) -> None:
        try:
            await self.page.close(run_before_unload=True)  # as a student closes the tab
        except Exception:  # noqa: BLE001 - a page that died: its context goes anyway
            pass
        await self.context.close()


def by_kind(seats, values) -> dict:
    """Values per kind of student (light clients, browser tabs), Nones (timeouts) counted."""
    out = {}
    for kind in ("light", "browser"):
        mine = [v for seat, v in zip(seats, values, strict=True) if seat.kind == kind]
        if mine:
            out[kind] = {
                **quantiles([v for v in mine if v is not None]),
                "not_in_time": sum(v is None for v in mine),
            }
    return out


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


async def join_phase(server, browser, n: int, tabs: int, timeout: float) -> tuple[list, dict]:
    """Everyone opens the lab at once: light students and ``tabs`` Chromium tabs."""
    cpu0, rss0 = server.cpu(), server.rss_mib()
    students = [Student(server.url) for _ in range(n - tabs)]

    async def light(student):
        try:
            return student, await student.join(timeout)
        except Exception:  # noqa: BLE001 - a join not done within the timeout is counted
            return student, None

    async def tab():
        context, page, took = await open_page(browser, server.url, timeout)
        return Tab(context, page), took

    started = time.perf_counter()
    joined = await asyncio.gather(*(light(s) for s in students), *(tab() for _ in range(tabs)))
    seats = [seat for seat, _ in joined]
    report = {
        "all_loaded_s": round(time.perf_counter() - started, 2),
        "load_s": by_kind(seats, [took for _, took in joined]),
        "join_server_cpu_s_each": round((server.cpu() - cpu0) / n, 3),
        "server_rss_open_mib": round(server.rss_mib(), 1),
        "memory_per_session_mib": round((server.rss_mib() - rss0) / n, 1),
        "sessions_counted": server.sessions_open(),
        "load_average": loadavg(),
    }
    return [seat for seat, took in joined if took is not None], report


async def step_phase(server, seats, rounds: int, timeout: float) -> dict:
    """Everyone presses Step at once, ``rounds`` times; the latency of each press until the
    student sees the next step (light: the server's update arrived; browser: drawn)."""

    async def one(seat):
        try:
            return await seat.step(timeout)
        except Exception:  # noqa: BLE001 - a press not shown within the timeout
            return None

    cpu0, latencies, order = server.cpu(), [], []
    for _ in range(rounds):
        latencies += await asyncio.gather(*(one(seat) for seat in seats))
        order += seats
    return {
        **by_kind(order, latencies),
        "rounds": rounds,
        "server_cpu_per_step_s": round((server.cpu() - cpu0) / (rounds * len(seats)), 4),
        "load_average": loadavg(),
    }


async def play_phase(server, seats, seconds: float, timeout: float) -> dict:
    """Everyone sets the longest run, resets and presses Play for ``seconds``: the steps each
    student sees per second."""
    ready = await asyncio.gather(
        *(seat.prepare_play(timeout) for seat in seats), return_exceptions=True
    )
    seats = [seat for seat, r in zip(seats, ready, strict=True) if r is None]
    before = [await seat.shown_now() for seat in seats]
    cpu0, t0 = server.cpu(), time.perf_counter()
    await asyncio.gather(*(seat.play() for seat in seats))
    await asyncio.sleep(seconds)
    after = [await seat.shown_now() for seat in seats]
    elapsed, cpu = time.perf_counter() - t0, server.cpu() - cpu0
    await asyncio.gather(*(seat.play() for seat in seats), return_exceptions=True)  # Pause
    out = {"seats_playing": len(seats), "seconds": round(elapsed, 1), "load_average": loadavg()}
    seen = [a[0] - b[0] if min(a + b) >= 0 else None for a, b in zip(after, before, strict=True)]
    for kind in ("light", "browser"):
        rates = [
            c / elapsed
            for seat, c in zip(seats, seen, strict=True)
            if seat.kind == kind and c is not None
        ]
        if rates:
            out[f"steps_per_s_each_{kind}"] = {
                "min": round(min(rates), 2),
                "median": round(statistics.median(rates), 2),
                "max": round(max(rates), 2),
            }
    steps = sum(c for c in seen if c is not None)
    out |= {
        "server_cpu_per_step_s": round(cpu / max(1, steps), 4),
        "server_cpu_share_of_one_core": round(cpu / elapsed, 2),
    }
    return out


async def classroom(n: int, tabs: int, steps: int, play: float, timeout: float) -> dict:
    """One class of ``n`` students, ``tabs`` of them in Chromium, the rest light clients."""
    from playwright.async_api import async_playwright

    tabs = min(tabs, n)
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"agora-classroom-{os.getpid()}-{n}.log"
    server = Server(max_sessions=n + 2, log=log)
    result: dict = {
        "sessions": n,
        "browser_tabs": tabs,
        "light_students": n - tabs,
        "load_average_start": loadavg(),
    }
    own0 = time.process_time()
    try:
        await asyncio.sleep(2)
        result["server_rss_idle_mib"] = round(server.rss_mib(), 1)
        # The clients (and Playwright's driver and Chromium, which inherit it) yield to the
        # server: its latency is what is measured.
        os.nice(10)
        async with async_playwright() as pw:
            browser = (
                await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                if tabs
                else None
            )
            seats, result["join"] = await join_phase(server, browser, n, tabs, timeout)
            result["step_together"] = await step_phase(server, seats, steps, timeout)
            if play > 0:
                result["play"] = await play_phase(server, seats, play, timeout)
            result["server_rss_after_play_mib"] = round(server.rss_mib(), 1)
            result["disconnects_seen"] = disconnects[0]
            await asyncio.gather(*(seat.leave() for seat in seats), return_exceptions=True)
            if browser is not None:
                await browser.close()
        result["light_clients_cpu_s"] = round(time.process_time() - own0, 2)
        await closed(server, result)
    finally:
        server.stop()
    return result


async def closed(server, result: dict) -> None:
    """Wait until the server counted everyone out and handed their memory back; its size."""
    deadline = time.monotonic() + 60
    while server.sessions_open() not in (0, None) and time.monotonic() < deadline:
        await asyncio.sleep(1)
    await asyncio.sleep(3 + RELEASE_WAIT_S)
    result["sessions_after_close"] = server.sessions_open()
    result["in_memory_after_close"] = server.in_memory()
    result["server_rss_closed_mib"] = round(server.rss_mib(), 1)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 10])
    parser.add_argument(
        "--browsers",
        type=int,
        default=2,
        help="students in real Chromium tabs (default 2); the others are light "
        "clients speaking the page's protocol without drawing",
    )
    parser.add_argument("--steps", type=int, default=10, help="Step presses each (default 10)")
    parser.add_argument("--play", type=float, default=60.0, help="seconds of Play (default 60)")
    parser.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        help="longest wait for one page (s); a page slower than that is "
        "counted as not loaded, a press as not shown",
    )
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/classroom.json"))
    args = parser.parse_args(argv)
    if args.browsers and (not CHROMIUM.exists() or shutil.which("chromium") is None):
        print("needs Debian's chromium at /usr/bin/chromium", file=sys.stderr)
        return 2
    results = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version()}, "runs": []}
    if args.out.exists():  # keep the other sizes measured before
        try:
            old = json.loads(args.out.read_text())
            results["runs"] = [
                r for r in old.get("runs", []) if r.get("sessions") not in args.sessions
            ]
        except (ValueError, OSError):
            pass
    for n in args.sessions:
        # Each size in a fresh process state: the niceness is per process, so a child runs it.
        run = (
            asyncio.run(classroom(n, args.browsers, args.steps, args.play, args.timeout))
            if len(args.sessions) == 1
            else _in_child(n, args)
        )
        print(json.dumps(run, indent=2), flush=True)
        results["runs"].append(run)
    results["runs"].sort(key=lambda r: r["sessions"])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    return 0


def _in_child(n: int, args) -> dict:
    """One size in a child process (the benchmark lowers its own priority for the browsers)."""
    out = Path(os.environ.get("TMPDIR", "/tmp")) / f"agora-classroom-{os.getpid()}-{n}.json"
    cmd = [
        sys.executable,
        __file__,
        "--sessions",
        str(n),
        "--browsers",
        str(args.browsers),
        "--steps",
        str(args.steps),
        "--play",
        str(args.play),
        "--timeout",
        str(args.timeout),
        "--out",
        str(out),
    ]
    subprocess.run(cmd, check=True, cwd=ROOT)
    return next(r for r in json.loads(out.read_text())["runs"] if r["sessions"] == n)


if __name__ == "__main__":
    raise SystemExit(main())
