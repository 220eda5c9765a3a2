"""Every Slack listener, wired onto one bolt app: each module has a `register(app, runtime)`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt import App

from handlers import (
    actions,
    admin,
    away,
    bulk,
    commands,
    decisions,
    direct_messages,
    events,
    template_admin,
    threads,
    views,
)
from handlers.slack_http import skip_seen_events

if TYPE_CHECKING:
    from handlers.context import BotContext


def register_all(app: App, runtime: BotContext) -> None:
    if runtime.config.slack.app_token:  # over HTTP, SlackRequestGuard skips redelivered events
        app.use(skip_seen_events())
    # threads takes replies under cards before direct_messages answers the rest of a DM with the help;
    # events registers the catch-all fallbacks: it stays last
    for listeners in (
        commands,
        admin,
        template_admin,
        views,
        actions,
        away,
        decisions,
        bulk,
        threads,
        direct_messages,
        events,
    ):
        listeners.register(app, runtime)
