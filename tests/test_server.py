"""The front door (bot/front.py): body limits per route before reading, /healthz, no traceback out."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from bot.front import DEFAULT_BODY_LIMIT, FrontDoor
from bot.logs import ContextFormatter

TOKEN = "eyJhcHByb3ZhbCI6ImxvY2FsOjEifQ.c2lnbmF0dXJlLW9mLXRoZS1saW5r"


class Route:
    """A route that records whether it was reached; `max_body` when it declares one."""

    def __init__(self, max_body: int | None = None, fails: bool = False) -> None:
        if max_body is not None:
            self.max_body = max_body
        self.fails = fails
        self.reached = 0

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        self.reached += 1
        if self.fails:
            raise RuntimeError(f"broke on {environ['PATH_INFO']}")
        start_response("200 OK", [("Content-Length", "2")])
        return [b"ok"]


def call(app: FrontDoor, path: str, method: str = "POST", length: str | None = "0") -> tuple[str, bytes]:
    environ: dict[str, Any] = {"REQUEST_METHOD": method, "PATH_INFO": path, "wsgi.input": io.BytesIO()}
    if length is not None:
        environ["CONTENT_LENGTH"] = length
    answered: list[str] = []
    body = b"".join(app(environ, lambda status, headers, exc_info=None: answered.append(status)))
    return answered[0], body


def healthy() -> dict[str, Any]:
    return {"status": "ok"}


def test_each_route_is_held_to_its_own_limit_before_it_reads() -> None:
    form, callback = Route(), Route(max_body=1_048_576)
    app = FrontDoor({"/approve/": form, "/wecom/callback": callback}, healthy)
    assert call(app, f"/approve/{TOKEN}", length=str(DEFAULT_BODY_LIMIT + 1))[0] == "413 Payload Too Large"
    assert call(app, "/wecom/callback", length=str(1_048_577))[0] == "413 Payload Too Large"
    assert (form.reached, callback.reached) == (0, 0)
    assert call(app, f"/approve/{TOKEN}", length=str(DEFAULT_BODY_LIMIT))[0] == "200 OK"
    assert call(app, "/wecom/callback", length=str(1_048_576))[0] == "200 OK"
    assert app.largest_body == 1_048_576


@pytest.mark.parametrize(
    ("length", "status"),
    [
        (None, "411 Length Required"),
        ("", "411 Length Required"),
        ("abc", "400 Bad Request"),
        ("²", "400 Bad Request"),
        ("١٢", "400 Bad Request"),
        ("-1", "400 Bad Request"),
        ("1" + "0" * 4400, "400 Bad Request"),
    ],
)
def test_a_missing_or_garbage_length_on_post_is_a_4xx(length: str | None, status: str) -> None:
    route = Route()
    app = FrontDoor({"/internal/sweep": route}, healthy)
    assert call(app, "/internal/sweep", length=length)[0] == status
    assert route.reached == 0


def test_a_get_needs_no_length() -> None:
    route = Route()
    assert call(FrontDoor({"/approve/": route}, healthy), "/approve/x", "GET", None)[0] == "200 OK"


def test_healthz_says_503_with_the_same_json_when_not_ok() -> None:
    state = {"status": "ok", "outbox_backlog": 0}
    app = FrontDoor({}, lambda: state)
    assert call(app, "/healthz", "GET") == ("200 OK", b'{"status": "ok", "outbox_backlog": 0}')
    state.update(status="degraded", problems=["slack: invalid_auth"])
    status, body = call(app, "/healthz", "GET")
    assert status == "503 Service Unavailable"
    assert body == b'{"status": "degraded", "outbox_backlog": 0, "problems": ["slack: invalid_auth"]}'


def test_an_error_in_a_route_logs_no_token_and_shows_no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    app = FrontDoor({"/approve/": Route(fails=True)}, healthy)
    status, body = call(app, f"/approve/{TOKEN}", "GET", None)
    assert (status, body) == ("500 Internal Server Error", b'{"error": "internal error"}')
    (record,) = caplog.records
    line = ContextFormatter("%(levelname)s %(message)s").format(record)
    assert "RuntimeError" in line and "/approve/<redacted>" in line
    assert TOKEN not in line
    assert record.path == "/approve/<redacted>"


def test_refusals_are_logged_with_the_path_masked(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    app = FrontDoor({"/approve/": Route()}, healthy)
    call(app, f"/approve/{TOKEN}", length="999999999")
    assert [r.path for r in caplog.records] == ["/approve/<redacted>"]
