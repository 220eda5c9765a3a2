"""Date: a datepicker, or a datetimepicker when the template asks for the hour."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.form_reader import hourly
from bot.kinds.base import Slot
from handlers.cards import one_line
from handlers.kinds.base import initial_day, initial_moment, placeholder

if TYPE_CHECKING:
    from handlers.kinds.base import Form


def blocks(form: Form, slot: Slot) -> list[dict]:
    answer = form.answer(slot)
    if hourly(slot.control):
        element = {"type": "datetimepicker", **initial_moment(answer)}
        return [form.input(slot, element, hint=one_line(slot.control.placeholder))]
    return [form.input(slot, {"type": "datepicker", **placeholder(slot.control), **initial_day(answer)})]
