"""A small W3C WebDriver client for the browser tests: Debian's chromedriver drives Debian's chromium,
headless, over loopback HTTP with httpx (already a dependency), so the tests need no browser download and
no driver package. Chrome's DevTools commands go through chromedriver's `goog/cdp/execute`.

Skipping: without chromium and chromedriver the browser tests are skipped locally, and fail in CI
(`CI` set): `.ci/run` installs both, so a missing browser there is a broken build, not a skip.
"""

from __future__ import annotations

import base64
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"  # the W3C key of an element reference
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")


class WebDriverError(AssertionError):
    """chromedriver refused a command: `error` is the W3C error code ("no such element", ...)."""

    def __init__(self, error: str, message: str) -> None:
        super().__init__(f"{error}: {message}")
        self.error = error


def require_browser() -> tuple[str, str]:
    """The paths of chromium and chromedriver; a skip without them locally, a failure in CI."""
    if CHROMIUM and CHROMEDRIVER:
        return CHROMIUM, CHROMEDRIVER
    missing = "chromium and chromedriver are not installed (apt-get install chromium chromium-driver)"
    if os.environ.get("CI"):
        pytest.fail(f"{missing}: .ci/run installs them, so CI must have them")
    pytest.skip(missing)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def chromium_session(args: list[str]) -> Iterator[Browser]:
    """chromedriver on a free loopback port and one headless chromium session with `args` added."""
    chromium, chromedriver = require_browser()
    port = free_port()
    driver = subprocess.Popen(
        [chromedriver, f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120)
    try:
        _wait_until_ready(http, driver)
        options = {
            "binary": chromium,
            "args": [
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
                *args,
            ],
        }
        capabilities = {
            "browserName": "chrome",
            "goog:chromeOptions": options,
            "goog:loggingPrefs": {"browser": "ALL"},  # console errors, read by console_errors()
        }
        reply = _command(http, "POST", "/session", {"capabilities": {"alwaysMatch": capabilities}})
        browser = Browser(http, reply["sessionId"])
        try:
            yield browser
        finally:
            http.delete(f"/session/{browser.session}")
    finally:
        http.close()
        driver.terminate()
        driver.wait(timeout=30)


def _wait_until_ready(http: httpx.Client, driver: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if driver.poll() is not None:
            raise AssertionError("chromedriver exited at start")
        try:
            if http.get("/status").json()["value"]["ready"]:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise AssertionError("chromedriver did not start within 60 s")


def _command(http: httpx.Client, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    response = http.request(method, path, json=body if method == "POST" else None)
    value = response.json()["value"]
    if response.status_code != 200:
        raise WebDriverError(value.get("error", "unknown"), value.get("message", "")[:500])
    return value


class Element:
    def __init__(self, browser: Browser, element_id: str) -> None:
        self.browser, self.id = browser, element_id

    def click(self) -> None:
        self.browser.command("POST", f"/element/{self.id}/click", {})

    def type(self, text: str) -> None:
        self.browser.command("POST", f"/element/{self.id}/value", {"text": text})

    @property
    def text(self) -> str:
        return self.browser.command("GET", f"/element/{self.id}/text")

    def attribute(self, name: str) -> str | None:
        return self.browser.command("GET", f"/element/{self.id}/attribute/{name}")


class Browser:
    """One chromium session: navigate, find, click, type, run script, DevTools commands, screenshots."""

    def __init__(self, http: httpx.Client, session: str) -> None:
        self.http, self.session = http, session

    def command(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return _command(self.http, method, f"/session/{self.session}{path}", body)

    def cdp(self, cmd: str, **params: Any) -> Any:
        """A Chrome DevTools Protocol command (no events: chromedriver relays commands only)."""
        return self.command("POST", "/goog/cdp/execute", {"cmd": cmd, "params": params})

    def open(self, url: str) -> None:
        self.command("POST", "/url", {"url": url})

    def back(self) -> None:
        self.command("POST", "/back", {})

    @property
    def url(self) -> str:
        return self.command("GET", "/url")

    def find(self, css: str) -> Element:
        found = self.command("POST", "/element", {"using": "css selector", "value": css})
        return Element(self, found[ELEMENT])

    def find_all(self, css: str) -> list[Element]:
        found = self.command("POST", "/elements", {"using": "css selector", "value": css})
        return [Element(self, item[ELEMENT]) for item in found]

    def run(self, script: str, *args: Any) -> Any:
        """`script` is a function body run in the page (`arguments` are `args`); its return value."""
        return self.command("POST", "/execute/sync", {"script": script, "args": list(args)})

    def wait_for(self, script: str, *, timeout: float = 60.0, what: str = "the page") -> Any:
        """Polls `script` in the page until it returns something truthy, and returns it."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.run(script)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}")
            time.sleep(0.05)

    def phone(self, width: int = 390, height: int = 844) -> None:
        """A phone's screen: its width and height, a dense display, touch, the viewport meta honoured."""
        self.cdp(
            "Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=2, mobile=True
        )

    def desktop(self, width: int = 1280, height: int = 900) -> None:
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    def color_scheme(self, scheme: str) -> None:
        self.cdp("Emulation.setEmulatedMedia", features=[{"name": "prefers-color-scheme", "value": scheme}])

    def screenshot(self, path: Path) -> Path:
        """The whole page (not just the screen) as a PNG at `path`."""
        shot = self.cdp("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def console_errors(self) -> list[str]:
        """Errors the browser logged since the last call: script errors, CSP refusals, failed loads."""
        entries = self.command("POST", "/se/log", {"type": "browser"})
        return [entry["message"] for entry in entries if entry.get("level") == "SEVERE"]
