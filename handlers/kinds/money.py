"""Money: a decimal number input (the reader allows two decimals)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.kinds.base import Slot
from handlers.kinds.number import number_input

if TYPE_CHECKING:
    from handlers.kinds.base import Form


def blocks(form: Form, slot: Slot) -> list[dict]:
    return number_input(form, slot)
