"""A fake WeCom API (qyapi.weixin.qq.com/cgi-bin/) on 127.0.0.1, for the real httpx client to talk to.

    with FakeWeComApi() as wecom:
        wecom.approvals["202401010001"] = {...}          # what oa/getapprovaldetail answers
        client = WeComClient(wecom.corp_id, wecom.secret, api_base=wecom.base_url)
        wecom.fail("oa/applyevent", errcode=-1)           # the next applyevent answers "busy"
        wecom.expire_tokens()                             # every token issued so far now gets 42001
        wecom.fail("oa/getapprovaldetail", None, errcode=45009)  # every call, until clear_faults()
        wecom.fail("gettoken", hang=True)                 # held past the client's timeout (a timeout)
        wecom.calls_to("oa/applyevent")                   # what the bot sent

Tests own the dicts (`approvals`, `open_approvals`, `templates`, `users`, `media`) and may set them
at any time; the fake only adds to them (applyevent, create_template, media/upload). Lookups of
something absent answer 301025 (approvals, templates) or 60111 (users), as WeCom's "not found".
JS-SDK tickets (get_jsapi_ticket, ticket/get?type=agent_config) are fresh on every call; the last
of each kind is in `js_tickets`.
"""

from __future__ import annotations

import email.parser
import email.policy
import itertools
import json
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.fakes.loopback import LoopbackServer

JSON = dict[str, Any]
_PREFIX = "/cgi-bin/"
_HIDDEN_QUERY = ("access_token", "corpsecret")  # never recorded: a test should not be able to leak them


@dataclass(frozen=True)
class Call:
    """One request as the fake received it. `path` is relative to base_url ("oa/applyevent")."""

    method: str
    path: str
    query: dict[str, str]  # without access_token and corpsecret
    body: JSON | None  # the JSON body; None for GET and for uploads


@dataclass(frozen=True)
class _Failure:
    errcode: int | None
    http_status: int | None
    hang: bool
    processed: bool = False


class _Reply(Exception):
    """Ends a request early with an errcode reply."""

    def __init__(self, errcode: int, errmsg: str = "fake error") -> None:
        super().__init__(errmsg)
        self.errcode = errcode
        self.errmsg = errmsg


class FakeWeComApi(LoopbackServer):
    """A loopback WeCom: tokens, the approval app, the approval engine, users and media uploads."""

    def __init__(
        self,
        corp_id: str = "ww5a1b9c3d7e2f4680",
        secret: str = "fake-secret-0123456789",
        *,
        token_lifetime: int = 7200,
        hang_limit: float = 10.0,
    ) -> None:
        self.corp_id = corp_id
        self.secret = secret
        self.token_lifetime = token_lifetime  # expires_in of the tokens gettoken issues
        self.hang_limit = hang_limit  # a hanging request is answered after this long at most
        self.approvals: dict[str, JSON] = {}  # sp_no → the "info" of oa/getapprovaldetail
        self.open_approvals: dict[str, JSON] = {}  # thirdNo → the "data" of corp/getopenapprovaldata
        self.templates: dict[str, JSON] = {}  # template_id → the oa/gettemplatedetail reply
        self.users: dict[str, JSON] = {}  # userid → the user/get reply; "email"/"biz_mail" find them
        self.departments: dict[str, JSON] = {}  # id → {"id", "name", "parentid"} for department/get
        self.media: dict[str, tuple[str, bytes]] = {}  # media_id → (filename, content)
        self.ticket_lifetime = 7200  # expires_in of the JS-SDK tickets
        self.js_tickets: dict[str, str] = {}  # "corp" / "agent_config" → the last JS-SDK ticket issued
        self._lock = threading.Lock()
        self._calls: list[Call] = []
        self._tokens: dict[str, int] = {}  # issued token → 0 if good, else the errcode it now gets
        self._failures: dict[str, deque[_Failure]] = {}
        self._standing: dict[str, _Failure] = {}  # path → the failure of every call until clear_faults()
        # (index in calls, path, kind) of every call answered with a scripted failure
        self.faults_served: list[tuple[int, str, str]] = []
        self._release = threading.Event()
        self._serial = itertools.count(1)
        self._routes: dict[tuple[str, str], Callable[[dict[str, str], Any], JSON]] = {
            ("GET", "gettoken"): self._gettoken,
            ("POST", "oa/applyevent"): self._applyevent,
            ("POST", "oa/getapprovalinfo"): self._getapprovalinfo,
            ("POST", "oa/getapprovaldetail"): self._getapprovaldetail,
            ("POST", "oa/gettemplatedetail"): self._gettemplatedetail,
            ("POST", "oa/approval/create_template"): self._create_template,
            ("POST", "oa/approval/update_template"): self._update_template,
            ("POST", "corp/getopenapprovaldata"): self._getopenapprovaldata,
            ("GET", "user/get"): self._user_get,
            ("GET", "department/get"): self._department_get,
            ("POST", "user/get_userid_by_email"): self._get_userid_by_email,
            ("POST", "media/upload"): self._media_upload,
            ("GET", "get_jsapi_ticket"): self._get_jsapi_ticket,
            ("GET", "ticket/get"): self._ticket_get,
        }

    # -- life cycle ------------------------------------------------------------------------------------

    prefix = _PREFIX
    token_expired = 42001

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        return _Handler

    def stop(self) -> None:
        """Release hanging requests and stop listening."""
        self.release()
        super().stop()

    # -- scripting -------------------------------------------------------------------------------------

    def fail(
        self,
        path: str,
        times: int | None = 1,
        *,
        errcode: int | None = None,
        http_status: int | None = None,
        hang: bool = False,
        processed: bool = False,
    ) -> None:
        """Make the next `times` calls to `path` fail (`times=None`: every call until clear_faults()):
        with an errcode reply, with a bare HTTP status (e.g. 500, not JSON) or by hanging until
        release()/stop() or hang_limit (then answered as usual; set hang_limit above the client's
        timeout to make it a timeout). With `processed`, an http_status failure comes after the call
        took effect (the answer was lost), and a hang holds the answer of a call that took effect."""
        if (errcode is None) + (http_status is None) + (not hang) != 2:
            raise ValueError("give exactly one of errcode, http_status, hang")
        if processed and errcode is not None:
            raise ValueError("processed goes with http_status or hang")
        failure = _Failure(errcode, http_status, hang, processed)
        with self._lock:
            if times is None:
                self._standing[path] = failure
            else:
                self._failures.setdefault(path, deque()).extend([failure] * times)

    def clear_faults(self, path: str | None = None) -> None:
        """Forget every scripted failure of `path` (all paths when None); hanging requests go on."""
        with self._lock:
            for table in (self._failures, self._standing):
                for key in [path] if path is not None else list(table):
                    table.pop(key, None)
        self.release()

    def served(self, path: str, kind: str | None = None) -> int:
        """How many calls to `path` were answered with a scripted failure (of `kind`: "hang",
        "http", "errcode <n>"), so a test can tell the faults it caused from the calls that worked."""
        with self._lock:
            return sum(1 for _, p, k in self.faults_served if p == path and (kind is None or k == kind))

    def release(self) -> None:
        """Let every hanging request go on and be answered."""
        with self._lock:
            self._release.set()
            self._release = threading.Event()

    @property
    def gettoken_count(self) -> int:
        return len(self.calls_to("gettoken"))

    # -- serving (called from the handler threads) -----------------------------------------------------

    def _serve(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, bytes]:
        """Record the call, apply the script and the token check, route; returns (HTTP status, body)."""
        with self._lock:
            self._calls.append(
                Call(
                    method,
                    path,
                    {k: v for k, v in query.items() if k not in _HIDDEN_QUERY},
                    body if isinstance(body, dict) else None,
                )
            )
            pending = self._failures.get(path)
            failure = pending.popleft() if pending else self._standing.get(path)
            release = self._release
            if failure is not None:
                self.faults_served.append((len(self._calls) - 1, path, _kind(failure)))
        route = self._routes.get((method, path))
        if route is None:
            return 404, b"not found"
        if failure is not None and failure.hang and not failure.processed:
            release.wait(self.hang_limit)
        elif failure is not None and failure.http_status is not None and not failure.processed:
            return failure.http_status, b"fake failure"
        try:
            if failure is not None and failure.errcode is not None:
                raise _Reply(failure.errcode, "scripted failure")
            if path != "gettoken":
                self._check_token(query.get("access_token"))
            if body is _Handler.MALFORMED:
                raise _Reply(47001, "data format error")
            reply = {"errcode": 0, "errmsg": "ok", **route(query, body)}
        except _Reply as refusal:
            reply = {"errcode": refusal.errcode, "errmsg": refusal.errmsg}
        if failure is not None and failure.processed and failure.http_status is not None:
            return failure.http_status, b"fake failure after the call took effect"
        if failure is not None and failure.processed and failure.hang:
            release.wait(self.hang_limit)  # done; the answer comes too late for the client
        return 200, json.dumps(reply, ensure_ascii=False).encode()

    def _check_token(self, token: str | None) -> None:
        if not token:
            raise _Reply(41001, "access_token missing")
        with self._lock:
            state = self._tokens.get(token, 40014)
        if state:
            raise _Reply(state, "access_token rejected")

    # -- endpoints -------------------------------------------------------------------------------------

    def _gettoken(self, query: dict[str, str], _body: Any) -> JSON:
        if query.get("corpid") != self.corp_id:
            raise _Reply(40013, "invalid corpid")
        if query.get("corpsecret") != self.secret:
            raise _Reply(40001, "invalid credential")
        token = f"fake-token-{secrets.token_hex(16)}"
        with self._lock:
            self._tokens[token] = 0
        return {"access_token": token, "expires_in": self.token_lifetime}

    def _applyevent(self, _query: dict[str, str], body: JSON) -> JSON:
        """Files a pending approval built from the request, so getapprovaldetail finds it."""
        sp_no = f"{time.strftime('%Y%m%d')}{next(self._serial):04d}"
        nodes = body.get("process", {}).get("node_list", [])
        template = self.templates.get(body.get("template_id", ""), {})
        party = str(body.get("choose_department", 1))
        cc = [user for node in nodes if node.get("type") == 2 for user in node["userid"]]
        self.approvals[sp_no] = {
            "sp_no": sp_no,
            "sp_name": (template.get("template_names") or [{}])[0].get("text", ""),
            "sp_status": 1,
            "template_id": body.get("template_id", ""),
            "apply_time": int(time.time()),
            "applyer": {"userid": body.get("creator_userid", ""), "partyid": party},
            "process_list": {"node_list": [_process_node(node) for node in nodes]},
            "notifyer": [{"userid": user} for user in cc],
            "apply_data": body.get("apply_data", {}),
            "summary_list": body.get("summary_list", []),
            "comments": [],
        }
        return {"sp_no": sp_no}

    def _getapprovalinfo(self, _query: dict[str, str], body: JSON) -> JSON:
        """Approvals filed in [starttime, endtime], oldest first, paged by an offset cursor."""
        start, end = int(body["starttime"]), int(body["endtime"])
        wanted = {f["key"]: str(f["value"]) for f in body.get("filters", [])}
        found = sorted(
            (info["apply_time"], sp_no)
            for sp_no, info in list(self.approvals.items())
            if start <= info["apply_time"] <= end
            and all(_filter_value(info, key) == value for key, value in wanted.items())
        )
        offset, size = int(body.get("new_cursor") or 0), min(int(body.get("size", 100)), 100)
        page = [sp_no for _, sp_no in found[offset : offset + size]]
        more = offset + size < len(found)
        return {"sp_no_list": page, "new_next_cursor": str(offset + size) if more else ""}

    def _getapprovaldetail(self, _query: dict[str, str], body: JSON) -> JSON:
        return {"info": _found(self.approvals, body.get("sp_no"), 301025)}

    def _gettemplatedetail(self, _query: dict[str, str], body: JSON) -> JSON:
        return _found(self.templates, body.get("template_id"), 301025)

    def _create_template(self, _query: dict[str, str], body: JSON) -> JSON:
        template_id = f"fake-template-{next(self._serial)}"
        self.templates[template_id] = _template(body)
        return {"template_id": template_id}

    def _update_template(self, _query: dict[str, str], body: JSON) -> JSON:
        _found(self.templates, body.get("template_id"), 301025)
        self.templates[body["template_id"]] = _template(body)
        return {}

    def _getopenapprovaldata(self, _query: dict[str, str], body: JSON) -> JSON:
        return {"data": _found(self.open_approvals, body.get("thirdNo"), 301025)}

    def _department_get(self, query: dict[str, str], _body: Any) -> JSON:
        return {"department": _found(self.departments, query.get("id"), 60123)}

    def _user_get(self, query: dict[str, str], _body: Any) -> JSON:
        return _found(self.users, query.get("userid"), 60111)

    def _get_userid_by_email(self, _query: dict[str, str], body: JSON) -> JSON:
        field = "email" if body.get("email_type", 1) == 1 else "biz_mail"
        for userid, user in list(self.users.items()):
            if body.get("email") and user.get(field) == body["email"]:
                return {"userid": userid}
        raise _Reply(60111, "userid not found")

    def _media_upload(self, query: dict[str, str], body: Any) -> JSON:
        if not isinstance(body, tuple):
            raise _Reply(41005, "media data missing")
        media_id = f"fake-media-{next(self._serial)}"
        self.media[media_id] = body
        return {"type": query.get("type", "file"), "media_id": media_id, "created_at": str(int(time.time()))}

    def _get_jsapi_ticket(self, _query: dict[str, str], _body: Any) -> JSON:
        return self._issue_js_ticket("corp")

    def _ticket_get(self, query: dict[str, str], _body: Any) -> JSON:
        if query.get("type") != "agent_config":
            raise _Reply(40058, "invalid type")
        return self._issue_js_ticket("agent_config")

    def _issue_js_ticket(self, kind: str) -> JSON:
        ticket = f"fake-{kind}-ticket-{secrets.token_hex(8)}"
        with self._lock:
            self.js_tickets[kind] = ticket
        return {"ticket": ticket, "expires_in": self.ticket_lifetime}


class _Handler(BaseHTTPRequestHandler):
    """Decodes one request for FakeWeComApi._serve and writes its answer."""

    api: FakeWeComApi
    MALFORMED = object()  # a POST body that is not JSON
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

    def do_GET(self) -> None:
        self._handle(None)

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        content_type = self.headers.get("Content-Type", "")
        if content_type.startswith("multipart/form-data"):
            self._handle(_media_part(content_type, raw))
            return
        try:
            self._handle(json.loads(raw))
        except ValueError:
            self._handle(self.MALFORMED)

    def _handle(self, body: Any) -> None:
        url = urlsplit(self.path)
        path = url.path[len(_PREFIX) :] if url.path.startswith(_PREFIX) else url.path
        status, payload = self.api._serve(self.command, path, dict(parse_qsl(url.query)), body)
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json" if status == 200 else "text/plain")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:  # the client gave up (a timeout test): nobody is listening any more
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the request line carries the token."""


def _media_part(content_type: str, raw: bytes) -> tuple[str, bytes] | None:
    """(filename, content) of the multipart field "media", as WeCom's media/upload reads it."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw
    )
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == "media":
            return part.get_filename() or "", part.get_payload(decode=True)
    return None


def _kind(failure: _Failure) -> str:
    """How a scripted failure shows in `faults_served`."""
    if failure.hang:
        return "hang"
    return "http" if failure.http_status is not None else f"errcode {failure.errcode}"


def _process_node(node: JSON) -> JSON:
    """A process_list node as getapprovaldetail shows it right after filing: nobody has acted."""
    approving = node.get("type") != 2  # CC nodes carry neither status nor apv_rel
    members = [
        {"userid": user, "speech": "", "sptime": 0, "media_ids": [], **({"sp_yj": 1} if approving else {})}
        for user in node.get("userid", [])
    ]
    extra = {"sp_status": 1, "apv_rel": node.get("apv_rel", 1)} if approving else {}
    return {"node_type": node.get("type", 1), **extra, "sub_node_list": members}


def _filter_value(info: JSON, key: str) -> str | None:
    """The getapprovalinfo filters the fake understands: template_id, creator, sp_status."""
    values = {
        "template_id": info.get("template_id"),
        "creator": info.get("applyer", {}).get("userid"),
        "sp_status": str(info.get("sp_status")),
    }
    return values.get(key)


def _template(body: JSON) -> JSON:
    """A stored template as gettemplatedetail answers it."""
    return {
        "template_names": body.get("template_name", []),
        "template_content": body.get("template_content", {}),
    }


def _found(table: dict[str, JSON], key: Any, errcode: int) -> JSON:
    if key not in table:
        raise _Reply(errcode, "not found")
    return table[key]
