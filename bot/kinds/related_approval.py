"""RelatedApproval: approval numbers, typed in."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot.kinds.base import Kind
from bot.kinds.text import text_input

if TYPE_CHECKING:
    from bot.kinds.base import FormView, Reader, Slot
    from bot.kinds.widgets import Widget

_NUMBER_SEPARATORS = re.compile(r"[\s,，、;；]+")


class RelatedApproval(Kind):
    name = "RelatedApproval"

    def inputs(self, form: FormView, slot: Slot) -> list[Widget]:
        return text_input(form, slot)

    def read(self, reader: Reader, slot: Slot) -> tuple[str, ...] | None:
        """Approval numbers, however people separated them."""
        numbers = _NUMBER_SEPARATORS.split(reader.string(slot.block_id()))
        return tuple(dict.fromkeys(n for n in numbers if n)) or None


KIND = RelatedApproval()
