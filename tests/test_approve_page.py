"""The approve page: hostile requests are refused plainly, before the link is claimed, and the page cannot be
framed or posted to from another site."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.links import LinkGrant, make_token
from bot.model import ApprovalStatus, Snapshot
from bot.providers.local.approve_page import MAX_FORM_BYTES, PREFIX, ApprovePage
from bot.store import Store
from bot.store.tinydb import TinyDBStore

SECRET = b"approve-page-secret"
NOW = 1_750_000_000
KEY = "local:202611210001"
TOKEN = make_token(LinkGrant(KEY, "U0APPROVER", "approve", NOW + 3600), SECRET)
SNAPSHOT = Snapshot("local", "202611210001", "t", "Laptops", ApprovalStatus.PENDING, "U0APPLICANT", NOW)


class RecordingDecisions:
    """Decisions as the page uses them: what is shown, and every decision taken."""

    def __init__(self) -> None:
        self.acted: list[tuple[str, str, str, str]] = []

    def current(self, key: str) -> Snapshot:
        return SNAPSHOT

    def act(self, key: str, actor: str, operation: str, *, speech: str = "") -> Snapshot:
        self.acted.append((key, actor, operation, speech))
        return SNAPSHOT


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


def page(store: Store, public_url: str = "") -> Page:
    decisions = RecordingDecisions()
    app = ApprovePage(decisions, store, SECRET, public_url=public_url, clock=lambda: NOW)  # type: ignore[arg-type]
    return Page(app, decisions)


def call(
    page: Page,
    method: str = "POST",
    path: str = PREFIX + TOKEN,
    body: bytes = b"speech=ok+fine",
    **headers: str,
) -> Response:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
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
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; "
        "frame-ancestors 'none'"
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
