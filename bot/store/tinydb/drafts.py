"""Drafts: forms being filled or filed from Slack."""

from __future__ import annotations

import time
from typing import Any

from tinydb import TinyDB

from bot.store.tinydb.tables import Keyed, Repository

DRAFT_TTL = 7 * 24 * 3600


class TinyDBDrafts(Repository):
    def load(self, db: TinyDB) -> None:
        self._drafts = Keyed(db.table("drafts"), "id")

    def get(self, draft_id: str) -> dict[str, Any] | None:
        with self._lock:
            return self._drafts.get(draft_id)

    def filed_as(self, number: str) -> dict[str, Any] | None:
        """The draft that was filed under `number` (drafts are few: they expire)."""
        with self._lock:
            return next((d for d in self._drafts.all() if d.get("number") == number), None)

    def put(self, draft: dict[str, Any]) -> None:
        """Drafts older than DRAFT_TTL are dropped as new ones come: abandoned modals leave no trace."""
        with self._lock:
            self._drafts.put(draft)
            cutoff = time.time() - DRAFT_TTL
            self._drafts.remove([d["id"] for d in self._drafts.all() if d["created"] < cutoff])
