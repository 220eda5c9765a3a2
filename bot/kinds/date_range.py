"""DateRange (时长): a span of half days or hours, answered as a DateSpan."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.forms import DateSpan
from bot.kinds.base import BEGIN, Kind, read_span, span_inputs

if TYPE_CHECKING:
    from bot.kinds.base import FormView, Reader, Slot
    from bot.kinds.widgets import Widget


class DateRange(Kind):
    name = "DateRange"
    first_part = BEGIN
    settings = frozenset({"date_type"})
    date_types = ("halfday", "hour")

    def inputs(self, form: FormView, slot: Slot) -> list[Widget]:
        return span_inputs(form, slot, form.answer(slot))

    def read(self, reader: Reader, slot: Slot) -> DateSpan | None:
        return read_span(reader, slot)


KIND = DateRange()
