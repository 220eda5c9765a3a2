"""Hostile HTTP against the real `serve`: every route refuses what it is sent cheaply and plainly.

Hypothesis generates the requests, route by route: random bytes, mutated but validly signed envelopes,
bad and stale signatures, non-ASCII digits and absurd numbers in every numeric field and header,
entity expansion and deep nesting inside validly signed WeCom envelopes, bodies up to 100 MB.
Every request must get a status below 500 within ANSWER_WITHIN seconds; after each route's batch the
serve process' peak memory stays bounded, nothing is stored and nothing is sent. Requests go out as raw
bytes (tests/hostile.py) so that nothing between the generator and the server cleans them up.

Sizes: tests/suite_size.py (APPROVALS_BOT_FULL_SUITE=1 for 10,000 requests a route). Run with `-s` to see
the max and p99 answer times of each route.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote, quote_from_bytes

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.offline.slack_standin import SlackStandIn
from bot.providers.wecom.launch_page import link_signature
from bot.scheduling import SWEEP_PATH, sweep_signature
from tests.fakes.wecom_api import FakeWeComApi
from tests.harness import (
    CORP_ID,
    OPEN_ENGINE,
    SECRET,
    Approver,
    BotProcess,
    approval_xml,
    purchase_template,
    tinydb_only,
    write_config,
)
from tests.hostile import (
    HOSTILE_NUMBERS,
    MEMORY_GROWTH_LIMIT,
    MIB,
    VISIBLE_SLACK_CALLS,
    HttpRequest,
    Quiet,
    Timings,
    exchange,
    exported_approvals,
    journal_records,
    link_token,
    open_event_xml,
    peak_rss,
    repeated,
    slack_signature,
    wecom_encrypt,
    wecom_envelope,
    wecom_signature,
)
from tests.suite_size import FULL, count

# Raw bytes to one process's front door, and the journal on its disk: a load balancer (the replicas
# mode's proxy) would answer these itself, so the replicas mode has nothing of its own to check here.
pytestmark = tinydb_only("raw hostile HTTP to one process's front door; the inbox journal read from disk")

T = TypeVar("T")
SIGNING_SECRET = "0b7e4c2a9d1f5e3c8a6b4d2f0e1c3a5b"
LINK_SECRET = "hostile-link-secret-0123456789abcdef"
APPLICANT = "U0APPLICANT"

REQUESTS_PER_ROUTE = count(300, 10_000)
HOSTILE = settings(
    max_examples=REQUESTS_PER_ROUTE,
    derandomize=not FULL,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@dataclass
class World:
    """One serve process for the module, with its fakes, and what was known before each batch."""

    bot: BotProcess
    slack: SlackStandIn
    wecom: FakeWeComApi
    config: Path
    store: Path
    baseline_rss: int
    known_approvals: int = 0
    known_records: int = 0

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.bot.url.removeprefix("http://").rsplit(":", 1)
        return host, int(port)

    def attack(
        self, route: str, requests: st.SearchStrategy[HttpRequest], *, signed_slack: bool = False
    ) -> None:
        """Send what `requests` generates, then check every rule for the batch at once."""
        timings = Timings()
        quiet = Quiet(self.slack, self.wecom)

        @HOSTILE
        @given(request=requests)
        def send(request: HttpRequest) -> None:
            timings.record(request, exchange(self.address, request))

        send()
        self.check(route, timings, quiet, signed_slack=signed_slack)

    def check(self, route: str, timings: Timings, quiet: Quiet, *, signed_slack: bool = False) -> None:
        print(timings.summary(route))
        problems = [timings.findings()] if timings.violations else []
        assert self.bot.proc is not None
        if self.bot.proc.poll() is not None:
            problems.append(f"serve exited with {self.bot.proc.returncode}")
        else:
            grown = peak_rss(self.bot.proc.pid) - self.baseline_rss
            if grown >= MEMORY_GROWTH_LIMIT:
                problems.append(f"peak RSS of serve grew by {grown / MIB:.0f} MiB since the start")
        approvals, records = exported_approvals(self.config), journal_records(self.store)
        if len(approvals) > self.known_approvals:
            problems.append(f"approvals stored: {[a['number'] for a in approvals][self.known_approvals :]}")
        if len(records) > self.known_records:
            fresh = records[self.known_records :]
            problems.append(f"{len(fresh)} inbox records journaled, the first: {fresh[0][:160]}")
        self.known_approvals, self.known_records = len(approvals), len(records)
        if len(problems) > bool(timings.violations):
            problems.append(f"requests answered 2xx: {sorted(set(timings.accepted))}")
        slack_calls = quiet.slack_calls()
        shown = [c for c in slack_calls if c in VISIBLE_SLACK_CALLS] if signed_slack else slack_calls
        if shown:
            problems.append(f"sent to Slack: {sorted(set(shown))}")
        if quiet.wecom_calls():
            problems.append(f"sent to WeCom: {sorted(set(quiet.wecom_calls()))}")
        assert not problems, f"{route}:\n" + "\n".join(problems)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("hostile")
    store = folder / "data" / "approvals.json"
    with (
        SlackStandIn(users={APPLICANT: {"email": "wujunjie@example.com"}}) as slack,
        FakeWeComApi(corp_id=CORP_ID, secret=SECRET) as wecom,
    ):
        config = write_config(
            folder / "config.toml",
            slack.api_url,
            wecom.base_url,
            store,
            {APPLICANT: "WuJunJie"},
            wecom_settings=OPEN_ENGINE,
            server=f'link_secret = "{LINK_SECRET}"',
            bot_token="xoxb-hostile-token",
            signing_secret=SIGNING_SECRET,
            audit_channel="",
            schedule="sweep_minutes = 1440",
            local_templates=[purchase_template([APPLICANT])],
        )
        bot = BotProcess(config).start()
        assert bot.proc is not None
        try:
            assert bot.health()["status"] == "ok"
            assert exported_approvals(config) == [] and journal_records(store) == []
            yield World(bot, slack, wecom, config, store, peak_rss(bot.proc.pid))
        finally:
            bot.stop()
            print("".join(bot.log[-40:]))


# -- pieces every route uses -------------------------------------------------------------------------------


def label(value: str) -> str:
    """A short name for a value in a finding's kind: long values by their start and length."""
    return value if len(value) <= 14 else f"{value[:8]}…({len(value)} chars)"


def now() -> int:
    return int(time.time())


hostile_number = st.sampled_from(HOSTILE_NUMBERS)


def mostly(usual: T, unusual: st.SearchStrategy[T]) -> st.SearchStrategy[T]:
    """`usual` three times in four, else something from `unusual`: most requests must get past the first
    check (signature, timestamp) for the checks behind it to be attacked at all."""
    return st.integers(0, 3).flatmap(lambda pick: unusual if pick == 0 else st.just(usual))


junk_text = st.text(max_size=80)
junk_bytes = st.binary(max_size=4096)


def header_value(text: str, latin1: bool) -> bytes:
    """A header as a client may send it: latin-1 bytes (WSGI's reading) when possible, else UTF-8."""
    try:
        return text.encode("latin-1") if latin1 else text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8")


@st.composite
def query_value(draw: st.DrawFn, text: str) -> bytes:
    """`text` percent-encoded as UTF-8 or latin-1, or sent as raw bytes."""
    how = draw(st.sampled_from(["utf-8", "latin-1", "raw"]))
    if how == "raw":
        return text.encode("utf-8").replace(b" ", b"+").replace(b"&", b"%26").replace(b"#", b"%23")
    try:
        return quote(text, safe="", encoding=how).encode()
    except UnicodeEncodeError:
        return quote(text, safe="").encode()


@st.composite
def query_string(draw: st.DrawFn, fields: dict[str, str]) -> bytes:
    """A query of `fields`, each encoded its own way; sometimes one left out or given twice."""
    parts = [name.encode() + b"=" + draw(query_value(value)) for name, value in fields.items()]
    if parts and draw(st.integers(0, 3)) == 0:
        changed = draw(st.integers(0, len(parts) - 1))
        parts = [*parts, parts[changed]] if draw(st.booleans()) else parts[:changed] + parts[changed + 1 :]
    return b"&".join(parts)


@st.composite
def random_target(draw: st.DrawFn, prefix: bytes) -> bytes:
    """`prefix` and random bytes, percent-encoded or raw (spaces and CR/LF aside, to keep one request)."""
    data = draw(st.binary(max_size=200))
    if draw(st.booleans()):
        return prefix + quote_from_bytes(data, safe="/").encode()
    return prefix + bytes(b for b in data if b not in b" \r\n")


methods = st.sampled_from([b"GET", b"POST", b"HEAD", b"PUT", b"DELETE", b"OPTIONS", b"PATCH", b"G\xc3\xa9T"])
content_types = st.sampled_from(
    [
        b"application/x-www-form-urlencoded",
        b"application/json",
        b"text/xml",
        b"multipart/form-data; boundary=x",
        b"application/x-www-form-urlencoded; charset=utf-16",
        b"\xff\xfe",
    ]
)


@st.composite
def odd_headers(draw: st.DrawFn) -> tuple[tuple[bytes, bytes], ...]:
    """Headers a hostile client adds: hostile numbers where numbers go, junk elsewhere."""
    chosen = draw(
        st.lists(
            st.sampled_from([b"Content-Type", b"X-Forwarded-For", b"Origin", b"Cookie", b"Accept-Language"]),
            max_size=3,
            unique=True,
        )
    )
    return tuple(
        (name, header_value(draw(st.one_of(junk_text, hostile_number)), draw(st.booleans())))
        for name in chosen
    )


# -- WeCom callback -----------------------------------------------------------------------------------------


def valid_events() -> dict[str, str]:
    """The approval events, each with every numeric field the bot reads (made fresh: times move).

    A sys_approval_change with a ProcessList is read from it and its SpRecord is ignored, so the
    SpRecord's fields are attacked in an event that has no ProcessList ("sys record").
    """
    stamp = now()
    sys_event = approval_xml(
        "202611210001",
        nodes=[(1, [Approver("lisi", status=2, time=stamp)])],
        comments=[("c1", "lisi", stamp, "ok")],
        create_time=stamp,
        apply_time=stamp - 60,
    )
    without_process = re.sub(r"<ProcessList>.*</ProcessList>", "", sys_event)
    return {
        "sys": sys_event,
        "sys record": without_process,
        "open": open_event_xml("SLK-20261121-0001", stamp),
    }


COMMON_FIELDS = ("CreateTime", "SpStatus", "ApplyTime", "StatuChangeEvent", "CommentTime")
NUMERIC_FIELDS = {
    "sys": (*COMMON_FIELDS, "NodeType", "ApvRel", "SpYj", "Sptime"),
    "sys record": (*COMMON_FIELDS, "ApproverAttr", "SpTime"),
    "open": (
        "CreateTime",
        "OpenSpStatus",
        "ApplyTime",
        "NodeStatus",
        "NodeAttr",
        "ItemStatus",
        "ItemOpTime",
        "ApproverStep",
    ),
}
LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">'
    '<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">'
    '<!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;"><!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">]>'
)
EXTERNAL = '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY h SYSTEM "file:///etc/passwd">]>'
EXTERNAL_DTD = '<?xml version="1.0"?><!DOCTYPE xml SYSTEM "http://127.0.0.1:9/evil.dtd">'
PARAMETER = '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]>'
DEEP = "<a>" * 10_000 + "</a>" * 10_000


def _replace_field(xml: str, name: str, value: str) -> str:
    start = xml.index(f"<{name}>") + len(name) + 2
    return xml[:start] + value + xml[xml.index(f"</{name}>", start) :]


@st.composite
def inner_plaintexts(draw: st.DrawFn) -> tuple[str, bytes]:
    """(what it is, plaintext) of an event no bot may accept, to be encrypted and signed validly."""
    events = valid_events()
    flavour = draw(st.sampled_from(sorted(events)))
    xml = events[flavour]
    kind = draw(st.sampled_from(["numeric", "numeric", "numeric", "encoding", "entities", "nesting", "junk"]))
    if kind == "numeric":
        name, value = draw(st.sampled_from(NUMERIC_FIELDS[flavour])), draw(hostile_number)
        return f"{flavour} {name}={label(value)}", _replace_field(xml, name, value).encode()
    if kind == "encoding":
        declared = draw(st.sampled_from(["ISO-8859-1", "UTF-16", "UTF-16 undeclared", "GB2312", "EBCDIC"]))
        if declared == "UTF-16":
            return "encoding UTF-16", f'<?xml version="1.0" encoding="UTF-16"?>{xml}'.encode("utf-16")
        if declared == "UTF-16 undeclared":
            return "encoding UTF-16 (BOM only)", xml.encode("utf-16")
        name = "cp500" if declared == "EBCDIC" else declared
        text = f'<?xml version="1.0" encoding="{declared}"?>{xml}'
        return f"encoding {declared}", text.encode(name, errors="replace")
    if kind == "entities":
        prolog, ref = draw(
            st.sampled_from([(LAUGHS, "&h;"), (EXTERNAL, "&h;"), (EXTERNAL_DTD, ""), (PARAMETER, "")])
        )
        field = draw(st.sampled_from(["CreateTime", "ApplyTime", "MsgType"]))
        body = _replace_field(xml, field, ref) if ref else xml
        return f"entities {label(prolog[40:70])} in {field}", (prolog + body).encode()
    if kind == "nesting":
        if draw(st.booleans()):
            return "nesting 10000 as the document", f"<xml>{DEEP}</xml>".encode()
        return "nesting 10000 in ApplyTime", _replace_field(xml, "ApplyTime", DEEP).encode()
    return "junk plaintext", draw(st.binary(max_size=2048))


@st.composite
def wecom_posts(draw: st.DrawFn) -> HttpRequest:
    """POST /wecom/callback: random bodies, or validly encrypted hostile events in mutated envelopes."""
    stamp = now()
    timestamp = draw(
        mostly(str(stamp), st.sampled_from([str(stamp - 3600), str(stamp + 3600)]) | hostile_number)
    )
    nonce = draw(mostly("1379823", hostile_number | junk_text))
    if draw(st.integers(0, 4)) == 0:
        body = draw(junk_bytes)
        query = {"msg_signature": draw(junk_text), "timestamp": timestamp, "nonce": nonce}
        kind = f"random body, timestamp {label(timestamp)}"
    else:
        what, plaintext = draw(inner_plaintexts())
        mutation = draw(
            mostly(
                "intact",
                st.sampled_from(
                    [
                        "bit flip (re-signed)",
                        "bit flip (old signature)",
                        "truncated (re-signed)",
                        "lying length",
                        "bad padding",
                        "wrong receive id",
                        "outer entity",
                        "outer nesting",
                    ]
                ),
            )
        )
        encrypt = wecom_encrypt(
            plaintext,
            declared_length=2**32 - 1 if mutation == "lying length" else None,
            pad_byte=draw(st.sampled_from([0, 33, 255])) if mutation == "bad padding" else None,
            receive_id=b"ww-someone-else" if mutation == "wrong receive id" else CORP_ID.encode(),
        )
        signed = encrypt
        if mutation.startswith("bit flip"):
            raw = bytearray(encrypt.encode())
            raw[draw(st.integers(0, len(raw) - 1))] ^= 1 << draw(st.integers(0, 7))
            encrypt = raw.decode("latin-1")
            signed = encrypt if "re-signed" in mutation else signed
        elif mutation.startswith("truncated"):
            encrypt = signed = encrypt[: draw(st.integers(0, len(encrypt) - 1))]
        body = wecom_envelope(encrypt)
        if mutation == "outer entity":
            body = (LAUGHS + wecom_envelope("&h;").decode()).encode()
        elif mutation == "outer nesting":
            body = body.replace(b"</xml>", DEEP.encode() + b"</xml>")
        query = {
            "msg_signature": wecom_signature(timestamp, nonce, signed),
            "timestamp": timestamp,
            "nonce": nonce,
        }
        kind = f"{what}, {mutation}, timestamp {label(timestamp)}"
    target = b"/wecom/callback?" + draw(query_string(query))
    headers = ((b"Content-Type", b"text/xml"), *draw(odd_headers()))
    return HttpRequest(kind, b"POST", target, headers, body)


@st.composite
def wecom_url_checks(draw: st.DrawFn) -> HttpRequest:
    """GET /wecom/callback: URL verification with hostile query fields, signed or not."""
    stamp = now()
    timestamp = draw(st.one_of(st.just(str(stamp)), st.just(str(stamp - 86400)), hostile_number))
    nonce = draw(st.one_of(st.just("1379823"), hostile_number, junk_text))
    shape = draw(
        st.sampled_from(["valid", "junk text", "bit flip", "truncated", "lying length", "bad padding"])
    )
    echostr = wecom_encrypt(
        draw(st.binary(min_size=1, max_size=64)),
        declared_length=2**31 if shape == "lying length" else None,
        pad_byte=0 if shape == "bad padding" else None,
    )
    if shape == "junk text":
        echostr = draw(st.text(min_size=1, max_size=300))
    elif shape == "bit flip":
        position = draw(st.integers(0, len(echostr) - 1))
        echostr = echostr[:position] + chr(ord(echostr[position]) ^ 1) + echostr[position + 1 :]
    elif shape == "truncated":
        echostr = echostr[: draw(st.integers(1, len(echostr) - 1))]
    signature = draw(
        st.one_of(st.just(wecom_signature(timestamp, nonce, echostr)), junk_text, hostile_number)
    )
    fields = {"msg_signature": signature, "timestamp": timestamp, "nonce": nonce, "echostr": echostr}
    target = b"/wecom/callback?" + draw(query_string(fields))
    kind = f"echostr {shape}, timestamp {label(timestamp)}"
    return HttpRequest(
        kind, draw(st.sampled_from([b"GET", b"GET", b"HEAD", b"PUT"])), target, draw(odd_headers())
    )


def test_wecom_url_verification_refuses_hostile_requests(world: World) -> None:
    world.attack("GET /wecom/callback", wecom_url_checks())


def test_wecom_callbacks_refuse_hostile_events_before_acknowledging(world: World) -> None:
    world.attack("POST /wecom/callback", wecom_posts())


def test_every_numeric_field_of_a_signed_event_refuses_every_hostile_number(world: World) -> None:
    """Not sampled: each field the bot reads, with each hostile number, in an intact, current envelope."""
    timings, quiet = Timings(), Quiet(world.slack, world.wecom)
    for flavour, fields in NUMERIC_FIELDS.items():
        for name in fields:
            for value in HOSTILE_NUMBERS:
                xml = _replace_field(valid_events()[flavour], name, value)
                encrypt, timestamp = wecom_encrypt(xml.encode()), str(now())
                query = (
                    f"msg_signature={wecom_signature(timestamp, '1379823', encrypt)}&timestamp={timestamp}"
                )
                target = f"/wecom/callback?{query}&nonce=1379823".encode()
                request = HttpRequest(
                    f"{flavour} {name}={label(value)}", b"POST", target, (), wecom_envelope(encrypt)
                )
                timings.record(request, exchange(world.address, request))
    world.check("POST /wecom/callback, every numeric field", timings, quiet)


# -- Slack ---------------------------------------------------------------------------------------------------


ACTION_IDS = (
    "approval_approve",
    "approval_reject",
    "approval_more",
    "approval_urge",
    "approval_comment",
    "approval_revoke",
    "form_pick_template",
    "home_new_request",
    "form_table_add",
    "value",
)
CALLBACK_IDS = ("approval_form", "approval_decision", "approval_pick")
anything = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), junk_text, hostile_number),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(junk_text, inner, max_size=4)),
    max_leaves=12,
)
user_ids = st.one_of(st.just(APPLICANT), st.just("U0STRANGER"), junk_text, hostile_number)


@st.composite
def slack_payloads(draw: st.DrawFn, response_url: str) -> tuple[str, bytes, bytes]:
    """(shape, body, content type) of a Slack request made hostile inside: what a leaked secret allows."""
    shape = draw(
        st.sampled_from(
            [
                "command",
                "block_actions",
                "view_submission",
                "event",
                "url_verification",
                "payload junk",
                "json junk",
            ]
        )
    )
    form = b"application/x-www-form-urlencoded"
    if shape == "command":
        text = draw(
            st.one_of(
                junk_text,
                st.builds(lambda n: f"approve {n}", hostile_number),
                st.builds(lambda n: f"new {n}", st.one_of(junk_text, hostile_number)),
                st.sampled_from(["help", "list", "new", "mine", "waiting"]),
            )
        )
        fields = {
            "command": draw(st.sampled_from(["/approval", "/approval-admin"]) | junk_text),
            "text": text,
            "user_id": draw(user_ids),
            "team_id": draw(junk_text),
            "channel_id": draw(junk_text),
            "trigger_id": draw(junk_text),
            "response_url": draw(st.sampled_from([response_url, "", "not a url", "http://127.0.0.1:9/x"])),
        }
        body = "&".join(f"{quote(k)}={quote(v)}" for k, v in fields.items())
        return f"command {label(text)}", body.encode(), form
    if shape == "block_actions":
        action = {
            "action_id": draw(st.sampled_from(ACTION_IDS) | junk_text),
            "block_id": draw(st.one_of(st.builds(lambda n: f"decide|local:{n}", hostile_number), junk_text)),
            "value": draw(st.sampled_from(["approve", "reject", "comment", "revoke"]) | junk_text),
            "selected_option": draw(anything),
        }
        payload = {
            "type": "block_actions",
            "user": {"id": draw(user_ids)},
            "trigger_id": draw(junk_text),
            "actions": [action] if draw(st.booleans()) else draw(anything),
            "container": draw(anything),
        }
        return f"block_actions {label(action['action_id'])}", _form_payload(payload), form
    if shape == "view_submission":
        metadata = draw(
            st.one_of(
                junk_text,
                st.builds(
                    lambda op, key, draft: json.dumps(
                        {"operation": op, "key": key, "draft": draft, "alias": op}
                    ),
                    st.sampled_from(["reject", "comment", "revoke"]) | junk_text,
                    st.builds(lambda n: f"local:{n}", hostile_number),
                    anything,
                ),
            )
        )
        payload = {
            "type": "view_submission",
            "user": {"id": draw(user_ids)},
            "view": {
                "id": draw(junk_text),
                "callback_id": draw(st.sampled_from(CALLBACK_IDS) | junk_text),
                "private_metadata": metadata,
                "state": {"values": draw(anything)},
            },
        }
        return f"view_submission {label(payload['view']['callback_id'])}", _form_payload(payload), form
    if shape == "event":
        event = {
            "type": draw(st.sampled_from(["message", "app_mention", "member_joined_channel"]) | junk_text),
            "user": draw(user_ids),
            "text": draw(junk_text),
            "ts": draw(hostile_number),
        }
        body = json.dumps({"type": "event_callback", "event": event, "event_time": draw(hostile_number)})
        return f"event {label(event['type'])}", body.encode(), b"application/json"
    if shape == "url_verification":
        challenge = draw(st.one_of(junk_text, st.just("c" * 100_000)))
        return (
            "url_verification",
            json.dumps({"type": "url_verification", "challenge": challenge}).encode(),
            (b"application/json"),
        )
    if shape == "payload junk":
        return "payload junk", b"payload=" + quote(draw(junk_text)).encode(), form
    return "json junk", draw(junk_bytes), b"application/json"


def _form_payload(payload: dict) -> bytes:
    return b"payload=" + quote(json.dumps(payload)).encode()


@st.composite
def unsigned_slack_requests(draw: st.DrawFn, response_url: str) -> HttpRequest:
    """POST /slack/events without a valid signature: missing, forged, stale, or over a hostile timestamp."""
    how = draw(
        st.sampled_from(["no headers", "forged", "stale", "future", "hostile timestamp", "random body"])
    )
    shape, body, content_type = draw(slack_payloads(response_url))
    timestamp = str(now()).encode()
    if how == "random body":
        body = draw(junk_bytes)
    if how == "stale":
        timestamp = str(now() - 3600).encode()
    elif how == "future":
        timestamp = str(now() + 3600).encode()
    elif how == "hostile timestamp":
        timestamp = header_value(draw(st.one_of(hostile_number, st.just("abc"))), draw(st.booleans()))
    signature = slack_signature(SIGNING_SECRET, timestamp, body)
    if how in ("forged", "random body"):
        signature = header_value(draw(st.one_of(junk_text, st.just("v0=" + "0" * 64))), draw(st.booleans()))
    headers = [(b"Content-Type", content_type)]
    if how != "no headers":
        headers += [(b"X-Slack-Request-Timestamp", timestamp), (b"X-Slack-Signature", signature)]
    return HttpRequest(f"{how}: {shape}", b"POST", b"/slack/events", tuple(headers), body)


@st.composite
def signed_slack_requests(draw: st.DrawFn, response_url: str) -> HttpRequest:
    """POST /slack/events, validly signed now, carrying hostile payloads."""
    shape, body, content_type = draw(slack_payloads(response_url))
    timestamp = str(now()).encode()
    headers = (
        (b"Content-Type", content_type),
        (b"X-Slack-Request-Timestamp", timestamp),
        (b"X-Slack-Signature", slack_signature(SIGNING_SECRET, timestamp, body)),
    )
    return HttpRequest(f"signed: {shape}", b"POST", b"/slack/events", headers, body)


def test_slack_requests_without_a_valid_signature_are_refused(world: World) -> None:
    world.attack("POST /slack/events (unsigned)", unsigned_slack_requests(world.slack.response_url()))


def test_validly_signed_hostile_slack_payloads_change_nothing(world: World) -> None:
    """The weaker rule: a polite ephemeral refusal may be sent, but no message, no state."""
    world.attack(
        "POST /slack/events (signed)", signed_slack_requests(world.slack.response_url()), signed_slack=True
    )


# -- approve links ------------------------------------------------------------------------------------------


def _json_number_or_string(value: str) -> str:
    """`value` as a raw JSON number when it is one (5,000 digits included), else as a JSON string."""
    try:
        json.loads(value)
        return value if value.strip() and value[0] in "-0123456789" else json.dumps(value)
    except ValueError:
        return json.dumps(value)


@st.composite
def link_payloads(draw: st.DrawFn) -> tuple[str, bytes]:
    """(what it is, payload) of a grant signed with the real secret but hostile inside."""
    expires = draw(st.one_of(st.just(str(now() + 3600)), hostile_number))
    approval = draw(st.one_of(st.just("local:202611210001"), junk_text, hostile_number))
    decision = draw(st.sampled_from(["approve", "reject"]) | junk_text)
    shape = draw(st.sampled_from(["grant", "grant", "extra field", "missing field", "not an object", "junk"]))
    if shape == "junk":
        return "signed junk payload", draw(junk_bytes)
    if shape == "not an object":
        return "signed non-object", json.dumps(draw(anything)).encode()
    fields = {
        "approval": json.dumps(approval),
        "approver": json.dumps(draw(user_ids)),
        "decision": json.dumps(decision),
        "expires": _json_number_or_string(expires),
    }
    if shape == "extra field":
        fields["admin"] = "true"
    elif shape == "missing field":
        fields.pop(draw(st.sampled_from(sorted(fields))))
    text = "{" + ",".join(f'"{k}":{v}' for k, v in fields.items()) + "}"
    return f"signed {shape} expires={label(expires)}", text.encode()


@st.composite
def approve_requests(draw: st.DrawFn) -> HttpRequest:
    """GET/POST /approve/<token>: random, forged, signed-but-hostile, or with non-ASCII tails."""
    how = draw(
        st.sampled_from(["random", "forged", "signed", "signed", "non-ascii tail", "non-ascii signature"])
    )
    if how == "random":
        target, kind = draw(random_target(b"/approve/")), "random path"
    else:
        kind, payload = draw(link_payloads())
        token = link_token(payload, LINK_SECRET.encode()).encode()
        encoded, _, signature = token.partition(b".")
        if how == "forged":
            token, kind = encoded + b"." + signature[::-1], f"forged ({kind})"
        elif how == "non-ascii tail":
            token, kind = token + b".%C3%A9", f"tail .%C3%A9 ({kind})"
        elif how == "non-ascii signature":
            token, kind = encoded + b"." + quote(draw(junk_text)).encode(), f"junk signature ({kind})"
        target = b"/approve/" + token + draw(st.sampled_from([b"", b"?x=1", b"/more", b"%00"]))
    method = draw(st.sampled_from([b"GET", b"POST", b"POST", b"HEAD", b"PUT"]))
    body = b""
    if method == b"POST":
        body = draw(st.one_of(junk_bytes, st.builds(lambda s: b"speech=" + quote(s).encode(), junk_text)))
    headers = ((b"Content-Type", draw(content_types)), *draw(odd_headers()))
    return HttpRequest(f"{method.decode()} {kind}", method, target, headers, body)


def test_approve_links_refuse_hostile_requests(world: World) -> None:
    world.attack("GET/POST /approve/<token>", approve_requests())


# -- launch pages ------------------------------------------------------------------------------------------


@st.composite
def launch_requests(draw: st.DrawFn) -> HttpRequest:
    """GET /wecom/launch/<thirdNo>?sig=…: random thirdNos; forged, valid (for no draft) or hostile sigs."""
    third_no = draw(st.one_of(junk_text, hostile_number, st.just("SLK-20261121-0001")))
    path = b"/wecom/launch/" + quote(third_no, safe="").encode()
    if draw(st.integers(0, 3)) == 0:
        path = draw(random_target(b"/wecom/launch/"))
    sig_kind = draw(st.sampled_from(["valid", "junk", "hostile", "missing", "twice"]))
    sig = {
        "valid": link_signature(third_no, LINK_SECRET.encode()),
        "junk": draw(junk_text),
        "hostile": draw(hostile_number),
    }.get(sig_kind, "")
    fields = {"sig": sig} if sig_kind != "missing" else {}
    if draw(st.booleans()):
        fields["view"] = draw(st.one_of(st.just("1"), hostile_number))
    query = draw(query_string(fields))
    if sig_kind == "twice":
        query += b"&sig=" + link_signature(third_no, LINK_SECRET.encode()).encode()
    method = draw(st.sampled_from([b"GET", b"GET", b"POST", b"HEAD"]))
    body = draw(junk_bytes) if method == b"POST" else b""
    return HttpRequest(
        f"{method.decode()} sig {sig_kind}", method, path + b"?" + query, draw(odd_headers()), body
    )


def test_launch_pages_refuse_hostile_requests(world: World) -> None:
    world.attack("GET /wecom/launch/<thirdNo>", launch_requests())


# -- the sweep endpoint --------------------------------------------------------------------------------------


@st.composite
def sweep_requests(draw: st.DrawFn) -> HttpRequest:
    """POST /internal/sweep with every kind of signature except a valid, current one."""
    secret, stamp = LINK_SECRET.encode(), now()
    how = draw(
        st.sampled_from(["hostile stamp", "hostile stamp", "stale", "future", "junk", "missing", "twice"])
    )
    value = {
        "hostile stamp": f"{draw(hostile_number)}.{sweep_signature(secret, stamp).partition('.')[2]}",
        "stale": sweep_signature(secret, stamp - 3600),
        "future": sweep_signature(secret, stamp + 3600),
        "junk": draw(junk_text),
    }.get(how, "")
    headers: list[tuple[bytes, bytes]] = []
    if how != "missing":
        headers.append((b"X-Approvals-Bot-Sweep", header_value(value, draw(st.booleans()))))
    if how == "twice":
        headers.append((b"X-Approvals-Bot-Sweep", sweep_signature(secret, stamp - 3600).encode()))
    method = draw(st.sampled_from([b"POST", b"POST", b"GET", b"PUT"]))
    body = draw(junk_bytes) if method != b"GET" else b""
    kind = f"{method.decode()} {how} {label(value.partition('.')[0])}"
    return HttpRequest(kind, method, SWEEP_PATH.encode(), (*headers, *draw(odd_headers())), body)


def test_the_sweep_endpoint_refuses_hostile_requests(world: World) -> None:
    world.attack("POST /internal/sweep", sweep_requests())


# -- /healthz and everything else ---------------------------------------------------------------------------


@st.composite
def other_requests(draw: st.DrawFn) -> HttpRequest:
    """/healthz with odd methods, queries and bodies; and paths no route serves."""
    if draw(st.booleans()):
        target = b"/healthz" + draw(st.sampled_from([b"", b"?", b"/", b"%00", b"?x=" + b"9" * 5000]))
        kind = "healthz"
    else:
        target = draw(
            random_target(draw(st.sampled_from([b"/", b"/wecom/", b"/slack/", b"//", b"/internal/"])))
        )
        kind = "random path"
    method = draw(methods)
    body = draw(junk_bytes) if method in (b"POST", b"PUT", b"PATCH") else b""
    return HttpRequest(f"{method.decode(errors='replace')} {kind}", method, target, draw(odd_headers()), body)


def test_healthz_and_unknown_paths_refuse_hostile_requests(world: World) -> None:
    world.attack("/healthz and other paths", other_requests())


@st.composite
def content_length_requests(draw: st.DrawFn) -> HttpRequest:
    """A Content-Length no server should wait on: hostile numbers, or two values at once."""
    target = draw(
        st.sampled_from(
            [
                b"/wecom/callback?msg_signature=a&timestamp=1&nonce=1",
                b"/slack/events",
                b"/approve/a.b",
                SWEEP_PATH.encode(),
                b"/healthz",
            ]
        )
    )
    value = draw(st.one_of(hostile_number, st.just("5, 7")))
    headers = ((b"Content-Length", header_value(value, draw(st.booleans()))),)
    return HttpRequest(f"Content-Length: {label(value)}", b"POST", target, headers, b"", content_length=False)


def test_hostile_content_lengths_are_refused(world: World) -> None:
    world.attack("hostile Content-Length", content_length_requests())


# -- huge bodies --------------------------------------------------------------------------------------------


def _huge_body_targets() -> dict[str, Callable[[], tuple[bytes, tuple[tuple[bytes, bytes], ...]]]]:
    def wecom() -> tuple[bytes, tuple[tuple[bytes, bytes], ...]]:
        return f"/wecom/callback?msg_signature=0&timestamp={now()}&nonce=1".encode(), (
            (b"Content-Type", b"text/xml"),
        )

    def slack() -> tuple[bytes, tuple[tuple[bytes, bytes], ...]]:
        stamp = str(now()).encode()
        return b"/slack/events", (
            (b"Content-Type", b"application/x-www-form-urlencoded"),
            (b"X-Slack-Request-Timestamp", stamp),
            (b"X-Slack-Signature", b"v0=" + b"0" * 64),
        )

    return {
        "/wecom/callback": wecom,
        "/slack/events": slack,
        "/approve/<token>": lambda: (b"/approve/" + link_token(b"{}", b"x").encode(), ()),
        SWEEP_PATH: lambda: (SWEEP_PATH.encode(), ((b"X-Approvals-Bot-Sweep", b"1.x"),)),
        "/healthz": lambda: (b"/healthz", ()),
        "/wecom/launch/<thirdNo>": lambda: (b"/wecom/launch/x?sig=0", ()),
    }


def test_huge_bodies_are_refused_without_being_read(world: World) -> None:
    """100 MB bodies, with a Content-Length and chunked without one: refused early, memory bounded."""
    timings, quiet = Timings(), Quiet(world.slack, world.wecom)
    biggest = {"/wecom/callback", "/slack/events"} if not FULL else set(_huge_body_targets())
    for route, make in _huge_body_targets().items():
        size = 100 * MIB if route in biggest else 8 * MIB
        for chunked in (False, True):
            target, headers = make()
            framing = "chunked" if chunked else "Content-Length"
            request = HttpRequest(f"{route} {size // MIB} MiB {framing}", b"POST", target, headers)
            stream = repeated(size, b"payload=" + b"x" * (MIB - 8))
            timings.record(
                request, exchange(world.address, request, stream=stream, length=size, chunked=chunked)
            )
    world.check("huge bodies", timings, quiet)
