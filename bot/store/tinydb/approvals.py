"""Approvals: open ones in the hot file, finalized ones in the archive's bounded chunks."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.table import Document

from bot.store.tinydb.tables import Keyed, Repository, open_db

ARCHIVE_CHUNK = 1000


class Archive:
    """Finalized approvals in bounded TinyDB chunks, indexed in memory by key."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._index: dict[str, tuple[int, int]] = {}  # key -> (chunk number, doc id)
        self._open: dict[int, TinyDB] = {}
        self._sizes: dict[int, int] = {}
        for chunk_file in sorted(directory.glob("chunk-*.json")):
            number = int(chunk_file.stem.split("-")[1])
            db = self._chunk(number)
            table = db.table("approvals")
            self._sizes[number] = len(table)
            for doc in table.all():
                self._index[doc["key"]] = (number, doc.doc_id)
            if number != self._last_chunk():
                self._close(number)

    def _last_chunk(self) -> int:
        return max(self._sizes, default=1)

    def _chunk(self, number: int) -> TinyDB:
        if number not in self._open:
            self._open[number] = open_db(self.directory / f"chunk-{number:06d}.json")
        return self._open[number]

    def _close(self, number: int) -> None:
        db = self._open.pop(number, None)
        if db is not None:
            db.close()

    def get(self, key: str) -> dict[str, Any] | None:
        where = self._index.get(key)
        if where is None:
            return None
        doc = self._chunk(where[0]).table("approvals").get(doc_id=where[1])
        return dict(doc) if doc is not None else None

    def put(self, doc: dict[str, Any]) -> None:
        where = self._index.get(doc["key"])
        if where is not None:
            self._chunk(where[0]).table("approvals").upsert(Document(doc, doc_id=where[1]))
            self._flush(where[0])
            return
        number = self._last_chunk()
        if self._sizes.get(number, 0) >= ARCHIVE_CHUNK:
            self._close(number)
            number += 1
        doc_id = self._chunk(number).table("approvals").insert(doc)
        self._sizes[number] = self._sizes.get(number, 0) + 1
        self._index[doc["key"]] = (number, doc_id)
        self._flush(number)

    def remove(self, key: str) -> None:
        where = self._index.pop(key, None)
        if where is not None:
            self._chunk(where[0]).table("approvals").remove(doc_ids=[where[1]])
            self._flush(where[0])

    def _flush(self, number: int) -> None:
        self._chunk(number).storage.flush()
        if number != self._last_chunk():
            self._close(number)

    def keys(self) -> list[str]:
        return list(self._index)

    def newest(self) -> list[dict[str, Any]]:
        """The documents of the chunk being filled: the latest finalized approvals."""
        if not self._sizes:
            return []
        return [dict(doc) for doc in self._chunk(self._last_chunk()).table("approvals").all()]

    def close(self) -> None:
        for number in list(self._open):
            self._close(number)


class TinyDBApprovals(Repository):
    """Approval documents by key: the hot table while open, the archive once final and delivered."""

    def __init__(self, lock: threading.RLock, archive_dir: Path) -> None:
        super().__init__(lock)
        self.archive = Archive(archive_dir)

    def load(self, db: TinyDB) -> None:
        self._hot = Keyed(db.table("approvals"), "key")
        self._final = {d["key"] for d in self._hot.all() if d.get("final")}

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            return self._hot.get(key) or self.archive.get(key)

    def put(self, doc: dict[str, Any]) -> None:
        """Insert or replace by doc['key']; finalized ones move to the archive at commit."""
        with self._lock:
            self._hot.put(doc)
            if doc.get("final"):
                self._final.add(doc["key"])
            else:
                self._final.discard(doc["key"])

    def replace(self, doc: dict[str, Any]) -> None:
        """Rewrite a stored document where it is (hot table or archive), its finality unchanged."""
        with self._lock:
            if doc["key"] in self._hot:
                self._hot.put(doc)
            else:
                self.archive.put(doc)

    def open(self) -> list[dict[str, Any]]:
        with self._lock:
            return self._hot.all()

    def recent(self) -> list[dict[str, Any]]:
        """Open approvals and the most recently finalized ones (the newest archive chunk)."""
        with self._lock:
            return [*self._hot.all(), *self.archive.newest()]

    def archive_final(self, queued_for: Callable[[str], int]) -> None:
        """Move approvals that are final and have nothing left to deliver out of the hot table.

        The archive is written first: a crash in between leaves a copy in both, never in neither.
        """
        movable = [key for key in self._final if not queued_for(key)]
        for key in movable:
            doc = self._hot.get(key)
            if doc is not None:
                self.archive.put(doc)
        self._hot.remove(movable)
        self._final.difference_update(movable)

    def close(self) -> None:
        self.archive.close()
