"""Failed deliveries: what Slack refused for good, kept for admins (no message text is kept)."""

from __future__ import annotations

from itertools import islice
from typing import Any

from tinydb import TinyDB

from bot.store.ports import failure_record
from bot.store.tinydb.tables import Keyed, Repository

FAILURE_LIMIT = 500  # failed deliveries kept for admins: the latest ones say what is wrong now


class TinyDBFailures(Repository):
    def load(self, db: TinyDB) -> None:
        self._failures = Keyed(db.table("failed_deliveries"), "id")

    def record(self, item: dict[str, Any], reason: str, at: float) -> None:
        """Remember that `item` ended without reaching Slack. Bounded to FAILURE_LIMIT, oldest out."""
        with self._lock:
            self._failures.put(failure_record(item, reason, at))
            excess = len(self._failures) - FAILURE_LIMIT
            if excess > 0:
                self._failures.remove(list(islice(self._failures.index, excess)))  # the oldest

    def latest(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Recorded failures, newest first."""
        with self._lock:
            newest_first = sorted(self._failures.all(), key=lambda d: d["at"], reverse=True)
            return newest_first[:limit] if limit is not None else newest_first

    def count(self) -> int:
        with self._lock:
            return len(self._failures)
