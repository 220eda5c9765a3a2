"""The database as `export` and the admins' reports read it: every approval, beside running replicas."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from bot.store.journaled import merge_journaled
from bot.store.ports import Decoder
from bot.store.postgres.store import PostgresStore


class PostgresReader:
    """`ApprovalsReader` over a `PostgresStore`; with `decoders`, callbacks acknowledged but not
    applied yet are read into the approvals they concern (as the TinyDB `StoreReader` does)."""

    def __init__(self, store: PostgresStore, decoders: Mapping[str, Decoder] | None = None) -> None:
        self.store = store
        self.path = store.path
        self.meta = store.meta
        self.decoders = dict(decoders or {})

    def all_approvals(self) -> Iterator[dict[str, Any]]:
        docs = {doc["key"]: doc for doc in self.store.approvals.all()}
        if self.decoders:
            for _seq, record in self.store.inbox.all():
                merge_journaled(docs, record, self.decoders)
        yield from docs.values()
