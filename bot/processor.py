"""Acknowledged callbacks -> applied snapshots, in the order they were received; then their form data.

The HTTP handler only journals an event (durably) and answers; the inbox worker
does the slow part (user mapping, planning) after the answer, and tells people
from what the callback carries. The last applied journal sequence is stored
with the state it produced, so a crash replays exactly the events whose effects
were not yet committed.

The form data a callback lacks is read by a second worker (`DetailReader`),
from a durable queue written in the same commit as the callback's state: WeCom
paces getapprovaldetail at 600 a minute, and a burst of callbacks must not wait
behind those reads to be applied (issue 12: the backlog is back to zero within
5 s of the load ending). When a read comes back, the cards already out are
updated in place with the form; nobody is told anew.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from bot.codec import snapshot_from_dict
from bot.directory import LookupUnavailable
from bot.model import Snapshot, dedupe_key
from bot.provider_ports import ProviderError
from bot.service import ApprovalService
from bot.store import Decoder, StoreUnavailableError
from bot.worker import Worker

log = logging.getLogger(__name__)

BATCH = 200  # events per group commit
OUTAGE_PATIENCE = 6  # lookup attempts (5 s, 10 s, ... about 5 min) before notifying whoever is known
MAX_RETRY_WAIT = 300.0
STORE_RETRY_WAIT = 1.0
DETAIL_BATCH = 20  # form reads taken from the queue at a time (each is paced by the provider's client)
DETAIL_ATTEMPTS = 12  # failed reads of one approval (5 s doubling to 30 min: about 4 h) before giving up
DETAIL_MAX_WAIT = 1800.0


class InboxProcessor(Worker):
    name = "inbox"

    def __init__(
        self,
        service: ApprovalService,
        decoders: dict[str, Decoder],
        on_queued: Callable[[], None] = lambda: None,
    ) -> None:
        super().__init__()
        self.service = service
        self.store = service.store
        self.decoders = decoders
        self.on_queued = on_queued
        self._applied = self.store.inbox.checkpoint()
        self._journaled = self._applied  # the newest sequence another process said it journaled
        self._attempts: dict[int, int] = {}  # seq -> lookups that failed for it
        self._poisoned: set[int] = set()  # seqs that raised while being applied: skipped
        self._retry_in: float | None = None

    def record(self, source: str, payload: dict[str, Any]) -> int:
        """Durably journal one received event; returns once it is on disk."""
        record = {"source": source, **payload}
        snap, _key = self._decode(record)
        seq = self.store.inbox.append(record, key=snap.key if snap is not None else "")
        self.wake()
        return seq

    def run_once(self) -> float | None:
        self.apply_pending()
        return self._retry_in

    def apply_pending(self) -> int:
        """Apply every journaled event not applied yet; returns how many were handled.

        Events are applied one by one but written in groups (one atomic write per batch), so
        a burst of callbacks does not rewrite the hot file once per event. An event whose
        people cannot be looked up right now holds the queue (order matters) and is tried
        again with backoff; after OUTAGE_PATIENCE attempts it goes out to whoever is known.
        """
        handled = 0
        self._retry_in = None
        while not self.stopping:
            generation = self.store.generation
            batch = self.store.inbox.pending(BATCH)
            if not batch:
                break
            for seq, record in batch:
                outcome = self._apply(seq, record)
                if outcome != "applied" or self.store.generation != generation or self.stopping:
                    break
                handled += 1
            if self.store.generation != generation:  # rolled back here or elsewhere: replay
                self._applied = self.store.inbox.checkpoint()
                continue
            self.store.commit()
            self.store.inbox.discard_applied()
            self.on_queued()
            if outcome == "deferred":
                break
        return handled

    def _apply(self, seq: int, record: dict[str, Any]) -> str:
        """Slow work (user lookups) first, then state, dedupe key, checkpoint and the form read it calls
        for, together.

        Returns "applied", "deferred" (try later) or "rolled back" (this event was skipped).
        """
        snap, key = self._decode(record)
        prepared = None
        try:
            if snap is not None and seq not in self._poisoned and not self.store.dedupe.seen(key):
                out_of_patience = self._attempts.get(seq, 0) >= OUTAGE_PATIENCE
                prepared = (snap, self.service.resolve_people(snap, tolerate_outage=out_of_patience))
            with self.store.transaction(commit=False):
                if prepared is not None and not self.store.dedupe.seen(key):
                    self.service.apply_callback(*prepared)
                    self.store.dedupe.remember(key)
                elif snap is not None and seq not in self._poisoned:
                    log.info("duplicate delivery ignored", extra={"event": key})
                self.store.inbox.applied(seq)
        except StoreUnavailableError as exc:  # passing: the event stays pending, nothing was stored
            self._retry_in = STORE_RETRY_WAIT
            log.warning("the store cannot answer now; will retry", extra={"event": key, "error": str(exc)})
            return "deferred"
        except LookupUnavailable as exc:
            attempts = self._attempts[seq] = self._attempts.get(seq, 0) + 1
            self._retry_in = min(MAX_RETRY_WAIT, 5.0 * 2 ** (attempts - 1))
            log.warning(
                "people on an approval cannot be looked up now; will retry",
                extra={"event": key, "attempts": attempts, "retry_in": self._retry_in, "error": str(exc)},
            )
            return "deferred"
        except Exception:
            # a bug or data the code did not foresee: skip this one event, keep the rest flowing
            log.exception("event could not be applied; skipped", extra={"event": key, "seq": seq})
            self._poisoned.add(seq)
            return "rolled back"
        self._attempts.pop(seq, None)
        self._poisoned.discard(seq)
        self._applied = seq
        return "applied"

    def _decode(self, record: dict[str, Any]) -> tuple[Snapshot | None, str]:
        decoder = self.decoders.get(record.get("source", ""))
        if decoder is None:
            log.error("journal record from an unknown source skipped", extra={"source": record.get("source")})
            return None, ""
        try:
            snap = decoder(record)
        except ValueError as exc:
            log.error("journal record could not be decoded", extra={"error": str(exc)})
            return None, ""
        return snap, dedupe_key(snap) if snap is not None else ""

    @property
    def applied_seq(self) -> int:
        return self._applied

    def journaled(self, seq: int) -> None:
        """Another process (the acknowledging front) journaled every event up to `seq`: apply them."""
        self._journaled = max(self._journaled, seq)
        self.wake()

    def behind(self) -> bool:
        """Events another process journaled are waiting here: what the other workers give way to, so
        callbacks are applied before cards and forms are sent out for them."""
        return self._journaled > self._applied


class DetailReader(Worker):
    """Reads the form data of approvals applied from a callback alone (the store's "details wanted"),
    oldest first, at the provider client's pace, and applies each through `ApprovalService.apply_details`
    (one commit: the form in, the entry out). A read that fails is tried again with backoff; the queue
    is in the store, so a restart resumes it."""

    name = "details"

    def __init__(
        self,
        service: ApprovalService,
        on_queued: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self.service = service
        self.store = service.store
        self.on_queued = on_queued
        self.clock = clock

    def backlog(self) -> int:
        return self.store.details_wanted.size()

    def run_once(self) -> float | None:
        """Read whatever is due; then wait for a wake-up (a callback applied) or a retry to come due."""
        while not self.stopping:
            due = self.store.details_wanted.due(self.clock(), DETAIL_BATCH)
            if not due:
                break
            for entry in due:
                self.give_way()
                if self.stopping:
                    break
                self._read(entry)
            self.on_queued()
        return None

    def _read(self, entry: dict[str, Any]) -> None:
        key = entry["key"]
        doc = self.store.approvals.get(key)
        if doc is None or doc["snapshot"].get("has_details"):  # a sweep read it meanwhile
            with self.store.transaction():
                self.store.details_wanted.done(key)
            return
        snap = snapshot_from_dict(doc["snapshot"])
        try:
            detailed = self.service.provider(snap.provider).fetch_details(snap)
            people = self.service.resolve_people(detailed)
            self.service.apply_details(detailed, people)
        except (ProviderError, LookupUnavailable) as exc:
            self._retry(entry, str(exc))
        except Exception as exc:  # a bug or data not foreseen: this one approval waits, the rest flow
            log.exception("form data could not be applied", extra={"approval": key})
            self._retry(entry, type(exc).__name__)

    def _retry(self, entry: dict[str, Any], error: str) -> None:
        key, attempts = entry["key"], entry["attempts"] + 1
        with self.store.transaction():
            if attempts >= DETAIL_ATTEMPTS:
                log.error(
                    "form data could not be read; its cards stay without it",
                    extra={"approval": key, "attempts": attempts, "error": error},
                )
                self.store.details_wanted.done(key)
                return
            wait = min(DETAIL_MAX_WAIT, 5.0 * 2 ** (attempts - 1))
            log.warning(
                "form data could not be read; will retry",
                extra={"approval": key, "attempts": attempts, "retry_in": wait, "error": error},
            )
            self.store.details_wanted.retry_at(key, self.clock() + wait, attempts)
