"""Contact: a users select, or a select over the departments the form is given."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.kinds.base import Slot
from handlers.kinds.base import placeholder, strings

if TYPE_CHECKING:
    from handlers.kinds.base import Form


def blocks(form: Form, slot: Slot) -> list[dict]:
    chosen = strings(form.answer(slot))
    if slot.control.contact_mode == "department":
        return [form.select(slot, form.departments, chosen)]
    element: dict[str, Any] = {
        "type": "multi_users_select" if slot.control.multi else "users_select",
        **placeholder(slot.control),
    }
    if chosen:
        element.update({"initial_users": list(chosen)} if slot.control.multi else {"initial_user": chosen[0]})
    return [form.input(slot, element)]
