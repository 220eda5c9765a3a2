"""Table (附10): ``table.children[]`` are the controls of one row, shaped like top-level controls.

Each part works on the rows' controls the way the whole form does, so it calls back into the module that
handles the form (imported when called: those modules hold this registry).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.forms import Control
from bot.providers.wecom import codes
from bot.providers.wecom.kinds.base import Json, Lookups, WeComKind, localized


class Table(WeComKind):
    name = "Table"

    def configure(self, control: Control, config: Json) -> Control:
        from bot.providers.wecom.templates import parse_control

        rows = codes.as_obj(config.get("table")).get("children")
        return replace(control, children=tuple(parse_control(child) for child in codes.as_objs(rows)))

    def template_config(self, control: Control) -> dict[str, Any]:
        from bot.providers.wecom.render import template_control

        return {"table": {"children": [template_control(child) for child in control.children]}}

    def value(self, control: Control, answer: Any, lookups: Lookups) -> dict[str, Any]:
        from bot.providers.wecom.apply import contents

        return {"children": [{"list": contents(control.children, row, lookups)} for row in answer]}

    def files(self, control: Control, answer: Any) -> int:
        from bot.providers.wecom.apply import count_files

        return sum(count_files(control.children, row) for row in answer)

    def show(self, value: Json) -> str:
        """One line per row: "title: value; title: value"."""
        from bot.providers.wecom.detail import render

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
