"""Text: a one-line plain text input."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.kinds.base import Slot
from handlers.kinds.base import placeholder, strings

if TYPE_CHECKING:
    from handlers.kinds.base import Form


def text_input(form: Form, slot: Slot, *, multiline: bool = False) -> list[dict]:
    """A plain text input, starting from the answer given (a tuple of numbers joined by commas)."""
    element: dict[str, Any] = {"type": "plain_text_input", **placeholder(slot.control)}
    if multiline:
        element["multiline"] = True
    answer = form.answer(slot)
    value = ", ".join(strings(answer)) if isinstance(answer, tuple) else answer
    if isinstance(value, str) and value:
        element["initial_value"] = value
    return [form.input(slot, element)]


def blocks(form: Form, slot: Slot) -> list[dict]:
    return text_input(form, slot)
