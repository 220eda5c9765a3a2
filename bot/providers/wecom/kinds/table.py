"""Table (附10): ``table.children[]`` are the controls of one row, shaped like top-level controls.

Each part works on the rows' controls the way the whole form does, with the form-level operation it is
handed (so this module imports none of the modules that hold the registry).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.forms import Control
from bot.providers.wecom import codes
from bot.providers.wecom.kinds.base import (
    Count,
    Fill,
    Json,
    Lookups,
    Parse,
    Render,
    WeComKind,
    Write,
    localized,
)


class Table(WeComKind):
    name = "Table"

    def configure(self, control: Control, config: Json, parse: Parse) -> Control:
        rows = codes.as_obj(config.get("table")).get("children")
        return replace(control, children=tuple(parse(child) for child in codes.as_objs(rows)))

    def template_config(self, control: Control, write: Write) -> dict[str, Any]:
        return {"table": {"children": [write(child) for child in control.children]}}

    def value(self, control: Control, answer: Any, lookups: Lookups, fill: Fill) -> dict[str, Any]:
        return {"children": [{"list": fill(control.children, row, lookups)} for row in answer]}

    def files(self, control: Control, answer: Any, count: Count) -> int:
        return sum(count(control.children, row) for row in answer)

    def show(self, value: Json, render: Render) -> str:
        """One line per row: "title: value; title: value"."""
        rows = (
            "; ".join(
                f"{localized(cell.get('title'))}: {render(cell)}"
                for cell in codes.as_objs(row.get("list"))
                if cell.get("control") != "Tips"
            )
            for row in codes.as_objs(value.get("children"))
        )
        return "\n".join(row for row in rows if row)


KIND = Table()
