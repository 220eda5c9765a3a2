"""The approval-engine launch page: JS-SDK signatures, ticket caching and the WSGI page.

Signatures are checked against the published examples and wechatpy's signer; tickets come from the
loopback fake WeCom through the real WeComClient; the page's own script runs under node when present.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit
from wsgiref.util import setup_testing_defaults

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from wechatpy.utils import WeChatSigner

from bot.providers.wecom.client import WeComClient, WeComRefused, WeComUnavailable
from bot.providers.wecom.jssdk import JsSdkSigner, sign
from bot.providers.wecom.launch_page import (
    SCRIPTS,
    LaunchDraft,
    LaunchPage,
    launch_link,
    link_signature,
    verify_link,
)
from tests.fakes.wecom_api import FakeWeComApi

CORP_TICKET, AGENT_TICKET = "get_jsapi_ticket", "ticket/get"
AGENT_ID = "1000002"
SECRET = b"launch-link-secret-0123456789"
PUBLIC_URL = "https://bot.example.com/"
NASTY = "</script><script>alert(\"x\")</script> & 'quotes' <b>"
DRAFT = LaunchDraft(
    third_no="SLK-20240101-0001",
    template_id="46af67a118a6ebf000002",
    fields=(
        ("采购类型", "text", "市场活动"),
        (f"Reason {NASTY}", "text", f"value {NASTY}"),
        ("订单链接", "link", "https://example.com/order?id=1&x=<2>"),
    ),
    title=f"Laptop {NASTY}",
)


class FakeClock:
    """Unix time that only moves when a test says so; sleeps move it too, instantly."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def wecom() -> Iterator[FakeWeComApi]:
    with FakeWeComApi() as fake:
        yield fake


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(wecom: FakeWeComApi, fake_clock: FakeClock) -> Iterator[WeComClient]:
    with WeComClient(
        wecom.corp_id, wecom.secret, api_base=wecom.base_url, clock=fake_clock.clock, sleep=fake_clock.sleep
    ) as built:
        yield built


@pytest.fixture
def signer(wecom: FakeWeComApi, client: WeComClient, fake_clock: FakeClock) -> JsSdkSigner:
    return JsSdkSigner(client, wecom.corp_id, AGENT_ID, clock=fake_clock.clock)


@pytest.fixture
def looked_up() -> list[str]:
    return []


@pytest.fixture
def app(signer: JsSdkSigner, looked_up: list[str]) -> LaunchPage:
    def lookup(third_no: str) -> LaunchDraft | None:
        looked_up.append(third_no)
        return DRAFT if third_no == DRAFT.third_no else None

    return LaunchPage(lookup, signer, SECRET, PUBLIC_URL)


# -- the signature ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # https://developer.work.weixin.qq.com/document/path/96909 (JS-SDK 签名算法, 示例)
        ("http://mp.weixin.qq.com?params=value", "0f9de62fce790f9a083d5c99e95740ceb90c27ed"),
        # the WeChat JS-SDK doc's older example (附录1-JS-SDK使用权限签名算法), same ticket and nonce
        ("http://mp.weixin.qq.com", "f4d90daf4b3bca3078ab155816175ba34c443a7b"),
    ],
)
def test_signature_matches_the_published_examples(url: str, expected: str) -> None:
    ticket = "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg"
    assert sign(ticket, "Wm3WZYTPz0wzccnW", 1414587457, url) == expected
    assert sign(ticket, "Wm3WZYTPz0wzccnW", "1414587457", url + "#/some/route") == expected


@given(
    ticket=st.text(min_size=1),
    nonce=st.text(min_size=1),
    timestamp=st.integers(min_value=0, max_value=2**40),
    url=st.text().filter(lambda text: "#" not in text),
)
def test_signature_agrees_with_wechatpy(ticket: str, nonce: str, timestamp: int, url: str) -> None:
    signer = WeChatSigner(delimiter=b"&")  # sorts its fields: the same fixed order as the formula
    signer.add_data(f"jsapi_ticket={ticket}", f"noncestr={nonce}", f"timestamp={timestamp}", f"url={url}")
    assert sign(ticket, nonce, timestamp, url) == signer.signature


# -- tickets and configs ---------------------------------------------------------------------------------


def test_ticket_api_fetches_each_ticket(wecom: FakeWeComApi, client: WeComClient) -> None:
    assert client.ticket.corp_jsapi_ticket() == (wecom.js_tickets["corp"], 7200.0)
    assert client.ticket.agent_jsapi_ticket() == (wecom.js_tickets["agent_config"], 7200.0)
    assert wecom.calls_to(AGENT_TICKET)[0].query == {"type": "agent_config"}


def test_an_incomplete_ticket_reply_is_unavailable() -> None:
    def reply(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/gettoken"):
            return httpx.Response(200, json={"errcode": 0, "access_token": "t", "expires_in": 7200})
        return httpx.Response(200, json={"errcode": 0, "errmsg": "ok", "expires_in": 7200})

    with httpx.Client(transport=httpx.MockTransport(reply)) as http:
        client = WeComClient("corp", "secret", http=http)
        with pytest.raises(WeComUnavailable, match="ticket reply is incomplete"):
            client.ticket.corp_jsapi_ticket()


def test_page_config_signs_both_configs_for_the_url(
    wecom: FakeWeComApi, signer: JsSdkSigner, fake_clock: FakeClock
) -> None:
    url = "https://bot.example.com/wecom/launch/A-1?sig=abc&view=1"
    config = signer.page_config(url + "#ignored")
    corp, agent = config["config"], config["agentConfig"]
    timestamp, nonce = int(fake_clock.now), corp["nonceStr"]
    assert corp == {
        "beta": True,
        "appId": wecom.corp_id,
        "timestamp": timestamp,
        "nonceStr": nonce,
        "signature": sign(wecom.js_tickets["corp"], nonce, timestamp, url),
        "jsApiList": ["thirdPartyOpenPage"],
    }
    assert agent == {
        "corpid": wecom.corp_id,
        "agentid": AGENT_ID,
        "timestamp": timestamp,
        "nonceStr": nonce,
        "signature": sign(wecom.js_tickets["agent_config"], nonce, timestamp, url),
        "jsApiList": ["thirdPartyOpenPage"],
    }
    assert len(nonce) >= 16 and signer.page_config(url)["config"]["nonceStr"] != nonce


def test_tickets_are_fetched_once_and_shared_by_every_thread(
    wecom: FakeWeComApi, signer: JsSdkSigner
) -> None:
    with ThreadPoolExecutor(max_workers=20) as pool:
        configs = list(pool.map(lambda n: signer.page_config(f"https://bot.example.com/p{n}"), range(40)))
    assert len({c["config"]["signature"] for c in configs}) == 40
    assert len(wecom.calls_to(CORP_TICKET)) == 1
    assert len(wecom.calls_to(AGENT_TICKET)) == 1
    assert wecom.gettoken_count == 1


def test_tickets_are_renewed_five_minutes_before_they_expire(
    wecom: FakeWeComApi, signer: JsSdkSigner, fake_clock: FakeClock
) -> None:
    signer.page_config(PUBLIC_URL)
    fake_clock.now += 7200 - 301
    signer.page_config(PUBLIC_URL)
    assert len(wecom.calls_to(CORP_TICKET)) == len(wecom.calls_to(AGENT_TICKET)) == 1
    fake_clock.now += 2
    signer.page_config(PUBLIC_URL)
    assert len(wecom.calls_to(CORP_TICKET)) == len(wecom.calls_to(AGENT_TICKET)) == 2


def test_a_failed_renewal_keeps_a_ticket_that_is_still_valid(
    wecom: FakeWeComApi, signer: JsSdkSigner, fake_clock: FakeClock
) -> None:
    signer.page_config(PUBLIC_URL)
    first = wecom.js_tickets["corp"]
    fake_clock.now += 7200 - 100  # due for renewal, 100 s of life left
    wecom.fail(CORP_TICKET, errcode=48002)
    config = signer.page_config(PUBLIC_URL)["config"]
    assert config["signature"] == sign(first, config["nonceStr"], config["timestamp"], PUBLIC_URL)
    fake_clock.now += 50  # under a minute left: too little to hand to a page
    wecom.fail(CORP_TICKET, errcode=48002)
    with pytest.raises(WeComRefused):
        signer.page_config(PUBLIC_URL)
    assert signer.page_config(PUBLIC_URL)  # the next request fetches a fresh ticket
    assert len(wecom.calls_to(CORP_TICKET)) == 4


# -- the page --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Response:
    status: str
    headers: dict[str, str]
    text: str


def request(app: LaunchPage, path: str, query: str = "", method: str = "GET") -> Response:
    """Call the WSGI app as a server would; `path` is already URL-decoded (PATH_INFO)."""
    environ: dict[str, Any] = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query}
    setup_testing_defaults(environ)
    started: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        started.update(status=status, headers=dict(headers))

    body = b"".join(app(environ, start_response))
    assert started["headers"]["Content-Length"] == str(len(body))
    return Response(started["status"], started["headers"], body.decode("utf-8"))


def open_link(app: LaunchPage, link: str) -> Response:
    """What a browser following `link` makes the server call."""
    parts = urlsplit(link)
    return request(app, unquote_to_bytes(parts.path).decode("latin-1"), parts.query)


class Scripts(HTMLParser):
    """Every <script> of a page: its attributes and its text."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.found: list[tuple[dict[str, str | None], str]] = []
        self._inside = False
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.found.append((dict(attrs), ""))
            self._inside = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._inside = False

    def handle_data(self, data: str) -> None:
        if self._inside:
            attrs, text = self.found[-1]
            self.found[-1] = (attrs, text + data)

    def by_id(self, element_id: str) -> str:
        return next(text for attrs, text in self.found if attrs.get("id") == element_id)

    @property
    def inline(self) -> str:
        return next(text for attrs, text in self.found if not attrs)


def embedded(page: str) -> dict[str, Any]:
    return json.loads(Scripts(page).by_id("launch-data"))


def expected_invoke(oa_type: str) -> dict[str, Any]:
    field_list = [{"title": title, "type": kind, "value": value} for title, kind, value in DRAFT.fields]
    return {
        "oaType": oa_type,
        "templateId": DRAFT.template_id,
        "thirdNo": DRAFT.third_no,
        "extData": {"fieldList": field_list},
    }


@pytest.mark.parametrize(("view", "oa_type"), [(False, "10001"), (True, "10002")])
def test_the_page_embeds_signed_configs_and_the_approval(
    wecom: FakeWeComApi, app: LaunchPage, view: bool, oa_type: str
) -> None:
    link = launch_link(PUBLIC_URL, DRAFT.third_no, SECRET, view=view)
    response = open_link(app, link)
    assert response.status == "200 OK"
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    data = embedded(response.text)
    assert data["invoke"] == expected_invoke(oa_type)
    for key, kind in (("config", "corp"), ("agentConfig", "agent_config")):
        config = data[key]  # signed for exactly the URL the browser shows
        assert config["signature"] == sign(
            wecom.js_tickets[kind], config["nonceStr"], config["timestamp"], link
        )
    assert data["config"]["appId"] == data["agentConfig"]["corpid"] == wecom.corp_id
    assert data["agentConfig"]["agentid"] == AGENT_ID
    assert [attrs.get("src") for attrs, _ in Scripts(response.text).found if attrs.get("src")] == list(
        SCRIPTS
    )


def test_every_value_is_escaped(app: LaunchPage) -> None:
    page = open_link(app, launch_link(PUBLIC_URL, DRAFT.third_no, SECRET)).text
    scripts = Scripts(page)
    assert len(scripts.found) == 4  # the two SDKs, the data and the page's own script: nothing injected
    assert '<script>alert("x")' not in page and "<b>" not in page
    assert (
        "Laptop &lt;/script&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;quotes&#x27;"
        in page
    )
    assert embedded(page)["invoke"]["extData"]["fieldList"][1]["value"] == f"value {NASTY}"


def test_the_page_carries_the_engine_errors_in_plain_words(app: LaunchPage) -> None:
    data = embedded(open_link(app, launch_link(PUBLIC_URL, DRAFT.third_no, SECRET)).text)
    english = {error["match"]: error["en"] for error in data["errors"]}
    assert english == {
        "已存在相同的审批编号": "This request was already launched (duplicate number).",
        "审批申请不存在": "Approval not found.",
        "审批模板ID不正确": "The template id is wrong: ask your admin to check [wecom.open_templates].",
        "应用ID不正确": "The app id is wrong: ask your admin to check wecom.agent_id.",
    }
    assert all(error["zh_CN"] for error in data["errors"])
    assert data["texts"]["outside"] == {
        "zh_CN": "请在企业微信中打开此链接。",
        "en": "Open this link in WeCom (企业微信).",
    }


@pytest.mark.parametrize(
    "query",
    [
        "",
        "sig=",
        "sig=" + "0" * 64,
        "sig=" + link_signature("SLK-OTHER", SECRET),
        "sig=" + link_signature(DRAFT.third_no, b"another secret"),
        "sig=" + link_signature(DRAFT.third_no, SECRET).upper() + "%E4%BD%A0",
    ],
)
def test_a_bad_or_missing_signature_is_403_and_looks_nothing_up(
    wecom: FakeWeComApi, app: LaunchPage, looked_up: list[str], query: str
) -> None:
    response = request(app, f"/wecom/launch/{DRAFT.third_no}", query)
    assert response.status == "403 Forbidden"
    assert "open it again from Slack" in response.text
    assert looked_up == [] and wecom.calls == []


def test_an_unknown_approval_is_404(wecom: FakeWeComApi, app: LaunchPage) -> None:
    response = open_link(app, launch_link(PUBLIC_URL, "SLK-UNKNOWN", SECRET))
    assert response.status == "404 Not Found"
    assert "does not exist" in response.text
    assert wecom.calls == []  # no ticket is spent on a page that cannot launch anything


@pytest.mark.parametrize("path", ["/wecom/launch/", "/wecom/launch/a/b", "/elsewhere/SLK-1"])
def test_other_paths_are_refused(app: LaunchPage, looked_up: list[str], path: str) -> None:
    assert (
        request(app, path, "sig=" + link_signature(path.rsplit("/", 1)[-1], SECRET)).status == "403 Forbidden"
    )
    assert looked_up == []


def test_a_ticket_failure_is_503_in_plain_words(wecom: FakeWeComApi, app: LaunchPage) -> None:
    wecom.fail(CORP_TICKET, times=4, errcode=-1)  # busy through every retry
    response = open_link(app, launch_link(PUBLIC_URL, DRAFT.third_no, SECRET))
    assert response.status == "503 Service Unavailable"
    assert "This page cannot be prepared right now; try again later." in response.text
    assert "WeCom is busy or cannot be reached; try again later (WeCom error -1)" in response.text
    assert "企业微信系统繁忙或无法连接" in response.text
    assert "Traceback" not in response.text and "<script" not in response.text


def test_other_methods_are_405(app: LaunchPage) -> None:
    query = "sig=" + link_signature(DRAFT.third_no, SECRET)
    response = request(app, f"/wecom/launch/{DRAFT.third_no}", query, method="POST")
    assert response.status == "405 Method Not Allowed"
    assert response.headers["Allow"] == "GET"


def test_a_link_with_any_third_no_opens_its_page(
    wecom: FakeWeComApi, signer: JsSdkSigner, looked_up: list[str]
) -> None:
    third_no = "采购/2024 #1?&"
    draft = LaunchDraft(third_no, "tpl", (), "采购")
    app = LaunchPage(
        lambda number: looked_up.append(number) or draft, signer, SECRET, "https://bot.example.com"
    )
    link = launch_link("https://bot.example.com/", third_no, SECRET)
    assert link.startswith("https://bot.example.com/wecom/launch/%E9%87%87%E8%B4%AD%2F2024%20%231%3F%26?sig=")
    data = embedded(open_link(app, link).text)
    assert looked_up == [third_no] and data["invoke"]["thirdNo"] == third_no
    config = data["config"]
    assert config["signature"] == sign(
        wecom.js_tickets["corp"], config["nonceStr"], config["timestamp"], link
    )


# -- the page's script, under node -----------------------------------------------------------------------

NODE = shutil.which("node")
WECOM_UA = "Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 Mobile/15E148 wxwork/4.1.0 MicroMessenger/7.0.1"
# A DOM and a `wx` just big enough for the page's script, which runs after this with DATA (the page's
# JSON), UA and SCENARIO defined before it; it prints what the page shows and what it called.
HARNESS = """
var status = {lines: [], set textContent(v) { this.lines = []; }, appendChild: function (c) {
  this.lines.push(c.textContent); }, setAttribute: function () {}};
var elements = {"status": status, "launch": {disabled: true}, "launch-data": {textContent: DATA}};
globalThis.document = {getElementById: function (id) { return elements[id]; },
                       createElement: function () { return {textContent: ""}; }};
Object.defineProperty(globalThis, "navigator", {value: {userAgent: UA}, configurable: true});
var calls = [];
if (SCENARIO.wx) {
  globalThis.wx = {
    config: function () { calls.push("config"); },
    error: function () {},
    ready: function (f) { f(); },
    agentConfig: function (a) {
      calls.push("agentConfig");
      if (SCENARIO.agent_ok) { a.success({}); } else { a.fail({errMsg: "agentConfig:fail"}); }
    },
    invoke: function (name, args, callback) {
      calls.push(name, args);
      callback({err_msg: SCENARIO.result});
    }
  };
}
process.on("exit", function () { console.log(JSON.stringify({status: status.lines, calls: calls})); });
"""


def run_page_script(page: str, ua: str = WECOM_UA, **scenario: Any) -> dict[str, Any]:
    """Run the page's own script under node against HARNESS; returns {"status": lines, "calls": [...]}."""
    scripts = Scripts(page)
    given = {
        "DATA": scripts.by_id("launch-data"),
        "UA": ua,
        "SCENARIO": {"wx": True, "agent_ok": True, **scenario},
    }
    program = "".join(f"var {name} = {json.dumps(value)};\n" for name, value in given.items())
    program += HARNESS + scripts.inline
    assert NODE is not None
    done = subprocess.run([NODE, "-"], input=program, capture_output=True, text=True, timeout=30, check=True)
    return json.loads(done.stdout)


@pytest.fixture
def page(app: LaunchPage) -> str:
    return open_link(app, launch_link(PUBLIC_URL, DRAFT.third_no, SECRET)).text


@pytest.mark.skipif(NODE is None, reason="node is not installed")
@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (
            "thirdPartyOpenPage:ok",
            ["审批页面已打开，可以关闭此页。", "The approval page was opened; you can close this page."],
        ),
        (
            "thirdPartyOpenPage:fail 已存在相同的审批编号",
            ["此申请已发起过（审批编号重复）。", "This request was already launched (duplicate number)."],
        ),
        (
            "thirdPartyOpenPage:fail 应用ID不正确",
            [
                "应用 ID 不正确：请管理员检查 wecom.agent_id。",
                "The app id is wrong: ask your admin to check wecom.agent_id.",
            ],
        ),
        (
            "thirdPartyOpenPage:fail something new",
            [
                "企业微信未能打开审批：",
                "WeCom could not open the approval:",
                "thirdPartyOpenPage:fail something new",
            ],
        ),
    ],
)
def test_the_script_launches_and_explains_the_result(page: str, result: str, expected: list[str]) -> None:
    shown = run_page_script(page, result=result)
    assert shown["calls"] == ["config", "agentConfig", "thirdPartyOpenPage", expected_invoke("10001")]
    assert shown["status"] == expected


@pytest.mark.skipif(NODE is None, reason="node is not installed")
@pytest.mark.parametrize(
    ("ua", "scenario", "detail"),
    [
        (WECOM_UA, {"wx": False}, []),  # the SDK scripts did not load
        ("Mozilla/5.0 (iPhone) MicroMessenger/8.0.40", {}, []),  # WeChat, not WeCom
        (WECOM_UA, {"agent_ok": False}, ["agentConfig:fail"]),
    ],
)
def test_the_script_asks_for_wecom_outside_it(
    page: str, ua: str, scenario: dict[str, bool], detail: list[str]
) -> None:
    shown = run_page_script(page, ua, **scenario)
    assert shown["status"] == ["请在企业微信中打开此链接。", "Open this link in WeCom (企业微信).", *detail]
    assert "thirdPartyOpenPage" not in shown["calls"]


def test_launch_links_verify_only_their_own_number() -> None:
    link = launch_link("https://bot.example.com", "A-1", SECRET, view=True)
    assert link == f"https://bot.example.com/wecom/launch/A-1?sig={link_signature('A-1', SECRET)}&view=1"
    assert verify_link("A-1", link_signature("A-1", SECRET), SECRET)
    assert not verify_link("A-2", link_signature("A-1", SECRET), SECRET)
    assert not verify_link("A-1", "签名", SECRET)  # not hex, not even ASCII: refused, not an error


def csp(headers: dict[str, str]) -> dict[str, list[str]]:
    """A Content-Security-Policy header as {directive: sources}."""
    directives = (part.split() for part in headers["Content-Security-Policy"].split(";") if part.strip())
    return {name: sources for name, *sources in directives}


def test_the_page_runs_only_its_own_script_and_the_js_sdk_and_cannot_be_framed(app: LaunchPage) -> None:
    response = open_link(app, launch_link(PUBLIC_URL, DRAFT.third_no, SECRET))
    policy = csp(response.headers)
    scripts = Scripts(response.text).found

    assert response.headers["X-Frame-Options"] == "DENY"
    assert policy["frame-ancestors"] == ["'none'"] and policy["default-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"] and policy["style-src"] == ["'unsafe-inline'"]
    allowed = set(policy["script-src"])
    assert "'unsafe-inline'" not in allowed and "'unsafe-eval'" not in allowed
    external = [attrs["src"] for attrs, _ in scripts if attrs.get("src")]
    assert external == list(SCRIPTS)
    assert {f"https://{urlsplit(src).hostname}" for src in external} <= allowed
    executed = [text for attrs, text in scripts if not attrs]  # the data block is JSON, never run
    assert len(executed) == 1
    digest = base64.b64encode(hashlib.sha256(executed[0].encode()).digest()).decode()
    assert f"'sha256-{digest}'" in allowed


def test_every_notice_cannot_be_framed_either(app: LaunchPage) -> None:
    response = request(app, "/wecom/launch/nope", "sig=0")
    assert response.status == "403 Forbidden"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert csp(response.headers)["frame-ancestors"] == ["'none'"]
