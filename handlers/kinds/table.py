"""Table: a header, its rows, and buttons to add a row (while one more fits) and remove the last."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.form_reader import row_count
from bot.kinds.base import Slot
from handlers.cards import HEADER_LIMIT, context
from handlers.kinds.base import button, header, name

if TYPE_CHECKING:
    from handlers.kinds.base import Form

ACTION_TABLE_ADD = "form_table_add"
ACTION_TABLE_REMOVE = "form_table_remove"


def blocks(form: Form, slot: Slot) -> list[dict]:
    table = slot.control
    count = row_count(form.rows, table.id)
    found = [header(name(table), HEADER_LIMIT)]
    for row in range(count):
        found += form.row(table, row)
    buttons = []
    if len(form.row(table, 0)) <= form.spare:
        buttons.append(button(form.say("form.add_row"), ACTION_TABLE_ADD, table.id))
    if count > 1:
        buttons.append(button(form.say("form.remove_row"), ACTION_TABLE_REMOVE, table.id))
    found.append(
        {"type": "actions", "elements": buttons}
        if buttons
        else context(form.say("form.table_full", limit=form.max_blocks))
    )
    return found
