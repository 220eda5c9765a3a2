"""Date: a day (its 00:00 in Asia/Shanghai) from a datepicker, or a moment to the minute from a
datetimepicker when the template says "hour"."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.forms import Answer, Control
from bot.kinds.base import (
    Kind,
    Say,
    day_start,
    hourly,
    initial_day,
    initial_moment,
    moment_text,
    plain_display,
)
from bot.kinds.widgets import DatePicker, DateTimePicker

if TYPE_CHECKING:
    from bot.kinds.base import FormView, Reader, Slot
    from bot.kinds.widgets import Widget


class Date(Kind):
    name = "Date"
    settings = frozenset({"date_type"})
    date_types = ("day", "hour")

    def inputs(self, form: FormView, slot: Slot) -> list[Widget]:
        """A datetimepicker takes no placeholder, so the template's goes below it as a hint."""
        answer = form.answer(slot)
        if hourly(slot.control):
            return [DateTimePicker(slot, hint=slot.control.placeholder, initial=initial_moment(answer))]
        return [DatePicker(slot, placeholder=slot.control.placeholder, initial=initial_day(answer))]

    def read(self, reader: Reader, slot: Slot) -> int | None:
        if hourly(slot.control):
            return reader.moment(slot.block_id())
        day = reader.day(slot.block_id())
        return None if day is None else day_start(day)

    def display(self, control: Control, answer: Answer, say: Say) -> str:
        return moment_text(answer) if isinstance(answer, int) else plain_display(control, answer)


KIND = Date()
