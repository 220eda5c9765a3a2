"""Textarea (附1): text of several lines."""

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
)
from bot.providers.wecom.kinds.text import text_value


class Textarea(WeComKind):
    name = "Textarea"

    def value(self, control: Control, answer: Any, lookups: Lookups, fill: Fill) -> dict[str, Any]:
        return text_value(control, answer)

    def summary(self, control: Control, answer: Any, lookups: SummaryLookups) -> list[Piece]:
        return [answer]

    def show(self, value: Json, render: Render) -> str:
        return scalar(value.get("text"))


KIND = Textarea()
