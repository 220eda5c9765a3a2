"""Tips: fixed text from the template, shown and never filled in."""

from __future__ import annotations

from collections.abc import Sequence

from bot.forms import Control, Option
from bot.kinds.base import Check, Kind


class Tips(Kind):
    name = "Tips"
    fillable = False
    settings = frozenset({"text"})

    def problem(
        self, control: Control, departments: Sequence[Option] | None, *, nested: bool, check: Check
    ) -> str:
        return ""  # nothing to fill in, so nothing stands in the way of showing it


KIND = Tips()
