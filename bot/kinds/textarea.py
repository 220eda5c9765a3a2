"""Textarea: text of several lines, in a multi-line text input."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.kinds.base import Kind
from bot.kinds.text import read_text, text_input

if TYPE_CHECKING:
    from bot.kinds.base import FormView, Reader, Slot
    from bot.kinds.widgets import Widget


class Textarea(Kind):
    name = "Textarea"

    def inputs(self, form: FormView, slot: Slot) -> list[Widget]:
        return text_input(form, slot, multiline=True)

    def read(self, reader: Reader, slot: Slot) -> str | None:
        return read_text(reader, slot)


KIND = Textarea()
