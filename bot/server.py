"""One process, one production WSGI server (waitress), every route.

- POST /slack/events   bolt (HTTP mode); with slack.app_token, Socket Mode instead
- GET/POST /wecom/callback
- GET /healthz
"""

from __future__ import annotations

import json
import logging
import signal
import sys
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress.server import create_server

from bot.providers.setup import link_secret
from bot.runtime import Runtime
from bot.scheduling import SWEEP_PATH, Schedule, sweep_endpoint
from bot.worker import Worker

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable], Iterable[bytes]]


def _json(status: str, payload: Any) -> WSGIApp:
    body = json.dumps(payload, ensure_ascii=False).encode()

    def app(environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return app


def build_wsgi_app(runtime: Runtime, schedule: Schedule | None = None) -> WSGIApp:
    routes: dict[str, WSGIApp] = dict(runtime.routes())
    if schedule is not None:
        routes[SWEEP_PATH] = sweep_endpoint(schedule, link_secret(runtime.config, runtime.store))
    if runtime.bolt is not None and not runtime.config.slack.app_token:
        routes["/slack/events"] = SlackRequestHandler(runtime.bolt, path="/slack/events")
    prefixes = [path for path in routes if path.endswith("/")]

    def app(environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            return _json("200 OK", runtime.health())(environ, start_response)
        route = routes.get(path) or next((routes[p] for p in prefixes if path.startswith(p)), None)
        if route is None:
            return _json("404 Not Found", {"error": "not found"})(environ, start_response)
        try:
            return route(environ, start_response)
        except Exception:  # never a stack trace to a caller
            log.exception("unhandled error", extra={"path": path})
            return _json("500 Internal Server Error", {"error": "internal error"})(environ, start_response)

    return app


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
    schedule = Schedule(runtime)
    server = create_server(
        build_wsgi_app(runtime, schedule),
        host=host,
        port=port,
        threads=runtime.config.server.threads,
        ident="approvals-bot",
    )
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
    print(f"approvals-bot serving on http://{host}:{bound_port}", file=sys.stderr, flush=True)
    try:
        server.run()
    finally:
        if socket_mode is not None:
            socket_mode.stop()
        server.close()
        schedule.stop()
        runtime.stop()
        log.info("stopped cleanly")
