"""`approvals-bot migrate-store`: a TinyDB store copied into an empty PostgreSQL database, then counted.

The source is opened as `serve` opens it (its lock: no `serve` may run meanwhile; its format upgraded),
the copy is one transaction (a failure leaves the database empty), and the counts of both sides must
match before it commits. A database that holds anything already is refused: nothing is overwritten.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bot.store.ports import Decoder
from bot.store.postgres.store import PostgresStore
from bot.store.tinydb import StoreReader, TinyDBStore, read_tables

COUNTED = ("approvals", "cards", "outbox", "drafts", "identities", "inbox")


class TargetNotEmptyError(RuntimeError):
    """The database already holds a bot's state."""


class CountMismatchError(RuntimeError):
    """What arrived is not what was sent: nothing was committed."""


def copy_store(source: Path, target: PostgresStore, decoders: Mapping[str, Decoder]) -> dict[str, int]:
    """Copies the TinyDB store at `source` into `target`; returns the counts copied, by table."""
    if not target.is_empty():
        raise TargetNotEmptyError(f"the database {target.path} is not empty; nothing was copied")
    tinydb = TinyDBStore(source)  # its lock: no serve writes meanwhile; its journal checked
    try:
        approvals = list(StoreReader(source).all_approvals())
        tables = read_tables(source)
        pending = tinydb.inbox.pending(limit=1 << 62)
    finally:
        tinydb.close()
    sent = {
        "approvals": len(approvals),
        "cards": sum(len(doc.get("cards") or {}) for doc in approvals),
        "outbox": len(tables.get("outbox", [])),
        "drafts": len(tables.get("drafts", [])),
        "identities": len(tables.get("identities", [])),
        "inbox": len(pending),
    }
    with target.transaction():
        _copy_tables(target, approvals, tables)
        for _seq, record in pending:
            target.inbox.restore(record, key=_key_of(record, decoders))
        arrived = target.counts(COUNTED)
        if arrived != sent:
            raise CountMismatchError(
                f"copied {sent}, but the database holds {arrived}; nothing was committed"
            )
    return sent


def _copy_tables(target: PostgresStore, approvals: list[dict[str, Any]], tables: dict[str, list]) -> None:
    for doc in approvals:
        target.approvals.put(doc)
        for card_key, card in (doc.get("cards") or {}).items():
            target.cards.set(doc["key"], card_key, card["channel"], card["ts"])
    for item in sorted(tables.get("outbox", []), key=lambda i: i["created"]):
        target.outbox.restore(item)
    for draft in tables.get("drafts", []):
        target.drafts.put(draft)
    for mapping in tables.get("identities", []):
        info = {k: v for k, v in mapping.items() if k not in ("key", "identity", "slack_id", "provider_id")}
        target.people.put_identity(mapping["identity"], mapping["slack_id"], mapping["provider_id"], **info)
    for template in tables.get("tracked_templates", []):
        target.templates.put(template)
    for override in tables.get("policy_overrides", []):
        target.policy_overrides.put(override)
    for absence in tables.get("absences", []):
        target.absences.put(absence)
    for failure in tables.get("failed_deliveries", []):
        target.failures.restore(failure)
    for wanted in tables.get("details_wanted", []):
        target.details_wanted.want(wanted["key"])
    for key in tables.get("dedupe", []):
        target.dedupe.remember(key["key"])
    for use in tables.get("used_links", []):
        target.link_uses.use(use["id"], use["expires"], use["at"])
    for meta in tables.get("meta", []):
        if meta["key"] not in ("store_format", "inbox_applied_seq"):  # the TinyDB store's own
            target.meta.set(meta["key"], meta["value"])


def _key_of(record: dict[str, Any], decoders: Mapping[str, Decoder]) -> str:
    decoder = decoders.get(record.get("source", ""))
    try:
        snap = decoder(record) if decoder is not None else None
    except ValueError:
        return ""
    return snap.key if snap is not None else ""
