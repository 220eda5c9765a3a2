"""Approve links: a decision that can be taken outside Slack (mail, a phone, another chat).

A link is a token that names one approval, one approver and one decision,
signed with the server's secret (HMAC-SHA256) and carrying its expiry; it
works once. Opening it (GET) only shows what it would do: link scanners and
Slack's unfurler open links. Only the confirmation (POST) decides.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import asdict, dataclass

DEFAULT_TTL = 7 * 24 * 3600
DECISIONS = ("approve", "reject")


class LinkError(Exception):
    """Why a link cannot be used: `reason` is one of "forged", "expired", "used"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class LinkGrant:
    approval: str  # approval key, e.g. "local:202611210001"
    approver: str  # the Slack user the link was made for
    decision: str  # "approve" or "reject"
    expires: int  # unix seconds


def make_token(grant: LinkGrant, secret: bytes) -> str:
    if grant.decision not in DECISIONS:
        raise ValueError(f"decision must be one of {DECISIONS}")
    payload = _b64(json.dumps(asdict(grant), separators=(",", ":"), sort_keys=True).encode())
    return f"{payload}.{_sign(payload, secret)}"


def read_token(token: str, secret: bytes, now: float) -> LinkGrant:
    """The grant a token carries, if it is genuine and not expired (whether it was used is the store's)."""
    payload, _, signature = token.partition(".")
    if not payload or not hmac.compare_digest(signature, _sign(payload, secret)):
        raise LinkError("forged")
    try:
        grant = LinkGrant(**json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))
    except (ValueError, TypeError) as exc:
        raise LinkError("forged") from exc
    if grant.expires < now:
        raise LinkError("expired")
    return grant


def token_id(token: str) -> str:
    """What the store remembers of a used token: its digest, not the token."""
    return hashlib.sha256(token.encode()).hexdigest()


def _sign(payload: str, secret: bytes) -> str:
    return _b64(hmac.new(secret, payload.encode(), hashlib.sha256).digest())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
