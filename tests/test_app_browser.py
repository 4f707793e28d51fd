"""The served app in a real headless Chromium: load, step, see the counter move, screenshot.

``solara run sim/app.py`` is started as a subprocess on a free port bound to 127.0.0.1 and
driven with Playwright's sync API through Debian's ``chromium`` (``apt-get install chromium``);
Playwright's own browser downloads are not used. The screenshots go to the test's ``tmp_path``
(or, with ``AGORA_UPDATE_DOCS_IMAGES=1``, ``docs/img/teaching/app.png`` for ``docs/teaching.md``).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import docs_images

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking switches Chromium's own connections are refused in CI.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

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


def test_load_step_and_screenshot(server, tmp_path):
    from playwright.sync_api import sync_playwright

    url, _ = server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1000})
            page.goto(url, timeout=90_000)
            page.get_by_text("Step: 0", exact=True).wait_for(timeout=90_000)
            page.get_by_text("How to read this").wait_for()
            step = page.get_by_role("button", name="Step", exact=True)
            for i in range(1, 6):
                step.click()
                page.get_by_text(f"Step: {i}", exact=True).wait_for(timeout=30_000)
            assert page.get_by_text("Step: 5", exact=True).is_visible()
            # Both pictures are on the page and have loaded.
            sizes = page.eval_on_selector_all(
                "img.solara-image, .solara-image img, img",
                "els => els.map(e => [e.naturalWidth, e.naturalHeight])",
            )
            assert sum(1 for w, h in sizes if w >= 400 and h >= 400) >= 2, sizes
            page.wait_for_timeout(500)
            shot = page.screenshot(full_page=False)
            folder = docs_images(tmp_path)
            tmp = folder / f".app.{os.getpid()}.tmp.png"
            tmp.write_bytes(shot)
            os.replace(tmp, folder / "app.png")

            # Colour by kind: the picture changes (the toggle is a real control).
            page.get_by_role("button", name="kind", exact=True).click()
            page.wait_for_timeout(1500)
            (tmp_path / "app_kind.png").write_bytes(page.screenshot())

            # Reset goes back to step 0.
            page.get_by_role("button", name="Reset", exact=True).click()
            page.get_by_text("Step: 0", exact=True).wait_for(timeout=30_000)
        finally:
            browser.close()
    assert (docs_images(tmp_path) / "app.png").stat().st_size > 50_000
