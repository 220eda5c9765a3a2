"""Table (明细): rows of the controls in `children`, answered as one dict of answers per row kept.

In the modal: a heading, its rows, and buttons to add a row (while one more fits) and remove the last."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from bot.forms import Answer, Control, Option
from bot.kinds.base import Check, Kind, Say, row_count
from bot.kinds.widgets import Heading, Note, RowButtons

if TYPE_CHECKING:
    from bot.kinds.base import FormView, Reader, Slot
    from bot.kinds.widgets import Widget


class Table(Kind):
    name = "Table"
    fillable = False  # it holds inputs rather than being one, and no table goes inside another
    settings = frozenset({"children"})

    def inputs(self, form: FormView, slot: Slot) -> list[Widget]:
        """Each widget is one block, so another row fits when the widgets of one row fit in what is spare."""
        table = slot.control
        count = row_count(form.rows, table.id)
        widgets: list[Widget] = [Heading(slot)]
        for row in range(count):
            widgets += form.row(table, row)
        add, remove = len(form.row(table, 0)) <= form.spare, count > 1
        if add or remove:
            widgets.append(RowButtons(slot, add=add, remove=remove))
        else:
            widgets.append(Note(form.say("form.table_full", limit=form.max_blocks), aside=True))
        return widgets

    def read_top(self, reader: Reader, control: Control, rows: Mapping[str, int]) -> Answer | None:
        return reader.table(control, row_count(rows, control.id))

    def problem(
        self, control: Control, departments: Sequence[Option] | None, *, nested: bool, check: Check
    ) -> str:
        if nested:
            return "unsupported"
        columns = [c for c in control.children if c.kind != "Tips"]
        return "" if any(not check(c, departments, nested=True) for c in columns) else "no_columns"

    def display(self, control: Control, answer: Answer, say: Say) -> str:
        return " | ".join(
            "; ".join(say(child, row[child.id]) for child in control.children if child.id in row)
            for row in answer  # type: ignore[attr-defined]
        )


KIND = Table()
