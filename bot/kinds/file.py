"""File: attachments, at most 6 over the whole approval (WeCom's limit)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.forms import UploadedFile
from bot.kinds.base import MAX_FILES, Kind
from bot.kinds.widgets import FileInput

if TYPE_CHECKING:
    from bot.kinds.base import FormView, Reader, Slot
    from bot.kinds.widgets import Widget


class File(Kind):
    name = "File"

    def inputs(self, form: FormView, slot: Slot) -> list[Widget]:
        """Up to 6 files in the input; the approval-wide limit of 6 is for `read` to enforce. Files cannot
        be carried over from an earlier answer, so the hint says to attach them again."""
        lost = form.say("form.files_not_kept") if form.answer(slot) else ""
        hint = " ".join(filter(None, [slot.control.placeholder, lost]))
        return [FileInput(slot, hint=hint, max_files=MAX_FILES)]

    def read(self, reader: Reader, slot: Slot) -> tuple[UploadedFile, ...] | None:
        files = reader.uploads(slot.block_id())
        reader.files += len(files)
        if files and reader.files > MAX_FILES:
            reader.fail(slot.block_id(), "form.too_many_files", limit=MAX_FILES, count=reader.files)
        return files or None


KIND = File()
