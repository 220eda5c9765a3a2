"""WeCom (企业微信) server API client.

One `WeComClient` owns everything a call needs: the httpx pool, the timeouts, the retries, the
client-side pacing and the one `access_token` every thread shares. Endpoints are grouped as in
wechatpy (`client.oa.apply_event(...)`); failures are a small exception tree whose messages are
plain words for users. Raw dicts stay inside the WeCom provider: this module speaks WeCom's JSON.
"""

from __future__ import annotations

import itertools
import logging
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from bot.providers.credentials import SharedCredential

logger = logging.getLogger(__name__)

Clock = Callable[[], float]
Sleep = Callable[[float], object]  # time.sleep, or an Event.wait that close() cuts short
JSON = dict[str, Any]

BUSY = -1  # WeCom's "system busy"; also the code of every "WeCom unavailable" error
_STALE_TOKEN = frozenset({40001, 40014, 42001})  # a fresh token may cure these
_AUTH = _STALE_TOKEN | {40013, 40091, 41001}
_RATE_LIMITED = frozenset({45009, 45033})
_BACKOFF_FIRST, _BACKOFF_MAX = 0.5, 8.0
_PACING = {  # calls per minute, from the specs
    "oa/applyevent": 60,
    "oa/getapprovalinfo": 600,
    "oa/getapprovaldetail": 600,
    "oa/gettemplatedetail": 600,
    "oa/approval/create_template": 600,
    "oa/approval/update_template": 600,
}
_TEXTS: dict[int, tuple[str, str]] = {  # errcode → (English, 简体中文), in plain words for users
    BUSY: ("WeCom is busy or cannot be reached; try again later", "企业微信系统繁忙或无法连接，请稍后再试"),
    40001: ("WeCom rejected the app secret or its access token", "secret 或 access_token 无效"),
    40013: ("The WeCom corp ID is wrong", "企业 ID（CorpID）不合法"),
    40014: ("WeCom rejected the access token", "access_token 不合法"),
    40058: ("A parameter sent to WeCom is invalid", "参数不合法"),
    40091: ("The WeCom app secret is wrong", "secret 不合法"),
    41001: ("The call to WeCom had no access token", "缺少 access_token 参数"),
    42001: ("The WeCom access token has expired", "access_token 已过期"),
    45009: ("Too many calls to WeCom; try again in a minute", "接口调用超过频率限制，请稍后再试"),
    45033: ("Too many simultaneous calls to WeCom; try again shortly", "接口并发调用超过限制，请稍后再试"),
    48002: ("The app may not call this WeCom API", "API 接口无权限调用"),
    60020: ("This server's IP address is not trusted by the WeCom app", "不安全的访问 IP"),
    60111: ("That user does not exist in WeCom", "UserID 不存在"),
    301025: ("The approval request has invalid or missing fields", "提交审批单请求参数错误"),
    301055: (
        "The app may not use WeCom approvals, or the applicant is outside the app's visible range",
        "无审批应用权限，或者提单者不在审批应用/自建应用的可见范围",
    ),
    301056: ("The WeCom approval app is disabled", "审批应用已停用"),
    301057: ("WeCom failed to file the approval (internal error)", "提交审批单内部接口失败"),
    301086: ("A control of the approval template is invalid", "审批控件参数错误"),
    301087: ("The company has reached its limit of approval templates", "企业模版数超过上限"),
    301088: ("The app may not use WeCom approvals", "无审批应用权限"),
    620004: ("WeCom had an internal server error", "服务器内部错误"),
}
_UNKNOWN = ("WeCom refused the request", "企业微信拒绝了请求")
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)  # safe to retry any call
_SECRETS_IN_URL = re.compile(r"((?:access_token|corpsecret)=)[^&\s\"']*")


def redact(text: str) -> str:
    """Hide the token and the secret in a URL or a log line: logs outlive both and reach other people."""
    return _SECRETS_IN_URL.sub(r"\1***", text)


class WeComError(Exception):
    """A WeCom call failed. `message` (`message_zh`) can be shown to users; `code` is WeCom's errcode;
    `errmsg` WeCom's own explanation (redacted), which for a refused template names what it disliked."""

    def __init__(self, code: int, endpoint: str, text: str | None = None, errmsg: str = "") -> None:
        english, chinese = _TEXTS.get(code, _UNKNOWN)
        self.code = code
        self.endpoint = endpoint
        self.errmsg = errmsg
        self.message = f"{text or english} (WeCom error {code})"
        self.message_zh = f"{chinese}（企业微信错误码 {code}）"
        super().__init__(self.message)


class WeComAuthError(WeComError):
    """The corp ID, the secret or the access token was rejected: a configuration problem."""


class WeComRateLimited(WeComError):
    """WeCom still limited the call (45009, 45033) after bounded backoff."""


class WeComRefused(WeComError):
    """WeCom understood the request and refused it; repeating it will not help."""


class WeComUnavailable(WeComError):
    """WeCom stayed busy, could not be reached, timed out or sent something that is not its JSON."""


def _error_for(code: int, endpoint: str, errmsg: str = "") -> WeComError:
    """The exception for a non-zero errcode, so callers branch on the class, never on errmsg."""
    if code in _AUTH:
        return WeComAuthError(code, endpoint, errmsg=errmsg)
    if code in _RATE_LIMITED:
        return WeComRateLimited(code, endpoint, errmsg=errmsg)
    if code == BUSY:
        return WeComUnavailable(code, endpoint, errmsg=errmsg)
    return WeComRefused(code, endpoint, errmsg=errmsg)


class RateLimiter:
    """Thread-safe client-side pacing: at most `limit` calls start in any `period` seconds.

    A sliding window rather than a refilling bucket: a full bucket of 60 plus a refill of one per
    second lets 120 calls through in the first minute, which is what earns 45009. Each caller
    reserves its slot under the lock and sleeps outside it; `clock` and `sleep` are injectable.
    """

    def __init__(
        self, limit: int, period: float = 60.0, *, clock: Clock = time.monotonic, sleep: Sleep = time.sleep
    ) -> None:
        self._period = period
        self._clock = clock
        self._sleep = sleep
        self._starts: deque[float] = deque(maxlen=limit)  # the last `limit` reserved start times
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Wait until one more call may start."""
        with self._lock:
            now = self._clock()
            full = len(self._starts) == self._starts.maxlen
            start = max(now, self._starts[0] + self._period) if full else now
            self._starts.append(start)
        if start > now:
            self._sleep(start - now)


class _Retry(Exception):
    """One attempt failed in a way another attempt may cure; `error` is raised when none is left."""

    def __init__(self, error: WeComError) -> None:
        super().__init__(error.message)
        self.error = error


@dataclass(frozen=True)
class _Endpoint:
    path: str
    method: str = "POST"
    idempotent: bool = True  # False: a reply lost after sending may hide a done call, so never resend it


_GETTOKEN = _Endpoint("gettoken", "GET")
_APPLY_EVENT = _Endpoint("oa/applyevent", idempotent=False)
_GET_APPROVAL_INFO = _Endpoint("oa/getapprovalinfo")
_GET_APPROVAL_DETAIL = _Endpoint("oa/getapprovaldetail")
_GET_TEMPLATE_DETAIL = _Endpoint("oa/gettemplatedetail")
_CREATE_TEMPLATE = _Endpoint("oa/approval/create_template", idempotent=False)
_UPDATE_TEMPLATE = _Endpoint("oa/approval/update_template")
_GET_OPEN_APPROVAL_DATA = _Endpoint("corp/getopenapprovaldata")
_GET_USER = _Endpoint("user/get", "GET")
_GET_USERID_BY_EMAIL = _Endpoint("user/get_userid_by_email")
_GET_DEPARTMENT = _Endpoint("department/get", "GET")
_UPLOAD_MEDIA = _Endpoint("media/upload")
# JS-SDK tickets: https://developer.work.weixin.qq.com/document/path/96909 (获取企业/应用 jsapi_ticket)
_GET_CORP_JSAPI_TICKET = _Endpoint("get_jsapi_ticket", "GET")
_GET_AGENT_JSAPI_TICKET = _Endpoint("ticket/get", "GET")


class _RedactingFilter(logging.Filter):
    """Scrubs httpx's own "HTTP Request: GET <url>" lines, whose query carries the token or secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def _scrub_httpx_logs() -> None:
    httpx_logger = logging.getLogger("httpx")
    if not any(isinstance(f, _RedactingFilter) for f in httpx_logger.filters):
        httpx_logger.addFilter(_RedactingFilter())


class WeComClient:
    """A WeCom API client for one corp and one app secret; safe to share between threads."""

    def __init__(
        self,
        corp_id: str,
        secret: str,
        *,
        api_base: str = "https://qyapi.weixin.qq.com/cgi-bin/",
        timeout: float = 10.0,
        http: httpx.Client | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep | None = None,
        max_retries: int = 3,
    ) -> None:
        """`sleep` waits out pacing and back-off; by default a wait that `close()` cuts short, so a sweep
        with hundreds of paced reads left does not hold up a SIGTERM."""
        _scrub_httpx_logs()
        self._closed = threading.Event()
        self._credentials = {"corpid": corp_id, "corpsecret": secret}
        self._api_base = api_base.rstrip("/") + "/"
        self._timeout = httpx.Timeout(timeout)
        self._owns_http = http is None
        self._http = http if http is not None else httpx.Client(timeout=self._timeout)
        self._sleep = sleep or self._closed.wait
        self._max_retries = max_retries
        self._pacing = {
            path: RateLimiter(limit, clock=clock, sleep=self._sleep) for path, limit in _PACING.items()
        }
        self._token: SharedCredential[str] = SharedCredential("WeCom access token", self._fetch_token, clock)
        self.oa = OaApi(self)
        self.corp = CorpApi(self)
        self.user = UserApi(self)
        self.media = MediaApi(self)
        self.ticket = TicketApi(self)

    def token_state(self) -> dict[str, Any]:
        """For /healthz: whether a token is held and for how long; never the token itself."""
        return self._token.state()

    def close(self) -> None:
        """Refuse further calls, end the waits in progress, and close the connection pool if this
        client created it. A call cut short fails as WeCom unavailable: its caller retries later."""
        self._closed.set()
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> WeComClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _call(
        self,
        endpoint: _Endpoint,
        *,
        params: dict[str, str] | None = None,
        json: JSON | None = None,
        files: dict[str, tuple[str, bytes]] | None = None,
        field: str | None = None,
    ) -> Any:
        """One API call with the shared token. A token WeCom calls stale is renewed and the call
        repeated, once: a second rejection means the credentials are wrong, not the token old."""
        token = self._token.get()
        try:
            body = self._send(endpoint, {**(params or {}), "access_token": token}, json, files)
        except WeComAuthError as exc:
            if exc.code not in _STALE_TOKEN:
                raise
            logger.info("WeCom %s: access token rejected (%d), renewing it", endpoint.path, exc.code)
            token = self._token.renew(stale=token)
            body = self._send(endpoint, {**(params or {}), "access_token": token}, json, files)
        if field is None:
            return {key: value for key, value in body.items() if key not in ("errcode", "errmsg")}
        if field not in body:
            raise WeComUnavailable(BUSY, endpoint.path, f"WeCom's reply has no {field!r}")
        return body[field]

    def _fetch_token(self) -> tuple[str, float]:
        body = self._send(_GETTOKEN, self._credentials)
        try:
            return str(body["access_token"]), float(body["expires_in"])
        except (KeyError, TypeError, ValueError):
            raise WeComUnavailable(BUSY, _GETTOKEN.path, "WeCom's token reply is incomplete") from None

    def _send(
        self,
        endpoint: _Endpoint,
        params: dict[str, str],
        json: JSON | None = None,
        files: dict[str, tuple[str, bytes]] | None = None,
    ) -> JSON:
        """Attempt a call, backing off between attempts while WeCom is busy, limiting or unreachable."""
        for attempt in itertools.count():
            try:
                return self._attempt(endpoint, params, json, files)
            except _Retry as retry:
                if attempt == self._max_retries:
                    raise retry.error from retry.__cause__
                delay = min(_BACKOFF_FIRST * 2**attempt, _BACKOFF_MAX)
                logger.warning("WeCom %s: %s; retrying in %.1f s", endpoint.path, retry.error, delay)
                self._sleep(delay)

    def _attempt(
        self,
        endpoint: _Endpoint,
        params: dict[str, str],
        json: JSON | None,
        files: dict[str, tuple[str, bytes]] | None,
    ) -> JSON:
        pacing = self._pacing.get(endpoint.path)
        if pacing is not None:
            pacing.acquire()
        if self._closed.is_set():
            raise WeComUnavailable(BUSY, endpoint.path, "the bot is stopping: the call was not made")
        logger.debug("WeCom %s %s", endpoint.method, endpoint.path)
        try:
            response = self._http.request(
                endpoint.method,
                self._api_base + endpoint.path,
                params=params,
                json=json,
                files=files,
                timeout=self._timeout,
            )
            body = response.json()
        except httpx.RequestError as exc:  # transport failures, timeouts, undecodable bodies
            timed_out = isinstance(exc, httpx.TimeoutException)
            text = "WeCom did not answer in time" if timed_out else "WeCom cannot be reached"
            error = WeComUnavailable(BUSY, endpoint.path, text)
            raise (_Retry(error) if endpoint.idempotent or isinstance(exc, _NOT_SENT) else error) from exc
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("errcode"), int):
            text = f"WeCom sent an unexpected reply (HTTP {response.status_code})"
            error = WeComUnavailable(BUSY, endpoint.path, text)
            raise _Retry(error) if endpoint.idempotent else error
        code = body["errcode"]
        if code == 0:
            return body
        errmsg = redact(str(body.get("errmsg", "")))
        logger.info("WeCom %s: errcode %d: %s", endpoint.path, code, errmsg)
        error = _error_for(code, endpoint.path, errmsg)
        raise _Retry(error) if code == BUSY or code in _RATE_LIMITED else error


class _Group:
    """A group of endpoints sharing one client, as wechatpy's BaseWeChatAPI."""

    def __init__(self, client: WeComClient) -> None:
        self._client = client


class OaApi(_Group):
    """The approval app (审批): file, read and template management."""

    def get_approval_detail(self, sp_no: str) -> JSON:
        """The "info" object of one approval: a callback carries no form data, this does."""
        return self._client._call(_GET_APPROVAL_DETAIL, json={"sp_no": sp_no}, field="info")

    def get_approval_info(
        self, start: int, end: int, *, cursor: str = "", size: int = 100, filters: list[JSON] | None = None
    ) -> JSON:
        """One page of approval numbers filed in [start, end] (Unix seconds, a window of ≤ 31 days):
        {"sp_no_list": [...], "new_next_cursor": "..."}; pages may be short, so follow the cursor."""
        if not 0 <= end - start <= 31 * 86400 or end > 10**11:
            raise ValueError("get_approval_info takes Unix seconds and a window of at most 31 days")
        if not 1 <= size <= 100:
            raise ValueError("get_approval_info pages hold 1 to 100 approvals")
        query: JSON = {"starttime": str(start), "endtime": str(end), "new_cursor": cursor, "size": size}
        if filters:
            query["filters"] = filters
        return self._client._call(_GET_APPROVAL_INFO, json=query)

    def get_template_detail(self, template_id: str) -> JSON:
        """A template's names, controls and options: what the request form must offer."""
        return self._client._call(_GET_TEMPLATE_DETAIL, json={"template_id": template_id})

    def apply_event(self, payload: JSON) -> str:
        """File an approval; returns its number (sp_no). Never resent after a lost reply: no duplicates."""
        return str(self._client._call(_APPLY_EVENT, json=payload, field="sp_no"))

    def create_template(self, payload: JSON) -> str:
        """Create an approval template; returns its template_id."""
        return str(self._client._call(_CREATE_TEMPLATE, json=payload, field="template_id"))

    def update_template(self, payload: JSON) -> None:
        """Replace a template's names and controls; its flow and rules stay as configured."""
        self._client._call(_UPDATE_TEMPLATE, json=payload)


class CorpApi(_Group):
    """The self-built app approval engine (审批流程引擎)."""

    def get_open_approval_data(self, third_no: str) -> JSON:
        """The current state ("data") of an approval launched with our own thirdNo."""
        return self._client._call(_GET_OPEN_APPROVAL_DATA, json={"thirdNo": third_no}, field="data")


class UserApi(_Group):
    """Members of the corp: who is behind a userid."""

    def get(self, userid: str) -> JSON:
        """One member's profile."""
        return self._client._call(_GET_USER, params={"userid": userid})

    def get_userid_by_email(self, email: str, email_type: int = 1) -> str:
        """The userid for an email (1: corp mailbox, 2: personal): links Slack users to WeCom ones."""
        body = {"email": email, "email_type": email_type}
        return str(self._client._call(_GET_USERID_BY_EMAIL, json=body, field="userid"))

    def department(self, department_id: int) -> JSON:
        """One department (id, name, parentid): names for the "which department" choice."""
        return self._client._call(_GET_DEPARTMENT, params={"id": str(department_id)}, field="department")


class MediaApi(_Group):
    """Temporary media: approval attachments are uploaded first, then referred to by media_id."""

    def upload(self, filename: str, content: bytes, media_type: str = "file") -> str:
        """Upload a file (multipart field "media"); returns its media_id, valid for three days."""
        files = {"media": (filename, content)}
        return str(
            self._client._call(_UPLOAD_MEDIA, params={"type": media_type}, files=files, field="media_id")
        )


class TicketApi(_Group):
    """JS-SDK tickets, which sign a page's wx.config (corp) and wx.agentConfig (app).

    Each call fetches a fresh ticket: WeCom allows 400 fetches an hour per corp and 100 per app,
    so callers cache them (bot/providers/wecom/jssdk.py) for their lifetime, normally 7200 s.
    """

    def corp_jsapi_ticket(self) -> tuple[str, float]:
        """(ticket, expires_in seconds) of the corp, for wx.config."""
        return self._ticket(_GET_CORP_JSAPI_TICKET, {})

    def agent_jsapi_ticket(self) -> tuple[str, float]:
        """(ticket, expires_in seconds) of this app, for wx.agentConfig."""
        return self._ticket(_GET_AGENT_JSAPI_TICKET, {"type": "agent_config"})

    def _ticket(self, endpoint: _Endpoint, params: dict[str, str]) -> tuple[str, float]:
        body = self._client._call(endpoint, params=params)
        try:
            return str(body["ticket"]), float(body["expires_in"])
        except (KeyError, TypeError, ValueError):
            raise WeComUnavailable(BUSY, endpoint.path, "WeCom's ticket reply is incomplete") from None
