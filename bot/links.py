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
import re
from collections.abc import Callable, Sequence
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
    # Tokens are URL-safe base64; compare_digest raises on non-ASCII text, which a URL path can carry.
    if not payload or not token.isascii() or not hmac.compare_digest(signature, _sign(payload, secret)):
        raise LinkError("forged")
    try:
        grant = LinkGrant(**json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))
    except (ValueError, TypeError) as exc:
        raise LinkError("forged") from exc
    if not _well_typed(grant):  # signed, yet not made by make_token (a leaked or misused secret)
        raise LinkError("forged")
    if grant.expires < now:
        raise LinkError("expired")
    return grant


def _well_typed(grant: LinkGrant) -> bool:
    """Whether a grant holds what make_token puts there: texts, a known decision, whole seconds."""
    texts = (grant.approval, grant.approver, grant.decision)
    return (
        all(isinstance(text, str) for text in texts)
        and grant.decision in DECISIONS
        and isinstance(grant.expires, int)
        and not isinstance(grant.expires, bool)
    )


def token_id(token: str) -> str:
    """What the store remembers of a used token: its digest, not the token."""
    return hashlib.sha256(token.encode()).hexdigest()


def _sign(payload: str, secret: bytes) -> str:
    return _b64(hmac.new(secret, payload.encode(), hashlib.sha256).digest())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class LinkPlaceholders:
    """Links made when a message is sent, so no live link waits in the store (outbox items can wait
    for days, e.g. while Slack refuses the bot's token).

    Stored messages carry `<base>~<field>~...~<mac>` (a valid URL, but no credential: the pages refuse
    it); `mint` swaps each for `live(fields)` at send time. The mac makes placeholders the bot's alone:
    one typed into a form field (and so into a card) stays dead text.
    """

    def __init__(
        self, base: str, secret: bytes, purpose: str, arity: int, live: Callable[[Sequence[str]], str]
    ) -> None:
        self.base = base
        self.secret = secret
        self.purpose = purpose.encode()
        self.live = live
        self._pattern = re.compile(re.escape(base) + "~([A-Za-z0-9_-]+)" * (arity + 1))

    def make(self, *fields: str) -> str:
        encoded = "".join(f"~{_b64(field.encode())}" for field in fields)
        return f"{self.base}{encoded}~{self._mac(encoded)}"

    def mint(self, text: str) -> str:
        """`text` (a message's text or its blocks as JSON) with every placeholder made a live link."""
        return self._pattern.sub(self._minted, text)

    def _mac(self, encoded: str) -> str:
        return _b64(hmac.new(self.secret, self.purpose + encoded.encode(), hashlib.sha256).digest()[:16])

    def _minted(self, found: re.Match[str]) -> str:
        *fields, mac = found.groups()
        if not hmac.compare_digest(mac, self._mac("".join(f"~{field}" for field in fields))):
            return found[0]
        return self.live([base64.urlsafe_b64decode(f + "=" * (-len(f) % 4)).decode() for f in fields])
