"""Date (附4): a day or a moment, ``date.type`` day | hour; s_timestamp is a string."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.forms import Control
from bot.providers.wecom import codes
from bot.providers.wecom.kinds.base import (
    Fill,
    Json,
    Lookups,
    Parse,
    Piece,
    Render,
    SummaryLookups,
    WeComKind,
    Write,
    format_time,
    timestamp,
)


class Date(WeComKind):
    name = "Date"

    def configure(self, control: Control, config: Json, parse: Parse) -> Control:
        hour = codes.as_obj(config.get("date")).get("type") == "hour"
        return replace(control, date_type="hour" if hour else "day")

    def template_config(self, control: Control, write: Write) -> dict[str, Any]:
        return {"date": {"type": control.date_type or "day"}}

    def value(self, control: Control, answer: Any, lookups: Lookups, fill: Fill) -> dict[str, Any]:
        # 附4: s_timestamp is a string; type follows the template (day, or hour for date + time)
        return {
            "date": {"type": "hour" if control.date_type == "hour" else "day", "s_timestamp": str(answer)}
        }

    def summary(self, control: Control, answer: Any, lookups: SummaryLookups) -> list[Piece]:
        return [format_time(answer, "%Y-%m-%d %H:%M" if control.date_type == "hour" else "%Y-%m-%d")]

    def show(self, value: Json, render: Render) -> str:
        date = codes.as_obj(value.get("date"))
        moment = timestamp(date.get("s_timestamp"))
        if moment is None:
            return ""
        return format_time(moment, "%Y-%m-%d %H:%M" if date.get("type") == "hour" else "%Y-%m-%d")


KIND = Date()
