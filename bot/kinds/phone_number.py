"""PhoneNumber: digits, spaces and hyphens, maybe after a country code ("+86 138...")."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot.kinds.base import Kind
from bot.kinds.text import text_input

if TYPE_CHECKING:
    from bot.kinds.base import FormView, Reader, Slot
    from bot.kinds.widgets import Widget

# A country code leads with "+" and ends with a space or hyphen, as the WeCom request needs to tell it from
# the number.
_PHONE = re.compile(r"(\+[0-9]{1,3}[ -]+)?[0-9][0-9 -]*")
_PHONE_DIGITS = (5, 20)


class PhoneNumber(Kind):
    name = "PhoneNumber"

    def inputs(self, form: FormView, slot: Slot) -> list[Widget]:
        return text_input(form, slot)

    def read(self, reader: Reader, slot: Slot) -> str | None:
        value = reader.string(slot.block_id())
        digits = sum(c.isdigit() for c in value)
        if value and not (_PHONE.fullmatch(value) and _PHONE_DIGITS[0] <= digits <= _PHONE_DIGITS[1]):
            reader.fail(slot.block_id(), "form.phone")
            return None
        return value or None


KIND = PhoneNumber()
