"""Debian's chromium, headless, driven by Selenium through Debian's chromedriver, for the browser tests.

Both binaries are given to Selenium by path, so Selenium Manager never runs and nothing is downloaded
(`SE_OFFLINE` is set too, in case a later Selenium calls it anyway). What Selenium has no command for
goes to Chrome's DevTools through `execute_cdp_cmd`: a phone's screen, the colour scheme, a screenshot of
the whole page.

Skipping: without chromium and chromedriver the browser tests are skipped locally, and fail in CI
(`CI` set): `.ci/run` installs both, so a missing browser there is a broken build, not a skip.
"""

from __future__ import annotations

import base64
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver import Chrome, ChromeOptions, ChromeService
from selenium.webdriver.support.wait import WebDriverWait

CHROMIUM_ARGS = (
    "--headless=new",
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--lang=en-US",
)


def require_browser() -> tuple[str, str]:
    """The paths of chromium and chromedriver; a skip without them locally, a failure in CI."""
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium and chromedriver:
        return chromium, chromedriver
    missing = "chromium and chromedriver are not installed (apt-get install chromium chromium-driver)"
    if os.environ.get("CI"):
        pytest.fail(f"{missing}: .ci/run installs them, so CI must have them")
    pytest.skip(missing)


@contextmanager
def chromium_session(args: list[str]) -> Iterator[Chrome]:
    """One headless chromium session with `args` added, its console logged for `console_errors`."""
    chromium, chromedriver = require_browser()
    options = ChromeOptions()
    options.binary_location = chromium
    for arg in (*CHROMIUM_ARGS, *args):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    with pytest.MonkeyPatch.context() as environment:
        environment.setenv("SE_OFFLINE", "true")
        driver = Chrome(options=options, service=ChromeService(executable_path=chromedriver))
    try:
        yield driver
    finally:
        driver.quit()


def wait_in_page(driver: Chrome, script: str, *, timeout: float = 60.0, what: str = "the page") -> Any:
    """Polls `script` (a function body) in the page until it returns something truthy, and returns it."""
    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(
        lambda session: session.execute_script(script), f"waiting for {what}"
    )


def phone(driver: Chrome, width: int = 390, height: int = 844) -> None:
    """A phone's screen: its width and height, a dense display, touch, the viewport meta honoured."""
    _screen(driver, width, height, scale=2, mobile=True)


def desktop(driver: Chrome, width: int = 1280, height: int = 900) -> None:
    _screen(driver, width, height, scale=1, mobile=False)


def _screen(driver: Chrome, width: int, height: int, *, scale: int, mobile: bool) -> None:
    metrics = {"width": width, "height": height, "deviceScaleFactor": scale, "mobile": mobile}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)


def color_scheme(driver: Chrome, scheme: str) -> None:
    features = [{"name": "prefers-color-scheme", "value": scheme}]
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": features})


def screenshot(driver: Chrome, path: Path) -> Path:
    """The whole page (Selenium's own screenshot stops at the screen's edge) as a PNG at `path`."""
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


def console_errors(driver: Chrome) -> list[str]:
    """Errors the browser logged since the last call: script errors, CSP refusals, failed loads."""
    return [entry["message"] for entry in driver.get_log("browser") if entry.get("level") == "SEVERE"]
