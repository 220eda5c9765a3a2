"""Tips: fixed text from the template (or its title), shown and never filled in."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.forms import Control, Option
from bot.kinds.base import Check, Kind
from bot.kinds.widgets import Note

if TYPE_CHECKING:
    from bot.kinds.base import FormView, Slot
    from bot.kinds.widgets import Widget


class Tips(Kind):
    name = "Tips"
    fillable = False
    settings = frozenset({"text"})

    def inputs(self, form: FormView, slot: Slot) -> list[Widget]:
        text = (slot.control.text or slot.control.title).strip()
        return [Note(text)] if text else []

    def problem(
        self, control: Control, departments: Sequence[Option] | None, *, nested: bool, check: Check
    ) -> str:
        return ""  # nothing to fill in, so nothing stands in the way of showing it


KIND = Tips()
