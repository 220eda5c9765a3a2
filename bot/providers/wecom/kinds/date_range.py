"""DateRange (时长): ``date_range.type`` halfday | hour."""

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
    date_range,
    format_span,
    shown_range,
    span_config,
    span_unit,
)


class DateRange(WeComKind):
    name = "DateRange"

    def configure(self, control: Control, config: Json, parse: Parse) -> Control:
        return replace(control, date_type=span_unit(config))

    def template_config(self, control: Control, write: Write) -> dict[str, Any]:
        return span_config(control)

    def value(self, control: Control, answer: Any, lookups: Lookups, fill: Fill) -> dict[str, Any]:
        # Not in the spec's appendix; WeCom's own applyevent page lists it (附11 "control参数为DateRange，
        # 且value参数为date_range"), and SKIT.FlurlHttpClient.Wechat's CgibinOAApplyEventRequest
        # (DateRangeControlValue) and WxJava's ContentValue (date_range -> Attendance.DataRange) give the
        # shape: type (string) and new_begin / new_end / new_duration (integers), as in Attendance.
        return {"date_range": date_range(control, answer)}

    def summary(self, control: Control, answer: Any, lookups: SummaryLookups) -> list[Piece]:
        return [format_span(answer)]

    def show(self, value: Json, render: Render) -> str:
        return shown_range(codes.as_obj(value.get("date_range")))


KIND = DateRange()
