"""The served app in a real headless Chromium at a projector's 1280 x 720.

``solara run sim/app.py`` is started once for the module, on a free port bound to 127.0.0.1,
and driven with Playwright's sync API through Debian's ``chromium`` (``apt-get install
chromium``; Playwright's own browser downloads are not used). One page is shared by the tests
(each opens the tab it needs), which keeps the module near a minute and a half. Screenshots go
to the test's ``tmp_path``, or with ``AGORA_UPDATE_DOCS_IMAGES=1`` to ``docs/img/teaching/``
for ``docs/teaching.md`` (see ``tests/conftest.py``).
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest
from conftest import docs_images
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking switches Chromium's own connections are refused in CI.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 720}
#: How long any wait may take (ms) before the test fails.
WAIT_MS = 180_000
#: Sessions opened and closed by the memory test.
SESSIONS_TESTED = 30
#: Text the page must never show: Mesa's controller settings and Solara's badge.
JARGON = ("Play Interval", "Render Interval", "Use Threads", "runs on Solara", "Made with Solara")

pytestmark = [pytest.mark.browser]


def require_chromium() -> None:
    """Skip without Debian's chromium; under CI (``CI=true``) fail instead: there the real
    browser is part of what is tested."""
    if CHROMIUM.exists():
        return
    message = "needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message)
    pytest.skip(message)


def start_server(log: Path, max_sessions: int) -> tuple[subprocess.Popen, str, int]:
    """``solara run sim/app.py`` on a free loopback port, serving at most ``max_sessions``."""
    solara = shutil.which("solara", path=os.path.dirname(sys.executable)) or shutil.which("solara")
    if solara is None:
        pytest.skip("the solara command is not installed")
    port = free_port()
    env = {
        **os.environ,
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",  # no calls home from a test
        "MPLBACKEND": "Agg",
        "AGORA_MAX_SESSIONS": str(max_sessions),
        # A session whose browser went away without closing the page ends after a minute (a
        # browser starved on a loaded machine may reconnect a little late).
        "SOLARA_KERNEL_CULL_TIMEOUT": "60s",
    }
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [
                solara,
                "run",
                "sim/app.py",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-open",
                "--production",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_serving(url, proc, log)
    except Exception:
        stop_server(proc)
        raise
    return proc, url, port


def stop_server(proc: subprocess.Popen) -> None:
    # The server runs in its own session: end exactly that process group.
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_serving(url: str, proc: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"solara exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"solara did not serve {url} within {timeout} s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_chromium()
    log = tmp_path_factory.mktemp("solara") / "server.log"
    proc, url, port = start_server(log, SESSIONS_TESTED + 5)
    try:
        yield url, port, proc, log
    finally:
        stop_server(proc)


@pytest.fixture(scope="module")
def browser():
    """One Chromium for the module (Playwright's sync API runs one at a time)."""
    from playwright.sync_api import sync_playwright

    require_chromium()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def page(server, browser):
    url = server[0]
    page = browser.new_page(viewport=VIEWPORT, accept_downloads=True)
    # Generous waits: in CI this shares two cores with the Ray and SLURM tests (what is
    # checked is the result, never how fast it came; the speed targets are in
    # benchmarks/bench_app.py and benchmarks/bench_classroom.py).
    page.set_default_timeout(WAIT_MS)
    page.goto(url, timeout=90_000)
    page.locator(".agora-step-count").wait_for(timeout=90_000)
    yield page
    page.close()


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def screenshot(page, tmp_path: Path, name: str) -> Path:
    folder = docs_images(tmp_path)
    tmp = folder / f".{name}.{os.getpid()}.tmp.png"
    tmp.write_bytes(page.screenshot(full_page=False))
    os.replace(tmp, folder / f"{name}.png")
    return folder / f"{name}.png"


def current_step(page) -> int:
    return int(page.locator(".agora-step-count").inner_text().split()[1])


def click_step(page, times: int) -> int:
    """Press Step ``times`` times, each time waiting for the counter; the step reached."""
    start = current_step(page)
    for i in range(1, times + 1):
        page.locator(".agora-step").click()
        page.get_by_text(f"Step {start + i} of", exact=False).wait_for()
    return start + times


def assert_legible(page) -> None:
    """Every visible text on the page is at least 12 px."""
    smallest = page.evaluate("""() => {
        let out = [];
        for (const el of document.querySelectorAll('body *')) {
            const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
            const box = el.getBoundingClientRect();
            if (!own || box.width === 0 || box.height === 0) continue;
            const size = parseFloat(getComputedStyle(el).fontSize);
            out.push([size, el.textContent.trim().slice(0, 30)]);
        }
        return out.sort((a, b) => a[0] - b[0]).slice(0, 3);
    }""")
    assert smallest and smallest[0][0] >= 12, smallest


def test_served_on_loopback_only(server):
    port = server[1]
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass
    # Not reachable on another interface address of this machine.
    try:
        other = socket.gethostbyname(socket.gethostname())
    except OSError:
        other = "127.0.0.1"
    if not other.startswith("127."):
        with pytest.raises(OSError):
            socket.create_connection((other, port), timeout=2).close()


def drawn_step(page, css: str) -> int:
    """The step a client-drawn picture shows (its ``data-step``)."""
    return int(page.locator(css).get_attribute("data-step"))


def wait_drawn(page, css: str, step: int) -> None:
    page.wait_for_function(
        f"() => {{ const e = document.querySelector('{css}');"
        f" return e && parseInt(e.dataset.step) >= {step}; }}",
        polling=100,
    )


def chart_option(page, css: str) -> dict:
    """What the browser's chart holds (its ECharts option), read in the browser."""
    return page.evaluate(
        f"() => JSON.parse(JSON.stringify(document.querySelector('{css} > div')"
        ".agoraChart.getOption()))"
    )


def smallest_font(option: dict) -> float:
    sizes = [t["textStyle"]["fontSize"] for t in option.get("title", []) if t.get("text")]
    for axis in option.get("xAxis", []) + option.get("yAxis", []):
        if axis.get("show", True) and axis.get("axisLabel", {}).get("show", True):
            sizes.append(axis["axisLabel"]["fontSize"])
    return min(sizes)


def test_side_by_side_steps_both_and_is_legible(page, tmp_path):
    open_tab(page, "Side by side")
    wait_drawn(page, ".agora-networks", 0)
    before = chart_option(page, ".agora-networks")
    start = click_step(page, 3)
    # Both pictures are drawn in the browser and follow the steps.
    wait_drawn(page, ".agora-networks", start)
    wait_drawn(page, ".agora-metrics", start)
    after = chart_option(page, ".agora-networks")
    dots = [s for s in after["series"] if s["type"] == "scatter"]
    assert len(dots) == 2  # one organization each, headed A and B in their colours
    heads = [t["text"] for t in after["title"] if t["id"].startswith("head-")]
    assert heads == ["A: broadcast end", "B: conversational end"]
    steps = [t["text"] for t in after["title"] if t["id"].startswith("step-")]
    assert all(t.startswith(f"step {start}:") for t in steps), steps

    def colours(option):
        return [
            d["itemStyle"]["color"]
            for s in option["series"]
            if s["type"] == "scatter"
            for d in s["data"]
        ]

    assert colours(after) != colours(before)
    curves = chart_option(page, ".agora-metrics")
    lines = [s for s in curves["series"] if s["type"] == "line"]
    assert len(lines) == 18 and all(len(s["data"]) == start + 1 for s in lines)
    # Play keeps stepping both until Pause.
    page.locator(".agora-play").click()
    page.get_by_text(f"Step {start + 2} of", exact=False).wait_for()
    page.get_by_role("button", name="Pause").click()
    page.get_by_role("button", name="Play").wait_for()
    # Each picture is shown at about its drawn size, its text at least 12 px.
    sizes = page.eval_on_selector_all(
        ".agora-networks canvas, .agora-metrics canvas",
        "els => els.map(e => [e.clientWidth, e.clientHeight])",
    )
    assert len(sizes) >= 2 and all(w >= 800 and h >= 450 for w, h in sizes), sizes
    for css in (".agora-networks", ".agora-metrics"):
        assert smallest_font(chart_option(page, css)) >= 12
    text = page.evaluate("() => document.body.innerText")
    for word in JARGON:
        assert word not in text
    assert_legible(page)
    # Nothing sits on top of the pictures (the point near the top centre is the picture's).
    covered = page.evaluate("""() => [...document.querySelectorAll(
            '.agora-networks, .agora-metrics')].map(el => {
        const r = el.getBoundingClientRect();
        const x = r.left + r.width / 2, y = Math.min(r.top + 60, window.innerHeight - 5);
        return el.contains(document.elementFromPoint(x, y)) || r.top > window.innerHeight;
    })""")
    assert all(covered), covered
    screenshot(page, tmp_path, "app")


def test_play_pauses_when_the_tab_is_hidden(page):
    open_tab(page, "Side by side")
    page.locator(".agora-play").click()
    page.get_by_role("button", name="Pause").wait_for()
    # The tab goes to the background (document.visibilityState becomes "hidden").
    page.evaluate("""() => {
        Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true});
        document.dispatchEvent(new Event('visibilitychange'));
    }""")
    page.get_by_role("button", name="Play").wait_for()
    stopped = current_step(page)
    time.sleep(1.5)
    assert current_step(page) == stopped
    page.evaluate("""() => {
        Object.defineProperty(document, 'visibilityState', {value: 'visible', configurable: true});
    }""")


def download(page, label: str) -> tuple[str, bytes]:
    with page.expect_download(timeout=WAIT_MS) as info:
        page.get_by_role("button", name=label).click()
    d = info.value
    return d.suggested_filename, Path(d.path()).read_bytes()


def test_each_export_downloads_a_valid_file(page):
    open_tab(page, "Side by side")
    steps = click_step(page, 2)

    name, data = download(page, "Data (CSV)")
    table = pd.read_csv(io.BytesIO(data))
    assert name.endswith(".csv")
    assert sorted(set(table["organization"])) == ["A", "B"]
    for _, rows in table.groupby("organization"):
        assert rows["step"].tolist() == list(range(steps + 1))
    assert {"engagement", "knowledge_code", "voice_answered"} <= set(table.columns)

    name, data = download(page, "Picture (PNG)")
    assert name.endswith(".png") and data[:8] == b"\x89PNG\r\n\x1a\n"
    assert Image.open(io.BytesIO(data)).size == (960, 1040)

    name, data = download(page, "Animation (GIF)")
    assert name.endswith(".gif") and data[:6] in (b"GIF89a", b"GIF87a")
    gif = Image.open(io.BytesIO(data))
    assert gif.size == (480, 520) and gif.n_frames >= 3


def press_home(page, css: str) -> None:
    """Move a slider to its minimum with the keyboard, as a user can."""
    page.locator(f"{css} [role=slider]").focus()
    page.keyboard.press("Home")


def test_whatif_tab_produces_a_result(page, tmp_path):
    open_tab(page, "What if")
    page.locator(".agora-whatif-run").wait_for()
    # Smallest run: 2 replicates of 20 steps, the change at step 10; for the guide's picture
    # (AGORA_UPDATE_DOCS_IMAGES=1) 6 replicates of 120 steps, the change at step 60.
    more = 4 if os.environ.get("AGORA_UPDATE_DOCS_IMAGES") == "1" else 0
    steps = 20 + 20 * (more + bool(more))
    labels = {
        "replicates": f"Replicates (runs of each): {2 + more}",
        "steps": f"Run length (steps): {steps}",
        "at": f"Change at step: {10 + 10 * (more + bool(more))}",
    }
    for name, label in labels.items():  # each set and shown before the next (they interact)
        press_home(page, f".agora-whatif-{name}")
        for _ in range(more + (1 if more and name != "replicates" else 0)):
            page.keyboard.press("ArrowRight")
        page.get_by_text(label).wait_for()
    page.locator(".agora-whatif-run").click()
    page.locator(".agora-whatif-progress").wait_for()
    summary = page.locator(".agora-whatif-summary")
    summary.wait_for(timeout=2 * WAIT_MS)
    text = summary.inner_text()
    assert "What if: back_to_broadcast in default" in text
    assert f"{2 + more} runs with and {2 + more} without the change" in text
    page.locator(".agora-whatif-plot canvas").wait_for()
    wait_drawn(page, ".agora-whatif-plot", 0)
    plot = chart_option(page, ".agora-whatif-plot")
    assert smallest_font(plot) >= 12
    bands = [s for s in plot["series"] if s.get("areaStyle")]
    assert bands and all(len(s["data"]) == steps + 1 for s in bands)  # steps 0.., 95% CI
    assert_legible(page)
    screenshot(page, tmp_path, "whatif")


def test_guided_experiment_asks_first_and_info_tab(page, tmp_path):
    open_tab(page, "Guided experiments")
    run = page.locator(".agora-run-experiment")
    run.wait_for()
    assert run.is_disabled()  # no run before a prediction
    page.get_by_role("button", name="B ends higher").click()
    run.click()
    outcome = page.locator(".agora-outcome")
    outcome.wait_for()
    said = outcome.inner_text()
    assert "in A and" in said and "You predicted: B ends higher" in said
    wait_drawn(page, ".agora-guided-metrics", 0)
    assert_legible(page)
    screenshot(page, tmp_path, "guided")
    open_tab(page, "Info")
    for section in (
        "What is it?",
        "How it works",
        "How to use it",
        "Things to notice",
        "Things to try",
        "Extending the model",
    ):
        page.get_by_role("heading", name=section).wait_for()
    assert_legible(page)
    screenshot(page, tmp_path, "info")


# --------------------------------------------------------------------------- a class


def sessions_open(log: Path) -> int:
    """The last count of open sessions the server printed on its console."""
    said = [
        line.split("agora app:")[1].strip()
        for line in log.read_text().splitlines()
        if "agora app:" in line
    ]
    counts = [
        int(text.split(" of ")[0])
        for text in said
        if text.endswith("sessions open") and text[0].isdigit()
    ]
    return counts[-1] if counts else 0


def memory_after_the_last_leave(log: Path) -> tuple[int, int] | None:
    """The (labs, organizations) the server said it holds after the last session came or
    went, or None until it says so.

    It says so a few seconds after a session ends, once it has freed the session's memory: a
    report from before that, an earlier class's, is stale.
    """
    said = [
        line.split("agora app:")[1].strip()
        for line in log.read_text().splitlines()
        if "agora app:" in line
    ]
    last_change = max(
        (i for i, text in enumerate(said) if text.endswith("sessions open")), default=-1
    )
    reports = [
        text.split() for text in said[last_change + 1 :] if "organizations in memory" in text
    ]
    return (int(reports[-1][0]), int(reports[-1][3])) if reports else None


def freed_memory(log: Path) -> tuple[int, int]:
    """Wait for :func:`memory_after_the_last_leave` and return it."""
    wait_for(lambda: memory_after_the_last_leave(log) is not None)
    return memory_after_the_last_leave(log)


def server_rss_mib(proc: subprocess.Popen) -> float:
    import psutil

    return psutil.Process(proc.pid).memory_info().rss / 2**20


def wait_for(condition, timeout: float = 180, every: float = 0.5) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the server did not get there in time")
        time.sleep(every)


def open_labs(browser, url: str, n: int, batch: int = 6) -> list:
    """``n`` students, each in a browser context of their own, a few at a time."""
    contexts = []
    for first in range(0, n, batch):
        opened = []
        for _ in range(min(batch, n - first)):
            context = browser.new_context(viewport=VIEWPORT)
            page = context.new_page()
            page.set_default_timeout(WAIT_MS)
            page.goto(url, timeout=WAIT_MS)
            opened.append((context, page))
        for context, page in opened:
            page.locator(".agora-step-count").wait_for()
            wait_drawn(page, ".agora-networks", 0)
            contexts.append(context)
    return contexts


def class_comes_and_goes(browser, url: str, log: Path, proc, base: int) -> float:
    """30 students open the lab, then close their tabs; the server's memory with them open."""
    contexts = open_labs(browser, url, SESSIONS_TESTED)
    wait_for(lambda: sessions_open(log) == base + SESSIONS_TESTED)
    rss_open = server_rss_mib(proc)
    for context in contexts:
        for tab in context.pages:
            tab.close(run_before_unload=True)  # as a student closes the tab
        context.close()
    wait_for(lambda: sessions_open(log) == base)
    # A few seconds after the last one left, the server frees what they left and says how
    # many labs are still in memory: at most the last one, which a thread of the server may
    # still hold while it ends (one, not a class's worth).
    labs, _ = freed_memory(log)
    assert labs <= base + 1, labs
    return rss_open


@pytest.mark.slow
def test_thirty_sessions_end_and_their_memory_returns(server, browser):
    """A class of 30 opens the lab and leaves, twice: the server counts them in and out on its
    console, frees their labs, and the second class reuses the first one's memory (the server
    does not grow class after class)."""
    url, _, proc, log = server
    base = sessions_open(log)
    rss_before = server_rss_mib(proc)
    first = class_comes_and_goes(browser, url, log, proc, base)
    after_first = server_rss_mib(proc)
    class_comes_and_goes(browser, url, log, proc, base)
    after_second = server_rss_mib(proc)
    grew = first - rss_before
    assert grew > 2 * SESSIONS_TESTED, (rss_before, first)  # each took some memory
    assert after_second - after_first < 0.25 * grew, (rss_before, first, after_first, after_second)


@pytest.mark.slow
def test_a_class_leaves_no_organizations_behind(server):
    """30 light students (the page's own protocol without drawing, as in
    ``benchmarks/bench_classroom.py``) open the lab, step, Reset and leave: the server counts
    them out and their organizations leave its memory with their labs (mesa 3.3 kept every
    model ever made: 60 more organizations after such a class)."""
    import asyncio

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_classroom import Student

    url, _, _, log = server
    base = sessions_open(log)

    async def class_of(n: int) -> None:
        students = [Student(url) for _ in range(n)]
        for first in range(0, n, 10):  # ten at a time: a shared test machine
            await asyncio.gather(*(s.join(WAIT_MS / 1000) for s in students[first : first + 10]))
        await asyncio.gather(*(s.step(WAIT_MS / 1000) for s in students))
        await asyncio.gather(*(s.press(s.reset_button) for s in students))
        await asyncio.gather(*(s.leave() for s in students))

    # In a thread of its own: Playwright's sync API keeps an event loop running in this one
    # when another browser test ran first in the same process.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, class_of(SESSIONS_TESTED)).result()
    wait_for(lambda: sessions_open(log) == base)
    labs, organizations = freed_memory(log)
    assert labs <= base + 1, labs
    # Each lab still open holds its pair and, for a moment after a Reset, the one before.
    assert organizations <= 4 * labs, (labs, organizations)


@pytest.mark.slow
def test_a_full_server_says_so_and_frees_the_place(browser, tmp_path):
    """Beyond --max-sessions a student sees a page saying the lab is full (not a spinner);
    when a student leaves, the next one gets a lab."""
    log = tmp_path / "server.log"
    proc, url, _ = start_server(log, max_sessions=1)
    try:
        (first,) = open_labs(browser, url, 1)
        second = browser.new_context(viewport=VIEWPORT)
        page = second.new_page()
        page.set_default_timeout(WAIT_MS)
        page.goto(url, timeout=WAIT_MS)
        page.locator(".agora-full").wait_for()
        assert "The lab is full" in page.locator(".agora-full").inner_text()
        assert page.locator(".agora-step-count").count() == 0
        assert "turned away" in log.read_text()
        first.pages[0].close(run_before_unload=True)
        wait_for(lambda: sessions_open(log) == 0)
        page.reload()
        page.locator(".agora-step-count").wait_for()
        assert sessions_open(log) == 1
        second.close()
    finally:
        stop_server(proc)
