"""A fake FXiaoKe open platform (open.71360.com/cgi/) on 127.0.0.1, for the real httpx client.

    with FakeFXiaoKeApi() as fx:
        fx.types.append({"approveType": 2, "name": "请假", "id": "FORM-1"})
        fx.approvals[71676] = {"approvalId": 71676, "status": 1, "approvalFormId": "FORM-1", ...}
        fx.updated_ms[71676] = 1_700_000_000_000          # when approval/query sees it last updated
        client = FXiaoKeClient(fx.app_id, fx.app_secret, fx.permanent_code, api_base=fx.base_url)
        fx.expire_tokens()                                # every token issued so far now gets 20016
        fx.fail("approval/get", error_code=15002)         # the next approval/get answers 15002
        fx.calls_to("approval/query")                     # what the client sent, without secrets

Tests own `types`, `approvals` and `updated_ms`. approval/query reads `status` and `approvalFormId`
from `approvals` and the last update from `updated_ms`; approval/get answers the approval object
as the test stored it. Unknown ids and bad parameters answer 15002 ("illegal parameter").
"""

from __future__ import annotations

import json
import secrets
import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fakes.loopback import LoopbackServer

JSON = dict[str, Any]
_PREFIX = "/cgi/"
_HIDDEN = ("corpAccessToken", "appSecret", "permanentCode")  # never recorded: tests cannot leak them
TOKEN_ERROR = 20016  # "corpAccessToken error"
ILLEGAL_PARAMETER = 15002
BAD_CREDENTIALS = 20001  # not in the spec: the client treats any token-endpoint refusal as credentials
_MAX_WINDOW_MS = 180 * 86400 * 1000
_TOKEN_PATH = "corpAccessToken/get/V2"


@dataclass(frozen=True)
class Call:
    """One request as the fake received it: `path` relative to base_url, `body` without secrets."""

    path: str
    body: JSON


class _Reply(Exception):
    """Ends a request early with an errorCode reply."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class FakeFXiaoKeApi(LoopbackServer):
    """A loopback FXiaoKe: corpAccessToken, approval types, approval query and approval details."""

    def __init__(
        self,
        app_id: str = "FSAID-fake-app",
        app_secret: str = "fake-app-secret-0123456789",
        permanent_code: str = "fake-permanent-code-9876543210",
        *,
        corp_id: str = "FSCID-fake-corp",
        token_lifetime: int = 7200,
    ) -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self.permanent_code = permanent_code
        self.corp_id = corp_id
        self.token_lifetime = token_lifetime  # expiresIn of the tokens issued
        self.types: list[JSON] = []  # the approvalTypeForms list
        self.approvals: dict[int, JSON] = {}  # id → the "approval" object of approval/get
        self.updated_ms: dict[int, int] = {}  # id → last update (epoch ms) that approval/query filters on
        self._lock = threading.Lock()
        self._calls: list[Call] = []
        self._tokens: dict[str, int] = {}  # issued token → 0 if good, else the errorCode it now gets
        self._failures: dict[str, deque[int]] = {}
        self._routes = {
            _TOKEN_PATH: self._token,
            "approvalTypeForms/get": self._types,
            "approval/query": self._query,
            "approval/get": self._get,
        }

    prefix = _PREFIX
    token_expired = TOKEN_ERROR

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        return _Handler

    def fail(self, path: str, times: int = 1, *, error_code: int) -> None:
        """Make the next `times` calls to `path` answer `error_code`."""
        with self._lock:
            self._failures.setdefault(path, deque()).extend([error_code] * times)

    def _serve(self, path: str, body: Any) -> tuple[int, bytes]:
        """Record the call, apply the script and the token check, route; returns (HTTP status, body)."""
        route = self._routes.get(path)
        if route is None or not isinstance(body, dict):
            return (404, b"not found") if route is None else (400, b"not JSON")
        with self._lock:
            self._calls.append(Call(path, {k: v for k, v in body.items() if k not in _HIDDEN}))
            pending = self._failures.get(path)
            failure = pending.popleft() if pending else None
        try:
            if failure is not None:
                raise _Reply(failure, "scripted failure")
            if path != _TOKEN_PATH:
                self._check_token(body)
            reply = {"errorCode": 0, "errorMessage": "success", **route(body)}
        except _Reply as refusal:
            reply = {"errorCode": refusal.code, "errorMessage": refusal.message}
        return 200, json.dumps(reply, ensure_ascii=False).encode()

    def _check_token(self, body: JSON) -> None:
        with self._lock:
            state = self._tokens.get(body.get("corpAccessToken", ""), TOKEN_ERROR)
        if state or body.get("corpId") != self.corp_id:
            raise _Reply(TOKEN_ERROR, "corpAccessToken error")

    def _token(self, body: JSON) -> JSON:
        given = (body.get("appId"), body.get("appSecret"), body.get("permanentCode"))
        if given != (self.app_id, self.app_secret, self.permanent_code):
            raise _Reply(BAD_CREDENTIALS, "app credentials error")
        token = f"fake-corp-token-{secrets.token_hex(16)}"
        with self._lock:
            self._tokens[token] = 0
        return {"corpAccessToken": token, "corpId": self.corp_id, "expiresIn": self.token_lifetime}

    def _types(self, _body: JSON) -> JSON:
        return {"approvalTypeForms": list(self.types)}

    def _query(self, body: JSON) -> JSON:
        """Approvals last updated in [startTime, endTime], newest first, paged by pageNumber/pageSize."""
        try:
            start, end = int(body["startTime"]), int(body["endTime"])
            size, number = int(body.get("pageSize", 20)), int(body.get("pageNumber", 1))
        except (KeyError, TypeError, ValueError):
            raise _Reply(ILLEGAL_PARAMETER, "illegal parameter") from None
        if not 0 <= end - start <= _MAX_WINDOW_MS or not 1 <= size <= 1000 or number < 1:
            raise _Reply(ILLEGAL_PARAMETER, "illegal parameter")
        form_id = body.get("approvalFormId")
        found = sorted(
            (
                (updated, approval_id)
                for approval_id, updated in list(self.updated_ms.items())
                if start <= updated <= end
                and (form_id is None or self.approvals.get(approval_id, {}).get("approvalFormId") == form_id)
            ),
            reverse=True,
        )
        page = found[(number - 1) * size : number * size]
        approvals = [{"id": i, "status": self.approvals.get(i, {}).get("status", 1)} for _, i in page]
        return {"approvals": approvals, "totalCount": len(found), "pageSize": size, "pageNumber": number}

    def _get(self, body: JSON) -> JSON:
        approval = self.approvals.get(body.get("approvalId"))
        if approval is None:
            raise _Reply(ILLEGAL_PARAMETER, "illegal parameter")
        return {"approval": approval}


class _Handler(BaseHTTPRequestHandler):
    """Decodes one JSON POST for FakeFXiaoKeApi._serve and writes its answer."""

    api: FakeFXiaoKeApi
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        path = self.path[len(_PREFIX) :] if self.path.startswith(_PREFIX) else self.path
        status, payload = self.api._serve(path, body)
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if status == 200 else "text/plain")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: tests read `calls` instead."""
