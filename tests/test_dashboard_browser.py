"""The dashboard in a real headless Chromium (Debian's `chromium`, driven by Playwright):
the page loads, the chart updates, clicking heat high changes the device's state, and a fault
injected into the served sim shows the banner.

Playwright's own browser download is never used: it is pointed at the system chromium.
CUSHION_SCREENSHOT=docs/dashboard.png writes the README's picture from this run.
"""

import os
import shutil
import time
from pathlib import Path

import pytest

from host.client import CushionClient
from host.simcontrol import ControlClient
from tests.simserved import served
from tests.test_dashboard import running

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() or shutil.which("chromium") is None,
    reason="no browser: install Debian's chromium (apt-get update && apt-get install -y "
           "chromium; .ci/run does this)")


def wait_for(pred, seconds=20.0, what="condition"):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        value = pred()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what} not met within {seconds} s")


def test_dashboard_in_headless_chromium(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="`make setup` installs "
                                   "playwright (pinned in pyproject.toml)")
    sync_playwright = sync_api.sync_playwright
    with served("--listen", "127.0.0.1:0", "--pty", "--speed", "20") as (proc, urls, ctl), \
            running(urls[0]) as dash, sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(CHROMIUM), args=ARGS,
            headless=True, viewport={"width": 1000, "height": 820})
        other = CushionClient.connect(urls[1])            # the device seen from elsewhere
        try:
            page = ctx.new_page()
            page.goto(dash.url)
            chart = page.locator("#chart")

            def samples():
                return int(chart.get_attribute("data-samples") or 0)
            first = wait_for(lambda: samples() >= 3, what="chart samples")
            wait_for(lambda: samples() > first + 3, what="chart updates")
            assert page.locator("#banner").is_hidden()

            page.click("#heat-high")
            wait_for(lambda: other.request("status")["heat"] == "high", what="heat high")
            wait_for(lambda: page.locator("body").get_attribute("data-heat") == "high",
                     what="page shows heat high")
            page.select_option("#mode", "wave")
            page.click("#massage-set")
            wait_for(lambda: other.request("status")["massage"] == "wave", what="massage")
            time.sleep(float(os.environ.get("CUSHION_SCREENSHOT_WAIT", "0")))

            with ControlClient(ctl) as c:
                assert c.request("inject sensor_open")["ok"]
            banner = page.locator("#banner")
            banner.wait_for(state="visible", timeout=20000)
            assert "sensor_open" in banner.inner_text()
            shot = os.environ.get("CUSHION_SCREENSHOT") or str(tmp_path / "dashboard.png")
            page.screenshot(path=shot, full_page=True)
        finally:
            other.close()
            ctx.close()
