"""Attendance: a business trip, an outing or overtime, answered as a DateSpan."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.forms import DateSpan
from bot.kinds.base import BEGIN, Kind, read_span

if TYPE_CHECKING:
    from bot.kinds.base import Reader, Slot


class Attendance(Kind):
    name = "Attendance"
    first_part = BEGIN
    settings = frozenset({"date_type"})
    date_types = ("halfday", "hour")

    def read(self, reader: Reader, slot: Slot) -> DateSpan | None:
        return read_span(reader, slot)


KIND = Attendance()
