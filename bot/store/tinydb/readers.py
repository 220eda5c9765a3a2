"""The store read-only, as a tool beside a running `serve` sees it (e.g. `export`): no lock, nothing written.

Safe while `serve` writes: every file is replaced atomically, and a journal segment discarded between
listing and reading is read again.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from bot.store.journaled import merge_journaled
from bot.store.ports import INBOX_CHECKPOINT, Decoder
from bot.store.tinydb.change_log import read_state
from bot.store.tinydb.journal import read_journal
from bot.store.tinydb.migrations import FORMAT_KEY, require_readable

JOURNAL_READ_ATTEMPTS = 3


def _read_hot(path: Path) -> dict[str, Any]:
    """The hot tables (snapshot and change log), read-only ({} when there are none yet); refused unless
    in this bot's format."""
    hot = read_state(path)
    if hot:
        require_readable(hot, _meta_value(hot, FORMAT_KEY), path)
    return hot


def _meta_value(hot: dict[str, Any], name: str) -> Any:
    return next((doc["value"] for doc in hot.get("meta", {}).values() if doc.get("key") == name), None)


def read_meta(path: Path, name: str) -> Any:
    """One meta value, read-only from the hot file (safe while `serve` writes)."""
    return _meta_value(_read_hot(path), name)


class MetaReader:
    """The meta repository's reading face, straight from the hot file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def get(self, name: str, default: Any = None) -> Any:
        value = read_meta(self.path, name)
        return default if value is None else value

    def secret(self, name: str) -> bytes:
        """The stored secret; a throwaway one while none was made (a reader signs nothing that lasts)."""
        value = self.get(f"secret:{name}")
        return bytes.fromhex(value) if value else secrets.token_bytes(32)


class StoreReader:
    """The store as a tool beside a running `serve` sees it: read-only, no process lock, nothing created.

    Enough of the Store's face for a provider's setup to build its parts (e.g. its journal decoders), and
    the `ApprovalsReader` that `export` and the admins' reports read.
    """

    def __init__(self, path: Path, decoders: Mapping[str, Decoder] | None = None) -> None:
        """With `decoders` (journal source -> snapshot), `all_approvals` includes the callbacks that were
        acknowledged but not applied yet (journaled after the stored checkpoint, e.g. just before a crash)."""
        self.path = path
        self.meta = MetaReader(path)
        self.decoders = dict(decoders or {})

    def all_approvals(self) -> Iterator[dict[str, Any]]:
        """Every approval on disk, read-only: safe while `serve` writes (files are replaced atomically).

        A journaled snapshot (with decoders) that is not older than the stored one replaces it. Nothing is
        written or marked.
        """
        for attempt in range(JOURNAL_READ_ATTEMPTS):
            try:
                docs = _approvals_on_disk(self.path, self.decoders)
            except FileNotFoundError:  # serve discarded a journal segment it had just applied: read again
                if attempt + 1 == JOURNAL_READ_ATTEMPTS:
                    raise
                continue
            yield from docs
            return

    def close(self) -> None:
        """Nothing to close: the files are read and let go at each call (the database reader holds a pool)."""


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
            merge_journaled(docs, record, decoders)
    return list(docs.values())


def read_tables(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Every table of the hot file, as lists of documents, read-only (what a copy to another store takes)."""
    return {name: list(table.values()) for name, table in _read_hot(path).items()}
