"""Where a control sits in the approval form: the one address the modal and the submission reader share."""

from __future__ import annotations

from dataclasses import dataclass

from bot.forms import Control


@dataclass(frozen=True)
class Slot:
    """Where a control sits in the modal: at the top level, or in row `row` of the Table `table`."""

    control: Control
    table: str = ""
    row: int = 0

    def block_id(self, part: str = "") -> str:
        where = f"{self.table}/{self.row}/{self.control.id}" if self.table else self.control.id
        return f"form/{where}/{part}" if part else f"form/{where}"
