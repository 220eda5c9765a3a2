"""The hot file as a snapshot plus an append-only change log, so a commit writes only what it changed.

Why: rewriting the whole hot file at every commit (json.dumps of every open approval, outbox item and
cached user, then two fsyncs) cost ~20 ms a change and held the GIL for all of it, so the threads
acknowledging callbacks queued behind it. Here a commit appends one line holding the documents the
transaction touched (their new value, or null when removed) and fsyncs it: one transaction across
tables is one record, atomic because only a complete line counts. Now and then (when the log has grown
past the snapshot's size, at open and at close) the whole state is written as the snapshot, atomically,
and a fresh empty log replaces the old one.

On disk beside ``approvals.json`` (the snapshot, TinyDB's JSON as before): ``approvals.changes``, one
JSON object a line: ``{"docs": {table: {doc_id: doc | null}}, "tables": {table: {...} | null}}``
("tables" replaces a whole table, for truncate and drop). Recovery = snapshot + every complete line in
order; a last line without its newline was never committed and is ignored. A record holds whole
documents, so replaying a log over a snapshot that already includes it (a crash between writing the
snapshot and replacing the log, or a reader racing a compaction) gives the same state.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Table

from bot.store.tinydb.atomic_file import AtomicJSONStorage, StoreCorruptError, fsync_dir, parse_tables

log = logging.getLogger(__name__)

Tables = dict[str, dict[str, Any]]

READ_ATTEMPTS = 5  # a reader beside serve reads again when a compaction replaced the log meanwhile
MIN_COMPACT_BYTES = 1 << 20  # a log smaller than this is never worth a whole snapshot


def change_log_path(path: Path) -> Path:
    """The change log beside the hot file `path` (approvals.json -> approvals.changes)."""
    return path.with_name(f"{path.stem}.changes")


def _apply(tables: Tables, record: Mapping[str, Any]) -> None:
    """One committed transaction, replayed onto `tables` in place."""
    for name, table in record.get("tables", {}).items():
        if table is None:
            tables.pop(name, None)
        else:
            tables[name] = table
    for name, docs in record.get("docs", {}).items():
        target = tables.setdefault(name, {})
        for doc_id, doc in docs.items():
            if doc is None:
                target.pop(doc_id, None)
            else:
                target[doc_id] = doc


def _replay(tables: Tables, raw: bytes, path: Path) -> int:
    """Apply every complete line of the log `raw`; returns how many bytes they take (a torn tail excluded)."""
    complete = raw.rfind(b"\n") + 1
    for lineno, line in enumerate(raw[:complete].split(b"\n")[:-1], start=1):
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise StoreCorruptError(path, f"line {lineno} is not JSON ({exc})") from exc
        if not isinstance(record, dict):
            raise StoreCorruptError(path, f"line {lineno} is not a change record")
        _apply(tables, record)
    return complete


def _read_log(log: Path) -> tuple[bytes, int] | None:
    """The log's bytes and inode (None when there is none)."""
    try:
        with open(log, "rb") as fh:
            return fh.read(), os.fstat(fh.fileno()).st_ino
    except FileNotFoundError:
        return None


def read_state(path: Path) -> Tables:
    """The committed state, read-only: safe beside the process that writes (nothing locked or repaired).

    The log's inode is noted before the snapshot is read and checked when the log is read: a compaction in
    between replaced the log, and the state is read again.
    """
    log = change_log_path(path)
    for _attempt in range(READ_ATTEMPTS):
        with contextlib.suppress(FileNotFoundError):
            before = os.stat(log).st_ino
        try:
            tables = parse_tables(path.read_bytes(), path) or {}
        except FileNotFoundError:
            tables = {}
        read = _read_log(log)
        if read is None:
            return tables
        raw, inode = read
        if inode == before:
            _replay(tables, raw, log)
            return tables
    raise StoreCorruptError(log, "it was replaced at every read; is more than one process writing?")


class LoggedStorage(Storage):
    """TinyDB storage for the hot file: the state lives in memory, `commit` appends the touched documents.

    `TrackedTable` reports which documents each operation touched; nothing reaches the disk until
    `commit` (one record, one fsync) or `compact` (the whole state as the snapshot, and an empty log).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__()
        self._path = Path(path)
        self._log = change_log_path(self._path)
        self._snapshot = AtomicJSONStorage(self._path)
        self._touched: dict[str, set[str] | None] = {}  # table -> doc ids (None: the whole table)
        self._data: Tables | None = None
        self._fd: int | None = None
        self._log_bytes = 0  # committed bytes in the log: where the next record goes
        self._snapshot_bytes = 0

    def read(self) -> Tables:
        if self._data is None:
            self._data = self._load()
        return self._data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        self._data = data  # every operation's result; the disk sees it at commit

    def _load(self) -> Tables:
        """Snapshot + log, as the last commit left them (a torn last line left out)."""
        tables = self._snapshot.read() or {}
        with contextlib.suppress(FileNotFoundError):
            self._snapshot_bytes = self._path.stat().st_size
        read = _read_log(self._log)
        self._log_bytes = _replay(tables, read[0], self._log) if read is not None else 0
        return tables  # a torn tail stays until the next append writes over it (a refused store is untouched)

    def reload(self) -> None:
        """Forget every uncommitted change: the state is read again from the disk at the next read."""
        self._data = None
        self._touched = {}

    def touch(self, table: str, doc_ids: Iterable[int]) -> None:
        ids = self._touched.setdefault(table, set())
        if ids is not None:
            ids.update(str(doc_id) for doc_id in doc_ids)

    def touch_table(self, table: str) -> None:
        self._touched[table] = None

    def commit(self) -> None:
        """Append what changed since the last commit as one record, fsync'd; compact when the log is large."""
        if not self._touched:
            return
        tables = self.read()
        docs: dict[str, dict[str, Any]] = {}
        whole: dict[str, Any] = {}
        for name, ids in self._touched.items():
            table = tables.get(name)
            if ids is None:
                whole[name] = table
            else:
                docs[name] = {doc_id: (table or {}).get(doc_id) for doc_id in ids}
        record = {"docs": docs, "tables": whole} if whole else {"docs": docs}
        self._append(json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n")
        self._touched = {}
        if self._log_bytes > max(MIN_COMPACT_BYTES, self._snapshot_bytes):
            try:
                self.compact()
            except OSError as exc:  # the record above is committed: the log just stays, tried again later
                log.warning("change log compaction failed: %s", exc)

    def _append(self, line: bytes) -> None:
        """Write and fsync `line` at the end of the committed log; on failure cut the log back to it."""
        if self._fd is None:
            created = not self._log.exists()
            self._fd = os.open(self._log, os.O_WRONLY | os.O_CREAT, 0o600)
            os.ftruncate(self._fd, self._log_bytes)  # a torn last line, never committed
            if created:
                fsync_dir(self._path.parent)
        try:
            view = memoryview(line)
            offset = self._log_bytes
            while view:
                written = os.pwrite(self._fd, view, offset)
                view, offset = view[written:], offset + written
            os.fsync(self._fd)
        except BaseException:
            # what reached the file is unknown: cut it back, so the next record follows a complete line
            os.ftruncate(self._fd, self._log_bytes)
            raise
        self._log_bytes += len(line)

    def compact(self) -> None:
        """Write the whole state as the snapshot, then replace the log with an empty one.

        Uncommitted changes are not written (the snapshot holds committed state only): call after commit.
        """
        if self._touched:
            raise RuntimeError("compact() with uncommitted changes")
        self._snapshot.write(self.read())
        self._snapshot_bytes = self._path.stat().st_size if self._path.exists() else 0
        if self._log_bytes == 0:
            return  # the log holds no committed record: nothing to replace
        fd, tmp = tempfile.mkstemp(dir=self._path.parent, prefix=f".{self._log.name}.", suffix=".tmp")
        try:
            os.replace(tmp, self._log)
        except BaseException:
            os.close(fd)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        fsync_dir(self._path.parent)
        if self._fd is not None:
            os.close(self._fd)
        self._fd, self._log_bytes = fd, 0

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class _InPlace(MutableMapping[int, Any]):
    """A stored table (doc ids as strings, as in the JSON) seen by TinyDB's updaters as doc id -> document.

    Why: TinyDB's `Table._update_table` copies the whole table into a dict keyed by int, runs the updater
    and copies it back, at every write: with thousands of outbox items during a burst, 88% of applying a
    callback went into those two copies. Through this view an updater changes the stored dict itself, so
    a write costs the same at any table size.
    """

    def __init__(self, raw: dict[str, Any]) -> None:
        self._raw = raw

    def __getitem__(self, doc_id: int) -> Any:
        return self._raw[str(doc_id)]

    def __setitem__(self, doc_id: int, doc: Any) -> None:
        self._raw[str(doc_id)] = doc

    def __delitem__(self, doc_id: int) -> None:
        del self._raw[str(doc_id)]

    def __contains__(self, doc_id: object) -> bool:
        return str(doc_id) in self._raw

    def __iter__(self) -> Iterator[int]:
        return (int(doc_id) for doc_id in self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def clear(self) -> None:
        self._raw.clear()


class TrackedTable(Table):
    """A TinyDB table that tells its LoggedStorage which documents each write touched, and whose writes
    change the stored table in place (`_InPlace`) instead of copying it twice."""

    def _update_table(self, updater: Callable[[dict[int, Mapping[Any, Any]]], None]) -> None:
        """TinyDB's `Table._update_table`, without the copies. An updater that raises may leave part of its
        change behind (TinyDB's dropped it): the transaction it belongs to rolls back, which reloads the
        committed state."""
        tables = self._storage.read()
        updater(_InPlace(tables.setdefault(self.name, {})))  # type: ignore[arg-type]
        self._storage.write(tables)
        self.clear_cache()

    def _touch(self, doc_ids: Iterable[int]) -> None:
        self._storage.touch(self.name, doc_ids)  # type: ignore[attr-defined]

    def insert(self, document: Mapping[Any, Any]) -> int:
        doc_id = super().insert(document)
        self._touch([doc_id])
        return doc_id

    def insert_multiple(self, documents: Iterable[Mapping[Any, Any]]) -> list[int]:
        doc_ids = super().insert_multiple(documents)
        self._touch(doc_ids)
        return doc_ids

    def update(self, *args: Any, **kwargs: Any) -> list[int]:
        doc_ids = super().update(*args, **kwargs)
        self._touch(doc_ids)
        return doc_ids

    def update_multiple(self, *args: Any, **kwargs: Any) -> list[int]:
        doc_ids = super().update_multiple(*args, **kwargs)
        self._touch(doc_ids)
        return doc_ids

    def upsert(self, *args: Any, **kwargs: Any) -> list[int]:
        doc_ids = super().upsert(*args, **kwargs)
        self._touch(doc_ids)
        return doc_ids

    def remove(self, *args: Any, **kwargs: Any) -> list[int]:
        doc_ids = super().remove(*args, **kwargs)
        self._touch(doc_ids)
        return doc_ids

    def truncate(self) -> None:
        super().truncate()
        self._storage.touch_table(self.name)  # type: ignore[attr-defined]


class HotDB(TinyDB):
    """The hot file's TinyDB: tracked tables over a LoggedStorage (see the module docstring)."""

    table_class = TrackedTable

    def __init__(self, path: Path) -> None:
        super().__init__(path, storage=LoggedStorage)

    @property
    def log(self) -> LoggedStorage:
        storage = self.storage
        assert isinstance(storage, LoggedStorage)
        return storage

    def drop_table(self, name: str) -> None:
        super().drop_table(name)
        self.log.touch_table(name)

    def drop_tables(self) -> None:
        names = self.tables()
        super().drop_tables()
        for name in names:
            self.log.touch_table(name)
