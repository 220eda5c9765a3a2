"""Date: a day (its 00:00 in Asia/Shanghai), or a moment to the minute when the template says "hour"."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.forms import Answer, Control
from bot.kinds.base import Kind, Say, day_start, hourly, moment_text, plain_display

if TYPE_CHECKING:
    from bot.kinds.base import Reader, Slot


class Date(Kind):
    name = "Date"
    settings = frozenset({"date_type"})
    date_types = ("day", "hour")

    def read(self, reader: Reader, slot: Slot) -> int | None:
        if hourly(slot.control):
            return reader.moment(slot.block_id())
        day = reader.day(slot.block_id())
        return None if day is None else day_start(day)

    def display(self, control: Control, answer: Answer, say: Say) -> str:
        return moment_text(answer) if isinstance(answer, int) else plain_display(control, answer)


KIND = Date()
