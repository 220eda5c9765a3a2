"""Text: one line of text (WeCom's Text takes no line breaks), in a plain text input."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.kinds.base import Kind, strings
from bot.kinds.widgets import TextInput

if TYPE_CHECKING:
    from bot.kinds.base import FormView, Reader, Slot
    from bot.kinds.widgets import Widget


def text_input(form: FormView, slot: Slot, *, multiline: bool = False) -> list[Widget]:
    """A plain text input, starting from the answer given (a tuple of numbers joined by commas)."""
    answer = form.answer(slot)
    initial = ", ".join(strings(answer)) if isinstance(answer, tuple) else answer
    return [
        TextInput(
            slot,
            placeholder=slot.control.placeholder,
            initial=initial if isinstance(initial, str) else "",
            multiline=multiline,
        )
    ]


def read_text(reader: Reader, slot: Slot, *, one_line: bool = False) -> str | None:
    value = reader.string(slot.block_id())
    if one_line and ("\n" in value or "\r" in value):
        reader.fail(slot.block_id(), "form.newline")
        return None
    return value or None


class Text(Kind):
    name = "Text"

    def inputs(self, form: FormView, slot: Slot) -> list[Widget]:
        return text_input(form, slot)

    def read(self, reader: Reader, slot: Slot) -> str | None:
        return read_text(reader, slot, one_line=True)


KIND = Text()
