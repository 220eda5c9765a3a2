"""Vacation: the leave type, then the span; the answer is (type key, DateSpan)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.form_reader import TYPE
from bot.forms import DateSpan
from bot.kinds.base import Slot
from handlers.kinds.base import strings

if TYPE_CHECKING:
    from handlers.kinds.base import Form


def blocks(form: Form, slot: Slot) -> list[dict]:
    answer = form.answer(slot)
    key, span = answer if isinstance(answer, tuple) and len(answer) == 2 else ("", None)
    kind = form.select(slot, slot.control.options, strings((key,)), part=TYPE, label=form.say("form.type"))
    return [kind, *form.ends(slot, span if isinstance(span, DateSpan) else None)]
