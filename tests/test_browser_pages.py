"""The bot's two phone pages in a real browser: headless chromium, driven by Selenium (tests/chromium.py),
opens them as served by the real `serve`.

- The approve page: an approver approves and another rejects by clicking, sees the result page, a second
  click on a stale page is refused, and a reject without a reason is refused (by the browser, and by the
  server when the browser's check is bypassed).
- The WeCom launch page, with a stand-in `wx` injected before any script runs (WeCom's JS-SDK hosts are
  served empty from loopback): the exact arguments of wx.config, wx.agentConfig and
  wx.invoke('thirdPartyOpenPage'), and the text each callback result shows.

Neither page may log a console error. Screenshots at phone and desktop sizes go to pytest's temporary
directory (printed at the end of the module); with APPROVALS_BOT_SCREENSHOTS=docs/ the ones the README
shows are refreshed there too. One bot, one browser for the whole module: the tests are few and share them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import ssl
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from selenium.webdriver import Chrome
from selenium.webdriver.common.by import By
from selenium.webdriver.common.utils import free_port

from bot.offline.slack_standin import Posted, SlackStandIn
from bot.providers.wecom.jssdk import sign
from bot.providers.wecom.launch_page import SCRIPTS
from tests.chromium import (
    chromium_session,
    color_scheme,
    console_errors,
    desktop,
    phone,
    require_browser,
    screenshot,
    wait_in_page,
)
from tests.fakes.wecom_api import FakeWeComApi
from tests.harness import CORP_ID, SECRET, SIGNING_SECRET, BotProcess, wait_for, write_config

APPLICANT, A, B, C = "U0APPLICANT", "U0ALICE", "U0BOB", "U0CHEN"
NAMES = {APPLICANT: "Wang Xiaoming 王小明", A: "Alice Chen", B: "Bob Li", C: "陈静"}
AGENT_ID = "1000002"
OPEN_TEMPLATE = "3Tka1eD6v6JfzhDMqPd3aMkFdxqtJMc2ZRioeFXk"
WECOM_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 wxwork/4.1.22"
)
PHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"
)
EXTRA = f"""
[wecom.open_templates]
payment = "{OPEN_TEMPLATE}"
[[local.templates]]
alias = "purchase"
name = "采购申请 Purchase"
controls = [
  {{ control = "Text", id = "Text-1", title = "Item", require = true }},
  {{ control = "Textarea", id = "Textarea-1", title = "Details" }},
  {{ control = "Money", id = "Money-1", title = "Amount", require = true }},
  {{ control = "Date", id = "Date-1", title = "Needed by", date_type = "hour" }},
]
process = [
  {{ type = 1, apv_rel = 1, users = ["{A}", "{B}"] }},
  {{ type = 1, apv_rel = 2, users = ["{C}"] }},
]
"""
# What the stand-in `wx` does: SCENARIO (set per test) says how each call ends; every call is recorded.
WX_STANDIN = """
window.__wx = {calls: [], scenario: SCENARIO};
window.wx = {
  config: function (c) { __wx.calls.push(["config", JSON.parse(JSON.stringify(c))]); },
  error: function (f) { __wx.onError = f; },
  ready: function (f) { setTimeout(f, 0); },
  agentConfig: function (a) {
    __wx.calls.push(["agentConfig", JSON.parse(JSON.stringify(a))]);
    setTimeout(function () {
      if (__wx.scenario.agent_ok) { a.success({errMsg: "agentConfig:ok"}); }
      else { a.fail({errMsg: "agentConfig:fail no permission"}); }
    }, 0);
  },
  invoke: function (name, args, callback) {
    __wx.calls.push([name, JSON.parse(JSON.stringify(args))]);
    setTimeout(function () { callback({err_msg: __wx.scenario.result}); }, 0);
  }
};
"""
SDK_HOSTS = tuple(str(urlsplit(src).hostname) for src in SCRIPTS)
README_SHOTS = ("approve-page-phone.png", "approve-page-phone-dark.png", "launch-page-phone.png")


pytestmark = pytest.mark.usefixtures("bot")


# -- the world: Slack and WeCom stand-ins, the SDK hosts, the bot, one browser ------------------------------


@pytest.fixture(scope="module")
def slack() -> Iterator[SlackStandIn]:
    users = {
        user: {"real_name": name, "email": f"{user.lower()}@example.com"} for user, name in NAMES.items()
    }
    with SlackStandIn(users=users) as standin:
        yield standin


@pytest.fixture(scope="module")
def wecom() -> Iterator[FakeWeComApi]:
    with FakeWeComApi(corp_id=CORP_ID, secret=SECRET) as fake:
        fake.users["WuJunJie"] = {"userid": "WuJunJie", "name": "吴俊杰", "email": "u0applicant@example.com"}
        yield fake


class _EmptyScript(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"/* WeCom's JS-SDK, offline: the test injects wx */\n"
        self.send_response(200)
        self.send_header("Content-Type", "application/javascript")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        """Quiet: the stand-in SDK host's requests are no part of what the tests show."""


@pytest.fixture(scope="module")
def sdk_hosts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """An HTTPS server on loopback that stands in for WeCom's JS-SDK hosts (chromium resolves them here):
    the page loads its scripts as in WeCom, they are empty, and nothing leaves the machine."""
    cert, key = _self_signed(tmp_path_factory.mktemp("tls"))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EmptyScript)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "res.wx.qq.com")])
    now = datetime.now(timezone.utc)
    hosts = [x509.DNSName(host) for host in SDK_HOSTS]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(hosts), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


@pytest.fixture(scope="module")
def bot(
    tmp_path_factory: pytest.TempPathFactory, slack: SlackStandIn, wecom: FakeWeComApi
) -> Iterator[BotProcess]:
    require_browser()  # before starting anything: a skip (or, in CI, a failure) costs nothing then
    folder = tmp_path_factory.mktemp("bot")
    port = free_port()  # public_url must be the address the browser shows: the launch page signs it
    config = write_config(
        folder / "config.toml",
        slack.api_url,
        wecom.base_url,
        folder / "data" / "approvals.json",
        users={APPLICANT: "WuJunJie"},
        extra=EXTRA,
        wecom_settings=f'agent_id = "{AGENT_ID}"',
    )
    text = config.read_text(encoding="utf-8").replace(
        'public_url = "http://127.0.0.1"', f'public_url = "http://127.0.0.1:{port}"'
    )
    config.write_text(text, encoding="utf-8")
    process = BotProcess(config, port=port).start()
    slack.attach(f"{process.url}/slack/events", SIGNING_SECRET)
    yield process
    process.stop()
    print("".join(process.log))  # shown by pytest only when a test failed


@pytest.fixture(scope="module")
def browser(sdk_hosts: int) -> Iterator[Chrome]:
    hosts = ", ".join(f"MAP {host}:443 127.0.0.1:{sdk_hosts}" for host in SDK_HOSTS)
    with chromium_session([f"--host-resolver-rules={hosts}", "--ignore-certificate-errors"]) as session:
        yield session


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Where screenshots go; the README's are copied to $APPROVALS_BOT_SCREENSHOTS when it is set."""
    folder = tmp_path_factory.mktemp("screenshots")
    yield folder
    print(f"screenshots: {folder}")
    target = os.environ.get("APPROVALS_BOT_SCREENSHOTS")
    if target:
        for name in README_SHOTS:
            if (folder / name).exists():
                shutil.copy(folder / name, Path(target) / name)


# Chromium logs a page answered with an error status as a failed load: the approve page's refusals (a
# reject without a reason, a used link) are such pages, and the tests cause them on purpose.
REFUSAL_PAGE = re.compile(
    r"http://127\.0\.0\.1:\d+/approve/\S+ - Failed to load resource: the server responded with a status of "
    r"(400|409) "
)


@pytest.fixture(autouse=True)
def no_console_errors(browser: Chrome) -> Iterator[None]:
    """Every test starts with an empty console and must leave it empty (but for the refusals it caused)."""
    console_errors(browser)
    yield
    assert [error for error in console_errors(browser) if not REFUSAL_PAGE.match(error)] == []


# -- Slack side: filing, and the links the cards carry -------------------------------------------------------


def _form(slack: SlackStandIn) -> dict[str, Any] | None:
    view = slack.open_view(APPLICANT)
    return view if view and view.get("callback_id") == "approval_form" else None


def file_purchase(slack: SlackStandIn, item: str) -> str:
    """Files a purchase request from Slack; returns its number."""
    assert slack.command(APPLICANT, "new purchase").status_code == 200
    view = wait_for(lambda: _form(slack), timeout=60, what="the purchase form")
    values = {
        "form/Text-1": {"value": {"type": "plain_text_input", "value": item}},
        "form/Textarea-1": {
            "value": {
                "type": "plain_text_input",
                "value": "3 × ThinkPad X1\n2 × 27-inch monitors\nTo the Shanghai office",
            }
        },
        "form/Money-1": {"value": {"type": "number_input", "value": "48390"}},
        "form/Date-1": {"value": {"type": "datetimepicker", "selected_date_time": 1_767_225_600}},
    }
    assert slack.submit(APPLICANT, view, values).status_code == 200
    card = wait_for(lambda: _card(slack, APPLICANT, item), timeout=60, what="the applicant's card")
    return re.search(r"\b(\d{12})\b", card.text).group(1)


def _card(slack: SlackStandIn, user: str, containing: str) -> Posted | None:
    found = [m for m in slack.conversation(user) if m.blocks and containing in _text(m)]
    return found[-1] if found else None


def _text(message: Posted) -> str:
    return json.dumps(message.blocks, ensure_ascii=False) + message.text


def approve_link(slack: SlackStandIn, user: str, number: str) -> str:
    """The approve link on `user`'s card for request `number`."""
    card = wait_for(lambda: _card(slack, user, number), timeout=60, what=f"{user}'s card")
    return re.search(r"<(http://127\.0\.0\.1:\d+/approve/[^|>]+)\|", _text(card)).group(1)


# -- the approve page ----------------------------------------------------------------------------------------


def text_of(browser: Chrome, css: str) -> str:
    return browser.find_element(By.CSS_SELECTOR, css).text


def test_approvers_read_where_a_request_stands_and_approve_by_clicking(
    browser: Chrome, slack: SlackStandIn, shots: Path
) -> None:
    number = file_purchase(slack, "Laptops for the new team")
    link_a = approve_link(slack, A, number)
    phone(browser)
    color_scheme(browser, "light")
    browser.get(link_a)
    shown = text_of(browser, "main")
    assert "Wang Xiaoming 王小明" in shown and APPLICANT not in shown  # names, not Slack ids
    assert "3 × ThinkPad X1\n2 × 27-inch monitors\nTo the Shanghai office" in shown  # line breaks kept
    assert "CNY 48,390.00" in shown
    assert "0 of 2 approved" in shown and "Waiting on Alice Chen, Bob Li" in shown
    for width in (390, 320):  # nothing wider than the phone, down to the smallest
        phone(browser, width=width)
        assert browser.execute_script("return document.documentElement.scrollWidth") <= width

    # The same link opened twice (two tabs): Approve in one, then a stale click in the other is refused.
    stale = browser.current_window_handle
    browser.switch_to.new_window("tab")
    phone(browser)
    browser.get(link_a)
    browser.find_element(By.CSS_SELECTOR, "#speech").send_keys("Fine by me.\nKeep the receipt.")
    browser.find_element(By.CSS_SELECTOR, "button.approve").click()
    wait_in_page(browser, "return document.querySelector('.notice.ok')", what="the result page")
    result = text_of(browser, "main")
    assert "You approved this request." in result and "1 of 2 approved" in result
    assert "Waiting on Bob Li" in result and "Keep the receipt." in result
    assert not browser.find_elements(By.TAG_NAME, "form")  # nothing more to decide here
    screenshot(browser, shots / "approve-result-phone.png")
    browser.close()
    browser.switch_to.window(stale)
    browser.find_element(By.CSS_SELECTOR, "button.approve").click()
    wait_in_page(browser, "return document.querySelector('.notice.warn')", what="the refusal")
    assert "This link was already used." in text_of(browser, "main")

    # Bob sees Alice's decision and note, then reads the page in Chinese: the README's pictures.
    browser.get(approve_link(slack, B, number))
    shown = text_of(browser, "main")
    assert "1 of 2 approved" in shown and "Alice Chen approved" in shown and "Keep the receipt." in shown
    screenshot(browser, shots / "approve-page-phone.png")
    color_scheme(browser, "dark")
    screenshot(browser, shots / "approve-page-phone-dark.png")
    color_scheme(browser, "light")
    browser.find_element(By.CSS_SELECTOR, "#language").click()
    wait_in_page(browser, "return document.documentElement.lang === 'zh-CN'", what="the page in Chinese")
    shown = text_of(browser, "main")
    assert "2 人中 1 人已同意" in shown and "等待：Bob Li" in shown and "48,390.00 元" in shown
    screenshot(browser, shots / "approve-page-phone-zh.png")
    desktop(browser)
    screenshot(browser, shots / "approve-page-desktop-zh.png")


def test_a_reject_needs_a_reason_and_then_ends_the_request(
    browser: Chrome, slack: SlackStandIn, shots: Path
) -> None:
    number = file_purchase(slack, "Standing desks")
    phone(browser)
    browser.get(approve_link(slack, B, number))
    page = browser.current_url

    browser.find_element(By.CSS_SELECTOR, "button.reject").click()  # no reason: the form is not sent
    assert browser.execute_script("return document.querySelector('#speech').validity.valueMissing") is True
    assert browser.current_url == page and not browser.find_elements(By.CSS_SELECTOR, ".notice")

    # bypassed: the server says no
    browser.execute_script("document.querySelector('#speech').removeAttribute('required')")
    browser.find_element(By.CSS_SELECTOR, "button.reject").click()
    error = wait_in_page(
        browser, "var e = document.querySelector('#error'); return e && e.textContent", what="the error"
    )
    assert "A reason is required to reject" in error

    browser.find_element(By.CSS_SELECTOR, "#speech").send_keys("Over the budget for this quarter.")
    browser.find_element(By.CSS_SELECTOR, "button.reject").click()
    wait_in_page(browser, "return document.querySelector('.notice.bad')", what="the result page")
    result = text_of(browser, "main")
    assert "You rejected this request." in result and "Rejected" in text_of(browser, "#status")
    assert "Over the budget for this quarter." in result
    screenshot(browser, shots / "reject-result-phone.png")


# -- the launch page -----------------------------------------------------------------------------------------


def launch_link(slack: SlackStandIn) -> str:
    """Files a self-built-app request from Slack; returns the launch link on the applicant's card."""
    assert slack.command(APPLICANT, "new payment").status_code == 200
    view = wait_for(lambda: _form(slack), timeout=60, what="the engine's form")
    values = {
        "form/subject": {"value": {"type": "plain_text_input", "value": "Pay the design agency"}},
        "form/details": {"value": {"type": "plain_text_input", "value": "Invoice 2026-114\nNet 30"}},
        "form/amount": {"value": {"type": "number_input", "value": "4839"}},
    }
    assert slack.submit(APPLICANT, view, values).status_code == 200
    card = wait_for(lambda: _card(slack, APPLICANT, "/wecom/launch/"), timeout=60, what="the launch link")
    return re.search(r"http://127\.0\.0\.1:\d+/wecom/launch/[^\"'|> ]+", _text(card)).group(0)


@pytest.fixture(scope="module")
def launch(bot: BotProcess, slack: SlackStandIn) -> str:
    return launch_link(slack)


def open_launch_page(browser: Chrome, link: str, ua: str, **scenario: Any) -> dict[str, Any]:
    """Opens the launch page with the stand-in `wx` in place before any of its scripts runs; returns what
    the page shows and what it called, once it has settled."""
    browser.execute_cdp_cmd("Emulation.setUserAgentOverride", {"userAgent": ua})
    given = {"agent_ok": True, "result": "thirdPartyOpenPage:ok", **scenario}
    standin = WX_STANDIN.replace("SCENARIO", json.dumps(given))
    script = browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": standin})
    try:
        browser.get(link)
        state = wait_in_page(
            browser,
            "var s = document.getElementById('status').getAttribute('data-state');"
            "return s && s !== 'opening' && s;",
            what="the launch page to settle",
        )
        lines = browser.execute_script(
            "return [].map.call(document.querySelectorAll('#status span'), s => s.textContent)"
        )
        return {"state": state, "lines": lines, "calls": browser.execute_script("return window.__wx.calls")}
    finally:
        browser.execute_cdp_cmd(
            "Page.removeScriptToEvaluateOnNewDocument", {"identifier": script["identifier"]}
        )


def test_the_launch_page_signs_wx_config_and_opens_the_engines_form(
    browser: Chrome, launch: str, wecom: FakeWeComApi, shots: Path
) -> None:
    phone(browser)
    shown = open_launch_page(browser, launch, WECOM_UA)
    (name, config), (agent_name, agent), (invoked, args) = shown["calls"]
    url = browser.execute_script("return location.href")
    assert url == launch  # the page signs the URL the browser shows
    assert name == "config" and agent_name == "agentConfig" and invoked == "thirdPartyOpenPage"
    assert config["appId"] == CORP_ID and config["beta"] is True
    assert config["jsApiList"] == ["thirdPartyOpenPage"]
    assert config["signature"] == sign(wecom.js_tickets["corp"], config["nonceStr"], config["timestamp"], url)
    assert (agent["corpid"], agent["agentid"]) == (CORP_ID, AGENT_ID)
    assert agent["signature"] == sign(
        wecom.js_tickets["agent_config"], agent["nonceStr"], agent["timestamp"], url
    )
    third_no = launch.split("/wecom/launch/")[1].split("?")[0]
    assert args == {
        "oaType": "10001",
        "templateId": OPEN_TEMPLATE,
        "thirdNo": third_no,
        "extData": {
            "fieldList": [
                {"title": "Subject", "type": "text", "value": "Pay the design agency"},
                {"title": "Details", "type": "text", "value": "Invoice 2026-114\nNet 30"},
                {"title": "Amount", "type": "text", "value": "4839.00"},
            ]
        },
    }
    assert shown["state"] == "done"
    assert shown["lines"] == [
        "审批页面已打开，可以关闭此页。",
        "The approval page was opened; you can close this page.",
    ]
    screenshot(browser, shots / "launch-page-phone.png")
    desktop(browser)
    screenshot(browser, shots / "launch-page-desktop.png")


@pytest.mark.parametrize(
    ("ua", "scenario", "state", "lines"),
    [
        (
            WECOM_UA,
            {"result": "thirdPartyOpenPage:fail 已存在相同的审批编号"},
            "failed",
            ["此申请已发起过（审批编号重复）。", "This request was already launched (duplicate number)."],
        ),
        (
            WECOM_UA,
            {"result": "thirdPartyOpenPage:fail 审批模板ID不正确"},
            "failed",
            [
                "审批模板 ID 不正确：请管理员检查 [wecom.open_templates]。",
                "The template id is wrong: ask your admin to check [wecom.open_templates].",
            ],
        ),
        (
            WECOM_UA,
            {"result": "thirdPartyOpenPage:fail something new"},
            "failed",
            [
                "企业微信未能打开审批：",
                "WeCom could not open the approval:",
                "thirdPartyOpenPage:fail something new",
            ],
        ),
        (
            WECOM_UA,
            {"agent_ok": False},
            "outside",
            [
                "请在企业微信中打开此链接。",
                "Open this link in WeCom (企业微信).",
                "agentConfig:fail no permission",
            ],
        ),
        (PHONE_UA, {}, "outside", ["请在企业微信中打开此链接。", "Open this link in WeCom (企业微信)."]),
    ],
)
def test_the_launch_page_says_what_went_wrong(
    browser: Chrome,
    launch: str,
    ua: str,
    scenario: dict[str, Any],
    state: str,
    lines: list[str],
    shots: Path,
) -> None:
    phone(browser)
    shown = open_launch_page(browser, launch, ua, **scenario)
    assert (shown["state"], shown["lines"]) == (state, lines)
    if state == "outside":
        assert "thirdPartyOpenPage" not in [name for name, _ in shown["calls"]]
        assert browser.execute_script("return document.getElementById('launch').disabled") is True
    screenshot(browser, shots / f"launch-page-{state}-{len(lines)}.png")
