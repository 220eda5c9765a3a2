"""Events: App Home."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt import App
from slack_sdk import WebClient

from handlers import safely

if TYPE_CHECKING:
    from bot.runtime import Runtime


def register(app: App, runtime: Runtime) -> None:
    app.event("app_home_opened")(lambda event, client: home_opened(runtime, event, client))


def home_opened(runtime: Runtime, event: dict[str, Any], client: WebClient) -> None:
    if event.get("tab") == "home":
        user = event["user"]
        safely("views.publish", client.views_publish, user_id=user, view=runtime.render_home(user))
