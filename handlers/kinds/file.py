"""File: a file input of up to 6 files; the approval-wide limit of 6 is the reader's to enforce."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.form_reader import MAX_FILES
from bot.kinds.base import Slot
from handlers.cards import one_line

if TYPE_CHECKING:
    from handlers.kinds.base import Form


def blocks(form: Form, slot: Slot) -> list[dict]:
    hints = [
        one_line(slot.control.placeholder),
        form.say("form.files_not_kept") if form.answer(slot) else "",
    ]
    element = {"type": "file_input", "max_files": MAX_FILES}
    return [form.input(slot, element, hint=" ".join(filter(None, hints)))]
