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
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 720}
#: How long any wait may take (ms) before the test fails.
WAIT_MS = 180_000
#: Text the page must never show: Mesa's controller settings and Solara's badge.
JARGON = ("Play Interval", "Render Interval", "Use Threads", "runs on Solara", "Made with Solara")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]


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
    solara = shutil.which("solara", path=os.path.dirname(sys.executable)) or shutil.which("solara")
    if solara is None:
        pytest.skip("the solara command is not installed")
    port = free_port()
    log = tmp_path_factory.mktemp("solara") / "server.log"
    env = {
        **os.environ,
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",  # no calls home from a test
        "MPLBACKEND": "Agg",
    }
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [solara, "run", "sim/app.py", "--host", "127.0.0.1", "--port", str(port),
             "--no-open", "--production"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_serving(url, proc, log)
        yield url, port
    finally:
        # The server runs in its own session: end exactly that process group.
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="module")
def page(server):
    from playwright.sync_api import sync_playwright

    url, _ = server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT, accept_downloads=True)
            # Generous waits: in CI this shares two cores with the Ray and SLURM tests, and a
            # step re-renders two organizations' plots (what is checked is the result, never
            # how fast it came; the speed target is in benchmarks/bench_app.py).
            page.set_default_timeout(WAIT_MS)
            page.goto(url, timeout=90_000)
            page.locator(".agora-step-count").wait_for(timeout=90_000)
            yield page
        finally:
            browser.close()


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
    _, port = server
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


def test_side_by_side_steps_both_and_is_legible(page, tmp_path):
    open_tab(page, "Side by side")
    images = page.locator("img.agora-networks")
    before = images.get_attribute("src")
    start = click_step(page, 3)
    assert images.get_attribute("src") != before
    # Play keeps stepping both until Pause.
    page.locator(".agora-play").click()
    page.get_by_text(f"Step {start + 2} of", exact=False).wait_for()
    page.get_by_role("button", name="Pause").click()
    page.get_by_role("button", name="Play").wait_for()
    # The networks picture is one image of both organizations, headed A and B, and the
    # curves are one image on shared axes; both are shown at about their drawn size.
    sizes = page.eval_on_selector_all(
        "img.agora-networks, img.agora-metrics",
        "els => els.map(e => [e.naturalWidth, e.clientWidth])",
    )
    assert len(sizes) == 2
    for natural, shown in sizes:
        # 10 pt at 100 dpi is 13.9 px drawn: at least 12 px on screen.
        assert natural == 960 and 13.9 * shown / natural >= 12, sizes
    text = page.evaluate("() => document.body.innerText")
    for word in JARGON:
        assert word not in text
    assert_legible(page)
    # Nothing sits on top of the pictures (the centre of each is the picture itself).
    covered = page.evaluate("""() => [...document.querySelectorAll(
            'img.agora-networks, img.agora-metrics')].map(img => {
        const r = img.getBoundingClientRect();
        const x = r.left + r.width / 2, y = Math.min(r.top + 40, window.innerHeight - 5);
        return document.elementFromPoint(x, y) === img || r.top > window.innerHeight;
    })""")
    assert all(covered), covered
    screenshot(page, tmp_path, "app")


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
    for name in ("replicates", "steps", "at"):
        press_home(page, f".agora-whatif-{name}")
        for _ in range(more + (1 if more and name != "replicates" else 0)):
            page.keyboard.press("ArrowRight")
    page.get_by_text(f"Replicates (runs of each): {2 + more}").wait_for()
    page.get_by_text(f"Run length (steps): {20 + 20 * (more + bool(more))}").wait_for()
    page.locator(".agora-whatif-run").click()
    page.locator(".agora-whatif-progress").wait_for()
    summary = page.locator(".agora-whatif-summary")
    summary.wait_for(timeout=2 * WAIT_MS)
    text = summary.inner_text()
    assert "What if: back_to_broadcast in default" in text
    assert f"{2 + more} runs with and {2 + more} without the change" in text
    plot = page.locator("img.agora-whatif-plot")
    plot.wait_for()
    assert page.evaluate("el => el.naturalWidth", plot.element_handle()) == 960
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
    assert_legible(page)
    screenshot(page, tmp_path, "guided")
    open_tab(page, "Info")
    for section in ("What is it?", "How it works", "How to use it", "Things to notice",
                    "Things to try", "Extending the model"):
        page.get_by_role("heading", name=section).wait_for()
    assert_legible(page)
    screenshot(page, tmp_path, "info")
