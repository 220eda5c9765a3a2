"""Number: a plain decimal in a number input, normalized ("007.50" -> "7.5")."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from bot.kinds.base import Kind, is_number
from bot.kinds.widgets import NumberInput

if TYPE_CHECKING:
    from bot.kinds.base import FormView, Reader, Slot
    from bot.kinds.widgets import Widget


def number_input(form: FormView, slot: Slot) -> list[Widget]:
    """A decimal number input, starting from the answer given when it is a number."""
    answer = form.answer(slot)
    initial = answer if isinstance(answer, str) and is_number(answer) else ""
    return [NumberInput(slot, placeholder=slot.control.placeholder, initial=initial)]


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

    def inputs(self, form: FormView, slot: Slot) -> list[Widget]:
        return number_input(form, slot)

    def read(self, reader: Reader, slot: Slot) -> str | None:
        return read_number(reader, slot)


KIND = Number()
