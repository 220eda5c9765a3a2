"""GET/POST /wecom/callback: verify, decrypt, journal, answer.

WeCom drops an answer that takes over 5 s and retries, so nothing slow happens
here: the event is written to the durable inbox and the answer goes out; the
inbox processor does the rest. Anything wrong with a request is a 4xx with
nothing stored; no request can cause a 5xx.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote

from bot.providers.pages import Reply, request_length
from bot.providers.wecom import codes
from bot.providers.wecom.crypto import ReceiveIdError, SignatureError, WeComCrypto, WeComCryptoError
from bot.providers.wecom.events import CallbackParseError, parse_event

log = logging.getLogger(__name__)

Record = Callable[[str, dict[str, Any]], int]


def wecom_query(query_string: str) -> dict[str, str]:
    """WeCom's query parameters, first of each name, percent-decoded only.

    WeCom's official samples unquote the query (urllib.unquote); parse_qs would also turn a raw "+" into a
    space, and an echostr is base64, where "+" is a letter.
    """
    query: dict[str, str] = {}
    for pair in query_string.split("&"):
        name, _, value = pair.partition("=")
        query.setdefault(unquote(name), unquote(value))
    return query


def _reject(status: str, reason: str, **context: Any) -> Reply:
    log.warning("wecom callback rejected", extra={"reason": reason, **context})
    return Reply(status, reason.encode())


class WeComCallback:
    """A WSGI app for the callback URL."""

    def __init__(
        self,
        crypto: WeComCrypto,
        record: Record,
        *,
        max_skew: int = 300,
        max_body: int = 1_048_576,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.crypto = crypto
        self.record = record
        self.max_skew = max_skew
        self.max_body = max_body
        self.clock = clock

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        reply = self.handle(environ)
        start_response(
            reply.status, [("Content-Type", reply.content_type), ("Content-Length", str(len(reply.body)))]
        )
        return [reply.body]

    def handle(self, environ: dict[str, Any]) -> Reply:
        query = wecom_query(environ.get("QUERY_STRING", ""))
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "GET":
            return self._verify_url(query)
        if method == "POST":
            return self._receive(environ, query)
        return Reply("405 Method Not Allowed", b"method not allowed")

    def _verify_url(self, query: dict[str, str]) -> Reply:
        missing = [p for p in ("msg_signature", "timestamp", "nonce", "echostr") if not query.get(p)]
        if missing:
            return _reject("400 Bad Request", f"missing query parameters: {', '.join(missing)}")
        try:
            echo = self.crypto.verify_url(
                query["msg_signature"], query["timestamp"], query["nonce"], query["echostr"]
            )
        except WeComCryptoError as exc:
            return self._crypto_failure(exc)
        return Reply("200 OK", echo)

    def _receive(self, environ: dict[str, Any], query: dict[str, str]) -> Reply:
        missing = [p for p in ("msg_signature", "timestamp", "nonce") if not query.get(p)]
        if missing:
            return _reject("400 Bad Request", f"missing query parameters: {', '.join(missing)}")
        length = request_length(environ)
        if length is None:
            return _reject("400 Bad Request", "bad Content-Length")
        if length > self.max_body:
            return _reject("413 Payload Too Large", "body too large", length=length)
        timestamp = codes.digits(query["timestamp"])  # ASCII digits only: "²".isdigit() is True
        if timestamp is None or abs(self.clock() - timestamp) > self.max_skew:
            return _reject("403 Forbidden", "stale or invalid timestamp", timestamp=query["timestamp"][:40])
        body = environ["wsgi.input"].read(length) if length else b""
        try:
            plaintext = self.crypto.decrypt_message(
                body, query["msg_signature"], query["timestamp"], query["nonce"]
            )
        except WeComCryptoError as exc:
            return self._crypto_failure(exc)
        try:
            snapshot = parse_event(plaintext)
        except CallbackParseError as exc:
            return _reject("400 Bad Request", "malformed event XML", error=str(exc))
        if snapshot is None:
            log.info("wecom callback ignored: not an approval event")
            return Reply("200 OK", b"success")
        # parse_event took only UTF-8: the journal keeps exactly the text it parsed
        seq = self.record("wecom", {"xml": plaintext.decode("utf-8"), "received": self.clock()})
        log.debug("wecom callback recorded", extra={"approval": snapshot.key, "seq": seq})
        return Reply("200 OK", b"success")

    @staticmethod
    def _crypto_failure(exc: WeComCryptoError) -> Reply:
        """Forgeries (signature, corp id) are 403; broken payloads are 400."""
        status = "403 Forbidden" if isinstance(exc, SignatureError | ReceiveIdError) else "400 Bad Request"
        return _reject(status, f"{type(exc).__name__} ({exc.code})")
