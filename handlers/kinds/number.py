"""Number: a decimal number input."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.form_reader import is_number
from bot.kinds.base import Slot
from handlers.kinds.base import placeholder

if TYPE_CHECKING:
    from handlers.kinds.base import Form


def number_input(form: Form, slot: Slot) -> list[dict]:
    element: dict[str, Any] = {
        "type": "number_input",
        "is_decimal_allowed": True,
        **placeholder(slot.control),
    }
    answer = form.answer(slot)
    if isinstance(answer, str) and is_number(answer):
        element["initial_value"] = answer
    return [form.input(slot, element)]


def blocks(form: Form, slot: Slot) -> list[dict]:
    return number_input(form, slot)
