"""Details wanted: approvals told from a callback alone, whose form data the detail reader still owes.

A table of the hot file, so an entry is written in the same commit as the snapshot that calls for it.
"""

from __future__ import annotations

import time
from typing import Any

from tinydb import TinyDB

from bot.store.tinydb.tables import Keyed, Repository


class TinyDBDetailsWanted(Repository):
    def load(self, db: TinyDB) -> None:
        self._wanted = Keyed(db.table("details_wanted"), "key")

    def want(self, approval_key: str) -> None:
        """Once per approval: an entry already waiting (or backing off) stays as it is."""
        with self._lock:
            if approval_key not in self._wanted:
                self._wanted.put(
                    {"key": approval_key, "since": time.time(), "not_before": 0.0, "attempts": 0}
                )

    def due(self, now: float, limit: int) -> list[dict[str, Any]]:
        """Up to `limit` entries whose time has come, oldest first."""
        with self._lock:
            ready = [doc for doc in self._wanted.all() if doc["not_before"] <= now]
            return sorted(ready, key=lambda doc: doc["since"])[:limit]

    def retry_at(self, approval_key: str, at: float, attempts: int) -> None:
        with self._lock:
            self._wanted.update(approval_key, {"not_before": at, "attempts": attempts})

    def done(self, approval_key: str) -> None:
        with self._lock:
            self._wanted.remove([approval_key])

    def has(self, approval_key: str) -> bool:
        with self._lock:
            return approval_key in self._wanted

    def size(self) -> int:
        with self._lock:
            return len(self._wanted)
