"""Attendance: its begin and end, whose answer is a DateSpan."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.forms import DateSpan
from bot.kinds.base import Slot

if TYPE_CHECKING:
    from handlers.kinds.base import Form


def blocks(form: Form, slot: Slot) -> list[dict]:
    answer = form.answer(slot)
    return form.ends(slot, answer if isinstance(answer, DateSpan) else None)
