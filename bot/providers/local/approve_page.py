"""GET/POST /approve/<token>: deciding an embedded-engine approval from outside Slack, on a phone.

GET shows the request (names, answers, where it stands) and the decision form, and changes nothing (mail
scanners and Slack's unfurler open links). The form's POST decides, once: the token is claimed in the store
before the decision is applied, so a double submit or a replay is refused. A link lets its approver
approve or reject (a reason is required to reject, as in Slack); the decision it was made for comes first.
Every outcome (decided, used, expired, forged, decided by someone else) is a page that says what happened
and what to do next. The reader's language comes from `?lang=`, else the browser's, else the bot's.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bot.forms import Control, Template
from bot.i18n import CATALOG, LANGUAGES, enum_name, t
from bot.links import DECISIONS, LinkError, LinkGrant, read_token, token_id
from bot.model import Snapshot
from bot.provider_ports import Decider, NotAllowed, UnknownApproval
from bot.providers.local.approve_view import (
    TIME_SCRIPT,
    TIME_SCRIPT_SOURCE,
    View,
    both_languages,
    decision_form,
    moment,
    notice,
    request_card,
    standing_card,
    top_bar,
)
from bot.providers.pages import HTML, html_document, request_length, security_headers
from bot.store import Store

log = logging.getLogger(__name__)

PREFIX = "/approve/"
MAX_FORM_BYTES = 16_384
SPEECH_LIMIT = 500
# No other site may frame the page (clickjacking) or post to it; it loads nothing and runs one script.
_HEADERS = security_headers(
    f"default-src 'none'; script-src {TIME_SCRIPT_SOURCE}; style-src 'unsafe-inline'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_SCRIPT = f"<script>{TIME_SCRIPT}</script>\n"


def approve_link(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}{PREFIX}{token}"


class ApprovePage:
    """A WSGI app for PREFIX. `public_url` is the bot's address as browsers see it (server.public_url); when
    it is not configured, a confirmation must come from the host the request was sent to.
    `display_name` names a Slack user; `templates` (by template id) tell how to show each answer; `lang`
    is the language of a reader whose browser does not say."""

    max_body = MAX_FORM_BYTES  # the front door's limit for this route: a confirmation form is small

    def __init__(
        self,
        decisions: Decider,
        store: Store,
        secret: bytes,
        *,
        public_url: str = "",
        display_name: Callable[[str], str] = str,
        templates: Mapping[str, Template] | None = None,
        lang: str = "en",
        clock: Callable[[], float] = time.time,
    ):
        self.decisions = decisions
        self.store = store
        self.secret = secret
        self.own_origin = _origin(public_url) if public_url else None
        self.display_name = display_name
        self.templates = dict(templates or {})
        self.lang = lang if lang in LANGUAGES else "en"
        self.clock = clock

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        status, body = self.handle(environ)
        start_response(status, [("Content-Type", HTML), ("Content-Length", str(len(body))), *_HEADERS])
        return [body]

    def handle(self, environ: dict[str, Any]) -> tuple[str, bytes]:
        token = environ.get("PATH_INFO", "")[len(PREFIX) :]
        try:
            grant = read_token(token, self.secret, self.clock())
            snap = self.decisions.current(grant.approval)
        except LinkError as exc:
            return _bad_link("403 Forbidden", f"links.{exc.reason}")
        except UnknownApproval:
            return _bad_link("404 Not Found", "links.gone")
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "GET":
            view = self._view(snap, _reader_language(environ, self.lang))
            return self._page("200 OK", view, snap, _standing_notice(snap, grant.approver, view), grant)
        if method != "POST":
            return _bad_link("405 Method Not Allowed", "links.bad_request")
        return self._decide(environ, token, grant, snap)

    def _decide(
        self, environ: dict[str, Any], token: str, grant: LinkGrant, snap: Snapshot
    ) -> tuple[str, bytes]:
        """Refusals (another site, an unreadable or oversized form, a reject without a reason) come before
        the link is claimed: the approver can still use it."""
        if self._cross_site(environ):
            log.warning("approve link: cross-site confirmation refused", extra={"approval": grant.approval})
            return _bad_link("403 Forbidden", "links.cross_site")
        length = request_length(environ)
        if length is None:
            return _bad_link("400 Bad Request", "links.bad_request")
        if length > MAX_FORM_BYTES:
            return _bad_link("413 Payload Too Large", "links.too_large")
        form = parse_qs(environ["wsgi.input"].read(length).decode("utf-8", "replace"))
        view = self._view(snap, _language((form.get("lang") or [""])[0], self.lang))
        decision = (form.get("decision") or [grant.decision])[0]
        speech = (form.get("speech") or [""])[0].strip()[:SPEECH_LIMIT]
        if decision not in DECISIONS:
            return _bad_link("400 Bad Request", "links.bad_request")
        if decision == "reject" and not speech:
            error = view.say("page.reason_required")
            return self._page("400 Bad Request", view, snap, "", grant, error=error)
        if not self.store.link_uses.use(token_id(token), grant.expires, self.clock()):
            used = notice("warn", view.say("links.used"), view.say("page.used_next"))
            return self._page("409 Conflict", view, snap, used, grant)
        details = {"speech": speech} if decision == "approve" else {"reason": speech}
        try:
            decided = self.decisions.act(grant.approval, grant.approver, decision, **details)
        except NotAllowed as exc:
            log.info("approve link refused", extra={"approval": grant.approval, "reason": exc.reason})
            refused = notice("bad", _not_allowed(exc, view), view.say("page.used_next"))
            return self._page("409 Conflict", view, self.decisions.current(grant.approval), refused, grant)
        log.info(
            "decided by link",
            extra={"approval": grant.approval, "approver": grant.approver, "decision": decision},
        )
        done = notice(
            "ok" if decision == "approve" else "bad",
            view.say(f"page.result.{decision}"),
            view.say("page.next"),
        )
        return self._page("200 OK", view, decided, done, grant)

    def _view(self, snap: Snapshot, lang: str) -> View:
        template = self.templates.get(snap.template_id)
        controls: dict[str, Control] = {}
        for control in template.controls if template else ():
            controls.setdefault(control.title, control)
        return View(lang, self.display_name, controls)

    def _page(
        self, status: str, view: View, snap: Snapshot, headline: str, grant: LinkGrant, *, error: str = ""
    ) -> tuple[str, bytes]:
        """The request, where it stands, and the form while the link's approver may still decide."""
        form = ""
        if grant.approver in snap.waiting_on() and not headline:
            form = decision_form(view, grant.decision, error)
        body = top_bar(view, f"?lang={_other(view.lang)}") + headline
        body += request_card(snap, view) + standing_card(snap, view) + form + _SCRIPT
        title = f"{snap.template_name} · {t('links.title', view.lang)}"
        return status, html_document(title, body, view.lang)

    def _cross_site(self, environ: dict[str, Any]) -> bool:
        """Whether the browser says the form was posted from another site: browsers send Origin with a
        POST, and Sec-Fetch-Site where they know it. A request with neither (old browsers, curl) passes.

        The page's own Referrer-Policy (no-referrer) makes browsers send `Origin: null` with its form (the
        Fetch standard serializes the origin as null under that policy): a null Origin passes only when
        the browser vouches with Sec-Fetch-Site: same-origin, a header no page can set."""
        fetch_site = environ.get("HTTP_SEC_FETCH_SITE", "").strip().lower()
        if fetch_site in ("cross-site", "same-site"):  # same-site: a sibling host, never this one
            return True
        if "HTTP_ORIGIN" not in environ:
            return False
        if environ["HTTP_ORIGIN"].strip() == "null" and fetch_site == "same-origin":
            return False
        given = _origin(environ["HTTP_ORIGIN"])
        if self.own_origin is not None:
            return given != self.own_origin
        # No public_url: the host the request was sent to, under the Origin's scheme (TLS may end at a proxy)
        scheme = given.partition("://")[0]
        return not given or given != _origin(f"{scheme}://{environ.get('HTTP_HOST', '')}")


def _origin(url: str) -> str:
    """scheme://host[:port] of a URL as browsers send it in Origin: lower case, no default port; "" when
    there is none ("null", garbage)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return ""
    scheme, host = parts.scheme.lower(), parts.hostname or ""
    if not scheme or not host:
        return ""
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc += f":{port}"
    return f"{scheme}://{netloc}"


def _bad_link(status: str, key: str) -> tuple[str, bytes]:
    """A page for a link that shows no request (forged, expired, unknown, refused before reading): the
    reader's language is not known yet, so it speaks both."""
    next_step = both_languages("page.bad_link_next") if key in ("links.forged", "links.gone") else ""
    body = f'<section class="card notice bad" role="status">{both_languages(key)}{next_step}</section>'
    title = " / ".join(t("links.title", lang) for lang in LANGUAGES)
    return status, html_document(title, body, "zh_CN")


def _standing_notice(snap: Snapshot, approver: str, view: View) -> str:
    """What the link's approver should know first, when the request no longer waits for them."""
    if snap.status.is_final:
        return notice("warn", view.say("page.finished", status=enum_name(snap.status, view.lang)))
    if approver in snap.waiting_on():
        return ""
    acted = [m for n in snap.flow_nodes() for m in n.members if m.user_id == approver and m.status.is_decided]
    if acted:
        mine = acted[-1]
        what = view.say("page.you_acted", verb=enum_name(mine.status, view.lang))
        return notice("warn", view.say("page.not_waiting"), f"{what} · {moment(mine.time)}")
    return notice("warn", view.say("page.not_waiting"), view.say("page.used_next"))


def _not_allowed(exc: NotAllowed, view: View) -> str:
    reason = exc.reason if f"decide.not_allowed.{exc.reason}" in CATALOG else "already_decided_plain"
    if reason == "already_decided" and not exc.decided_by:
        reason = "already_decided_plain"
    who = view.name(exc.decided_by) if exc.decided_by else ""
    when = time.strftime("%Y-%m-%d %H:%M", time.gmtime((exc.decided_at or 0) + 8 * 3600))
    return view.say(f"decide.not_allowed.{reason}", who=who, when=when, status="")


def _reader_language(environ: dict[str, Any], default: str) -> str:
    """?lang= when given, else the first language the browser accepts that the bot speaks, else `default`."""
    asked = (parse_qs(environ.get("QUERY_STRING", "")).get("lang") or [""])[0]
    if asked:
        return _language(asked, default)
    for part in environ.get("HTTP_ACCEPT_LANGUAGE", "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh_CN"
        if tag.startswith("en"):
            return "en"
    return default


def _language(asked: str, default: str) -> str:
    return asked if asked in LANGUAGES else default


def _other(lang: str) -> str:
    return next(other for other in LANGUAGES if other != lang)
