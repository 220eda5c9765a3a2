"""Slack listeners (one module per listener kind, wired by `handlers.listeners`), Block Kit
rendering, and the HTTP handlers for WeCom and links."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, TypeVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.i18n import t

if TYPE_CHECKING:
    from handlers.context import BotContext

log = logging.getLogger(__name__)

T = TypeVar("T")


def safely(action: str, call: Any, *args: Any, **kwargs: Any) -> Any:
    """Slack calls from listeners: a failure is logged with context, never a traceback to a user;
    returns the call's answer, or None when it failed."""
    try:
        return call(*args, **kwargs)
    except SlackApiError as exc:
        log.warning("Slack call failed", extra={"action": action, "error": exc.response.get("error")})
        return None


def field(payload: Any, *path: str | int, kind: type[T]) -> T | None:
    """What sits at `path` inside an untrusted payload when it is a `kind`; None when a step is missing
    or of another shape, so that a listener refuses in words instead of raising."""
    for step in path:
        if isinstance(step, int):
            if not isinstance(payload, list) or not -len(payload) <= step < len(payload):
                return None
        elif not isinstance(payload, dict) or step not in payload:
            return None
        payload = payload[step]
    if isinstance(payload, bool) and kind is not bool:  # JSON true is no number
        return None
    return payload if isinstance(payload, kind) else None


def text_field(payload: Any, *path: str | int) -> str | None:
    """The string at `path`, or None (see `field`)."""
    return field(payload, *path, kind=str)


def tell(runtime: BotContext, client: WebClient, user: str, text: str, channel: str | None = None) -> None:
    """A message only `user` sees: in `channel` (where they clicked), else in their DM with the bot."""
    try:
        where = channel or runtime.directory.im_channel(user)
    except SlackApiError as exc:
        log.warning("no channel to answer in", extra={"error": exc.response.get("error")})
        return
    safely("chat.postEphemeral", client.chat_postEphemeral, channel=where, user=user, text=text)


def refuse_click(
    runtime: BotContext, client: WebClient, body: Any, key: str = "listener.stale_button"
) -> None:
    """Tells whoever clicked, where they clicked, that the button is not (or no longer) one we take."""
    user = text_field(body, "user", "id")
    if user:
        text = t(key, runtime.config.slack.language)
        tell(runtime, client, user, text, text_field(body, "channel", "id"))
