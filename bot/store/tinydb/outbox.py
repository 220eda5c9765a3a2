"""The outbox: Slack deliveries waiting to go out, in order, at most one queued version per card."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from typing import Any

from tinydb import TinyDB

from bot.store.tinydb.tables import Keyed, Repository


class TinyDBOutbox(Repository):
    def load(self, db: TinyDB) -> None:
        self._items = Keyed(db.table("outbox"), "id")
        queued = sorted(self._items.all(), key=lambda d: d["created"])
        self._queued_for: Counter[str] = Counter(item["approval_key"] for item in queued)
        # card key -> the queued item a newer version of that card merges into (not one being sent)
        self._waiting_cards = {
            i["card_key"]: i["id"] for i in queued if i.get("card_key") and not i.get("in_flight")
        }

    def queued_for(self, approval_key: str) -> int:
        """How many deliveries of this approval are still queued (it stays hot until they are out)."""
        return self._queued_for[approval_key]

    def enqueue(self, item: dict[str, Any]) -> str:
        """Queue a Slack delivery. A queued update of the same card is replaced, not repeated."""
        with self._lock:
            waiting = self._waiting_cards.get(item.get("card_key") or "")
            if waiting is not None:
                existing = self._items.get(waiting)
                assert existing is not None
                self._items.put({**existing, **item, "id": existing["id"], "created": existing["created"]})
                return waiting
            item = {"id": uuid.uuid4().hex, "created": time.time(), "attempts": 0, "not_before": 0.0, **item}
            self._items.put(item)
            self._queued_for[item["approval_key"]] += 1
            if item.get("card_key"):
                self._waiting_cards[item["card_key"]] = item["id"]
            return item["id"]

    def items(self) -> list[dict[str, Any]]:
        with self._lock:
            return sorted(self._items.all(), key=lambda d: d["created"])

    def all(self) -> list[dict[str, Any]]:
        """Every queued item (one process delivers them all: the same as `items`)."""
        return self.items()

    def size(self) -> int:
        with self._lock:
            return len(self._items)

    def update(self, item_id: str, **changes: Any) -> None:
        """`in_flight=True` marks an item being sent: a newer version of its card is queued apart."""
        with self._lock:
            self._items.update(item_id, changes)
            item = self._items.get(item_id)
            if item is None or not item.get("card_key") or "in_flight" not in changes:
                return
            if changes["in_flight"]:
                self._forget_waiting(item)
            else:
                self._waiting_cards.setdefault(item["card_key"], item_id)

    def remove(self, item_id: str) -> dict[str, Any] | None:
        with self._lock:
            item = self._items.get(item_id)
            if item is not None:
                self._items.remove([item_id])
                self._queued_for[item["approval_key"]] -= 1
                self._forget_waiting(item)
            return item

    def _forget_waiting(self, item: dict[str, Any]) -> None:
        if self._waiting_cards.get(item.get("card_key") or "") == item["id"]:
            del self._waiting_cards[item["card_key"]]

    def hold(self, hold: dict[str, Any]) -> int:
        """Mark every queued item not held yet as held for `hold` (why, e.g. {"reason": "invalid_auth"}).

        Held items stay queued across restarts; they wait for `release_held`, not for a retry time.
        """
        with self._lock:
            waiting = [item["id"] for item in self._items.all() if not item.get("held")]
            for item_id in waiting:
                self._items.update(item_id, {"held": hold})
            return len(waiting)

    def release_held(self) -> int:
        """Clear every hold mark (they go out in their original order); returns how many there were."""
        with self._lock:
            held = [item["id"] for item in self._items.all() if item.get("held")]
            for item_id in held:
                self._items.update(item_id, {"held": None, "not_before": 0.0})
            return len(held)

    def held(self) -> list[dict[str, Any]]:
        """The held items, oldest first."""
        with self._lock:
            return [item for item in self.items() if item.get("held")]
