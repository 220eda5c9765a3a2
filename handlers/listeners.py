"""Every Slack listener, wired onto one bolt app: each module has a `register(app, runtime)`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt import App

from handlers import actions, commands, decisions, events, views
from handlers.slack_http import skip_seen_events

if TYPE_CHECKING:
    from bot.runtime import Runtime


def register_all(app: App, runtime: Runtime) -> None:
    if runtime.config.slack.app_token:  # over HTTP, SlackRequestGuard skips redelivered events
        app.use(skip_seen_events())
    for listeners in (commands, views, actions, decisions, events):
        listeners.register(app, runtime)
