"""Template policies admins changed from Slack (`/approval-admin policy`), which win over the config."""

from __future__ import annotations

from typing import Any

from tinydb import TinyDB

from bot.store.tinydb.tables import Keyed, Repository


class TinyDBPolicyOverrides(Repository):
    def load(self, db: TinyDB) -> None:
        self._overrides = Keyed(db.table("policy_overrides"), "template")

    def all(self) -> list[dict[str, Any]]:
        with self._lock:
            return self._overrides.all()

    def put(self, doc: dict[str, Any]) -> None:
        with self._lock:
            self._overrides.put(doc)
