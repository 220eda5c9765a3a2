"""Text (附1): one line of text."""

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


def text_value(control: Control, answer: Any) -> dict[str, Any]:
    return {"text": string(control, answer)}


class Text(WeComKind):
    name = "Text"

    def value(self, control: Control, answer: Any, lookups: Lookups, fill: Fill) -> dict[str, Any]:
        text = string(control, answer)
        if "\n" in text or "\r" in text:  # the reader refuses them; WeCom too (附1)
            raise ValueError(f"{control.title}: a one-line Text control cannot hold a line break")
        return {"text": text}

    def summary(self, control: Control, answer: Any, lookups: SummaryLookups) -> list[Piece]:
        return [answer]

    def show(self, value: Json, render: Render) -> str:
        return scalar(value.get("text"))


KIND = Text()
