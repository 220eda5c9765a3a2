"""Meta: named values of the bot itself (checkpoints, settings admins changed, secrets it made)."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from tinydb import TinyDB

from bot.store.tinydb.tables import Keyed, Repository


class TinyDBMeta(Repository):
    def __init__(self, lock: threading.RLock, transaction: Callable[[], AbstractContextManager[Any]]) -> None:
        super().__init__(lock)
        self._transaction = transaction

    def load(self, db: TinyDB) -> None:
        self._meta = Keyed(db.table("meta"), "key")

    def get(self, name: str, default: Any = None) -> Any:
        with self._lock:
            doc = self._meta.get(name)
            return doc["value"] if doc else default

    def set(self, name: str, value: Any) -> None:
        with self._lock:
            self._meta.put({"key": name, "value": value})

    def secret(self, name: str) -> bytes:
        """A random secret made once and kept in the store (e.g. to sign links when none is configured)."""
        with self._lock:
            value = self.get(f"secret:{name}")
            if value is None:
                value = secrets.token_hex(32)
                with self._transaction():
                    self.set(f"secret:{name}", value)
            return bytes.fromhex(value)
