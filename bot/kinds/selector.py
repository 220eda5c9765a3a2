"""Selector: one or several of the template's options, answered as their keys."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.forms import Control, Option
from bot.kinds.base import Check, Kind, options_problem

if TYPE_CHECKING:
    from bot.kinds.base import Reader, Slot


class Selector(Kind):
    name = "Selector"
    settings = frozenset({"options", "multi"})

    def read(self, reader: Reader, slot: Slot) -> tuple[str, ...] | None:
        keys = reader.one_or_many(slot, reader.choices(slot.block_id()))
        if any(key not in {o.key for o in slot.control.options} for key in keys):
            reader.fail(slot.block_id(), "form.unknown_option")
            return None
        return keys or None

    def problem(
        self, control: Control, departments: Sequence[Option] | None, *, nested: bool, check: Check
    ) -> str:
        return options_problem(control.options)


KIND = Selector()
