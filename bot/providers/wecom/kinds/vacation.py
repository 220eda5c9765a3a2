"""Vacation (附11): a leave type from ``vacation_list.item[]`` (``id`` + ``name``) over a range.

The unit comes from the attendance config when the template has one, else half days (how WeCom's own leave
template asks).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.forms import Control, Option
from bot.providers.wecom import codes
from bot.providers.wecom.kinds.attendance import configure_attendance
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
    date_range,
    format_span,
    join,
    option_text,
    shown_options,
    shown_range,
    span_config,
    template_localized,
    text,
    zh,
)


class Vacation(WeComKind):
    name = "Vacation"

    def configure(self, control: Control, config: Json, parse: Parse) -> Control:
        options = tuple(
            Option(key, template_localized(item.get("name")) or key)
            for item in codes.as_objs(codes.as_obj(config.get("vacation_list")).get("item"))
            if (key := codes.text(item.get("id")))
        )
        return configure_attendance(replace(control, options=options, attendance_type=1), config)

    def template_config(self, control: Control, write: Write) -> dict[str, Any]:
        items = [{"id": o.key, "name": zh(o.text)} for o in control.options]
        return {"vacation_list": {"item": items}, "attendance": {**span_config(control), "type": 1}}

    def value(self, control: Control, answer: Any, lookups: Lookups, fill: Fill) -> dict[str, Any]:
        key, span = answer  # 附11: the chosen leave type carries its text too, and type is always 1 (请假)
        option = {"key": key, "value": [text(option_text(control, key), lookups.lang)]}
        return {
            "vacation": {
                "selector": {"type": "single", "options": [option], "exp_type": 0},
                "attendance": {"date_range": date_range(control, span), "type": 1},
            }
        }

    def summary(self, control: Control, answer: Any, lookups: SummaryLookups) -> list[Piece]:
        key, span = answer
        return [f"{option_text(control, key)} {format_span(span)}"]

    def show(self, value: Json, render: Render) -> str:
        vacation = codes.as_obj(value.get("vacation"))
        attendance = codes.as_obj(vacation.get("attendance"))
        return join(
            shown_options(codes.as_obj(vacation.get("selector"))),
            shown_range(codes.as_obj(attendance.get("date_range"))),
        )


KIND = Vacation()
