"""Dedupe keys: the callbacks already taken, so a provider's retry is not applied twice."""

from __future__ import annotations

import time
from itertools import islice

from tinydb import TinyDB

from bot.store.tinydb.tables import Keyed, Repository

DEDUPE_LIMIT = 20_000


class TinyDBDedupe(Repository):
    def load(self, db: TinyDB) -> None:
        self._keys = Keyed(db.table("dedupe"), "key")

    def seen(self, dedupe_key: str) -> bool:
        with self._lock:
            return dedupe_key in self._keys

    def remember(self, dedupe_key: str) -> None:
        """Bounded: the oldest keys go first (retries come within minutes, not weeks)."""
        with self._lock:
            if dedupe_key in self._keys:
                return
            self._keys.put({"key": dedupe_key, "at": time.time()})
            excess = len(self._keys) - DEDUPE_LIMIT
            if excess > 0:
                self._keys.remove(list(islice(self._keys.index, excess)))  # the oldest, not a copy of all
