"""Approve-link tokens: signed, bound, expiring; and the placeholders stored cards carry instead."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import replace
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.links import LinkError, LinkGrant, _sign, make_token, read_token, token_id
from bot.providers.local.approve_page import ApprovePage
from bot.providers.local.setup import ApproveLinks

SECRET = b"s" * 32
GRANT = LinkGrant("local:202611210001", "U0APPROVERA", "approve", expires=2_000)


def test_a_genuine_token_gives_back_exactly_its_grant() -> None:
    assert read_token(make_token(GRANT, SECRET), SECRET, now=1_000) == GRANT


def test_a_token_signed_with_another_secret_is_forged() -> None:
    with pytest.raises(LinkError) as caught:
        read_token(make_token(GRANT, b"x" * 32), SECRET, now=1_000)
    assert caught.value.reason == "forged"


@given(st.integers(min_value=0), st.integers(min_value=0, max_value=255))
def test_changing_any_byte_of_a_token_makes_it_forged(position: int, value: int) -> None:
    token = make_token(GRANT, SECRET)
    index = position % len(token)
    changed = token[:index] + chr(value % 94 + 33) + token[index + 1 :]
    if changed == token:
        return
    with pytest.raises(LinkError) as caught:
        read_token(changed, SECRET, now=1_000)
    assert caught.value.reason in ("forged", "expired")


@pytest.mark.parametrize("tail", [".%C3%A9", "\u00c3\u00a9", "\u00e9", "\ud800", "é" * 43])
def test_a_token_with_any_non_ascii_text_is_forged_not_an_exception(tail: str) -> None:
    """A URL path can carry any text (the server decodes it as latin-1); compare_digest takes only ASCII."""
    payload = make_token(GRANT, SECRET).split(".")[0]
    for token in (f"{payload}.{tail}", f"{payload}{tail}", f"{tail}.{payload}"):
        with pytest.raises(LinkError) as caught:
            read_token(token, SECRET, now=1_000)
        assert caught.value.reason == "forged"


@pytest.mark.parametrize(
    "fields",
    [
        {"expires": "²"},
        {"expires": "2000"},
        {"expires": True},
        {"expires": 2_000.5},
        {"expires": None},
        {"approval": 7},
        {"approver": ["U0APPROVERA"]},
        {"decision": "delete"},
    ],
)
def test_a_signed_payload_not_made_by_make_token_is_forged(fields: dict) -> None:
    """Only the secret's holder can sign; a grant of the wrong shape is still refused, never a TypeError."""
    payload = base64.urlsafe_b64encode(json.dumps({**vars(GRANT), **fields}).encode()).rstrip(b"=").decode()
    token = f"{payload}.{_sign(payload, SECRET)}"
    with pytest.raises(LinkError) as caught:
        read_token(token, SECRET, now=1_000)
    assert caught.value.reason == "forged"


@given(st.text(max_size=200))
def test_any_text_is_a_grant_or_forged(token: str) -> None:
    try:
        read_token(token, SECRET, now=1_000)
    except LinkError as exc:
        assert exc.reason in ("forged", "expired")


def test_an_old_token_is_expired() -> None:
    with pytest.raises(LinkError) as caught:
        read_token(make_token(GRANT, SECRET), SECRET, now=2_001)
    assert caught.value.reason == "expired"


def test_a_grant_cannot_be_widened_by_editing_the_payload() -> None:
    token = make_token(GRANT, SECRET)
    other = make_token(LinkGrant(GRANT.approval, "U0INTRUDER", "approve", GRANT.expires), SECRET)
    spliced = other.split(".")[0] + "." + token.split(".")[1]
    with pytest.raises(LinkError):
        read_token(spliced, SECRET, now=1_000)


def test_only_known_decisions_and_the_store_keeps_a_digest_not_the_token() -> None:
    with pytest.raises(ValueError):
        make_token(LinkGrant(GRANT.approval, GRANT.approver, "delete", GRANT.expires), SECRET)
    token = make_token(GRANT, SECRET)
    assert token not in token_id(token) and len(token_id(token)) == 64


# placeholders: what stored cards carry instead of a live link ------------------------------------

URL = "https://bot.example"
SNAP = SimpleNamespace(key=GRANT.approval)


def links(now: float = 1_000) -> ApproveLinks:
    return ApproveLinks(URL, SECRET, ttl=600, clock=lambda: now)


def test_a_placeholder_is_a_url_without_a_token_and_is_minted_into_one() -> None:
    placeholder = links().placeholder(SNAP, GRANT.approver)  # type: ignore[arg-type]
    assert placeholder.startswith(f"{URL}/approve/~")
    with pytest.raises(LinkError) as caught:
        read_token(placeholder.removeprefix(f"{URL}/approve/"), SECRET, now=1_000)
    assert caught.value.reason == "forged"

    minted = links(now=1_500).mint(f"card <{placeholder}|open> and {json.dumps(placeholder)}")
    tokens = re.findall(rf"{URL}/approve/([A-Za-z0-9_.-]+)", minted)
    assert len(tokens) == 2 and placeholder not in minted
    for token in tokens:
        assert read_token(token, SECRET, now=1_500) == replace(GRANT, expires=1_500 + 600)


def test_the_approve_page_refuses_a_placeholder() -> None:
    placeholder = links().placeholder(SNAP, GRANT.approver)  # type: ignore[arg-type]
    page = ApprovePage(decisions=None, store=None, secret=SECRET)  # type: ignore[arg-type]  # refused before
    for method in ("GET", "POST"):
        status, _ = page.handle({"PATH_INFO": placeholder.removeprefix(URL), "REQUEST_METHOD": method})
        assert status == "403 Forbidden"


def test_a_placeholder_not_made_by_the_bot_stays_dead_text() -> None:
    """Someone types a placeholder-shaped URL into a form field, hoping a card mints it for them."""
    real = links().placeholder(SNAP, GRANT.approver)  # type: ignore[arg-type]
    other_approver = base64.urlsafe_b64encode(b"U0INTRUDER").rstrip(b"=").decode()
    parts = real.split("~")
    forged = "~".join([parts[0], parts[1], other_approver, parts[3], parts[4]])
    made_up = "~".join([*parts[:4], "A" * 22])
    other_secret = ApproveLinks(URL, b"x" * 32, ttl=600).placeholder(SNAP, GRANT.approver)  # type: ignore[arg-type]
    approve, delete = (base64.urlsafe_b64encode(w).rstrip(b"=").decode() for w in (b"approve", b"delete"))
    for text in (forged, made_up, other_secret, real.replace(f"~{approve}~", f"~{delete}~")):
        assert links().mint(f"field: {text}") == f"field: {text}"
