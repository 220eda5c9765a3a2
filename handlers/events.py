"""Events (App Home), and whatever no other listener takes.

`handlers.listeners` registers this module last, and bolt tries listeners in registration order, so
the catch-alls below only get what nobody else took: a button or form from an older version of a
message, or a crafted one, is answered in words instead of bolt's 404. A request whose envelope is
not even shaped like Slack's (no user, no action id, wrong types) is refused with a 400 before any
listener sees it; a listener that fails anyway is logged without its payload, and the person is told.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware
from slack_sdk import WebClient

from bot.i18n import t
from handlers import field, refuse_click, safely, tell, text_field
from handlers.form_flow import notice_view
from handlers.home import render_home

if TYPE_CHECKING:
    from handlers.context import BotContext

log = logging.getLogger(__name__)

ANYTHING = re.compile(".*")

# What bolt's matchers and our listeners read from every request of a type, as (path, type) pairs;
# slash commands carry no type and are recognised by their "command".
_ENVELOPES: dict[str, tuple[tuple[tuple[str | int, ...], type], ...]] = {
    "block_actions": (
        (("user", "id"), str),
        (("actions",), list),
        (("actions", 0), dict),
        (("actions", 0, "action_id"), str),
    ),
    "block_suggestion": ((("user", "id"), str), (("action_id",), str)),
    "view_submission": ((("user", "id"), str), (("view", "type"), str), (("view", "callback_id"), str)),
    "view_closed": ((("user", "id"), str), (("view", "type"), str), (("view", "callback_id"), str)),
    "shortcut": ((("user", "id"), str), (("callback_id",), str)),
    "message_action": ((("user", "id"), str), (("callback_id",), str)),
    "event_callback": ((("event",), dict), (("event", "type"), str)),
}
_COMMAND = ((("command",), str), (("user_id",), str))
# Present or not, these must have the shape Slack gives them wherever they appear
_OPTIONAL = (
    (("text",), str),
    (("trigger_id",), str),
    (("actions", 0, "block_id"), str),
    (("view",), dict),
    (("view", "type"), str),
    (("view", "callback_id"), str),
    (("event",), dict),
    (("workflow_step",), dict),
)


def register(app: App, runtime: BotContext) -> None:
    app.event("app_home_opened")(lambda event, client: home_opened(runtime, event, client))
    register_fallbacks(app, runtime)


def home_opened(runtime: BotContext, event: dict[str, Any], client: WebClient) -> None:
    user = text_field(event, "user")
    if event.get("tab") == "home" and user:
        safely("views.publish", client.views_publish, user_id=user, view=render_home(runtime, user))


def register_fallbacks(app: App, runtime: BotContext) -> None:
    """The envelope check, the catch-alls (after every other listener) and the error handler."""
    lang = runtime.config.slack.language
    app.use(EnvelopeCheck())
    app.action(ANYTHING)(lambda ack, body, client: stale_click(runtime, ack, body, client))
    app.view_submission(ANYTHING)(
        lambda ack: ack(response_action="update", view=notice_view(lang, "listener.stale_form"))
    )
    app.view_closed(ANYTHING)(lambda ack: ack())
    app.options(ANYTHING)(lambda ack: ack(options=[]))
    app.command(ANYTHING)(lambda ack: ack(t("listener.unknown_command", lang)))
    app.shortcut(ANYTHING)(
        lambda ack, body, client: stale_click(runtime, ack, body, client, "listener.unknown_command")
    )
    app.event(ANYTHING)(lambda: None)  # events are acked by bolt; nothing to do with ones we don't use
    app.error(failure_handler(runtime))


def well_formed(body: Any) -> bool:
    """Whether `body` has what bolt and our listeners read, of the types Slack sends."""
    kind = text_field(body, "type")
    is_command = kind is None and isinstance(body, dict) and "command" in body
    checks = _COMMAND if is_command else _ENVELOPES.get(kind or "")
    if checks is None:
        return False
    required = all(field(body, *path, kind=of) is not None for path, of in checks)
    present = [(path, of) for path, of in _OPTIONAL if _has(body, path)]
    return required and all(field(body, *path, kind=of) is not None for path, of in present)


def _has(body: Any, path: tuple[str | int, ...]) -> bool:
    """Whether the last step of `path` exists (its parents being what they should)."""
    parent = field(body, *path[:-1], kind=object)
    step = path[-1]
    if isinstance(step, int):
        return isinstance(parent, list) and len(parent) > step
    return isinstance(parent, dict) and step in parent


class EnvelopeCheck(Middleware):
    """A global middleware: a request not shaped like Slack's gets a plain 400, and no listener runs.

    A class, not a function: bolt builds a function middleware's arguments from the payload, and
    that itself fails on the very payloads this is here to refuse."""

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse:
        if well_formed(req.body):
            return next()
        log.warning("malformed Slack request refused", extra={"type": str(text_field(req.body, "type"))[:40]})
        return BoltResponse(status=400, body="malformed request")


def stale_click(
    runtime: BotContext, ack: Ack, body: dict[str, Any], client: WebClient, key: str = "listener.stale_button"
) -> None:
    """Acks a click nobody handles and says so, where it was clicked (or in the DM)."""
    ack()
    refuse_click(runtime, client, body, key)


def failure_handler(runtime: BotContext) -> Callable[..., BoltResponse | None]:
    """bolt's error handler: logs where it failed (not the payload), and tells the person, in the
    response while it is still open, else in their DM (whoever caused an event, too: a reply under a card
    that could not be taken is not left unanswered)."""
    lang = runtime.config.slack.language

    def failed(error: Exception, body: Any, response: BoltResponse | None, client: WebClient) -> Any:
        frames = traceback.extract_tb(error.__traceback__)
        where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else ""
        kind = text_field(body, "type") or ("command" if text_field(body, "command") else "")
        log.error("Slack listener failed", extra={"error": type(error).__name__, "at": where, "kind": kind})
        told = ("block_actions", "view_submission", "shortcut", "message_action", "command", "event_callback")
        if kind not in told:
            return None
        if response is not None and kind == "view_submission":
            update = {"response_action": "update", "view": notice_view(lang, "listener.failed")}
            return BoltResponse(status=200, body=update)
        if response is not None and kind == "command":
            return BoltResponse(status=200, body={"text": t("listener.failed", lang)})
        user = (
            text_field(body, "user", "id") or text_field(body, "user_id") or text_field(body, "event", "user")
        )
        if user:
            tell(runtime, client, user, t("listener.failed", lang))
        return BoltResponse(status=200, body="") if response is not None else None

    return failed
