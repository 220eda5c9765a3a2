"""Attendance (附12): a trip, an outing or overtime over a range; ``attendance.date_range.type`` halfday |
hour, ``attendance.type`` 3 trip, 4 out, 5 overtime. A range over several days also gets ``slice_info``."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.forms import Control, DateSpan
from bot.providers.wecom import codes
from bot.providers.wecom.kinds.base import (
    DAY,
    HALF_DAY,
    UTC_OFFSET,
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
    integer,
    join,
    shown_range,
    span_config,
    span_unit,
)

_OVERTIME = 5  # Attendance type 加班
_OVERTIME_MAX_DAYS = 7  # 附12: 加班的时间跨度不能超过七天
_TYPES = {1: "leave", 3: "business trip", 4: "outing", 5: "overtime"}


def configure_attendance(control: Control, config: Json) -> Control:
    attendance = codes.as_obj(config.get("attendance"))
    return replace(
        control,
        date_type=span_unit(attendance),
        attendance_type=codes.integer(attendance.get("type")) or control.attendance_type,
    )


class Attendance(WeComKind):
    name = "Attendance"

    def configure(self, control: Control, config: Json, parse: Parse) -> Control:
        return configure_attendance(control, config)

    def template_config(self, control: Control, write: Write) -> dict[str, Any]:
        return {"attendance": {**span_config(control), "type": control.attendance_type}}

    def value(self, control: Control, answer: Any, lookups: Lookups, fill: Fill) -> dict[str, Any]:
        """附12; a span over several days also gets ``slice_info``: each day's share of the duration."""
        if control.attendance_type not in (3, 4, _OVERTIME):
            raise ValueError(
                f"{control.title}: Attendance type must be 3 (出差), 4 (外出) or 5 (加班), "
                f"not {control.attendance_type!r}"
            )
        span: DateSpan = answer
        dates = date_range(control, span)
        attendance: dict[str, Any] = {"date_range": dates, "type": control.attendance_type}
        days = day_weights(span)
        if control.attendance_type == _OVERTIME and len(days) > _OVERTIME_MAX_DAYS:
            raise ValueError(f"{control.title}: overtime cannot span more than {_OVERTIME_MAX_DAYS} days")
        if len(days) > 1:
            items = _day_items(span, days, _step(span.unit, control.attendance_type))
            attendance["slice_info"] = {"day_items": items}
            # WeCom totals the slices (附12: new_duration 无需填写); state the same total so the body agrees
            dates["new_duration"] = sum(item["duration"] for item in items)
        return {"attendance": attendance}

    def summary(self, control: Control, answer: Any, lookups: SummaryLookups) -> list[Piece]:
        return [format_span(answer)]

    def show(self, value: Json, render: Render) -> str:
        attendance = codes.as_obj(value.get("attendance"))
        kind = _TYPES.get(integer(attendance.get("type")), "")
        return join(shown_range(codes.as_obj(attendance.get("date_range"))), kind)


def _midnight(moment: int) -> int:
    """00:00 in UTC+8 of the day holding `moment` (附12 daytime: 当天的东八区的零点时间戳)."""
    return moment - (moment + UTC_OFFSET) % DAY


def day_weights(span: DateSpan) -> list[tuple[int, int]]:
    """(day's midnight, how much of the range falls on it), for each day the range touches.

    A half-day range names its first and last half-days, both included (00:00 -> 12:00 is one whole day,
    as in 附12's example); an hour range is the seconds from begin to end.
    """
    if span.unit == "halfday":
        days: dict[int, int] = {}
        for half in range(span.begin, span.end + 1, HALF_DAY):
            days[_midnight(half)] = days.get(_midnight(half), 0) + HALF_DAY
        return list(days.items())
    weights = []
    day = _midnight(span.begin)
    while day < span.end:
        weights.append((day, min(span.end, day + DAY) - max(span.begin, day)))
        day += DAY
    return weights


def _step(unit: str, attendance_type: int) -> int:
    """附12: a day's duration is a multiple of 43200 by half-days (8640 for overtime), of 360 by hours."""
    if unit == "hour":
        return 360
    return 8640 if attendance_type == _OVERTIME else HALF_DAY


def _day_items(span: DateSpan, days: list[tuple[int, int]], step: int) -> list[dict[str, int]]:
    """The duration, rounded to whole steps, shared among the days in proportion to their part of the range.

    Largest remainders get the leftover steps (the earlier day on a tie), so the shares add up exactly; a
    range that is all whole steps is shared exactly as it falls on the days.
    """
    units = (span.duration + step // 2) // step
    total = sum(weight for _, weight in days)
    exact = [units * weight for _, weight in days]  # each day's share in steps, times `total`
    shares = [part // total for part in exact]
    by_remainder = sorted(range(len(days)), key=lambda i: -(exact[i] % total))
    for i in by_remainder[: units - sum(shares)]:
        shares[i] += 1
    return [{"daytime": day, "duration": share * step} for (day, _), share in zip(days, shares, strict=True)]


KIND = Attendance()
