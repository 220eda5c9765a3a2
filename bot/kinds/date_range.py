"""DateRange (时长): a span of half days or hours, answered as a DateSpan."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.forms import DateSpan
from bot.kinds.base import BEGIN, Kind, read_span

if TYPE_CHECKING:
    from bot.kinds.base import Reader, Slot


class DateRange(Kind):
    name = "DateRange"
    first_part = BEGIN
    settings = frozenset({"date_type"})
    date_types = ("halfday", "hour")

    def read(self, reader: Reader, slot: Slot) -> DateSpan | None:
        return read_span(reader, slot)


KIND = DateRange()
