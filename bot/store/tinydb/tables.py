"""What every TinyDB repository stands on: the hot file opened for group commit, keyed tables."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.middlewares import CachingMiddleware
from tinydb.table import Document, Table

from bot.store.tinydb.atomic_file import AtomicJSONStorage


def open_db(path: Path) -> TinyDB:
    storage = CachingMiddleware(AtomicJSONStorage)
    storage.WRITE_CACHE_SIZE = 1 << 62  # only commit() writes
    return TinyDB(path, storage=storage)


class Keyed:
    """A TinyDB table with an in-memory index on one field: O(1) get, upsert and remove."""

    def __init__(self, table: Table, field: str) -> None:
        self.table = table
        self.field = field
        self.index: dict[str, int] = {doc[field]: doc.doc_id for doc in table.all()}

    def get(self, key: str) -> dict[str, Any] | None:
        doc_id = self.index.get(key)
        doc = self.table.get(doc_id=doc_id) if doc_id is not None else None
        return dict(doc) if doc is not None else None

    def put(self, doc: dict[str, Any]) -> None:
        doc_id = self.index.get(doc[self.field])
        if doc_id is None:
            self.index[doc[self.field]] = self.table.insert(doc)
        else:
            self.table.upsert(Document(doc, doc_id=doc_id))

    def update(self, key: str, changes: dict[str, Any]) -> None:
        doc_id = self.index.get(key)
        if doc_id is not None:
            self.table.update(changes, doc_ids=[doc_id])

    def remove(self, keys: Iterable[str]) -> None:
        doc_ids = [self.index.pop(key) for key in keys if key in self.index]
        if doc_ids:
            self.table.remove(doc_ids=doc_ids)

    def all(self) -> list[dict[str, Any]]:
        return [dict(doc) for doc in self.table.all()]

    def __contains__(self, key: str) -> bool:
        return key in self.index

    def __len__(self) -> int:
        return len(self.index)


class Repository(ABC):
    """One aggregate's tables in the hot file. Shares the database's lock; `load` (re)builds what it keeps
    in memory from the hot file, at open and after a rollback."""

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock

    @abstractmethod
    def load(self, db: TinyDB) -> None:
        """(Re)build this aggregate's tables and in-memory indexes from `db`."""
