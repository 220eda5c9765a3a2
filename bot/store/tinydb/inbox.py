"""The TinyDB store's `Inbox`: the journal, and the checkpoint in meta saying how far it is applied.

One process applies the journal in order, so a checkpoint is all it needs: the last applied sequence
number, stored with the effects it produced (a crash replays what comes after it).
"""

from __future__ import annotations

from itertools import islice
from pathlib import Path
from typing import Any

from bot.store.ports import INBOX_CHECKPOINT, Meta
from bot.store.tinydb.journal import Journal


class JournalInbox(Journal):
    def __init__(self, directory: Path, meta: Meta) -> None:
        super().__init__(directory)
        self._meta = meta

    def append(self, record: dict[str, Any], key: str = "") -> int:
        """Durably journal `record`; `key` is not needed: one process applies in journal order."""
        return super().append(record)

    def pending(self, limit: int) -> list[tuple[int, dict[str, Any]]]:
        return list(islice(self.read_after(self.checkpoint()), limit))

    def applied(self, seq: int) -> None:
        self._meta.set(INBOX_CHECKPOINT, seq)

    def discard_applied(self) -> None:
        self.discard_through(self.checkpoint())

    def checkpoint(self) -> int:
        return int(self._meta.get(INBOX_CHECKPOINT, 0))
