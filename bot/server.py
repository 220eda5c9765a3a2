"""One process, one production WSGI server (waitress), every route.

- POST /slack/events   bolt (HTTP mode) behind SlackRequestGuard; with slack.app_token, Socket Mode instead
- GET/POST /wecom/callback
- GET /healthz         200 when health says "ok", else 503, the same JSON either way

Every route has a body limit, checked from Content-Length before anything is read: the route's own
`max_body` if it declares one, else DEFAULT_BODY_LIMIT. waitress is told the largest of them, so it
answers 413 itself, without buffering, to anything bigger (chunked bodies included).
"""

from __future__ import annotations

import json
import logging
import signal
import sys
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser, ParsingError
from waitress.server import create_server

from bot.logs import redact
from bot.providers.setup import link_secret
from bot.runtime import Runtime
from bot.scheduling import SWEEP_PATH, Schedule, sweep_endpoint
from bot.worker import Worker
from handlers.slack_http import Refusal, SharedClaims, SlackRequestGuard, answer, body_length

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable], Iterable[bytes]]
SLACK_PATH = "/slack/events"
DEFAULT_BODY_LIMIT = 16_384  # a small form; a route that takes more declares its own max_body
# How long a thread may hold the GIL while another waits for it. Python's 5 ms lets the workers (applying,
# delivering: CPU-bound Python) keep a request thread that just woke from its socket or its fsync waiting
# 5 ms at each of the several times it needs the GIL back; the acknowledgement's tail is the sum of those.
GIL_SWITCH_INTERVAL = 0.0005


def _json(status: str, payload: Any) -> WSGIApp:
    body = json.dumps(payload, ensure_ascii=False).encode()

    def app(environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return app


class _LengthCheckingParser(HTTPRequestParser):
    """waitress int()s a Content-Length of any number of digits; past Python's limit on digits that raises
    ValueError, which waitress does not catch, so the client got no answer at all. It is a 400."""

    def parse_header(self, header_plus: bytes) -> None:
        try:
            super().parse_header(header_plus)
        except ValueError as exc:
            raise ParsingError("Content-Length is invalid") from exc


class _Channel(HTTPChannel):
    parser_class = _LengthCheckingParser


class FrontDoor:
    """The WSGI app of every route: finds the route, holds it to its body limit, never shows a traceback."""

    def __init__(self, routes: dict[str, WSGIApp], health: Callable[[], dict[str, Any]]) -> None:
        self.routes = routes
        self.health = health
        self.prefixes = [path for path in routes if path.endswith("/")]
        self.limits = {path: getattr(route, "max_body", DEFAULT_BODY_LIMIT) for path, route in routes.items()}

    @property
    def largest_body(self) -> int:
        """The body limit waitress enforces for all: the largest any route takes."""
        return max([DEFAULT_BODY_LIMIT, *self.limits.values()])

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            health = self.health()
            status = "200 OK" if health.get("status") == "ok" else "503 Service Unavailable"
            return _json(status, health)(environ, start_response)
        found = path if path in self.routes else next((p for p in self.prefixes if path.startswith(p)), None)
        if found is None:
            return _json("404 Not Found", {"error": "not found"})(environ, start_response)
        refusal = body_length(environ, self.limits[found])
        if isinstance(refusal, Refusal):
            log.warning("request refused unread", extra={"path": redact(path), "reason": refusal.reason})
            return answer(refusal, start_response)
        try:
            return self.routes[found](environ, start_response)
        except Exception:  # never a stack trace to a caller; the path may hold an approve link's token
            log.exception("unhandled error", extra={"path": redact(path)})
            return _json("500 Internal Server Error", {"error": "internal error"})(environ, start_response)


def build_wsgi_app(runtime: Runtime, schedule: Schedule | None = None) -> FrontDoor:
    routes: dict[str, WSGIApp] = dict(runtime.routes())
    if schedule is not None:
        routes[SWEEP_PATH] = sweep_endpoint(schedule, link_secret(runtime.config, runtime.store))
    if runtime.bolt is not None and not runtime.config.slack.app_token:
        bolt = SlackRequestHandler(runtime.bolt, path=SLACK_PATH)
        # replicas on one database share what they accepted: its dedupe keys claim atomically
        shared = SharedClaims(runtime.store.dedupe) if runtime.config.database_url else None
        routes[SLACK_PATH] = SlackRequestGuard(bolt, runtime.config.slack.signing_secret, accepted=shared)
    return FrontDoor(routes, runtime.health)


class SocketModeLink(Worker):
    """Keeps the Socket Mode connection up without holding back the HTTP routes.

    The first connection can fail (Slack unreachable, a revoked app token); the bot keeps
    serving WeCom callbacks and links and tries again with backoff, saying why in the log.
    Once connected, slack_sdk's client reconnects by itself.
    """

    name = "socket-mode"

    def __init__(self, runtime: Runtime) -> None:
        super().__init__()
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        assert runtime.bolt is not None
        self.handler = SocketModeHandler(
            runtime.bolt, runtime.config.slack.app_token, web_client=runtime.slack
        )
        self.connected = False
        self._delay = 1.0

    def run_once(self) -> float:
        if self.connected:
            return 3600.0
        try:
            self.handler.connect()
        except Exception as exc:
            log.error(
                "Slack Socket Mode connection failed; retrying", extra={"error": str(exc), "in": self._delay}
            )
            self._delay = min(self._delay * 2, 300.0)
            return self._delay / 2
        self.connected = True
        log.info("Slack Socket Mode connected")
        return 3600.0

    def stop(self, timeout: float = 10.0) -> None:
        super().stop(timeout)
        if self.connected:
            self.handler.close()


def serve(runtime: Runtime, host: str, port: int) -> None:
    """Run until SIGTERM/SIGINT, then drain: in-flight requests finish, workers stop, the store closes."""
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)
    schedule = Schedule(runtime)
    app = build_wsgi_app(runtime, schedule)
    server = create_server(
        app,
        host=host,
        port=port,
        threads=runtime.config.server.threads,
        ident="approvals-bot",
        max_request_body_size=app.largest_body + 1,  # waitress refuses a body of this size and more
    )
    server.channel_class = _Channel  # type: ignore[union-attr]
    runtime.start()
    schedule.start()
    socket_mode = SocketModeLink(runtime) if runtime.config.slack.app_token and runtime.bolt else None
    if socket_mode is not None:
        socket_mode.start()

    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    bound_port = server.effective_port  # type: ignore[union-attr]
    log.info("serving", extra={"host": host, "port": bound_port})
    # one write: print() writes the line and its end apart, and a log line from another thread could
    # land in between, which garbles the address for whoever reads it (the tests, a supervisor)
    sys.stderr.write(f"approvals-bot serving on http://{host}:{bound_port}\n")
    sys.stderr.flush()
    try:
        server.run()
    finally:
        if socket_mode is not None:
            socket_mode.stop()
        server.close()
        schedule.stop()
        runtime.stop()
        log.info("stopped cleanly")
