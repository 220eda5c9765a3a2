"""The storage layer's seam: one Protocol per aggregate and the `Store` that holds them (ports.py).

The TinyDB implementation, its read-only readers and its limits are in `bot.store.tinydb`.
"""

from bot.store.ports import (
    INBOX_CHECKPOINT,
    Approvals,
    ApprovalsReader,
    Cards,
    Decoder,
    Dedupe,
    DetailsWanted,
    Drafts,
    Failures,
    Inbox,
    Leadership,
    LinkUses,
    Meta,
    MetaReading,
    Outbox,
    People,
    Store,
    StoreLockedError,
    StoreUnavailableError,
    StoreVersionError,
    StoreView,
    Templates,
)

__all__ = [
    "INBOX_CHECKPOINT",
    "Approvals",
    "ApprovalsReader",
    "Cards",
    "Decoder",
    "Dedupe",
    "DetailsWanted",
    "Drafts",
    "Failures",
    "Inbox",
    "Leadership",
    "LinkUses",
    "Meta",
    "MetaReading",
    "Outbox",
    "People",
    "Store",
    "StoreLockedError",
    "StoreUnavailableError",
    "StoreVersionError",
    "StoreView",
    "Templates",
]
