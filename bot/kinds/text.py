"""Text: one line of text (WeCom's Text takes no line breaks)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.kinds.base import Kind

if TYPE_CHECKING:
    from bot.kinds.base import Reader, Slot


def read_text(reader: Reader, slot: Slot, *, one_line: bool = False) -> str | None:
    value = reader.string(slot.block_id())
    if one_line and ("\n" in value or "\r" in value):
        reader.fail(slot.block_id(), "form.newline")
        return None
    return value or None


class Text(Kind):
    name = "Text"

    def read(self, reader: Reader, slot: Slot) -> str | None:
        return read_text(reader, slot, one_line=True)


KIND = Text()
