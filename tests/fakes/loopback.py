"""What every fake API server shares: a ThreadingHTTPServer on a free loopback port, in a daemon
thread, usable as a context manager, with the base URL a client is configured with."""

from __future__ import annotations

import functools
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

Self = TypeVar("Self", bound="LoopbackServer")


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # tests open dozens of connections at once; the default backlog is 5


class LoopbackServer:
    """Subclasses set `prefix` (the API's path, e.g. "/cgi-bin/") and `token_expired` (the code an
    expired token gets), give their request handler class (whose `api` attribute is set to the fake)
    from `handler_class`, and keep `_lock`, `_calls` (each with a `.path`) and `_tokens`
    (issued token -> 0 while good, else the code it now gets)."""

    prefix = "/"
    token_expired = 0
    _server: _Server | None = None
    _lock: threading.Lock
    _calls: list[Any]
    _tokens: dict[str, int]

    def expire_tokens(self, code: int | None = None) -> None:
        """Every token issued so far is rejected from now on (with `code`, else `token_expired`)."""
        with self._lock:
            self._tokens = dict.fromkeys(self._tokens, code if code is not None else self.token_expired)

    @property
    def calls(self) -> list[Any]:
        """Every request received so far, in order of arrival (a copy)."""
        with self._lock:
            return list(self._calls)

    def calls_to(self, path: str) -> list[Any]:
        """The requests received for one path ("gettoken", "oa/applyevent", "approval/query"...)."""
        return [call for call in self.calls if call.path == path]

    @property
    def issued_tokens(self) -> list[str]:
        """Every token handed out, so tests can check that none leaked into logs or errors."""
        with self._lock:
            return list(self._tokens)

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        raise TypeError(f"{type(self).__name__} must say which handler serves it")

    def start(self: Self) -> Self:
        """Listen on a free port of 127.0.0.1, serving from a daemon thread."""
        handler = type("Handler", (self.handler_class(),), {"api": self})
        self._server = _Server(("127.0.0.1", 0), handler)
        serve = functools.partial(self._server.serve_forever, poll_interval=0.05)  # a quick stop()
        threading.Thread(target=serve, name=type(self).__name__, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self: Self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """The api_base to configure: "http://127.0.0.1:PORT" + prefix."""
        assert self._server is not None, "start() the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}{self.prefix}"
