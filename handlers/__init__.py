"""Slack listeners (one module per listener kind, wired by `handlers.listeners`), Block Kit
rendering, and the HTTP handlers for WeCom and links."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)


def safely(action: str, call: Any, *args: Any, **kwargs: Any) -> None:
    """Slack calls from listeners: a failure is logged with context, never a traceback to a user."""
    try:
        call(*args, **kwargs)
    except SlackApiError as exc:
        log.warning("Slack call failed", extra={"action": action, "error": exc.response.get("error")})
