"""Tracked templates: what admins added or removed from Slack (config entries are the defaults)."""

from __future__ import annotations

from typing import Any

from tinydb import TinyDB

from bot.store.tinydb.tables import Keyed, Repository


class TinyDBTemplates(Repository):
    def load(self, db: TinyDB) -> None:
        self._tracked = Keyed(db.table("tracked_templates"), "alias")

    def tracked(self) -> list[dict[str, Any]]:
        """Every alias admins tracked or untracked: {"alias", "provider", "template_id", "untracked", ...}."""
        with self._lock:
            return self._tracked.all()

    def put(self, doc: dict[str, Any]) -> None:
        """Insert or replace by doc["alias"]; `untracked=True` keeps a config alias out of the catalog."""
        with self._lock:
            self._tracked.put(doc)
