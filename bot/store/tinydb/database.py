"""The bot's state on disk: TinyDB tables written atomically, plus a durable inbox.

Layout beside `store.path` (e.g. data/approvals.json):

- approvals.json          hot TinyDB snapshot: open approvals, outbox, dedupe keys, user cache, meta (with
                          the store's format version: migrations.py)
- approvals.changes       the hot tables' change log: one record per commit since the snapshot
                          (change_log.py)
- approvals.archive/      finalized approvals, TinyDB chunks of at most ARCHIVE_CHUNK documents, and
                          the key index of each full chunk (approvals.py)
- approvals.inbox/        the journal of acknowledged callbacks (group-committed fsync)
- approvals.lock          held by the one process that writes

Why this shape (TinyDB rewrites a whole file per write): acknowledging a
callback only appends to the journal, so it costs the same at any store size;
the hot file holds only what is still moving, and each archive chunk is small,
so applying a change costs about the same with 100,000 approvals as with 1,000.
Writes are batched: callers change the in-memory tables and `commit()` appends
what they changed to the change log, once. One lock serializes every writer
thread in the process; the lock file keeps a second process out. Each aggregate
is a repository over its own tables (approvals.py, outbox.py, ...); they share
this database's lock and transaction.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bot.store.ports import StoreLockedError, StoreVersionError
from bot.store.tinydb.absences import TinyDBAbsences
from bot.store.tinydb.approvals import TinyDBApprovals
from bot.store.tinydb.cards import TinyDBCards
from bot.store.tinydb.change_log import HotDB
from bot.store.tinydb.dedupe import TinyDBDedupe
from bot.store.tinydb.delivery_holds import InProcessDeliveryHolds
from bot.store.tinydb.details_wanted import TinyDBDetailsWanted
from bot.store.tinydb.drafts import TinyDBDrafts
from bot.store.tinydb.failures import TinyDBFailures
from bot.store.tinydb.inbox import JournalInbox, JournalTail
from bot.store.tinydb.link_uses import TinyDBLinkUses
from bot.store.tinydb.meta import TinyDBMeta
from bot.store.tinydb.migrations import upgrade
from bot.store.tinydb.outbox import TinyDBOutbox
from bot.store.tinydb.people import TinyDBPeople
from bot.store.tinydb.policy_overrides import TinyDBPolicyOverrides
from bot.store.tinydb.tables import Repository
from bot.store.tinydb.templates import TinyDBTemplates


class TinyDBStore:
    """Every read and write of the bot's state. Thread-safe; one writing process per store."""

    def __init__(self, path: Path, *, exclusive: bool = True, journaled_elsewhere: bool = False) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._lock = threading.RLock()
        self._depth = 0  # nesting of transaction() in the thread holding the lock
        self._commit_wanted = True
        self.generation = 0
        self._lock_file = self._acquire_process_lock(path) if exclusive else None
        if exclusive:
            self._remove_torn_writes()
        self._db = self._open_current(path)
        lock = self._lock
        self.approvals = TinyDBApprovals(lock, self.sibling("archive"))
        self.cards = TinyDBCards(lock, self.approvals)
        self.outbox = TinyDBOutbox(lock)
        self.details_wanted = TinyDBDetailsWanted(lock)
        self.failures = TinyDBFailures(lock)
        self.delivery_holds = InProcessDeliveryHolds()
        self.dedupe = TinyDBDedupe(lock)
        self.people = TinyDBPeople(lock)
        self.drafts = TinyDBDrafts(lock)
        self.link_uses = TinyDBLinkUses(lock, self.transaction)
        self.templates = TinyDBTemplates(lock)
        self.policy_overrides = TinyDBPolicyOverrides(lock)
        self.absences = TinyDBAbsences(lock)
        self.meta = TinyDBMeta(lock, self.transaction)
        self._repositories: list[Repository] = [
            self.approvals,
            self.cards,
            self.outbox,
            self.details_wanted,
            self.failures,
            self.dedupe,
            self.people,
            self.drafts,
            self.link_uses,
            self.templates,
            self.policy_overrides,
            self.absences,
            self.meta,
        ]
        self._load()
        # the acknowledging front (bot/front.py) may journal callbacks in a process of its own
        inbox_dir = inbox_directory(path)
        self.inbox = (
            JournalTail(inbox_dir, self.meta) if journaled_elsewhere else JournalInbox(inbox_dir, self.meta)
        )

    def _open_current(self, path: Path) -> HotDB:
        """The hot file, upgraded in place to this bot's format and compacted (its change log folded into
        the snapshot); a store from a newer bot is refused before any table is loaded or anything
        written, and the process lock let go."""
        db = HotDB(path)
        try:
            upgrade(db, path)
        except StoreVersionError:
            db.close()  # nothing was changed: closing writes nothing
            if self._lock_file is not None:
                self._lock_file.close()
            raise
        db.log.commit()
        db.log.compact()
        return db

    def _load(self) -> None:
        """Tables and the in-memory indexes over them, from what the hot file holds."""
        for repository in self._repositories:
            repository.load(self._db)

    def rollback(self) -> None:
        """Forget every change not yet committed: back to what the hot file holds.

        `generation` counts rollbacks, so a thread holding uncommitted work can tell it is gone.
        """
        with self._lock:
            self.generation += 1
            self._db.log.reload()
            self._db.clear_cache()
            for name in self._db.tables():
                self._db.table(name)._next_id = None
            self._load()

    def _remove_torn_writes(self) -> None:
        """Temp files of writes a kill interrupted (the targets themselves are intact)."""
        beside = self.path.parent
        patterns = [(beside, ".*.json.*.tmp"), (beside, f".{self.path.stem}.changes.*.tmp")]
        for folder, pattern in [*patterns, (self.sibling("archive"), ".*.json.*.tmp")]:
            for torn in folder.glob(pattern) if folder.exists() else ():
                torn.unlink(missing_ok=True)

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
    def transaction(self, *, commit: bool = True) -> Iterator[TinyDBStore]:
        """Group changes under the lock and write them once, atomically, when the outermost one ends.

        `commit=False` leaves the write to a later `commit()` (group commit): changes made inside
        are consistent with each other, so whichever commit writes them next writes a state the
        bot can restart from. An exception out of the outermost transaction rolls back.
        """
        with self._lock:
            outermost = self._depth == 0
            if outermost:
                self._commit_wanted = commit
            self._depth += 1
            try:
                yield self
            except BaseException:
                if outermost:
                    self.rollback()  # half-made changes must never reach a later commit
                raise
            finally:
                self._depth -= 1
            if outermost and self._commit_wanted:
                self.commit()

    def commit(self) -> None:
        with self._lock:
            self.approvals.archive_final(self.outbox.queued_for)
            self._db.log.commit()

    def close(self) -> None:
        with self._lock:
            self.commit()
            self._db.log.compact()
            self._db.close()
            self.approvals.close()
            self.inbox.close()
            if self._lock_file is not None:
                self._lock_file.close()

    def size_bytes(self) -> int:
        """What the store takes on disk: the hot file and its change log, the archive, the inbox journal."""
        with self._lock:
            beside = [f for d in ("archive", "inbox") for f in self.sibling(d).glob("*")]
            files = [self.path, self.sibling("changes"), *beside]
            return sum(f.stat().st_size for f in files if f.is_file())


def inbox_directory(path: Path) -> Path:
    """Where the store at `path` journals acknowledged callbacks, for whichever process writes them."""
    return path.with_name(f"{path.stem}.inbox")
