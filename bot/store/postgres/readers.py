"""The database as `export` and the admins' reports read it: every approval, beside running replicas."""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Mapping
from typing import Any

from bot.store.journaled import merge_journaled
from bot.store.ports import Decoder
from bot.store.postgres.records import PostgresMeta
from bot.store.postgres.store import PostgresStore


class ReadOnlyMeta:
    """The meta values as a reader sees them: what is stored, nothing created (as the TinyDB reader)."""

    def __init__(self, meta: PostgresMeta) -> None:
        self._meta = meta

    def get(self, name: str, default: Any = None) -> Any:
        return self._meta.get(name, default)

    def secret(self, name: str) -> bytes:
        """The stored secret; a throwaway one while none was made (a reader signs nothing that lasts)."""
        value = self._meta.get(f"secret:{name}")
        return bytes.fromhex(value) if value else secrets.token_bytes(32)


class PostgresReader:
    """`ApprovalsReader` over a `PostgresStore`; with `decoders`, callbacks acknowledged but not
    applied yet are read into the approvals they concern (as the TinyDB `StoreReader` does)."""

    def __init__(
        self, store: PostgresStore, decoders: Mapping[str, Decoder] | None = None, *, owned: bool = False
    ) -> None:
        """`owned`: the store was opened for this reader alone, and `close()` closes it."""
        self.store = store
        self.owned = owned
        self.path = store.path
        self.meta = ReadOnlyMeta(store.meta)
        self.decoders = dict(decoders or {})

    def all_approvals(self) -> Iterator[dict[str, Any]]:
        docs = {doc["key"]: doc for doc in self.store.approvals.all()}
        if self.decoders:
            for _seq, record in self.store.inbox.all():
                merge_journaled(docs, record, self.decoders)
        yield from docs.values()

    def close(self) -> None:
        if self.owned:
            self.store.close()
