"""SlackRequestGuard: only signed, fresh, first-time Slack requests reach bolt, with their exact bytes."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from bot.forms import Control, Template
from bot.offline.slack_standin import SlackStandIn
from handlers.modals import build_form_view
from handlers.slack_http import (
    CAPACITY,
    MAX_BODY,
    REMEMBER,
    RecentKeys,
    SlackRequestGuard,
    skip_seen_events,
)

SECRET = "test-signing-secret"
NOW = 1_700_000_000.0
COMMAND = urlencode({"command": "/approval", "text": "list", "user_id": "U1"}).encode()


class Bolt:
    """Stands for bolt: records what reached it and answers `status`."""

    def __init__(self, status: str = "200 OK") -> None:
        self.status = status
        self.received: list[tuple[bytes, str]] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        length = int(environ["CONTENT_LENGTH"])
        self.received.append((environ["wsgi.input"].read(length), environ["CONTENT_LENGTH"]))
        start_response(self.status, [("Content-Length", "2")])
        return [b"ok"]


class Unreadable(io.RawIOBase):
    """A body nobody may read: the guard must refuse from the headers alone."""

    def read(self, size: int = -1) -> bytes:
        raise AssertionError("the body was read")


def sign(body: bytes, timestamp: str) -> str:
    return SignatureVerifier(SECRET).generate_signature(timestamp=timestamp, body=body) or ""


def environ(
    body: bytes = COMMAND,
    *,
    timestamp: str | None = None,
    signature: str | None = None,
    headers: dict[str, str] | None = None,
    length: str | None = None,
) -> dict[str, Any]:
    """A POST as waitress hands it over; signed now unless told otherwise."""
    timestamp = str(int(NOW)) if timestamp is None else timestamp
    env: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body)) if length is None else length,
        "wsgi.input": io.BytesIO(body),
        "HTTP_X_SLACK_REQUEST_TIMESTAMP": timestamp,
        "HTTP_X_SLACK_SIGNATURE": sign(body, timestamp) if signature is None else signature,
    }
    env.update({"HTTP_" + k.upper().replace("-", "_"): v for k, v in (headers or {}).items()})
    return {k: v for k, v in env.items() if v != "<absent>"}


def call(app: Callable, env: dict[str, Any]) -> tuple[str, bytes]:
    answered: list[str] = []
    body = b"".join(app(env, lambda status, headers, exc_info=None: answered.append(status)))
    return answered[0], body


@pytest.fixture
def bolt() -> Bolt:
    return Bolt()


@pytest.fixture
def guard(bolt: Bolt) -> SlackRequestGuard:
    return SlackRequestGuard(bolt, SECRET, clock=lambda: NOW)


@pytest.mark.parametrize(
    "timestamp",
    ["<absent>", "", "abc", "١٧٠٠٠٠٠٠٠٠", "１７００００００００", "1" + "0" * 4400, "9" * 13, "-17", "17.5"],
)
def test_a_timestamp_that_is_not_1_to_12_ascii_digits_is_refused_401(
    guard: SlackRequestGuard, bolt: Bolt, timestamp: str, caplog: pytest.LogCaptureFixture
) -> None:
    env = environ(timestamp=timestamp, signature=sign(COMMAND, str(int(NOW))))
    assert call(guard, env)[0] == "401 Unauthorized"
    assert bolt.received == []
    assert [r.reason for r in caplog.records] == ["bad or missing timestamp"]


@pytest.mark.parametrize(
    "signature",
    [
        "<absent>",
        "",
        "v0=" + "a" * 63,
        "v0=" + "a" * 65,
        "v1=" + sign(COMMAND, str(int(NOW)))[3:],
        "v0=" + "g" * 64,
        "v0=" + "ａ" * 64,
        sign(COMMAND, str(int(NOW))).upper(),
    ],
)
def test_a_signature_of_the_wrong_shape_is_refused_401(
    guard: SlackRequestGuard, bolt: Bolt, signature: str
) -> None:
    assert call(guard, environ(signature=signature))[0] == "401 Unauthorized"
    assert bolt.received == []


def test_a_wrong_signature_is_refused_in_one_line_without_body_or_signature(
    guard: SlackRequestGuard, bolt: Bolt, caplog: pytest.LogCaptureFixture
) -> None:
    forged = sign(b"something else", str(int(NOW)))
    status, body = call(guard, environ(b"payload=SECRET-BODY", signature=forged))
    assert (status, json.loads(body)) == ("401 Unauthorized", {"error": "bad signature"})
    assert bolt.received == []
    (record,) = caplog.records
    assert record.getMessage() == "Slack request refused" and record.reason == "bad signature"
    assert "SECRET-BODY" not in caplog.text and forged[3:] not in caplog.text


def test_a_body_that_is_not_utf8_is_refused_not_crashed(guard: SlackRequestGuard, bolt: Bolt) -> None:
    body = b"payload=\xff\xfe"
    timestamp = str(int(NOW))
    base = b"v0:" + timestamp.encode() + b":" + body
    signature = "v0=" + hmac.new(SECRET.encode(), base, hashlib.sha256).hexdigest()
    assert call(guard, environ(body, signature=signature))[0] == "401 Unauthorized"
    assert bolt.received == []


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"payload=", "application/x-www-form-urlencoded"),
        (b"payload=%7B", "application/x-www-form-urlencoded"),
        ("\u035e".encode(), "application/json"),
        (b"[1]", "application/json"),
        # parsed, but of shapes bolt's own id extraction raises on before any middleware runs
        (b'{"type": "event_callback", "event": [1]}', "application/json"),
        (b'{"type": "event_callback", "authorizations": [1]}', "application/json"),
        (b'{"type": "block_actions", "team": 7}', "application/json"),
        (b"payload=%7B%22user%22%3A%20%5B%5D%7D", "application/x-www-form-urlencoded"),
    ],
)
def test_signed_junk_that_bolt_cannot_parse_is_a_400(
    guard: SlackRequestGuard, bolt: Bolt, body: bytes, content_type: str
) -> None:
    env = environ(body)
    env["CONTENT_TYPE"] = content_type
    assert call(guard, env)[0] == "400 Bad Request"
    assert bolt.received == []


@pytest.mark.parametrize("offset", [-301, 301])
def test_a_stale_or_future_timestamp_is_refused(guard: SlackRequestGuard, bolt: Bolt, offset: int) -> None:
    assert call(guard, environ(timestamp=str(int(NOW) + offset)))[0] == "401 Unauthorized"
    assert bolt.received == []


def test_no_signing_secret_refuses_everything(bolt: Bolt) -> None:
    guard = SlackRequestGuard(bolt, "", clock=lambda: NOW)
    assert call(guard, environ())[0] == "401 Unauthorized"
    assert bolt.received == []


@pytest.mark.parametrize(
    ("length", "status"),
    [
        (str(MAX_BODY + 1), "413 Payload Too Large"),
        ("<absent>", "411 Length Required"),
        ("abc", "400 Bad Request"),
        ("١٢", "400 Bad Request"),
        ("-5", "400 Bad Request"),
        ("9" * 40, "400 Bad Request"),
    ],
)
def test_a_bad_or_too_large_length_is_refused_before_reading(
    guard: SlackRequestGuard, bolt: Bolt, length: str, status: str
) -> None:
    env = environ(length=length)
    env["wsgi.input"] = Unreadable()
    assert call(guard, env)[0] == status
    assert bolt.received == []


def test_a_body_shorter_than_declared_is_refused(guard: SlackRequestGuard, bolt: Bolt) -> None:
    assert call(guard, environ(length=str(len(COMMAND) + 10)))[0] == "400 Bad Request"
    assert bolt.received == []


def test_a_genuine_request_reaches_bolt_with_the_identical_body(guard: SlackRequestGuard, bolt: Bolt) -> None:
    assert call(guard, environ(timestamp=str(int(NOW) - 299))) == ("200 OK", b"ok")
    assert bolt.received == [(COMMAND, str(len(COMMAND)))]


@pytest.fixture
def client() -> Iterator[WebClient]:
    """What bolt's authorization asks (auth.test) answered on loopback."""
    with SlackStandIn() as slack:
        yield WebClient(token="xoxb-test-token", base_url=slack.api_url, retry_handlers=[])


def test_bolts_own_verification_passes_behind_the_guard(client: WebClient) -> None:
    app = App(client=client, signing_secret=SECRET, token_verification_enabled=False)
    heard: list[str] = []

    @app.command("/approval")
    def approval(ack: Callable, command: dict[str, Any]) -> None:
        heard.append(command["text"])
        ack()

    real_now = SignatureVerifier(SECRET).clock.now()
    guard = SlackRequestGuard(SlackRequestHandler(app), SECRET, clock=lambda: real_now)
    status, _ = call(guard, environ(timestamp=str(int(real_now))))
    assert status == "200 OK"
    assert heard == ["list"]


def test_a_replayed_request_is_answered_200_and_not_processed(
    guard: SlackRequestGuard, bolt: Bolt, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    assert call(guard, environ()) == ("200 OK", b"ok")
    assert call(guard, environ()) == ("200 OK", b"")
    assert call(guard, environ()) == ("200 OK", b"")
    assert len(bolt.received) == 1
    assert caplog.text.count("replayed Slack request ignored") == 2


def test_a_request_bolt_did_not_take_may_come_again() -> None:
    failing = Bolt("500 Internal Server Error")
    guard = SlackRequestGuard(failing, SECRET, clock=lambda: NOW)
    call(guard, environ())
    call(guard, environ())
    assert len(failing.received) == 2


def event(event_id: str) -> bytes:
    body = {"type": "event_callback", "event_id": event_id, "event": {"type": "app_home_opened"}}
    return json.dumps(body).encode()


def test_a_retry_of_an_accepted_event_is_ignored_and_a_fresh_event_passes(
    guard: SlackRequestGuard, bolt: Bolt, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    assert call(guard, environ(event("Ev1"))) == ("200 OK", b"ok")
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    # Slack signs a retry anew: another timestamp, so another signature
    assert call(guard, environ(event("Ev1"), timestamp=str(int(NOW) - 5), headers=retry)) == ("200 OK", b"")
    assert call(guard, environ(event("Ev2"), headers=retry)) == ("200 OK", b"ok")
    assert [json.loads(body)["event_id"] for body, _ in bolt.received] == ["Ev1", "Ev2"]
    (ignored,) = [r for r in caplog.records if r.getMessage() == "retried Slack event ignored"]
    assert (ignored.event_id, ignored.retry_num, ignored.retry_reason) == ("Ev1", "1", "http_timeout")


def test_accepted_keys_expire_and_are_capped() -> None:
    now = [NOW]
    keys = RecentKeys(lambda: now[0])
    assert keys.claim("a") and not keys.claim("a")
    now[0] += REMEMBER + 1
    assert keys.claim("a")
    for n in range(CAPACITY + 10):
        keys.claim(f"k{n}")
    assert len(keys) == CAPACITY


def test_socket_mode_redeliveries_of_an_event_are_processed_once(client: WebClient) -> None:
    app = App(
        client=client,
        token_verification_enabled=False,
        request_verification_enabled=False,
        process_before_response=True,  # listeners run before dispatch returns
    )
    app.use(skip_seen_events())
    heard: list[str] = []
    app.event("app_home_opened")(lambda event: heard.append(event["user"]))
    body = {"type": "event_callback", "event_id": "Ev9", "event": {"type": "app_home_opened", "user": "U1"}}
    for _ in range(3):
        assert app.dispatch(BoltRequest(body=body, mode="socket_mode")).status == 200
    other = dict(body, event_id="Ev10")
    app.dispatch(BoltRequest(body=other, mode="socket_mode"))
    assert heard == ["U1", "U1"]


def test_the_largest_form_submission_fits_the_limit() -> None:
    """99 long-labelled inputs (100 blocks, the most a modal holds), each filled with 3000 Chinese characters
    (plain_text_input's most), url-encoded as Slack posts it: the guard's limit must take it."""
    label = "很长的标题" * 60
    controls = tuple(Control("Textarea", f"Textarea-{i}", label, required=True) for i in range(99))
    form = Template("wecom", "tpl", "big", "采购" * 12, controls)
    view = build_form_view(form, "zh_CN", private_metadata="x" * 3000)
    values = {
        b["block_id"]: {b["element"]["action_id"]: {"type": "plain_text_input", "value": "字" * 3000}}
        for b in view["blocks"]
        if b["type"] == "input"
    }
    payload = {
        "type": "view_submission",
        "user": {"id": "U0APPLICANT", "username": "someone", "name": "someone", "team_id": "T1"},
        "view": dict(view, id="V1", state={"values": values}),
    }
    body = urlencode({"payload": json.dumps(payload, ensure_ascii=False)}).encode()
    assert len(view["blocks"]) == 100
    assert 2_500_000 < len(body) < MAX_BODY


@pytest.mark.parametrize(
    "body",
    [
        b'{"type": "url_verification", "token": "t", "challenge": "c"}',
        b'{"type": "app_rate_limited", "team_id": "T1", "minute_rate_limited": 1}',
        b"ssl_check=1&token=t",
    ],
)
def test_slack_housekeeping_requests_reach_bolt(guard: SlackRequestGuard, bolt: Bolt, body: bytes) -> None:
    """Requests no listener handles (bolt answers URL verification and SSL checks itself) still pass."""
    env = environ(body)
    form = body.startswith(b"ssl")
    env["CONTENT_TYPE"] = "application/x-www-form-urlencoded" if form else "application/json"
    assert call(guard, env)[0] == "200 OK"
    assert [received for received, _ in bolt.received] == [body]
