"""Selector: a static select over the template's options, multi when the template says so."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.kinds.base import Slot
from handlers.kinds.base import strings

if TYPE_CHECKING:
    from handlers.kinds.base import Form


def blocks(form: Form, slot: Slot) -> list[dict]:
    return [form.select(slot, slot.control.options, strings(form.answer(slot)))]
