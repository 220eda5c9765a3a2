"""GET/POST /approve/<token>: deciding an embedded-engine approval from outside Slack.

GET shows the request and what the link will do, and changes nothing (mail
scanners and Slack's unfurler open links). The page's POST decides, once:
the token is claimed in the store before the decision is applied, so a double
submit or a replay is refused. Plain HTML that works on a phone; both
languages at once, since the reader's language is unknown.
"""

from __future__ import annotations

import html
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bot.i18n import CATALOG, t
from bot.links import LinkError, LinkGrant, read_token, token_id
from bot.model import Snapshot
from bot.provider_ports import Decider, NotAllowed, UnknownApproval
from bot.providers.pages import request_length
from bot.store import Store

log = logging.getLogger(__name__)

PREFIX = "/approve/"
MAX_FORM_BYTES = 16_384
_STYLE = (
    "body{font-family:-apple-system,system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;"
    "line-height:1.5}button{font-size:1.1rem;padding:.6rem 1.4rem}textarea{width:100%}dt{color:#555}"
)
_HEADERS = [
    ("Cache-Control", "no-store"),
    ("Referrer-Policy", "no-referrer"),  # the URL is the link: nobody else may see it
    ("X-Content-Type-Options", "nosniff"),
    # No other site may frame the confirmation (clickjacking) or post it; the page loads nothing.
    ("X-Frame-Options", "DENY"),
    (
        "Content-Security-Policy",
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; "
        "frame-ancestors 'none'",
    ),
]
_DEFAULT_PORTS = {"http": 80, "https": 443}


def approve_link(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}{PREFIX}{token}"


class ApprovePage:
    """A WSGI app for PREFIX. `public_url` is the bot's address as browsers see it (server.public_url); when
    it is not configured, a confirmation must come from the host the request was sent to."""

    max_body = MAX_FORM_BYTES  # the front door's limit for this route: a confirmation form is small

    def __init__(
        self,
        decisions: Decider,
        store: Store,
        secret: bytes,
        *,
        public_url: str = "",
        clock: Callable[[], float] = time.time,
    ):
        self.decisions = decisions
        self.store = store
        self.secret = secret
        self.own_origin = _origin(public_url) if public_url else None
        self.clock = clock

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        status, body = self.handle(environ)
        start_response(
            status,
            [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body))), *_HEADERS],
        )
        return [body]

    def handle(self, environ: dict[str, Any]) -> tuple[str, bytes]:
        token = environ.get("PATH_INFO", "")[len(PREFIX) :]
        try:
            grant = read_token(token, self.secret, self.clock())
            snap = self.decisions.current(grant.approval)
        except LinkError as exc:
            return _page("403 Forbidden", _both(f"links.{exc.reason}"))
        except UnknownApproval:
            return _page("404 Not Found", _both("links.gone"))
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "GET":
            return _page("200 OK", _confirmation(snap))
        if method != "POST":
            return _page("405 Method Not Allowed", "")
        return self._decide(environ, token, grant)

    def _decide(self, environ: dict[str, Any], token: str, grant: LinkGrant) -> tuple[str, bytes]:
        """Refusals (another site, an unreadable or oversized form) come before the link is claimed."""
        if self._cross_site(environ):
            log.warning("approve link: cross-site confirmation refused", extra={"approval": grant.approval})
            return _page("403 Forbidden", _both("links.cross_site"))
        length = request_length(environ)
        if length is None:
            return _page("400 Bad Request", _both("links.bad_request"))
        if length > MAX_FORM_BYTES:
            return _page("413 Payload Too Large", _both("links.too_large"))
        form = parse_qs(environ["wsgi.input"].read(length).decode("utf-8", "replace"))
        speech = (form.get("speech") or [""])[0].strip()[:500]
        if not self.store.link_uses.use(token_id(token), grant.expires, self.clock()):
            return _page("409 Conflict", _both("links.used"))
        try:
            self.decisions.act(grant.approval, grant.approver, grant.decision, speech=speech)
        except NotAllowed as exc:
            log.info("approve link refused", extra={"approval": grant.approval, "reason": exc.reason})
            return _page("409 Conflict", _not_allowed(exc))
        log.info("approved by link", extra={"approval": grant.approval, "approver": grant.approver})
        return _page("200 OK", _both("links.done"))

    def _cross_site(self, environ: dict[str, Any]) -> bool:
        """Whether the browser says the form was posted from another site: browsers send Origin with a
        POST, and Sec-Fetch-Site where they know it. A request with neither (old browsers, curl) passes."""
        if environ.get("HTTP_SEC_FETCH_SITE", "").strip().lower() == "cross-site":
            return True
        if "HTTP_ORIGIN" not in environ:
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


def _both(key: str, **params: Any) -> str:
    return "".join(f"<p>{html.escape(t(key, lang, **params))}</p>" for lang in ("zh_CN", "en"))


def _not_allowed(exc: NotAllowed) -> str:
    reason = exc.reason if f"decide.not_allowed.{exc.reason}" in CATALOG else "already_decided_plain"
    if reason == "already_decided" and not exc.decided_by:
        reason = "already_decided_plain"
    when = time.strftime("%Y-%m-%d %H:%M", time.gmtime((exc.decided_at or 0) + 8 * 3600))
    return _both(f"decide.not_allowed.{reason}", who=exc.decided_by or "", when=when, status="")


def _confirmation(snap: Snapshot) -> str:
    facts = [
        (t("links.number", "zh_CN") + " / " + t("links.number", "en"), snap.number),
        (t("links.applicant", "zh_CN") + " / " + t("links.applicant", "en"), snap.applicant),
        *((f.title, f.value) for f in snap.fields),
    ]
    rows = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in facts)
    speech = f"{t('links.speech', 'zh_CN')} / {t('links.speech', 'en')}"
    button = f"{t('links.button_approve', 'zh_CN')} / {t('links.button_approve', 'en')}"
    return (
        f"<h1>{html.escape(snap.template_name)}</h1><dl>{rows}</dl>{_both('links.confirm_approve')}"
        f'<form method="post"><p><label>{html.escape(speech)}<br><textarea name="speech" rows="3">'
        f'</textarea></label></p><p><button type="submit">{html.escape(button)}</button></p></form>'
    )


def _page(status: str, body: str) -> tuple[str, bytes]:
    title = f"{t('links.title', 'zh_CN')} / {t('links.title', 'en')}"
    document = (
        f'<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" '
        f'content="width=device-width, initial-scale=1"><title>{html.escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body>{body}</body></html>"
    )
    return status, document.encode("utf-8")
