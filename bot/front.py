"""The acknowledging front: a process of its own that owns the public port, so the answer to a WeCom
callback never waits for the interpreter lock behind the work of applying it.

On a TinyDB store `serve` runs two processes (issue 12: with the applying in the acknowledging process,
p99 to `success` was 106-126 ms under load, the journal alone 19 ms). The front:

- answers the providers' acknowledging routes itself (verify, decrypt, journal with one group-committed
  fsync, `success`), with no store but the journal;
- passes every other request (Slack, /healthz, the providers' pages) unchanged to the bot's process,
  which listens on a Unix socket only it and the front can reach;
- tells the bot's process, through a pipe, up to which sequence number the journal is on disk, so the
  bot applies only what is durable (`JournalTail`).

The bot's process starts the front, hands it the listening socket (so a front that dies is replaced
without closing the port) and stops it first on SIGTERM. The front dies with the bot's process
(PR_SET_PDEATHSIG on Linux, else it notices its parent is gone within a second).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import http.client
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser, ParsingError
from waitress.server import create_server

from bot.config import load_config
from bot.logs import redact, setup_logging
from bot.providers.registry import ack_routes
from bot.store.tinydb.database import inbox_directory
from bot.store.tinydb.journal import Journal
from bot.worker import Worker
from handlers.slack_http import Refusal, answer, body_length

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable], Iterable[bytes]]
DEFAULT_BODY_LIMIT = 16_384  # a small form; a route that takes more declares its own max_body
# Headers that belong to one connection, not to the request passed on (RFC 9110, 7.6.1).
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"}
)
PROXY_TIMEOUT = 60.0  # the bot's own routes answer Slack within 3 s; a page may take longer
RESTART_PAUSE = 1.0  # between a front that died and its replacement


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


class Channel(HTTPChannel):
    parser_class = _LengthCheckingParser


class FrontDoor:
    """The WSGI app of a set of routes: finds the route, holds it to its body limit, never shows a
    traceback. `health` answers /healthz; `others` takes what no route matches (else 404)."""

    def __init__(
        self,
        routes: dict[str, WSGIApp],
        health: Callable[[], dict[str, Any]] | None = None,
        others: WSGIApp | None = None,
    ) -> None:
        self.routes = routes
        self.health = health
        self.others = others or _json("404 Not Found", {"error": "not found"})
        self.prefixes = [path for path in routes if path.endswith("/")]
        self.limits = {path: getattr(route, "max_body", DEFAULT_BODY_LIMIT) for path, route in routes.items()}

    @property
    def largest_body(self) -> int:
        """The body limit waitress enforces for all: the largest any route takes."""
        return max([DEFAULT_BODY_LIMIT, *self.limits.values()])

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz" and self.health is not None:
            health = self.health()
            status = "200 OK" if health.get("status") == "ok" else "503 Service Unavailable"
            return _json(status, health)(environ, start_response)
        found = path if path in self.routes else next((p for p in self.prefixes if path.startswith(p)), None)
        route = self.routes[found] if found is not None else self.others
        if found is not None:
            refusal = body_length(environ, self.limits[found])
            if isinstance(refusal, Refusal):
                log.warning("request refused unread", extra={"path": redact(path), "reason": refusal.reason})
                return answer(refusal, start_response)
        try:
            return route(environ, start_response)
        except Exception:  # never a stack trace to a caller; the path may hold an approve link's token
            log.exception("unhandled error", extra={"path": redact(path)})
            return _json("500 Internal Server Error", {"error": "internal error"})(environ, start_response)


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


class BackendProxy:
    """Passes a request to the bot's process over its Unix socket and its answer back, bytes unchanged
    (Slack's signature covers the body). The caller's address goes along as X-Forwarded-For."""

    def __init__(self, socket_path: str, timeout: float = PROXY_TIMEOUT) -> None:
        self.socket_path = socket_path
        self.timeout = timeout

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        length = environ.get("CONTENT_LENGTH") or "0"
        body = environ["wsgi.input"].read(int(length)) if length.isdigit() else b""
        headers = {
            name[5:].replace("_", "-").title(): value
            for name, value in environ.items()
            if name.startswith("HTTP_") and name[5:].replace("_", "-").lower() not in HOP_BY_HOP
        }
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        headers["Content-Length"] = str(len(body))
        headers["X-Forwarded-For"] = environ.get("REMOTE_ADDR", "")
        # the path as it came, bytes unchanged: what is not plain ASCII (or is a control) percent-encoded,
        # which the bot's server decodes back to the same PATH_INFO
        raw = environ.get("REQUEST_URI") or environ.get("PATH_INFO", "/")
        target = quote(raw.encode("latin-1"), safe="/?&=%:@!$'()*+,;~")
        connection = _UnixConnection(self.socket_path, self.timeout)
        try:
            connection.request(environ.get("REQUEST_METHOD", "GET"), target, body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read()
        except OSError as exc:
            log.error("the bot's process did not answer", extra={"path": redact(target), "error": str(exc)})
            return _json("503 Service Unavailable", {"error": "the bot is not answering; try again"})(
                environ, start_response
            )
        finally:
            connection.close()
        passed = [(k, v) for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP]
        start_response(f"{response.status} {response.reason}", passed)
        return [answer]


class JournalingFront:
    """The front's journal, and the pipe on which it tells the bot's process what is on disk."""

    def __init__(self, journal: Journal, notify: int) -> None:
        self.journal = journal
        self.notify = notify
        self._told(journal.durable_seq)

    def record(self, source: str, payload: dict[str, Any]) -> int:
        seq = self.journal.append({"source": source, **payload})
        self._told(seq)
        return seq

    def _told(self, seq: int) -> None:
        os.write(self.notify, b"%d\n" % seq)  # one short write: atomic on a pipe whichever thread writes


def _die_with_parent() -> None:
    """Linux ends this process when its parent ends; elsewhere, a thread checks once a second."""
    parent = os.getppid()
    with contextlib.suppress(OSError, AttributeError):  # no prctl: the watch below does it
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # it ended before the request above took effect
        os._exit(0)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def front_main(argv: list[str] | None = None) -> int:
    """`python -m bot.front ...`: run by `serve`, never by hand."""
    parser = argparse.ArgumentParser(prog="python -m bot.front")
    parser.add_argument("--config", required=True)
    parser.add_argument("--listen-fd", type=int, required=True)
    parser.add_argument("--notify-fd", type=int, required=True)
    parser.add_argument("--backend", required=True)
    parser.add_argument("--largest-body", type=int, required=True)
    args = parser.parse_args(argv)
    _die_with_parent()
    setup_logging()
    config = load_config(Path(args.config) if args.config else None, required=False)
    journal = Journal(inbox_directory(config.store_path))
    front = JournalingFront(journal, args.notify_fd)
    app = FrontDoor(ack_routes(config, front.record), others=BackendProxy(args.backend))
    listening = socket.socket(fileno=args.listen_fd)
    server = create_server(
        app,
        sockets=[listening],
        threads=config.server.threads,
        ident="approvals-bot",
        max_request_body_size=args.largest_body + 1,  # waitress refuses a body of this size and more
    )
    server.channel_class = Channel  # type: ignore[union-attr]

    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent stops us
    try:
        server.run()
    finally:
        server.close()
        journal.close()
    return 0


class FrontProcess(Worker):
    """Runs the front beside the bot's process: starts it, reads what it journaled, replaces it when it
    dies, stops it first. `on_durable(seq)` hears each sequence number the front says is on disk."""

    name = "front"

    def __init__(
        self,
        config_source: str,
        listening: socket.socket,
        backend: str,
        largest_body: int,
        on_durable: Callable[[int], None],
    ) -> None:
        super().__init__()
        self.config_source = config_source
        self.listening = listening
        self.backend = backend
        self.largest_body = largest_body
        self.on_durable = on_durable
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.journaled = 0

    def health(self) -> dict[str, Any]:
        alive = self.process is not None and self.process.poll() is None
        pid = self.process.pid if self.process is not None else None
        return {"alive": alive, "pid": pid, "starts": self.starts, "journaled_seq": self.journaled}

    def run_once(self) -> float | None:
        """Start the front and follow its pipe until it ends; then, unless stopping, start another."""
        read, write = os.pipe()
        command = [sys.executable, "-m", "bot.front", "--config", self.config_source]
        command += ["--listen-fd", str(self.listening.fileno()), "--notify-fd", str(write)]
        command += ["--backend", self.backend, "--largest-body", str(self.largest_body)]
        self.process = subprocess.Popen(command, pass_fds=(self.listening.fileno(), write))
        self.starts += 1
        os.close(write)
        with os.fdopen(read, "rb") as pipe:
            for line in pipe:
                self.journaled = max(self.journaled, int(line))
                self.on_durable(self.journaled)
        code = self.process.wait()
        if self.stopping:
            return None
        log.error("the acknowledging front ended; starting another", extra={"exit_code": code})
        return RESTART_PAUSE

    def stop(self, timeout: float = 10.0) -> None:
        """The front first: no callback is acknowledged after this returns."""
        self._stopping.set()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        super().stop(timeout)


if __name__ == "__main__":
    sys.exit(front_main())
