"""Number: a plain decimal, normalized ("007.50" -> "7.5")."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from bot.kinds.base import Kind, is_number

if TYPE_CHECKING:
    from bot.kinds.base import Reader, Slot


def read_number(reader: Reader, slot: Slot) -> str | None:
    raw = reader.string(slot.block_id())
    if not raw:
        return None
    if not is_number(raw):
        reader.fail(slot.block_id(), "form.not_number")
        return None
    return _canonical(raw)


def _canonical(number: str) -> str:
    """A plain decimal without superfluous zeros or sign: "007.50" -> "7.5", "-0" -> "0"."""
    text = format(Decimal(number), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


class Number(Kind):
    name = "Number"

    def read(self, reader: Reader, slot: Slot) -> str | None:
        return read_number(reader, slot)


KIND = Number()
