"""Approvals: open ones in the hot file, finalized ones in the archive's bounded chunks."""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.table import Document

from bot.store.tinydb.atomic_file import AtomicJSONStorage
from bot.store.tinydb.tables import Keyed, Repository, open_db

ARCHIVE_CHUNK = 1000
OPEN_CHUNKS = 4  # full chunks kept loaded for reads beside the one being filled, least recently used out

_ChunkIdentity = list[int]  # inode, size, mtime_ns: a chunk rewritten since its keys file was made differs


class Archive:
    """Finalized approvals in bounded TinyDB chunks, indexed in memory by key.

    Why the keys files: reading every chunk at open to index its keys made `serve` take 17 s and 625 MB
    at 100,000 approvals. Beside each full chunk lies ``keys-<n>.json`` (key -> doc id, and the identity
    of the chunk file it was taken from), written whenever that chunk is written; at open only those and
    the chunk being filled are read. A keys file that is missing or does not match its chunk (a crash
    between the two writes, a chunk restored from a backup) is rebuilt from the chunk. Full chunks are
    loaded when read, at most OPEN_CHUNKS at a time.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._index: dict[str, tuple[int, int]] = {}  # key -> (chunk number, doc id)
        self._open: OrderedDict[int, TinyDB] = OrderedDict()  # least recently used first
        self._sizes: dict[int, int] = {}
        numbers = sorted(int(chunk.stem.split("-")[1]) for chunk in directory.glob("chunk-*.json"))
        self._last = max(numbers, default=1)  # the chunk being filled
        for number in numbers:
            keys = self._stored_keys(number) if number != self._last else None
            if keys is None:
                keys = self._keys_in_chunk(number)
                if number != self._last:
                    self._write_keys(number, keys)
                    self._close(number)
            self._sizes[number] = len(keys)
            self._index.update((key, (number, doc_id)) for key, doc_id in keys.items())

    def _chunk_path(self, number: int) -> Path:
        return self.directory / f"chunk-{number:06d}.json"

    def _keys_path(self, number: int) -> Path:
        return self.directory / f"keys-{number:06d}.json"

    def _identity(self, number: int) -> _ChunkIdentity:
        st = os.stat(self._chunk_path(number))
        return [st.st_ino, st.st_size, st.st_mtime_ns]

    def _stored_keys(self, number: int) -> dict[str, int] | None:
        """The chunk's keys from its keys file, or None when that is missing, unreadable or stale."""
        try:
            stored = json.loads(self._keys_path(number).read_bytes())
        except (FileNotFoundError, ValueError):
            return None
        if not isinstance(stored, dict) or stored.get("chunk") != self._identity(number):
            return None
        keys = stored.get("keys")
        return keys if isinstance(keys, dict) else None

    def _keys_in_chunk(self, number: int) -> dict[str, int]:
        return {doc["key"]: doc.doc_id for doc in self._chunk(number).table("approvals").all()}

    def _write_keys(self, number: int, keys: dict[str, int]) -> None:
        AtomicJSONStorage(self._keys_path(number)).write({"chunk": self._identity(number), "keys": keys})

    def _chunk(self, number: int) -> TinyDB:
        db = self._open.get(number)
        if db is None:
            db = self._open[number] = open_db(self._chunk_path(number))
        self._open.move_to_end(number)
        full = [n for n in self._open if n != self._last]
        for evicted in full[: max(0, len(full) - OPEN_CHUNKS)]:
            self._close(evicted)
        return db

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
        number = self._last
        if self._sizes.get(number, 0) >= ARCHIVE_CHUNK:
            self._last = number + 1  # the full one keeps the keys file written below
            self._write_keys(number, self._keys_in_chunk(number))
            number = self._last
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
        """Write a changed chunk, and the keys file of a full one (it must match the chunk just written)."""
        self._chunk(number).storage.flush()
        if number != self._last:
            self._write_keys(number, self._keys_in_chunk(number))

    def keys(self) -> list[str]:
        return list(self._index)

    def newest(self) -> list[dict[str, Any]]:
        """The documents of the chunk being filled: the latest finalized approvals."""
        if not self._sizes:
            return []
        return [dict(doc) for doc in self._chunk(self._last).table("approvals").all()]

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
        hot = self._hot.all()
        self._final = {d["key"] for d in hot if d.get("final")}
        # person -> keys of the open approvals they filed or that wait on them: App Home reads it on
        # every refresh, and a scan of the hot table each time cost the delivery worker a quarter of its
        # time under load (issue 12)
        self._involved: dict[str, set[str]] = {}
        for doc in hot:
            self._index_people(doc["key"], involved(doc), set())

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            return self._hot.get(key) or self.archive.get(key)

    def put(self, doc: dict[str, Any]) -> None:
        """Insert or replace by doc['key']; finalized ones move to the archive at commit."""
        with self._lock:
            before = self._hot.get(doc["key"])
            self._index_people(doc["key"], involved(doc), involved(before) if before else set())
            self._hot.put(doc)
            if doc.get("final"):
                self._final.add(doc["key"])
            else:
                self._final.discard(doc["key"])

    def replace(self, doc: dict[str, Any]) -> None:
        """Rewrite a stored document where it is (hot table or archive), its finality unchanged."""
        with self._lock:
            if doc["key"] in self._hot:
                self.put(doc)
            else:
                self.archive.put(doc)

    def open(self) -> list[dict[str, Any]]:
        with self._lock:
            return self._hot.all()

    def involving(self, person: str) -> list[dict[str, Any]]:
        """The open approvals and the most recently finalized ones (the newest archive chunk) that
        `person` filed or that wait on them."""
        with self._lock:
            hot = [self._hot.get(key) for key in self._involved.get(person, ())]
            return [*filter(None, hot), *(d for d in self.archive.newest() if person in involved(d))]

    def _index_people(self, key: str, now: set[str], before: set[str]) -> None:
        for person in before - now:
            keys = self._involved.get(person, set())
            keys.discard(key)
            if not keys:
                self._involved.pop(person, None)
        for person in now - before:
            self._involved.setdefault(person, set()).add(key)

    def archive_final(self, queued_for: Callable[[str], int]) -> None:
        """Move approvals that are final and have nothing left to deliver out of the hot table.

        The archive is written first: a crash in between leaves a copy in both, never in neither.
        """
        movable = [key for key in self._final if not queued_for(key)]
        for key in movable:
            doc = self._hot.get(key)
            if doc is not None:
                self.archive.put(doc)
                self._index_people(key, set(), involved(doc))
        self._hot.remove(movable)
        self._final.difference_update(movable)

    def close(self) -> None:
        self.archive.close()


def involved(doc: dict[str, Any]) -> set[str]:
    """The Slack users an approval document concerns on App Home: its applicant and who it waits on."""
    people = doc.get("slack", {})
    return {person for person in (people.get("applicant"), *people.get("waiting", ())) if person}
