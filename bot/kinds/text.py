"""Text: one line of text (WeCom's Text takes no line breaks)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.kinds.base import Kind

if TYPE_CHECKING:
    from bot.form_reader import Slot, _Reader


def read_text(reader: _Reader, slot: Slot, *, one_line: bool = False) -> str | None:
    value = reader.string(slot.block_id())
    if one_line and ("\n" in value or "\r" in value):
        reader.fail(slot.block_id(), "form.newline")
        return None
    return value or None


class Text(Kind):
    name = "Text"

    def read(self, reader: _Reader, slot: Slot) -> str | None:
        return read_text(reader, slot, one_line=True)


KIND = Text()
