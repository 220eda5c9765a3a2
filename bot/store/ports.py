"""The store's seam: what use cases and edges may ask of the bot's state, one Protocol per aggregate.

A `Store` holds one repository per aggregate and one transaction they all share: changes made through
any of them inside `with store.transaction():` are written together, or rolled back together. The
TinyDB implementation is `bot.store.tinydb`; a second backend implements these Protocols.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

from bot.model import Snapshot

INBOX_CHECKPOINT = "inbox_applied_seq"  # meta: the last journal record whose effects are stored

Decoder = Callable[[dict[str, Any]], Snapshot | None]  # a journaled record -> the snapshot it carries


class StoreLockedError(RuntimeError):
    """Another process already writes to this store."""


class StoreUnavailableError(RuntimeError):
    """The store cannot answer right now (a database connection lost, a deadlock broken): nothing was
    half-done, and the same work may be tried again later."""


class StoreVersionError(RuntimeError):
    """The store is in a format this bot cannot use as it is: a newer bot wrote it (or a read-only tool
    meets one not upgraded yet). The message names both versions and what to do."""


class Approvals(Protocol):
    def get(self, key: str) -> dict[str, Any] | None: ...
    def put(self, doc: dict[str, Any]) -> None: ...
    def open(self) -> list[dict[str, Any]]: ...
    def involving(self, person: str) -> list[dict[str, Any]]:
        """Open and recently finalized approvals that `person` (a Slack user) filed or that wait on them."""


class Cards(Protocol):
    def get(self, approval_key: str, card_key: str) -> dict[str, Any] | None: ...
    def set(self, approval_key: str, card_key: str, channel: str, ts: str) -> None: ...

    def find(self, channel: str, ts: str) -> tuple[str, str] | None:
        """(approval key, card key) of the card whose Slack message is (channel, ts): a reply in a thread
        names its parent message only. Open approvals are always found; a finished one may not be."""


class Outbox(Protocol):
    def enqueue(self, item: dict[str, Any]) -> str: ...
    def items(self) -> list[dict[str, Any]]:
        """The items this process may deliver now, oldest first (on a shared store, claimed for it)."""

    def all(self) -> list[dict[str, Any]]:
        """Every queued item, whoever delivers it, oldest first: to show, never to deliver."""

    def size(self) -> int: ...
    def update(self, item_id: str, **changes: Any) -> None: ...
    def remove(self, item_id: str) -> dict[str, Any] | None: ...
    def hold(self, hold: dict[str, Any]) -> int: ...
    def release_held(self) -> int: ...
    def held(self) -> list[dict[str, Any]]: ...


class DetailsWanted(Protocol):
    """Approvals applied from a callback alone, whose form data is still to be read (one entry per approval:
    the read fetches whatever is current, so a second callback adds nothing to wait for)."""

    def want(self, approval_key: str) -> None: ...
    def due(self, now: float, limit: int) -> list[dict[str, Any]]:
        """Up to `limit` entries whose time has come, oldest first; where several processes share the
        store, each entry is claimed for a while, so two readers never read the same form at once."""

    def retry_at(self, approval_key: str, at: float, attempts: int) -> None: ...
    def done(self, approval_key: str) -> None: ...
    def has(self, approval_key: str) -> bool: ...
    def size(self) -> int: ...


def failure_record(item: dict[str, Any], reason: str, at: float) -> dict[str, Any]:
    """What a backend keeps of an outbox item that ended without reaching Slack (admins list these)."""
    return {
        "id": item["id"],
        "at": at,
        "approval_key": item.get("approval_key", ""),
        "recipient": item.get("channel") or item.get("user", ""),
        "kind": item.get("kind", ""),
        "reason": reason,
    }


class Failures(Protocol):
    def record(self, item: dict[str, Any], reason: str, at: float) -> None: ...
    def latest(self, limit: int | None = None) -> list[dict[str, Any]]: ...
    def count(self) -> int: ...


class DeliveryHolds(Protocol):
    """What stops delivery to Slack for a while, seen alike by every process delivering from the store:
    a channel's `Retry-After` (held until a time), and a fault of the bot's own credentials (held until
    a probe of Slack succeeds). Times are the caller's clock (seconds since the epoch)."""

    def hold_channel(self, channel: str, until: float, now: float) -> None:
        """Nothing goes to `channel` before `until` (the later of two holds wins); holds over by `now`
        are forgotten."""

    def channels_held(self, now: float) -> dict[str, float]:
        """Channel -> until when, for the holds not over by `now`."""

    def claim_channels(self, channels: Iterable[str], until: float, now: float) -> set[str]:
        """Of `channels`, those no hold keeps by `now`, each now held until `until` for the caller (the
        pace of posts to one channel, whichever process posts): the others are someone else's now."""

    def release_channels(self, channels: Iterable[str], until: float) -> None:
        """Turns claimed until `until` and not used: free again (a longer hold, e.g. Slack's
        Retry-After, stays)."""

    def hold_all(self, fault: dict[str, Any], probe_at: float) -> bool:
        """Hold every delivery for `fault` ({"reason", "needed"}), the first probe due at `probe_at`;
        True when that fault was not held already (whoever recorded it says so, once)."""

    def fault(self) -> dict[str, Any] | None:
        """The fault holding every delivery ({"reason", "needed", "probe_at", "probe_wait"}), or None."""

    def claim_probe(self, now: float, probe_wait: float) -> bool:
        """Whether the probe due by `now` is this process's to make: the next one is then due
        `probe_wait` later, and any other process asking before then is told False."""

    def release_all(self) -> bool:
        """The fault is over; True when one was held."""


class Dedupe(Protocol):
    def seen(self, dedupe_key: str) -> bool: ...
    def remember(self, dedupe_key: str) -> None: ...


class People(Protocol):
    def cached_user(self, key: str) -> dict[str, Any] | None: ...
    def cache_user(self, key: str, **values: Any) -> None: ...
    def forget_cached_users(self, keys: Iterable[str]) -> None: ...
    def identity_mappings(self) -> list[dict[str, Any]]: ...
    def mapped_provider_id(self, identity: str, slack_id: str) -> str | None: ...
    def mapped_slack_id(self, identity: str, provider_id: str) -> str | None: ...
    def put_identity(self, identity: str, slack_id: str, provider_id: str, **info: Any) -> list[str]: ...
    def remove_identity(self, identity: str, slack_id: str) -> dict[str, Any] | None: ...


class Drafts(Protocol):
    def get(self, draft_id: str) -> dict[str, Any] | None: ...
    def filed_as(self, number: str) -> dict[str, Any] | None: ...
    def put(self, draft: dict[str, Any]) -> None: ...


class LinkUses(Protocol):
    def use(self, link_id: str, expires: int, now: float) -> bool: ...


class Templates(Protocol):
    def tracked(self) -> list[dict[str, Any]]: ...
    def put(self, doc: dict[str, Any]) -> None: ...


class PolicyOverrides(Protocol):
    """What admins changed of a template's policy from Slack, over the config: one document per
    template, {"template": "<provider>:<template id>", "provider", "template_id", "values", "by", "at"}."""

    def all(self) -> list[dict[str, Any]]: ...
    def put(self, doc: dict[str, Any]) -> None:
        """Insert or replace by doc["template"]."""


class Absences(Protocol):
    """Who is away, until when, and who decides for them meanwhile: one record per person, by Slack id
    ({"user", "until", "delegate", "reason", "set_by", "set_at"}). A record past its `until` is no
    longer in force; the use case compares with its clock, so nothing has to run to end an absence."""

    def get(self, user: str) -> dict[str, Any] | None: ...
    def put(self, doc: dict[str, Any]) -> None: ...
    def remove(self, user: str) -> dict[str, Any] | None: ...
    def all(self) -> list[dict[str, Any]]: ...


class MetaReading(Protocol):
    """What a read-only view of the store can answer too (`StoreReader`)."""

    def get(self, name: str, default: Any = None) -> Any: ...
    def secret(self, name: str) -> bytes: ...


class Meta(MetaReading, Protocol):
    def set(self, name: str, value: Any) -> None: ...


class Inbox(Protocol):
    """The acknowledged callbacks: appended durably before the acknowledgement, applied later.

    A worker takes the `pending` records (on a shared store, claimed for its transaction so no other
    replica takes them), calls `applied(seq)` inside the transaction that stores each one's effects, and
    `discard_applied()` after that commit. `key` (the approval a record is about) keeps one approval's
    records in order when several workers apply them.
    """

    def append(self, record: dict[str, Any], key: str = "") -> int: ...
    def pending(self, limit: int) -> list[tuple[int, dict[str, Any]]]: ...
    def applied(self, seq: int) -> None: ...
    def discard_applied(self) -> None: ...
    def checkpoint(self) -> int: ...


class ApprovalsReader(Protocol):
    """Every approval the bot knows, archived ones included, read without the store's lock: what
    `export` and the admins' reports read, safe beside a running `serve` (`StoreReader` is one)."""

    def all_approvals(self) -> Iterator[dict[str, Any]]: ...


class StoreView(Protocol):
    """The store as a provider's setup needs it: its path and its meta values (a reader has as much)."""

    path: Path

    @property
    def meta(self) -> MetaReading: ...


class Store(Protocol):
    """Every read and write of the bot's state; thread-safe."""

    path: Path
    generation: int  # counts rollbacks: uncommitted work taken before a change of it is gone
    approvals: Approvals
    cards: Cards
    outbox: Outbox
    details_wanted: DetailsWanted
    failures: Failures
    delivery_holds: DeliveryHolds
    dedupe: Dedupe
    people: People
    drafts: Drafts
    link_uses: LinkUses
    templates: Templates
    policy_overrides: PolicyOverrides
    absences: Absences
    meta: Meta
    inbox: Inbox

    def transaction(self, *, commit: bool = True) -> AbstractContextManager[Any]: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def close(self) -> None: ...
    def size_bytes(self) -> int: ...


class Leadership(Protocol):
    """Which replica runs the schedule (sweeps, reminders) on a store several may share; `check`
    keeps or takes the lead and says whether this one has it."""

    replica: str

    def check(self) -> bool: ...
    def leader(self) -> str | None: ...
    def close(self) -> None: ...
