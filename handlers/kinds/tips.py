"""Tips: the template's text, as a section."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.kinds.base import Slot
from handlers.cards import SECTION_LIMIT, section, user_text

if TYPE_CHECKING:
    from handlers.kinds.base import Form


def blocks(form: Form, slot: Slot) -> list[dict]:
    text = (slot.control.text or slot.control.title).strip()
    return [section(user_text(text, SECTION_LIMIT))] if text else []
