"""The storage layer: the seam (Protocols, in ports.py) and, for now, the TinyDB store under its old name."""

from bot.store.ports import (
    INBOX_CHECKPOINT,
    Approvals,
    Cards,
    Decoder,
    Dedupe,
    Drafts,
    Failures,
    Inbox,
    LinkUses,
    Meta,
    MetaReading,
    Outbox,
    People,
    StoreLockedError,
    StoreView,
    Templates,
)
from bot.store.tinydb import FAILURE_LIMIT, StoreReader, read_all_approvals, read_meta
from bot.store.tinydb import TinyDBStore as Store

__all__ = [
    "FAILURE_LIMIT",
    "INBOX_CHECKPOINT",
    "Approvals",
    "Cards",
    "Decoder",
    "Dedupe",
    "Drafts",
    "Failures",
    "Inbox",
    "LinkUses",
    "Meta",
    "MetaReading",
    "Outbox",
    "People",
    "Store",
    "StoreLockedError",
    "StoreReader",
    "StoreView",
    "Templates",
    "read_all_approvals",
    "read_meta",
]
