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

from bot.providers.wecom.crypto import WeComCrypto
from bot.runtime import Runtime
from handlers.wecom_callback import WeComCallback

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable], Iterable[bytes]]


def _json(status: str, payload: Any) -> WSGIApp:
    body = json.dumps(payload, ensure_ascii=False).encode()

    def app(environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return app


def build_wsgi_app(runtime: Runtime) -> WSGIApp:
    routes: dict[str, WSGIApp] = {}
    if runtime.bolt is not None and not runtime.config.slack.app_token:
        routes["/slack/events"] = SlackRequestHandler(runtime.bolt, path="/slack/events")
    wecom = runtime.config.wecom
    if wecom.callbacks_enabled:
        routes["/wecom/callback"] = WeComCallback(
            WeComCrypto(wecom.token, wecom.encoding_aes_key, wecom.corp_id),
            runtime.processor.record,
            max_skew=runtime.config.server.callback_max_skew_seconds,
            max_body=runtime.config.server.max_body_bytes,
        )

    def app(environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            return _json("200 OK", runtime.health())(environ, start_response)
        route = routes.get(path)
        if route is None:
            return _json("404 Not Found", {"error": "not found"})(environ, start_response)
        try:
            return route(environ, start_response)
        except Exception:  # never a stack trace to a caller
            log.exception("unhandled error", extra={"path": path})
            return _json("500 Internal Server Error", {"error": "internal error"})(environ, start_response)

    return app


def serve(runtime: Runtime, host: str, port: int, *, ready: Callable[[str, int], None] | None = None) -> None:
    """Run until SIGTERM/SIGINT, then drain: in-flight requests finish, workers stop, the store closes."""
    server = create_server(
        build_wsgi_app(runtime),
        host=host,
        port=port,
        threads=runtime.config.server.threads,
        ident="approvals-bot",
    )
    socket_mode = None
    runtime.start()
    if runtime.config.slack.app_token and runtime.bolt is not None:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        socket_mode = SocketModeHandler(
            runtime.bolt, runtime.config.slack.app_token, web_client=runtime.slack
        )
        socket_mode.connect()
        log.info("Slack Socket Mode connected")

    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    bound_port = server.effective_port  # type: ignore[union-attr]
    log.info("serving", extra={"host": host, "port": bound_port})
    print(f"approvals-bot serving on http://{host}:{bound_port}", file=sys.stderr, flush=True)
    if ready is not None:
        ready(host, int(bound_port))
    try:
        server.run()
    finally:
        if socket_mode is not None:
            socket_mode.close()
        server.close()
        runtime.stop()
        log.info("stopped cleanly")
