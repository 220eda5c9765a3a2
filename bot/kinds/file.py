"""File: attachments, at most 6 over the whole approval (WeCom's limit)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.forms import UploadedFile
from bot.kinds.base import MAX_FILES, Kind

if TYPE_CHECKING:
    from bot.kinds.base import Reader, Slot


class File(Kind):
    name = "File"

    def read(self, reader: Reader, slot: Slot) -> tuple[UploadedFile, ...] | None:
        files = reader.uploads(slot.block_id())
        reader.files += len(files)
        if files and reader.files > MAX_FILES:
            reader.fail(slot.block_id(), "form.too_many_files", limit=MAX_FILES, count=reader.files)
        return files or None


KIND = File()
