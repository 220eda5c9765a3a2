"""A WeCom on loopback: the embedded engine behind WeCom's HTTP API, for the offline demo and the tests.

`approvals-bot sandbox` serves it so the bot's WeCom path (`WeComClient`, the callback route, the detail and
callback parsers) runs unchanged with no network: approvals filed through ``oa/applyevent`` are engine
`Snapshot`s whose user ids are WeCom userids, read back through ``oa/getapprovaldetail`` and
``oa/getapprovalinfo``, and announced by encrypted ``sys_approval_change`` callbacks. There is no WeCom app
to approve in, so `Sandbox.decide` plays the approver.

    sandbox = Sandbox("ww-corp", "secret", token="tok", encoding_aes_key=KEY, callback_url=BOT_CALLBACK,
                      templates={"tpl-1": SandboxTemplate(detail, (Step(NodeType.APPROVER, ...),))},
                      users={"alice": {"name": "Alice", "email": "alice@example.com", "department": [1]}})
    client = WeComClient("ww-corp", "secret", api_base=sandbox.start().base_url)
    sp_no = client.oa.apply_event(body)
    sandbox.decide(sp_no, "bob", "approve")      # the bot hears of it by callback
"""

from __future__ import annotations

import email.parser
import email.policy
import functools
import json
import logging
import os
import secrets
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

import httpx

from bot.codec import snapshot_from_dict, snapshot_to_dict
from bot.forms import Control, FilledForm, Template
from bot.i18n import t
from bot.model import Action, ApprovalMode, ApprovalStatus, NodeType, Snapshot
from bot.providers.local import engine
from bot.providers.local.engine import LocalTemplate, Step
from bot.providers.wecom import codes, render
from bot.providers.wecom.crypto import WeComCrypto
from bot.providers.wecom.template_admin import template_problems
from bot.providers.wecom.templates import parse_template_detail

logger = logging.getLogger(__name__)

JSON = dict[str, Any]
Decision = Literal["approve", "reject", "comment"]

_PREFIX = "/cgi-bin/"
_SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")  # WeCom numbers approvals by China's date
_MAX_WINDOW = 31 * 86400  # getapprovalinfo: seconds, at most 31 days
_MILLISECONDS = 10**11  # a "time" this big (the year 5138 in seconds) was sent in milliseconds
_MAX_PAGE = 100
_CALLBACK_TIMEOUT = 5.0  # WeCom gives up on an answer after 5 s and tries again
_MEDIA_TYPES = frozenset({"image", "voice", "video", "file"})

# WeCom's errcodes for what the sandbox refuses.
_INVALID_SECRET = 40001
_INVALID_MEDIA_TYPE = 40004
_INVALID_CORP = 40013
_INVALID_TOKEN = 40014
_NO_TOKEN = 41001
_NO_MEDIA = 41005
_EXPIRED_TOKEN = 42001
_BAD_JSON = 47001
_NO_USER = 60111
_NO_DEPARTMENT = 60123
_BAD_PARAMETER = 301025  # 提交审批单请求参数错误; WeCom also answers it for an unknown sp_no or template
_NOT_VISIBLE = 301055  # the creator is outside the app's visible range
_BAD_CONTROL = 301086  # 审批控件参数错误
_TOO_MANY_TEMPLATES = 301087  # 企业模版数超过上限
_TEMPLATE_LIMIT = 100  # the sandbox corp's limit of templates (WeCom does not publish its own)

# The getapprovalinfo filters, and what each compares.
_FILTERS: dict[str, Callable[[Snapshot], str]] = {
    "template_id": lambda snap: snap.template_id,
    "creator": lambda snap: snap.applicant,
    "department": lambda snap: snap.applicant_party,
    "sp_status": lambda snap: str(int(snap.status)),
}

_DECISIONS: dict[str, Callable[[Snapshot, str, int, str], Snapshot]] = {
    # WeCom lets an applicant who is also on a step approve it; the engine's rule against that is the bot's.
    "approve": functools.partial(engine.approve, allow_self=True),
    "reject": engine.reject,
    # a comment written in the WeCom app (添加备注), numbered as WeCom would: one a second at most per user
    "comment": lambda snap, who, now, text: engine.comment(snap, who, text, now, f"{now}{who}"),
}


@dataclass(frozen=True)
class SandboxTemplate:
    """A template the sandbox serves: its ``gettemplatedetail`` reply ({template_names, template_content}),
    and the flow a request with use_template_approver = 1 follows (WeCom userids); without one, every
    request must name its approvers."""

    detail: Mapping[str, Any]
    process: tuple[Step, ...] = ()


@dataclass(frozen=True)
class _Filed:
    """One approval: its state, and the form as filed (the engine keeps no form)."""

    snap: Snapshot
    contents: list[Any]


@dataclass(frozen=True)
class ApiCall:
    """One API request the sandbox answered, kept so the demo can show the hop: the JSON body and reply,
    never the query (it carries the access token, and for gettoken the secret)."""

    method: str
    path: str
    body: Mapping[str, Any]
    reply: Mapping[str, Any]


@dataclass(frozen=True)
class CallbackAttempt:
    """One POST of an encrypted callback to the bot, and the bot's answer ("" when it was lost on
    purpose and never sent)."""

    sp_no: str
    action: Action | None  # what changed it (StatuChangeEvent)
    status: ApprovalStatus  # what it is now (SpStatus)
    posted: int  # bytes of the encrypted envelope
    answer: str  # "200 success", "HTTP 500 …", "not delivered: …", or "" for a lost one


Traffic = ApiCall | CallbackAttempt


@dataclass(frozen=True)
class _Request:
    query: dict[str, str]
    body: Mapping[str, Any]  # the JSON object posted; {} for GET and uploads
    upload: tuple[str, bytes] | None = None  # media/upload: the "media" part's (filename, content)
    malformed: bool = False  # the body posted was not a JSON object


class _Refused(Exception):
    """Ends a request with WeCom's errcode for it."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(errmsg)
        self.errcode = errcode
        self.errmsg = errmsg


class Sandbox:
    """A WeCom-compatible server for one corp and one app, with its approvals in memory."""

    def __init__(
        self,
        corp_id: str,
        secret: str,
        *,
        token: str,
        encoding_aes_key: str,
        agent_id: str = "1000002",
        callback_url: str | None = None,
        templates: Mapping[str, SandboxTemplate] | None = None,
        users: Mapping[str, Mapping[str, Any]] | None = None,
        departments: Mapping[int, str] | None = None,
        token_lifetime: int = 7200,
        retry_delay: float = 1.0,
        clock: Callable[[], float] = time.time,
        state_file: Path | None = None,
        first_serial: int = 1,
    ) -> None:
        """`users`: userid -> {name, email, department: [ids, the main one first]}, what ``user/get`` answers.
        `departments`: id -> name, for ``department/get``. `token`, `encoding_aes_key`: the bot's callback
        settings, to sign and encrypt the callbacks posted to `callback_url` (none: nothing is posted).
        `clock` gives Unix seconds: for apply times, numbers and token lifetimes. `state_file`: where the
        approvals are kept between runs, so the corp outlives the process as WeCom's does and a number is
        never handed out twice (none: in memory only). `first_serial`: the day's first serial, so a
        world with another engine numbering YYYYMMDD0001… can tell the two apart at a glance."""
        self.corp_id = corp_id
        self._secret = secret
        self._agent_id = agent_id
        self._users = {
            uid: {"name": uid, "department": [1], **profile, "userid": uid}
            for uid, profile in (users or {}).items()
        }
        self._departments = dict(departments or {})
        self._token_lifetime = token_lifetime
        self._clock = clock
        for template_id, template in (templates or {}).items():
            _form(template_id, template.detail)  # a reply the bot could not read fails here, not on first use
            if unknown := {user for step in template.process for user in step.users} - set(self._users):
                raise ValueError(f"template {template_id}: no such user {sorted(unknown)[0]!r} in users")
        self._templates = dict(templates or {})
        self._lock = threading.Lock()
        self._tokens: dict[str, int] = {}  # access_token -> when it expires
        self._approvals: dict[str, _Filed] = {}
        self._filed_on: Counter[str] = Counter()  # YYYYMMDD -> approvals numbered that day
        self._first_serial = first_serial
        self._media: dict[str, tuple[str, bytes]] = {}
        self._traffic: list[Traffic] = []
        self._traffic_lock = threading.Lock()  # its own: callbacks are recorded under `_lock`
        self._state_file = state_file
        if state_file is not None and state_file.exists():
            self._load(state_file)
        self._callbacks = _CallbackPoster(
            callback_url,
            WeComCrypto(token, encoding_aes_key, corp_id),
            corp_id,
            agent_id,
            retry_delay,
            record=self._record,
        )
        self._server: ThreadingHTTPServer | None = None
        self._routes: dict[tuple[str, str], Callable[[_Request], JSON]] = {
            ("GET", "gettoken"): self._gettoken,
            ("POST", "oa/gettemplatedetail"): self._gettemplatedetail,
            ("POST", "oa/applyevent"): self._applyevent,
            ("POST", "oa/getapprovalinfo"): self._getapprovalinfo,
            ("POST", "oa/getapprovaldetail"): self._getapprovaldetail,
            ("POST", "oa/approval/create_template"): self._create_template,
            ("POST", "oa/approval/update_template"): self._update_template,
            ("POST", "corp/getopenapprovaldata"): self._getopenapprovaldata,
            ("GET", "user/get"): self._user_get,
            ("POST", "user/get_userid_by_email"): self._get_userid_by_email,
            ("GET", "department/get"): self._department_get,
            ("POST", "media/upload"): self._media_upload,
        }

    # -- life cycle ----------------------------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> Sandbox:
        """Serve from background threads (port 0: any free port) and start posting callbacks."""
        if self._server is not None:
            raise RuntimeError("the sandbox is already serving")
        handler = type("Handler", (_Handler,), {"sandbox": self})
        self._server = _Server((host, port), handler)
        serve = functools.partial(self._server.serve_forever, poll_interval=0.05)  # a prompt stop()
        threading.Thread(target=serve, name="wecom-sandbox", daemon=True).start()
        self._callbacks.start()
        return self

    def stop(self) -> None:
        """Stop serving and posting; callbacks not yet delivered are dropped."""
        self._callbacks.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """The api_base for `WeComClient`: "http://HOST:PORT/cgi-bin/"."""
        if self._server is None:
            raise RuntimeError("start() the sandbox first")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{_PREFIX}"

    # -- playing WeCom's users and network -----------------------------------------------------------------

    def decide(self, sp_no: str, userid: str, decision: Decision, speech: str = "") -> Snapshot:
        """`userid` approves, rejects (a rejection needs a reason: the engine's rule) or comments as in the
        WeCom app;
        the change is announced by callback. Raises KeyError for an unknown number and `engine.NotAllowed`
        when it is not their turn."""
        decide = _DECISIONS[decision]
        with self._lock:
            filed = self._approvals[sp_no]
            snap = decide(filed.snap, userid, self._now(), speech)
            self._approvals[sp_no] = replace(filed, snap=snap)
            self._save()
            self._announce(snap)
        return snap

    def approval(self, sp_no: str) -> Snapshot:
        """The current state of an approval (KeyError when there is none)."""
        with self._lock:
            return self._approvals[sp_no].snap

    def traffic(self, since: int = 0) -> list[Traffic]:
        """What crossed the wire, in order, from the `since`-th hop: API calls answered, callbacks posted."""
        with self._traffic_lock:
            return self._traffic[since:]

    def lose_callbacks(self, count: int = 1) -> None:
        """The next `count` callbacks are never sent, as if lost on the way: the bot's sweep must notice."""
        self._callbacks.lose(count)

    def drain_callbacks(self, timeout: float = 10.0) -> bool:
        """Wait until every callback announced so far was delivered or given up; False if still busy after
        `timeout` seconds."""
        return self._callbacks.drain(timeout)

    def _now(self) -> int:
        return int(self._clock())

    def _announce(self, snap: Snapshot) -> None:
        """Queue the callback for a change; called under the lock, so callbacks go in the order of changes."""
        xml = render.callback_xml(snap, self.corp_id, self._agent_id, snap.event_time)
        self._callbacks.post(xml, snap)

    def _record(self, hop: Traffic) -> None:
        with self._traffic_lock:
            self._traffic.append(hop)

    def _load(self, path: Path) -> None:
        """The approvals and day counters a previous run kept in `path`."""
        state = json.loads(path.read_text(encoding="utf-8"))
        self._filed_on.update(state["filed_on"])
        for number, filed in state["approvals"].items():
            self._approvals[number] = _Filed(snapshot_from_dict(filed["snap"]), filed["contents"])

    def _save(self) -> None:
        """Write the approvals to the state file, whole and atomically; called under the lock."""
        if self._state_file is None:
            return
        state = {
            "filed_on": dict(self._filed_on),
            "approvals": {
                number: {"snap": snapshot_to_dict(filed.snap), "contents": filed.contents}
                for number, filed in self._approvals.items()
            },
        }
        scratch = self._state_file.with_name(self._state_file.name + ".tmp")
        scratch.parent.mkdir(parents=True, exist_ok=True)
        scratch.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
        os.replace(scratch, self._state_file)

    # -- serving (from the handler threads) ----------------------------------------------------------------

    def _answer(self, method: str, path: str, request: _Request) -> tuple[int, JSON]:
        """(HTTP status, WeCom's JSON reply) for one request."""
        route = self._routes.get((method, path))
        if route is None:
            return 404, {"errcode": 404, "errmsg": f"the sandbox serves no {method} {path}"}
        try:
            if path != "gettoken":
                self._check_token(request.query.get("access_token", ""))
            if request.malformed:
                raise _Refused(_BAD_JSON, "the body is not a JSON object")
            reply = {**route(request), "errcode": 0, "errmsg": "ok"}
        except _Refused as refused:
            reply = {"errcode": refused.errcode, "errmsg": refused.errmsg}
        self._record(ApiCall(method, path, request.body, reply))
        return 200, reply

    def _check_token(self, token: str) -> None:
        if not token:
            raise _Refused(_NO_TOKEN, "access_token missing")
        with self._lock:
            expires = self._tokens.get(token)
        if expires is None:
            raise _Refused(_INVALID_TOKEN, "invalid access_token")
        if self._now() >= expires:
            raise _Refused(_EXPIRED_TOKEN, "access_token expired")

    def _gettoken(self, request: _Request) -> JSON:
        if request.query.get("corpid") != self.corp_id:
            raise _Refused(_INVALID_CORP, "invalid corpid")
        if request.query.get("corpsecret") != self._secret:
            raise _Refused(_INVALID_SECRET, "invalid credential: corpsecret")
        token = secrets.token_urlsafe(48)
        with self._lock:
            self._tokens[token] = self._now() + self._token_lifetime
        return {"access_token": token, "expires_in": self._token_lifetime}

    def _gettemplatedetail(self, request: _Request) -> JSON:
        return dict(self._template(request.body)[1].detail)

    def _applyevent(self, request: _Request) -> JSON:
        """Checks the request against the template, as WeCom does, and files it through the engine."""
        body = request.body
        template_id, template = self._template(body)
        creator = codes.text(body.get("creator_userid"))
        profile = self._users.get(creator)
        if profile is None:
            raise _Refused(_NOT_VISIBLE, f"creator_userid {creator!r} is not a member the app can see")
        form = _form(template_id, template.detail)
        contents = codes.as_obj(body.get("apply_data")).get("contents")
        with self._lock:
            media = set(self._media)
        _check_contents(contents, form.controls, media)
        process = self._process(body, template)
        party = _department(body.get("choose_department"), profile["department"])
        summary = tuple(
            line
            for item in codes.as_objs(body.get("summary_list"))
            if (line := codes.localized(item.get("summary_info")))
        )
        cc = tuple(dict.fromkeys(user for step in process if step.type is NodeType.CC for user in step.users))
        with self._lock:
            now = self._now()
            number = self._number(now)
            snap = engine.submit(
                LocalTemplate(form, process), creator, FilledForm(form), number, now, summary=summary
            )
            # The sandbox is WeCom: its approvals are WeCom's, copied people listed as Notifyer too.
            snap = replace(snap, provider="wecom", applicant_party=party, cc=cc)
            self._approvals[number] = _Filed(snap, list(contents))
            self._save()
            self._announce(snap)
        return {"sp_no": number}

    def _number(self, now: int) -> str:
        """YYYYMMDD and the day's serial, as WeCom numbers approvals; called under the lock."""
        day = datetime.fromtimestamp(now, _SHANGHAI).strftime("%Y%m%d")
        self._filed_on[day] += 1
        return f"{day}{self._first_serial - 1 + self._filed_on[day]:04d}"

    def _process(self, body: Mapping[str, Any], template: SandboxTemplate) -> tuple[Step, ...]:
        """The template's own flow (use_template_approver 1), or the one the request names (0, default)."""
        mode = body.get("use_template_approver", 0)
        if mode == 1:
            if not template.process:
                raise _Refused(_BAD_PARAMETER, "this template has no flow of its own: name the approvers")
            return template.process
        if mode != 0:
            raise _Refused(_BAD_PARAMETER, "use_template_approver must be 0 or 1")
        nodes = codes.as_obj(body.get("process")).get("node_list")
        if not isinstance(nodes, list) or not nodes:
            raise _Refused(_BAD_PARAMETER, "process.node_list is required when use_template_approver is 0")
        steps = tuple(map(self._step, nodes))
        if all(step.type is NodeType.CC for step in steps):
            raise _Refused(_BAD_PARAMETER, "process.node_list names no approver")
        return steps

    def _step(self, node: Any) -> Step:
        node = codes.as_obj(node)
        kind = codes.integer(node.get("type"))
        if kind not in (1, 2, 3):
            raise _Refused(_BAD_PARAMETER, "a process node's type must be 1, 2 or 3")
        users = node.get("userid")
        if not isinstance(users, list) or not users:
            raise _Refused(_BAD_PARAMETER, "a process node must list its userids")
        for user in users:
            if user not in self._users:
                raise _Refused(_BAD_PARAMETER, f"process userid {user!r} does not exist")
        if NodeType(kind) is NodeType.CC:
            return Step(NodeType.CC, ApprovalMode.ALL, tuple(dict.fromkeys(users)))
        apv_rel = codes.integer(node.get("apv_rel"))
        if apv_rel not in (1, 2, 3):
            raise _Refused(_BAD_PARAMETER, "an approver or handler node needs apv_rel 1, 2 or 3")
        return Step(NodeType(kind), ApprovalMode(apv_rel), tuple(dict.fromkeys(users)))

    def _getapprovalinfo(self, request: _Request) -> JSON:
        """Numbers of the approvals filed in [starttime, endtime] that pass the filters, in filing order; the
        cursor is the last number handed out."""
        body = request.body
        start, end = codes.integer(body.get("starttime")), codes.integer(body.get("endtime"))
        if start is None or end is None or end >= _MILLISECONDS or not 0 <= end - start <= _MAX_WINDOW:
            raise _Refused(_BAD_PARAMETER, "starttime and endtime: Unix seconds, a window of at most 31 days")
        size = body.get("size", _MAX_PAGE)
        if not isinstance(size, int) or not 1 <= size <= _MAX_PAGE:
            raise _Refused(_BAD_PARAMETER, f"size must be 1 to {_MAX_PAGE}")
        wanted = _filters(body.get("filters", []))
        cursor = codes.text(body.get("new_cursor"))
        with self._lock:
            found = sorted(
                number
                for number, filed in self._approvals.items()
                if number > cursor
                and start <= filed.snap.apply_time <= end
                and all(_FILTERS[key](filed.snap) == value for key, value in wanted)
            )
        page = found[:size]
        return {"sp_no_list": page, "new_next_cursor": page[-1] if len(found) > size else ""}

    def _getapprovaldetail(self, request: _Request) -> JSON:
        sp_no = codes.text(request.body.get("sp_no"))
        with self._lock:
            filed = self._approvals.get(sp_no)
        if filed is None:
            raise _Refused(_BAD_PARAMETER, f"no approval {sp_no!r}")
        return {"info": render.approval_detail_info(filed.snap, filed.contents, filed.snap.template_name)}

    def _create_template(self, request: _Request) -> JSON:
        """Refuses what the spec forbids (the bot's own `template_problems`) and templates past the limit;
        a created template is served by gettemplatedetail and may be filed from then on."""
        with self._lock:  # the names checked stay the names there are until the template is added
            detail = self._checked_detail(request.body, exclude=None)
            if len(self._templates) >= _TEMPLATE_LIMIT:
                raise _Refused(_TOO_MANY_TEMPLATES, f"the corp already has {_TEMPLATE_LIMIT} templates")
            template_id = secrets.token_urlsafe(30)
            self._templates[template_id] = SandboxTemplate(detail)
        return {"template_id": template_id}

    def _update_template(self, request: _Request) -> JSON:
        """New names and controls; the flow stays, as WeCom keeps a template's configured flow."""
        template_id, _ = self._template(request.body)
        with self._lock:
            detail = self._checked_detail(request.body, exclude=template_id)
            self._templates[template_id] = replace(self._templates[template_id], detail=detail)
        return {}

    def _checked_detail(self, body: Mapping[str, Any], exclude: str | None) -> JSON:
        """The gettemplatedetail reply of a create or update body (`exclude`: the template updated, whose own
        name it may keep), refused with 301086 naming every problem; called under the lock."""
        names = {
            codes.text(name.get("text"))
            for template_id, template in self._templates.items()
            if template_id != exclude
            for name in codes.as_objs(template.detail.get("template_names"))
        }
        problems = template_problems(body, names - {""}, updating=exclude is not None)
        if problems:
            said = (f"{p.where}: {t(f'template.problem.{p.key}', 'en', **p.params)}" for p in problems)
            raise _Refused(_BAD_CONTROL, "; ".join(said))
        return {
            "template_names": body["template_name"],
            "template_content": {"controls": codes.as_obj(body.get("template_content")).get("controls", [])},
        }

    def _template(self, body: Mapping[str, Any]) -> tuple[str, SandboxTemplate]:
        """(template_id, template) of the request."""
        template_id = codes.text(body.get("template_id"))
        with self._lock:
            template = self._templates.get(template_id)
        if template is None:
            raise _Refused(_BAD_PARAMETER, f"no template {template_id!r}")
        return template_id, template

    def _getopenapprovaldata(self, request: _Request) -> JSON:
        """Always "not found": approvals of the self-built app's engine (thirdNo) need WeCom's own approval
        engine and its JS-SDK page, which the sandbox does not have."""
        third_no = codes.text(request.body.get("thirdNo"))
        raise _Refused(_BAD_PARAMETER, f"no open approval {third_no!r}: the sandbox runs no approval engine")

    def _user_get(self, request: _Request) -> JSON:
        userid = request.query.get("userid", "")
        if userid not in self._users:
            raise _Refused(_NO_USER, f"userid {userid!r} not found")
        return dict(self._users[userid])

    def _get_userid_by_email(self, request: _Request) -> JSON:
        """Either of a member's addresses (email, biz_mail) finds them, in any letter case."""
        email = codes.text(request.body.get("email")).lower()
        for userid, profile in self._users.items():
            if email and email in (str(profile.get(key, "")).lower() for key in ("email", "biz_mail")):
                return {"userid": userid}
        raise _Refused(_NO_USER, "no member has that email")

    def _department_get(self, request: _Request) -> JSON:
        department = codes.integer(request.query.get("id", ""))
        if department not in self._departments:
            raise _Refused(_NO_DEPARTMENT, "department not found")
        return {"department": {"id": department, "name": self._departments[department]}}

    def _media_upload(self, request: _Request) -> JSON:
        kind = request.query.get("type", "")
        if kind not in _MEDIA_TYPES:
            raise _Refused(_INVALID_MEDIA_TYPE, f"invalid media type {kind!r}")
        if request.upload is None:
            raise _Refused(_NO_MEDIA, "media data missing: post a multipart field named media")
        media_id = secrets.token_urlsafe(36)
        with self._lock:
            self._media[media_id] = request.upload
        return {"type": kind, "media_id": media_id, "created_at": str(self._now())}


# -- checks ------------------------------------------------------------------------------------------------


def _form(template_id: str, detail: Mapping[str, Any]) -> Template:
    """The template as the bot reads it, whose controls requests are checked against."""
    return parse_template_detail(detail, alias=template_id, template_id=template_id)


def _check_contents(contents: Any, controls: Sequence[Control], media: set[str]) -> None:
    """Refuses what WeCom refuses: a control the template lacks or of another kind, a required control left
    empty, a file never uploaded. The rows of a Table are checked against its columns."""
    if not isinstance(contents, list) or not all(isinstance(c, Mapping) for c in contents):
        raise _Refused(_BAD_PARAMETER, "apply_data.contents must be a list of controls")
    known = {control.id: control for control in controls}
    values: dict[str, Mapping[str, Any]] = {}
    for content in contents:
        control = known.get(codes.text(content.get("id")))
        if control is None:
            raise _Refused(_BAD_PARAMETER, f"control id {content.get('id')!r} is not in the template")
        if content.get("control") != control.kind:
            raise _Refused(
                _BAD_PARAMETER, f"control {control.id} is a {control.kind}, not {content.get('control')!r}"
            )
        value = values[control.id] = codes.as_obj(content.get("value"))
        for row in codes.as_objs(value.get("children")) if control.kind == "Table" else ():
            _check_contents(row.get("list"), control.children, media)
        for file in codes.as_objs(value.get("files")) if control.kind == "File" else ():
            if codes.text(file.get("file_id")) not in media:
                raise _Refused(_BAD_PARAMETER, f"control {control.id}: file_id is no uploaded media_id")
    for control in controls:
        if control.required and control.kind != "Tips" and not _filled(values.get(control.id)):
            raise _Refused(_BAD_PARAMETER, f"required control {control.id} ({control.title}) has no value")


def _filled(value: Any) -> bool:
    """Whether a control's value holds an answer: some text or number, other than a `type` tag."""
    if isinstance(value, Mapping):
        return any(_filled(v) for k, v in value.items() if k != "type")
    if isinstance(value, list):
        return any(map(_filled, value))
    if isinstance(value, str):
        return bool(value.strip())
    return isinstance(value, int | float) and not isinstance(value, bool)


def _department(chosen: Any, departments: Sequence[int]) -> str:
    """choose_department when it is one of the creator's, else their main department."""
    if chosen is None:
        return str(departments[0]) if departments else ""
    if codes.integer(chosen) not in departments:
        raise _Refused(
            _BAD_PARAMETER, f"choose_department {chosen!r} is not one of the creator's departments"
        )
    return str(chosen)


def _filters(raw: Any) -> list[tuple[str, str]]:
    if not isinstance(raw, list):
        raise _Refused(_BAD_PARAMETER, "filters must be a list")
    wanted = [(codes.text(f.get("key")), codes.text(f.get("value"))) for f in codes.as_objs(raw)]
    if len(wanted) != len(raw) or any(key not in _FILTERS for key, _ in wanted):
        raise _Refused(_BAD_PARAMETER, f"filters are {{key, value}} with a key among {', '.join(_FILTERS)}")
    return wanted


# -- callbacks -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Envelope:
    """One encrypted callback, sent identically on every attempt, and the change it announces."""

    query: dict[str, str]
    body: bytes
    change: Snapshot

    def attempted(self, answer: str) -> CallbackAttempt:
        """What an attempt to deliver it was, with the bot's `answer`."""
        change = self.change
        return CallbackAttempt(change.number, change.action, change.status, len(self.body), answer)


class _CallbackPoster:
    """Posts callbacks in order from one background thread, as WeCom does: an attempt not answered
    ``success`` (HTTP 200) is made again, up to `_RETRIES` more times, `retry_delay` seconds apart."""

    _RETRIES = 3

    def __init__(
        self,
        url: str | None,
        crypto: WeComCrypto,
        corp_id: str,
        agent_id: str,
        retry_delay: float,
        *,
        record: Callable[[CallbackAttempt], None],
    ) -> None:
        self._url = url
        self._record = record
        self._crypto = crypto
        self._corp_id = corp_id
        self._agent_id = agent_id
        self._retry_delay = retry_delay
        self._queue: deque[_Envelope] = deque()
        self._busy = False  # an envelope is being delivered
        self._to_lose = 0
        self._changed = threading.Condition()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._http = httpx.Client(timeout=_CALLBACK_TIMEOUT)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="wecom-sandbox-callbacks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        with self._changed:
            self._changed.notify_all()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._http.close()

    def post(self, xml: bytes, change: Snapshot) -> None:
        """Encrypt and queue a callback carrying `xml` (announcing `change`), unless told to lose it or there
        is nowhere to post."""
        if self._url is None:
            return
        envelope = self._envelope(xml, change)
        with self._changed:
            if self._to_lose:
                self._to_lose -= 1
                logger.info("sandbox: losing a callback, as told")
                self._record(envelope.attempted(""))
                return
            self._queue.append(envelope)
            self._changed.notify_all()

    def lose(self, count: int) -> None:
        with self._changed:
            self._to_lose += count

    def drain(self, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: not self._queue and not self._busy, timeout)

    def _envelope(self, xml: bytes, change: Snapshot) -> _Envelope:
        """``<xml><ToUserName/><Encrypt/><AgentID/></xml>`` signed by msg_signature, timestamp and nonce."""
        encrypt = self._crypto.encrypt(xml)
        timestamp, nonce = str(int(time.time())), str(secrets.randbelow(10**10))
        body = (
            f"<xml><ToUserName><![CDATA[{self._corp_id}]]></ToUserName>"
            f"<Encrypt><![CDATA[{encrypt}]]></Encrypt>"
            f"<AgentID><![CDATA[{self._agent_id}]]></AgentID></xml>"
        )
        query = {
            "msg_signature": self._crypto.signature(timestamp, nonce, encrypt),
            "timestamp": timestamp,
            "nonce": nonce,
        }
        return _Envelope(query, body.encode(), change)

    def _run(self) -> None:
        while (envelope := self._next()) is not None:
            try:
                self._deliver(envelope)
            finally:
                with self._changed:
                    self._busy = False
                    self._changed.notify_all()

    def _next(self) -> _Envelope | None:
        """The next envelope to deliver, waiting for one; None once stopped."""
        with self._changed:
            self._changed.wait_for(lambda: self._queue or self._stopped.is_set())
            if self._stopped.is_set():
                return None
            self._busy = True
            return self._queue.popleft()

    def _deliver(self, envelope: _Envelope) -> None:
        for attempt in range(1 + self._RETRIES):
            if attempt and self._stopped.wait(self._retry_delay):
                return
            if self._answered(envelope):
                return
        logger.warning(
            "sandbox: the bot did not take a callback in %d attempts; giving up", 1 + self._RETRIES
        )

    def _answered(self, envelope: _Envelope) -> bool:
        assert self._url is not None  # nothing is queued without one
        try:
            reply = self._http.post(
                self._url, params=envelope.query, content=envelope.body, headers={"Content-Type": "text/xml"}
            )
        except httpx.HTTPError as exc:
            logger.info("sandbox: callback not delivered: %s", exc)
            self._record(envelope.attempted(f"not delivered: {exc}"))
            return False
        answer = f"{reply.status_code} {reply.text.strip()[:80]}".rstrip()
        self._record(envelope.attempted(answer))
        if reply.status_code == 200 and reply.text.strip() == "success":
            return True
        logger.info(
            "sandbox: the bot answered a callback with HTTP %d %r", reply.status_code, reply.text[:80]
        )
        return False


# -- HTTP --------------------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # a client may open many connections at once; the default backlog is 5


class _Handler(BaseHTTPRequestHandler):
    """Decodes one request for `Sandbox._answer` and writes its JSON reply."""

    sandbox: Sandbox
    protocol_version = "HTTP/1.1"  # keep-alive, as httpx pools connections
    disable_nagle_algorithm = True  # headers and body are two writes: no delayed-ACK stall between them

    def do_GET(self) -> None:
        self._respond({})

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        content_type = self.headers.get("Content-Type", "")
        if content_type.startswith("multipart/form-data"):
            self._respond({}, _media_part(content_type, raw))
            return
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError:
            body = None
        if isinstance(body, dict):
            self._respond(body)
        else:
            self._respond({}, malformed=True)

    def _respond(
        self, body: Mapping[str, Any], upload: tuple[str, bytes] | None = None, *, malformed: bool = False
    ) -> None:
        url = urlsplit(self.path)
        path = url.path.removeprefix(_PREFIX)
        request = _Request(dict(parse_qsl(url.query)), body, upload, malformed)
        status, reply = self.sandbox._answer(self.command, path, request)
        payload = json.dumps(reply, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: request lines carry the access token and the secret."""


def _media_part(content_type: str, raw: bytes) -> tuple[str, bytes] | None:
    """(filename, content) of the multipart field "media"; None when there is none."""
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + raw)
    media = (p for p in message.iter_parts() if p.get_param("name", header="content-disposition") == "media")
    part = next(media, None)
    return None if part is None else (part.get_filename() or "", part.get_payload(decode=True))
