"""Cards: the Slack message (channel, ts) of each approval per recipient, kept on the approval."""

from __future__ import annotations

import threading
from typing import Any

from tinydb import TinyDB

from bot.store.tinydb.approvals import TinyDBApprovals
from bot.store.tinydb.tables import Repository


class TinyDBCards(Repository):
    def __init__(self, lock: threading.RLock, approvals: TinyDBApprovals) -> None:
        super().__init__(lock)
        self._approvals = approvals

    def load(self, db: TinyDB) -> None:
        """Nothing of its own (cards live in the approval documents) but the index from a message to its
        card, over the open approvals: a thread reply names only its parent message."""
        self._by_message: dict[tuple[str, str], tuple[str, str]] = {
            (card["channel"], card["ts"]): (doc["key"], card_key)
            for doc in self._approvals.open()
            for card_key, card in doc.get("cards", {}).items()
        }

    def get(self, approval_key: str, card_key: str) -> dict[str, Any] | None:
        with self._lock:
            doc = self._approvals.get(approval_key)
            return (doc or {}).get("cards", {}).get(card_key)

    def set(self, approval_key: str, card_key: str, channel: str, ts: str) -> None:
        with self._lock:
            doc = self._approvals.get(approval_key)
            if doc is None:
                return
            doc.setdefault("cards", {})[card_key] = {"channel": channel, "ts": ts}
            self._approvals.replace(doc)
            self._by_message[(channel, ts)] = (approval_key, card_key)

    def find(self, channel: str, ts: str) -> tuple[str, str] | None:
        with self._lock:
            return self._by_message.get((channel, ts))
