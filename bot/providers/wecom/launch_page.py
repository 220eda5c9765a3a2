"""GET /wecom/launch/<third_no>?sig=…[&view=1]: the page that opens an approval in WeCom's engine.

A self-built app files an approval of its approval engine only from a web page inside the WeCom
client: wx.config (the corp) and wx.agentConfig (the app) are signed for the page's own URL, then
wx.invoke('thirdPartyOpenPage') opens WeCom's form ("10001") or the filed approval ("10002").
The bot sends people a link signed with `launch_link`; this page checks it, signs the JS-SDK
configs and lets the client do the rest. GET changes nothing here: WeCom files the approval
and its callback tells the bot.

Spec: https://developer.work.weixin.qq.com/document/path/14584 (审批流程引擎) and the JS-SDK
sources cited in bot/providers/wecom/jssdk.py. The page's domain must be a trusted domain of the app.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from bot.i18n import t
from bot.providers.pages import HTML, Reply, html_document, script_source, security_headers
from bot.providers.wecom.client import WeComError
from bot.providers.wecom.jssdk import JsSdkSigner

log = logging.getLogger(__name__)

PREFIX = "/wecom/launch/"
LAUNCH, VIEW = "10001", "10002"  # thirdPartyOpenPage oaType: file an approval, show a filed one
SCRIPTS = (  # the only external assets: WeCom's JS-SDK (wx.config) and its agentConfig extension
    "https://res.wx.qq.com/open/js/jweixin-1.2.0.js",
    "https://open.work.weixin.qq.com/wwopen/js/jwxwork-1.0.0.js",
)


# What people read comes from the catalog (launch.*), in both languages at once: the page cannot know
# which one its reader prefers.
# The engine's errors (spec, 错误说明), recognised by their text in the callback's err_msg: (match, key).
_ERRORS = (
    ("已存在相同的审批编号", "launch.error.duplicate"),
    ("审批申请不存在", "launch.error.not_found"),
    ("审批模板ID不正确", "launch.error.template_id"),
    ("应用ID不正确", "launch.error.agent_id"),
)
# What the script may show, besides _ERRORS: the catalog's launch.<name> for each name.
_SCRIPT_TEXTS = ("opening", "done", "outside", "failed")

# ES5 and textContent only: WeCom's webviews vary, and nothing from data or WeCom becomes markup.
_SCRIPT = """(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("launch-data").textContent);
  var status = document.getElementById("status");
  var button = document.getElementById("launch");
  function show(state, text, detail) {
    var lines = [text.zh_CN, text.en];
    if (detail) { lines.push(detail); }
    status.setAttribute("data-state", state);
    status.textContent = "";
    for (var i = 0; i < lines.length; i++) {
      var line = document.createElement("span");
      line.textContent = lines[i];
      status.appendChild(line);
    }
  }
  function messageOf(res) { return (res && (res.err_msg || res.errMsg)) || ""; }
  function outside(res) { button.disabled = true; show("outside", data.texts.outside, messageOf(res)); }
  function explain(message) {
    for (var i = 0; i < data.errors.length; i++) {
      if (message.indexOf(data.errors[i].match) !== -1) { show("failed", data.errors[i]); return; }
    }
    show("failed", data.texts.failed, message);
  }
  function launch() {
    button.disabled = true;
    show("opening", data.texts.opening);
    wx.invoke("thirdPartyOpenPage", data.invoke, function (res) {
      var message = messageOf(res);
      button.disabled = false;
      if (message.indexOf(":ok") !== -1) { show("done", data.texts.done); } else { explain(message); }
    });
  }
  if (typeof wx === "undefined" || typeof wx.agentConfig !== "function"
      || !/wxwork/i.test(navigator.userAgent)) {
    outside();
    return;
  }
  button.onclick = launch;
  wx.config(data.config);
  wx.error(outside);
  wx.ready(function () {
    var agent = data.agentConfig;
    agent.success = launch;
    agent.fail = outside;
    wx.agentConfig(agent);
  });
}());
"""

# The inline script as it appears between its tags: the Content-Security-Policy allows exactly this text.
_INLINE_SCRIPT = "\n" + _SCRIPT
_SCRIPT_HASH = script_source(_INLINE_SCRIPT)
_SCRIPT_ORIGINS = " ".join(sorted({f"https://{urlsplit(src).hostname}" for src in SCRIPTS}))
# No other site may frame the page; it runs WeCom's JS-SDK and its own inline script, nothing else.
# The JS-SDK reports to open.weixin.qq.com with an image; the client does the rest natively.
_HEADERS = [
    *security_headers(
        f"default-src 'none'; script-src {_SCRIPT_ORIGINS} {_SCRIPT_HASH}; style-src 'unsafe-inline'; "
        "img-src https://open.weixin.qq.com; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    ("Allow", "GET"),  # GET shows a page and changes nothing; there is nothing to POST
]
# The page's own touches on the shared look: the status line shows its state; WeCom's green button.
_STYLE = """<style>#status span{display:block}#status span+span+span{color:var(--muted);font-size:.9em;
overflow-wrap:anywhere}#status[data-state=done]{color:var(--ok)}#status[data-state=failed],
#status[data-state=outside]{color:var(--bad)}#launch{width:100%;flex:none;background:#07c160}</style>
"""


@dataclass(frozen=True)
class LaunchDraft:
    """An approval the bot prepared and WeCom's engine should file under `third_no`."""

    third_no: str
    template_id: str  # OpenTemplateId
    fields: tuple[tuple[str, str, str], ...]  # (title, "text"|"link", value) -> extData.fieldList
    title: str  # shown on the page


def link_signature(third_no: str, secret: bytes) -> str:
    """HMAC-SHA256 of the thirdNo, hex: a link opens only the approval it was made for."""
    return hmac.new(secret, third_no.encode("utf-8"), hashlib.sha256).hexdigest()


def verify_link(third_no: str, signature: str, secret: bytes) -> bool:
    """Whether `signature` is the link signature of `third_no`, compared in constant time."""
    return hmac.compare_digest(signature.encode("utf-8"), link_signature(third_no, secret).encode())


def _launch_path(third_no: str) -> str:
    """The one spelling of a launch path, shared by the link and the URL the page signs."""
    return PREFIX + quote(third_no, safe="")


def launch_link(public_url: str, third_no: str, secret: bytes, *, view: bool = False) -> str:
    """The signed URL of the page that launches (or, with view, shows) the approval `third_no`."""
    query = f"sig={link_signature(third_no, secret)}" + ("&view=1" if view else "")
    return f"{public_url.rstrip('/')}{_launch_path(third_no)}?{query}"


def _script_json(value: Any) -> str:
    """JSON safe inside <script>: no "<", ">" or "&" survive, so "</script>" cannot close the tag."""
    text = json.dumps(value, ensure_ascii=False)
    for char in "<>&\u2028\u2029":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text


def _texts(key: str) -> dict[str, str]:
    """The catalog's text `key` in both languages, as the script's data carries it."""
    return {"zh_CN": t(key, "zh_CN"), "en": t(key, "en")}


def _both(key: str, separator: str = " / ") -> str:
    """The catalog's text `key` in both languages, as markup."""
    return _markup(_texts(key), separator)


def _markup(text: dict[str, str], separator: str) -> str:
    """A text given in both languages (zh_CN, en), as markup."""
    zh_cn, en = html.escape(text["zh_CN"]), html.escape(text["en"])
    return f'<span lang="zh-CN">{zh_cn}</span>{separator}<span lang="en">{en}</span>'


def _document(title: str, body: str) -> bytes:
    """A page of both languages at once (the reader's is not known), in the shared look."""
    return html_document(title, f'<section class="card">\n{body}\n</section>', "zh_CN", head=_STYLE)


def _notice(status: str, key: str, detail: dict[str, str] | None = None) -> Reply:
    """A page that only says something (the catalog's `key`), e.g. why there is no approval to open."""
    body = f"<h1>{_both(key, '<br>')}</h1>"
    if detail:
        body += f"\n<p>{_markup(detail, '<br>')}</p>"
    return Reply(status, _document(t(key, "en"), body), HTML)


class LaunchPage:
    """A WSGI app for PREFIX. `public_url` is the bot's address as browsers see it (server.public_url)."""

    def __init__(
        self,
        lookup: Callable[[str], LaunchDraft | None],
        signer: JsSdkSigner,
        link_secret: bytes,
        public_url: str,
    ) -> None:
        self.lookup = lookup
        self.signer = signer
        self.link_secret = link_secret
        self.public_url = public_url.rstrip("/")

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        reply = self.handle(environ)
        headers = [("Content-Type", reply.content_type), ("Content-Length", str(len(reply.body))), *_HEADERS]
        start_response(reply.status, headers)
        return [reply.body]

    def handle(self, environ: dict[str, Any]) -> Reply:
        if environ.get("REQUEST_METHOD", "GET") != "GET":
            return _notice("405 Method Not Allowed", "launch.method")
        third_no = _third_no(environ.get("PATH_INFO", ""))
        query = parse_qs(environ.get("QUERY_STRING", ""))
        # The signature is checked before the lookup: a forged link learns nothing, not even existence.
        if third_no is None or not verify_link(third_no, query.get("sig", [""])[0], self.link_secret):
            log.warning(
                "launch page: bad or missing link signature", extra={"path": environ.get("PATH_INFO")}
            )
            return _notice("403 Forbidden", "launch.forbidden")
        draft = self.lookup(third_no)
        if draft is None:
            return _notice("404 Not Found", "launch.not_found")
        url = f"{self.public_url}{_launch_path(third_no)}?{environ.get('QUERY_STRING', '')}"
        try:
            config = self.signer.page_config(url)
        except WeComError as exc:
            log.warning("launch page: no JS-SDK ticket", extra={"third_no": third_no, "error": exc.message})
            return _notice(
                "503 Service Unavailable", "launch.unavailable", {"zh_CN": exc.message_zh, "en": exc.message}
            )
        view = query.get("view", [""])[0] == "1"
        return Reply("200 OK", _document(draft.title, _launch_body(draft, config, view)), HTML)


def _third_no(path: str) -> str | None:
    """The thirdNo in a WSGI PATH_INFO (URL-decoded bytes as latin-1), or None if the path is not ours."""
    if not path.startswith(PREFIX):
        return None
    try:
        third_no = path[len(PREFIX) :].encode("latin-1").decode("utf-8")
    except UnicodeError:
        return None
    return third_no or None


def _launch_body(draft: LaunchDraft, config: dict[str, dict[str, Any]], view: bool) -> str:
    """The page: what is being launched, a status line, the button, and the data the script needs."""
    data = {
        **config,
        "invoke": {
            "oaType": VIEW if view else LAUNCH,
            "templateId": draft.template_id,
            "thirdNo": draft.third_no,
            "extData": {"fieldList": [{"title": n, "type": k, "value": v} for n, k, v in draft.fields]},
        },
        "texts": {name: _texts(f"launch.{name}") for name in _SCRIPT_TEXTS},
        "errors": [{"match": match, **_texts(key)} for match, key in _ERRORS],
    }
    fields = "".join(f"<dt>{html.escape(n)}</dt><dd>{html.escape(v)}</dd>" for n, _, v in draft.fields)
    number = f"<dt>{_both('launch.number')}</dt><dd>{html.escape(draft.third_no)}</dd>"
    scripts = "".join(f'<script src="{src}"></script>\n' for src in SCRIPTS)
    button = _both("launch.view" if view else "launch.launch")
    return (
        f"<h1>{html.escape(draft.title)}</h1>\n<dl>{number}{fields}</dl>\n"
        f'<p id="status" role="status" aria-live="polite">{_both("launch.connecting", "")}</p>\n'
        f"<noscript><p>{_both('launch.noscript')}</p></noscript>\n"
        f'<button id="launch" type="button" disabled>{button}</button>\n'
        f'{scripts}<script type="application/json" id="launch-data">{_script_json(data)}</script>\n'
        f"<script>{_INLINE_SCRIPT}</script>"
    )
