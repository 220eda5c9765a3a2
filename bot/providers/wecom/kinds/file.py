"""File (附9): attachments, uploaded first; at most 6 in one approval."""

from __future__ import annotations

from typing import Any

from bot.forms import Control
from bot.providers.wecom import codes
from bot.providers.wecom.kinds.base import Count, Fill, Json, Lookups, Render, WeComKind, plural


class File(WeComKind):
    name = "File"

    def value(self, control: Control, answer: Any, lookups: Lookups, fill: Fill) -> dict[str, Any]:
        return {"files": [{"file_id": lookups.media_id(upload)} for upload in answer]}  # 附9

    def files(self, control: Control, answer: Any, count: Count) -> int:
        return len(answer)

    def show(self, value: Json, render: Render) -> str:
        count = len(codes.as_objs(value.get("files")))
        return plural(count, "file") if count else ""


KIND = File()
