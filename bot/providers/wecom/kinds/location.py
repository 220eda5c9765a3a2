"""Location: shown from detail responses only (Slack has no input for it)."""

from __future__ import annotations

from bot.providers.wecom import codes
from bot.providers.wecom.kinds.base import Json, Render, WeComKind, join, scalar


class Location(WeComKind):
    name = "Location"

    def show(self, value: Json, render: Render) -> str:
        location = codes.as_obj(value.get("location"))
        title, address = scalar(location.get("title")), scalar(location.get("address"))
        if title and address:
            return f"{title} ({address})"
        return title or address or join(scalar(location.get("latitude")), scalar(location.get("longitude")))


KIND = Location()
