"""Textarea: text of several lines."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.kinds.base import Kind
from bot.kinds.text import read_text

if TYPE_CHECKING:
    from bot.kinds.base import Reader, Slot


class Textarea(Kind):
    name = "Textarea"

    def read(self, reader: Reader, slot: Slot) -> str | None:
        return read_text(reader, slot)


KIND = Textarea()
