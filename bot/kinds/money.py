"""Money: a number with at most two decimals, always written with two ("4839.00")."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.kinds.base import Kind
from bot.kinds.number import number_input, read_number

if TYPE_CHECKING:
    from bot.kinds.base import FormView, Reader, Slot
    from bot.kinds.widgets import Widget


class Money(Kind):
    name = "Money"

    def inputs(self, form: FormView, slot: Slot) -> list[Widget]:
        return number_input(form, slot)

    def read(self, reader: Reader, slot: Slot) -> str | None:
        canonical = read_number(reader, slot)
        if canonical is None:
            return None
        whole, _, cents = canonical.partition(".")
        if len(cents) > 2:
            reader.fail(slot.block_id(), "form.money_decimals")
            return None
        return f"{whole}.{cents:0<2}"


KIND = Money()
