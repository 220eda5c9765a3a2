"""Slack listeners, one module per listener kind, each with a `register(app, runtime)`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt import App

from handlers import actions

if TYPE_CHECKING:
    from bot.runtime import Runtime


def register_all(app: App, runtime: Runtime) -> None:
    actions.register(app, runtime)
