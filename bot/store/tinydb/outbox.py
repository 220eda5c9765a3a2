"""The outbox: Slack deliveries waiting to go out, in order, at most one queued version per card."""

from __future__ import annotations

import itertools
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
        # the held items' ids: /healthz counts them on every call, and a scan of a large outbox under the
        # store's lock held the inbox worker back (issue 12)
        self._held = {i["id"] for i in queued if i.get("held")}
        # ids: a random prefix for this load and a counter, unique like a uuid4 each but without a
        # system call per item (uuid4 was 7% of applying a callback)
        self._id_prefix = uuid.uuid4().hex[:16]
        self._next_id = itertools.count()

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
            item_id = f"{self._id_prefix}{next(self._next_id):016x}"
            item = {"id": item_id, "created": time.time(), "attempts": 0, "not_before": 0.0, **item}
            self._items.put(item)
            if item.get("held"):
                self._held.add(item["id"])
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
            if "held" in changes:
                (self._held.add if changes["held"] else self._held.discard)(item_id)
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
                self._held.discard(item_id)
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
            waiting = [item_id for item_id in self._items.index if item_id not in self._held]
            for item_id in waiting:
                self._items.update(item_id, {"held": hold})
            self._held.update(waiting)
            return len(waiting)

    def release_held(self) -> int:
        """Clear every hold mark (they go out in their original order); returns how many there were."""
        with self._lock:
            held, self._held = self._held, set()
            for item_id in held:
                self._items.update(item_id, {"held": None, "not_before": 0.0})
            return len(held)

    def held(self) -> list[dict[str, Any]]:
        """The held items, oldest first."""
        with self._lock:
            held = [item for item_id in self._held if (item := self._items.get(item_id)) is not None]
            return sorted(held, key=lambda d: d["created"])
