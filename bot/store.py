"""The bot's state on disk: TinyDB tables written atomically, plus a durable inbox.

Layout beside `store.path` (e.g. data/approvals.json):

- approvals.json          hot TinyDB: open approvals, outbox, dedupe keys, user cache, meta
- approvals.archive/      finalized approvals, TinyDB chunks of at most ARCHIVE_CHUNK documents
- approvals.inbox/        the journal of acknowledged callbacks (group-committed fsync)
- approvals.lock          held by the one process that writes

Why this shape (TinyDB rewrites a whole file per write): acknowledging a
callback only appends to the journal, so it costs the same at any store size;
the hot file holds only what is still moving, and each archive chunk is small,
so applying a change costs about the same with 100,000 approvals as with 1,000.
Writes are batched: callers change the in-memory tables and `commit()` writes
once. One lock serializes every writer thread in the process; the lock file
keeps a second process out.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.middlewares import CachingMiddleware
from tinydb.table import Document

from bot.journal import Journal
from bot.storage import AtomicJSONStorage

ARCHIVE_CHUNK = 1000
DEDUPE_LIMIT = 20_000
USER_CACHE_TTL = 24 * 3600


class StoreLockedError(RuntimeError):
    """Another process already writes to this store."""


def _open_db(path: Path) -> TinyDB:
    storage = CachingMiddleware(AtomicJSONStorage)
    storage.WRITE_CACHE_SIZE = 1 << 62  # only commit() writes
    return TinyDB(path, storage=storage)


class _Archive:
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
            self._open[number] = _open_db(self.directory / f"chunk-{number:06d}.json")
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

    def close(self) -> None:
        for number in list(self._open):
            self._close(number)


class Store:
    """Every read and write of the bot's state. Thread-safe; one writing process per store."""

    def __init__(self, path: Path, *, exclusive: bool = True) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._lock = threading.RLock()
        self._depth = 0  # nesting of transaction() in the thread holding the lock
        self._commit_wanted = True
        self._lock_file = self._acquire_process_lock(path) if exclusive else None
        self._db = _open_db(path)
        self._approvals = self._db.table("approvals")
        self._outbox = self._db.table("outbox")
        self._dedupe = self._db.table("dedupe")
        self._users = self._db.table("users")
        self._meta = self._db.table("meta")
        self._keys = {doc["key"]: doc.doc_id for doc in self._approvals.all()}
        self.archive = _Archive(self.sibling("archive"))
        self.inbox = Journal(self.sibling("inbox"))
        self._dedupe_keys = {doc["key"]: doc.doc_id for doc in self._dedupe.all()}

    def sibling(self, suffix: str) -> Path:
        return self.path.with_name(f"{self.path.stem}.{suffix}")

    @staticmethod
    def _acquire_process_lock(path: Path) -> Any:
        lock_path = path.with_name(f"{path.stem}.lock")
        handle = open(lock_path, "a+")  # noqa: SIM115 - held for the life of the store
        os.chmod(lock_path, 0o600)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise StoreLockedError(
                f"another approvals-bot process is using {path}; "
                "stop it first (or use a different store.path)"
            ) from None
        return handle

    @contextmanager
    def transaction(self, *, commit: bool = True) -> Iterator[Store]:
        """Group changes under the lock and write them once, atomically, when the outermost one ends.

        `commit=False` leaves the write to a later `commit()` (group commit): changes made inside
        are consistent with each other, so whichever commit writes them next writes a state the
        bot can restart from.
        """
        with self._lock:
            outermost = self._depth == 0
            if outermost:
                self._commit_wanted = commit
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
            if outermost and self._commit_wanted:
                self.commit()

    def commit(self) -> None:
        with self._lock:
            self._archive_final()
            self._db.storage.flush()

    def close(self) -> None:
        with self._lock:
            self.commit()
            self._db.close()
            self.archive.close()
            self.inbox.close()
            if self._lock_file is not None:
                self._lock_file.close()

    # approvals ---------------------------------------------------------------

    def get_approval(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            doc_id = self._keys.get(key)
            if doc_id is not None:
                doc = self._approvals.get(doc_id=doc_id)
                return dict(doc) if doc is not None else None
            return self.archive.get(key)

    def put_approval(self, doc: dict[str, Any]) -> None:
        """Insert or replace by doc['key']; finalized ones move to the archive at commit."""
        with self._lock:
            doc_id = self._keys.get(doc["key"])
            if doc_id is None:
                self._keys[doc["key"]] = self._approvals.insert(doc)
            else:
                self._approvals.upsert(Document(doc, doc_id=doc_id))

    def open_approvals(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(d) for d in self._approvals.all()]

    def _archive_final(self) -> None:
        """Move approvals that are final and have nothing left to deliver out of the hot table."""
        pending_keys = {item["approval_key"] for item in self._outbox.all()}
        final = [d for d in self._approvals.all() if d.get("final") and d["key"] not in pending_keys]
        for doc in final:
            self.archive.put(dict(doc))
        if final:
            self._approvals.remove(doc_ids=[d.doc_id for d in final])
            for doc in final:
                self._keys.pop(doc["key"], None)

    # dedupe ------------------------------------------------------------------

    def seen(self, dedupe_key: str) -> bool:
        with self._lock:
            return dedupe_key in self._dedupe_keys

    def remember(self, dedupe_key: str) -> None:
        """Bounded: the oldest keys go first (retries come within minutes, not weeks)."""
        with self._lock:
            if dedupe_key in self._dedupe_keys:
                return
            self._dedupe_keys[dedupe_key] = self._dedupe.insert({"key": dedupe_key, "at": time.time()})
            excess = len(self._dedupe_keys) - DEDUPE_LIMIT
            if excess > 0:
                oldest = list(self._dedupe_keys.items())[:excess]
                self._dedupe.remove(doc_ids=[doc_id for _, doc_id in oldest])
                for key, _ in oldest:
                    del self._dedupe_keys[key]

    # outbox ------------------------------------------------------------------

    def enqueue(self, item: dict[str, Any]) -> str:
        """Queue a Slack delivery. A queued update of the same card is replaced, not repeated."""
        with self._lock:
            card_key = item.get("card_key")
            if card_key:
                for existing in self._outbox.all():
                    if existing.get("card_key") == card_key and not existing.get("in_flight"):
                        merged = {**existing, **item, "id": existing["id"], "created": existing["created"]}
                        self._outbox.upsert(Document(merged, doc_id=existing.doc_id))
                        return existing["id"]
            item = {"id": uuid.uuid4().hex, "created": time.time(), "attempts": 0, "not_before": 0.0, **item}
            self._outbox.insert(item)
            return item["id"]

    def outbox_items(self) -> list[dict[str, Any]]:
        with self._lock:
            return sorted((dict(d) for d in self._outbox.all()), key=lambda d: d["created"])

    def update_outbox(self, item_id: str, **changes: Any) -> None:
        with self._lock:
            for doc in self._outbox.all():
                if doc["id"] == item_id:
                    self._outbox.update(changes, doc_ids=[doc.doc_id])
                    return

    def remove_outbox(self, item_id: str) -> dict[str, Any] | None:
        with self._lock:
            for doc in self._outbox.all():
                if doc["id"] == item_id:
                    self._outbox.remove(doc_ids=[doc.doc_id])
                    return dict(doc)
            return None

    # cards (Slack message ts per approval and recipient) -----------------------

    def card(self, approval_key: str, card_key: str) -> dict[str, Any] | None:
        with self._lock:
            doc = self.get_approval(approval_key)
            return (doc or {}).get("cards", {}).get(card_key)

    def set_card(self, approval_key: str, card_key: str, channel: str, ts: str) -> None:
        with self._lock:
            doc = self.get_approval(approval_key)
            if doc is None:
                return
            doc.setdefault("cards", {})[card_key] = {"channel": channel, "ts": ts}
            if approval_key in self._keys:
                self.put_approval(doc)
            else:
                self.archive.put(doc)

    # user cache ----------------------------------------------------------------

    def cached_user(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            for doc in self._users.search(_by_key(key)):
                if time.time() - doc.get("at", 0) < USER_CACHE_TTL:
                    return dict(doc)
            return None

    def cache_user(self, key: str, **values: Any) -> None:
        with self._lock:
            self._users.upsert({"key": key, "at": time.time(), **values}, _by_key(key))

    # meta ----------------------------------------------------------------------

    def meta(self, name: str, default: Any = None) -> Any:
        with self._lock:
            doc = self._meta.get(_by_key(name))
            return doc["value"] if doc else default

    def set_meta(self, name: str, value: Any) -> None:
        with self._lock:
            self._meta.upsert({"key": name, "value": value}, _by_key(name))


def _by_key(key: str) -> Any:
    from tinydb import Query

    return Query().key == key


def read_all_approvals(path: Path) -> Iterator[dict[str, Any]]:
    """Every approval on disk, read-only: safe while `serve` writes (files are replaced atomically)."""
    hot: dict[str, dict[str, Any]] = {}
    if path.exists() and path.stat().st_size:
        hot = {
            d["key"]: d for d in json.loads(path.read_text(encoding="utf-8")).get("approvals", {}).values()
        }
    archive_dir = path.with_name(f"{path.stem}.archive")
    for chunk in sorted(archive_dir.glob("chunk-*.json")) if archive_dir.exists() else ():
        text = chunk.read_text(encoding="utf-8")
        for doc in (json.loads(text).get("approvals", {}) if text else {}).values():
            if doc["key"] not in hot:
                yield doc
    yield from hot.values()
