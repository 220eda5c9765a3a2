"""Contact: people from a users select (Slack user ids, mapped to the provider's later), or departments from
a select over those the form offers (their keys)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.forms import Answer, Control, Option
from bot.kinds.base import Check, Kind, Say, options_problem, plain_display, strings
from bot.kinds.widgets import Select, UserSelect

if TYPE_CHECKING:
    from bot.kinds.base import FormView, Reader, Slot
    from bot.kinds.widgets import Widget


def by_department(control: Control) -> bool:
    return control.contact_mode == "department"


class Contact(Kind):
    name = "Contact"
    settings = frozenset({"multi", "contact_mode"})

    def inputs(self, form: FormView, slot: Slot) -> list[Widget]:
        control = slot.control
        chosen = strings(form.answer(slot))
        if by_department(control):
            departments = tuple(form.departments)
            return [
                Select(
                    slot,
                    placeholder=control.placeholder,
                    options=departments,
                    chosen=chosen,
                    multi=control.multi,
                )
            ]
        return [UserSelect(slot, placeholder=control.placeholder, chosen=chosen, multi=control.multi)]

    def read(self, reader: Reader, slot: Slot) -> tuple[str, ...] | None:
        block_id = slot.block_id()
        chosen = reader.choices(block_id) if by_department(slot.control) else reader.users(block_id)
        return reader.one_or_many(slot, chosen) or None

    def problem(
        self, control: Control, departments: Sequence[Option] | None, *, nested: bool, check: Check
    ) -> str:
        """A department Contact needs departments to pick from, which only the modal knows."""
        if by_department(control) and departments is not None and options_problem(departments):
            return "no_departments"
        return ""

    def display(self, control: Control, answer: Answer, say: Say) -> str:
        if control.contact_mode == "user" and isinstance(answer, tuple):
            return ", ".join(f"<@{user}>" for user in answer)
        return plain_display(control, answer)


KIND = Contact()
