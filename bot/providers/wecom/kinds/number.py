"""Number (附2): a decimal, sent as a string."""

from __future__ import annotations

from typing import Any

from bot.forms import Control
from bot.providers.wecom.kinds.base import (
    Fill,
    Json,
    Lookups,
    Piece,
    Render,
    SummaryLookups,
    WeComKind,
    scalar,
    string,
)


class Number(WeComKind):
    name = "Number"

    def value(self, control: Control, answer: Any, lookups: Lookups, fill: Fill) -> dict[str, Any]:
        return {"new_number": string(control, answer)}

    def summary(self, control: Control, answer: Any, lookups: SummaryLookups) -> list[Piece]:
        return [answer]

    def show(self, value: Json, render: Render) -> str:
        return scalar(value.get("new_number"))


KIND = Number()
