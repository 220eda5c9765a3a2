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
import secrets
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.middlewares import CachingMiddleware
from tinydb.table import Document, Table

from bot.codec import snapshot_from_dict, snapshot_to_dict
from bot.journal import Journal, read_journal
from bot.model import Snapshot
from bot.storage import AtomicJSONStorage

ARCHIVE_CHUNK = 1000
DEDUPE_LIMIT = 20_000
USER_CACHE_TTL = 24 * 3600
DRAFT_TTL = 7 * 24 * 3600
INBOX_CHECKPOINT = "inbox_applied_seq"  # meta: the last journal record whose effects are stored
JOURNAL_READ_ATTEMPTS = 3
FAILURE_LIMIT = 500  # failed deliveries kept for admins: the latest ones say what is wrong now


Decoder = Callable[[dict[str, Any]], Snapshot | None]  # a journaled record -> the snapshot it carries


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

    def newest(self) -> list[dict[str, Any]]:
        """The documents of the chunk being filled: the latest finalized approvals."""
        if not self._sizes:
            return []
        return [dict(doc) for doc in self._chunk(self._last_chunk()).table("approvals").all()]

    def close(self) -> None:
        for number in list(self._open):
            self._close(number)


class _Keyed:
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


class Store:
    """Every read and write of the bot's state. Thread-safe; one writing process per store."""

    def __init__(self, path: Path, *, exclusive: bool = True) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._lock = threading.RLock()
        self._depth = 0  # nesting of transaction() in the thread holding the lock
        self._commit_wanted = True
        self.generation = 0
        self._lock_file = self._acquire_process_lock(path) if exclusive else None
        if exclusive:
            self._remove_torn_writes()
        self._db = _open_db(path)
        self._load()
        self.archive = _Archive(self.sibling("archive"))
        self.inbox = Journal(self.sibling("inbox"))

    def _load(self) -> None:
        """Tables and the in-memory indexes over them, from what the hot file holds."""
        self._approvals = _Keyed(self._db.table("approvals"), "key")
        self._outbox = _Keyed(self._db.table("outbox"), "id")
        self._dedupe = _Keyed(self._db.table("dedupe"), "key")
        self._users = _Keyed(self._db.table("users"), "key")
        self._meta = _Keyed(self._db.table("meta"), "key")
        self._drafts = _Keyed(self._db.table("drafts"), "id")
        self._used_links = _Keyed(self._db.table("used_links"), "id")
        self._failures = _Keyed(self._db.table("failed_deliveries"), "id")
        self._tracked = _Keyed(self._db.table("tracked_templates"), "alias")
        self._identities = _Keyed(self._db.table("identities"), "key")
        self._final = {d["key"] for d in self._approvals.all() if d.get("final")}
        queued = sorted(self._outbox.all(), key=lambda d: d["created"])
        self._queued_for: Counter[str] = Counter(item["approval_key"] for item in queued)
        # card key -> the queued item a newer version of that card merges into (not one being sent)
        self._waiting_cards = {
            i["card_key"]: i["id"] for i in queued if i.get("card_key") and not i.get("in_flight")
        }

    def rollback(self) -> None:
        """Forget every change not yet committed: back to what the hot file holds.

        `generation` counts rollbacks, so a thread holding uncommitted work can tell it is gone.
        """
        with self._lock:
            self.generation += 1
            storage = self._db.storage
            storage.cache = None
            storage._cache_modified_count = 0
            self._db.clear_cache()
            for name in self._db.tables():
                self._db.table(name)._next_id = None
            self._load()

    def _remove_torn_writes(self) -> None:
        """Temp files of writes a kill interrupted (the targets themselves are intact)."""
        for folder in (self.path.parent, self.sibling("archive")):
            for torn in folder.glob(".*.json.*.tmp") if folder.exists() else ():
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
    def transaction(self, *, commit: bool = True) -> Iterator[Store]:
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
            return self._approvals.get(key) or self.archive.get(key)

    def put_approval(self, doc: dict[str, Any]) -> None:
        """Insert or replace by doc['key']; finalized ones move to the archive at commit."""
        with self._lock:
            self._approvals.put(doc)
            if doc.get("final"):
                self._final.add(doc["key"])
            else:
                self._final.discard(doc["key"])

    def open_approvals(self) -> list[dict[str, Any]]:
        with self._lock:
            return self._approvals.all()

    def recent_approvals(self) -> list[dict[str, Any]]:
        """Open approvals and the most recently finalized ones (the newest archive chunk)."""
        with self._lock:
            return [*self._approvals.all(), *self.archive.newest()]

    def _archive_final(self) -> None:
        """Move approvals that are final and have nothing left to deliver out of the hot table.

        The archive is written first: a crash in between leaves a copy in both, never in neither.
        """
        movable = [key for key in self._final if not self._queued_for[key]]
        for key in movable:
            doc = self._approvals.get(key)
            if doc is not None:
                self.archive.put(doc)
        self._approvals.remove(movable)
        self._final.difference_update(movable)

    # dedupe ------------------------------------------------------------------

    def seen(self, dedupe_key: str) -> bool:
        with self._lock:
            return dedupe_key in self._dedupe

    def remember(self, dedupe_key: str) -> None:
        """Bounded: the oldest keys go first (retries come within minutes, not weeks)."""
        with self._lock:
            if dedupe_key in self._dedupe:
                return
            self._dedupe.put({"key": dedupe_key, "at": time.time()})
            excess = len(self._dedupe) - DEDUPE_LIMIT
            if excess > 0:
                self._dedupe.remove(list(self._dedupe.index)[:excess])

    # outbox ------------------------------------------------------------------

    def enqueue(self, item: dict[str, Any]) -> str:
        """Queue a Slack delivery. A queued update of the same card is replaced, not repeated."""
        with self._lock:
            waiting = self._waiting_cards.get(item.get("card_key") or "")
            if waiting is not None:
                existing = self._outbox.get(waiting)
                assert existing is not None
                self._outbox.put({**existing, **item, "id": existing["id"], "created": existing["created"]})
                return waiting
            item = {"id": uuid.uuid4().hex, "created": time.time(), "attempts": 0, "not_before": 0.0, **item}
            self._outbox.put(item)
            self._queued_for[item["approval_key"]] += 1
            if item.get("card_key"):
                self._waiting_cards[item["card_key"]] = item["id"]
            return item["id"]

    def outbox_items(self) -> list[dict[str, Any]]:
        with self._lock:
            return sorted(self._outbox.all(), key=lambda d: d["created"])

    def outbox_size(self) -> int:
        with self._lock:
            return len(self._outbox)

    def update_outbox(self, item_id: str, **changes: Any) -> None:
        """`in_flight=True` marks an item being sent: a newer version of its card is queued apart."""
        with self._lock:
            self._outbox.update(item_id, changes)
            item = self._outbox.get(item_id)
            if item is None or not item.get("card_key") or "in_flight" not in changes:
                return
            if changes["in_flight"]:
                self._forget_waiting(item)
            else:
                self._waiting_cards.setdefault(item["card_key"], item_id)

    def remove_outbox(self, item_id: str) -> dict[str, Any] | None:
        with self._lock:
            item = self._outbox.get(item_id)
            if item is not None:
                self._outbox.remove([item_id])
                self._queued_for[item["approval_key"]] -= 1
                self._forget_waiting(item)
            return item

    def _forget_waiting(self, item: dict[str, Any]) -> None:
        if self._waiting_cards.get(item.get("card_key") or "") == item["id"]:
            del self._waiting_cards[item["card_key"]]

    def hold_outbox(self, hold: dict[str, Any]) -> int:
        """Mark every queued item not held yet as held for `hold` (why, e.g. {"reason": "invalid_auth"}).

        Held items stay queued across restarts; they wait for `release_held`, not for a retry time.
        """
        with self._lock:
            waiting = [item["id"] for item in self._outbox.all() if not item.get("held")]
            for item_id in waiting:
                self._outbox.update(item_id, {"held": hold})
            return len(waiting)

    def release_held(self) -> int:
        """Clear every hold mark (they go out in their original order); returns how many there were."""
        with self._lock:
            held = [item["id"] for item in self._outbox.all() if item.get("held")]
            for item_id in held:
                self._outbox.update(item_id, {"held": None, "not_before": 0.0})
            return len(held)

    def held_outbox(self) -> list[dict[str, Any]]:
        """The held items, oldest first."""
        with self._lock:
            return [item for item in self.outbox_items() if item.get("held")]

    # failed deliveries (what Slack refused for good; no message text is kept) ----------

    def record_failure(self, item: dict[str, Any], reason: str, at: float) -> None:
        """Remember that `item` ended without reaching Slack. Bounded to FAILURE_LIMIT, oldest out."""
        with self._lock:
            self._failures.put(
                {
                    "id": item["id"],
                    "at": at,
                    "approval_key": item.get("approval_key", ""),
                    "recipient": item.get("channel") or item.get("user", ""),
                    "kind": item.get("kind", ""),
                    "reason": reason,
                }
            )
            excess = len(self._failures) - FAILURE_LIMIT
            if excess > 0:
                self._failures.remove(list(self._failures.index)[:excess])

    def failed_deliveries(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Recorded failures, newest first."""
        with self._lock:
            newest_first = sorted(self._failures.all(), key=lambda d: d["at"], reverse=True)
            return newest_first[:limit] if limit is not None else newest_first

    def failure_count(self) -> int:
        with self._lock:
            return len(self._failures)

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
            if approval_key in self._approvals:
                self._approvals.put(doc)
            else:
                self.archive.put(doc)

    # user cache ----------------------------------------------------------------

    def cached_user(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            doc = self._users.get(key)
            return doc if doc is not None and time.time() - doc.get("at", 0) < USER_CACHE_TTL else None

    def cache_user(self, key: str, **values: Any) -> None:
        with self._lock:
            self._users.put({"key": key, "at": time.time(), **values})

    # drafts (forms being filled or filed from Slack) ----------------------------------

    def get_draft(self, draft_id: str) -> dict[str, Any] | None:
        with self._lock:
            return self._drafts.get(draft_id)

    def draft_filed_as(self, number: str) -> dict[str, Any] | None:
        """The draft that was filed under `number` (drafts are few: they expire)."""
        with self._lock:
            return next((d for d in self._drafts.all() if d.get("number") == number), None)

    def secret(self, name: str) -> bytes:
        """A random secret made once and kept in the store (e.g. to sign links when none is configured)."""
        with self._lock:
            value = self.meta(f"secret:{name}")
            if value is None:
                value = secrets.token_hex(32)
                with self.transaction():
                    self.set_meta(f"secret:{name}", value)
            return bytes.fromhex(value)

    def put_draft(self, draft: dict[str, Any]) -> None:
        """Drafts older than DRAFT_TTL are dropped as new ones come: abandoned modals leave no trace."""
        with self._lock:
            self._drafts.put(draft)
            cutoff = time.time() - DRAFT_TTL
            self._drafts.remove([d["id"] for d in self._drafts.all() if d["created"] < cutoff])

    # approve links ---------------------------------------------------------------

    def use_link(self, link_id: str, expires: int, now: float) -> bool:
        """Marks a link used, durably; False if it was used before. Expired ones are forgotten:
        they cannot be used anyway, so the table stays as small as the links still alive."""
        with self.transaction():
            self._used_links.remove([d["id"] for d in self._used_links.all() if d["expires"] < now])
            if link_id in self._used_links:
                return False
            self._used_links.put({"id": link_id, "expires": expires, "at": now})
            return True

    # tracked templates (what admins added or removed from Slack; config entries are the defaults) ----

    def tracked_templates(self) -> list[dict[str, Any]]:
        """Every alias admins tracked or untracked: {"alias", "provider", "template_id", "untracked", ...}."""
        with self._lock:
            return self._tracked.all()

    def put_tracked_template(self, doc: dict[str, Any]) -> None:
        """Insert or replace by doc["alias"]; `untracked=True` keeps a config alias out of the catalog."""
        with self._lock:
            self._tracked.put(doc)

    # identity table (Slack user <-> provider user, mapped by admins) --------------------------

    def identity_mappings(self) -> list[dict[str, Any]]:
        with self._lock:
            return self._identities.all()

    def mapped_provider_id(self, identity: str, slack_id: str) -> str | None:
        with self._lock:
            doc = self._identities.get(f"{identity}:{slack_id}")
            return doc["provider_id"] if doc else None

    def mapped_slack_id(self, identity: str, provider_id: str) -> str | None:
        """A scan: the table holds the people admins mapped by hand, a few hundred at most."""
        with self._lock:
            return next(
                (
                    doc["slack_id"]
                    for doc in self._identities.all()
                    if doc["identity"] == identity and doc["provider_id"] == provider_id
                ),
                None,
            )

    def put_identity(self, identity: str, slack_id: str, provider_id: str, **info: Any) -> list[str]:
        """Map `slack_id` to `provider_id`; one provider user has one Slack user, so an older mapping of
        `provider_id` to someone else is dropped. Returns the Slack ids whose mapping was dropped."""
        with self._lock:
            replaced = [
                doc
                for doc in self._identities.all()
                if (doc["identity"], doc["provider_id"]) == (identity, provider_id)
                and doc["slack_id"] != slack_id
            ]
            self._identities.remove(doc["key"] for doc in replaced)
            self._identities.put(
                {
                    "key": f"{identity}:{slack_id}",
                    "identity": identity,
                    "slack_id": slack_id,
                    "provider_id": provider_id,
                    **info,
                }
            )
            return [doc["slack_id"] for doc in replaced]

    def remove_identity(self, identity: str, slack_id: str) -> dict[str, Any] | None:
        """Forget the mapping of `slack_id`; returns it, or None when there was none."""
        with self._lock:
            doc = self._identities.get(f"{identity}:{slack_id}")
            self._identities.remove([f"{identity}:{slack_id}"])
            return doc

    def forget_cached_users(self, keys: Iterable[str]) -> None:
        """Drop user cache entries, so the next lookup asks again (after an admin changed a mapping)."""
        with self._lock:
            self._users.remove(keys)

    def size_bytes(self) -> int:
        """What the store takes on disk: the hot file, the archive and the inbox journal."""
        with self._lock:
            files = [self.path, *(f for d in ("archive", "inbox") for f in self.sibling(d).glob("*"))]
            return sum(f.stat().st_size for f in files if f.is_file())

    # meta ----------------------------------------------------------------------

    def meta(self, name: str, default: Any = None) -> Any:
        with self._lock:
            doc = self._meta.get(name)
            return doc["value"] if doc else default

    def set_meta(self, name: str, value: Any) -> None:
        with self._lock:
            self._meta.put({"key": name, "value": value})


def _read_hot(path: Path) -> dict[str, Any]:
    """The hot file's tables, read-only ({} when there is none yet)."""
    if not path.exists() or not path.stat().st_size:
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def _meta_value(hot: dict[str, Any], name: str) -> Any:
    return next((doc["value"] for doc in hot.get("meta", {}).values() if doc.get("key") == name), None)


def read_meta(path: Path, name: str) -> Any:
    """One meta value, read-only from the hot file (safe while `serve` writes)."""
    return _meta_value(_read_hot(path), name)


class StoreReader:
    """The store as a tool beside a running `serve` sees it: read-only, no process lock, nothing created.

    Enough of the Store's face for a provider's setup to build its parts (e.g. its journal decoders).
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def meta(self, name: str, default: Any = None) -> Any:
        value = read_meta(self.path, name)
        return default if value is None else value

    def secret(self, name: str) -> bytes:
        """The stored secret; a throwaway one while none was made (a reader signs nothing that lasts)."""
        value = self.meta(f"secret:{name}")
        return bytes.fromhex(value) if value else secrets.token_bytes(32)


def read_all_approvals(path: Path, decoders: Mapping[str, Decoder] | None = None) -> Iterator[dict[str, Any]]:
    """Every approval on disk, read-only: safe while `serve` writes (files are replaced atomically).

    With `decoders` (journal source -> snapshot), callbacks that were acknowledged but not applied yet
    (journaled after the stored checkpoint, e.g. just before a crash) are included: a journaled
    snapshot that is not older than the stored one replaces it. Nothing is written or marked.
    """
    for attempt in range(JOURNAL_READ_ATTEMPTS):
        try:
            docs = _approvals_on_disk(path, decoders or {})
        except FileNotFoundError:  # serve discarded a journal segment it had just applied: read again
            if attempt + 1 == JOURNAL_READ_ATTEMPTS:
                raise
            continue
        yield from docs
        return


def _approvals_on_disk(path: Path, decoders: Mapping[str, Decoder]) -> list[dict[str, Any]]:
    hot_file = _read_hot(path)
    hot = {d["key"]: d for d in hot_file.get("approvals", {}).values()}
    docs: dict[str, dict[str, Any]] = {}
    archive_dir = path.with_name(f"{path.stem}.archive")
    for chunk in sorted(archive_dir.glob("chunk-*.json")) if archive_dir.exists() else ():
        text = chunk.read_text(encoding="utf-8")
        for doc in (json.loads(text).get("approvals", {}) if text else {}).values():
            if doc["key"] not in hot:
                docs[doc["key"]] = doc
    docs.update(hot)
    if decoders:
        applied = _meta_value(hot_file, INBOX_CHECKPOINT) or 0
        inbox = path.with_name(f"{path.stem}.inbox")
        for _seq, record in read_journal(inbox, after=applied):
            _merge_journaled(docs, record, decoders)
    return list(docs.values())


def _merge_journaled(
    docs: dict[str, dict[str, Any]], record: dict[str, Any], decoders: Mapping[str, Decoder]
) -> None:
    """One acknowledged-but-unapplied record into `docs`, by the rule `apply_snapshot` follows."""
    decoder = decoders.get(record.get("source", ""))
    try:
        snap = decoder(record) if decoder is not None else None
    except ValueError:
        return  # the processor skips it as well
    if snap is None:
        return
    stored = docs.get(snap.key)
    if stored is not None:
        old = snapshot_from_dict(stored["snapshot"])
        if snap.progress_key() < old.progress_key():
            return
        if not snap.has_details and old.has_details:
            snap = snap.with_details(old.summary, old.fields)
    docs[snap.key] = {
        **(stored or {"key": snap.key}),
        "snapshot": snapshot_to_dict(snap),
        "final": snap.status.is_final,
        "updated": record.get("received", 0),
    }
