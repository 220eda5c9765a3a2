"""The WeCom callback and the sweep endpoint under hostile or unusual input: a plain 4xx, never an exception,
and a validly signed callback is answered `success` only when the worker can apply what it journaled."""

from __future__ import annotations

import hashlib
import io
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.model import Snapshot, dedupe_key
from bot.provider_ports import Capabilities, ProviderError
from bot.providers.pages import Reply
from bot.providers.wecom.callback import WeComCallback, wecom_query
from bot.providers.wecom.codes import MAX_ITEMS
from bot.providers.wecom.crypto import WeComCrypto
from bot.providers.wecom.provider import decode_callback
from bot.scheduling import SWEEP_HEADER, sweep_endpoint, sweep_signature
from bot.service import ApprovalService, ServiceSettings
from bot.store.tinydb import TinyDBStore
from handlers.cards import Message
from handlers.render import Renderer
from tests.harness import AES_KEY, CORP_ID, TOKEN, WeComSender
from tests.test_cards import assert_valid

FIXTURES = Path(__file__).parent / "fixtures" / "wecom"
XML_FIXTURES = sorted(FIXTURES.glob("*.xml"))
NOW = 1_750_000_000

# Tencent's documented URL check (weworkapi callback samples): its echostr has both "+" and "/".
QDG_CORP_ID = "wx5823bf96d3bd56c7"
QDG_AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"  # the sample's key (check-config refuses it)
QDG_VERIFY = {
    "msg_signature": "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3",
    "timestamp": "1409659589",
    "nonce": "263014780",
    "echostr": "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==",
}


class Journal:
    """What the inbox would hold: every record the callback made."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def record(self, source: str, payload: dict[str, Any]) -> int:
        self.records.append({"source": source, **payload})
        return len(self.records)


def callback(journal: Journal, corp_id: str = CORP_ID, aes_key: str = AES_KEY) -> WeComCallback:
    return WeComCallback(WeComCrypto(TOKEN, aes_key, corp_id), journal.record, clock=lambda: NOW)


def environ(method: str, query: str, body: bytes = b"", **extra: str) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": method,
        "QUERY_STRING": query,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        **extra,
    }


def signed(plaintext: bytes, timestamp: int = NOW) -> dict[str, Any]:
    """A POST as WeCom makes it, encrypted and signed by wechatpy, for any inner bytes."""
    query, body = WeComSender("http://unused").envelope(plaintext, timestamp)  # type: ignore[arg-type]
    return environ("POST", urlencode(query), body)


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def edited(name: str, old: str, new: str) -> str:
    xml = fixture(name)
    assert old in xml, old
    return xml.replace(old, new, 1)


# -- applying, as the worker does ------------------------------------------------------------------------


class NoDetails:
    """A provider whose detail read fails: the worker then notifies from the callback alone."""

    identity = "wecom"
    capabilities = Capabilities(calls_back=True)

    def display_name(self, lang: str) -> str:
        return "WeCom"

    def fetch_details(self, snap: Snapshot) -> Snapshot:
        raise ProviderError("WeCom is unreachable in this test")

    def approval_link(self, snap: Snapshot, approver: str | None = None) -> str | None:
        return f"https://wecom.example/approval?sp_no={quote(snap.number)}"


class EveryoneInSlack:
    """Every provider user has a Slack account, so that every card is rendered."""

    def slack_id(self, identity: str, user_id: str) -> str:
        return "U" + hashlib.sha1(user_id.encode()).hexdigest()[:10].upper()


def apply_like_the_worker(record: dict[str, Any], lang: str = "en") -> None:
    """The journaled record through the worker's own steps, on a fresh store; every queued message must be
    one Slack accepts."""
    with tempfile.TemporaryDirectory() as folder:
        store = TinyDBStore(Path(folder) / "approvals.json")
        try:
            service = ApprovalService(
                store,
                EveryoneInSlack(),  # type: ignore[arg-type]
                {"wecom": NoDetails(), "wecom_open": NoDetails()},  # type: ignore[dict-item]
                ServiceSettings(lang, "CAUDIT"),
            )
            snap = decode_callback(record)
            assert snap is not None
            dedupe_key(snap)
            snap = service.complete(snap)
            service.apply_snapshot(snap, service.resolve_people(snap))
            queued = store.outbox.items()
            render = Renderer(service, lang)
            rendered = [(item, render(item)) for item in queued if item["kind"] != "home"]
        finally:
            store.close()
    assert queued
    for item, message in rendered:
        assert message is not None, item
        text, blocks = message
        if blocks:
            assert_valid(Message(text, tuple(blocks)))
        else:
            assert text.strip()


def outcome(plaintext: bytes) -> tuple[Reply, list[dict[str, Any]]]:
    journal = Journal()
    reply = callback(journal).handle(signed(plaintext))
    return reply, journal.records


def assert_refused(plaintext: bytes, status: str = "400 Bad Request") -> Reply:
    reply, records = outcome(plaintext)
    assert reply.status == status, reply
    assert records == []
    return reply


def test_every_fixture_is_accepted_and_applies() -> None:
    accepted = 0
    for path in XML_FIXTURES:
        reply, records = outcome(path.read_bytes())
        assert (reply.status, reply.body) == ("200 OK", b"success"), path.name
        for record in records:
            apply_like_the_worker(record)
            accepted += 1
    assert accepted == len(XML_FIXTURES) - 1  # all but the event the bot does not follow


# -- the findings ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("declaration", "encoding"),
    [
        ('<?xml version="1.0" encoding="ISO-8859-1"?>', "latin-1"),
        ('<?xml version="1.0" encoding="UTF-16"?>', "utf-16"),
        ("", "utf-16"),
        ('<?xml version="1.0" encoding="latin1"?>', "utf-8"),
    ],
)
def test_inner_xml_in_another_encoding_is_refused(declaration: str, encoding: str) -> None:
    xml = declaration + fixture("sys_approval_change.xml").replace("示例模板", "Café")
    reply = assert_refused(xml.encode(encoding, "xmlcharrefreplace"))
    assert b"malformed event XML" in reply.body


def test_inner_xml_declared_utf8_is_accepted() -> None:
    xml = '\ufeff<?xml version="1.0" encoding="UTF-8"?>\n' + fixture("sys_approval_change.xml")
    reply, records = outcome(xml.encode("utf-8"))
    assert reply.body == b"success"
    apply_like_the_worker(records[0])


@pytest.mark.parametrize(
    "apply_time",
    ["9" * 5000, "1" + "0" * 17, "253402300800", "1" * 21],
    ids=["5000 digits", "1e17", "year 10000", "21 digits"],
)
def test_an_apply_time_the_cards_cannot_show_is_refused_before_success(apply_time: str) -> None:
    xml = edited(
        "sys_approval_change.xml", "<ApplyTime>1571728713</ApplyTime>", f"<ApplyTime>{apply_time}</ApplyTime>"
    )
    assert_refused(xml.encode())


def test_the_last_second_of_year_9999_is_accepted_and_applies() -> None:
    xml = edited(
        "sys_approval_change.xml", "<ApplyTime>1571728713</ApplyTime>", "<ApplyTime>253402300799</ApplyTime>"
    )
    reply, records = outcome(xml.encode())
    assert reply.body == b"success"
    apply_like_the_worker(records[0])


@pytest.mark.parametrize("spelling", ["ItemUserid", "ItemUserId"])
def test_the_open_engine_user_id_in_either_spelling(spelling: str) -> None:
    xml = fixture("open_approval_change.xml").replace("ItemUserid", spelling)
    xml = xml.replace("OpenSpStatus", "OpenSpstatus" if spelling == "ItemUserId" else "OpenSpStatus")
    reply, records = outcome(xml.encode())
    assert (reply.status, reply.body) == ("200 OK", b"success")
    snap = decode_callback(records[0])
    assert snap is not None and snap.waiting_on() == ("XiaoWen",) and snap.cc == ("GuoJinHui",)
    apply_like_the_worker(records[0])


@pytest.mark.parametrize("timestamp", ["%C2%B2", "%D9%A1%D9%A2", "1" * 25, "-1", "%EF%BC%91"])
def test_a_timestamp_of_other_digits_is_403(timestamp: str) -> None:
    journal = Journal()
    _, body = WeComSender("http://unused").envelope(fixture("sys_approval_change.xml"), NOW)
    query = f"msg_signature={'0' * 40}&timestamp={timestamp}&nonce=1"
    reply = callback(journal).handle(environ("POST", query, body))
    assert reply.status == "403 Forbidden" and journal.records == []


@pytest.mark.parametrize("length", ["²", "-1", "1e3", "0x10", "9" * 30, "１"])
def test_a_content_length_that_is_not_a_count_is_400(length: str) -> None:
    journal = Journal()
    request = signed(fixture("sys_approval_change.xml").encode())
    request["CONTENT_LENGTH"] = length
    reply = callback(journal).handle(request)
    assert (reply.status, reply.body) == ("400 Bad Request", b"bad Content-Length")
    assert journal.records == []


@pytest.mark.parametrize(
    "echostr",
    [QDG_VERIFY["echostr"], quote(QDG_VERIFY["echostr"], safe="")],
    ids=["raw", "percent-encoded"],
)
def test_url_verification_takes_a_plus_raw_or_percent_encoded(echostr: str) -> None:
    """Tencent's own sample echostr, as WeCom may send it: "+" stays "+" either way (no plus-as-space)."""
    query = "&".join(f"{k}={v}" for k, v in {**QDG_VERIFY, "echostr": echostr}.items())
    assert "+" in query or "%2B" in query
    reply = callback(Journal(), corp_id=QDG_CORP_ID, aes_key=QDG_AES_KEY).handle(environ("GET", query))
    assert (reply.status, reply.body) == ("200 OK", b"1616140317555161061")


def test_query_strings_are_percent_decoded_only() -> None:
    assert wecom_query("a=1+2&b=%2B%20&a=second&c&=x") == {"a": "1+2", "b": "+ ", "c": "", "": "x"}


# -- the property ------------------------------------------------------------------------------------------

# Each list mixes what WeCom could send with what it never would.
NUMBERS = [
    "1",
    "2",
    "0",
    "253402300799",
    "1" * 20,
    "9" * 5000,
    "1" + "0" * 17,
    "253402300800",
    "1" * 21,
    "١٢",
    "²",
]
TEXTS = [
    "ok",
    "用户",
    "a" * 256,
    " ",
    "",
    "a" * 300,
    "x\u0085y",
    "\u202eevil",
    "<b>&amp;</b>",
    "a\tb",
    "a\nb",
]
ENCODINGS = ["UTF-8", "utf8", "ISO-8859-1", "UTF-16", "GBK"]
_NUMBER = re.compile(r">\s*(\d+)\s*<")
_TEXT = re.compile(r"<!\[CDATA\[(.*?)\]\]>|>([A-Za-z][^<>\s]*)<")
_REPEATED = re.compile(
    r"<(SubNodeList|NodeList|Details|Comments|Item|Notifyer|NotifyNode)>.*?</\1>", re.DOTALL
)


@st.composite
def mutated_callbacks(draw: st.DrawFn) -> bytes:
    """A fixture with a few of its numbers and texts replaced, elements repeated or nested deep, and the
    result encoded (and declared) as WeCom never would."""
    xml = draw(st.sampled_from(XML_FIXTURES)).read_text(encoding="utf-8")
    for _ in range(draw(st.integers(0, 2))):
        numbers = list(_NUMBER.finditer(xml))
        if numbers:
            found = draw(st.sampled_from(numbers))
            xml = xml[: found.start(1)] + draw(st.sampled_from(NUMBERS)) + xml[found.end(1) :]
    for _ in range(draw(st.integers(0, 2))):
        texts = list(_TEXT.finditer(xml))
        if texts:
            found = draw(st.sampled_from(texts))
            group = 1 if found.group(1) is not None else 2
            odd = draw(st.sampled_from(TEXTS)).replace("&", "&amp;").replace("<", "&lt;")
            xml = xml[: found.start(group)] + odd + xml[found.end(group) :]
    if draw(st.booleans()):
        xml = xml.replace("ItemUserid", draw(st.sampled_from(["ItemUserId", "ItemUserid", "itemuserid"])))
    repeated = list(_REPEATED.finditer(xml))
    if repeated and draw(st.integers(0, 3)) == 0:
        found = draw(st.sampled_from(repeated))
        times = draw(st.sampled_from([2, 30, MAX_ITEMS + 1]))
        xml = xml[: found.start()] + found.group() * times + xml[found.end() :]
    if draw(st.integers(0, 4)) == 0:
        depth = draw(st.sampled_from([10, 5000]))
        xml = xml.replace("<ApprovalInfo>", "<ApprovalInfo>" + "<a>" * depth + "</a>" * depth, 1)
    encoding = draw(st.none() | st.sampled_from(ENCODINGS))
    if encoding is None:
        return xml.encode("utf-8")
    declared = f'<?xml version="1.0" encoding="{encoding}"?>\n' + xml
    return declared.encode(
        "utf-8" if encoding in ("UTF-8", "utf8") else encoding.lower(), "xmlcharrefreplace"
    )


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(mutated_callbacks(), st.sampled_from(["en", "zh_CN"]))
def test_success_only_for_what_the_worker_can_apply(plaintext: bytes, lang: str) -> None:
    reply, records = outcome(plaintext)
    if reply.status == "200 OK":
        assert reply.body == b"success"
        for record in records:  # nothing journaled: an event the bot does not follow
            apply_like_the_worker(record, lang)
    else:
        assert reply.status in ("400 Bad Request", "413 Payload Too Large"), reply
        assert records == []


# -- the sweep endpoint ------------------------------------------------------------------------------------

SWEEP_SECRET = b"sweep-secret"


class CountingSchedule:
    def __init__(self) -> None:
        self.sweeps = 0

    def sweep_now(self) -> list[Any]:
        self.sweeps += 1
        return []


def ask_sweep(header: str | None) -> tuple[str, CountingSchedule]:
    schedule = CountingSchedule()
    app: Callable = sweep_endpoint(schedule, SWEEP_SECRET, clock=lambda: NOW)  # type: ignore[arg-type]
    extra = {"HTTP_" + SWEEP_HEADER.upper().replace("-", "_"): header} if header is not None else {}
    started: list[str] = []
    b"".join(app(environ("POST", "", **extra), lambda status, headers: started.append(status)))
    return started[0], schedule


@pytest.mark.parametrize(
    "header",
    [None, "", "².x", "²." + "0" * 64, f"{NOW}.é", f"{NOW}." + "é" * 64, "1" * 25 + ".x", f"{NOW - 3600}.x"],
)
def test_a_sweep_asked_without_a_valid_signature_is_403(header: str | None) -> None:
    status, schedule = ask_sweep(header)
    assert status == "403 Forbidden" and schedule.sweeps == 0


def test_a_signed_sweep_runs() -> None:
    status, schedule = ask_sweep(sweep_signature(SWEEP_SECRET, NOW))
    assert status == "200 OK" and schedule.sweeps == 1
