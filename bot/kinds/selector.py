"""Selector: one or several of the template's options in a select, answered as their keys."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.forms import Control, Option
from bot.kinds.base import Check, Kind, options_problem, strings
from bot.kinds.widgets import Select

if TYPE_CHECKING:
    from bot.kinds.base import FormView, Reader, Slot
    from bot.kinds.widgets import Widget


class Selector(Kind):
    name = "Selector"
    settings = frozenset({"options", "multi"})

    def inputs(self, form: FormView, slot: Slot) -> list[Widget]:
        control = slot.control
        chosen = strings(form.answer(slot))
        return [
            Select(
                slot,
                placeholder=control.placeholder,
                options=control.options,
                chosen=chosen,
                multi=control.multi,
            )
        ]

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
