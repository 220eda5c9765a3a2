"""Approve-link tokens: signed, bound, expiring."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.links import LinkError, LinkGrant, make_token, read_token, token_id

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
