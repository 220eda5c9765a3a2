"""POST /slack/events, before bolt sees it: size, signature, replays and retries.

bolt parses a body before verifying it, slack_sdk's verifier does `int(timestamp)` on whatever the
header says, and bolt logs the whole body of a refused request. So this guard reads the raw body
(bounded by its declared length), checks the headers' shape, verifies the signature on the raw bytes,
and only then hands the very same bytes to bolt (whose own verification stays on and passes).

A signed request is processed once: the same signature and timestamp again within the window (a replay,
or a client resending) is answered 200 and ignored; so is an Events API event whose `event_id` was
already accepted (Slack's retries, `X-Slack-Retry-Num`). What was accepted is remembered in memory:
the timestamp window bounds a replay to minutes, but a restart forgets, so a request replayed across a
restart within those minutes runs again. Replicas on one database remember it there (SharedClaims), so
a request sent again to another replica is ignored too.
"""

from __future__ import annotations

import io
import json
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import Clock, SignatureVerifier

from handlers.events import well_formed

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable], Iterable[bytes]]

# A view_submission of the largest form a modal holds (100 blocks, 3000 characters in every input, in
# Chinese, url-encoded) measures about 3 MB: see tests/test_slack_guard.py.
MAX_BODY = 4 * 1024 * 1024
WINDOW = 300  # seconds a signature's timestamp may be off, as slack_sdk and Slack's docs say
# A timestamp up to WINDOW ahead of our clock stays valid until WINDOW after it; Slack retries an event
# up to about 5 minutes after the first try. Remembering a key this long covers both.
REMEMBER = 2 * WINDOW + 60
CAPACITY = 20_000  # keys remembered at most (only signed requests are remembered)
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})

_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
_LENGTH = re.compile(r"[0-9]{1,19}")
# requests Slack sends that no listener handles: bolt answers them itself
_SLACK_HOUSEKEEPING = frozenset({"url_verification", "app_rate_limited"})


@dataclass(frozen=True)
class Refusal:
    """Why a request is answered without being processed: its HTTP status and a short reason."""

    status: str
    reason: str


def body_length(environ: dict[str, Any], limit: int) -> int | Refusal:
    """The declared body length, or why the request is refused before its body is read: a missing length
    on a request that carries a body (411), one that is not plain ASCII digits (400), or over `limit` (413).
    """
    declared = environ.get("CONTENT_LENGTH") or ""
    if not declared:
        if environ.get("REQUEST_METHOD", "GET") in BODY_METHODS:
            return Refusal("411 Length Required", "length required")
        return 0
    if not (declared.isascii() and _LENGTH.fullmatch(declared)):
        return Refusal("400 Bad Request", "bad content length")
    length = int(declared)
    if length > limit:
        return Refusal("413 Payload Too Large", "body too large")
    return length


def answer(refusal: Refusal, start_response: Callable) -> Iterable[bytes]:
    """A refusal as a short JSON answer."""
    body = json.dumps({"error": refusal.reason}).encode()
    start_response(refusal.status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


class Claims(Protocol):
    """Where the guard remembers what it accepted: this process (RecentKeys) or a shared store."""

    def claim(self, key: str) -> bool: ...
    def release(self, key: str) -> None: ...


class SharedClaims:
    """Claims kept where every replica sees them (the shared database's dedupe keys): a request replayed
    or retried to another replica behind the load balancer is ignored there too. Old keys need no expiry
    of their own: a request older than the timestamp window is refused before it is claimed."""

    def __init__(self, claims: Claims, prefix: str = "slack-request:") -> None:
        self._claims = claims
        self._prefix = prefix

    def claim(self, key: str) -> bool:
        return self._claims.claim(self._prefix + key)

    def release(self, key: str) -> None:
        self._claims.release(self._prefix + key)


class RecentKeys:
    """Keys accepted in the last `remember` seconds, at most `capacity` of them (the oldest go first)."""

    def __init__(self, clock: Callable[[], float], remember: float = REMEMBER, capacity: int = CAPACITY):
        self._clock = clock
        self._remember = remember
        self._capacity = capacity
        self._seen: OrderedDict[str, float] = OrderedDict()  # key -> when accepted, oldest first
        self._lock = threading.Lock()

    def claim(self, key: str) -> bool:
        """True, and the key is remembered, if it was not accepted lately; False if it was."""
        now = self._clock()
        with self._lock:
            while self._seen and next(iter(self._seen.values())) < now - self._remember:
                self._seen.popitem(last=False)
            if key in self._seen:
                return False
            self._seen[key] = now
            if len(self._seen) > self._capacity:
                self._seen.popitem(last=False)
            return True

    def release(self, key: str) -> None:
        """Forget `key`: what was claimed was not processed after all, so a retry may run."""
        with self._lock:
            self._seen.pop(key, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._seen)


def event_id_of(body: bytes | dict[str, Any]) -> str | None:
    """The Events API `event_id` of a (verified) request body; None for commands and interactions."""
    if isinstance(body, bytes):
        if not body.startswith(b"{"):
            return None
        try:
            body = json.loads(body)
        except ValueError:
            return None
    event_id = body.get("event_id") if isinstance(body, dict) else None
    return event_id if isinstance(event_id, str) and event_id else None


class _GuardClock(Clock):
    """slack_sdk's verifier on the guard's clock, so both judge a timestamp by the same time."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock

    def now(self) -> float:
        return self._clock()


class SlackRequestGuard:
    """A WSGI app in front of bolt's SlackRequestHandler (`app`)."""

    def __init__(
        self,
        app: WSGIApp,
        signing_secret: str,
        *,
        max_body: int = MAX_BODY,
        clock: Callable[[], float] = time.time,
        accepted: Claims | None = None,
    ) -> None:
        """`accepted`: where accepted requests are remembered; this process's memory when None (one
        `serve`), SharedClaims over the database when replicas share one."""
        self.app = app
        self.max_body = max_body
        self.clock = clock
        # bolt falls back to a well-known secret when none is configured; the guard then refuses all
        self.verifier = SignatureVerifier(signing_secret, _GuardClock(clock)) if signing_secret else None
        self.accepted: Claims = accepted or RecentKeys(clock)

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            return answer(Refusal("405 Method Not Allowed", "method not allowed"), start_response)
        length = body_length(environ, self.max_body)
        if isinstance(length, Refusal):
            return self._refuse(length, environ.get("CONTENT_LENGTH"), start_response)
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
        signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
        reason = self._bad_headers(timestamp, signature)
        if reason:
            return self._refuse(Refusal("401 Unauthorized", reason), length, start_response)
        body = environ["wsgi.input"].read(length) if length else b""
        if len(body) != length:
            refusal = Refusal("400 Bad Request", "body shorter than declared")
            return self._refuse(refusal, length, start_response)
        if not self._genuine(body, timestamp, signature):
            return self._refuse(Refusal("401 Unauthorized", "bad signature"), length, start_response)
        if not _parsable(body, environ.get("CONTENT_TYPE")):
            return self._refuse(Refusal("400 Bad Request", "malformed body"), length, start_response)
        return self._once(environ, start_response, body, f"{timestamp}:{signature}")

    def _bad_headers(self, timestamp: str, signature: str) -> str:
        """Why the signature headers cannot be checked ("" when they can): wrong shape, or stale."""
        if not (timestamp.isascii() and _TIMESTAMP.fullmatch(timestamp)):
            return "bad or missing timestamp"
        if not (signature.isascii() and _SIGNATURE.fullmatch(signature)):
            return "bad or missing signature"
        if abs(self.clock() - int(timestamp)) > WINDOW:
            return "stale timestamp"
        return ""

    def _genuine(self, body: bytes, timestamp: str, signature: str) -> bool:
        if self.verifier is None:
            return False
        try:
            body.decode("utf-8")  # slack_sdk decodes before hashing; Slack sends UTF-8 only
        except UnicodeDecodeError:
            return False
        return self.verifier.is_valid(body, timestamp, signature)

    def _once(
        self, environ: dict[str, Any], start_response: Callable, body: bytes, request_key: str
    ) -> Iterable[bytes]:
        """Forward a verified request unless it was already accepted; forget it if it was not processed."""
        if not self.accepted.claim(request_key):
            log.info("replayed Slack request ignored", extra={"length": len(body)})
            return _ignored(start_response)
        claimed = [request_key]
        event_id = event_id_of(body)
        if event_id is not None:
            if not self.accepted.claim("event:" + event_id):
                log.info(
                    "retried Slack event ignored",
                    extra={
                        "event_id": event_id,
                        "retry_num": environ.get("HTTP_X_SLACK_RETRY_NUM", "")[:8],
                        "retry_reason": environ.get("HTTP_X_SLACK_RETRY_REASON", "")[:40],
                    },
                )
                return _ignored(start_response)
            claimed.append("event:" + event_id)
        forwarded = {**environ, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))}
        statuses: list[str] = []

        def recording(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            statuses.append(status)
            return start_response(status, headers, exc_info)

        try:
            result = self.app(forwarded, recording)
        except Exception:
            self._forget(claimed)
            raise
        if not statuses or not statuses[-1].startswith("2"):
            self._forget(claimed)
        return result

    def _forget(self, keys: list[str]) -> None:
        for key in keys:
            self.accepted.release(key)

    @staticmethod
    def _refuse(refusal: Refusal, length: Any, start_response: Callable) -> Iterable[bytes]:
        """One short line: the reason and the declared length, never the body or the signature."""
        log.warning("Slack request refused", extra={"reason": refusal.reason, "length": str(length)[:20]})
        return answer(refusal, start_response)


def _parsable(body: bytes, content_type: str | None) -> bool:
    """Whether bolt can take this (verified, UTF-8) body. bolt parses it, pulls the user, team and
    channel ids out of it and runs its built-in middleware before any of ours, and raises (a 500) on
    shapes Slack never sends: a body that is no object, a `team` that is a number, an `event` that is
    a list... So: the same construction, tried here first, and the shape our listeners read."""
    try:
        request = BoltRequest(body=body.decode("utf-8"), headers={"content-type": content_type or ""})
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        return False
    parsed = request.body
    if not isinstance(parsed, dict):
        return False
    return parsed.get("type") in _SLACK_HOUSEKEEPING or "ssl_check" in parsed or well_formed(parsed)


def _ignored(start_response: Callable) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Length", "0")])
    return [b""]


def skip_seen_events(clock: Callable[[], float] = time.time) -> Callable[..., BoltResponse | None]:
    """A bolt global middleware for Socket Mode (where no HTTP guard runs): an event whose `event_id`
    was already accepted (Slack redelivering it) is acknowledged and not processed again."""
    accepted = RecentKeys(clock)

    def skip_seen(body: dict[str, Any], next: Callable[[], None]) -> BoltResponse | None:
        event_id = event_id_of(body)
        if event_id is not None and not accepted.claim("event:" + event_id):
            log.info("retried Slack event ignored", extra={"event_id": event_id})
            return BoltResponse(status=200, body="")
        next()
        return None

    return skip_seen
