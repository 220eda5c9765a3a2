"""The approve page: what the approver sees (names, answers, where the request stands, both decisions, in
their language), and hostile requests refused plainly, before the link is claimed; the page cannot be framed
or posted to from another site. tests/test_browser_pages.py opens it in a real browser."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.forms import Control, Template
from bot.links import LinkGrant, make_token
from bot.model import (
    ApprovalMode,
    ApprovalStatus,
    FormField,
    Member,
    MemberStatus,
    Node,
    NodeType,
    Snapshot,
)
from bot.providers.local.approve_page import MAX_FORM_BYTES, PREFIX, ApprovePage
from bot.providers.local.approve_view import TIME_SCRIPT_SOURCE
from bot.store import Store
from bot.store.tinydb import TinyDBStore

SECRET = b"approve-page-secret"
NOW = 1_750_000_000
KEY = "local:202611210001"
TOKEN = make_token(LinkGrant(KEY, "U0APPROVER", "approve", NOW + 3600), SECRET)
TEMPLATE = Template(
    "local",
    "t",
    "laptops",
    "Laptops",
    (Control("Textarea", "why", "Why"), Control("Money", "cost", "Cost"), Control("Contact", "for", "For")),
)
STEP = Node(
    NodeType.APPROVER,
    ApprovalMode.ALL,
    MemberStatus.PENDING,
    (Member("U0FIRST", MemberStatus.APPROVED, "fine by me", NOW - 60), Member("U0APPROVER")),
)
SNAPSHOT = Snapshot(
    "local",
    "202611210001",
    "t",
    "Laptops",
    ApprovalStatus.PENDING,
    "U0APPLICANT",
    NOW - 3600,
    nodes=(STEP,),
    fields=(
        FormField("Why", "two new hires\n<b>start Monday</b>"),
        FormField("Cost", "4839.50"),
        FormField("For", "<@U0FIRST>"),
    ),
)
NAMES = {"U0APPLICANT": "Ada Applicant", "U0FIRST": "Fay First", "U0APPROVER": "Abe Approver"}


class RecordingDecisions:
    """Decisions as the page uses them: what is shown, and every decision taken (its note or reason)."""

    def __init__(self, snapshot: Snapshot = SNAPSHOT) -> None:
        self.snapshot = snapshot
        self.acted: list[tuple[str, str, str, str]] = []

    def current(self, key: str) -> Snapshot:
        return self.snapshot

    def act(self, key: str, actor: str, operation: str, *, speech: str = "", reason: str = "") -> Snapshot:
        self.acted.append((key, actor, operation, speech or reason))
        return self.snapshot


@dataclass
class Page:
    app: ApprovePage
    decisions: RecordingDecisions


@dataclass(frozen=True)
class Response:
    status: str
    headers: dict[str, str]
    text: str


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = TinyDBStore(tmp_path / "approvals.json")
    yield store
    store.close()


def page(store: Store, public_url: str = "", snapshot: Snapshot = SNAPSHOT) -> Page:
    decisions = RecordingDecisions(snapshot)
    app = ApprovePage(
        decisions,  # type: ignore[arg-type]
        store,
        SECRET,
        public_url=public_url,
        display_name=NAMES.__getitem__,
        templates={"t": TEMPLATE},
        clock=lambda: NOW,
    )
    return Page(app, decisions)


def call(
    page: Page,
    method: str = "POST",
    path: str = PREFIX + TOKEN,
    body: bytes = b"speech=ok+fine",
    query: str = "",
    **headers: str,
) -> Response:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "HTTP_HOST": "bot.example.com",
        "wsgi.url_scheme": "http",
        **headers,
    }
    started: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]]) -> None:
        started.update(status=status, headers=dict(response_headers))

    text = b"".join(page.app(environ, start_response)).decode("utf-8")
    return Response(started["status"], started["headers"], text)


def test_a_path_with_non_ascii_text_is_a_plain_403(store: Store) -> None:
    """GET /approve/<payload>.%C3%A9 reached hmac.compare_digest with non-ASCII text: a 500."""
    for tail in ("\u00c3\u00a9", ".\u00c3\u00a9", "\u00ff" * 50):
        response = call(page(store), "GET", PREFIX + TOKEN.split(".")[0] + tail)
        assert response.status == "403 Forbidden"
        assert "This link is not valid." in response.text


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_no_page_can_be_framed_or_load_anything(store: Store, method: str) -> None:
    headers = call(page(store), method).headers
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Content-Security-Policy"] == (
        f"default-src 'none'; script-src {TIME_SCRIPT_SOURCE}; style-src 'unsafe-inline'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )
    assert headers["Cache-Control"] == "no-store"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("public_url", "headers"),
    [
        ("https://bot.example.com", {"HTTP_ORIGIN": "https://evil.example"}),
        ("https://bot.example.com", {"HTTP_ORIGIN": "null"}),
        ("https://bot.example.com", {"HTTP_ORIGIN": "http://bot.example.com"}),
        ("https://bot.example.com", {"HTTP_ORIGIN": "https://bot.example.com:8443"}),
        ("https://bot.example.com", {"HTTP_ORIGIN": "https://bot.example.com.evil.example"}),
        ("https://bot.example.com", {"HTTP_SEC_FETCH_SITE": "cross-site"}),
        ("", {"HTTP_ORIGIN": "http://evil.example"}),
        ("", {"HTTP_ORIGIN": "http://bot.example.com:8080"}),
        ("", {"HTTP_ORIGIN": ""}),
        ("", {"HTTP_ORIGIN": "http://bot.example.com", "HTTP_SEC_FETCH_SITE": "cross-site"}),
        ("https://bot.example.com", {"HTTP_ORIGIN": "null", "HTTP_SEC_FETCH_SITE": "same-site"}),
        ("https://bot.example.com", {"HTTP_ORIGIN": "null", "HTTP_SEC_FETCH_SITE": "cross-site"}),
        (
            "https://bot.example.com",
            {"HTTP_ORIGIN": "https://evil.example", "HTTP_SEC_FETCH_SITE": "same-origin"},
        ),
    ],
)
def test_a_confirmation_from_another_site_is_refused_and_the_link_still_works(
    store: Store, public_url: str, headers: dict[str, str]
) -> None:
    refused_page = page(store, public_url)
    refused = call(refused_page, **headers)
    assert refused.status == "403 Forbidden"
    assert "another site" in refused.text and "其他网站" in refused.text
    assert refused_page.decisions.acted == []

    accepted_page = page(store, public_url)
    assert call(accepted_page).status == "200 OK"  # not consumed by the refused POST
    assert accepted_page.decisions.acted == [(KEY, "U0APPROVER", "approve", "ok fine")]


@pytest.mark.parametrize(
    ("public_url", "headers"),
    [
        ("https://bot.example.com/", {"HTTP_ORIGIN": "https://bot.example.com"}),
        ("https://Bot.Example.com:443/base", {"HTTP_ORIGIN": "https://bot.example.com"}),
        (
            "http://127.0.0.1:8080",
            {"HTTP_ORIGIN": "http://127.0.0.1:8080", "HTTP_SEC_FETCH_SITE": "same-origin"},
        ),
        ("", {"HTTP_ORIGIN": "http://bot.example.com"}),
        ("", {"HTTP_ORIGIN": "https://bot.example.com"}),  # TLS ended at a proxy in front of the bot
        ("", {}),  # neither header: an old browser, or curl
        ("https://bot.example.com", {"HTTP_SEC_FETCH_SITE": "none"}),
        # what browsers send from the page itself, under its Referrer-Policy: no-referrer
        ("https://bot.example.com", {"HTTP_ORIGIN": "null", "HTTP_SEC_FETCH_SITE": "same-origin"}),
        ("", {"HTTP_ORIGIN": "null", "HTTP_SEC_FETCH_SITE": "same-origin"}),
    ],
)
def test_a_confirmation_from_the_bots_own_page_decides(
    store: Store, public_url: str, headers: dict[str, str]
) -> None:
    own = page(store, public_url)
    assert call(own, **headers).status == "200 OK"
    assert own.decisions.acted == [(KEY, "U0APPROVER", "approve", "ok fine")]


@pytest.mark.parametrize(
    ("length", "status"),
    [
        ("²", "400 Bad Request"),
        ("-1", "400 Bad Request"),
        ("ten", "400 Bad Request"),
        ("9" * 30, "400 Bad Request"),
        (str(MAX_FORM_BYTES + 1), "413 Payload Too Large"),
    ],
)
def test_a_bad_or_oversized_form_is_refused_before_the_link_is_claimed(
    store: Store, length: str, status: str
) -> None:
    refused = page(store)
    assert call(refused, CONTENT_LENGTH=length).status == status
    assert refused.decisions.acted == []

    accepted = page(store)
    assert call(accepted).status == "200 OK"
    assert len(accepted.decisions.acted) == 1


def test_a_form_at_the_limit_is_read_whole(store: Store) -> None:
    speech = "a" * (MAX_FORM_BYTES - len("speech="))
    decided = page(store)
    assert call(decided, body=f"speech={speech}".encode()).status == "200 OK"
    assert decided.decisions.acted == [(KEY, "U0APPROVER", "approve", "a" * 500)]


# -- what the approver reads -------------------------------------------------------------------------------


def test_the_page_names_people_keeps_line_breaks_and_shows_money_with_its_currency(store: Store) -> None:
    shown = call(page(store), "GET", query="lang=en")
    assert shown.status == "200 OK"
    assert "Ada Applicant" in shown.text and "U0APPLICANT" not in shown.text
    assert "Fay First" in shown.text and "&lt;@" not in shown.text  # a Contact answer, named
    assert "two new hires\n&lt;b&gt;start Monday&lt;/b&gt;" in shown.text  # as written, escaped
    assert "CNY 4,839.50" in shown.text
    assert "1 of 2 approved" in shown.text and "Waiting on Abe Approver" in shown.text
    assert "fine by me" in shown.text
    assert 'value="approve"' in shown.text and 'value="reject"' in shown.text


@pytest.mark.parametrize(
    ("query", "accept", "expected"),
    [
        ("", "zh-CN,zh;q=0.9,en;q=0.8", "等待：Abe Approver"),
        ("", "en-GB,en;q=0.9", "Waiting on Abe Approver"),
        ("lang=zh_CN", "en-US", "等待：Abe Approver"),
        ("lang=en", "zh-CN", "Waiting on Abe Approver"),
        ("", "", "Waiting on Abe Approver"),  # the bot's language
    ],
)
def test_the_page_speaks_the_readers_language(store: Store, query: str, accept: str, expected: str) -> None:
    shown = call(page(store), "GET", query=query, HTTP_ACCEPT_LANGUAGE=accept)
    assert expected in shown.text


def test_a_reject_without_a_reason_is_refused_and_the_link_still_works(store: Store) -> None:
    rejecting = page(store)
    refused = call(rejecting, body=b"decision=reject&speech=++&lang=en")
    assert refused.status == "400 Bad Request"
    assert "A reason is required to reject" in refused.text and 'value="reject"' in refused.text
    assert rejecting.decisions.acted == []

    done = call(rejecting, body=b"decision=reject&speech=too+expensive&lang=en")
    assert done.status == "200 OK" and "You rejected this request." in done.text
    assert rejecting.decisions.acted == [(KEY, "U0APPROVER", "reject", "too expensive")]


def test_a_decision_is_taken_once(store: Store) -> None:
    deciding = page(store)
    first = call(deciding, body=b"decision=approve&lang=en")
    assert first.status == "200 OK" and "You approved this request." in first.text
    second = call(deciding, body=b"decision=reject&speech=changed+my+mind&lang=en")
    assert second.status == "409 Conflict" and "This link was already used." in second.text
    assert deciding.decisions.acted == [(KEY, "U0APPROVER", "approve", "")]


def test_an_unknown_decision_is_refused(store: Store) -> None:
    refused = page(store)
    assert call(refused, body=b"decision=transfer").status == "400 Bad Request"
    assert refused.decisions.acted == []


def test_a_finished_request_offers_no_decision(store: Store) -> None:
    final = Snapshot(**{**vars(SNAPSHOT), "status": ApprovalStatus.REJECTED})
    shown = call(page(store, snapshot=final), "GET", query="lang=en")
    assert "This request is finished (Rejected)" in shown.text
    assert 'value="approve"' not in shown.text


def test_a_link_whose_approver_already_decided_says_so(store: Store) -> None:
    mine = Member("U0APPROVER", MemberStatus.APPROVED, "", NOW - 30)
    decided = Snapshot(**{**vars(SNAPSHOT), "nodes": (Node(**{**vars(STEP), "members": (mine,)}),)})
    shown = call(page(store, snapshot=decided), "GET", query="lang=en")
    assert (
        "This request is not waiting for you now." in shown.text and "Your decision: approved" in shown.text
    )
    assert 'value="approve"' not in shown.text


@pytest.mark.parametrize(
    ("token", "status", "expected"),
    [
        (make_token(LinkGrant(KEY, "U0APPROVER", "approve", NOW - 1), SECRET), "403 Forbidden", "expired"),
        (
            make_token(LinkGrant(KEY, "U0APPROVER", "approve", NOW + 60), b"other"),
            "403 Forbidden",
            "not valid",
        ),
    ],
)
def test_a_bad_link_says_what_to_do_in_both_languages(
    store: Store, token: str, status: str, expected: str
) -> None:
    shown = call(page(store), "GET", PREFIX + token)
    assert shown.status == status and expected in shown.text
    assert "Slack" in shown.text and "这个链接" in shown.text
