"""Block actions. URL buttons open their link in the browser, but Slack still
sends the click here; an unanswered click shows the user a warning icon."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App

if TYPE_CHECKING:
    from bot.runtime import Runtime


def register(app: App, runtime: Runtime) -> None:
    app.action("open_approval_link")(acknowledge_link)


def acknowledge_link(ack: Ack, body: dict[str, Any]) -> None:
    ack()
