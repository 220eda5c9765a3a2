"""Money (附3): an amount, sent as a string, shown with two decimals."""

from __future__ import annotations

import re
from decimal import Decimal
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

_PLAIN_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")  # no exponent, NaN or Infinity to blow up a format


class Money(WeComKind):
    name = "Money"

    def value(self, control: Control, answer: Any, lookups: Lookups, fill: Fill) -> dict[str, Any]:
        return {"new_money": string(control, answer)}

    def summary(self, control: Control, answer: Any, lookups: SummaryLookups) -> list[Piece]:
        return [answer]

    def show(self, value: Json, render: Render) -> str:
        raw = scalar(value.get("new_money"))
        return f"{Decimal(raw):.2f}" if _PLAIN_DECIMAL.fullmatch(raw) else raw  # not a number: as sent


KIND = Money()
