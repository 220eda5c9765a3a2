"""Absences: who is away, until when, and their delegate (a handful of records, one per person)."""

from __future__ import annotations

from typing import Any

from tinydb import TinyDB

from bot.store.tinydb.tables import Keyed, Repository


class TinyDBAbsences(Repository):
    def load(self, db: TinyDB) -> None:
        self._absences = Keyed(db.table("absences"), "user")

    def get(self, user: str) -> dict[str, Any] | None:
        with self._lock:
            return self._absences.get(user)

    def put(self, doc: dict[str, Any]) -> None:
        """Insert or replace by doc["user"]: setting away again replaces the earlier absence."""
        with self._lock:
            self._absences.put(doc)

    def remove(self, user: str) -> dict[str, Any] | None:
        with self._lock:
            doc = self._absences.get(user)
            self._absences.remove([user])
            return doc

    def all(self) -> list[dict[str, Any]]:
        with self._lock:
            return sorted(self._absences.all(), key=lambda doc: doc["user"])
