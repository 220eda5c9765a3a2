"""One process, one production WSGI server (waitress), every route.

- POST /slack/events   bolt (HTTP mode) behind SlackRequestGuard; with slack.app_token, Socket Mode instead
- GET/POST /wecom/callback
- GET /healthz         200 when health says "ok", else 503, the same JSON either way

Every route has a body limit, checked from Content-Length before anything is read: the route's own
`max_body` if it declares one, else DEFAULT_BODY_LIMIT. waitress is told the largest of them, so it
answers 413 itself, without buffering, to anything bigger (chunked bodies included).
"""

from __future__ import annotations

import logging
import signal
import socket
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress.server import create_server

from bot.front import Channel, FrontDoor, FrontProcess, WSGIApp
from bot.providers.registry import ack_routes
from bot.providers.setup import link_secret
from bot.runtime import Runtime
from bot.scheduling import SWEEP_PATH, Schedule, sweep_endpoint
from bot.store.tinydb.inbox import JournalTail
from bot.worker import Worker
from handlers.slack_http import SharedClaims, SlackRequestGuard

log = logging.getLogger(__name__)

SLACK_PATH = "/slack/events"
# How long a thread may hold the GIL while another waits for it. Python's 5 ms lets the workers (applying,
# delivering: CPU-bound Python) keep a request thread that just woke from its socket or its fsync waiting
# 5 ms at each of the several times it needs the GIL back; the acknowledgement's tail is the sum of those.
GIL_SWITCH_INTERVAL = 0.0005


def build_wsgi_app(
    runtime: Runtime, schedule: Schedule | None = None, *, health: Callable[[], dict[str, Any]] | None = None
) -> FrontDoor:
    routes: dict[str, WSGIApp] = dict(runtime.routes())
    if schedule is not None:
        routes[SWEEP_PATH] = sweep_endpoint(schedule, link_secret(runtime.config, runtime.store))
    if runtime.bolt is not None and not runtime.config.slack.app_token:
        bolt = SlackRequestHandler(runtime.bolt, path=SLACK_PATH)
        # replicas on one database share what they accepted: its dedupe keys claim atomically
        shared = SharedClaims(runtime.store.dedupe) if runtime.config.database_url else None
        routes[SLACK_PATH] = SlackRequestGuard(bolt, runtime.config.slack.signing_secret, accepted=shared)
    return FrontDoor(routes, health or runtime.health)


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


def serve(runtime: Runtime, host: str, port: int, *, front_process: bool = False) -> None:
    """Run until SIGTERM/SIGINT, then drain: in-flight requests finish, workers stop, the store closes.

    `front_process`: the callbacks are acknowledged by a process of its own (bot/front.py), which owns
    the port and passes every other request here over a Unix socket; the store was opened to tail the
    journal that process writes (`build_runtime(..., journaled_elsewhere=True)`).
    """
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)
    schedule = Schedule(runtime)
    front: FrontProcess | None = None
    if front_process:
        listening = socket.create_server((host, port), backlog=1024)
        private = Path(tempfile.mkdtemp(prefix="approvals-bot-"))
        backend = str(private / "bot.sock")
        app = build_wsgi_app(runtime, schedule, health=lambda: _with_front(runtime.health(), front))
        for path in ack_routes(runtime.config, _journaled_by_the_front):
            app.routes.pop(path, None)
        server = create_server(
            app, unix_socket=backend, unix_socket_perms="600", threads=runtime.config.server.threads
        )
        front = FrontProcess(_config_file(runtime), listening, backend, app.largest_body, _tail(runtime))
        # cards and form reads wait while callbacks the front journaled are not applied yet (issue 12)
        runtime.deliverer.yield_to = runtime.details.yield_to = runtime.processor.behind
        bound_port = listening.getsockname()[1]
    else:
        app = build_wsgi_app(runtime, schedule)
        server = create_server(
            app,
            host=host,
            port=port,
            threads=runtime.config.server.threads,
            ident="approvals-bot",
            max_request_body_size=app.largest_body + 1,  # waitress refuses a body of this size and more
        )
        bound_port = server.effective_port  # type: ignore[union-attr]
    server.channel_class = Channel  # type: ignore[union-attr]
    runtime.start()
    if front is not None:
        front.start()
    schedule.start()
    socket_mode = SocketModeLink(runtime) if runtime.config.slack.app_token and runtime.bolt else None
    if socket_mode is not None:
        socket_mode.start()

    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("serving", extra={"host": host, "port": bound_port, "front_process": front is not None})
    # one write: print() writes the line and its end apart, and a log line from another thread could
    # land in between, which garbles the address for whoever reads it (the tests, a supervisor)
    sys.stderr.write(f"approvals-bot serving on http://{host}:{bound_port}\n")
    sys.stderr.flush()
    try:
        server.run()
    finally:
        if front is not None:
            front.stop()  # first: nothing is acknowledged that this process will not see
        if socket_mode is not None:
            socket_mode.stop()
        server.close()
        schedule.stop()
        runtime.stop()
        log.info("stopped cleanly")


def _journaled_by_the_front(source: str, payload: dict[str, Any]) -> int:
    raise AssertionError("the front process journals callbacks; this process never receives them")


def _tail(runtime: Runtime) -> Callable[[int], None]:
    """What the bot's process does when the front says the journal is on disk through `seq`."""
    inbox = runtime.store.inbox
    assert isinstance(inbox, JournalTail), "the store must be opened with journaled_elsewhere=True"

    def on_durable(seq: int) -> None:
        inbox.durable_through(seq)
        runtime.processor.journaled(seq)

    return on_durable


def _config_file(runtime: Runtime) -> str:
    """The file the front reads its settings from ("" for the defaults); the environment is inherited."""
    source = runtime.config.source
    return "" if not source or source.startswith("(") else source


def _with_front(health: dict[str, Any], front: FrontProcess | None) -> dict[str, Any]:
    """The bot's health and its front's: a front that is not running acknowledges nothing."""
    if front is None:
        return health
    state = front.health()
    if not state["alive"]:
        problem = "the process that acknowledges callbacks is not running; it is being restarted"
        health = {**health, "status": "degraded", "problems": [*health["problems"], problem]}
    return {**health, "front": state}
