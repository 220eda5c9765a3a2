"""RelatedApproval: approval numbers typed into a plain text input."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.kinds.base import Slot
from handlers.kinds.text import text_input

if TYPE_CHECKING:
    from handlers.kinds.base import Form


def blocks(form: Form, slot: Slot) -> list[dict]:
    return text_input(form, slot)
