"""Link uses: approve links already used (each works once); expired ones are forgotten."""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from tinydb import TinyDB

from bot.store.tinydb.tables import Keyed, Repository


class TinyDBLinkUses(Repository):
    def __init__(self, lock: threading.RLock, transaction: Callable[[], AbstractContextManager[Any]]) -> None:
        super().__init__(lock)
        self._transaction = transaction

    def load(self, db: TinyDB) -> None:
        self._used = Keyed(db.table("used_links"), "id")

    def use(self, link_id: str, expires: int, now: float) -> bool:
        """Marks a link used, durably; False if it was used before. Expired ones are forgotten:
        they cannot be used anyway, so the table stays as small as the links still alive."""
        with self._transaction():
            self._used.remove([d["id"] for d in self._used.all() if d["expires"] < now])
            if link_id in self._used:
                return False
            self._used.put({"id": link_id, "expires": expires, "at": now})
            return True
